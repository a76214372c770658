/* SPDX-License-Identifier: MIT */
/*
 * ctl_sim.h - "jifenctl sim ...": drive the modem simulator
 * (build/jifen-modemsim) through its control socket DEVICE.ctl.
 */
#ifndef JIFEN_GATEWAY_CTL_SIM_H
#define JIFEN_GATEWAY_CTL_SIM_H

/*
 * Run "sim send [--wait SECONDS] NUMBER TEXT" or "sim status";
 * @argv[0] is "sim".  @device is the configured modem.device (the
 * simulator's link); the control socket is @device + ".ctl".
 *
 * send: delivers TEXT as an incoming SMS from NUMBER (11-digit Chinese
 * mobile numbers become +86...), waits (default 20 s) for the next
 * complete message the daemon sends to NUMBER and prints its text.
 * status: prints the SIM slots and the network queue on one line.
 *
 * Returns the exit status: 0 success, 1 runtime error (simulator not
 * running, no reply in time; one line "jifenctl: sim ...: <why>" on
 * stderr), 2 usage error.
 */
int ctl_sim(const char *device, int argc, char **argv);

#endif
