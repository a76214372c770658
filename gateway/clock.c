/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the gateway's belief about the wall-clock time; see clock.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/clock.h"

#define CLOCK_MIN_UTC	1577836800LL	/* 2020-01-01 */
#define CLOCK_MAX_UTC	4102444800LL	/* 2100-01-01 */

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

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* @n digits at @p into @out; false unless they are all digits. */
static bool digits(const char *p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

int clock_parse_modem_time(const char *text, int64_t *utc)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int yy, mo, dd, hh, mi, ss, q = 0, sign = 1;
	const char *p = text;
	int64_t t;

	if (*p == '"')
		p++;
	if (!digits(p, 2, &yy) || p[2] != '/' || !digits(p + 3, 2, &mo) ||
	    p[5] != '/' || !digits(p + 6, 2, &dd) || p[8] != ',' ||
	    !digits(p + 9, 2, &hh) || p[11] != ':' ||
	    !digits(p + 12, 2, &mi) || p[14] != ':' ||
	    !digits(p + 15, 2, &ss))
		return -EINVAL;
	p += 17;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		q = *p++ - '0';
		if (isdigit((unsigned char)*p))
			q = q * 10 + (*p++ - '0');
		if (q > 56)
			return -EINVAL;
	}
	/* some modems add ",0" (DST) after the zone */
	if (*p == ',' && isdigit((unsigned char)p[1]))
		p += 2;
	if (*p == '"')
		p++;
	if (*p)
		return -EINVAL;
	if (mo < 1 || mo > 12 || dd < 1 || dd > mdays[mo - 1] || hh > 23 ||
	    mi > 59 || ss > 60)
		return -EINVAL;
	/* "80/01/06" is an unset modem clock (1980), not 2080 */
	t = days_from_civil(yy < 70 ? 2000 + yy : 1900 + yy, mo, dd) * 86400 +
	    hh * 3600 + mi * 60 + ss - (int64_t)sign * q * 15 * 60;
	if (t < CLOCK_MIN_UTC)
		return -EINVAL;		/* a modem clock never set */
	*utc = t;
	return 0;
}

int clock_parse_http_date(const char *text, int64_t *utc)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int dd, yyyy, hh, mi, ss, mo;
	const char *p = text, *m;

	/* IMF-fixdate (RFC 9110): "Sun, 06 Nov 1994 08:49:37 GMT" */
	if (strlen(p) != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' ||
	    p[11] != ' ' || p[16] != ' ' || p[19] != ':' || p[22] != ':' ||
	    strcmp(p + 25, " GMT"))
		return -EINVAL;
	if (!digits(p + 5, 2, &dd) || !digits(p + 12, 4, &yyyy) ||
	    !digits(p + 17, 2, &hh) || !digits(p + 20, 2, &mi) ||
	    !digits(p + 23, 2, &ss))
		return -EINVAL;
	for (m = months; *m; m += 3)
		if (!strncmp(m, p + 8, 3))
			break;
	if (!*m)
		return -EINVAL;
	mo = (int)(m - months) / 3 + 1;
	if (dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60)
		return -EINVAL;
	*utc = days_from_civil(yyyy, mo, dd) * 86400 + hh * 3600 + mi * 60 +
	       ss;
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
