/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_AUTH_H
#define JIFEN_WEB_AUTH_H
/*
 * auth - jifen-web's logins: random tokens, the clerk's password, the
 * committee's one-time codes by SMS, sessions and the login rate limit.
 * Sessions and codes are kept in the store (storage/web.h).
 */
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "storage/store.h"
#include "storage/web.h"

#define AUTH_SESSION_TTL	(12 * 3600)	/* seconds */
#define AUTH_CODE_TTL		300		/* one-time code: 5 minutes */
#define AUTH_CODE_TRIES		3
#define AUTH_FAIL_WINDOW	900		/* rate limit window, 15 min */
#define AUTH_FAIL_MAX		10		/* failed logins per client */
#define AUTH_CODES_MAX		5		/* codes per phone per window */

/* NBYTES random bytes (<= 32) as lower-case hex into OUT (2*NBYTES+1). */
int auth_random_hex(char *out, size_t nbytes);

/* Whether CLIENT (an address) or KEY has too many failed logins. */
int auth_limited(struct store *st, const char *key, int64_t now,
		 bool *limited);

/*
 * Start a session for WHO (ROLE) at NOW: TOKEN (STORE_WEB_TOKEN_MAX)
 * gets the cookie value, *S the session with its CSRF token.
 */
int auth_session_start(struct store *st, const char *who,
		       enum store_web_role role, int64_t now, char *token,
		       struct store_web_session *s);

/*
 * Text a one-time login code to committee member PHONE (normalised
 * into NUM, PHONE_MAX): queued in the outbox as an alert, audited.
 * *SENT is false (and nothing queued) when PHONE is not a committee
 * member, or it asked for AUTH_CODES_MAX codes in the window: the page
 * says the same either way.  The caller wakes jifend when *SENT.
 */
int auth_send_code(struct store *st, const struct config *cfg,
		   const char *phone, int64_t now, char *num, bool *sent);

#endif
