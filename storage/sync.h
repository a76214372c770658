/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_SYNC_H
#define JIFEN_STORAGE_SYNC_H
/*
 * What the store keeps for sync with the platform (SPEC section 7), part
 * of the store module (see store.h for the conventions): events the
 * platform rejected (kept and listed, never silently dropped), the ids
 * of imported bundles (an import is refused the second time), the loan
 * policy the platform sent (used instead of the config's loan keys), and
 * small lookups the sync client and jifend need.  The cursor and the
 * sync status live in the sync_state key/values (store_state_set).
 *
 * No JSON here: jifen-sync owns the wire format.
 */
#include <stdbool.h>
#include <stdint.h>

#include "storage/store.h"
#include "storage/village.h"

/*
 * Move event ID from the journal to the rejected list with REASON (the
 * server's words) at NOW.  An id no longer in the journal is ignored
 * (0): a response applied twice changes nothing.
 */
int store_event_reject(struct store *st, const char *id, const char *reason,
		       int64_t now);

/* Rejected events, newest first, at most LIMIT (<= 0: all).  CB gets the
 * borrowed event, the reason and when it was rejected. */
typedef int (*store_rejected_cb)(const struct store_event *e,
				 const char *reason, int64_t rejected_at,
				 void *data);
int store_rejected_list(struct store *st, int limit, store_rejected_cb cb,
			void *data);

/* Number of rejected events kept. */
int store_rejected_count(struct store *st, long *n);

/* Sequence number of the newest event ever journalled (0 if none):
 * jifend compares it to notice that the journal grew. */
int store_events_last_seq(struct store *st, int64_t *seq);

/* Whether bundle ID was imported already (*SEEN), and remembering it
 * (KIND "response"; in the importing transaction). */
int store_bundle_seen(struct store *st, const char *id, bool *seen);
int store_bundle_mark(struct store *st, const char *id, const char *kind,
		      int64_t now);

/*
 * The loan policy the platform sent: the same keys as the config's loan
 * section.  MODE 0 linear, 1 step; SCORE 0 final, 1 approved (the
 * config's enum values).  get: -ENOENT while the platform has sent none
 * (the config's keys apply).
 */
struct store_loan_policy {
	double base_rate;
	int mode;
	int step_points;
	double step_discount;
	double max_discount;
	double floor_rate;
	int score;
	int64_t updated_at;
};
int store_policy_set(struct store *st, const struct store_loan_policy *p,
		     int64_t now);
int store_policy_get(struct store *st, struct store_loan_policy *out);

/*
 * The local state of the record with global id GID, for applying a
 * platform change: its short number, status and who reviewed it ("" if
 * nobody; BY holds LEN bytes).  -ENOENT when unknown.
 */
int store_record_find_gid(struct store *st, const char *gid, long long *no,
			  enum store_rstatus *status, char *by, size_t len);

#endif
