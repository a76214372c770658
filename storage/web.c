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
	sqlite3_stmt *s;
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
	if (!rc) {
		s = store_stmt(st, sql_sess_clerk_del, &rc);
		if (s)
			rc = store_exec_stmt(st, s);
	}
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
	"SELECT who, role, csrf, expires_at FROM web_sessions"
	" WHERE token = ?1";
static const char sql_sess_del[] = "DELETE FROM web_sessions WHERE token = ?1";
static const char sql_sess_gc[] =
	"DELETE FROM web_sessions WHERE expires_at <= ?1";

int store_web_session_add(struct store *st, const char *token,
			  const struct store_web_session *se, int64_t now)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!token || !*token || !se)
		return -EINVAL;
	s = store_stmt(st, sql_sess_gc, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	rc = store_exec_stmt(st, s);
	if (rc)
		return rc;
	s = store_stmt(st, sql_sess_add, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, token);
	store_bind_text(s, 2, se->who);
	store_bind_text(s, 3, se->role == STORE_WEB_CLERK ? "clerk"
							  : "committee");
	store_bind_text(s, 4, se->csrf);
	sqlite3_bind_int64(s, 5, now);
	sqlite3_bind_int64(s, 6, se->expires_at);
	return store_exec_stmt(st, s);
}

int store_web_session_get(struct store *st, const char *token, int64_t now,
			  struct store_web_session *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;
	char role[16];

	if (!token || !*token)
		return -ENOENT;
	s = store_stmt(st, sql_sess_get, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, token);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		store_col_text(s, 0, out->who, sizeof(out->who));
		store_col_text(s, 1, role, sizeof(role));
		out->role = strcmp(role, "clerk") ? STORE_WEB_COMMITTEE
						  : STORE_WEB_CLERK;
		store_col_text(s, 2, out->csrf, sizeof(out->csrf));
		out->expires_at = sqlite3_column_int64(s, 3);
		rc = out->expires_at > now ? 0 : -ENOENT;
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	if (rc == -ENOENT)
		store_web_session_del(st, token);
	return rc;
}

int store_web_session_del(struct store *st, const char *token)
{
	sqlite3_stmt *s;
	int rc = 0;

	s = store_stmt(st, sql_sess_del, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, token ? token : "");
	return store_exec_stmt(st, s);
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
	sqlite3_stmt *s;
	int rc = 0;

	if (!phone || !*phone || !code || !*code)
		return -EINVAL;
	s = store_stmt(st, sql_code_set, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, phone);
	store_bind_text(s, 2, code);
	sqlite3_bind_int64(s, 3, expires_at);
	return store_exec_stmt(st, s);
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
	sqlite3_stmt *s;
	char want[32];
	int64_t exp;
	int rc = 0, r, tries;
	bool found = false;

	*ok = false;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_code_get, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, phone);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		found = true;
		store_col_text(s, 0, want, sizeof(want));
		exp = sqlite3_column_int64(s, 1);
		tries = sqlite3_column_int(s, 2);
	} else if (r != SQLITE_DONE) {
		rc = store_errno(r);
	}
	sqlite3_reset(s);
	if (rc || !found)
		goto out;
	if (exp > now && tries < max_tries && code && same_code(code, want))
		*ok = true;
	if (*ok || exp <= now || tries + 1 >= max_tries) {
		s = store_stmt(st, sql_code_del, &rc);
	} else {
		s = store_stmt(st, sql_code_try, &rc);
	}
	if (!s)
		goto out;
	store_bind_text(s, 1, phone);
	rc = store_exec_stmt(st, s);
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
	sqlite3_stmt *s;
	int rc = 0;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_login_gc, &rc);
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, now - 86400);
	rc = store_exec_stmt(st, s);
	if (rc)
		goto out;
	s = store_stmt(st, sql_login_add, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, key ? key : "");
	sqlite3_bind_int64(s, 2, now);
	rc = store_exec_stmt(st, s);
out:
	return store_tx_end(st, rc);
}

int store_web_login_count(struct store *st, const char *key, int64_t since,
			  long *n)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	*n = 0;
	s = store_stmt(st, sql_login_count, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, key ? key : "");
	sqlite3_bind_int64(s, 2, since);
	r = store_step(st, s);
	if (r == SQLITE_ROW)
		*n = (long)sqlite3_column_int64(s, 0);
	else
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
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

int store_web_households(struct store *st, store_web_household_cb cb,
			 void *data)
{
	struct store_web_household h;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_hh_bal, &rc);
	if (!s)
		return rc;
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		store_col_text(s, 0, h.id, sizeof(h.id));
		store_col_text(s, 1, h.name, sizeof(h.name));
		h.phones = sqlite3_column_int(s, 2);
		h.final_points = sqlite3_column_int64(s, 3);
		h.publicity_points = sqlite3_column_int64(s, 4);
		h.pending_points = sqlite3_column_int64(s, 5);
		rc = cb(&h, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
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

int store_web_outbox(struct store *st, int limit, bool failed_only,
		     store_web_out_cb cb, void *data)
{
	struct store_web_out m;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_out_list, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	sqlite3_bind_int(s, 2, failed_only);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.id = sqlite3_column_int64(s, 0);
		store_col_text(s, 1, m.to, sizeof(m.to));
		store_col_text(s, 2, m.kind, sizeof(m.kind));
		store_col_text(s, 3, m.state, sizeof(m.state));
		m.created_at = sqlite3_column_int64(s, 4);
		m.text = (const char *)sqlite3_column_text(s, 5);
		if (!m.text)
			m.text = "";
		m.nparts = sqlite3_column_int(s, 6);
		m.parts_sent = sqlite3_column_int(s, 7);
		m.parts_failed = sqlite3_column_int(s, 8);
		m.delivered = sqlite3_column_int(s, 9);
		store_col_text(s, 10, m.last_error, sizeof(m.last_error));
		rc = cb(&m, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

static const char sql_out_retry_msg[] =
	"UPDATE outbox SET state = 'queued', done_at = NULL"
	" WHERE id = ?1 AND state = 'failed'";
static const char sql_out_retry_parts[] =
	"UPDATE outbox_parts SET state = 'queued', attempts = 0,"
	" next_attempt_at = ?2 WHERE msg = ?1 AND state = 'failed'";

int store_web_outbox_retry(struct store *st, long long id, int64_t now)
{
	sqlite3_stmt *s;
	int rc = 0;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_out_retry_msg, &rc);
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	rc = store_exec_stmt(st, s);
	if (rc)
		goto out;
	if (sqlite3_changes(st->db) != 1) {
		rc = -ENOENT;
		goto out;
	}
	s = store_stmt(st, sql_out_retry_parts, &rc);
	if (!s)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = store_exec_stmt(st, s);
out:
	return store_tx_end(st, rc);
}

static const char sql_in_list[] =
	"SELECT id, sender, text, nparts, incomplete, received_at"
	" FROM inbox_msgs ORDER BY id DESC LIMIT ?1";

int store_web_inbox(struct store *st, int limit, store_web_in_cb cb,
		    void *data)
{
	sqlite3_stmt *s;
	int rc = 0, r;
	const char *t;

	s = store_stmt(st, sql_in_list, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(s, 2);
		rc = cb(sqlite3_column_int64(s, 0),
			(const char *)sqlite3_column_text(s, 1), t ? t : "",
			sqlite3_column_int(s, 3), sqlite3_column_int(s, 4),
			sqlite3_column_int64(s, 5), data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

#define MATTER_COLS \
	"SELECT m.no, COALESCE(m.household, ''), m.phone, m.created_at," \
	" m.text," \
	" (SELECT COUNT(*) FROM audit a WHERE a.action = 'matter.answer'" \
	"   AND a.detail LIKE 'M' || m.no || ' %')," \
	" EXISTS(SELECT 1 FROM audit a WHERE a.action = 'matter.close'" \
	"   AND a.detail = 'M' || m.no) FROM matters m "
static const char sql_matter_list[] =
	MATTER_COLS "ORDER BY m.no DESC LIMIT ?1";
static const char sql_matter_get[] = MATTER_COLS "WHERE m.no = ?1";

static void read_matter(sqlite3_stmt *s, struct store_web_matter *m)
{
	memset(m, 0, sizeof(*m));
	m->no = sqlite3_column_int64(s, 0);
	store_col_text(s, 1, m->household, sizeof(m->household));
	store_col_text(s, 2, m->phone, sizeof(m->phone));
	m->created_at = sqlite3_column_int64(s, 3);
	m->text = (const char *)sqlite3_column_text(s, 4);
	if (!m->text)
		m->text = "";
	m->answers = sqlite3_column_int(s, 5);
	m->closed = sqlite3_column_int(s, 6) != 0;
}

int store_web_matters(struct store *st, int limit, store_web_matter_cb cb,
		      void *data)
{
	struct store_web_matter m;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_matter_list, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int(s, 1, limit > 0 ? limit : -1);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		read_matter(s, &m);
		rc = cb(&m, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

int store_web_matter_get(struct store *st, long long no,
			 struct store_web_matter *out, char *text, size_t len)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_matter_get, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, no);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		read_matter(s, out);
		store_copy(text, len, out->text);
		out->text = text;
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	return rc;
}
