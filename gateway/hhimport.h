/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_GATEWAY_HHIMPORT_H
#define JIFEN_GATEWAY_HHIMPORT_H
/*
 * hhimport - the household CSV import shared by `jifenctl import` and
 * the console's import page (SPEC section 5).
 *
 * Header "household,name,phone,role,pin" (pin column optional; UTF-8,
 * optional BOM, RFC 4180 quoting, CRLF or LF).  `name` is the
 * household's name.  Per row: upsert the household and, if the phone is
 * not empty, the phone's membership (role villager|committee, empty =
 * villager; pin 4-8 digits, empty keeps the stored one).  A bad row is
 * reported through the callback and rejects nothing else.
 *
 * Runs inside the caller's transaction (store_begin): the caller commits
 * to import, or rolls back to get an exact preview of what an import
 * would do without writing anything.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"

#define HHIMPORT_MAX_BYTES (16 << 20)

struct hhimport_counts {
	long added, updated, rejected;
};

/* What happened to each row; both callbacks may be NULL.  Strings are
 * borrowed for the call. */
struct hhimport_ops {
	void (*rejected)(int line, const char *why, void *data);
	void (*stored)(int line, const char *household, const char *name,
		       const char *phone, const char *role, bool created,
		       void *data);
};

/*
 * Make the *LEN bytes at *DATA (malloc'd, owned by the caller) UTF-8
 * without a BOM: UTF-8 stays (a BOM is dropped); anything else is read
 * as GB18030 (GBK and GB2312 are subsets: what Excel on Chinese Windows
 * saves) and converted with iconv(3), *DATA replaced.  *ENC gets
 * "UTF-8" or "GB18030".  -EILSEQ when the file is in neither (*LINE:
 * the line of the first byte that is not UTF-8; *BOM true when a UTF-8
 * BOM promised UTF-8), -ENOMEM.  Never guesses silently: the caller
 * says which encoding was read.
 */
int hhimport_to_utf8(char **data, size_t *len, const char **enc, int *line,
		     bool *bom);

/*
 * Import the LEN bytes at DATA.  *COUNTS gets the totals.  Returns 0;
 * -EBADMSG when the header is wrong (*LINE names its line); -ENOMEM or
 * another -errno from the store (*LINE names the row; the caller rolls
 * back).
 */
int hhimport_csv(struct store *st, const char *data, size_t len, int64_t now,
		 const struct hhimport_ops *ops, void *ud,
		 struct hhimport_counts *counts, int *line);

#endif
