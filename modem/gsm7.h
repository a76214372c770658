/* SPDX-License-Identifier: MIT */
/*
 * gsm7.h - GSM 7-bit default alphabet and extension table (3GPP TS
 * 23.038 section 6.2), septet packing, and the UTF-8 / UTF-16BE helpers
 * the SMS PDU codec needs.
 *
 * Pure functions: no I/O, no allocation, no globals except const tables.
 * Callers own every buffer.  Errors are negative errno values.
 */
#ifndef JIFEN_MODEM_GSM7_H
#define JIFEN_MODEM_GSM7_H

#include <stddef.h>
#include <stdint.h>

#define GSM7_ESC	0x1b	/* escape to the extension table */
#define GSM7_INVALID	0xffffffffu

/*
 * Map @cp to the GSM default alphabet: fills @septets with one septet,
 * or with ESC plus the extension septet (€ [ ] { } ^ ~ \ | form feed).
 * Returns 1 or 2, or 0 when @cp has no GSM 7-bit representation.
 */
int gsm7_from_cp(uint32_t cp, uint8_t septets[2]);

/* Code point of default-alphabet septet @s (0..127); ESC gives 0x1B. */
uint32_t gsm7_default_cp(uint8_t s);

/* Code point of extension-table septet @s, or GSM7_INVALID if undefined. */
uint32_t gsm7_ext_cp(uint8_t s);

/*
 * Pack @n septets into @out, starting at septet position @skip (bit
 * 7 * @skip from the start of @out: what precedes is the user data
 * header plus fill bits and is left untouched).  Bits past the header
 * must be zero on entry.  Returns the total octet count used from the
 * start of @out, or -EMSGSIZE when @out_size is too small.
 */
int gsm7_pack(const uint8_t *septets, size_t n, size_t skip, uint8_t *out,
	      size_t out_size);

/*
 * Unpack @n septets starting at septet position @skip of @in (@in_len
 * octets) into @septets.  Returns 0, or -EBADMSG when the septets run
 * past the end of @in.
 */
int gsm7_unpack(const uint8_t *in, size_t in_len, size_t skip, size_t n,
		uint8_t *septets);

/*
 * Convert @n septets (default alphabet with escapes) to NUL-terminated
 * UTF-8 in @out.  Per TS 23.038 an escape followed by a code the
 * extension table does not define shows the default-table character;
 * ESC ESC and a trailing ESC show a space.  Returns the bytes written
 * (without the NUL), or -ENOSPC.
 */
int gsm7_to_utf8(const uint8_t *septets, size_t n, char *out,
		 size_t out_size);

/*
 * Convert @len octets of UTF-16BE (UCS-2 with surrogate pairs) to
 * NUL-terminated UTF-8 in @out.  Unpaired surrogates become U+FFFD;
 * U+0000 is dropped (it cannot live in a C string).  Returns the bytes
 * written (without the NUL), -EBADMSG on an odd @len, or -ENOSPC.
 */
int gsm7_utf16be_to_utf8(const uint8_t *in, size_t len, char *out,
			 size_t out_size);

#endif
