/* SPDX-License-Identifier: MIT */
/*
 * hex.h - the value of one hexadecimal digit.
 *
 * A leaf: includes nothing of the project (see util/utf8.h).
 */
#ifndef JIFEN_UTIL_HEX_H
#define JIFEN_UTIL_HEX_H

/*
 * Value (0..15) of the hex digit @c, either case; -1 when @c is not
 * one.  Callers that checked with isxdigit() may use it unchecked.
 */
int hex_val(char c);

#endif /* JIFEN_UTIL_HEX_H */
