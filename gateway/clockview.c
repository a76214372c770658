/* SPDX-License-Identifier: MIT */
/*
 * clockview - the time jifend believes, read back from its status (see
 * clockview.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/clock.h"
#include "gateway/clockview.h"
#include "storage/status.h"
#include "storage/store.h"

int64_t clockview_now(struct store *st)
{
	char src[16], off[32];
	int64_t now = (int64_t)time(NULL);
	char *end;
	long long o;

	if (store_status_get(st, STATUS_CLOCK_SOURCE, src, sizeof(src)) < 0 ||
	    !strcmp(src, clock_source_name(CLOCK_SRC_SYSTEM)) ||
	    store_status_get(st, STATUS_CLOCK_OFFSET, off, sizeof(off)) < 0)
		return now;
	o = strtoll(off, &end, 10);
	return end == off || *end ? now : now + o;
}
