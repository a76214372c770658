/* SPDX-License-Identifier: MIT */
/*
 * notify.h - tell systemd about the daemon's state (Type=notify).
 *
 * The protocol is one datagram of "KEY=VALUE" lines to the AF_UNIX
 * socket named by $NOTIFY_SOCKET (see sd_notify(3)).  Written here
 * rather than linking libsystemd, which pulls six libraries and about
 * 1 MiB of resident memory into a daemon that needs one sendto().
 */
#ifndef JIFEN_GATEWAY_NOTIFY_H
#define JIFEN_GATEWAY_NOTIFY_H

#include <stdint.h>

/*
 * Send @state (e.g. "READY=1", "STOPPING=1") to the service manager.
 * 0 when sent or when not started by systemd ($NOTIFY_SOCKET unset),
 * else -errno.
 */
int notify_send(const char *state);

/*
 * The systemd watchdog (WatchdogSec= in the unit): the interval in
 * milliseconds from $WATCHDOG_USEC when $WATCHDOG_PID is unset or this
 * process, else 0 (no watchdog).  The daemon must send "WATCHDOG=1"
 * more often than that; jifend pings from its loop (see jifend.c).
 */
int64_t notify_watchdog_ms(void);

#endif
