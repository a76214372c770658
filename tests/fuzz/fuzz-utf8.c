/* SPDX-License-Identifier: MIT */
/*
 * fuzz-utf8 - arbitrary bytes through utf8_decode: never reads past the
 * length it is given, every accepted sequence is the shortest form of a
 * Unicode scalar value and utf8_encode gives back the same bytes;
 * utf8_next visits the same sequences.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in;
	char *copy, enc[UTF8_MAX];
	size_t pos = 0, n, k, walk = 0, valid = 0, seen = 0;
	uint32_t cp, cp2;

	/* an exact-size copy, so ASan sees a read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	in = copy;
	while (pos < size) {
		cp = 0xFFFFFFFF;
		n = utf8_decode(in + pos, size - pos, &cp);
		if (!n) {
			check(cp == 0xFFFFFFFF);	/* untouched on failure */
			pos++;				/* skip one byte */
			continue;
		}
		check(n <= UTF8_MAX && n <= size - pos);
		check(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF));
		k = utf8_encode(cp, enc);
		check(k == n && memcmp(enc, in + pos, n) == 0);
		pos += n;
		valid++;
	}
	/* utf8_next visits exactly the valid sequences, then stops at size */
	while (utf8_next(in, size, &walk, &cp2)) {
		check(walk <= size);
		seen++;
	}
	check(walk == size && seen == valid);
	free(copy);
	return 0;
}
