/* SPDX-License-Identifier: MIT */
/*
 * clockshift.c - LD_PRELOAD shim for the wrong-clock test
 * (tests/e2e/test_clock.py): the process's system clock reads
 * $JIFEN_CLOCK_SHIFT seconds off (e.g. a board that boots in 1970).
 * clock_gettime(CLOCK_REALTIME*), time() and gettimeofday() are shifted;
 * the monotonic clocks are not, as on a board whose RTC is wrong.
 *
 * Built with the program's own flags, so on 32-bit ARM with 64-bit
 * time_t its functions take the names glibc redirects to
 * (__clock_gettime64 ...) and the dlsym() names follow.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#if defined(__USE_TIME_BITS64) && __TIMESIZE == 32
#define SYM(name)	"__" name "64"
#else
#define SYM(name)	name
#endif

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);

static long long shift(void)
{
	const char *s = getenv("JIFEN_CLOCK_SHIFT");

	return s ? strtoll(s, NULL, 10) : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static gettime_fn real;
	int rc;

	if (!real)
		real = (gettime_fn)dlsym(RTLD_NEXT, SYM("clock_gettime"));
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)shift();
	return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static gettimeofday_fn real;
	int rc;

	if (!real)
		real = (gettimeofday_fn)dlsym(RTLD_NEXT, SYM("gettimeofday"));
	rc = real(tv, tz);
	if (rc == 0)
		tv->tv_sec += (time_t)shift();
	return rc;
}

time_t time(time_t *out)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return (time_t)-1;
	if (out)
		*out = ts.tv_sec;
	return ts.tv_sec;
}
