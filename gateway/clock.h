/* SPDX-License-Identifier: MIT */
/*
 * clock.h - which wall-clock time the gateway believes (SPEC section 13).
 *
 * The board may have no battery-backed clock: it can start in 1970, or
 * be set wrong by hand.  The gateway learns the time from the network
 * and compares it with the system clock:
 *
 *   CLOCK_SRC_NITZ  the modem's network time (+CTZV/+NITZ, AT+CCLK?)
 *   CLOCK_SRC_SYNC  the sync server's Date header
 *   CLOCK_SRC_SMS   the service-centre timestamp of a received SMS: a
 *                   lower bound only (an SMS may wait in the network), so
 *                   it can show the system clock is behind, never ahead
 *
 * A sample is anchored to the monotonic clock, so a later jump of the
 * system clock does not move it.  While the system clock agrees with the
 * best sample within CLOCK_TOLERANCE_S (or there is no sample), the
 * system clock is used; otherwise the sample's time, and clock_reading()
 * says so (source, offset) for `jifenctl status`.
 *
 * Pure: every function takes the system and monotonic times as
 * arguments; no I/O, no globals (clock_use_zone() aside, which sets the
 * process's zone from village.timezone).  Deadlines stay on the
 * monotonic clock (jifend/loop.c); this module only dates things.
 */
#ifndef JIFEN_GATEWAY_CLOCK_H
#define JIFEN_GATEWAY_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* SPEC section 13: "disagrees by more than five minutes" */
#define CLOCK_TOLERANCE_S	300

/* A sample older than this (monotonic) gives way to any newer one. */
#define CLOCK_SAMPLE_STALE_S	86400

/* In order of trust: a higher source replaces a lower one. */
enum clock_source {
	CLOCK_SRC_SYSTEM = 0,
	CLOCK_SRC_SMS,
	CLOCK_SRC_SYNC,
	CLOCK_SRC_NITZ,
};

struct clock;

/* What the gateway believes now. */
struct clock_reading {
	int64_t now;			/* Unix seconds, UTC */
	enum clock_source source;	/* CLOCK_SRC_SYSTEM: the system clock */
	int64_t offset;			/* now - system clock, seconds */
};

/* Constructor (no sample yet: the system clock is believed); NULL on
 * allocation failure.  Free with clock_free(). */
struct clock *clock_new(void);
void clock_free(struct clock *c);

/*
 * clock_learn - the network said the UTC time is @utc, seen when the
 * system clock read @sys and the monotonic clock @mono_ms.  Kept when it
 * is at least as trusted as the sample held (an SMS only when it moves
 * the estimate forward), or when the held one is stale.  Implausible
 * times (before 2020, from 2070: unset modem clocks) are ignored.  True
 * when kept.
 */
bool clock_learn(struct clock *c, enum clock_source src, int64_t utc,
		 int64_t sys, int64_t mono_ms);

/* clock_reading - the time to use, from the system clock @sys and the
 * monotonic clock @mono_ms, and where it came from. */
void clock_reading(const struct clock *c, int64_t sys, int64_t mono_ms,
		   struct clock_reading *out);

/* clock_now - clock_reading()'s time alone. */
int64_t clock_now(const struct clock *c, int64_t sys, int64_t mono_ms);

/* "system", "sms", "sync", "nitz"; clock_source_parse() the reverse
 * (-1 for an unknown name). */
const char *clock_source_name(enum clock_source s);
int clock_source_parse(const char *name);

/* clock_parse_http_date - an HTTP Date header (IMF-fixdate, "Sun, 06 Nov
 * 1994 08:49:37 GMT") to Unix seconds.  0 or -EINVAL. */
int clock_parse_http_date(const char *text, int64_t *utc);

/*
 * clock_use_zone - make local time (localtime_r, mktime, strftime) use
 * @tz, whatever the system's zone or $TZ.  Called at start-up and on
 * reload by every program that dates things.  0 or -errno.
 */
int clock_use_zone(const char *tz);

#endif /* JIFEN_GATEWAY_CLOCK_H */
