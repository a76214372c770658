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
#include "util/utf8.h"

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

/*
 * Text that is not valid UTF-8 (bad sequences, overlong forms,
 * surrogates) never reaches the store, whatever path it came by
 * (import, sync, SMS): NULL is fine.
 */
static bool utf8_ok(const char *s)
{
	size_t len, pos = 0, c;
	uint32_t cp;

	if (!s)
		return true;
	len = strlen(s);
	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (!c)
			return false;
		pos += c;
	}
	return true;
}

/* ---- event journal, audit ----------------------------------------------- */

static const char sql_event_add[] =
	"INSERT INTO events(id, type, at, body, ref, household, points, state,"
	" actor, text) VALUES(?1, ?2, ?3, '', ?4, ?5, ?6, ?7, ?8, ?9)";

int store_event_add(struct store *st, const struct store_event *e,
		    int64_t now, char *id_out)
{
	char id[STORE_UUID_LEN], at[32];
	int rc;

	if (!e || empty(e->type) || strlen(e->type) >= STORE_EVTYPE_MAX)
		return -EINVAL;
	rc = store_uuid(id);
	if (rc)
		return rc;
	store_iso8601(now, at, sizeof(at));
	rc = store_exec(st, sql_event_add, "tttttittt", id, e->type, at,
			e->ref, empty(e->household) ? NULL : e->household,
			e->points, e->state, e->actor, e->text);
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

static int event_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	store_event_read(s, 0, w->item);
	return w->cb.event(w->item, w->data);
}

int store_events_walk(struct store *st, const char *sql, store_row_fn row,
		      struct store_walk *w, int limit)
{
	struct store_event e;

	w->item = &e;
	return store_query(st, sql, row, w, "d", limit > 0 ? limit : -1);
}

int store_events_unsent(struct store *st, int max, store_event_cb cb,
			void *data)
{
	struct store_walk w = { .cb.event = cb, .data = data };

	return store_events_walk(st, sql_events_unsent, event_row, &w, max);
}

int store_events_delete(struct store *st, const char *const *ids, size_t n)
{
	size_t i;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++)
		rc = store_exec(st, sql_event_del, "t", ids[i]);
	return store_tx_end(st, rc);
}

static const char sql_audit_add[] =
	"INSERT INTO audit(at, actor, action, detail) VALUES(?1, ?2, ?3, ?4)";

int store_audit(struct store *st, int64_t now, const char *actor,
		const char *action, const char *detail)
{
	if (empty(action))
		return -EINVAL;
	return store_exec(st, sql_audit_add, "ittt", now, actor ? actor : "",
			  action, detail ? detail : "");
}

/*
 * The two journal rows of a change, inside its atomic unit: EV into the
 * event journal (what sync sends the platform) and ACTION with DETAIL
 * into the audit log, by ACTOR at NOW.
 */
static int journal(struct store *st, const struct store_event *ev,
		   int64_t now, const char *actor, const char *action,
		   const char *detail)
{
	int rc = store_event_add(st, ev, now, NULL);

	return rc ? rc : store_audit(st, now, actor, action, detail);
}

/*
 * What an insert of a row with a global id starts with: GID (LEN bytes)
 * gets WANT, the caller's id (checked to fit), or a fresh UUID when WANT
 * is NULL; then the atomic unit is opened.  0 or -errno.
 */
static int insert_begin(struct store *st, const char *want, char *gid,
			size_t len)
{
	int rc = 0;

	if (want)
		store_copy(gid, len, want);
	else
		rc = store_uuid(gid);
	return rc ? rc : store_tx_begin(st);
}

/*
 * End the atomic unit of an insert that RC is the outcome of; when it
 * commits, hand the new row's number N and its GID out to *NO and
 * GID_OUT (each may be NULL).
 */
static int insert_end(struct store *st, int rc, long long n, const char *gid,
		      long long *no, char *gid_out)
{
	rc = store_tx_end(st, rc);
	if (!rc && no)
		*no = n;
	if (!rc && gid_out)
		strcpy(gid_out, gid);
	return rc;
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

/* store_row_fn: read a household row into H (may be NULL). */
static int read_household(sqlite3_stmt *s, void *out)
{
	struct store_household *h = out;

	if (!h)
		return 0;
	store_col_text(s, 0, h->id, sizeof(h->id));
	store_col_text(s, 1, h->name, sizeof(h->name));
	h->deleted = sqlite3_column_int(s, 2) != 0;
	h->created_at = sqlite3_column_int64(s, 3);
	h->updated_at = sqlite3_column_int64(s, 4);
	return 0;
}

int store_household_get(struct store *st, const char *id,
			struct store_household *out)
{
	if (empty(id))
		return -EINVAL;
	return store_query_one(st, sql_hh_get, read_household, out, "t", id);
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
	bool isnew;
	int rc;

	if (empty(id) || strlen(id) >= STORE_ID_MAX)
		return -EINVAL;
	if (!utf8_ok(id) || !utf8_ok(name))
		return -EILSEQ;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, id, NULL);
	isnew = rc == -ENOENT;
	if (rc && !isnew)
		goto out;
	rc = store_exec(st, isnew ? sql_hh_insert : sql_hh_update, "tti", id,
			name, now);
out:
	rc = store_tx_end(st, rc);
	if (!rc && created)
		*created = isnew;
	return rc;
}

int store_household_delete(struct store *st, const char *id, int64_t now)
{
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, id, NULL);
	if (!rc)
		rc = store_exec(st, sql_hh_delete, "ti", id, now);
	if (!rc)
		rc = store_exec(st, sql_hh_clear, "t", id);
	return store_tx_end(st, rc);
}

static int household_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	read_household(s, w->item);
	return w->cb.household(w->item, w->data);
}

int store_households_list(struct store *st, store_household_cb cb,
			  void *data)
{
	struct store_household h;
	struct store_walk w = { .cb.household = cb, .data = data, .item = &h };

	return store_query(st, sql_hh_list, household_row, &w, NULL);
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
	bool isnew = false;
	int rc;

	if (norm_phone(phone, num) || empty(household) ||
	    (role != STORE_VILLAGER && role != STORE_COMMITTEE))
		return -EINVAL;
	if (!utf8_ok(name))
		return -EILSEQ;
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
	rc = store_query_one(st, sql_ph_exists, NULL, NULL, "tt", num,
			     household);
	isnew = rc == -ENOENT;
	if (rc && !isnew)
		goto out;
	rc = store_exec(st, sql_ph_upsert, "ttttti", num, household, name,
			role_name(role), empty(pin) ? NULL : hash, now);
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
	long n = 0;
	int rc;

	if (norm_phone(phone, num))
		return -EINVAL;
	if (!household)
		return store_exec(st, sql_ph_unbind_all, "t", num);
	rc = store_exec_changes(st, sql_ph_unbind, &n, "tt", num, household);
	if (!rc && n == 0)
		rc = -ENOENT;
	return rc;
}

static int member_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;
	struct store_member *m = w->item;

	store_col_text(s, 0, m->phone, sizeof(m->phone));
	store_col_text(s, 1, m->household, sizeof(m->household));
	store_col_text(s, 2, m->name, sizeof(m->name));
	m->role = strcmp((const char *)sqlite3_column_text(s, 3),
			 "committee") ? STORE_VILLAGER : STORE_COMMITTEE;
	m->has_pin = sqlite3_column_int(s, 4) != 0;
	return w->cb.member(m, w->data);
}

static int walk_members(struct store *st, const char *sql, const char *key,
			store_member_cb cb, void *data)
{
	struct store_member m;
	struct store_walk w = { .cb.member = cb, .data = data, .item = &m };

	return store_query(st, sql, member_row, &w, "t", key);
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

/* Where store_check_pin's rows go: the PIN, crypt's buffer, the answer. */
struct pin_check {
	const char *pin;
	struct crypt_data *cd;
	bool *ok;
};

/* store_row_fn: 1 (stop) when the row's hash is the PIN's. */
static int pin_row(sqlite3_stmt *s, void *p)
{
	struct pin_check *c = p;
	const char *stored = (const char *)sqlite3_column_text(s, 0);
	const char *h = crypt_r(c->pin, stored, c->cd);

	*c->ok = h && h[0] != '*' && !strcmp(h, stored);
	return *c->ok;
}

int store_check_pin(struct store *st, const char *phone, const char *pin,
		    bool *ok)
{
	struct pin_check c = { .pin = pin, .ok = ok };
	char num[PHONE_MAX];
	int rc;

	*ok = false;
	if (norm_phone(phone, num) || !pin)
		return -EINVAL;
	if (!pin_valid(pin))
		return 0;
	c.cd = calloc(1, sizeof(*c.cd));
	if (!c.cd)
		return -ENOMEM;
	rc = store_query(st, sql_ph_pins, pin_row, &c, "t", num);
	free(c.cd);
	return rc > 0 ? 0 : rc;
}

int store_phone_set_notify(struct store *st, const char *phone, bool on,
			   int64_t now)
{
	char num[PHONE_MAX];

	if (norm_phone(phone, num))
		return -EINVAL;
	return store_exec(st, sql_notify_set, "tdi", num, (int)on, now);
}

int store_phone_notify(struct store *st, const char *phone, bool *on)
{
	char num[PHONE_MAX];
	long v = 1;
	int rc;

	*on = true;
	if (norm_phone(phone, num))
		return -EINVAL;
	/* the first row, as the phone's; none: on */
	rc = store_query_one(st, sql_notify_get, store_read_long, &v, "t", num);
	*on = v != 0;
	return rc == -ENOENT ? 0 : rc;
}

/* ---- records ------------------------------------------------------------- */

static const char *const rstatus_names[] = {
	"pending", "approved", "rejected", "final", "objected",
};

const char *store_rstatus_name(enum store_rstatus s)
{
	if ((unsigned)s > STORE_OBJECTED)
		return "?";
	return rstatus_names[s];
}

int store_rstatus_parse(const char *s, enum store_rstatus *out)
{
	int i;

	for (i = 0; s && i <= STORE_OBJECTED; i++) {
		if (!strcmp(s, rstatus_names[i])) {
			*out = (enum store_rstatus)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The status a reader sees: an approved record with an open objection
 * is "objected" (its 公示 clock is stopped). */
#define RSTATUS "(CASE WHEN status = 'approved' AND objected_at IS NOT NULL" \
	" THEN 'objected' ELSE status END)"

#define RECORD_COLS \
	"SELECT no, gid, household, points, reason, " RSTATUS ", created_at," \
	" created_by, COALESCE(reviewed_by, ''), COALESCE(reviewed_at, 0)," \
	" COALESCE(review_reason, ''), COALESCE(notice_until, 0), origin" \
	" FROM records "

/* store_row_fn: read a RECORD_COLS row into OUT. */
static int read_record(sqlite3_stmt *s, void *out)
{
	struct store_record *r = out;
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
	return 0;
}

static int record_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	read_record(s, w->item);
	return w->cb.record(w->item, w->data);
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
static const char sql_rec_resume[] =
	"UPDATE records SET notice_until = notice_until + MAX(0, ?2 -"
	" objected_at), objected_at = NULL, reviewed_by = ?3, reviewed_at = ?2"
	" WHERE no = ?1 AND status = 'approved' AND objected_at IS NOT NULL";
static const char sql_rec_uphold[] =
	"UPDATE records SET status = 'rejected', objected_at = NULL,"
	" reviewed_by = ?3, reviewed_at = ?2, review_reason = ?4"
	" WHERE no = ?1 AND status = 'approved' AND objected_at IS NOT NULL";
static const char sql_obj_resolve[] =
	"UPDATE objections SET outcome = ?2, resolved_at = ?3"
	" WHERE record_no = ?1 AND resolved_at IS NULL";
static const char sql_review_add[] =
	"INSERT INTO reviews(record_no, decision, by, reason, at)"
	" VALUES(?1, ?2, ?3, ?4, ?5)";
static const char sql_rec_first_due[] =
	"SELECT no FROM records WHERE status = 'approved'"
	" AND objected_at IS NULL"
	" AND notice_until <= ?1 ORDER BY notice_until, no LIMIT 1";
static const char sql_rec_finalize[] =
	"UPDATE records SET status = 'final' WHERE no = ?1";
static const char sql_rec_next_due[] =
	"SELECT MIN(notice_until) FROM records WHERE status = 'approved'"
	" AND objected_at IS NULL";

int store_record_get(struct store *st, long long no,
		     struct store_record *out)
{
	return store_query_one(st, sql_rec_get, read_record, out, "i",
			       (int64_t)no);
}

int store_record_add(struct store *st, const struct store_record_new *r,
		     long long *no, char *gid_out)
{
	char gid[STORE_ID_MAX], detail[256];
	struct store_event ev = { .type = "record.new" };
	long long n = 0;
	int rc;

	if (!r || empty(r->household) || empty(r->reason) ||
	    (r->status != STORE_PENDING && r->status != STORE_FINAL) ||
	    (r->gid && (empty(r->gid) || strlen(r->gid) >= STORE_ID_MAX)))
		return -EINVAL;
	if (!utf8_ok(r->reason) || !utf8_ok(r->by) || !utf8_ok(r->gid) ||
	    !utf8_ok(r->household))
		return -EILSEQ;
	rc = insert_begin(st, r->gid, gid, sizeof(gid));
	if (rc)
		return rc;
	rc = household_live(st, r->household);
	if (!rc)
		rc = store_exec(st, sql_rec_insert, "ttittitt", gid,
				r->household, r->points, r->reason,
				store_rstatus_name(r->status), r->now,
				r->by ? r->by : "",
				r->origin ? r->origin : "gateway");
	if (rc)
		return insert_end(st, rc, 0, gid, no, gid_out);
	n = sqlite3_last_insert_rowid(st->db);
	ev.ref = gid;
	ev.household = r->household;
	ev.points = r->points;
	ev.text = r->reason;
	ev.actor = r->by ? r->by : "";
	ev.state = store_rstatus_name(r->status);
	snprintf(detail, sizeof(detail), "no=%lld household=%s points=%lld %s",
		 n, r->household, r->points, store_rstatus_name(r->status));
	rc = journal(st, &ev, r->now, r->by, "record.add", detail);
	return insert_end(st, rc, n, gid, no, gid_out);
}

int store_record_put_remote(struct store *st, const char *gid,
			    const char *household, long long points,
			    const char *reason, enum store_rstatus status,
			    int64_t created_at, int64_t notice_until,
			    int64_t now)
{
	bool exists;
	int rc;

	if (empty(gid) || strlen(gid) >= STORE_ID_MAX || empty(household) ||
	    (unsigned)status > STORE_FINAL)
		return -EINVAL;
	if (!utf8_ok(gid) || !utf8_ok(household) || !utf8_ok(reason))
		return -EILSEQ;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_household_get(st, household, NULL);
	if (rc)
		goto out;
	rc = store_query_one(st, sql_rec_by_gid, NULL, NULL, "t", gid);
	exists = rc == 0;
	if (rc && rc != -ENOENT)
		goto out;
	rc = store_exec(st, exists ? sql_rec_remote_upd : sql_rec_remote_ins,
			"ttittii", gid, household, points,
			reason ? reason : "", store_rstatus_name(status),
			created_at, notice_until);
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
		  { RECORD_COLS "WHERE " RSTATUS " = ?2 ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE " RSTATUS " = ?2 ORDER BY no DESC"
				" LIMIT ?3" } },
		{ { RECORD_COLS "WHERE household = ?1 ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE household = ?1 ORDER BY no DESC"
				" LIMIT ?3" },
		  { RECORD_COLS "WHERE household = ?1 AND " RSTATUS " = ?2"
				" ORDER BY no LIMIT ?3",
		    RECORD_COLS "WHERE household = ?1 AND " RSTATUS " = ?2"
				" ORDER BY no DESC LIMIT ?3" } },
	};
	struct store_record_filter all = { NULL, -1, false, 0 };
	struct store_walk w = { .cb.record = cb, .data = data };
	const char *status;
	int rc;

	if (!f)
		f = &all;
	if (f->status > STORE_OBJECTED)
		return -EINVAL;
	status = f->status >= 0 ?
		 store_rstatus_name((enum store_rstatus)f->status) : NULL;
	w.item = malloc(sizeof(struct store_record));
	if (!w.item)
		return -ENOMEM;
	/* every variant numbers its parameters ?1..?3: unused ones bind NULL */
	rc = store_query(st, sqls[f->household != NULL][f->status >= 0]
				 [f->newest_first], record_row, &w, "ttd",
			 f->household, status, f->limit > 0 ? f->limit : -1);
	free(w.item);
	return rc;
}

/* Decide an objected record: approve resumes 公示 (the days the
 * objection stood do not count), reject ends it; the objections are
 * resolved with the decision. */
static int review_objected(struct store *st, const struct store_record *rec,
			   enum store_decision decision, const char *by,
			   const char *reason, int64_t now)
{
	const char *dname = decision == STORE_APPROVE ? "approved" :
							"rejected";
	int rc;

	if (decision == STORE_APPROVE)
		rc = store_exec(st, sql_rec_resume, "iit", rec->no, now, by);
	else
		rc = store_exec(st, sql_rec_uphold, "iitt", rec->no, now, by,
				reason ? reason : "");
	if (rc)
		return rc;
	return store_exec(st, sql_obj_resolve, "iti", rec->no, dname, now);
}

static int review_apply(struct store *st, const struct store_record *rec,
			enum store_decision decision, const char *by,
			const char *reason, int64_t now, int publicity_days)
{
	const char *dname = decision == STORE_APPROVE ? "approved" :
							"rejected";
	struct store_event ev = { .type = "record.review" };
	char detail[256];
	int rc;

	if (rec->status == STORE_OBJECTED)
		rc = review_objected(st, rec, decision, by, reason, now);
	else	/* a rejection leaves notice_until (?6) NULL */
		rc = store_exec(st, sql_rec_review,
				decision == STORE_APPROVE ? "ittiti" : "ittit",
				rec->no, dname, by, now, reason ? reason : "",
				now + (int64_t)publicity_days * 86400);
	if (!rc)
		rc = store_exec(st, sql_review_add, "ittti", rec->no, dname, by,
				reason ? reason : "", now);
	if (rc)
		return rc;
	snprintf(detail, sizeof(detail), "no=%lld %s %s", rec->no, dname,
		 reason ? reason : "");
	ev.ref = rec->gid;
	ev.state = dname;
	ev.actor = by;
	ev.text = reason ? reason : "";
	return journal(st, &ev, now, by, "record.review", detail);
}

/* A committee member's review or a villager's objection of a record. */
struct record_change {
	enum store_decision decision;	/* review */
	const char *by;			/* the reviewer; the objector's phone */
	const char *household;		/* objection: the objector's or NULL */
	const char *reason;
	int64_t now;
	int publicity_days;		/* review */
};

/* What a change does to the loaded record REC: 0 or -errno, *OC the
 * outcome (a store_review_outcome or store_object_outcome). */
typedef int (*record_change_fn)(struct store *st, struct store_record *rec,
				const struct record_change *c, int *oc);

/*
 * What changing records starts with: a buffer *REC for one record and an
 * open atomic unit.  0, or -errno with nothing open (*REC NULL).
 */
static int record_tx_begin(struct store *st, struct store_record **rec)
{
	int rc;

	*rec = malloc(sizeof(**rec));
	if (!*rec)
		return -ENOMEM;
	rc = store_tx_begin(st);
	if (rc) {
		free(*rec);
		*rec = NULL;
	}
	return rc;
}

/*
 * The frame review and objection share: in one atomic unit load record
 * NO and apply FN to it (no such record: *OC = NOT_FOUND, nothing
 * changed); on commit *OUT (may be NULL) gets the record as it now
 * stands unless it was not found.  0 or -errno.
 */
static int record_update(struct store *st, long long no, record_change_fn fn,
			 const struct record_change *c, int not_found,
			 int *oc, struct store_record *out)
{
	struct store_record *rec;
	int rc;

	*oc = not_found;
	rc = record_tx_begin(st, &rec);
	if (rc)
		return rc;
	rc = store_record_get(st, no, rec);
	if (!rc)
		rc = fn(st, rec, c, oc);
	else if (rc == -ENOENT)
		rc = 0;
	rc = store_tx_end(st, rc);
	if (!rc && out && *oc != not_found)
		*out = *rec;
	free(rec);
	return rc;
}

static int review_change(struct store *st, struct store_record *rec,
			 const struct record_change *c, int *oc)
{
	bool approve = c->decision == STORE_APPROVE;
	int rc = 0;

	switch (rec->status) {
	case STORE_PENDING:
	case STORE_OBJECTED:
		rc = review_apply(st, rec, c->decision, c->by, c->reason,
				  c->now, c->publicity_days);
		*oc = STORE_REVIEW_DONE;
		if (!rc)
			rc = store_record_get(st, rec->no, rec);
		break;
	case STORE_APPROVED:
		*oc = approve ? STORE_REVIEW_ALREADY : STORE_REVIEW_CONFLICT;
		break;
	case STORE_REJECTED:
		*oc = !approve ? STORE_REVIEW_ALREADY : STORE_REVIEW_CONFLICT;
		break;
	case STORE_FINAL:
		/* approved earlier and out of 公示: a repeat is harmless */
		*oc = approve && rec->reviewed_by[0] ? STORE_REVIEW_ALREADY :
						       STORE_REVIEW_CONFLICT;
		break;
	}
	return rc;
}

int store_record_review(struct store *st, long long no,
			enum store_decision decision, const char *by,
			const char *reason, int64_t now, int publicity_days,
			enum store_review_outcome *outcome,
			struct store_record *out)
{
	const struct record_change c = {
		.decision = decision, .by = by, .reason = reason, .now = now,
		.publicity_days = publicity_days,
	};
	int rc, oc;

	if ((decision != STORE_APPROVE && decision != STORE_REJECT) ||
	    empty(by) || publicity_days < 0 || publicity_days > 3650)
		return -EINVAL;
	if (!utf8_ok(reason) || !utf8_ok(by))
		return -EILSEQ;
	rc = record_update(st, no, review_change, &c, STORE_REVIEW_NOT_FOUND,
			   &oc, out);
	if (!rc)
		*outcome = (enum store_review_outcome)oc;
	return rc;
}

int store_records_finalize_due(struct store *st, int64_t now,
			       store_record_cb cb, void *data, long *count)
{
	struct store_record *rec;
	long long no;
	char detail[64];
	long n = 0;
	int rc;

	rc = record_tx_begin(st, &rec);
	if (rc)
		return rc;
	for (;;) {
		rc = store_get(st, sql_rec_first_due, "i", "l", now, &no);
		if (rc == -ENOENT) {
			rc = 0;		/* none left */
			break;
		}
		if (rc)
			break;
		rc = store_exec(st, sql_rec_finalize, "i", (int64_t)no);
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
	int rc, stale = 0;

	rc = store_get(st, sql_rank_stale, NULL, "d", &stale);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	if (!stale)
		return 0;
	rc = store_exec(st, sql_rank_update, NULL);
	if (!rc)
		rc = store_exec(st, sql_rank_done, NULL);
	return rc;
}

int store_household_balance(struct store *st, const char *household,
			    struct store_balance *out)
{
	int rc;

	rc = store_household_get(st, household, NULL);
	if (rc)
		return rc;
	rc = refresh_ranks(st);
	if (rc)
		return rc;
	rc = store_get(st, sql_balance, "t", "llldd", household,
		       &out->final_points, &out->publicity_points,
		       &out->pending_points, &out->rank, &out->households);
	return rc == -ENOENT ? -EIO : rc;	/* an aggregate: one row */
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
	long long n = 0;
	int rc;

	if (empty(text))
		return -EINVAL;
	if (empty(phone))
		return -EINVAL;
	if (!utf8_ok(text) || !utf8_ok(household))
		return -EILSEQ;
	store_norm_sender(phone, num, sizeof(num));
	rc = insert_begin(st, NULL, gid, sizeof(gid));
	if (rc)
		return rc;
	rc = store_exec(st, sql_matter_add, "tttti", gid,
			household ? household : "", num, text, now);
	if (rc)
		return insert_end(st, rc, 0, gid, ticket, gid_out);
	n = sqlite3_last_insert_rowid(st->db);
	ev.ref = gid;
	ev.household = household;
	ev.actor = num;
	ev.text = text;
	snprintf(detail, sizeof(detail), "ticket=%lld", n);
	rc = journal(st, &ev, now, num, "matter.new", detail);
	return insert_end(st, rc, n, gid, ticket, gid_out);
}

/* ---- objections (异议) ----------------------------------------------------- */

static const char sql_rec_object[] =
	"UPDATE records SET objected_at = ?2 WHERE no = ?1"
	" AND status = 'approved' AND objected_at IS NULL";
static const char sql_obj_add[] =
	"INSERT INTO objections(record_no, phone, household, reason, at)"
	" VALUES(?1, ?2, NULLIF(?3, ''), ?4, ?5)";
static const char sql_obj_open[] =
	"SELECT phone, COALESCE(household, ''), reason, at FROM objections"
	" WHERE record_no = ?1 AND resolved_at IS NULL ORDER BY id";

static int object_change(struct store *st, struct store_record *rec,
			 const struct record_change *c, int *oc)
{
	struct store_event ev = { .type = "record.objection" };
	char detail[STORE_TEXT_MAX + 64];
	int rc;

	if (rec->status != STORE_APPROVED && rec->status != STORE_OBJECTED) {
		*oc = STORE_OBJECT_NOT_PUBLIC;
		return 0;
	}
	*oc = rec->status == STORE_OBJECTED ? STORE_OBJECT_AGAIN :
					      STORE_OBJECT_DONE;
	rc = store_exec(st, sql_rec_object, "ii", (int64_t)rec->no, c->now);
	if (!rc)
		rc = store_exec(st, sql_obj_add, "ittti", (int64_t)rec->no,
				c->by, c->household ? c->household : "",
				c->reason, c->now);
	if (rc)
		return rc;
	snprintf(detail, sizeof(detail), "no=%lld %s", rec->no, c->reason);
	ev.ref = rec->gid;
	ev.household = c->household;	/* the objector's; NULL or "": null */
	ev.actor = c->by;
	ev.text = c->reason;
	rc = journal(st, &ev, c->now, c->by, "record.objection", detail);
	if (!rc)
		rc = store_record_get(st, rec->no, rec);
	return rc;
}

int store_record_object(struct store *st, long long no, const char *phone,
			const char *household, const char *reason, int64_t now,
			enum store_object_outcome *outcome,
			struct store_record *out)
{
	struct record_change c = {
		.household = household, .reason = reason, .now = now,
	};
	char num[PHONE_MAX];
	int rc, oc;

	if (empty(reason) || norm_phone(phone, num) || !outcome)
		return -EINVAL;
	if (!utf8_ok(reason) || !utf8_ok(household))
		return -EILSEQ;
	c.by = num;
	rc = record_update(st, no, object_change, &c, STORE_OBJECT_NOT_FOUND,
			   &oc, out);
	if (!rc)
		*outcome = (enum store_object_outcome)oc;
	return rc;
}

/* Row of sql_obj_open (phone, household, reason, at; ?1 the record). */
static int objection_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;
	struct store_objection *o = w->item;
	long long no = o->record_no;

	memset(o, 0, sizeof(*o));
	o->record_no = no;
	store_col_text(s, 0, o->phone, sizeof(o->phone));
	store_col_text(s, 1, o->household, sizeof(o->household));
	store_col_text(s, 2, o->reason, sizeof(o->reason));
	o->at = sqlite3_column_int64(s, 3);
	return w->cb.objection(o, w->data);
}

int store_objections_open(struct store *st, long long no,
			  store_objection_cb cb, void *data)
{
	struct store_objection o = { .record_no = no };
	struct store_walk w = { .cb.objection = cb, .data = data, .item = &o };

	return store_query(st, sql_obj_open, objection_row, &w, "i",
			   (int64_t)no);
}

/* ---- matters: list, answer, close ------------------------------------------ */

#define MATTER_COLS \
	"SELECT no, gid, COALESCE(household, ''), phone, text, state," \
	" COALESCE(answer, ''), created_at, COALESCE(answered_at, 0)," \
	" COALESCE(closed_at, 0) FROM matters "

static const char sql_matter_get[] = MATTER_COLS "WHERE no = ?1";
static const char sql_matters_all[] = MATTER_COLS "ORDER BY no";
static const char sql_matters_open[] =
	MATTER_COLS "WHERE state != 'closed' ORDER BY no";
static const char sql_matter_answer[] =
	"UPDATE matters SET state = 'answered', answer = ?2, answered_by = ?3,"
	" answered_at = ?4 WHERE no = ?1 AND state != 'closed'";
static const char sql_matter_close[] =
	"UPDATE matters SET state = 'closed', closed_at = ?2"
	" WHERE no = ?1 AND state != 'closed'";

/* store_row_fn: read a matter row into OUT. */
static int read_matter(sqlite3_stmt *s, void *out)
{
	struct store_matter *m = out;
	char state[16];

	m->no = sqlite3_column_int64(s, 0);
	store_col_text(s, 1, m->gid, sizeof(m->gid));
	store_col_text(s, 2, m->household, sizeof(m->household));
	store_col_text(s, 3, m->phone, sizeof(m->phone));
	store_col_text(s, 4, m->text, sizeof(m->text));
	store_col_text(s, 5, state, sizeof(state));
	m->state = !strcmp(state, "closed") ? STORE_MATTER_CLOSED :
		   !strcmp(state, "answered") ? STORE_MATTER_ANSWERED :
		   STORE_MATTER_OPEN;
	store_col_text(s, 6, m->answer, sizeof(m->answer));
	m->created_at = sqlite3_column_int64(s, 7);
	m->answered_at = sqlite3_column_int64(s, 8);
	m->closed_at = sqlite3_column_int64(s, 9);
	return 0;
}

const char *store_matter_state_name(enum store_matter_state s)
{
	switch (s) {
	case STORE_MATTER_OPEN:
		return "open";
	case STORE_MATTER_ANSWERED:
		return "answered";
	case STORE_MATTER_CLOSED:
		return "closed";
	}
	return "?";
}

int store_matter_get(struct store *st, long long no, struct store_matter *out)
{
	return store_query_one(st, sql_matter_get, read_matter, out, "i",
			       (int64_t)no);
}

static int matter_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	read_matter(s, w->item);
	return w->cb.matter(w->item, w->data);
}

int store_matters_list(struct store *st, bool open_only, store_matter_cb cb,
		       void *data)
{
	struct store_walk w = { .cb.matter = cb, .data = data };
	int rc;

	w.item = malloc(sizeof(struct store_matter));
	if (!w.item)
		return -ENOMEM;
	rc = store_query(st, open_only ? sql_matters_open : sql_matters_all,
			 matter_row, &w, NULL);
	free(w.item);
	return rc;
}

/* Answer (ANSWER set) or close matter NO, plus its audit row. */
static int matter_change(struct store *st, long long no, const char *by,
			 const char *answer, int64_t now, bool *changed)
{
	char detail[STORE_TEXT_MAX + 32];
	long n = 0;
	int rc;

	*changed = false;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	if (answer)
		rc = store_exec_changes(st, sql_matter_answer, &n, "itti",
					(int64_t)no, answer, by, now);
	else
		rc = store_exec_changes(st, sql_matter_close, &n, "ii",
					(int64_t)no, now);
	*changed = !rc && n > 0;
	if (!*changed)
		goto out;
	snprintf(detail, sizeof(detail), "ticket=%lld%s%s", no,
		 answer ? " " : "", answer ? answer : "");
	rc = store_audit(st, now, by, answer ? "matter.answer" : "matter.close",
			 detail);
out:
	return store_tx_end(st, rc);
}

int store_matter_answer(struct store *st, long long no, const char *by,
			const char *text, int64_t now, bool *changed)
{
	bool c;

	if (empty(by) || empty(text))
		return -EINVAL;
	if (!utf8_ok(text))
		return -EILSEQ;
	return matter_change(st, no, by, text, now, changed ? changed : &c);
}

int store_matter_close(struct store *st, long long no, const char *by,
		       int64_t now, bool *changed)
{
	bool c;

	if (empty(by))
		return -EINVAL;
	return matter_change(st, no, by, NULL, now, changed ? changed : &c);
}

/* ---- PIN lockout ------------------------------------------------------------ */

static const char sql_pin_get[] =
	"SELECT count, locked_until FROM pin_fails WHERE phone = ?1";
static const char sql_pin_put[] =
	"INSERT INTO pin_fails(phone, count, locked_until) VALUES(?1, ?2, ?3)"
	" ON CONFLICT(phone) DO UPDATE SET count = ?2, locked_until = ?3";
static const char sql_pin_clear[] = "DELETE FROM pin_fails WHERE phone = ?1";

/* A phone's pin_fails row: failures since the last lock, lock end. */
struct pin_fails {
	int count;
	int64_t until;
};

/* NUM's row into *PF (zeros when it has none): 0 or -errno. */
static int pin_fails_get(struct store *st, const char *num,
			 struct pin_fails *pf)
{
	int rc;

	memset(pf, 0, sizeof(*pf));
	rc = store_get(st, sql_pin_get, "t", "di", num, &pf->count,
		       &pf->until);
	return rc == -ENOENT ? 0 : rc;
}

int store_pin_locked(struct store *st, const char *phone, int64_t now,
		     int64_t *until)
{
	struct pin_fails pf;
	char num[PHONE_MAX];
	int rc;

	*until = 0;
	if (norm_phone(phone, num))
		return -EINVAL;
	rc = pin_fails_get(st, num, &pf);
	if (!rc && pf.until > now)
		*until = pf.until;
	return rc;
}

int store_pin_failed(struct store *st, const char *phone, int64_t now,
		     int tries, int lock_s, bool *locked)
{
	struct pin_fails pf;
	char num[PHONE_MAX];
	int rc;

	*locked = false;
	if (norm_phone(phone, num) || tries < 1)
		return -EINVAL;
	rc = pin_fails_get(st, num, &pf);
	if (rc)
		return rc;
	if (pf.until > now)
		return 0;	/* already locked: do not extend */
	pf.count++;
	if (pf.count >= tries) {
		pf.count = 0;
		pf.until = now + lock_s;
		*locked = true;
	}
	rc = store_exec(st, sql_pin_put, "tdi", num, pf.count, pf.until);
	if (!rc && *locked)
		rc = store_audit(st, now, num, "pin.locked", "");
	return rc;
}

int store_pin_reset(struct store *st, const char *phone)
{
	char num[PHONE_MAX];

	if (norm_phone(phone, num))
		return -EINVAL;
	return store_exec(st, sql_pin_clear, "t", num);
}

/* ---- committee notices (通知) ------------------------------------------------ */

static const char sql_notice_add[] =
	"INSERT INTO notices(code, by, scope, text, created_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5)";
static const char sql_notice_get[] =
	"SELECT by, scope = 'committee', text, created_at,"
	" COALESCE(sent_at, 0), count FROM notices WHERE code = ?1";
static const char sql_notice_sent[] =
	"UPDATE notices SET sent_at = ?2, count = ?3 WHERE code = ?1"
	" AND sent_at IS NULL";
static const char sql_notices_since[] =
	"SELECT COUNT(*) FROM notices WHERE sent_at >= ?1";

int store_notice_add(struct store *st, const char *code, const char *by,
		     bool committee_only, const char *text, int64_t now)
{
	if (empty(code) || empty(by) || empty(text))
		return -EINVAL;
	if (!utf8_ok(text))
		return -EILSEQ;
	return store_exec(st, sql_notice_add, "tttti", code, by,
			  committee_only ? "committee" : "all", text, now);
}

int store_notice_get(struct store *st, const char *code,
		     struct store_notice *out)
{
	int rc;

	if (empty(code))
		return -EINVAL;
	rc = store_get(st, sql_notice_get, "t", "tbtiid", code, out->by,
		       sizeof(out->by), &out->committee_only, out->text,
		       sizeof(out->text), &out->created_at, &out->sent_at,
		       &out->count);
	if (!rc)
		store_copy(out->code, sizeof(out->code), code);
	return rc;
}

int store_notice_mark_sent(struct store *st, const char *code, int count,
			   int64_t now)
{
	char detail[64];
	long n = 0;
	int rc;

	rc = store_exec_changes(st, sql_notice_sent, &n, "tid", code, now,
				count);
	if (rc)
		return rc;
	if (n == 0)
		return -EALREADY;
	snprintf(detail, sizeof(detail), "code=%s count=%d", code, count);
	return store_audit(st, now, "gateway", "notice.sent", detail);
}

int store_notices_sent_since(struct store *st, int64_t since, long *n)
{
	return store_query_one(st, sql_notices_since, store_read_long, n, "i",
			       since);
}

/* ---- confirmations merged past the hourly cap -------------------------------- */

static const char sql_merged_get[] =
	"SELECT out_id, items, n, due_at FROM merged_replies WHERE phone = ?1";
static const char sql_merged_put[] =
	"INSERT INTO merged_replies(phone, out_id, items, n, due_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(phone) DO UPDATE SET"
	" out_id = ?2, items = ?3, n = ?4, due_at = ?5";

int store_merged_get(struct store *st, const char *phone, long long *out_id,
		     char *items, size_t size, int *n, int64_t *due_at)
{
	char num[PHONE_MAX];

	if (norm_phone(phone, num))
		return -EINVAL;
	return store_get(st, sql_merged_get, "t", "ltdi", num, out_id, items,
			 size, n, due_at);
}

int store_merged_put(struct store *st, const char *phone, long long out_id,
		     const char *items, int n, int64_t due_at)
{
	char num[PHONE_MAX];

	if (norm_phone(phone, num) || !items)
		return -EINVAL;
	return store_exec(st, sql_merged_put, "titdi", num, (int64_t)out_id,
			  items, n, due_at);
}

/* ---- messages whose handling failed ----------------------------------------- */

static const char sql_fail_get[] =
	"SELECT attempts FROM inbox_fails WHERE msg_id = ?1";
static const char sql_fail_put[] =
	"INSERT INTO inbox_fails(msg_id, sender, attempts, last_error, at)"
	" VALUES(?1, ?2, 1, ?3, ?4) ON CONFLICT(msg_id) DO UPDATE SET"
	" attempts = attempts + 1, last_error = ?3, at = ?4";
static const char sql_fail_gave_up[] =
	"UPDATE inbox_fails SET gave_up = 1 WHERE msg_id = ?1";
static const char sql_fail_count[] =
	"SELECT COUNT(*) FROM inbox_fails WHERE gave_up = 1";

int store_inbox_failed(struct store *st, long long msg_id, const char *sender,
		       const char *err, int64_t now, int *attempts)
{
	int rc;

	rc = store_exec(st, sql_fail_put, "itti", (int64_t)msg_id,
			sender ? sender : "", err ? err : "", now);
	if (rc)
		return rc;
	/* the count is advice (when to give up): 1 if it cannot be read */
	*attempts = 1;
	store_get(st, sql_fail_get, "i", "d", (int64_t)msg_id, attempts);
	return 0;
}

int store_inbox_gave_up(struct store *st, long long msg_id)
{
	return store_exec(st, sql_fail_gave_up, "i", (int64_t)msg_id);
}

int store_inbox_gave_up_count(struct store *st, long *n)
{
	return store_query_one(st, sql_fail_count, store_read_long, n, NULL);
}

/* ---- committee phones --------------------------------------------------------- */

static const char sql_committee[] =
	"SELECT DISTINCT p.phone FROM phones p JOIN households h"
	" ON h.id = p.household WHERE h.deleted = 0 AND p.role = 'committee'"
	" ORDER BY p.phone";

static int phone_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	store_col_text(s, 0, w->item, PHONE_MAX);
	return w->cb.phone(w->item, w->data);
}

int store_committee_phones(struct store *st, store_phone_cb cb, void *data)
{
	char phone[PHONE_MAX];
	struct store_walk w = { .cb.phone = cb, .data = data, .item = phone };

	return store_query(st, sql_committee, phone_row, &w, NULL);
}
