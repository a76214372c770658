/* SPDX-License-Identifier: MIT */
/*
 * wake - signal a running jifend (see wake.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "gateway/wake.h"
#include "storage/status.h"
#include "storage/store.h"

static bool signal_jifend(struct store *st, int sig)
{
	char pid[32], state[32];
	long n;

	if (store_status_get(st, STATUS_PID, pid, sizeof(pid)) < 0 ||
	    store_status_get(st, STATUS_MODEM_STATE, state, sizeof(state)) < 0 ||
	    !strcmp(state, STATUS_STOPPED))
		return false;
	n = strtol(pid, NULL, 10);
	return n > 1 && kill((pid_t)n, sig) == 0;
}

void wake_jifend(struct store *st)
{
	signal_jifend(st, WAKE_SIGNAL);
}

bool wake_jifend_sync(struct store *st)
{
	return signal_jifend(st, WAKE_SYNC_SIGNAL);
}
