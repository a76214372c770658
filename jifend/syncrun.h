/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_JIFEND_SYNCRUN_H
#define JIFEN_JIFEND_SYNCRUN_H
/*
 * syncrun - jifend starts jifen-sync when a sync is due (SPEC section 7;
 * docs/SYNC.md "When jifend syncs"):
 *   - at start, every sync.interval, SYNC_DEBOUNCE_S after the event
 *     journal grew (debounced), and on `jifenctl sync` (SYNC_SIGNAL);
 *   - after a failed run (timeout, 5xx, broken connection) it backs off
 *     with full jitter from 5 s up to sync.interval (or the server's
 *     Retry-After);
 *   - after 401/403 (or a configuration error) it stops until the token
 *     file changes (looked at once per sync.interval), the configuration
 *     is reloaded, or an operator runs `jifenctl sync`;
 *   - never more than one run; a run still going after the limit is
 *     killed (SIGKILL) and counts as a failure.
 * The child's end is seen on a pipe it holds (POLLHUP in the daemon's
 * one poll loop); nothing polls.  With sync.url empty this module has no
 * fd and no deadline: nothing about sync wakes the daemon.
 */
#include <signal.h>
#include <stdint.h>

#include "config/config.h"
#include "gateway/wake.h"
#include "jifend/loop.h"
#include "storage/store.h"

/* jifenctl sync: run one now (gateway/wake.h wake_jifend_sync). */
#define SYNC_SIGNAL		WAKE_SYNC_SIGNAL
#define SYNC_DEBOUNCE_S		30
#define SYNC_BACKOFF_MIN_S	5
#define SYNC_RUN_LIMIT_S	600	/* $JIFEN_SYNC_LIMIT overrides */
/* $JIFEN_SYNC_DEBOUNCE overrides SYNC_DEBOUNCE_S (tests) */

struct syncrun;

/*
 * A runner over ST and CFG (borrowed, must outlive it; CFG may change
 * between loop iterations, followed by syncrun_reconfigure).  The
 * program is $JIFEN_SYNC, else jifen-sync next to jifend, else
 * ../bin/jifen-sync, else jifen-sync on PATH; CONFIG_PATH is passed to
 * it with -c.  NULL on allocation failure.
 */
struct syncrun *syncrun_new(struct store *st, const struct config *cfg,
			    const char *config_path);

/* Kill a running child (SIGTERM, then wait) and free. */
void syncrun_free(struct syncrun *sr);

/* First run due now (daemon start). */
void syncrun_start(struct syncrun *sr);

/* `jifenctl sync`: clear a stop and run now (or right after the run in
 * progress). */
void syncrun_request(struct syncrun *sr);

/* Configuration reloaded: a stop is lifted, the schedule recomputed. */
void syncrun_reconfigure(struct syncrun *sr);

/* gw work hook: the journal may have grown (DATA is the syncrun). */
void syncrun_journal_hook(void *data);

extern const struct loop_source_ops syncrun_source_ops;

#endif
