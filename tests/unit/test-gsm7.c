/* SPDX-License-Identifier: MIT */
/*
 * test-gsm7.c - GSM 7-bit alphabet (TS 23.038 6.2.1), septet packing and
 * the UTF-8 / UTF-16BE helpers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modem/gsm7.h"

/* Spot checks of the default table against TS 23.038 6.2.1. */
static void test_default_table(void **state)
{
	static const struct {
		uint8_t s;
		uint32_t cp;
	} t[] = {
		{ 0x00, '@' }, { 0x01, 0xa3 }, { 0x02, '$' }, { 0x03, 0xa5 },
		{ 0x09, 0xc7 }, { 0x0a, '\n' }, { 0x0d, '\r' }, { 0x10, 0x394 },
		{ 0x11, '_' }, { 0x1b, 0x1b }, { 0x1f, 0xc9 }, { 0x24, 0xa4 },
		{ 0x40, 0xa1 }, { 0x41, 'A' }, { 0x5b, 0xc4 }, { 0x5f, 0xa7 },
		{ 0x60, 0xbf }, { 0x7f, 0xe0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(gsm7_default_cp(t[i].s), t[i].cp);
	assert_int_equal(gsm7_ext_cp(0x65), 0x20ac);
	assert_int_equal(gsm7_ext_cp(0x0a), 0x0c);
	assert_int_equal(gsm7_ext_cp(0x41), GSM7_INVALID);
}

/* Every default and extension character maps back to itself. */
static void test_from_cp_inverse(void **state)
{
	uint8_t s[2];
	unsigned i;

	(void)state;
	for (i = 0; i < 128; i++) {
		if (i == GSM7_ESC)
			continue;
		assert_int_equal(gsm7_from_cp(gsm7_default_cp((uint8_t)i), s),
				 1);
		assert_int_equal(s[0], i);
	}
	assert_int_equal(gsm7_from_cp(0x20ac, s), 2);
	assert_int_equal(s[0], GSM7_ESC);
	assert_int_equal(s[1], 0x65);
	assert_int_equal(gsm7_from_cp('\\', s), 2);
	assert_int_equal(s[1], 0x2f);
	assert_int_equal(gsm7_from_cp(0x1b, s), 0);
	assert_int_equal(gsm7_from_cp(0x79ef, s), 0);	/* 积 */
	assert_int_equal(gsm7_from_cp(0xef, s), 0);	/* ï */
	assert_int_equal(gsm7_from_cp('`', s), 0);
}

/* TS 23.038 6.1.2.1.1 / Wikipedia: "hellohello" -> E8329BFD4697D9EC37. */
static void test_pack_hellohello(void **state)
{
	const uint8_t want[] = { 0xe8, 0x32, 0x9b, 0xfd, 0x46, 0x97, 0xd9,
				 0xec, 0x37 };
	uint8_t out[16] = { 0 }, back[10];

	(void)state;
	assert_int_equal(gsm7_pack((const uint8_t *)"hellohello", 10, 0, out,
				   sizeof(out)), 9);
	assert_memory_equal(out, want, 9);
	assert_int_equal(gsm7_unpack(out, 9, 0, 10, back), 0);
	assert_memory_equal(back, "hellohello", 10);
	assert_int_equal(gsm7_unpack(out, 8, 0, 10, back), -EBADMSG);
	assert_int_equal(gsm7_pack((const uint8_t *)"hellohello", 10, 0, out,
				   8), -EMSGSIZE);
}

/* After a 6-octet UDH, septet 7 starts at bit 49: one fill bit. */
static void test_pack_fill_bits(void **state)
{
	uint8_t out[16] = { 5, 0, 3, 1, 2, 1 }, back[2];

	(void)state;
	assert_int_equal(gsm7_pack((const uint8_t *)"p", 1, 7, out,
				   sizeof(out)), 7);
	assert_int_equal(out[6], 0xe0);		/* 'p' << 1 */
	assert_int_equal(out[5], 1);		/* header untouched */
	assert_int_equal(gsm7_unpack(out, 7, 7, 1, back), 0);
	assert_int_equal(back[0], 'p');
}

static void test_utf16be(void **state)
{
	const uint8_t jf[] = { 0x79, 0xef, 0x52, 0x06, 0xd8, 0x3d, 0xde, 0x00 };
	const uint8_t lone[] = { 0xde, 0x00, 0x00, 0x00, 0x00, 0x41 };
	char out[32];

	(void)state;
	assert_int_equal(gsm7_utf16be_to_utf8(jf, 8, out, sizeof(out)), 10);
	assert_string_equal(out, "积分\xf0\x9f\x98\x80");
	assert_int_equal(gsm7_utf16be_to_utf8(lone, 6, out, sizeof(out)), 4);
	assert_string_equal(out, "\xef\xbf\xbd" "A");
	assert_int_equal(gsm7_utf16be_to_utf8(jf, 7, out, sizeof(out)),
			 -EBADMSG);
	assert_int_equal(gsm7_utf16be_to_utf8(jf, 8, out, 10), -ENOSPC);
}

static void test_to_utf8_escapes(void **state)
{
	const uint8_t s[] = { 0x1b, 0x65, 0x1b, 0x1b, 0x1b, 0x41, 0x10, 0x1b };
	char out[32];

	(void)state;
	/* € , ESC ESC -> space, ESC + undefined 'A' -> 'A', Δ, trailing ESC */
	assert_int_equal(gsm7_to_utf8(s, sizeof(s), out, sizeof(out)), 8);
	assert_string_equal(out, "€ AΔ ");
	assert_int_equal(gsm7_to_utf8(s, sizeof(s), out, 4), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),
		cmocka_unit_test(test_from_cp_inverse),
		cmocka_unit_test(test_pack_hellohello),
		cmocka_unit_test(test_pack_fill_bits),
		cmocka_unit_test(test_utf16be),
		cmocka_unit_test(test_to_utf8_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
