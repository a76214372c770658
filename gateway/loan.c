/* SPDX-License-Identifier: MIT */
/*
 * loan.c - the points-linked loan quote.
 *
 * Rates are converted once to integer millionths of a percent ("micro")
 * and combined as exact fractions over step_points; only the final
 * rounding to 0.01 rounds, and it rounds half up.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "gateway/loan.h"

#define MICRO		1000000LL	/* micro-units per percent */
#define CENTI_MICRO	10000LL		/* micro-units per 0.01 % */
#define SCORE_CLAMP	1000000000L	/* past this every cap applies */

void loan_policy_default(struct loan_policy *p)
{
	p->base_rate = 5.0;
	p->mode = LOAN_LINEAR;
	p->step_points = 100;
	p->step_discount = 0.1;
	p->max_discount = 2.0;
	p->floor_rate = 0.0;
}

static bool pct_ok(double v)
{
	return isfinite(v) && v >= 0.0 && v <= 100.0;
}

int loan_policy_check(const struct loan_policy *p)
{
	if (!p || !pct_ok(p->base_rate) || !pct_ok(p->step_discount) ||
	    !pct_ok(p->max_discount) || !pct_ok(p->floor_rate) ||
	    p->step_points <= 0 ||
	    (p->mode != LOAN_LINEAR && p->mode != LOAN_STEP))
		return -EINVAL;
	return 0;
}

static long long to_micro(double pct)
{
	return llround(pct * (double)MICRO);
}

/* round half up of @num / @den, both >= 0, den > 0 */
static long long div_round(long long num, long long den)
{
	return (num + den / 2) / den;
}

/* principal (yuan) x rate (0.01 %) x years, in yuan, rounded half up */
static int64_t interest(int64_t principal, int rate_centi, int years)
{
	/* principal <= 1e10, rate <= 1e4, years <= 100: at most 1e16 */
	return (int64_t)div_round((long long)principal * rate_centi * years,
				  10000LL);
}

int loan_quote(const struct loan_policy *p, long score, double principal_yuan,
	       int years, struct loan_quote *out)
{
	long long sp, base, sd, maxd, floor_r, disc_num, rate_num;
	long s;
	int ty;

	if (!out || loan_policy_check(p) < 0)
		return -EINVAL;
	if (!isfinite(principal_yuan) || principal_yuan < 0.0 ||
	    principal_yuan > LOAN_PRINCIPAL_MAX || years < 0 ||
	    years > LOAN_YEARS_MAX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->score = score;
	out->years = years;
	out->principal = (int64_t)llround(principal_yuan);

	sp = p->step_points;
	base = to_micro(p->base_rate);
	sd = to_micro(p->step_discount);
	maxd = to_micro(p->max_discount);
	floor_r = to_micro(p->floor_rate);

	/* negative scores earn nothing (and are never a surcharge) */
	s = score < 0 ? 0 : score > SCORE_CLAMP ? SCORE_CLAMP : score;
	/* the discount as a fraction over sp */
	if (p->mode == LOAN_LINEAR)
		disc_num = (long long)s * sd;
	else
		disc_num = (long long)(s / sp) * sd;	/* in micro, for now */
	if (p->mode == LOAN_STEP)
		disc_num = (disc_num > maxd ? maxd : disc_num) * sp;
	else if (disc_num > maxd * sp)
		disc_num = maxd * sp;
	rate_num = base * sp - disc_num;
	if (floor_r > base)
		floor_r = base;		/* a floor never raises the rate */
	if (rate_num < floor_r * sp)
		rate_num = floor_r * sp;

	out->base_centi = (int)div_round(base, CENTI_MICRO);
	out->rate_centi = (int)div_round(rate_num, CENTI_MICRO * sp);
	out->discount_centi = out->base_centi - out->rate_centi;

	if (out->principal > 0) {
		ty = years > 0 ? years : 1;
		out->interest_base_year = interest(out->principal,
						   out->base_centi, 1);
		out->interest_year = interest(out->principal,
					      out->rate_centi, 1);
		out->saving_year = out->interest_base_year - out->interest_year;
		out->interest_base_total = interest(out->principal,
						    out->base_centi, ty);
		out->interest_total = interest(out->principal,
					       out->rate_centi, ty);
		out->saving_total = out->interest_base_total -
				    out->interest_total;
	}
	return 0;
}
