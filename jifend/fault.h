/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault injection for the test build of the daemon only.
 *
 * `make build/fault/jifend` compiles every daemon source with
 * -DJIFEN_FAULTS and adds jifend/fault.c; jifend.c then calls
 * fault_init() once, after the store and the loop exist.  The regular
 * build/jifend contains none of this (the hooks it arms, the store's
 * store_fault_after() and the port's port_fault_after(), are always
 * compiled but stay disarmed).  See docs/ROBUSTNESS.md and
 * tests/e2e/test_faultloop.py.
 *
 * A fault list is comma-separated items KIND:N:ERR:
 *   step:N:ioerr|busy|full|locked|nomem|corrupt
 *           the Nth sqlite3_step() of the store from now returns
 *           SQLITE_IOERR, SQLITE_BUSY, ... instead of running, once
 *   read:N:eio|enodev|epipe    the Nth port_read() from now fails
 *   write:N:eio|enodev|epipe   the Nth port_write() from now fails
 *   clock:N:ahead  the gateway's wall clock runs N seconds ahead of the
 *           system clock from now on (0: back to the system clock), for
 *           clock-jump tests (gw_fault_clock)
 * e.g. JIFEN_FAULT="step:7:ioerr" or "write:5:eio,read:9:eio".  N >= 1;
 * N = 0 disarms that hook.  A later item for the same hook replaces
 * the earlier one (each hook holds one armed fault).
 *
 * Sources of fault lists:
 *   $JIFEN_FAULT        armed by fault_init() at start-up;
 *   $JIFEN_FAULT_FILE   read and armed on every SIGUSR2, so a test can
 *                       arm fault after fault in one running daemon at a
 *                       moment it chooses (an idle daemon makes no
 *                       store steps and no port I/O, so N then counts
 *                       exactly the steps of what the test does next).
 *                       An empty file arms nothing.
 * Every arming logs, at notice level, one line
 *   "fault: armed step:7:ioerr (store steps so far 1234)"
 * or "fault: nothing armed (store steps so far 1234)", so a test can
 * both wait for the arming and measure how many steps some work took.
 * A malformed list is logged and nothing of it is armed.
 */
#ifndef JIFEN_GATEWAY_FAULT_H
#define JIFEN_GATEWAY_FAULT_H

#include "jifend/loop.h"
#include "storage/store.h"

/*
 * Arm $JIFEN_FAULT against @st and the port layer, and add a SIGUSR2
 * source to @loop (SIGUSR2 is blocked and read through a signalfd).
 * @st and @loop are borrowed and must outlive the loop run.  0, or
 * -errno when the signalfd cannot be made (faults from the environment
 * are armed anyway); -EINVAL when $JIFEN_FAULT is malformed.
 */
int fault_init(struct store *st, struct loop *loop);

#endif
