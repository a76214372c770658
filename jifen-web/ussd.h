/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_USSD_H
#define JIFEN_WEB_USSD_H
/*
 * ussd - the USSD menu of SPEC section 9 on top of the SMS handlers.
 *
 * An aggregator calls POST /ussd with sessionId, serviceCode,
 * phoneNumber and text, the subscriber's choices so far joined by '*'.
 * Each menu path is turned into the equivalent SMS command text
 * ("2*30" -> "利率 30", "5*17*2*不属实" -> "驳回 17 不属实") and run
 * through handler_sms() with the reply captured instead of queued: the
 * same permission rules, effects, notifications and audit as by SMS.
 *
 *   (empty)  menu          1  积分        2 -> amount -> 利率 [万元]
 *   3  明细                4 -> text -> 1 confirm / 2 cancel -> 说事
 *   5  待审 -> number -> 1 确认 [-> PIN] / 2 驳回 -> reason
 *
 * A session lives USSD_SESSION_TTL seconds from its first request and
 * belongs to the phone that opened it.  The handle keeps a bounded table
 * of live sessions (the oldest is forgotten first).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "storage/store.h"

#define USSD_SESSION_TTL	180	/* seconds */
#define USSD_TEXT_MAX		512	/* bytes of "text" */
#define USSD_REPLY_MAX		1024	/* bytes of an answer, "CON "/"END " included */

struct ussd;

struct ussd_req {
	const char *session_id;		/* 1..64 of [A-Za-z0-9._:-] */
	const char *service_code;	/* <= 32 of [0-9*#] */
	const char *phone;		/* the subscriber's number */
	const char *text;		/* '*'-joined choices, may be "" */
};

/* A handle with an empty session table; NULL on ENOMEM.  Free with
 * ussd_free. */
struct ussd *ussd_new(void);
void ussd_free(struct ussd *u);

/*
 * Answer REQ at NOW into OUT (LEN bytes, USSD_REPLY_MAX is enough):
 * "CON ..." or "END ...".  Runs the SMS handler in its own store
 * transaction.  *QUEUED (may be NULL) is set when the answer queued SMS
 * for jifend (notifications), so the caller wakes it.  Returns 0;
 * -EINVAL for a malformed request (bad field, session taken over by
 * another phone) so the caller answers 400; or -errno from the store.
 */
int ussd_answer(struct ussd *u, struct store *st, const struct config *cfg,
		int64_t now, const struct ussd_req *req, char *out,
		size_t len, bool *queued);

#endif
