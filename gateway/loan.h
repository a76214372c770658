/* SPDX-License-Identifier: MIT */
/*
 * loan.h - the points-linked loan quote (积分贷, SPEC section 6).
 *
 * Pure: policy, score and principal in, a filled struct out; no I/O, no
 * globals, no logging.  Callers own both structs.
 *
 * The arithmetic is done in integers (rates in millionths of a
 * percentage point, kept as exact fractions), so the published rounding
 * holds: the rate is rounded half up to 0.01 on its decimal value, and
 * money is rounded half up to whole yuan.  Interest is simple interest
 * (principal x rate x years), a guide only: the bank's figure prevails.
 */
#ifndef JIFEN_GATEWAY_LOAN_H
#define JIFEN_GATEWAY_LOAN_H

#include <stdint.h>

enum loan_mode {
	LOAN_LINEAR,	/* discount = score x step_discount / step_points */
	LOAN_STEP,	/* discount = floor(score / step_points) x step_discount */
};

/*
 * The bank's rule; same keys and meaning as the config's loan section
 * (the gateway copies them over).  Rates and discounts are in percent /
 * percentage points: base_rate 5.0 means 5%.
 */
struct loan_policy {
	double base_rate;	/* 0..100 */
	enum loan_mode mode;
	int step_points;	/* > 0 */
	double step_discount;	/* pp per step_points, 0..100 */
	double max_discount;	/* cap, pp, 0..100 */
	double floor_rate;	/* the rate never goes below, 0..100 */
};

#define LOAN_PRINCIPAL_MAX	1e10	/* yuan */
#define LOAN_YEARS_MAX		100

struct loan_quote {
	long score;		/* as given */
	/* rates in hundredths of a percent: 500 = 5.00%, 58 = 0.58 pp */
	int base_centi;		/* base rate, rounded */
	int rate_centi;		/* the household's rate, rounded */
	int discount_centi;	/* base_centi - rate_centi */
	int64_t principal;	/* yuan, 0 when not given */
	int years;		/* as given (0: not given, totals for 1) */
	/* yuan, whole, rounded half up; all 0 when principal is 0 */
	int64_t interest_base_year;	/* at the base rate, per year */
	int64_t interest_year;		/* at the household's rate */
	int64_t saving_year;		/* interest_base_year - interest_year */
	int64_t interest_base_total;	/* over max(years, 1) years */
	int64_t interest_total;
	int64_t saving_total;
};

/* The seed village's rule: 5%, linear, 0.1 pp per 100 points, max 2 pp. */
void loan_policy_default(struct loan_policy *p);

/*
 * Check @p is usable: finite values in the documented ranges,
 * step_points > 0.  Returns 0 or -EINVAL.
 */
int loan_policy_check(const struct loan_policy *p);

/*
 * Quote the loan for a household with @score points (the final points,
 * or per config the approved ones) borrowing @principal_yuan (0 when
 * only the rate is asked) for @years (0 when not given).  A negative
 * score earns no discount and never a surcharge.  The discount is capped
 * at max_discount and the rate floored at floor_rate (never above the
 * base rate).  Returns 0, or -EINVAL for a bad policy, a negative or
 * oversized principal, or years outside 0..LOAN_YEARS_MAX.
 */
int loan_quote(const struct loan_policy *p, long score, double principal_yuan,
	       int years, struct loan_quote *out);

#endif
