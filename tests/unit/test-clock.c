/* SPDX-License-Identifier: MIT */
/* Unit tests for gateway/clock.c: which time the gateway believes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "gateway/clock.h"

#define T2026	1764777600LL	/* 2025-12-03T16:00:00Z */
#define BOOT	86400LL		/* a board that starts at 1970-01-02 */

static void test_no_sample_believes_system(void **state)
{
	struct clock *c = clock_new();
	struct clock_reading r;

	(void)state;
	assert_non_null(c);
	clock_reading(c, BOOT, 5000, &r);
	assert_int_equal(r.now, BOOT);
	assert_int_equal(r.source, CLOCK_SRC_SYSTEM);
	assert_int_equal(r.offset, 0);
	clock_free(c);
}

static void test_nitz_fixes_1970(void **state)
{
	struct clock *c = clock_new();
	struct clock_reading r;

	(void)state;
	assert_true(clock_learn(c, CLOCK_SRC_NITZ, T2026, BOOT, 10000));
	/* 90 s later on the monotonic clock */
	clock_reading(c, BOOT + 90, 100000, &r);
	assert_int_equal(r.now, T2026 + 90);
	assert_int_equal(r.source, CLOCK_SRC_NITZ);
	assert_int_equal(r.offset, T2026 - BOOT);
	/* the system clock jumps by days: the anchored sample holds */
	clock_reading(c, BOOT + 5 * 86400, 160000, &r);
	assert_int_equal(r.now, T2026 + 150);
	clock_free(c);
}

static void test_within_tolerance_keeps_system(void **state)
{
	struct clock *c = clock_new();
	struct clock_reading r;

	(void)state;
	assert_true(clock_learn(c, CLOCK_SRC_NITZ, T2026, T2026 - 200, 0));
	clock_reading(c, T2026 - 200, 0, &r);
	assert_int_equal(r.source, CLOCK_SRC_SYSTEM);
	assert_int_equal(r.now, T2026 - 200);
	/* 301 s ahead of the network is wrong too (two-sided source) */
	clock_reading(c, T2026 + 301, 0, &r);
	assert_int_equal(r.source, CLOCK_SRC_NITZ);
	assert_int_equal(r.offset, -301);
	clock_free(c);
}

static void test_sms_is_a_lower_bound(void **state)
{
	struct clock *c = clock_new();
	struct clock_reading r;

	(void)state;
	/* an old SMS (stored for hours) says nothing about a good clock */
	assert_true(clock_learn(c, CLOCK_SRC_SMS, T2026 - 7200, T2026, 0));
	clock_reading(c, T2026, 0, &r);
	assert_int_equal(r.source, CLOCK_SRC_SYSTEM);
	/* but a clock behind the SMS is wrong */
	clock_reading(c, BOOT, 0, &r);
	assert_int_equal(r.source, CLOCK_SRC_SMS);
	assert_int_equal(r.now, T2026 - 7200);
	/* only a later SMS moves the estimate */
	assert_false(clock_learn(c, CLOCK_SRC_SMS, T2026 - 9000, BOOT, 1000));
	assert_true(clock_learn(c, CLOCK_SRC_SMS, T2026, BOOT, 1000));
	assert_int_equal(clock_now(c, BOOT, 1000), T2026);
	clock_free(c);
}

static void test_trust_order_and_staleness(void **state)
{
	struct clock *c = clock_new();
	int64_t day_ms = 86400LL * 1000;

	(void)state;
	assert_true(clock_learn(c, CLOCK_SRC_SYNC, T2026, BOOT, 0));
	assert_false(clock_learn(c, CLOCK_SRC_SMS, T2026 + 5000, BOOT, 1000));
	assert_true(clock_learn(c, CLOCK_SRC_NITZ, T2026 + 1, BOOT, 1000));
	assert_false(clock_learn(c, CLOCK_SRC_SYNC, T2026 + 9, BOOT, 2000));
	/* a day later any sample replaces the old one */
	assert_true(clock_learn(c, CLOCK_SRC_SMS, T2026 + 86500, BOOT,
				day_ms + 2000));
	assert_int_equal(clock_now(c, BOOT, day_ms + 2000), T2026 + 86500);
	/* implausible times are ignored */
	assert_false(clock_learn(c, CLOCK_SRC_NITZ, 1000, BOOT, day_ms + 3000));
	assert_false(clock_learn(c, CLOCK_SRC_NITZ, 5000000000LL, BOOT, 0));
	/* 2080-01-06: an unset modem clock read with the SCTS century */
	assert_false(clock_learn(c, CLOCK_SRC_NITZ, 3471292800LL, BOOT, 0));
	assert_false(clock_learn(c, CLOCK_SRC_SYSTEM, T2026, BOOT, 0));
	clock_free(c);
}

static void test_http_date(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(clock_parse_http_date("Wed, 03 Dec 2025 16:00:00 GMT",
					       &t), 0);
	assert_int_equal(t, T2026);
	assert_int_equal(clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT",
					       &t), 0);
	assert_int_equal(t, 784111777LL);
	assert_int_equal(clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC",
					       &t), -EINVAL);
	assert_int_equal(clock_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT",
					       &t), -EINVAL);
	assert_int_equal(clock_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT",
					       &t), -EINVAL);
	assert_int_equal(clock_parse_http_date("", &t), -EINVAL);
}

static void test_names_and_zone(void **state)
{
	time_t t = (time_t)T2026;
	struct tm tm;
	int s;

	(void)state;
	for (s = CLOCK_SRC_SYSTEM; s <= CLOCK_SRC_NITZ; s++)
		assert_int_equal(clock_source_parse(clock_source_name(s)), s);
	assert_int_equal(clock_source_parse("gps"), -1);
	/* the zone comes from the argument, not from $TZ */
	setenv("TZ", "America/New_York", 1);
	assert_int_equal(clock_use_zone("CST-8"), 0);
	assert_non_null(localtime_r(&t, &tm));
	assert_int_equal(tm.tm_hour, 0);	/* 16:00Z is midnight at +8 */
	assert_int_equal(tm.tm_gmtoff, 8 * 3600);
	assert_int_equal(clock_use_zone(""), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_sample_believes_system),
		cmocka_unit_test(test_nitz_fixes_1970),
		cmocka_unit_test(test_within_tolerance_keeps_system),
		cmocka_unit_test(test_sms_is_a_lower_bound),
		cmocka_unit_test(test_trust_order_and_staleness),
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_names_and_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
