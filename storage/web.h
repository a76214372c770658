/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_WEB_H
#define JIFEN_STORAGE_WEB_H
/*
 * The console's data in the store (part of the store module, see store.h
 * for the conventions): jifen-web's login sessions, the one-time login
 * codes texted to committee members, the login attempts the rate limit
 * counts, and the read-only listings the console pages show (households
 * with balances in one query, inbox, outbox with part states, matters).
 *
 * Sessions live in the store, not in jifen-web's memory, so a
 * socket-activated jifen-web that exits when idle does not log anyone
 * out.  Tokens are 128-bit random values in hex; the database file is
 * 0600 like everything else in it.
 */
#include <stdbool.h>
#include <stdint.h>

#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/store.h"
#include "storage/village.h"

#define STORE_WEB_TOKEN_MAX	65	/* hex of 32 random bytes + NUL */

/* ---- the clerk's password --------------------------------------------- */

#define STORE_WEB_PASSWORD_MIN	8	/* bytes */
#define STORE_WEB_PASSWORD_MAX	128

/*
 * Set the console's clerk password (`jifenctl web passwd`): stored as a
 * crypt(3) hash (yescrypt, else sha512-crypt) under the sync_state key
 * "web.clerk_hash", with an audit row by ACTOR.  Every open clerk
 * session is ended.  -EINVAL when shorter than STORE_WEB_PASSWORD_MIN
 * or longer than STORE_WEB_PASSWORD_MAX bytes.
 */
int store_web_clerk_set(struct store *st, const char *password,
			const char *actor, int64_t now);

/* Check PASSWORD against the stored hash: *OK.  -ENOENT when no
 * password was ever set (the console then refuses every clerk login). */
int store_web_clerk_check(struct store *st, const char *password, bool *ok);

/* ---- sessions ---------------------------------------------------------- */

enum store_web_role { STORE_WEB_CLERK = 0, STORE_WEB_COMMITTEE = 1 };

struct store_web_session {
	char who[PHONE_MAX];		/* "clerk" or the member's phone */
	enum store_web_role role;
	char csrf[STORE_WEB_TOKEN_MAX];	/* the token every form carries */
	int64_t expires_at;
};

/* Add a session TOKEN for WHO until EXPIRES_AT, with its CSRF token. */
int store_web_session_add(struct store *st, const char *token,
			  const struct store_web_session *s, int64_t now);

/* The live session TOKEN at NOW into *OUT; -ENOENT when unknown or
 * expired (expired sessions are deleted on the way). */
int store_web_session_get(struct store *st, const char *token, int64_t now,
			  struct store_web_session *out);

/* Log out: delete session TOKEN (unknown tokens are fine). */
int store_web_session_del(struct store *st, const char *token);

/* ---- one-time login codes ---------------------------------------------- */

/* Set PHONE's login code CODE valid until EXPIRES_AT (replaces an older
 * one and its tries). */
int store_web_code_set(struct store *st, const char *phone, const char *code,
		       int64_t expires_at);

/*
 * Check CODE for PHONE at NOW: *OK true on a match (the code is then
 * used up).  A wrong code counts a try; after MAX_TRIES wrong tries, or
 * once expired, the code is deleted and every later check fails.
 */
int store_web_code_check(struct store *st, const char *phone,
			 const char *code, int64_t now, int max_tries,
			 bool *ok);

/* ---- login rate limit ------------------------------------------------- */

/* Note a failed login for KEY (a client address or a phone) at NOW and
 * forget notes older than a day. */
int store_web_login_note(struct store *st, const char *key, int64_t now);

/* Failed logins for KEY since SINCE. */
int store_web_login_count(struct store *st, const char *key, int64_t since,
			  long *n);

/* ---- listings for the console ------------------------------------------ */

/* A household with its balances (one query for the whole village). */
struct store_web_household {
	char id[STORE_ID_MAX];
	char name[STORE_NAME_MAX];
	int phones;
	long long final_points, publicity_points, pending_points;
};
typedef int (*store_web_household_cb)(const struct store_web_household *h,
				      void *data);
/* Non-deleted households ordered by id; a non-zero CB return stops. */
int store_web_households(struct store *st, store_web_household_cb cb,
			 void *data);

/* One outbox message with its parts' states. */
struct store_web_out {
	long long id;
	char to[STORE_SENDER_MAX];
	char kind[8];			/* reply, notify, alert */
	char state[12];			/* queued ... cancelled */
	int64_t created_at;
	int nparts, parts_sent, parts_failed, delivered;
	char last_error[128];
	const char *text;		/* borrowed */
};
typedef int (*store_web_out_cb)(const struct store_web_out *m, void *data);
/* Newest first, at most LIMIT; FAILED_ONLY: only failed ones. */
int store_web_outbox(struct store *st, int limit, bool failed_only,
		     store_web_out_cb cb, void *data);

/*
 * Send failed message ID again: its failed parts are queued with the
 * attempts reset and the message queued.  -ENOENT when there is no such
 * failed message.
 */
int store_web_outbox_retry(struct store *st, long long id, int64_t now);

typedef int (*store_web_in_cb)(long long id, const char *sender,
			       const char *text, int nparts, bool incomplete,
			       int64_t received_at, void *data);
/* Handled inbound messages, newest first, at most LIMIT. */
int store_web_inbox(struct store *st, int limit, store_web_in_cb cb,
		    void *data);

struct store_web_matter {
	long long no;
	char household[STORE_ID_MAX];
	char phone[PHONE_MAX];
	int64_t created_at;
	int answers;			/* audit rows "matter.answer" */
	bool closed;			/* an audit row "matter.close" */
	const char *text;		/* borrowed */
};
/*
 * Until the matters table has its own state, a matter's answers and its
 * closing are read from the audit log (action "matter.answer" /
 * "matter.close", detail starting with "M<no>"), which every change
 * writes anyway.
 */
typedef int (*store_web_matter_cb)(const struct store_web_matter *m,
				   void *data);
/* Matters newest first, at most LIMIT. */
int store_web_matters(struct store *st, int limit, store_web_matter_cb cb,
		      void *data);
/* Matter NO into *OUT with TEXT copied to TEXT (LEN bytes). */
int store_web_matter_get(struct store *st, long long no,
			 struct store_web_matter *out, char *text, size_t len);

#endif
