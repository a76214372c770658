/* SPDX-License-Identifier: MIT */
/*
 * test-utf8.c - util/utf8.c, the one strict UTF-8 decoder and encoder.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/array.h"
#include "util/utf8.h"

static void test_utf8_decode(void **state)
{
	static const struct {
		const char *s;
		size_t used;
		uint32_t cp;
	} t[] = {
		{ "A", 1, 'A' }, { "\xc3\xa9", 2, 0xe9 },
		{ "\xe7\xa7\xaf", 3, 0x79ef }, { "\xf0\x9f\x98\x80", 4, 0x1f600 },
		{ "\xc0\xaf", 0, 0 },		/* overlong */
		{ "\xe0\x80\xaf", 0, 0 },		/* overlong */
		{ "\xed\xa0\x80", 0, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", 0, 0 },	/* > U+10FFFF */
		{ "\xe7\xa7", 0, 0 },		/* truncated */
		{ "\x80", 0, 0 },
		{ "\xff", 0, 0 },
	};
	uint32_t cp;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		cp = 0;
		assert_int_equal(utf8_decode(t[i].s, strlen(t[i].s), &cp),
				 t[i].used);
		if (t[i].used > 0)
			assert_int_equal(cp, t[i].cp);
	}
}

static void test_utf8_codec(void **state)
{
	char b[4];
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(utf8_encode(0x79EF, b), 3);
	assert_int_equal(utf8_decode(b, 3, &cp), 3);
	assert_int_equal(cp, 0x79EF);
	assert_int_equal(utf8_decode(b, 2, &cp), 0);	/* truncated */
	assert_int_equal(utf8_encode(0x1F600, b), 4);
	assert_int_equal(utf8_decode(b, 4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_encode(0xD800, b), 0);
	assert_int_equal(utf8_encode(0x110000, b), 0);
	assert_int_equal(utf8_decode("\xf5\x80\x80\x80", 4, &cp), 0);
	assert_int_equal(utf8_decode("", 0, &cp), 0);
}

/* Every scalar value survives encode then decode, with its length. */
static void test_roundtrip_all(void **state)
{
	char b[UTF8_MAX];
	uint32_t cp, back;
	size_t n, want;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		n = utf8_encode(cp, b);
		if (cp >= 0xD800 && cp <= 0xDFFF) {
			assert_int_equal(n, 0);
			continue;
		}
		want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		assert_int_equal(n, want);
		back = 0xFFFFFFFF;
		assert_int_equal(utf8_decode(b, n, &back), n);
		assert_int_equal(back, cp);
		/* one byte short is always truncated */
		assert_int_equal(utf8_decode(b, n - 1, &back), 0);
	}
	assert_int_equal(utf8_encode(0x110000, b), 0);
	assert_int_equal(utf8_encode(0xFFFFFFFF, b), 0);
}

/* Every two-byte input: a lead byte alone is decoded or refused. */
static void test_every_lead_byte(void **state)
{
	char b[2];
	uint32_t cp;
	unsigned int c;
	size_t n;

	(void)state;
	for (c = 0; c < 256; c++) {
		b[0] = (char)c;
		b[1] = (char)0x80;
		cp = 0xFFFFFFFF;
		n = utf8_decode(b, 2, &cp);
		if (c < 0x80) {
			assert_int_equal(n, 1);
			assert_int_equal(cp, c);
		} else if (c >= 0xC2 && c <= 0xDF) {
			assert_int_equal(n, 2);
			assert_int_equal(cp, ((c & 0x1F) << 6));
		} else {
			/* continuation, C0/C1, F5..FF, or 3-4 byte truncated */
			assert_int_equal(n, 0);
			assert_int_equal(cp, 0xFFFFFFFF);	/* untouched */
		}
	}
}

/* The decoder reads no further than @len, even inside a sequence. */
static void test_stops_at_len(void **state)
{
	const char *s = "\xe7\xa7\xaf\xe5\x88\x86";	/* 积分 */
	uint32_t cp;

	(void)state;
	assert_int_equal(utf8_decode(s, 6, &cp), 3);
	assert_int_equal(cp, 0x79EF);
	assert_int_equal(utf8_decode(s + 3, 3, &cp), 3);
	assert_int_equal(cp, 0x5206);
	assert_int_equal(utf8_decode(s + 3, 1, &cp), 0);
	assert_int_equal(utf8_decode("A", 0, &cp), 0);
	/* a continuation that is not one, at each position */
	assert_int_equal(utf8_decode("\xf0\x9f\x98\x41", 4, &cp), 0);
	assert_int_equal(utf8_decode("\xf0\x9f\x41\x80", 4, &cp), 0);
	assert_int_equal(utf8_decode("\xf0\x41\x98\x80", 4, &cp), 0);
	/* the smallest and largest of each length */
	assert_int_equal(utf8_decode("\xc2\x80", 2, &cp), 2);
	assert_int_equal(cp, 0x80);
	assert_int_equal(utf8_decode("\xe0\xa0\x80", 3, &cp), 3);
	assert_int_equal(cp, 0x800);
	assert_int_equal(utf8_decode("\xef\xbf\xbf", 3, &cp), 3);
	assert_int_equal(cp, 0xFFFF);
	assert_int_equal(utf8_decode("\xf0\x90\x80\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x10000);
	assert_int_equal(utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
	assert_int_equal(cp, 0x10FFFF);
	assert_int_equal(utf8_decode("\xf0\x8f\xbf\xbf", 4, &cp), 0);
}

/* utf8_next walks valid code points and skips invalid bytes one by one. */
static void test_next_skips_invalid(void **state)
{
	/* 'a', stray continuation, 积, truncated 3-byte lead, 'z', C1 lead */
	const char s[] = "a\x80\xe7\xa7\xaf\xe5\x88z\xc1";
	static const uint32_t want[] = { 'a', 0x79EF, 'z' };
	size_t pos = 0, i = 0, len = sizeof(s) - 1;
	uint32_t cp;

	(void)state;
	while (utf8_next(s, len, &pos, &cp)) {
		assert_true(i < ARRAY_SIZE(want));
		assert_int_equal(cp, want[i]);
		i++;
	}
	assert_int_equal(i, ARRAY_SIZE(want));
	assert_int_equal(pos, len);
	/* nothing at all, and only invalid bytes */
	pos = 0;
	assert_false(utf8_next("", 0, &pos, &cp));
	assert_int_equal(pos, 0);
	assert_false(utf8_next("\xff\xfe\x80", 3, &pos, &cp));
	assert_int_equal(pos, 3);
	/* it stops at len, inside a sequence */
	pos = 0;
	assert_false(utf8_next("\xe7\xa7\xaf", 2, &pos, &cp));
	assert_int_equal(pos, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_codec),
		cmocka_unit_test(test_roundtrip_all),
		cmocka_unit_test(test_every_lead_byte),
		cmocka_unit_test(test_stops_at_len),
		cmocka_unit_test(test_next_skips_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
