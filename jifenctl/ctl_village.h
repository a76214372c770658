/* SPDX-License-Identifier: MIT */
/*
 * ctl_village.h - jifenctl's village workflow commands (SPEC §5):
 *
 *   matter list [--open] | matter answer ID TEXT | matter close ID
 *   message list [--in|--out] [--failed] [--number N] | message retry ID
 *   send NUMBER TEXT
 *   notice --all|--committee TEXT [--yes]
 *   publicity list [--html FILE]
 *   household statement ID [--html FILE] | household remove ID
 *   phone remove NUMBER
 *   export records|households [--csv]
 *
 * Each takes the open store (borrowed), the config (borrowed) and the
 * command's arguments with ARGV[0] the command word.  They return the
 * exit status (0, 1 runtime error with one line on stderr, 2 usage)
 * and set *QUEUED (may be NULL) when they put an SMS in the outbox, so
 * main() wakes jifend (wake_jifend).  Answers, notices and single SMS
 * go through the gateway's handlers: the same rules as by SMS.
 */
#ifndef JIFEN_JIFENCTL_CTL_VILLAGE_H
#define JIFEN_JIFENCTL_CTL_VILLAGE_H

#include <stdbool.h>

#include "config/config.h"
#include "storage/store.h"

/*
 * ctl_parse_no - a record or matter number: digits (1..999999999),
 * after one optional leading character from PREFIXES ("#", "#Mm").
 * 0 with *NO set, or -EINVAL.  Shared by ctl_review.c.
 */
int ctl_parse_no(const char *s, const char *prefixes, long long *no);

int ctl_matter(struct store *st, const struct config *cfg, int argc,
	       char **argv, bool *queued);
int ctl_message(struct store *st, const struct config *cfg, int argc,
		char **argv, bool *queued);
int ctl_send(struct store *st, const struct config *cfg, int argc,
	     char **argv, bool *queued);
int ctl_notice(struct store *st, const struct config *cfg, int argc,
	       char **argv, bool *queued);
int ctl_publicity(struct store *st, const struct config *cfg, int argc,
		  char **argv);
/* household statement|remove (household show is ctl_household). */
int ctl_household_more(struct store *st, const struct config *cfg, int argc,
		       char **argv);
int ctl_phone(struct store *st, int argc, char **argv);
int ctl_export(struct store *st, int argc, char **argv);

#endif
