/* SPDX-License-Identifier: MIT */
/*
 * web - jifen-web's sessions, login codes, rate limit and console
 * listings in the store.  See web.h.
 */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_priv.h"
#include "storage/web.h"

/* ---- the clerk's password --------------------------------------------- */

#define CLERK_KEY	"web.clerk_hash"
#define CLERK_COST	5	/* yescrypt: a login may take ~30 ms */

static const char sql_sess_clerk_del[] =
	"DELETE FROM web_sessions WHERE role = 'clerk'";

int store_web_clerk_set(struct store *st, const char *password,
			const char *actor, int64_t now)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	size_t n = password ? strlen(password) : 0;
	int rc;

	if (n < STORE_WEB_PASSWORD_MIN || n > STORE_WEB_PASSWORD_MAX)
		return -EINVAL;
	if (!crypt_gensalt_rn("$y$", CLERK_COST, NULL, 0, salt,
			      sizeof(salt)) &&
	    !crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)))
		return errno ? -errno : -EIO;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_r(password, salt, cd);
	if (!h || h[0] == '*') {
		free(cd);
		return -EIO;
	}
	rc = store_tx_begin(st);
	if (rc)
		goto out;
	rc = store_state_set(st, CLERK_KEY, h, now);
	if (!rc)
		rc = store_audit(st, now, actor ? actor : "console",
				 "web.passwd", "clerk password set");
	if (!rc)
		rc = store_exec(st, sql_sess_clerk_del, NULL);
	rc = store_tx_end(st, rc);
out:
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int store_web_clerk_check(struct store *st, const char *password, bool *ok)
{
	char stored[CRYPT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc;

	*ok = false;
	rc = store_state_get(st, CLERK_KEY, stored, sizeof(stored));
	if (rc)
		return rc;
	if (!password || strlen(password) > STORE_WEB_PASSWORD_MAX)
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_r(password, stored, cd);
	*ok = h && h[0] != '*' && !strcmp(h, stored);
	free(cd);
	return 0;
}

/* ---- sessions ---------------------------------------------------------- */

static const char sql_sess_add[] =
	"INSERT INTO web_sessions(token, who, role, csrf, created_at,"
	" expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_sess_get[] =
	"SELECT who, role = 'clerk', csrf, expires_at FROM web_sessions"
	" WHERE token = ?1";
static const char sql_sess_del[] = "DELETE FROM web_sessions WHERE token = ?1";
static const char sql_sess_gc[] =
	"DELETE FROM web_sessions WHERE expires_at <= ?1";

int store_web_session_add(struct store *st, const char *token,
			  const struct store_web_session *se, int64_t now)
{
	int rc;

	if (!token || !*token || !se)
		return -EINVAL;
	rc = store_exec(st, sql_sess_gc, "i", now);
	if (rc)
		return rc;
	return store_exec(st, sql_sess_add, "ttttii", token, se->who,
			  se->role == STORE_WEB_CLERK ? "clerk" : "committee",
			  se->csrf, now, se->expires_at);
}

int store_web_session_get(struct store *st, const char *token, int64_t now,
			  struct store_web_session *out)
{
	struct store_web_session se;
	bool clerk = false;
	int rc;

	if (!token || !*token)
		return -ENOENT;
	memset(&se, 0, sizeof(se));
	rc = store_get(st, sql_sess_get, "t", "tbti", token, se.who,
		       sizeof(se.who), &clerk, se.csrf, sizeof(se.csrf),
		       &se.expires_at);
	if (!rc) {
		se.role = clerk ? STORE_WEB_CLERK : STORE_WEB_COMMITTEE;
		*out = se;
		if (se.expires_at <= now)
			rc = -ENOENT;
	}
	if (rc == -ENOENT)
		store_web_session_del(st, token);
	return rc;
}

int store_web_session_del(struct store *st, const char *token)
{
	return store_exec(st, sql_sess_del, "t", token ? token : "");
}

/* ---- one-time login codes ---------------------------------------------- */

static const char sql_code_set[] =
	"INSERT INTO web_codes(phone, code, expires_at, tries)"
	" VALUES(?1, ?2, ?3, 0) ON CONFLICT(phone) DO UPDATE SET"
	" code = ?2, expires_at = ?3, tries = 0";
static const char sql_code_get[] =
	"SELECT code, expires_at, tries FROM web_codes WHERE phone = ?1";
static const char sql_code_del[] = "DELETE FROM web_codes WHERE phone = ?1";
static const char sql_code_try[] =
	"UPDATE web_codes SET tries = tries + 1 WHERE phone = ?1";

int store_web_code_set(struct store *st, const char *phone, const char *code,
		       int64_t expires_at)
{
	if (!phone || !*phone || !code || !*code)
		return -EINVAL;
	return store_exec(st, sql_code_set, "tti", phone, code, expires_at);
}

/* Constant-time comparison of two NUL-terminated codes. */
static bool same_code(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int store_web_code_check(struct store *st, const char *phone,
			 const char *code, int64_t now, int max_tries,
			 bool *ok)
{
	char want[32];
	int64_t exp;
	int rc, tries;

	*ok = false;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_get(st, sql_code_get, "t", "tid", phone, want, sizeof(want),
		       &exp, &tries);
	if (rc) {
		if (rc == -ENOENT)	/* no code: a plain no */
			rc = 0;
		goto out;
	}
	if (exp > now && tries < max_tries && code && same_code(code, want))
		*ok = true;
	/* a right code, an expired one or the last try: it is used up */
	rc = store_exec(st, *ok || exp <= now || tries + 1 >= max_tries ?
			sql_code_del : sql_code_try, "t", phone);
out:
	return store_tx_end(st, rc);
}

/* ---- login rate limit ------------------------------------------------- */

static const char sql_login_add[] =
	"INSERT INTO web_logins(key, at) VALUES(?1, ?2)";
static const char sql_login_gc[] = "DELETE FROM web_logins WHERE at < ?1";
static const char sql_login_count[] =
	"SELECT COUNT(*) FROM web_logins WHERE key = ?1 AND at >= ?2";

int store_web_login_note(struct store *st, const char *key, int64_t now)
{
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_exec(st, sql_login_gc, "i", now - 86400);
	if (!rc)
		rc = store_exec(st, sql_login_add, "ti", key ? key : "", now);
	return store_tx_end(st, rc);
}

int store_web_login_count(struct store *st, const char *key, int64_t since,
			  long *n)
{
	*n = 0;
	return store_query_one(st, sql_login_count, store_read_long, n, "ti",
			       key ? key : "", since);
}

/* ---- listings ---------------------------------------------------------- */

static const char sql_hh_bal[] =
	"SELECT h.id, h.name,"
	" (SELECT COUNT(*) FROM phones p WHERE p.household = h.id),"
	" COALESCE(SUM(CASE r.status WHEN 'final' THEN r.points END), 0),"
	" COALESCE(SUM(CASE r.status WHEN 'approved' THEN r.points END), 0),"
	" COALESCE(SUM(CASE r.status WHEN 'pending' THEN r.points END), 0)"
	" FROM households h LEFT JOIN records r ON r.household = h.id"
	" WHERE h.deleted = 0 GROUP BY h.id ORDER BY h.id";

static int household_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;
	struct store_web_household *h = w->item;

	memset(h, 0, sizeof(*h));
	store_col_text(s, 0, h->id, sizeof(h->id));
	store_col_text(s, 1, h->name, sizeof(h->name));
	h->phones = sqlite3_column_int(s, 2);
	h->final_points = sqlite3_column_int64(s, 3);
	h->publicity_points = sqlite3_column_int64(s, 4);
	h->pending_points = sqlite3_column_int64(s, 5);
	return w->cb.web_household(h, w->data);
}

int store_web_households(struct store *st, store_web_household_cb cb,
			 void *data)
{
	struct store_web_household h;
	struct store_walk w = { .cb.web_household = cb, .data = data,
				.item = &h };

	return store_query(st, sql_hh_bal, household_row, &w, NULL);
}

static const char sql_out_list[] =
	"SELECT o.id, o.recipient, o.kind, o.state, o.created_at, o.text,"
	" (SELECT COUNT(*) FROM outbox_parts p WHERE p.msg = o.id),"
	" (SELECT COUNT(*) FROM outbox_parts p WHERE p.msg = o.id"
	"   AND p.state = 'sent'),"
	" (SELECT COUNT(*) FROM outbox_parts p WHERE p.msg = o.id"
	"   AND p.state = 'failed'),"
	" (SELECT COUNT(*) FROM outbox_parts p WHERE p.msg = o.id"
	"   AND p.delivered = 0),"
	" (SELECT COALESCE(MAX(p.last_error), '') FROM outbox_parts p"
	"   WHERE p.msg = o.id)"
	" FROM outbox o WHERE (?2 = 0 OR o.state = 'failed')"
	" ORDER BY o.id DESC LIMIT ?1";

static int out_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;
	struct store_web_out *m = w->item;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	store_col_text(s, 1, m->to, sizeof(m->to));
	store_col_text(s, 2, m->kind, sizeof(m->kind));
	store_col_text(s, 3, m->state, sizeof(m->state));
	m->created_at = sqlite3_column_int64(s, 4);
	m->text = (const char *)sqlite3_column_text(s, 5);
	if (!m->text)
		m->text = "";
	m->nparts = sqlite3_column_int(s, 6);
	m->parts_sent = sqlite3_column_int(s, 7);
	m->parts_failed = sqlite3_column_int(s, 8);
	m->delivered = sqlite3_column_int(s, 9);
	store_col_text(s, 10, m->last_error, sizeof(m->last_error));
	return w->cb.web_out(m, w->data);
}

int store_web_outbox(struct store *st, int limit, bool failed_only,
		     store_web_out_cb cb, void *data)
{
	struct store_web_out m;
	struct store_walk w = { .cb.web_out = cb, .data = data, .item = &m };

	return store_query(st, sql_out_list, out_row, &w, "dd",
			   limit > 0 ? limit : -1, (int)failed_only);
}

static const char sql_out_retry_msg[] =
	"UPDATE outbox SET state = 'queued', done_at = NULL"
	" WHERE id = ?1 AND state = 'failed'";
static const char sql_out_retry_parts[] =
	"UPDATE outbox_parts SET state = 'queued', attempts = 0,"
	" next_attempt_at = ?2 WHERE msg = ?1 AND state = 'failed'";

int store_web_outbox_retry(struct store *st, long long id, int64_t now)
{
	long n = 0;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_exec_changes(st, sql_out_retry_msg, &n, "i", (int64_t)id);
	if (!rc && n != 1)
		rc = -ENOENT;
	if (!rc)
		rc = store_exec(st, sql_out_retry_parts, "ii", (int64_t)id, now);
	return store_tx_end(st, rc);
}

static const char sql_in_list[] =
	"SELECT id, sender, text, nparts, incomplete, received_at"
	" FROM inbox_msgs ORDER BY id DESC LIMIT ?1";

static int in_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;
	const char *t = (const char *)sqlite3_column_text(s, 2);

	return w->cb.web_in(sqlite3_column_int64(s, 0),
			    (const char *)sqlite3_column_text(s, 1),
			    t ? t : "", sqlite3_column_int(s, 3),
			    sqlite3_column_int(s, 4),
			    sqlite3_column_int64(s, 5), w->data);
}

int store_web_inbox(struct store *st, int limit, store_web_in_cb cb,
		    void *data)
{
	struct store_walk w = { .cb.web_in = cb, .data = data };

	return store_query(st, sql_in_list, in_row, &w, "d",
			   limit > 0 ? limit : -1);
}
