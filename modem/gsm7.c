/* SPDX-License-Identifier: MIT */
/*
 * gsm7.c - GSM 7-bit default alphabet (TS 23.038 6.2.1), its extension
 * table (6.2.1.1), septet packing (6.1.2.1) and UTF-8/UTF-16BE helpers.
 */
#include <errno.h>

#include "modem/gsm7.h"
#include "util/utf8.h"

/* TS 23.038 6.2.1: the default alphabet, septet -> Unicode. */
static const uint16_t gsm7_default[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec,
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5,
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8,
	0x03a3, 0x0398, 0x039e, 0x001b, 0x00c6, 0x00e6, 0x00df, 0x00c9,
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027,
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7,
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* TS 23.038 6.2.1.1: the extension table (after ESC). */
static const struct {
	uint8_t septet;
	uint16_t cp;
} gsm7_ext[] = {
	{ 0x0a, 0x000c },	/* form feed (page break) */
	{ 0x14, 0x005e },	/* ^ */
	{ 0x28, 0x007b },	/* { */
	{ 0x29, 0x007d },	/* } */
	{ 0x2f, 0x005c },	/* \ */
	{ 0x3c, 0x005b },	/* [ */
	{ 0x3d, 0x007e },	/* ~ */
	{ 0x3e, 0x005d },	/* ] */
	{ 0x40, 0x007c },	/* | */
	{ 0x65, 0x20ac },	/* € */
};

#define N_EXT (sizeof(gsm7_ext) / sizeof(gsm7_ext[0]))

int gsm7_from_cp(uint32_t cp, uint8_t septets[2])
{
	size_t i;

	if (cp == GSM7_ESC)
		return 0;
	for (i = 0; i < 128; i++) {
		if (gsm7_default[i] == cp) {
			septets[0] = (uint8_t)i;
			return 1;
		}
	}
	for (i = 0; i < N_EXT; i++) {
		if (gsm7_ext[i].cp == cp) {
			septets[0] = GSM7_ESC;
			septets[1] = gsm7_ext[i].septet;
			return 2;
		}
	}
	return 0;
}

uint32_t gsm7_default_cp(uint8_t s)
{
	return gsm7_default[s & 0x7f];
}

uint32_t gsm7_ext_cp(uint8_t s)
{
	size_t i;

	for (i = 0; i < N_EXT; i++)
		if (gsm7_ext[i].septet == s)
			return gsm7_ext[i].cp;
	return GSM7_INVALID;
}

int gsm7_pack(const uint8_t *septets, size_t n, size_t skip, uint8_t *out,
	      size_t out_size)
{
	size_t total = (7 * (skip + n) + 7) / 8;
	size_t i;

	if (total > out_size)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		size_t bit = 7 * (skip + i);
		size_t byte = bit / 8;
		unsigned shift = bit % 8;
		unsigned v = septets[i] & 0x7f;

		out[byte] |= (uint8_t)(v << shift);
		if (shift > 1)
			out[byte + 1] |= (uint8_t)(v >> (8 - shift));
	}
	return (int)total;
}

int gsm7_unpack(const uint8_t *in, size_t in_len, size_t skip, size_t n,
		uint8_t *septets)
{
	size_t i;

	if (n && (7 * (skip + n) + 7) / 8 > in_len)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		size_t bit = 7 * (skip + i);
		size_t byte = bit / 8;
		unsigned shift = bit % 8;
		unsigned v = in[byte] >> shift;

		if (shift > 1)
			v |= (unsigned)in[byte + 1] << (8 - shift);
		septets[i] = (uint8_t)(v & 0x7f);
	}
	return 0;
}

/* Append @cp as UTF-8 at @*pos, keeping room for the NUL. */
static int put_cp(uint32_t cp, char *out, size_t out_size, size_t *pos)
{
	char tmp[4];
	size_t k = utf8_encode(cp, tmp), i;

	if (*pos + k + 1 > out_size)
		return -ENOSPC;
	for (i = 0; i < k; i++)
		out[(*pos)++] = tmp[i];
	return 0;
}

/*
 * Reads the character at @*i of @in (@n bytes) into @*cp and moves @*i
 * past it; false when it stands for nothing (an ignored NUL).
 */
typedef bool (*cp_reader)(const uint8_t *in, size_t n, size_t *i,
			  uint32_t *cp);

/* Default alphabet septets, with the extension table after ESC. */
static bool read_gsm7(const uint8_t *septets, size_t n, size_t *i,
		      uint32_t *cp)
{
	uint8_t s = septets[(*i)++] & 0x7f;

	if (s != GSM7_ESC) {
		*cp = gsm7_default[s];
	} else if (*i >= n) {
		*cp = ' ';
	} else {
		s = septets[(*i)++] & 0x7f;
		*cp = gsm7_ext_cp(s);
		if (*cp == GSM7_INVALID)
			*cp = s == GSM7_ESC ? ' ' : gsm7_default[s];
	}
	return true;
}

/* UTF-16BE units (@n even): surrogate pairs joined, lone ones U+FFFD. */
static bool read_utf16be(const uint8_t *in, size_t n, size_t *i,
			 uint32_t *cp)
{
	uint32_t u = (uint32_t)in[*i] << 8 | in[*i + 1];

	*i += 2;
	if (u >= 0xd800 && u <= 0xdbff && *i + 1 < n) {
		uint32_t lo = (uint32_t)in[*i] << 8 | in[*i + 1];

		if (lo >= 0xdc00 && lo <= 0xdfff) {
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			*i += 2;
		}
	}
	if (u >= 0xd800 && u <= 0xdfff)
		u = 0xfffd;
	*cp = u;
	return u != 0;
}

/* Every character @next reads from @in, as NUL-terminated UTF-8. */
static int to_utf8(const uint8_t *in, size_t n, cp_reader next, char *out,
		   size_t out_size)
{
	size_t pos = 0, i = 0;
	uint32_t cp;
	int err;

	while (i < n) {
		if (!next(in, n, &i, &cp))
			continue;
		err = put_cp(cp, out, out_size, &pos);
		if (err)
			return err;
	}
	out[pos] = '\0';
	return (int)pos;
}

int gsm7_to_utf8(const uint8_t *septets, size_t n, char *out,
		 size_t out_size)
{
	if (!out_size)
		return -ENOSPC;
	return to_utf8(septets, n, read_gsm7, out, out_size);
}

int gsm7_utf16be_to_utf8(const uint8_t *in, size_t len, char *out,
			 size_t out_size)
{
	if (!out_size)
		return -ENOSPC;
	if (len % 2)
		return -EBADMSG;
	return to_utf8(in, len, read_utf16be, out, out_size);
}
