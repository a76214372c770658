/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_APPLY_H
#define JIFEN_SYNC_APPLY_H
/*
 * apply - a parsed platform response into the store, in ONE transaction:
 * accepted events dropped, rejected ones moved to the rejected list,
 * changes applied in order (households and members, records, the loan
 * policy), the cursor and the time of the sync stored.  Either all of it
 * commits or nothing does, so a crash or a broken connection at any
 * point loses and duplicates nothing (the events are sent again and the
 * platform ignores a repeated id).
 *
 * A record decided both by SMS and on the platform ends in the
 * platform's state; the committee member whose SMS decision lost gets an
 * SMS, queued in the same transaction (the caller wakes jifend after).
 */
#include <stdint.h>

#include "config/config.h"
#include "jifen-sync/wire.h"
#include "storage/store.h"

struct apply_stats {
	long accepted;		/* events dropped as accepted */
	long rejected;		/* events moved to the rejected list */
	long changes;		/* changes applied */
	long skipped;		/* changes that could not be applied */
	long told;		/* overruled members told by SMS */
	char warning[256];	/* the last skipped change, "" if none */
};

/*
 * Apply R at NOW.  BUNDLE_ID non-NULL: an offline bundle, remembered in
 * the same transaction so a second import is refused.  A change that
 * cannot be applied (a record of an unknown household, a bad phone
 * number) is skipped and counted, never blocks the rest.  Returns 0 with
 * *OUT filled, or -errno with nothing changed.
 */
int apply_response(struct store *st, const struct config *cfg,
		   const struct wire_response *r, int64_t now,
		   const char *bundle_id, struct apply_stats *out);

/* The loan policy in force: the platform's when stored, else the
 * config's loan keys. */
void apply_current_policy(struct store *st, const struct config *cfg,
			  struct wire_policy *p);

#endif
