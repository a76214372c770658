/* SPDX-License-Identifier: MIT */
/*
 * Village data: households, phones, PINs, records, reviews, balances,
 * matters, audit log, event journal.  See village.h.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/store_priv.h"
#include "storage/village.h"

/* yescrypt cost: ~7 ms on x86, well under 100 ms on a Pi-class board;
 * a 4-8 digit PIN gains little from a slower hash. */
#define PIN_COST 3

static const char *role_name(enum store_role r)
{
	return r == STORE_COMMITTEE ? "committee" : "villager";
}

static int norm_phone(const char *in, char out[PHONE_MAX])
{
	if (!in)
		return -EINVAL;
	return phone_normalize(in, out, PHONE_MAX) ? -EINVAL : 0;
}

static bool empty(const char *s)
{
	return !s || !*s;
}

/* ---- event journal, audit ----------------------------------------------- */

static const char sql_event_add[] =
	"INSERT INTO events(id, type, at, body, ref, household, points, state,"
	" actor, text) VALUES(?1, ?2, ?3, '', ?4, ?5, ?6, ?7, ?8, ?9)";

int store_event_add(struct store *st, const struct store_event *e,
		    int64_t now, char *id_out)
{
	char id[STORE_UUID_LEN], at[32];
	sqlite3_stmt *s;
	int rc;

	if (!e || empty(e->type) || strlen(e->type) >= STORE_EVTYPE_MAX)
		return -EINVAL;
	rc = store_uuid(id);
	if (rc)
		return rc;
	store_iso8601(now, at, sizeof(at));
	s = store_stmt(st, sql_event_add, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, id);
	store_bind_text(s, 2, e->type);
	store_bind_text(s, 3, at);
	store_bind_text(s, 4, e->ref);
	store_bind_text(s, 5, empty(e->household) ? NULL : e->household);
	sqlite3_bind_int64(s, 6, e->points);
	store_bind_text(s, 7, e->state);
	store_bind_text(s, 8, e->actor);
	store_bind_text(s, 9, e->text);
	rc = store_exec_stmt(st, s);
	if (!rc && id_out)
		memcpy(id_out, id, STORE_UUID_LEN);
	return rc;
}

static const char sql_events_unsent[] =
	"SELECT id, type, at, ref, household, points, state, actor, text"
	" FROM events ORDER BY seq LIMIT ?1";
static const char sql_event_del[] = "DELETE FROM events WHERE id = ?1";

void store_event_read(sqlite3_stmt *s, int col, struct store_event *e)
{
	e->id = (const char *)sqlite3_column_text(s, col);
	e->type = (const char *)sqlite3_column_text(s, col + 1);
	e->at = (const char *)sqlite3_column_text(s, col + 2);
	e->ref = (const char *)sqlite3_column_text(s, col + 3);
	e->household = (const char *)sqlite3_column_text(s, col + 4);
	e->points = sqlite3_column_int64(s, col + 5);
	e->state = (const char *)sqlite3_column_text(s, col + 6);
	e->actor = (const char *)sqlite3_column_text(s, col + 7);
	e->text = (const char *)sqlite3_column_text(s, col + 8);
}

int store_events_unsent(struct store *st, int max, store_event_cb cb,
			void *data)
{
	struct store_event e;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_events_unsent, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int(s, 1, max > 0 ? max : -1);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		store_event_read(s, 0, &e);
		rc = cb(&e, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

int store_events_delete(struct store *st, const char *const *ids, size_t n)
{
	sqlite3_stmt *s;
	size_t i;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++) {
		s = store_stmt(st, sql_event_del, &rc);
		if (!s)
			break;
		store_bind_text(s, 1, ids[i]);
		rc = store_exec_stmt(st, s);
	}
	return store_tx_end(st, rc);
}

static const char sql_audit_add[] =
	"INSERT INTO audit(at, actor, action, detail) VALUES(?1, ?2, ?3, ?4)";

int store_audit(struct store *st, int64_t now, const char *actor,
		const char *action, const char *detail)
{
	sqlite3_stmt *s;
	int rc = 0;

	if (empty(action))
		return -EINVAL;
	s = store_stmt(st, sql_audit_add, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, now);
	store_bind_text(s, 2, actor ? actor : "");
	store_bind_text(s, 3, action);
	store_bind_text(s, 4, detail ? detail : "");
	return store_exec_stmt(st, s);
}

/* ---- households --------------------------------------------------------- */

static const char sql_hh_get[] =
	"SELECT id, name, deleted, created_at, updated_at FROM households"
	" WHERE id = ?1";
static const char sql_hh_insert[] =
	"INSERT INTO households(id, name, deleted, created_at, updated_at)"
	" VALUES(?1, COALESCE(?2, ''), 0, ?3, ?3)";
static const char sql_hh_update[] =
	"UPDATE households SET name = COALESCE(?2, name), deleted = 0,"
	" updated_at = ?3 WHERE id = ?1";
static const char sql_hh_delete[] =
	"UPDATE households SET deleted = 1, updated_at = ?2 WHERE id = ?1";
static const char sql_hh_clear[] = "DELETE FROM phones WHERE household = ?1";
static const char sql_hh_list[] =
	"SELECT id, name, deleted, created_at, updated_at FROM households"
	" WHERE deleted = 0 ORDER BY id";

static void read_household(sqlite3_stmt *s, struct store_household *h)
{
	store_col_text(s, 0, h->id, sizeof(h->id));
	store_col_text(s, 1, h->name, sizeof(h->name));
	h->deleted = sqlite3_column_int(s, 2) != 0;
	h->created_at = sqlite3_column_int64(s, 3);
	h->updated_at = sqlite3_column_int64(s, 4);
}

int store_household_get(struct store *st, const char *id,
			struct store_household *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	if (empty(id))
		return -EINVAL;
	s = store_stmt(st, sql_hh_get, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, id);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		if (out)
			read_household(s, out);
		rc = 0;
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	return rc;
}

/* 0 if household ID exists and is not deleted, -ENOENT otherwise. */
static int household_live(struct store *st, const char *id)
{
	struct store_household h;
	int rc = store_household_get(st, id, &h);

	if (!rc && h.deleted)
		rc = -ENOENT;
	return rc;
}

int store_household_upsert(struct store *st, const char *id,
			   const char *name, int64_t now, bool *created)
{
	sqlite3_stmt *s;
	bool isnew;
	int rc;

	if (empty(id) || strlen(id) >= STORE_ID_MAX)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, id, NULL);
	isnew = rc == -ENOENT;
	if (rc && !isnew)
		goto out;
	s = store_stmt(st, isnew ? sql_hh_insert : sql_hh_update, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, id);
	store_bind_text(s, 2, name);
	sqlite3_bind_int64(s, 3, now);
	rc = store_exec_stmt(st, s);
out:
	rc = store_tx_end(st, rc);
	if (!rc && created)
		*created = isnew;
	return rc;
}

static int store_household_clear_phones(struct store *st,
					const char *household);

int store_household_delete(struct store *st, const char *id, int64_t now)
{
	sqlite3_stmt *s;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, id, NULL);
	if (rc)
		goto out;
	s = store_stmt(st, sql_hh_delete, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = store_exec_stmt(st, s);
	if (!rc)
		rc = store_household_clear_phones(st, id);
out:
	return store_tx_end(st, rc);
}

/* Remove every membership of HOUSEHOLD (sync replaces member lists). */
static int store_household_clear_phones(struct store *st,
					const char *household)
{
	sqlite3_stmt *s;
	int rc = 0;

	s = store_stmt(st, sql_hh_clear, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, household);
	return store_exec_stmt(st, s);
}

int store_households_list(struct store *st, store_household_cb cb,
			  void *data)
{
	struct store_household h;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_hh_list, &rc);
	if (!s)
		return rc;
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		read_household(s, &h);
		rc = cb(&h, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

/* ---- phones, PINs --------------------------------------------------------- */

static const char sql_ph_exists[] =
	"SELECT 1 FROM phones WHERE phone = ?1 AND household = ?2";
static const char sql_ph_upsert[] =
	"INSERT INTO phones(phone, household, name, role, pin_hash,"
	" created_at, updated_at) VALUES(?1, ?2, COALESCE(?3, ''), ?4, ?5,"
	" ?6, ?6) ON CONFLICT(phone, household) DO UPDATE SET"
	" name = COALESCE(?3, name), role = ?4,"
	" pin_hash = COALESCE(?5, pin_hash), updated_at = ?6";
static const char sql_ph_unbind[] =
	"DELETE FROM phones WHERE phone = ?1 AND household = ?2";
static const char sql_ph_unbind_all[] = "DELETE FROM phones WHERE phone = ?1";
static const char sql_ph_of_phone[] =
	"SELECT p.phone, p.household, p.name, p.role, p.pin_hash IS NOT NULL"
	" FROM phones p JOIN households h ON h.id = p.household"
	" WHERE p.phone = ?1 AND h.deleted = 0 ORDER BY p.household";
static const char sql_ph_of_hh[] =
	"SELECT phone, household, name, role, pin_hash IS NOT NULL"
	" FROM phones WHERE household = ?1 ORDER BY phone";
static const char sql_ph_pins[] =
	"SELECT pin_hash FROM phones WHERE phone = ?1"
	" AND pin_hash IS NOT NULL";
static const char sql_notify_set[] =
	"INSERT INTO phone_prefs(phone, notify, updated_at) VALUES(?1, ?2, ?3)"
	" ON CONFLICT(phone) DO UPDATE SET notify = ?2, updated_at = ?3";
static const char sql_notify_get[] =
	"SELECT notify FROM phone_prefs WHERE phone = ?1";

static bool pin_valid(const char *pin)
{
	size_t n = strlen(pin), i;

	if (n < 4 || n > 8)
		return false;
	for (i = 0; i < n; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return false;
	return true;
}

/* crypt(3) hash of PIN into OUT (CRYPT_OUTPUT_SIZE bytes). */
static int pin_hash(const char *pin, char *out, size_t len)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = 0;

	if (!crypt_gensalt_rn("$y$", PIN_COST, NULL, 0, salt, sizeof(salt)) &&
	    !crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt)))
		return errno ? -errno : -EIO;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	h = crypt_r(pin, salt, cd);
	if (!h || h[0] == '*' || strlen(h) >= len)
		rc = -EIO;
	else
		strcpy(out, h);
	free(cd);
	return rc;
}

int store_phone_bind(struct store *st, const char *phone,
		     const char *household, const char *name,
		     enum store_role role, const char *pin, int64_t now,
		     bool *created)
{
	char num[PHONE_MAX], hash[CRYPT_OUTPUT_SIZE];
	sqlite3_stmt *s;
	bool isnew = false;
	int rc, r;

	if (norm_phone(phone, num) || empty(household) ||
	    (role != STORE_VILLAGER && role != STORE_COMMITTEE))
		return -EINVAL;
	if (!empty(pin)) {
		if (!pin_valid(pin))
			return -EINVAL;
		rc = pin_hash(pin, hash, sizeof(hash));
		if (rc)
			return rc;
	}
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = household_live(st, household);
	if (rc)
		goto out;
	s = store_stmt(st, sql_ph_exists, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, num);
	store_bind_text(s, 2, household);
	r = store_step(st, s);
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = store_errno(r);
		goto out;
	}
	isnew = r == SQLITE_DONE;
	s = store_stmt(st, sql_ph_upsert, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, num);
	store_bind_text(s, 2, household);
	store_bind_text(s, 3, name);
	store_bind_text(s, 4, role_name(role));
	store_bind_text(s, 5, empty(pin) ? NULL : hash);
	sqlite3_bind_int64(s, 6, now);
	rc = store_exec_stmt(st, s);
out:
	rc = store_tx_end(st, rc);
	if (!rc && created)
		*created = isnew;
	return rc;
}

int store_phone_unbind(struct store *st, const char *phone,
		       const char *household)
{
	char num[PHONE_MAX];
	sqlite3_stmt *s;
	int rc = 0;

	if (norm_phone(phone, num))
		return -EINVAL;
	s = store_stmt(st, household ? sql_ph_unbind : sql_ph_unbind_all,
		       &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, num);
	if (household)
		store_bind_text(s, 2, household);
	rc = store_exec_stmt(st, s);
	if (!rc && household && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	return rc;
}

static int walk_members(struct store *st, const char *sql, const char *key,
			store_member_cb cb, void *data)
{
	struct store_member m;
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, key);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		store_col_text(s, 0, m.phone, sizeof(m.phone));
		store_col_text(s, 1, m.household, sizeof(m.household));
		store_col_text(s, 2, m.name, sizeof(m.name));
		m.role = strcmp((const char *)sqlite3_column_text(s, 3),
				"committee") ? STORE_VILLAGER :
					       STORE_COMMITTEE;
		m.has_pin = sqlite3_column_int(s, 4) != 0;
		rc = cb(&m, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

int store_phone_memberships(struct store *st, const char *phone,
			    store_member_cb cb, void *data)
{
	char num[PHONE_MAX];

	if (norm_phone(phone, num))
		return -EINVAL;
	return walk_members(st, sql_ph_of_phone, num, cb, data);
}

int store_household_members(struct store *st, const char *household,
			    store_member_cb cb, void *data)
{
	if (empty(household))
		return -EINVAL;
	return walk_members(st, sql_ph_of_hh, household, cb, data);
}

int store_check_pin(struct store *st, const char *phone, const char *pin,
		    bool *ok)
{
	char num[PHONE_MAX];
	struct crypt_data *cd;
	const char *stored, *h;
	sqlite3_stmt *s;
	int rc = 0, r;

	*ok = false;
	if (norm_phone(phone, num) || !pin)
		return -EINVAL;
	if (!pin_valid(pin))
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	s = store_stmt(st, sql_ph_pins, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, num);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		stored = (const char *)sqlite3_column_text(s, 0);
		h = crypt_r(pin, stored, cd);
		if (h && h[0] != '*' && !strcmp(h, stored)) {
			*ok = true;
			break;
		}
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
out:
	free(cd);
	return rc;
}

int store_phone_set_notify(struct store *st, const char *phone, bool on,
			   int64_t now)
{
	char num[PHONE_MAX];
	sqlite3_stmt *s;
	int rc = 0;

	if (norm_phone(phone, num))
		return -EINVAL;
	s = store_stmt(st, sql_notify_set, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, num);
	sqlite3_bind_int(s, 2, on);
	sqlite3_bind_int64(s, 3, now);
	return store_exec_stmt(st, s);
}

int store_phone_notify(struct store *st, const char *phone, bool *on)
{
	char num[PHONE_MAX];
	sqlite3_stmt *s;
	int rc = 0, r;

	*on = true;
	if (norm_phone(phone, num))
		return -EINVAL;
	s = store_stmt(st, sql_notify_get, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, num);
	r = store_step(st, s);
	if (r == SQLITE_ROW)
		*on = sqlite3_column_int(s, 0) != 0;
	else if (r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	return rc;
}

/* ---- records ------------------------------------------------------------- */

static const char *const rstatus_names[] = {
	"pending", "approved", "rejected", "final",
};

const char *store_rstatus_name(enum store_rstatus s)
{
	if ((unsigned)s > STORE_FINAL)
		return "?";
	return rstatus_names[s];
}

int store_rstatus_parse(const char *s, enum store_rstatus *out)
{
	int i;

	for (i = 0; s && i <= STORE_FINAL; i++) {
		if (!strcmp(s, rstatus_names[i])) {
			*out = (enum store_rstatus)i;
			return 0;
		}
	}
	return -EINVAL;
}

#define RECORD_COLS \
	"SELECT no, gid, household, points, reason, status, created_at," \
	" created_by, COALESCE(reviewed_by, ''), COALESCE(reviewed_at, 0)," \
	" COALESCE(review_reason, ''), COALESCE(notice_until, 0), origin" \
	" FROM records "

static void read_record(sqlite3_stmt *s, struct store_record *r)
{
	enum store_rstatus st = STORE_PENDING;

	r->no = sqlite3_column_int64(s, 0);
	store_col_text(s, 1, r->gid, sizeof(r->gid));
	store_col_text(s, 2, r->household, sizeof(r->household));
	r->points = sqlite3_column_int64(s, 3);
	store_col_text(s, 4, r->reason, sizeof(r->reason));
	store_rstatus_parse((const char *)sqlite3_column_text(s, 5), &st);
	r->status = st;
	r->created_at = sqlite3_column_int64(s, 6);
	store_col_text(s, 7, r->created_by, sizeof(r->created_by));
	store_col_text(s, 8, r->reviewed_by, sizeof(r->reviewed_by));
	r->reviewed_at = sqlite3_column_int64(s, 9);
	store_col_text(s, 10, r->review_reason, sizeof(r->review_reason));
	r->notice_until = sqlite3_column_int64(s, 11);
	store_col_text(s, 12, r->origin, sizeof(r->origin));
}

static const char sql_rec_get[] = RECORD_COLS "WHERE no = ?1";
static const char sql_rec_insert[] =
	"INSERT INTO records(gid, household, points, reason, status,"
	" created_at, created_by, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_rec_by_gid[] = "SELECT no FROM records WHERE gid = ?1";
static const char sql_rec_remote_ins[] =
	"INSERT INTO records(gid, household, points, reason, status,"
	" created_at, created_by, notice_until, origin)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'platform', NULLIF(?7, 0),"
	" 'platform')";
static const char sql_rec_remote_upd[] =
	"UPDATE records SET household = ?2, points = ?3, reason = ?4,"
	" status = ?5, created_at = ?6, notice_until = NULLIF(?7, 0)"
	" WHERE gid = ?1";
static const char sql_rec_review[] =
	"UPDATE records SET status = ?2, reviewed_by = ?3, reviewed_at = ?4,"
	" review_reason = ?5, notice_until = ?6 WHERE no = ?1"
	" AND status = 'pending'";
static const char sql_review_add[] =
	"INSERT INTO reviews(record_no, decision, by, reason, at)"
	" VALUES(?1, ?2, ?3, ?4, ?5)";
static const char sql_rec_first_due[] =
	"SELECT no FROM records WHERE status = 'approved'"
	" AND notice_until <= ?1 ORDER BY notice_until, no LIMIT 1";
static const char sql_rec_finalize[] =
	"UPDATE records SET status = 'final' WHERE no = ?1";
static const char sql_rec_next_due[] =
	"SELECT MIN(notice_until) FROM records WHERE status = 'approved'";

int store_record_get(struct store *st, long long no,
		     struct store_record *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_rec_get, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, no);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		read_record(s, out);
		rc = 0;
	} else {
		rc = r == SQLITE_DONE ? -ENOENT : store_errno(r);
	}
	sqlite3_reset(s);
	return rc;
}

int store_record_add(struct store *st, const struct store_record_new *r,
		     long long *no, char *gid_out)
{
	char gid[STORE_ID_MAX], detail[256];
	struct store_event ev = { .type = "record.new" };
	sqlite3_stmt *s;
	long long n = 0;
	int rc;

	if (!r || empty(r->household) || empty(r->reason) ||
	    (r->status != STORE_PENDING && r->status != STORE_FINAL) ||
	    (r->gid && (empty(r->gid) || strlen(r->gid) >= STORE_ID_MAX)))
		return -EINVAL;
	if (r->gid) {
		strcpy(gid, r->gid);
	} else {
		rc = store_uuid(gid);
		if (rc)
			return rc;
	}
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = household_live(st, r->household);
	if (rc)
		goto out;
	s = store_stmt(st, sql_rec_insert, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, gid);
	store_bind_text(s, 2, r->household);
	sqlite3_bind_int64(s, 3, r->points);
	store_bind_text(s, 4, r->reason);
	store_bind_text(s, 5, store_rstatus_name(r->status));
	sqlite3_bind_int64(s, 6, r->now);
	store_bind_text(s, 7, r->by ? r->by : "");
	store_bind_text(s, 8, r->origin ? r->origin : "gateway");
	rc = store_exec_stmt(st, s);
	if (rc)
		goto out;
	n = sqlite3_last_insert_rowid(st->db);
	ev.ref = gid;
	ev.household = r->household;
	ev.points = r->points;
	ev.text = r->reason;
	ev.actor = r->by ? r->by : "";
	ev.state = store_rstatus_name(r->status);
	rc = store_event_add(st, &ev, r->now, NULL);
	if (rc)
		goto out;
	snprintf(detail, sizeof(detail), "no=%lld household=%s points=%lld %s",
		 n, r->household, r->points, store_rstatus_name(r->status));
	rc = store_audit(st, r->now, r->by, "record.add", detail);
out:
	rc = store_tx_end(st, rc);
	if (!rc) {
		if (no)
			*no = n;
		if (gid_out)
			strcpy(gid_out, gid);
	}
	return rc;
}

int store_record_put_remote(struct store *st, const char *gid,
			    const char *household, long long points,
			    const char *reason, enum store_rstatus status,
			    int64_t created_at, int64_t notice_until,
			    int64_t now)
{
	sqlite3_stmt *s;
	bool exists;
	int rc, r;

	if (empty(gid) || strlen(gid) >= STORE_ID_MAX || empty(household) ||
	    (unsigned)status > STORE_FINAL)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, household, NULL);
	if (rc)
		goto out;
	s = store_stmt(st, sql_rec_by_gid, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, gid);
	r = store_step(st, s);
	sqlite3_reset(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		rc = store_errno(r);
		goto out;
	}
	exists = r == SQLITE_ROW;
	s = store_stmt(st, exists ? sql_rec_remote_upd : sql_rec_remote_ins,
		       &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, gid);
	store_bind_text(s, 2, household);
	sqlite3_bind_int64(s, 3, points);
	store_bind_text(s, 4, reason ? reason : "");
	store_bind_text(s, 5, store_rstatus_name(status));
	sqlite3_bind_int64(s, 6, created_at);
	sqlite3_bind_int64(s, 7, notice_until);
	rc = store_exec_stmt(st, s);
	if (!rc)
		rc = store_audit(st, now, "sync",
				 exists ? "record.update" : "record.import",
				 gid);
out:
	return store_tx_end(st, rc);
}

int store_records_list(struct store *st,
		       const struct store_record_filter *f,
		       store_record_cb cb, void *data)
{
	static const char *const sqls[2][2][2] = {
		/* [household?][status?][desc?] */
		{ { RECORD_COLS "ORDER BY no LIMIT ?3",
		    RECORD_COLS "ORDER BY no DESC LIMIT ?3" },
		  { RECORD_COLS "WHERE status = ?2 ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE status = ?2 ORDER BY no DESC LIMIT ?3" } },
		{ { RECORD_COLS "WHERE household = ?1 ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE household = ?1 ORDER BY no DESC"
				" LIMIT ?3" },
		  { RECORD_COLS "WHERE household = ?1 AND status = ?2"
				" ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE household = ?1 AND status = ?2"
				" ORDER BY no DESC LIMIT ?3" } },
	};
	struct store_record_filter all = { NULL, -1, false, 0 };
	struct store_record *rec;
	sqlite3_stmt *s;
	int rc = 0, r;

	if (!f)
		f = &all;
	if (f->status > STORE_FINAL)
		return -EINVAL;
	s = store_stmt(st, sqls[f->household != NULL][f->status >= 0]
			       [f->newest_first], &rc);
	if (!s)
		return rc;
	rec = malloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	if (f->household)
		store_bind_text(s, 1, f->household);
	if (f->status >= 0)
		store_bind_text(s, 2,
				store_rstatus_name((enum store_rstatus)f->status));
	sqlite3_bind_int(s, 3, f->limit > 0 ? f->limit : -1);
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		read_record(s, rec);
		rc = cb(rec, data);
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	free(rec);
	return rc;
}

static int review_apply(struct store *st, const struct store_record *rec,
			enum store_decision decision, const char *by,
			const char *reason, int64_t now, int publicity_days)
{
	const char *dname = decision == STORE_APPROVE ? "approved" :
							"rejected";
	struct store_event ev = { .type = "record.review" };
	char detail[256];
	sqlite3_stmt *s;
	int rc = 0;

	s = store_stmt(st, sql_rec_review, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, rec->no);
	store_bind_text(s, 2, dname);
	store_bind_text(s, 3, by);
	sqlite3_bind_int64(s, 4, now);
	store_bind_text(s, 5, reason ? reason : "");
	if (decision == STORE_APPROVE)
		sqlite3_bind_int64(s, 6, now + (int64_t)publicity_days * 86400);
	rc = store_exec_stmt(st, s);
	if (rc)
		return rc;
	s = store_stmt(st, sql_review_add, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, rec->no);
	store_bind_text(s, 2, dname);
	store_bind_text(s, 3, by);
	store_bind_text(s, 4, reason ? reason : "");
	sqlite3_bind_int64(s, 5, now);
	rc = store_exec_stmt(st, s);
	if (rc)
		return rc;
	snprintf(detail, sizeof(detail), "no=%lld %s %s", rec->no, dname,
		 reason ? reason : "");
	rc = store_audit(st, now, by, "record.review", detail);
	if (rc)
		return rc;
	ev.ref = rec->gid;
	ev.state = dname;
	ev.actor = by;
	ev.text = reason ? reason : "";
	return store_event_add(st, &ev, now, NULL);
}

int store_record_review(struct store *st, long long no,
			enum store_decision decision, const char *by,
			const char *reason, int64_t now, int publicity_days,
			enum store_review_outcome *outcome,
			struct store_record *out)
{
	struct store_record *rec;
	enum store_review_outcome oc = STORE_REVIEW_NOT_FOUND;
	int rc;

	if ((decision != STORE_APPROVE && decision != STORE_REJECT) ||
	    empty(by) || publicity_days < 0 || publicity_days > 3650)
		return -EINVAL;
	rec = malloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rc = store_tx_begin(st);
	if (rc)
		goto out_free;
	rc = store_record_get(st, no, rec);
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	switch (rec->status) {
	case STORE_PENDING:
		rc = review_apply(st, rec, decision, by, reason, now,
				  publicity_days);
		oc = STORE_REVIEW_DONE;
		if (!rc)
			rc = store_record_get(st, no, rec);
		break;
	case STORE_APPROVED:
		oc = decision == STORE_APPROVE ? STORE_REVIEW_ALREADY :
						 STORE_REVIEW_CONFLICT;
		break;
	case STORE_REJECTED:
		oc = decision == STORE_REJECT ? STORE_REVIEW_ALREADY :
						STORE_REVIEW_CONFLICT;
		break;
	case STORE_FINAL:
		/* approved earlier and out of 公示: a repeat is harmless */
		oc = decision == STORE_APPROVE && rec->reviewed_by[0] ?
			     STORE_REVIEW_ALREADY : STORE_REVIEW_CONFLICT;
		break;
	}
out:
	rc = store_tx_end(st, rc);
	if (!rc) {
		*outcome = oc;
		if (out && oc != STORE_REVIEW_NOT_FOUND)
			*out = *rec;
	}
out_free:
	free(rec);
	return rc;
}

int store_records_finalize_due(struct store *st, int64_t now,
			       store_record_cb cb, void *data, long *count)
{
	struct store_record *rec;
	sqlite3_stmt *s;
	long n = 0;
	long long no;
	char detail[64];
	int rc, r;

	rec = malloc(sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rc = store_tx_begin(st);
	if (rc)
		goto out_free;
	for (;;) {
		s = store_stmt(st, sql_rec_first_due, &rc);
		if (!s)
			break;
		sqlite3_bind_int64(s, 1, now);
		r = store_step(st, s);
		no = r == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		sqlite3_reset(s);
		if (r == SQLITE_DONE)
			break;
		if (r != SQLITE_ROW) {
			rc = store_errno(r);
			break;
		}
		s = store_stmt(st, sql_rec_finalize, &rc);
		if (!s)
			break;
		sqlite3_bind_int64(s, 1, no);
		rc = store_exec_stmt(st, s);
		if (rc)
			break;
		snprintf(detail, sizeof(detail), "no=%lld", no);
		rc = store_audit(st, now, "gateway", "record.final", detail);
		if (!rc)
			rc = store_record_get(st, no, rec);
		if (!rc && cb)
			rc = cb(rec, data);
		if (rc)
			break;
		n++;
	}
	rc = store_tx_end(st, rc);
	if (!rc && count)
		*count = n;
out_free:
	free(rec);
	return rc;
}

int store_records_next_due(struct store *st, int64_t *t)
{
	return store_query_int64(st, sql_rec_next_due, t);
}

/* ---- balances ------------------------------------------------------------- */

/* The household's sums walk its own records (index records_household);
 * its rank and the number of ranked households are read from
 * household_totals / household_rank_state (schema 3), recomputed only
 * after a total changed: a 积分 costs the same in any size of village. */
static const char sql_balance[] =
	"WITH me AS (SELECT"
	"   COALESCE(SUM(CASE WHEN status = 'final' THEN points END), 0) AS f,"
	"   COALESCE(SUM(CASE WHEN status = 'approved' THEN points END), 0)"
	"     AS a,"
	"   COALESCE(SUM(CASE WHEN status = 'pending' THEN points END), 0)"
	"     AS p FROM records WHERE household = ?1)"
	" SELECT me.f, me.a, me.p,"
	"  COALESCE((SELECT rank FROM household_totals WHERE household = ?1"
	"            AND active = 1), 0),"
	"  (SELECT active FROM household_rank_state WHERE id = 1) FROM me";
static const char sql_rank_stale[] =
	"SELECT gen != ranked FROM household_rank_state WHERE id = 1";
/* RANK(): ties share a rank, the next one skips (583, 583, 500 are
 * 1, 1, 3), the same as 1 + the number of households with more. */
static const char sql_rank_update[] =
	"UPDATE household_totals SET rank = r.rk FROM"
	" (SELECT household, RANK() OVER (ORDER BY final DESC) AS rk"
	"  FROM household_totals WHERE active = 1) AS r"
	" WHERE r.household = household_totals.household";
static const char sql_rank_done[] =
	"UPDATE household_rank_state SET ranked = gen,"
	" active = (SELECT COUNT(*) FROM household_totals WHERE active = 1)"
	" WHERE id = 1";

/* Recompute every rank if a total changed since the last time. */
static int refresh_ranks(struct store *st)
{
	sqlite3_stmt *s;
	int rc, r, stale;

	s = store_stmt(st, sql_rank_stale, &rc);
	if (!s)
		return rc;
	r = store_step(st, s);
	stale = r == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_reset(s);
	if (r != SQLITE_ROW)
		return store_errno(r) ? store_errno(r) : -EIO;
	if (!stale)
		return 0;
	s = store_stmt(st, sql_rank_update, &rc);
	if (!s)
		return rc;
	rc = store_exec_stmt(st, s);
	if (rc)
		return rc;
	s = store_stmt(st, sql_rank_done, &rc);
	if (!s)
		return rc;
	return store_exec_stmt(st, s);
}

int store_household_balance(struct store *st, const char *household,
			    struct store_balance *out)
{
	sqlite3_stmt *s;
	int rc, r;

	rc = store_household_get(st, household, NULL);
	if (rc)
		return rc;
	rc = refresh_ranks(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_balance, &rc);
	if (!s)
		return rc;
	store_bind_text(s, 1, household);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		out->final_points = sqlite3_column_int64(s, 0);
		out->publicity_points = sqlite3_column_int64(s, 1);
		out->pending_points = sqlite3_column_int64(s, 2);
		out->rank = sqlite3_column_int(s, 3);
		out->households = sqlite3_column_int(s, 4);
		rc = 0;
	} else {
		rc = store_errno(r) ? store_errno(r) : -EIO;
	}
	sqlite3_reset(s);
	return rc;
}

/* ---- matters ---------------------------------------------------------------- */

static const char sql_matter_add[] =
	"INSERT INTO matters(gid, household, phone, text, created_at)"
	" VALUES(?1, NULLIF(?2, ''), ?3, ?4, ?5)";

int store_matter_add(struct store *st, const char *household,
		     const char *phone, const char *text, int64_t now,
		     long long *ticket, char *gid_out)
{
	char gid[STORE_UUID_LEN], num[PHONE_MAX], detail[96];
	struct store_event ev = { .type = "matter.new" };
	sqlite3_stmt *s;
	long long n = 0;
	int rc;

	if (empty(text))
		return -EINVAL;
	if (empty(phone))
		return -EINVAL;
	store_norm_sender(phone, num, sizeof(num));
	rc = store_uuid(gid);
	if (rc)
		return rc;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	s = store_stmt(st, sql_matter_add, &rc);
	if (!s)
		goto out;
	store_bind_text(s, 1, gid);
	store_bind_text(s, 2, household ? household : "");
	store_bind_text(s, 3, num);
	store_bind_text(s, 4, text);
	sqlite3_bind_int64(s, 5, now);
	rc = store_exec_stmt(st, s);
	if (rc)
		goto out;
	n = sqlite3_last_insert_rowid(st->db);
	ev.ref = gid;
	ev.household = household;
	ev.actor = num;
	ev.text = text;
	rc = store_event_add(st, &ev, now, NULL);
	if (rc)
		goto out;
	snprintf(detail, sizeof(detail), "ticket=%lld", n);
	rc = store_audit(st, now, num, "matter.new", detail);
out:
	rc = store_tx_end(st, rc);
	if (!rc) {
		if (ticket)
			*ticket = n;
		if (gid_out)
			strcpy(gid_out, gid);
	}
	return rc;
}
