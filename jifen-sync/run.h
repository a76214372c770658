/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_RUN_H
#define JIFEN_SYNC_RUN_H
/*
 * run - one sync: the online exchange (push the oldest waiting events,
 * apply the answer, repeat while there is more), the bundle export and
 * the bundle import.  Each returns the exit status of jifen-sync, which
 * jifend reads to decide when to run again (docs/SYNC.md):
 */
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jifen-sync/transport.h"
#include "storage/store.h"

enum sync_exit {
	SYNC_EXIT_OK = 0,	/* done: next run at sync.interval */
	SYNC_EXIT_FAIL = 1,	/* local failure (store): retry later */
	SYNC_EXIT_USAGE = 2,	/* bad command line */
	SYNC_EXIT_REFUSED = 65,	/* bundle refused (twice, wrong village,
				 * truncated, altered): nothing changed */
	SYNC_EXIT_RETRY = 75,	/* timeout, 5xx, broken connection, bad
				 * answer, another run busy: back off */
	SYNC_EXIT_AUTH = 77,	/* 401/403: stop until token/config
				 * change or `jifenctl sync` */
	SYNC_EXIT_CONFIG = 78,	/* sync off or misconfigured (url,
				 * token file, CA file) */
};

#define RUN_MAX_ROUNDS 500	/* requests per run (100,000 events) */

struct run_ctx {
	const struct config *cfg;
	struct store *st;
	const struct transport_ops *tr;
	char token[512];
	char gateway[64];
	int max_rounds;
	long timeout_s;		/* total per request */
};

struct run_report {
	long sent, accepted, rejected, changes, skipped, ignored, told;
	int rounds;
	uint64_t bytes_up, bytes_down, body_bytes;
	long retry_after;
	char error[1024];	/* "" when the run succeeded */
	char warning[256];
};

/* This gateway's id (a UUID made once and kept in sync_state). */
int run_gateway_id(struct store *st, char out[64]);

/* Read sync.token_file into ctx->token (trimmed; one line of printable
 * ASCII).  0, or -errno with REP->error set. */
int run_load_token(struct run_ctx *ctx, struct run_report *rep);

int run_online(struct run_ctx *ctx, struct run_report *rep);
int run_export(struct run_ctx *ctx, const char *path,
	       struct run_report *rep);
int run_import(struct run_ctx *ctx, const char *path,
	       struct run_report *rep);

/* Record the outcome in sync_state (last_sync, last_error, ...). */
void run_record(struct run_ctx *ctx, int code, const struct run_report *rep);

#endif
