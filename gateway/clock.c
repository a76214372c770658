/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the gateway's belief about the wall-clock time; see clock.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/clock.h"

#define CLOCK_MIN_UTC	1577836800LL	/* 2020-01-01 */
#define CLOCK_MAX_UTC	3155760000LL	/* 2070-01-01: "70/01/01" and
					 * "80/01/06" are unset modem clocks */

struct clock {
	bool have;
	enum clock_source src;
	int64_t utc;		/* the network's time ... */
	int64_t mono_ms;	/* ... at this monotonic instant */
};

struct clock *clock_new(void)
{
	return calloc(1, sizeof(struct clock));
}

void clock_free(struct clock *c)
{
	free(c);
}

/* The held sample's time at @mono_ms. */
static int64_t sample_now(const struct clock *c, int64_t mono_ms)
{
	int64_t d = mono_ms - c->mono_ms;

	/* floor division: a sample taken later than @mono_ms (a caller's
	 * stale reading) still gives a consistent second */
	return c->utc + (d >= 0 ? d / 1000 : -((-d + 999) / 1000));
}

bool clock_learn(struct clock *c, enum clock_source src, int64_t utc,
		 int64_t sys, int64_t mono_ms)
{
	bool stale;

	(void)sys;
	if (src == CLOCK_SRC_SYSTEM || utc < CLOCK_MIN_UTC ||
	    utc > CLOCK_MAX_UTC)
		return false;
	stale = c->have &&
		mono_ms - c->mono_ms > (int64_t)CLOCK_SAMPLE_STALE_S * 1000;
	if (c->have && !stale) {
		if (src < c->src)
			return false;
		/* an SMS timestamp is a lower bound: keep the latest one */
		if (src == CLOCK_SRC_SMS && c->src == CLOCK_SRC_SMS &&
		    utc <= sample_now(c, mono_ms))
			return false;
	}
	c->have = true;
	c->src = src;
	c->utc = utc;
	c->mono_ms = mono_ms;
	return true;
}

void clock_reading(const struct clock *c, int64_t sys, int64_t mono_ms,
		   struct clock_reading *out)
{
	int64_t est, diff;
	bool wrong;

	out->now = sys;
	out->source = CLOCK_SRC_SYSTEM;
	out->offset = 0;
	if (!c || !c->have)
		return;
	est = sample_now(c, mono_ms);
	diff = est - sys;
	if (c->src == CLOCK_SRC_SMS)
		wrong = diff > CLOCK_TOLERANCE_S;	/* behind only */
	else
		wrong = diff > CLOCK_TOLERANCE_S || diff < -CLOCK_TOLERANCE_S;
	if (!wrong)
		return;
	out->now = est;
	out->source = c->src;
	out->offset = diff;
}

int64_t clock_now(const struct clock *c, int64_t sys, int64_t mono_ms)
{
	struct clock_reading r;

	clock_reading(c, sys, mono_ms, &r);
	return r.now;
}

static const char *const source_names[] = {
	[CLOCK_SRC_SYSTEM] = "system",
	[CLOCK_SRC_SMS] = "sms",
	[CLOCK_SRC_SYNC] = "sync",
	[CLOCK_SRC_NITZ] = "nitz",
};

const char *clock_source_name(enum clock_source s)
{
	if ((unsigned)s >= sizeof(source_names) / sizeof(source_names[0]))
		return "?";
	return source_names[s];
}

int clock_source_parse(const char *name)
{
	unsigned i;

	for (i = 0; i < sizeof(source_names) / sizeof(source_names[0]); i++)
		if (!strcmp(name, source_names[i]))
			return (int)i;
	return -1;
}

int clock_parse_http_date(const char *text, int64_t *utc)
{
	struct tm tm;
	const char *end;
	time_t t;

	/* IMF-fixdate (RFC 9110): "Sun, 06 Nov 1994 08:49:37 GMT"; the
	 * C locale's day and month names are the HTTP ones */
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end || strlen(text) != 29)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*utc = (int64_t)t;
	return 0;
}

int clock_use_zone(const char *tz)
{
	/* glibc reads a tz database file of that name, else parses a
	 * POSIX string; config/ checked it is one of the two */
	if (!tz || !tz[0])
		return -EINVAL;
	if (setenv("TZ", tz, 1) < 0)
		return -errno;
	tzset();
	return 0;
}
