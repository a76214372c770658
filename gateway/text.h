/* SPDX-License-Identifier: MIT */
/*
 * text.h - UTF-8 helpers and SMS text normalisation (SPEC section 6).
 *
 * Pure functions: no I/O, no allocation, no globals except const tables,
 * no logging.  Callers own every buffer; outputs are always
 * NUL-terminated when the output size is at least 1.  Invalid UTF-8 in
 * the input is never an error: each bad byte is skipped.
 */
#ifndef JIFEN_GATEWAY_TEXT_H
#define JIFEN_GATEWAY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Number of code points in @s; invalid bytes are not counted. */
size_t text_utf8_len(const char *s);

/*
 * Number of UTF-16 code units @s takes (what a UCS-2 SMS counts):
 * one per BMP character, two per supplementary character.
 */
size_t text_ucs2_units(const char *s);

/* True when @s is pure 7-bit ASCII (no byte >= 0x80). */
bool text_is_ascii(const char *s);

/*
 * What one reply costs on the air: when @s is ASCII and every character
 * is in the GSM 7-bit alphabet, its septet count (the characters
 * [ ] { } ^ ~ \ | cost two) and *@ucs2 = false; otherwise its UTF-16
 * unit count and *@ucs2 = true.  @ucs2 may be NULL.
 */
size_t text_sms_units(const char *s, bool *ucs2);

/*
 * Truncate @s in place so it takes at most @max_units UTF-16 units,
 * never splitting a character (a supplementary character needing two
 * units is dropped whole).  Invalid bytes are kept as they are and
 * count one unit each.  Returns the units kept.
 */
size_t text_truncate_units(char *s, size_t max_units);

/*
 * Copy at most @size - 1 bytes of @src into @dst, cutting only at a
 * character boundary, NUL-terminated.  Returns the bytes written.
 */
size_t text_copy(char *dst, size_t size, const char *src);

/*
 * Replace, in place, every byte of @s that does not start a valid UTF-8
 * sequence with '?' (the length does not change), so text read from an
 * old database with a broken name still encodes.  Returns the number of
 * bytes replaced.
 */
size_t text_fix_utf8(char *s);

/*
 * Normalise one SMS for command matching:
 *  - invalid UTF-8 bytes are dropped;
 *  - full-width forms U+FF01..U+FF5E become ASCII, U+3000 a space,
 *    circled digits (1)..(9) U+2460.. become 1..9;
 *  - Latin letters are case-folded to lower case (ASCII and Latin-1);
 *  - ASCII punctuation, Chinese punctuation (，。、；：！？“”‘’（）【】《》·…—
 *    and the other CJK symbols and forms), control characters and every
 *    kind of space separate words and collapse into one space, except a
 *    '.' between two digits, which is kept (decimals: "12.5");
 *  - traditional characters of the command words (and a few common
 *    ones) become simplified, where the mapping is unambiguous;
 *  - leading and trailing separators are trimmed.
 * Other characters (Chinese text, emoji) are kept unchanged.
 *
 * @in has @in_len bytes and need not be NUL-terminated.  @out receives
 * at most @out_size - 1 bytes and a NUL; a longer result is cut at a
 * character boundary.  When @map is not NULL it has room for @out_size
 * entries: map[i] is the offset in @in of the character that produced
 * out[i], and map[n] (n = returned length) is the offset in @in just past
 * the last character that produced output, or of the first separator
 * after it, so "the original text from output position i on" is
 * @in + map[i].
 *
 * Returns the output length, or -EINVAL when @out is NULL or @out_size
 * is 0.
 */
int text_normalize(const char *in, size_t in_len, char *out, size_t out_size,
		   uint32_t *map);

/*
 * Clean free text (a 说事 matter, a rejection reason) for storage and
 * replies, keeping its wording and punctuation: invalid UTF-8 is
 * dropped, control characters and runs of white space become one
 * space, leading white space and leading joiner punctuation
 * (, ， : ： ; ； 、 . 。 - — + # and the like) and trailing white space
 * are trimmed.  @in has @in_len bytes; @out is NUL-terminated, cut at a
 * character boundary.  Returns the output length, or -EINVAL.
 */
int text_clean(const char *in, size_t in_len, char *out, size_t out_size);

#endif
