/* SPDX-License-Identifier: MIT */
/*
 * ctl_store.h - jifenctl's data commands on the store (SPEC §5):
 * "import FILE.csv", "record add|list", "household show".
 */
#ifndef JIFEN_GATEWAY_CTL_STORE_H
#define JIFEN_GATEWAY_CTL_STORE_H

#include <stdio.h>

#include "storage/store.h"

struct store_balance;
struct store_household;

/*
 * Each takes the open store (not freed) and the command's arguments
 * with ARGV[0] the command word ("import", "record", "household").
 * They return the exit status: 0 success, 1 runtime error (one line
 * "jifenctl: ..." on stderr), 2 usage error.
 *
 * import FILE.csv
 *   Header "household,name,phone,role,pin" (pin column optional; UTF-8,
 *   optional BOM, RFC 4180 quoting, CRLF or LF).  `name` is the
 *   household's name.  Per row: upsert the household and, if the phone
 *   is not empty, the phone's membership (role villager|committee, empty
 *   = villager; pin 4-8 digits, empty keeps the stored one).  Good rows
 *   are stored in one transaction; a bad row is reported on stderr as
 *   "FILE:LINE: reason" and rejects nothing else.  Prints "added N,
 *   updated N, rejected N".  Exit 0 if every row was stored, 1 if any
 *   row was rejected (the good ones are still stored) or the file could
 *   not be read or stored.
 * record add HOUSEHOLD POINTS REASON [--final]
 *   New record, pending review, or final at once (opening balances);
 *   prints its short id.
 * record list [--pending] [--json]
 *   Records oldest first; --json: one object per line.
 * household show ID [--json]
 *   Phones, balances, rank and recent records.
 */
int ctl_import(struct store *st, int argc, char **argv);
int ctl_record(struct store *st, int argc, char **argv);
int ctl_household(struct store *st, int argc, char **argv);

/*
 * ctl_household_find - household ID (not removed) into H and its
 * balance into B, for the command WHAT ("household show").  0, or the
 * exit status 1 after "jifenctl: WHAT: no such household 'ID'" (or the
 * error) on stderr.
 */
int ctl_household_find(struct store *st, const char *what, const char *id,
		       struct store_household *h, struct store_balance *b);

/* Redirect output (tests); NULL restores stdout / stderr. */
void ctl_store_streams(FILE *out, FILE *err);

#endif
