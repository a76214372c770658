/* SPDX-License-Identifier: MIT */
/*
 * test-hex.c - util/hex.c (hex digit values) and util/array.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/array.h"
#include "util/hex.h"

/* Every byte: the 22 hex digits have their value, nothing else does. */
static void test_hex_val_all(void **state)
{
	const char *digits = "0123456789abcdef", *upper = "ABCDEF";
	unsigned int c;
	int n = 0;

	(void)state;
	for (c = 0; c < 256; c++) {
		const char *p = c ? strchr(digits, (int)c) : NULL;
		const char *q = c ? strchr(upper, (int)c) : NULL;
		int v = hex_val((char)c);

		if (p)
			assert_int_equal(v, p - digits);
		else if (q)
			assert_int_equal(v, 10 + (q - upper));
		else
			assert_int_equal(v, -1);
		n += v >= 0;
	}
	assert_int_equal(n, 22);
}

static void test_array_size(void **state)
{
	static const int four[4] = { 1, 2, 3, 4 };
	static const char *const names[] = { "a", "b", "c" };
	char buf[17];

	(void)state;
	assert_int_equal(ARRAY_SIZE(four), 4);
	assert_int_equal(ARRAY_SIZE(names), 3);
	assert_int_equal(ARRAY_SIZE(buf), 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_val_all),
		cmocka_unit_test(test_array_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
