/* SPDX-License-Identifier: MIT */
/* Unit tests for gateway/loan.c: the points-linked loan quote. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway/loan.h"

#define DEF	{ 5.0, LOAN_LINEAR, 100, 0.1, 2.0, 0.0 }
#define STEP	{ 5.0, LOAN_STEP, 100, 0.1, 2.0, 0.0 }

struct row {
	const char *what;
	struct loan_policy pol;
	long score;
	double principal;
	int years;
	int rate_centi;
	int discount_centi;
	int64_t base_year, rate_year, saving_year, saving_total;
};

static const struct row rows[] = {
	/* the SPEC's example: 583 points, 30 万元 */
	{ "spec 583 linear 30w", DEF, 583, 300000, 0, 442, 58,
	  15000, 13260, 1740, 1740 },
	{ "spec 583 linear 3y", DEF, 583, 300000, 3, 442, 58,
	  15000, 13260, 1740, 5220 },
	{ "583 linear 30y", DEF, 583, 300000, 30, 442, 58,
	  15000, 13260, 1740, 52200 },
	{ "583 rate only", DEF, 583, 0, 0, 442, 58, 0, 0, 0, 0 },
	{ "spec 583 step", STEP, 583, 300000, 0, 450, 50,
	  15000, 13500, 1500, 1500 },
	{ "spec 2500 capped", DEF, 2500, 0, 0, 300, 200, 0, 0, 0, 0 },
	{ "2500 step capped", STEP, 2500, 0, 0, 300, 200, 0, 0, 0, 0 },
	{ "zero points", DEF, 0, 100000, 0, 500, 0, 5000, 5000, 0, 0 },
	{ "negative: no surcharge", DEF, -50, 100000, 0, 500, 0,
	  5000, 5000, 0, 0 },
	{ "negative step", STEP, -100, 0, 0, 500, 0, 0, 0, 0, 0 },
	{ "100 points", DEF, 100, 0, 0, 490, 10, 0, 0, 0, 0 },
	{ "1 point 4.999 -> 5.00", DEF, 1, 0, 0, 500, 0, 0, 0, 0, 0 },
	{ "5 points 4.995 half up", DEF, 5, 0, 0, 500, 0, 0, 0, 0, 0 },
	{ "15 points 4.985 half up", DEF, 15, 0, 0, 499, 1, 0, 0, 0, 0 },
	{ "995 points 4.005 half up", DEF, 995, 0, 0, 401, 99, 0, 0, 0, 0 },
	{ "994 points 4.006", DEF, 994, 0, 0, 401, 99, 0, 0, 0, 0 },
	{ "1999 points 3.001", DEF, 1999, 0, 0, 300, 200, 0, 0, 0, 0 },
	{ "2000 points exactly the cap", DEF, 2000, 0, 0, 300, 200,
	  0, 0, 0, 0 },
	{ "huge score", DEF, LONG_MAX, 0, 0, 300, 200, 0, 0, 0, 0 },
	{ "step 599", STEP, 599, 0, 0, 450, 50, 0, 0, 0, 0 },
	{ "step 600", STEP, 600, 0, 0, 440, 60, 0, 0, 0, 0 },
	{ "step 99", STEP, 99, 0, 0, 500, 0, 0, 0, 0, 0 },
	{ "floor holds", { 5.0, LOAN_LINEAR, 100, 0.1, 5.0, 3.5 }, 2500,
	  0, 0, 350, 150, 0, 0, 0, 0 },
	{ "floor above base never raises",
	  { 3.0, LOAN_LINEAR, 100, 0.1, 2.0, 4.0 }, 0, 0, 0, 300, 0,
	  0, 0, 0, 0 },
	{ "other bank 4.35 / 200 / 0.15",
	  { 4.35, LOAN_LINEAR, 200, 0.15, 1.0, 0.0 }, 583, 100000, 0,
	  391, 44, 4350, 3910, 440, 440 },
	{ "12.5 wan", DEF, 583, 125000, 0, 442, 58, 6250, 5525, 725, 725 },
	{ "50 yuan rounds half up", DEF, 583, 50, 0, 442, 58, 3, 2, 1, 1 },
	{ "1 yuan", DEF, 583, 1, 0, 442, 58, 0, 0, 0, 0 },
	{ "max principal 10000 wan", DEF, 583, 100000000, 30, 442, 58,
	  5000000, 4420000, 580000, 17400000 },
	{ "no discount policy", { 5.0, LOAN_LINEAR, 100, 0.0, 2.0, 0.0 },
	  583, 0, 0, 500, 0, 0, 0, 0, 0 },
};

static bool check_row(const struct row *r)
{
	struct loan_quote q;

	if (loan_quote(&r->pol, r->score, r->principal, r->years, &q) != 0)
		return false;
	if (q.rate_centi == r->rate_centi &&
	    q.discount_centi == r->discount_centi &&
	    q.base_centi - q.discount_centi == q.rate_centi &&
	    q.interest_base_year == r->base_year &&
	    q.interest_year == r->rate_year &&
	    q.saving_year == r->saving_year &&
	    q.saving_total == r->saving_total && q.score == r->score &&
	    q.years == r->years)
		return true;
	print_message("# FAIL %s: rate %d disc %d base/y %lld rate/y %lld "
		      "save/y %lld save %lld\n", r->what, q.rate_centi,
		      q.discount_centi, (long long)q.interest_base_year,
		      (long long)q.interest_year, (long long)q.saving_year,
		      (long long)q.saving_total);
	return false;
}

static void test_table(void **state)
{
	size_t i, bad = 0, n = sizeof(rows) / sizeof(rows[0]);

	(void)state;
	assert_true(n >= 20);
	for (i = 0; i < n; i++)
		bad += !check_row(&rows[i]);
	assert_int_equal(bad, 0);
}

static void test_default_policy(void **state)
{
	struct loan_policy p;
	struct loan_quote q;

	(void)state;
	loan_policy_default(&p);
	assert_int_equal(loan_policy_check(&p), 0);
	assert_true(p.base_rate == 5.0 && p.mode == LOAN_LINEAR &&
		    p.step_points == 100 && p.max_discount == 2.0);
	assert_int_equal(loan_quote(&p, 583, 300000.0, 0, &q), 0);
	assert_int_equal(q.rate_centi, 442);
	assert_int_equal(q.saving_year, 1740);
	assert_int_equal(q.interest_total, 13260);
	assert_int_equal(q.interest_base_total, 15000);
}

static void test_bad_input(void **state)
{
	struct loan_policy p;
	struct loan_quote q;

	(void)state;
	loan_policy_default(&p);
	assert_int_equal(loan_quote(&p, 1, -1.0, 0, &q), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, NAN, 0, &q), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, 2e10, 0, &q), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, 100, -1, &q), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, 100, LOAN_YEARS_MAX + 1, &q),
			 -EINVAL);
	assert_int_equal(loan_quote(NULL, 1, 100, 1, &q), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, 100, 1, NULL), -EINVAL);

	p.step_points = 0;
	assert_int_equal(loan_policy_check(&p), -EINVAL);
	assert_int_equal(loan_quote(&p, 1, 0, 0, &q), -EINVAL);
	loan_policy_default(&p);
	p.base_rate = NAN;
	assert_int_equal(loan_policy_check(&p), -EINVAL);
	loan_policy_default(&p);
	p.max_discount = -1.0;
	assert_int_equal(loan_policy_check(&p), -EINVAL);
	loan_policy_default(&p);
	p.floor_rate = 101.0;
	assert_int_equal(loan_policy_check(&p), -EINVAL);
	loan_policy_default(&p);
	p.mode = (enum loan_mode)7;
	assert_int_equal(loan_policy_check(&p), -EINVAL);
}

/* Rates move monotonically with the score and stay inside [floor, base]. */
static void test_monotonic(void **state)
{
	struct loan_policy p;
	struct loan_quote q;
	int mode, prev;
	long s;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		loan_policy_default(&p);
		p.mode = mode ? LOAN_STEP : LOAN_LINEAR;
		p.floor_rate = 3.2;
		prev = 100000;
		for (s = -200; s <= 3000; s++) {
			assert_int_equal(loan_quote(&p, s, 0, 0, &q), 0);
			assert_true(q.rate_centi <= prev);
			assert_true(q.rate_centi >= 320 && q.rate_centi <= 500);
			prev = q.rate_centi;
		}
		assert_int_equal(prev, 320);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_default_policy),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
