/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - the project's one strict UTF-8 decoder and encoder.
 *
 * A leaf: includes nothing of the project, so every module (modem/,
 * storage/, config/, gateway/, the programs, tools/) may use it.
 * Pure functions: no I/O, no allocation, no globals.
 */
#ifndef JIFEN_UTIL_UTF8_H
#define JIFEN_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest UTF-8 sequence of one code point, in bytes. */
#define UTF8_MAX	4

/*
 * Decode the code point at @s (at most @len bytes) into *@cp.
 * Strict UTF-8 (RFC 3629): overlong forms, surrogates (U+D800..DFFF),
 * values above U+10FFFF and truncated sequences are invalid.  Returns
 * the byte length (1..4) of a valid sequence, or 0 when the bytes at @s
 * are not one (the caller decides: reject, or skip one byte) or @len is
 * 0.  *@cp is only written on success.
 */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/*
 * Encode @cp as UTF-8 into @out (room for UTF8_MAX bytes).  Returns the
 * byte count (1..4), or 0 (nothing written) when @cp is not a Unicode
 * scalar value (a surrogate or above U+10FFFF).
 */
size_t utf8_encode(uint32_t cp, char *out);

/*
 * Walk @s (@len bytes) one code point at a time, skipping invalid bytes
 * one by one: decodes the next valid sequence at or after *@pos into
 * *@cp, moves *@pos past it and returns true; returns false (with *@pos
 * at @len) when none is left.  Start with *@pos = 0.
 */
bool utf8_next(const char *s, size_t len, size_t *pos, uint32_t *cp);

#endif /* JIFEN_UTIL_UTF8_H */
