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
	"SELECT base_rate, mode = 'step', step_points, step_discount,"
	" max_discount, floor_rate, score = 'approved', updated_at"
	" FROM loan_policy WHERE id = 1";
static const char sql_rec_gid[] =
	"SELECT no, status, COALESCE(reviewed_by, '') FROM records"
	" WHERE gid = ?1";

int store_event_reject(struct store *st, const char *id, const char *reason,
		       int64_t now)
{
	int rc;

	if (!id || !*id)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_exec(st, sql_reject_copy, "tti", id, reason ? reason : "",
			now);
	if (!rc)
		rc = store_exec(st, sql_reject_del, "t", id);
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
	struct store_walk w = { .cb.rejected = cb, .data = data };

	return store_events_walk(st, sql_rejected_list, rejected_row, &w,
				 limit);
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
	if (!id || !*id || !kind)
		return -EINVAL;
	return store_exec(st, sql_bundle_mark, "tti", id, kind, now);
}

int store_policy_set(struct store *st, const struct store_loan_policy *p,
		     int64_t now)
{
	if (!p || (p->mode != 0 && p->mode != 1) ||
	    (p->score != 0 && p->score != 1) || p->step_points <= 0)
		return -EINVAL;
	return store_exec(st, sql_policy_set, "ftdfffti", p->base_rate,
			  p->mode ? "step" : "linear", p->step_points,
			  p->step_discount, p->max_discount, p->floor_rate,
			  p->score ? "approved" : "final", now);
}

int store_policy_get(struct store *st, struct store_loan_policy *out)
{
	return store_get(st, sql_policy_get, NULL, "fddfffdi", &out->base_rate,
			 &out->mode, &out->step_points, &out->step_discount,
			 &out->max_discount, &out->floor_rate, &out->score,
			 &out->updated_at);
}

int store_record_find_gid(struct store *st, const char *gid, long long *no,
			  enum store_rstatus *status, char *by, size_t len)
{
	enum store_rstatus stt = STORE_PENDING;
	char sname[16];
	int rc;

	if (!gid || !*gid)
		return -EINVAL;
	rc = store_get(st, sql_rec_gid, "t", "ltt", gid, no, sname,
		       sizeof(sname), by, len);
	if (rc)
		return rc;
	store_rstatus_parse(sname, &stt);
	*status = stt;
	return 0;
}
