/* SPDX-License-Identifier: MIT */
/*
 * test-balance - the amount in operators' balance answers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gateway/balance.h"

static void test_parse(void **state)
{
	static const struct {
		const char *text;
		double amount;
	} ok[] = {
		{ "Dear customer, your balance 12.50 yuan, valid until "
		  "2027-06-30.", 12.50 },
		{ "您的账户余额为5.20元,有效期至2027-06-30。", 5.20 },
		{ "尊敬的客户,截至2026年12月03日,您的话费余额-3.50元。", -3.50 },
		{ "截至12:30 余额:0元", 0.0 },
		{ "Balance: 100", 100.0 },
		{ "Your credit is 7.5 RMB", 7.5 },
		{ "2027-06-30 到期, 剩余 8.80 元", 8.80 },
	};
	size_t i;
	double a;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = -999;
		assert_int_equal(balance_parse(ok[i].text, &a), 0);
		assert_float_equal(a, ok[i].amount, 0.001);
	}
}

static void test_no_amount(void **state)
{
	double a;

	(void)state;
	assert_int_equal(balance_parse("", &a), -ENOENT);
	assert_int_equal(balance_parse("请稍后再试", &a), -ENOENT);
	assert_int_equal(balance_parse("valid until 2027-06-30, dial *100#",
				       &a), -ENOENT);
	assert_int_equal(balance_parse(NULL, &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_no_amount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
