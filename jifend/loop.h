/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the daemon's one poll() loop, driven by deadlines.
 *
 * Each source (modem, gateway timers, signals, USSD listener) tells the
 * loop which fd to watch and its earliest deadline; the poll timeout is
 * the earliest deadline of all sources, or infinite.  There is no tick:
 * an idle daemon sleeps until a byte arrives or a deadline is due.
 * Times are CLOCK_MONOTONIC milliseconds.
 */
#ifndef JIFEN_GATEWAY_LOOP_H
#define JIFEN_GATEWAY_LOOP_H

#include <stdint.h>

struct loop;

struct loop_source_ops {
	int (*fd)(void *data);			/* -1: no fd to watch now */
	short (*events)(void *data);		/* POLLIN, POLLOUT ... */
	void (*dispatch)(void *data, short revents, int64_t now_ms);
	int64_t (*deadline)(void *data);	/* -1: none */
	void (*timeout)(void *data, int64_t now_ms);
	/*
	 * Optional: called after every return of poll(), so a source can
	 * do periodic work on wakeups that happen anyway (the systemd
	 * watchdog ping rides on the health checks) instead of adding its
	 * own.
	 */
	void (*after_wake)(void *data, int64_t now_ms);
};

/* Monotonic clock in milliseconds. */
int64_t loop_now(void);

/* Constructor; NULL on allocation failure. */
struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Add a source; @ops and @data are borrowed and must outlive the loop. */
int loop_add(struct loop *loop, const struct loop_source_ops *ops,
	     void *data);

/* Run until loop_quit(); returns 0, or -errno if poll() fails. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop);

#endif
