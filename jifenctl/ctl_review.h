/* SPDX-License-Identifier: MIT */
/*
 * ctl_review.h - `jifenctl review ID approve|reject [REASON]` (SPEC
 * section 5): the committee's review from the operator's console, with
 * the same rules as by SMS (handler_review, reviewer "console"): a
 * repeat is harmless, a conflicting decision is refused, a rejection
 * needs a reason, the household's phones are notified (held in quiet
 * hours).
 */
#ifndef JIFEN_GATEWAY_CTL_REVIEW_H
#define JIFEN_GATEWAY_CTL_REVIEW_H

#include "config/config.h"
#include "storage/store.h"

/*
 * ST: the open store (borrowed, not closed).  CFG: the loaded
 * configuration (publicity_days, sms.*).  ARGV[0] is "review", then ID,
 * "approve" or "reject", and the REASON (the remaining words joined by
 * spaces; required for reject).  Runs in one transaction.  Prints one
 * line on stdout on success.  Returns the exit status: 0 done or already
 * done, 1 runtime error (no such record, decided otherwise, store
 * error), 2 usage error; every error is one "jifenctl: ..." line on
 * stderr.
 */
int ctl_review(struct store *st, const struct config *cfg, int argc,
	       char **argv);

#endif
