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
 *    acted on at all (no effect, no reply): a flood costs nothing.  A
 *    committee member's 确认/驳回/回复/办结 always take effect; past the
 *    cap (or the loop guard) their confirmations go into one merged SMS
 *    sent HANDLER_MERGE_DELAY seconds later (replaced while unsent).
 *  - The loop guard trips on machine patterns: the same text
 *    HANDLER_SAME_MAX times in HANDLER_SAME_WINDOW seconds, or more
 *    than HANDLER_FLOOD_PER_MIN messages a minute, or the outbound
 *    guard of outq_allowed (20 messages in 5 minutes to the number).
 *    A question asked again is answered again.
 *  - 确认 17 18 [PIN]: without committee.require_pin a trailing 4-8
 *    digit number is a PIN only when it is the member's PIN, else one
 *    more record number.
 *  - Committee duty messages (a 说事 to each member, an objection, a PIN
 *    lockout, the morning digest) ignore 退订; notices (通知) and
 *    approval/rejection notifications honour it.
 *  - Objections (异议) may come from any bound phone for any item in
 *    公示; the committee, the item's household and, after the decision,
 *    each objector are told.
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
#include "gateway/loan.h"
#include "gateway/outq.h"
#include "gateway/reply.h"
#include "storage/msgq.h"
#include "storage/store.h"
#include "storage/village.h"

/* Loop guard (machine patterns only): the same text this many times in
 * HANDLER_SAME_WINDOW seconds, or HANDLER_FLOOD_PER_MIN messages in one
 * minute, from one number. */
#define HANDLER_SAME_MAX	5
#define HANDLER_SAME_WINDOW	600
#define HANDLER_FLOOD_PER_MIN	40

/* Confirmations merged past the hourly cap wait this long for more. */
#define HANDLER_MERGE_DELAY	30

/* committee.pin_tries wrong PINs lock PIN approvals this long. */
#define HANDLER_PIN_LOCK_S	3600

/* A drafted 通知 can be sent this long after the draft. */
#define HANDLER_NOTICE_TTL	3600

/* Failed handlings of one message before the apology. */
#define HANDLER_FAIL_MAX	3

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
	HANDLER_SILENT_DUPLICATE,	/* unused since the inbox key handles
					 * network duplicates (kept for the
					 * log names) */
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
 * loop guard does not count the message itself).  Applies the effects,
 * queues at most one reply (in_reply_to = MSG->id; past the hourly cap a
 * member's confirmation goes into the merged SMS instead) and any
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

/*
 * 回复 / 办结 from the console (jifenctl matter answer|close) or SMS:
 * ANSWER non-NULL answers matter NO (the villager gets it at once,
 * signed 村委会), NULL closes it (the villager is told).  BY: phone or
 * HANDLER_BY_CONSOLE.  *FOUND false: no such open matter.  0 or -errno.
 */
int handler_matter(const struct handler_ctx *ctx, const char *by,
		   long long no, const char *answer, bool *found);

/*
 * A notice (通知) to one phone per live household (COMMITTEE_ONLY: to
 * the committee members), honouring 退订, the loop guard and quiet hours
 * (held until they end).  handler_notice_count only counts households
 * and SMS; handler_notice sends at once (the console's confirmed
 * notice; by SMS the member confirms with 确认发送 CODE first).
 * -EDQUOT when sms.broadcasts_per_day notices went out today.
 */
int handler_notice_count(const struct handler_ctx *ctx, bool committee_only,
			 const char *text, long *households, long *sms);
int handler_notice(const struct handler_ctx *ctx, const char *by,
		   bool committee_only, const char *text, long *households,
		   long *sms, long *held);

/*
 * Handling MSG failed with ERR (rolled back; call in a new
 * transaction): count it; after HANDLER_FAIL_MAX failures queue a short
 * apology as the message's reply, note it for `jifenctl status` and set
 * *GAVE_UP (the caller then marks the message done).  0 or -errno.
 */
int handler_failed(const struct handler_ctx *ctx,
		   const struct store_inbox_msg *msg, int err, bool *gave_up);

/*
 * The morning digest: once a local day at or after
 * committee.digest_time, each committee member with something waiting
 * (items to review, objections, open matters) gets one SMS.  *SENT (may
 * be NULL) gets the count, *NEXT the next time it is due (-1: digest
 * off), so the daemon arms a one-shot timer.  0 or -errno.
 */
int handler_digest(const struct handler_ctx *ctx, int *sent, int64_t *next);

/* The loan policy of the config (loan.*), for quotes outside SMS (the
 * household statement). */
void handler_loan_policy(const struct config *cfg, struct loan_policy *p);

#endif
