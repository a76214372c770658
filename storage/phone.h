/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_PHONE_H
#define JIFEN_STORAGE_PHONE_H
/*
 * phone - pure phone number normalisation (no I/O, no globals).
 *
 * Chinese mobile numbers in every common spelling become E.164
 * ("+8613800000001"); other international numbers keep their "+" form;
 * fixed lines and short service numbers are returned as plain digits
 * (not E.164, see phone_is_e164()).  Alphanumeric senders are not
 * phone numbers.
 */
#include <stdbool.h>
#include <stddef.h>

/* Longest normalised number plus NUL; callers size their buffers with it. */
#define PHONE_MAX 24

/*
 * Normalise IN into OUT (LEN bytes, PHONE_MAX is always enough).
 * Separators (space, '-', '.', '(', ')') are dropped; "00" becomes "+";
 * an 11-digit mobile (1[3-9]...), "86..." and "0086..." forms become
 * "+86...".  Returns 0, -EINVAL for anything that is not a number
 * (letters, empty, too long, a lone "+"), -ENOSPC if OUT is too small.
 */
int phone_normalize(const char *in, char *out, size_t len);

/* True if S is in E.164 form: '+' then 7..15 digits. */
bool phone_is_e164(const char *s);

/*
 * True for senders the gateway must never answer (no auto-reply loops):
 * anything that is not a phone number (alphanumeric senders such as
 * "China Mobile"), numbers shorter than 7 digits, and Chinese operator
 * and service numbers starting 100, 106, 95 or 12 (with or without a
 * +86/0086/86 prefix).  S may be raw or normalised.
 */
bool phone_is_service(const char *s);

#endif
