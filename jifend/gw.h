/* SPDX-License-Identifier: MIT */
/*
 * gw.h - the gateway pipeline: the one place where the modem engine,
 * the store and the handlers meet.
 *
 *   modem  --sms batch-->  store_inbox_add (one transaction, commit)
 *          <--modem_delete-- only after the commit
 *   store_inbox_next_ready --> handler_sms + store_inbox_done (one
 *          transaction: effects, reply, "processed" commit together)
 *   store_outbox_next_due --> modem_send_pdu --> part sent / retry
 *
 * Timers (outbox retries, reassembly deadline, end of 公示, pruning)
 * are one-shot deadlines computed from the store after every change:
 * nothing runs on a fixed tick.
 */
#ifndef JIFEN_GATEWAY_GW_H
#define JIFEN_GATEWAY_GW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jifend/loop.h"
#include "storage/store.h"

struct gw;

/*
 * A gateway over @st with the configuration @cfg.  Both are borrowed
 * and must outlive the gateway; @cfg may be updated in place between
 * loop iterations, followed by gw_reconfigure().  NULL on failure.
 */
struct gw *gw_new(struct store *st, const struct config *cfg);
void gw_free(struct gw *gw);

/*
 * The loop to stop when the database is lost (deleted, replaced or
 * corrupt while running): gw_failed() then says so, and jifend exits
 * non-zero for the supervisor.  Borrowed.
 */
void gw_set_loop(struct gw *gw, struct loop *loop);
bool gw_failed(const struct gw *gw);

/*
 * Test hook for the fault build (jifend/fault.c, "clock:N:ahead"): the
 * gateway's wall clock runs @seconds ahead of the system clock, so a
 * test can make the clock jump without touching the machine's.  0 (the
 * default) turns it off.
 */
void gw_fault_clock(int64_t seconds);

/* Open the modem and process what the store still holds. */
int gw_start(struct gw *gw);

/* The loop source (fd of the modem, deadlines of everything). */
extern const struct loop_source_ops gw_source_ops;

/* Look at the store now: another program queued work (WAKE_SIGNAL,
 * gateway/wake.h). */
void gw_kick(struct gw *gw);

/* Call FN(DATA) after each round of store work (messages handled,
 * reviews applied): jifend/syncrun.c looks whether the event journal
 * grew.  NULL removes it. */
void gw_set_work_hook(struct gw *gw, void (*fn)(void *data), void *data);

/* Apply a reloaded configuration (SIGHUP). */
void gw_reconfigure(struct gw *gw);

/* Write the modem status and queue counts for `jifenctl status`. */
void gw_write_status(struct gw *gw);

#endif
