/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cmd - arbitrary bytes through text_normalize, text_clean and
 * cmd_parse: never crash, outputs NUL-terminated, inside their buffers
 * and consistent with the documented ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cmd.h"
#include "gateway/text.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static int valid_utf8(const char *s)
{
	size_t len = strlen(s), pos = 0, c;
	uint32_t cp;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (c == 0)
			return 0;
		pos += c;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char norm[256], small[7], clean[128], trunc[256];
	uint32_t map[256];
	struct cmd c;
	size_t i, plen;
	int n;

	/* normalise: length, NUL, valid UTF-8, monotonic map inside input */
	n = text_normalize(in, size, norm, sizeof(norm), map);
	check(n >= 0 && (size_t)n < sizeof(norm));
	check(strlen(norm) == (size_t)n);
	check(valid_utf8(norm));
	for (i = 0; i <= (size_t)n; i++) {
		check(map[i] <= size);
		if (i)
			check(map[i] >= map[i - 1]);
	}
	n = text_normalize(in, size, small, sizeof(small), NULL);
	check(n >= 0 && strlen(small) == (size_t)n && valid_utf8(small));

	n = text_clean(in, size, clean, sizeof(clean));
	check(n >= 0 && strlen(clean) == (size_t)n && valid_utf8(clean));

	/* truncation never leaves more units than asked */
	text_copy(trunc, sizeof(trunc), norm);
	text_truncate_units(trunc, 5);
	check(text_ucs2_units(trunc) <= 5);

	/* the parser */
	check(cmd_parse(in, size, &c) == 0);
	check(c.kind >= CMD_UNKNOWN && c.kind <= CMD_NOT_YET);
	check(c.word != NULL);
	check(memchr(c.text, '\0', sizeof(c.text)) != NULL);
	check(valid_utf8(c.text));
	check(memchr(c.pin, '\0', sizeof(c.pin)) != NULL);
	plen = strlen(c.pin);
	check(plen == 0 || (plen >= 4 && plen <= 8));
	if (c.err == CMD_OK) {
		if (c.kind == CMD_APPROVE || c.kind == CMD_REJECT)
			check(c.id >= 1 && c.id <= CMD_ID_MAX);
		if (c.kind == CMD_REJECT || c.kind == CMD_SAY)
			check(c.text[0] != '\0');
		if (c.kind == CMD_RATE) {
			check(c.principal_yuan >= 0 &&
			      c.principal_yuan <= CMD_PRINCIPAL_MAX_YUAN);
			check(c.years >= 0 && c.years <= CMD_YEARS_MAX);
		}
	}
	return 0;
}
