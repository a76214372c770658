/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_GATEWAY_CLOCKVIEW_H
#define JIFEN_GATEWAY_CLOCKVIEW_H

/*
 * clockview - the wall-clock time jifend believes, for the programs that
 * date things beside it (jifenctl, jifen-web).
 *
 * jifend learns the time from the network (gateway/clock.h: NITZ, the
 * sync server's Date, SMS time stamps) and, when the system clock is
 * unset or wrong, writes where the time came from and how far the system
 * clock is off to its status (STATUS_CLOCK_SOURCE, STATUS_CLOCK_OFFSET).
 * A front end that writes a record, a 公示 deadline, an outgoing message
 * or an audit row dates it with clockview_now(), so that it agrees with
 * what the daemon writes.
 */

#include <stdint.h>

struct store;

/*
 * clockview_now - Unix seconds: the system clock plus the offset jifend
 * recorded, or the system clock alone while jifend believes it (source
 * "system") or has recorded nothing readable.
 */
int64_t clockview_now(struct store *st);

#endif /* JIFEN_GATEWAY_CLOCKVIEW_H */
