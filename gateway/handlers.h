/* SPDX-License-Identifier: MIT */
/*
 * handlers.h - what the gateway does with one inbound SMS (SPEC section
 * 6): the permission and anti-loop rules, the effects in the store, the
 * reply and the households' notifications, all queued through outq.
 *
 * Every function runs INSIDE the caller's transaction (store_begin ...
 * store_commit): it only reads and writes through the store, never
 * commits, and returns 0 or -errno; on -errno the caller rolls back
 * (nothing of the message's handling survives) and retries later.  No
 * logging: the outcome comes back in a result struct for the caller to
 * log.  Time is passed in (the gateway's belief, gateway/clock.h);
 * "today" and quiet hours use local time (localtime_r) in
 * village.timezone, which every program sets with clock_use_zone().
 *
 * Decisions documented here (SPEC leaves them open):
 *  - 利率 without a principal quotes the rate and discount only (and
 *    suggests "利率 30"); with one it adds the interest saved.
 *  - A phone bound to several households: 积分, 利率 and 明细 answer for
 *    all of them (名字 in front), 说事 files the matter for the first
 *    (by household id).  A member of any of them who is committee in one
 *    membership is committee.
 *  - Beyond sms.per_number_per_hour replies an hour, a message is not
 *    acted on at all (no effect, no reply): a flood costs nothing.
 *  - Binary (8-bit) messages are ignored silently.
 *  - 确认/驳回 from a phone that may not review gets the same reply as a
 *    record number that does not exist.  A committee member's own
 *    household's item is refused with "another member must review it".
 *  - With committee.require_pin only approvals need the PIN; a wrong or
 *    missing PIN changes nothing.
 */
#ifndef JIFEN_GATEWAY_HANDLERS_H
#define JIFEN_GATEWAY_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "gateway/cmd.h"
#include "gateway/outq.h"
#include "gateway/reply.h"
#include "storage/msgq.h"
#include "storage/store.h"
#include "storage/village.h"

/* Duplicate rule: the same text from the same number within this many
 * seconds is answered once. */
#define HANDLER_DUP_WINDOW	600

struct handler_ctx {
	struct store *st;		/* borrowed, open */
	const struct config *cfg;	/* borrowed, read-only */
	int64_t now;			/* wall clock, Unix seconds UTC */
};

/* Why a message got no reply (or HANDLER_REPLIED when it got one). */
enum handler_outcome {
	HANDLER_REPLIED = 0,
	HANDLER_SILENT_ALNUM,		/* alphanumeric sender */
	HANDLER_SILENT_SERVICE,		/* operator / service number */
	HANDLER_SILENT_OWN,		/* the gateway's own number */
	HANDLER_SILENT_LOOP,		/* loop guard: 20 messages in 5 min */
	HANDLER_SILENT_RATE,		/* sms.per_number_per_hour reached */
	HANDLER_SILENT_DUPLICATE,	/* same text within 10 minutes */
	HANDLER_SILENT_UNKNOWN,		/* unknown number, hint budget used */
	HANDLER_SILENT_BINARY,		/* 8-bit data message */
};

/* "replied", "alphanumeric", "service", "own-number", "loop-guard",
 * "rate-limited", "duplicate", "unknown-number", "binary". */
const char *handler_outcome_name(enum handler_outcome o);

/* What handler_sms did, for the caller's log.  Plain values only. */
struct handler_result {
	enum cmd_kind kind;		/* parsed command (CMD_UNKNOWN if the
					 * message was not parsed) */
	enum cmd_err err;		/* parser's complaint, CMD_OK if none */
	enum handler_outcome outcome;
	bool known;			/* sender has a membership */
	bool committee;
	long long reply_id;		/* outbox id of the reply, 0 if none */
	int notified;			/* notifications queued (确认/驳回) */
};

/*
 * Handle one inbound message MSG (stored, deduplicated, reassembled; not
 * yet marked done: call this BEFORE store_inbox_done for it, so the
 * duplicate rule does not see the message itself).  Applies the effects,
 * queues at most one reply (in_reply_to = MSG->id) and any
 * notifications.  Returns 0 (*OUT, may be NULL, says what happened) or
 * -errno from the store (the caller rolls back and retries later).
 */
int handler_sms(const struct handler_ctx *ctx,
		const struct store_inbox_msg *msg, struct handler_result *out);

/*
 * The same for an interactive front end (USSD, jifen-web): the reply is
 * written to REPLY (LEN bytes, cut at a character boundary) instead of
 * being queued as an SMS, and the duplicate-SMS rule is skipped (a menu
 * choice is not a network redelivery).  Everything else - rules,
 * effects, notifications to others (queued) - is handler_sms's.  REPLY
 * stays "" when the outcome is not HANDLER_REPLIED.
 */
int handler_sms_capture(const struct handler_ctx *ctx,
			const struct store_inbox_msg *msg,
			struct handler_result *out, char *reply, size_t len);

/* Who reviews from the operator's console (jifenctl review). */
#define HANDLER_BY_CONSOLE	"console"

struct handler_review_result {
	/* DONE, ALREADY, CONFLICT, NOT_FOUND, OWN_HOUSEHOLD, PIN_NEEDED,
	 * PIN_WRONG or NOT_COMMITTEE (the SMS reply words NOT_COMMITTEE
	 * like NOT_FOUND). */
	enum reply_review_result result;
	struct store_record rec;	/* the record after the call when it
					 * exists and the reviewer may see it,
					 * else zeroed */
	int notified;			/* notifications queued on DONE */
};

/*
 * Review record NO: BY is the reviewer's phone number or
 * HANDLER_BY_CONSOLE (the operator: no committee, household or PIN
 * checks).  A phone must be a committee member, not of the record's
 * household, and with committee.require_pin an approval needs PIN (NULL
 * or "" when not given).  A rejection needs a non-empty REASON (else
 * -EINVAL, nothing done).  On DONE the record's household phones with
 * notifications on are told (STORE_OUT_NOTIFY, held in quiet hours).
 * Returns 0 with *OUT filled, or -errno.
 */
int handler_review(const struct handler_ctx *ctx, const char *by,
		   long long no, enum store_decision d, const char *reason,
		   const char *pin, struct handler_review_result *out);

/*
 * Close 公示: store_records_finalize_due at ctx->now, then tell each
 * finalised record's household phones (notifications on, loop guard
 * allowed) with its new total.  *COUNT (may be NULL) gets the number of
 * records finalised.  The caller holds the transaction.  0 or -errno.
 */
int handler_finalize_due(const struct handler_ctx *ctx, long *count);

#endif
