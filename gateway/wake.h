/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_GATEWAY_WAKE_H
#define JIFEN_GATEWAY_WAKE_H

/*
 * wake - tell a running jifend that the store holds new work.
 *
 * A program other than jifend (jifenctl, jifen-web, jifen-sync) that
 * writes something the daemon must act on (a reply, a notice, a review's
 * notifications) commits it to the store and then calls wake_jifend():
 * the daemon looks at the store now instead of at its next health check.
 */

#include <signal.h>
#include <stdbool.h>

struct store;

/* The signal sent to the pid in status "pid"; jifend blocks it and reads
 * it from its signalfd. */
#define WAKE_SIGNAL	(SIGRTMIN + 1)

/*
 * Signal the jifend whose pid the store names, if it runs.  Best effort:
 * without permission to signal, or with no daemon running, the daemon
 * finds the work later (health check or start-up).
 */
void wake_jifend(struct store *st);

/* `jifenctl sync`: ask jifend to run jifen-sync now (jifend/syncrun.c);
 * lifts a stop after 401/403.  Returns true when a daemon was
 * signalled. */
#define WAKE_SYNC_SIGNAL	(SIGRTMIN + 2)
bool wake_jifend_sync(struct store *st);

#endif
