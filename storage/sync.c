/* SPDX-License-Identifier: MIT */
/*
 * Sync state in the store: rejected events, imported bundles, the
 * platform's loan policy.  See sync.h.
 */
#include <errno.h>
#include <string.h>

#include "storage/store_priv.h"
#include "storage/sync.h"

static const char sql_reject_copy[] =
	"INSERT OR IGNORE INTO sync_rejected(id, type, at, ref, household,"
	" points, state, actor, text, reason, rejected_at)"
	" SELECT id, type, at, ref, household, points, state, actor, text,"
	" ?2, ?3 FROM events WHERE id = ?1";
static const char sql_reject_del[] = "DELETE FROM events WHERE id = ?1";
static const char sql_rejected_list[] =
	"SELECT id, type, at, ref, household, points, state, actor, text,"
	" reason, rejected_at FROM sync_rejected"
	" ORDER BY rejected_at DESC, rowid DESC LIMIT ?1";
static const char sql_rejected_count[] = "SELECT COUNT(*) FROM sync_rejected";
static const char sql_last_seq[] =
	"SELECT COALESCE((SELECT seq FROM sqlite_sequence"
	" WHERE name = 'events'), 0)";
static const char sql_bundle_seen[] =
	"SELECT 1 FROM sync_bundles WHERE id = ?1";
static const char sql_bundle_mark[] =
	"INSERT INTO sync_bundles(id, kind, at) VALUES(?1, ?2, ?3)";
static const char sql_policy_set[] =
	"INSERT INTO loan_policy(id, base_rate, mode, step_points,"
	" step_discount, max_discount, floor_rate, score, updated_at)"
	" VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE"
	" SET base_rate = ?1, mode = ?2, step_points = ?3,"
	" step_discount = ?4, max_discount = ?5, floor_rate = ?6,"
	" score = ?7, updated_at = ?8";
static const char sql_policy_get[] =
	"SELECT base_rate, mode, step_points, step_discount, max_discount,"
	" floor_rate, score, updated_at FROM loan_policy WHERE id = 1";
static const char sql_rec_gid[] =
	"SELECT no, status, COALESCE(reviewed_by, '') FROM records"
	" WHERE gid = ?1";

int store_event_reject(struct store *st, const char *id, const char *reason,
		       int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	if (!id || !*id)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_reject_copy, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, id);
	store_bind_text(s, 2, reason ? reason : "");
	sqlite3_bind_int64(s, 3, now);
	rc = store_exec_stmt(st, s);
	if (rc)
		goto out;
	s = store_stmt(st, sql_reject_del, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, id);
	rc = store_exec_stmt(st, s);
out:
	return store_tx_end(st, rc);
}

/* Row of sql_rejected_list: the 9 event columns, reason, at. */
static int rejected_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	store_event_read(s, 0, w->item);
	return w->cb.rejected(w->item, (const char *)sqlite3_column_text(s, 9),
			      sqlite3_column_int64(s, 10), w->data);
}

int store_rejected_list(struct store *st, int limit, store_rejected_cb cb,
			void *data)
{
	struct store_event e;
	struct store_walk w = { .cb.rejected = cb, .data = data, .item = &e };

	return store_query(st, sql_rejected_list, rejected_row, &w, "d",
			   limit > 0 ? limit : -1);
}

int store_rejected_count(struct store *st, long *n)
{
	int64_t v = 0;
	int rc = store_query_int64(st, sql_rejected_count, &v);

	*n = rc ? 0 : (long)v;
	return rc;
}

int store_events_last_seq(struct store *st, int64_t *seq)
{
	return store_query_int64(st, sql_last_seq, seq);
}

int store_bundle_seen(struct store *st, const char *id, bool *seen)
{
	int rc;

	*seen = false;
	if (!id || !*id)
		return -EINVAL;
	rc = store_query_one(st, sql_bundle_seen, NULL, NULL, "t", id);
	if (!rc)
		*seen = true;
	return rc == -ENOENT ? 0 : rc;
}

int store_bundle_mark(struct store *st, const char *id, const char *kind,
		      int64_t now)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!id || !*id || !kind)
		return -EINVAL;
	s = store_stmt(st, sql_bundle_mark, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, id);
	store_bind_text(s, 2, kind);
	sqlite3_bind_int64(s, 3, now);
	return store_exec_stmt(st, s);
}

int store_policy_set(struct store *st, const struct store_loan_policy *p,
		     int64_t now)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (!p || (p->mode != 0 && p->mode != 1) ||
	    (p->score != 0 && p->score != 1) || p->step_points <= 0)
		return -EINVAL;
	s = store_stmt(st, sql_policy_set, &rc);
	if (!s)
		return rc;
	sqlite3_bind_double(s, 1, p->base_rate);
	store_bind_text(s, 2, p->mode ? "step" : "linear");
	sqlite3_bind_int(s, 3, p->step_points);
	sqlite3_bind_double(s, 4, p->step_discount);
	sqlite3_bind_double(s, 5, p->max_discount);
	sqlite3_bind_double(s, 6, p->floor_rate);
	store_bind_text(s, 7, p->score ? "approved" : "final");
	sqlite3_bind_int64(s, 8, now);
	return store_exec_stmt(st, s);
}

int store_policy_get(struct store *st, struct store_loan_policy *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_policy_get, &rc);
	if (!s)
		return rc;
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		out->base_rate = sqlite3_column_double(s, 0);
		out->mode = !strcmp((const char *)sqlite3_column_text(s, 1),
				    "step");
		out->step_points = sqlite3_column_int(s, 2);
		out->step_discount = sqlite3_column_double(s, 3);
		out->max_discount = sqlite3_column_double(s, 4);
		out->floor_rate = sqlite3_column_double(s, 5);
		out->score = !strcmp((const char *)sqlite3_column_text(s, 6),
				     "approved");
		out->updated_at = sqlite3_column_int64(s, 7);
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	return rc;
}

int store_record_find_gid(struct store *st, const char *gid, long long *no,
			  enum store_rstatus *status, char *by, size_t len)
{
	enum store_rstatus stt = STORE_PENDING;
	sqlite3_stmt *s;
	int rc = 0, r;

	if (!gid || !*gid)
		return -EINVAL;
	s = store_stmt(st, sql_rec_gid, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, gid);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		*no = sqlite3_column_int64(s, 0);
		store_rstatus_parse((const char *)sqlite3_column_text(s, 1),
				    &stt);
		*status = stt;
		store_col_text(s, 2, by, len);
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	return rc;
}
