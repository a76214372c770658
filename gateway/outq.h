/* SPDX-License-Identifier: MIT */
/*
 * outq.h - put one text for one number into the store outbox as encoded
 * SMS-SUBMIT parts, and the loop guard that decides whether a number may
 * be sent to at all (SPEC sections 6 and 8).
 *
 * No logging, no globals.  Every function takes the open store (borrowed)
 * and joins the caller's transaction if one is open (store_begin): the
 * handler's effects, its reply and its notifications commit together.
 * Strings are borrowed for the call only.  Time is passed in (Unix
 * seconds, UTC); local time (quiet hours) is taken with localtime_r()
 * in village.timezone (clock_use_zone(), gateway/clock.h).
 */
#ifndef JIFEN_GATEWAY_OUTQ_H
#define JIFEN_GATEWAY_OUTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "storage/msgq.h"
#include "storage/store.h"

/* Loop guard: more than this many messages of any kind to one number in
 * OUTQ_LOOP_WINDOW seconds and nothing more is sent to it. */
#define OUTQ_LOOP_LIMIT		20
#define OUTQ_LOOP_WINDOW	300

enum outq_verdict {
	OUTQ_ALLOWED = 0,
	OUTQ_BLOCK_ALNUM,	/* not a phone number (alphanumeric sender) */
	OUTQ_BLOCK_SERVICE,	/* operator/service number (phone_is_service) */
	OUTQ_BLOCK_OWN,		/* the gateway's own number */
	OUTQ_BLOCK_LOOP,	/* OUTQ_LOOP_LIMIT reached in the window */
};

/* "allowed", "alphanumeric", "service", "own-number", "loop-guard". */
const char *outq_verdict_name(enum outq_verdict v);

/*
 * May anything be sent to TO at NOW?  Never to alphanumeric senders,
 * service numbers, the gateway's own number (STATUS_OWN_NUMBER,
 * when set), nor to a number that already has OUTQ_LOOP_LIMIT messages
 * of any kind created in the last OUTQ_LOOP_WINDOW seconds
 * (store_outbox_count_to).  Returns 0 with *VERDICT set, or -errno from
 * the store.
 */
int outq_allowed(struct store *st, const char *to, int64_t now,
		 enum outq_verdict *verdict);

/*
 * When a notification created at NOW may go out: NOW itself outside
 * quiet hours (or when they are off), else the end of the current quiet
 * period (local time, cfg->sms.quiet_*, wrapping over midnight).
 */
int64_t outq_not_before(const struct config *cfg, int64_t now);

/*
 * Queue TEXT (UTF-8) to TO: encoded with pdu_encode_submit (GSM 7-bit
 * when it fits, else UCS-2; status report requested; a random 8-bit
 * concatenation reference; the modem's default SMSC) into at most
 * cfg->sms.max_parts parts.  A text too long for that is cut at a
 * character boundary until it fits, never refused; the stored text is
 * the text actually sent.  KIND STORE_OUT_NOTIFY is held until
 * outq_not_before(); replies and alerts are never held.  IN_REPLY_TO is
 * the inbound message id for replies (0 otherwise).  *ID (may be NULL)
 * gets the outbox message id.
 *
 * Does NOT apply the loop guard: call outq_allowed() first.  Returns 0,
 * -EINVAL (bad number or empty text), -EEXIST (a reply to IN_REPLY_TO is
 * already queued), -ENOMEM, or another -errno from the store.
 */
int outq_add(struct store *st, const struct config *cfg, const char *to,
	     const char *text, enum store_out_kind kind, long long in_reply_to,
	     int64_t now, long long *id);

/*
 * outq_add with the send time given: NOT_BEFORE >= 0 is when the message
 * may go (<= NOW: at once), whatever its kind; < 0 applies the quiet
 * hours rule above.  Used for the merged confirmations (held a little
 * so a burst of reviews shares one SMS) and for answers to a villager's
 * own matter (never held).
 */
int outq_add_at(struct store *st, const struct config *cfg, const char *to,
		const char *text, enum store_out_kind kind,
		long long in_reply_to, int64_t now, int64_t not_before,
		long long *id);

#endif
