/* SPDX-License-Identifier: MIT */
/*
 * store - open, pragmas, migrations, transactions, statement cache,
 * fault hook, key/values, counts and retention.  See store.h and
 * docs/STORAGE.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/phone.h"
#include "storage/store_priv.h"
#include "util/array.h"

/* ---- schema ---------------------------------------------------------- */

/*
 * Migrations: entry i takes user_version i to i + 1.  Append only; never
 * edit a released entry.
 */
static const char *const migrations[] = {
	/* 0 -> 1: initial schema */
	"CREATE TABLE households("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE phones("
	"  phone TEXT NOT NULL,"
	"  household TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL CHECK(role IN ('villager','committee')),"
	"  pin_hash TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY(phone, household)) WITHOUT ROWID;"
	"CREATE INDEX phones_household ON phones(household);"
	"CREATE TABLE phone_prefs("
	"  phone TEXT PRIMARY KEY,"
	"  notify INTEGER NOT NULL DEFAULT 1,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE records("
	"  no INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  gid TEXT NOT NULL UNIQUE,"
	"  household TEXT NOT NULL REFERENCES households(id),"
	"  points INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  status TEXT NOT NULL"
	"    CHECK(status IN ('pending','approved','rejected','final')),"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  reviewed_by TEXT,"
	"  reviewed_at INTEGER,"
	"  review_reason TEXT,"
	"  notice_until INTEGER,"
	"  origin TEXT NOT NULL DEFAULT 'gateway');"
	"CREATE INDEX records_household ON records(household, status);"
	"CREATE INDEX records_due ON records(status, notice_until);"
	"CREATE TABLE reviews("
	"  id INTEGER PRIMARY KEY,"
	"  record_no INTEGER NOT NULL REFERENCES records(no),"
	"  decision TEXT NOT NULL CHECK(decision IN ('approved','rejected')),"
	"  by TEXT NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX reviews_record ON reviews(record_no);"
	"CREATE TABLE matters("
	"  no INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  gid TEXT NOT NULL UNIQUE,"
	"  household TEXT,"
	"  phone TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE audit("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE events("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  id TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  body TEXT NOT NULL);"
	"CREATE TABLE sync_state("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE status("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE inbox("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  scts TEXT NOT NULL,"
	"  scts_epoch INTEGER NOT NULL,"
	"  concat_ref INTEGER NOT NULL DEFAULT 0,"
	"  concat_total INTEGER NOT NULL DEFAULT 0,"
	"  concat_seq INTEGER NOT NULL DEFAULT 0,"
	"  text TEXT NOT NULL,"
	"  alphabet TEXT NOT NULL DEFAULT 'gsm7',"
	"  class INTEGER NOT NULL DEFAULT -1,"
	"  pdu TEXT NOT NULL DEFAULT '',"
	"  received_at INTEGER NOT NULL,"
	"  processed_at INTEGER,"
	"  msg_id INTEGER,"
	"  UNIQUE(sender, scts, concat_ref, concat_total, concat_seq, text));"
	"CREATE INDEX inbox_unprocessed ON inbox(received_at, id)"
	"  WHERE processed_at IS NULL;"
	"CREATE INDEX inbox_group ON inbox(sender, concat_ref, concat_total)"
	"  WHERE processed_at IS NULL;"
	"CREATE INDEX inbox_sender ON inbox(sender, received_at);"
	"CREATE TABLE inbox_msgs("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  nparts INTEGER NOT NULL,"
	"  incomplete INTEGER NOT NULL DEFAULT 0,"
	"  received_at INTEGER NOT NULL,"
	"  processed_at INTEGER NOT NULL);"
	"CREATE INDEX inbox_msgs_sender ON inbox_msgs(sender, received_at);"
	"CREATE TABLE hints("
	"  phone TEXT NOT NULL,"
	"  day TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY(phone, day)) WITHOUT ROWID;"
	"CREATE TABLE outbox("
	"  id INTEGER PRIMARY KEY,"
	"  recipient TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK(kind IN ('reply','notify','alert')),"
	"  in_reply_to INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK(state IN"
	"    ('queued','sending','sent','failed','cancelled')),"
	"  done_at INTEGER);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, created_at);"
	"CREATE INDEX outbox_state ON outbox(state, done_at);"
	"CREATE UNIQUE INDEX outbox_one_reply ON outbox(in_reply_to)"
	"  WHERE kind = 'reply' AND in_reply_to != 0;"
	"CREATE TABLE outbox_parts("
	"  id INTEGER PRIMARY KEY,"
	"  msg INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  pdu TEXT NOT NULL,"
	"  tpdu_len INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued'"
	"    CHECK(state IN ('queued','sent','failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL DEFAULT 0,"
	"  mr INTEGER NOT NULL DEFAULT -1,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  delivered INTEGER,"
	"  delivered_at INTEGER,"
	"  UNIQUE(msg, seq));"
	"CREATE INDEX outbox_parts_due ON outbox_parts(next_attempt_at)"
	"  WHERE state = 'queued';"
	"CREATE INDEX outbox_parts_mr ON outbox_parts(mr, sent_at);",
	/* 1 -> 2: the next part to send without sorting the whole queue */
	"CREATE INDEX outbox_parts_queued ON outbox_parts(msg, seq)"
	"  WHERE state = 'queued';",
	/* 2 -> 3: jifen-web sessions, login codes, login attempts */
	"CREATE TABLE IF NOT EXISTS web_sessions("
	"  token TEXT PRIMARY KEY,"
	"  who TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('clerk','committee')),"
	"  csrf TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS web_codes("
	"  phone TEXT PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS web_logins("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS web_logins_key ON web_logins(key, at);",
	/* 3 -> 4: sync (issue 10): events keep columns instead of a JSON
	 * body (jifen-sync builds the JSON), rejected events are kept,
	 * imported bundles remembered, the platform's loan policy */
	"ALTER TABLE events ADD COLUMN ref TEXT;"
	"ALTER TABLE events ADD COLUMN household TEXT;"
	"ALTER TABLE events ADD COLUMN points INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE events ADD COLUMN state TEXT;"
	"ALTER TABLE events ADD COLUMN actor TEXT;"
	"ALTER TABLE events ADD COLUMN text TEXT;"
	"UPDATE events SET"
	"  ref = COALESCE(json_extract(body, '$.record'),"
	"                 json_extract(body, '$.matter')),"
	"  household = json_extract(body, '$.household'),"
	"  points = COALESCE(json_extract(body, '$.points'), 0),"
	"  state = COALESCE(json_extract(body, '$.status'),"
	"                   json_extract(body, '$.decision')),"
	"  actor = COALESCE(json_extract(body, '$.by'),"
	"                   json_extract(body, '$.phone')),"
	"  text = COALESCE(json_extract(body, '$.reason'),"
	"                  json_extract(body, '$.text')),"
	"  body = ''"
	"  WHERE json_valid(body);"
	"CREATE TABLE sync_rejected("
	"  id TEXT PRIMARY KEY,"
	"  type TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  ref TEXT, household TEXT, points INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT, actor TEXT, text TEXT,"
	"  reason TEXT NOT NULL,"
	"  rejected_at INTEGER NOT NULL);"
	"CREATE TABLE sync_bundles("
	"  id TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE TABLE loan_policy("
	"  id INTEGER PRIMARY KEY CHECK(id = 1),"
	"  base_rate REAL NOT NULL,"
	"  mode TEXT NOT NULL CHECK(mode IN ('linear','step')),"
	"  step_points INTEGER NOT NULL,"
	"  step_discount REAL NOT NULL,"
	"  max_discount REAL NOT NULL,"
	"  floor_rate REAL NOT NULL,"
	"  score TEXT NOT NULL CHECK(score IN ('final','approved')),"
	"  updated_at INTEGER NOT NULL);",
	/* 4 -> 5: village workflows (issue 11): objections during 公示,
	 * matters answered and closed, PIN lockout, committee notices,
	 * merged confirmations past the hourly cap, handling failures */
	"ALTER TABLE records ADD COLUMN objected_at INTEGER;"
	"CREATE TABLE objections("
	"  id INTEGER PRIMARY KEY,"
	"  record_no INTEGER NOT NULL REFERENCES records(no),"
	"  phone TEXT NOT NULL,"
	"  household TEXT,"
	"  reason TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  outcome TEXT,"
	"  resolved_at INTEGER);"
	"CREATE INDEX objections_record ON objections(record_no);"
	"ALTER TABLE matters ADD COLUMN state TEXT NOT NULL DEFAULT 'open';"
	"ALTER TABLE matters ADD COLUMN answer TEXT;"
	"ALTER TABLE matters ADD COLUMN answered_by TEXT;"
	"ALTER TABLE matters ADD COLUMN answered_at INTEGER;"
	"ALTER TABLE matters ADD COLUMN closed_at INTEGER;"
	"CREATE TABLE pin_fails("
	"  phone TEXT PRIMARY KEY,"
	"  count INTEGER NOT NULL,"
	"  locked_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE notices("
	"  code TEXT PRIMARY KEY,"
	"  by TEXT NOT NULL,"
	"  scope TEXT NOT NULL CHECK(scope IN ('all','committee')),"
	"  text TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  count INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE merged_replies("
	"  phone TEXT PRIMARY KEY,"
	"  out_id INTEGER NOT NULL,"
	"  items TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE inbox_fails("
	"  msg_id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  at INTEGER NOT NULL,"
	"  gave_up INTEGER NOT NULL DEFAULT 0);",
	/*
	 * 5 -> 6 (appliance): each household's final points kept by
	 * triggers, and each household's rank in the village computed once
	 * per change of any total (not per 积分: the old query summed every
	 * household's records for every message; docs/STORAGE.md).
	 * Idempotent (IF NOT EXISTS, OR REPLACE): safe to run again.
	 */
	"CREATE TABLE IF NOT EXISTS household_totals("
	"  household TEXT PRIMARY KEY,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  final INTEGER NOT NULL DEFAULT 0,"
	"  rank INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	/* gen: bumped by every change of a total; ranked: the gen the
	 * rank column was computed for (store_household_balance) */
	"CREATE TABLE IF NOT EXISTS household_rank_state("
	"  id INTEGER PRIMARY KEY CHECK(id = 1),"
	"  gen INTEGER NOT NULL, ranked INTEGER NOT NULL,"
	"  active INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO household_rank_state VALUES(1, 1, 0, 0);"
	"CREATE INDEX IF NOT EXISTS household_totals_rank"
	"  ON household_totals(active, final);"
	/* a household's sums read its index entries only: its records
	 * lie scattered over a large table */
	"CREATE INDEX IF NOT EXISTS records_household_points"
	"  ON records(household, status, points);"
	"INSERT OR REPLACE INTO household_totals(household, active, final)"
	"  SELECT h.id, h.deleted = 0, (SELECT COALESCE(SUM(points), 0)"
	"    FROM records r WHERE r.household = h.id AND r.status = 'final')"
	"  FROM households h;"
	"UPDATE household_rank_state SET gen = gen + 1;"
	"CREATE TRIGGER IF NOT EXISTS households_totals_ins AFTER INSERT"
	"  ON households BEGIN"
	"  INSERT OR IGNORE INTO household_totals(household, active)"
	"    VALUES(NEW.id, NEW.deleted = 0);"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS households_totals_upd"
	"  AFTER UPDATE OF deleted ON households BEGIN"
	"  UPDATE household_totals SET active = (NEW.deleted = 0)"
	"    WHERE household = NEW.id;"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS households_totals_del AFTER DELETE"
	"  ON households BEGIN"
	"  DELETE FROM household_totals WHERE household = OLD.id;"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS records_totals_ins AFTER INSERT ON records"
	"  WHEN NEW.status = 'final' BEGIN"
	"  UPDATE household_totals SET final = final + NEW.points"
	"    WHERE household = NEW.household;"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS records_totals_del AFTER DELETE ON records"
	"  WHEN OLD.status = 'final' BEGIN"
	"  UPDATE household_totals SET final = final - OLD.points"
	"    WHERE household = OLD.household;"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;"
	"CREATE TRIGGER IF NOT EXISTS records_totals_upd"
	"  AFTER UPDATE OF status, points, household ON records"
	"  WHEN OLD.status = 'final' OR NEW.status = 'final' BEGIN"
	"  UPDATE household_totals SET final = final - OLD.points"
	"    WHERE household = OLD.household AND OLD.status = 'final';"
	"  UPDATE household_totals SET final = final + NEW.points"
	"    WHERE household = NEW.household AND NEW.status = 'final';"
	"  UPDATE household_rank_state SET gen = gen + 1;"
	" END;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NMIGRATIONS == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must match the migration list");

/* ---- helpers --------------------------------------------------------- */

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -EINVAL;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:	/* IOERR, CORRUPT, NOTADB, PROTOCOL, ... */
		return -EIO;
	}
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql, int *rc)
{
	sqlite3_stmt *s;
	int i, r;

	for (i = 0; i < st->nstmt; i++) {
		if (st->stmts[i].sql == sql) {
			s = st->stmts[i].stmt;
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return s;
		}
	}
	if (st->nstmt >= STORE_STMT_MAX) {
		*rc = -ENOMEM;
		return NULL;
	}
	r = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &s, NULL);
	if (r != SQLITE_OK) {
		*rc = store_errno(r);
		if (!*rc)
			*rc = -EINVAL;
		return NULL;
	}
	st->stmts[st->nstmt].sql = sql;
	st->stmts[st->nstmt].stmt = s;
	st->nstmt++;
	return s;
}

static bool rc_corrupt(int r)
{
	return (r & 0xff) == SQLITE_CORRUPT || (r & 0xff) == SQLITE_NOTADB;
}

int store_step(struct store *st, sqlite3_stmt *s)
{
	int r;

	st->steps++;
	if (st->fault_n > 0 && --st->fault_n == 0)
		r = st->fault_err;
	else
		r = sqlite3_step(s);
	if (rc_corrupt(r))
		st->corrupt = true;
	return r;
}

int store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (!v)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int bind_va(sqlite3_stmt *s, const char *fmt, va_list *ap)
{
	int i, r = SQLITE_OK;

	for (i = 0; fmt && fmt[i] && r == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 'i':
			r = sqlite3_bind_int64(s, i + 1, va_arg(*ap, int64_t));
			break;
		case 'd':
			r = sqlite3_bind_int(s, i + 1, va_arg(*ap, int));
			break;
		case 'f':
			r = sqlite3_bind_double(s, i + 1, va_arg(*ap, double));
			break;
		case 't':
			r = store_bind_text(s, i + 1, va_arg(*ap, const char *));
			break;
		default:
			return -EINVAL;
		}
	}
	return r == SQLITE_OK ? 0 : (store_errno(r) ? store_errno(r) : -EIO);
}

/*
 * The statement of SQL from the cache with FMT's parameters bound (see
 * store_query), or NULL with *RC = -errno (a statement that failed to
 * bind is reset first).
 */
static sqlite3_stmt *stmt_bound(struct store *st, const char *sql, int *rc,
				const char *fmt, va_list *ap)
{
	sqlite3_stmt *s = store_stmt(st, sql, rc);

	if (!s)
		return NULL;
	*rc = bind_va(s, fmt, ap);
	if (*rc) {
		sqlite3_reset(s);
		return NULL;
	}
	return s;
}

/* Read the columns of S's row into the pointers FMT names (store_get). */
static int scan_va(sqlite3_stmt *s, const char *fmt, va_list *ap)
{
	size_t len;
	char *buf;
	int i;

	for (i = 0; fmt[i]; i++) {
		switch (fmt[i]) {
		case 'i':
			*va_arg(*ap, int64_t *) = sqlite3_column_int64(s, i);
			break;
		case 'l':
			*va_arg(*ap, long long *) = sqlite3_column_int64(s, i);
			break;
		case 'd':
			*va_arg(*ap, int *) = sqlite3_column_int(s, i);
			break;
		case 'b':
			*va_arg(*ap, bool *) = sqlite3_column_int(s, i) != 0;
			break;
		case 'f':
			*va_arg(*ap, double *) = sqlite3_column_double(s, i);
			break;
		case 't':
			buf = va_arg(*ap, char *);
			len = va_arg(*ap, size_t);
			store_col_text(s, i, buf, len);
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The one step store_write and store_get take: SQL bound from IN (the
 * first arguments in AP), stepped once through the fault hook, reset.
 * OUT NULL: a statement without rows (a row it yields, as from a
 * RETURNING clause, counts as done); else the row's columns go to the
 * pointers OUT names (the rest of AP), -ENOENT when there is none.
 * 0 or -errno.
 */
static int step_once(struct store *st, const char *sql, const char *in,
		     const char *out, va_list *ap)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = stmt_bound(st, sql, &rc, in, ap);
	if (!s)
		return rc;
	r = store_step(st, s);
	if (r == SQLITE_ROW)
		rc = out ? scan_va(s, out, ap) : 0;
	else if (r == SQLITE_DONE)
		rc = out ? -ENOENT : 0;
	else
		rc = store_errno(r) ? store_errno(r) : -EIO;
	sqlite3_reset(s);
	return rc;
}

/*
 * Behind store_exec and store_exec_changes (see store_priv.h): one
 * statement without rows; *CHANGES (may be NULL) gets sqlite3_changes()
 * on success.  0 or -errno.
 */
int store_write(struct store *st, const char *sql, long *changes,
		const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = step_once(st, sql, fmt, NULL, &ap);
	va_end(ap);
	if (!rc && changes)
		*changes = sqlite3_changes(st->db);
	return rc;
}

/* store_get (see store_priv.h): a row read into OUT's pointers. */
int store_get(struct store *st, const char *sql, const char *in,
	      const char *out, ...)
{
	va_list ap;
	int rc;

	va_start(ap, out);
	rc = step_once(st, sql, in, out ? out : "", &ap);
	va_end(ap);
	return rc;
}

int store_run(struct store *st, const char *sql, store_row_fn row,
	      void *data, bool one, const char *fmt, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc = 0, r;

	va_start(ap, fmt);
	s = stmt_bound(st, sql, &rc, fmt, &ap);
	va_end(ap);
	if (!s)
		return rc;
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		rc = row ? row(s, data) : 0;
		if (rc || one)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = store_errno(r) ? store_errno(r) : -EIO;
	else if (one)
		rc = -ENOENT;
out:
	sqlite3_reset(s);
	return rc;
}

int store_read_long(sqlite3_stmt *s, void *v)
{
	*(long *)v = sqlite3_column_int64(s, 0);
	return 0;
}

void store_copy(char *buf, size_t len, const char *src)
{
	size_t n;

	if (!len)
		return;
	if (!src)
		src = "";
	n = strlen(src);
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, src, n);
	buf[n] = '\0';
}

void store_col_text(sqlite3_stmt *s, int i, char *buf, size_t len)
{
	store_copy(buf, len, (const char *)sqlite3_column_text(s, i));
}

void store_norm_sender(const char *in, char *out, size_t len)
{
	if (phone_normalize(in, out, len))
		store_copy(out, len, in);
}

/* ---- transactions ----------------------------------------------------- */

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_savepoint[] = "SAVEPOINT store_sp";
static const char sql_release[] = "RELEASE store_sp";

/* Not counted by the fault hook: undoing must always be possible. */
static void raw_rollback(struct store *st, bool savepoint)
{
	if (savepoint) {
		sqlite3_exec(st->db, "ROLLBACK TO store_sp; RELEASE store_sp",
			     NULL, NULL, NULL);
	} else if (!sqlite3_get_autocommit(st->db)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

int store_tx_begin(struct store *st)
{
	int rc;

	if (!st->in_tx && st->sp_depth == 0)
		rc = store_exec(st, sql_begin, NULL);
	else
		rc = store_exec(st, sql_savepoint, NULL);
	if (!rc)
		st->sp_depth++;
	return rc;
}

int store_tx_end(struct store *st, int rc)
{
	bool savepoint;
	int r;

	st->sp_depth--;
	savepoint = st->in_tx || st->sp_depth > 0;
	if (savepoint && sqlite3_get_autocommit(st->db)) {
		/* SQLite already rolled the whole transaction back (a real
		 * I/O error or disk full); the caller's commit will fail. */
		return rc ? rc : -EIO;
	}
	if (rc) {
		raw_rollback(st, savepoint);
		return rc;
	}
	r = store_exec(st, savepoint ? sql_release : sql_commit, NULL);
	if (r)
		raw_rollback(st, savepoint);
	return r;
}

int store_begin(struct store *st)
{
	int rc;

	if (st->in_tx || st->sp_depth)
		return -EBUSY;
	rc = store_exec(st, sql_begin, NULL);
	if (!rc)
		st->in_tx = true;
	return rc;
}

int store_commit(struct store *st)
{
	int rc;

	if (!st->in_tx)
		return -EINVAL;
	st->in_tx = false;
	if (sqlite3_get_autocommit(st->db))
		return -EIO;	/* lost to an earlier error: nothing kept */
	rc = store_exec(st, sql_commit, NULL);
	if (rc)
		raw_rollback(st, false);
	return rc;
}

int store_rollback(struct store *st)
{
	if (!st->in_tx)
		return -EINVAL;
	st->in_tx = false;
	raw_rollback(st, false);
	return 0;
}

bool store_in_transaction(struct store *st)
{
	return st->in_tx;
}

void store_fault_after(struct store *st, long n, enum store_fault err)
{
	static const int codes[] = {
		[STORE_FAULT_NONE] = SQLITE_OK,
		[STORE_FAULT_IOERR] = SQLITE_IOERR,
		[STORE_FAULT_BUSY] = SQLITE_BUSY,
		[STORE_FAULT_FULL] = SQLITE_FULL,
		[STORE_FAULT_LOCKED] = SQLITE_LOCKED,
		[STORE_FAULT_NOMEM] = SQLITE_NOMEM,
		[STORE_FAULT_CORRUPT] = SQLITE_CORRUPT,
	};

	if ((unsigned)err >= ARRAY_SIZE(codes))
		err = STORE_FAULT_NONE;
	st->fault_n = err != STORE_FAULT_NONE && n > 0 ? n : 0;
	st->fault_err = codes[err];
}

long store_step_count(struct store *st)
{
	return st->steps;
}

/* ---- open / close ------------------------------------------------------ */

static int make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat sb;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *s;
	int r;

	r = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_errno(r);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : (store_errno(r) ? store_errno(r) : -EIO);
}

static int migrate(sqlite3 *db)
{
	char sql[64];
	int v, r, rc;

	rc = user_version(db, &v);
	if (rc)
		return rc;
	if (v > STORE_SCHEMA_VERSION)
		return -EPROTO;
	while (v < STORE_SCHEMA_VERSION) {
		r = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (r != SQLITE_OK)
			return store_errno(r);
		/* another process may have migrated meanwhile */
		rc = user_version(db, &v);
		if (rc || v >= STORE_SCHEMA_VERSION) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		r = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
		if (r == SQLITE_OK)
			r = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (r == SQLITE_OK)
			r = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		if (r != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return store_errno(r) ? store_errno(r) : -EIO;
		}
		v++;
	}
	return 0;
}

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* SQLite error @r at open: -errno, with the corrupt cases -EUCLEAN. */
static int open_error(struct store *st, int r, char *why, size_t len)
{
	if (rc_corrupt(r)) {
		set_why(why, len, "database is corrupt: %s",
			st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(r));
		return -EUCLEAN;
	}
	set_why(why, len, "%s", st->db ? sqlite3_errmsg(st->db) :
		sqlite3_errstr(r));
	return store_errno(r) ? store_errno(r) : -EIO;
}

/*
 * One daemon per database: an exclusive flock() on PATH.lock, held for
 * the life of the handle (released by the kernel when the process dies,
 * so a kill -9 never leaves a stale lock).  A separate file because
 * SQLite's own POSIX locks live on the database and a second descriptor
 * on it must not play with locks.  The holder's pid goes into the file
 * so a refused second start can name it.
 */
static int take_lock(struct store *st, char *why, size_t len)
{
	char lpath[PATH_MAX], pid[32];
	ssize_t n;
	int fd;

	if (snprintf(lpath, sizeof(lpath), "%s.lock", st->path) >=
	    (int)sizeof(lpath))
		return -ENAMETOOLONG;
	fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		set_why(why, len, "cannot open lock file %s: %s", lpath,
			strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK) {
			set_why(why, len, "database %s is in use by another "
				"jifend (pid %s, lock %s)", st->path,
				pid[0] ? pid : "?", lpath);
			return -EBUSY;
		}
		set_why(why, len, "cannot lock %s: %s", lpath, strerror(e));
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* the pid is only for the message above: failures do not matter */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
	}
	st->lock_fd = fd;
	return 0;
}

/* A database file with content, or a -wal with content beside it. */
static bool has_content(const char *path, const struct stat *sb)
{
	char wal[PATH_MAX];
	struct stat wb;

	if (sb->st_size > 0)
		return true;
	if (snprintf(wal, sizeof(wal), "%s-wal", path) >= (int)sizeof(wal))
		return false;
	return stat(wal, &wb) == 0 && wb.st_size > 0;
}

struct store *store_open_flags(const char *path, unsigned flags, char *why,
			       size_t why_len, int *err)
{
	struct store *st = NULL;
	struct stat sb;
	int rc, r;

	if (why && why_len)
		why[0] = '\0';
	if (!path || !*path) {
		rc = -EINVAL;
		set_why(why, why_len, "no database path");
		goto out;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		rc = -ENOMEM;
		goto out;
	}
	st->file_fd = -1;
	st->lock_fd = -1;
	if (flags & STORE_CREATE) {
		rc = make_parent(path);
		if (rc) {
			set_why(why, why_len, "cannot create the directory "
				"of %s: %s", path, strerror(-rc));
			goto fail;
		}
	}
	st->file_fd = open(path, O_RDONLY | O_CLOEXEC |
			   ((flags & STORE_CREATE) ? O_CREAT : 0), 0600);
	if (st->file_fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			set_why(why, why_len, "no database at %s (create one "
				"with 'jifenctl init' or 'jifenctl import "
				"FILE.csv'; restore a lost one from a backup, "
				"docs/OPERATIONS.md)", path);
		else
			set_why(why, why_len, "cannot open database %s: %s",
				path, strerror(-rc));
		goto fail;
	}
	if (fstat(st->file_fd, &sb) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!(flags & STORE_CREATE) && !has_content(path, &sb)) {
		rc = -ENOENT;
		set_why(why, why_len, "database %s is empty (truncated?): "
			"refused; restore it from a backup (docs/"
			"OPERATIONS.md) or create one with 'jifenctl init'",
			path);
		goto fail;
	}
	if (flags & STORE_LOCK) {
		rc = take_lock(st, why, why_len);
		if (rc)
			goto fail;
	}
	r = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
	if (r != SQLITE_OK) {
		rc = open_error(st, r, why, why_len);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	r = sqlite3_exec(st->db,
			 "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON;",
			 NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		rc = open_error(st, r, why, why_len);
		goto fail;
	}
	st->durable = true;
	if (flags & STORE_CHECK) {
		rc = store_quick_check(st, why, why_len);
		if (rc)
			goto fail;
	}
	rc = migrate(st->db);
	if (rc) {
		if (rc == -EPROTO)
			set_why(why, why_len, "database %s: schema newer than "
				"this program", path);
		else
			set_why(why, why_len, "database %s: %s", path,
				sqlite3_errmsg(st->db));
		if (rc == -EIO && rc_corrupt(sqlite3_extended_errcode(st->db)))
			rc = -EUCLEAN;
		goto fail;
	}
	if (err)
		*err = 0;
	return st;
fail:
	if (why && why_len && !why[0])
		set_why(why, why_len, "cannot open database %s: %s", path,
			strerror(-rc));
	store_close(st);
	st = NULL;
out:
	free(st);
	if (err)
		*err = rc;
	return NULL;
}

struct store *store_open(const char *path, int *err)
{
	return store_open_flags(path, STORE_CREATE, NULL, 0, err);
}

/* --- memory (appliance, issue 13) ------------------------------------ */

int store_memory_limit(int kib)
{
	sqlite3_soft_heap_limit64((sqlite3_int64)kib * 1024);
	return 0;
}

void store_close(struct store *st)
{
	int i;

	if (!st)
		return;
	if (st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < st->nstmt; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	sqlite3_close(st->db);
	/* after SQLite: closing a descriptor drops its POSIX locks */
	if (st->file_fd >= 0)
		close(st->file_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

const char *store_path(const struct store *st)
{
	return st->path;
}

bool store_file_gone(struct store *st)
{
	struct stat fd_sb, path_sb;

	if (st->file_fd < 0)
		return false;
	if (fstat(st->file_fd, &fd_sb) < 0)
		return true;
	if (fd_sb.st_nlink == 0)
		return true;
	if (stat(st->path, &path_sb) < 0)
		return errno == ENOENT || errno == ENOTDIR;
	return path_sb.st_dev != fd_sb.st_dev || path_sb.st_ino != fd_sb.st_ino;
}

bool store_corruption_seen(struct store *st)
{
	return st->corrupt;
}

int store_quick_check(struct store *st, char *why, size_t why_len)
{
	sqlite3_stmt *s;
	const char *row;
	int r, rc = 0;

	r = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(3)", -1, &s, NULL);
	if (r != SQLITE_OK)
		return open_error(st, r, why, why_len);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		row = (const char *)sqlite3_column_text(s, 0);
		if (!row || strcmp(row, "ok")) {
			set_why(why, why_len, "database is corrupt: %s",
				row ? row : "quick_check failed");
			rc = -EUCLEAN;
		}
	} else {
		rc = open_error(st, r, why, why_len);
	}
	sqlite3_finalize(s);
	if (rc == -EUCLEAN || rc_corrupt(r))
		st->corrupt = true;
	else if (!rc)
		st->corrupt = false;
	return rc;
}

/* ---- backups ------------------------------------------------------------ */

static int fsync_path(const char *path, int oflag)
{
	int fd = open(path, oflag | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int store_backup(struct store *st, const char *dest)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int r, rc, fd;

	if (!dest || !*dest)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* a copy of a corrupt database is no backup: and the rotation
	 * would drop a good old one for it */
	rc = store_quick_check(st, NULL, 0);
	if (rc)
		return rc;
	unlink(tmp);
	/* personal data: 0600 whatever the caller's umask */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	close(fd);
	r = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE, NULL);
	if (r != SQLITE_OK)
		goto sqlfail;
	b = sqlite3_backup_init(out, "main", st->db, "main");
	if (!b) {
		r = sqlite3_errcode(out);
		goto sqlfail;
	}
	/* all pages in one step: a consistent snapshot (a read
	 * transaction on the source; jifend's writes wait at most for it) */
	do {
		r = sqlite3_backup_step(b, -1);
		if (r == SQLITE_BUSY || r == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (r == SQLITE_BUSY || r == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE)
		goto sqlfail;
	/* the copy is a plain rollback-journal file: one file to keep */
	r = sqlite3_exec(out, "PRAGMA journal_mode = DELETE;", NULL, NULL,
			 NULL);
	if (r != SQLITE_OK)
		goto sqlfail;
	r = sqlite3_close(out);
	out = NULL;
	if (r != SQLITE_OK)
		goto sqlfail;
	rc = fsync_path(tmp, O_RDONLY);
	if (rc)
		goto fail;
	if (rename(tmp, dest) < 0) {
		rc = -errno;
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", dest);
	slash = strrchr(dir, '/');
	if (slash) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		fsync_path(dir, O_RDONLY | O_DIRECTORY);
	}
	return 0;
sqlfail:
	rc = store_errno(r) ? store_errno(r) : -EIO;
	if (out)
		sqlite3_close(out);
fail:
	unlink(tmp);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_backup_rotate(struct store *st, int64_t now, int keep, char *out,
			size_t out_len)
{
	char dir[PATH_MAX], dest[PATH_MAX + 32], prefix[NAME_MAX + 16];
	char day[16], **names = NULL;
	const char *base;
	size_t n = 0, cap = 0, plen, i;
	struct dirent *e;
	struct tm tm;
	time_t t = (time_t)now;
	DIR *d;
	int rc = 0;

	if (keep < 1)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%s", st->path);
	base = strrchr(st->path, '/');
	if (base) {
		dir[base - st->path] = '\0';
		if (!dir[0])
			snprintf(dir, sizeof(dir), "/");
		base++;
	} else {
		snprintf(dir, sizeof(dir), ".");
		base = st->path;
	}
	snprintf(prefix, sizeof(prefix), "%s.backup-", base);
	plen = strlen(prefix);
	if (!gmtime_r(&t, &tm))
		return -EINVAL;
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(dest, sizeof(dest), "%s/%s%s", dir, prefix, day);
	if (out && out_len)
		snprintf(out, out_len, "%s", dest);
	if (access(dest, F_OK) < 0) {
		rc = store_backup(st, dest);
		if (rc)
			return rc;
	}
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char **nn;

		if (strncmp(e->d_name, prefix, plen) ||
		    strlen(e->d_name) != plen + 8 ||
		    strspn(e->d_name + plen, "0123456789") != 8)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				rc = -ENOMEM;
				break;
			}
			names = nn;
		}
		names[n] = strdup(e->d_name);
		if (!names[n]) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n > (size_t)keep) {
		/* YYYYMMDD sorts by date: the oldest come first */
		qsort(names, n, sizeof(*names), cmp_name);
		for (i = 0; i + (size_t)keep < n; i++) {
			snprintf(dest, sizeof(dest), "%s/%s", dir, names[i]);
			if (unlink(dest) < 0 && errno != ENOENT)
				rc = -errno;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int store_query_int64(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql, &rc);
	if (!s)
		return rc;
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		if (sqlite3_column_type(s, 0) == SQLITE_NULL)
			rc = -ENOENT;
		else
			*out = sqlite3_column_int64(s, 0);
	} else {
		rc = store_errno(r) ? store_errno(r) : -EIO;
	}
	sqlite3_reset(s);
	return rc;
}

int store_data_version(struct store *st, int64_t *out)
{
	return store_query_int64(st, "PRAGMA data_version", out);
}

int store_set_durable(struct store *st, bool durable)
{
	int r;

	if (st->durable == durable)
		return 0;
	r = sqlite3_exec(st->db, durable ? "PRAGMA synchronous = FULL;" :
			 "PRAGMA synchronous = NORMAL;", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_errno(r) ? store_errno(r) : -EIO;
	st->durable = durable;
	return 0;
}

int store_schema_version(struct store *st)
{
	int v = -1;

	if (user_version(st->db, &v))
		return -1;
	return v;
}

/* ---- UUID, time -------------------------------------------------------- */

int store_uuid(char out[STORE_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t got = 0;
	ssize_t n;
	int i, o = 0;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

void store_iso8601(int64_t t, char *out, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		store_copy(out, len, "1970-01-01T00:00:00Z");
}

/* ---- key/values ---------------------------------------------------------- */

static const char sql_status_set[] =
	"INSERT INTO status(key, value, updated_at) VALUES(?1, ?2, ?3) "
	"ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3";
static const char sql_status_get[] = "SELECT value FROM status WHERE key = ?1";
static const char sql_status_list[] =
	"SELECT key, value, updated_at FROM status ORDER BY key";
static const char sql_state_set[] =
	"INSERT INTO sync_state(key, value, updated_at) VALUES(?1, ?2, ?3) "
	"ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3";
static const char sql_state_del[] = "DELETE FROM sync_state WHERE key = ?1";
static const char sql_state_get[] =
	"SELECT value FROM sync_state WHERE key = ?1";

static int kv_set(struct store *st, const char *sql, const char *key,
		  const char *value, int64_t now)
{
	if (!key)
		return -EINVAL;
	if (!value)	/* sql_state_del: the key alone */
		return store_exec(st, sql, "t", key);
	return store_exec(st, sql, "tti", key, value, now);
}

struct text_out {
	char *buf;
	size_t len;
};

/* store_row_fn: column 0 as text into a struct text_out. */
static int read_text0(sqlite3_stmt *s, void *data)
{
	struct text_out *o = data;

	store_col_text(s, 0, o->buf, o->len);
	return 0;
}

static int kv_get(struct store *st, const char *sql, const char *key,
		  char *buf, size_t len)
{
	struct text_out o = { buf, len };

	if (!key)
		return -EINVAL;
	return store_query_one(st, sql, read_text0, &o, "t", key);
}

int store_status_set(struct store *st, const char *key, const char *value,
		     int64_t now)
{
	return kv_set(st, sql_status_set, key, value ? value : "", now);
}

int store_status_get(struct store *st, const char *key, char *buf,
		     size_t len)
{
	return kv_get(st, sql_status_get, key, buf, len);
}

static int kv_row(sqlite3_stmt *s, void *p)
{
	struct store_walk *w = p;

	return w->cb.kv((const char *)sqlite3_column_text(s, 0),
			(const char *)sqlite3_column_text(s, 1),
			sqlite3_column_int64(s, 2), w->data);
}

int store_status_list(struct store *st, store_kv_cb cb, void *data)
{
	struct store_walk w = { .cb.kv = cb, .data = data };

	return store_query(st, sql_status_list, kv_row, &w, NULL);
}

int store_state_set(struct store *st, const char *key, const char *value,
		    int64_t now)
{
	if (!value)
		return kv_set(st, sql_state_del, key, NULL, now);
	return kv_set(st, sql_state_set, key, value, now);
}

int store_state_get(struct store *st, const char *key, char *buf,
		    size_t len)
{
	return kv_get(st, sql_state_get, key, buf, len);
}

/* ---- counts, retention --------------------------------------------------- */

static const char sql_counts[] =
	"SELECT (SELECT COUNT(*) FROM inbox),"
	" (SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL),"
	" (SELECT COUNT(*) FROM outbox WHERE state IN ('queued','sending')),"
	" (SELECT COUNT(*) FROM outbox WHERE state = 'failed'),"
	" (SELECT COUNT(*) FROM outbox WHERE state = 'sent'"
	"   AND done_at >= ?1),"
	" (SELECT COUNT(*) FROM events),"
	" (SELECT COUNT(*) FROM households WHERE deleted = 0),"
	" (SELECT COUNT(*) FROM records WHERE status = 'pending')";

int store_counts(struct store *st, int64_t since, struct store_counts *out)
{
	sqlite3_stmt *s;
	int rc = 0, r;

	s = store_stmt(st, sql_counts, &rc);
	if (!s)
		return rc;
	sqlite3_bind_int64(s, 1, since);
	r = store_step(st, s);
	if (r == SQLITE_ROW) {
		out->inbox_total = sqlite3_column_int64(s, 0);
		out->inbox_pending = sqlite3_column_int64(s, 1);
		out->outbox_queued = sqlite3_column_int64(s, 2);
		out->outbox_failed = sqlite3_column_int64(s, 3);
		out->outbox_sent_since = sqlite3_column_int64(s, 4);
		out->events_unsent = sqlite3_column_int64(s, 5);
		out->households = sqlite3_column_int64(s, 6);
		out->records_pending = sqlite3_column_int64(s, 7);
	} else {
		rc = store_errno(r) ? store_errno(r) : -EIO;
	}
	sqlite3_reset(s);
	return rc;
}

static const char sql_prune_inbox[] =
	"DELETE FROM inbox WHERE processed_at IS NOT NULL"
	" AND processed_at < ?1";
static const char sql_prune_msgs[] =
	"DELETE FROM inbox_msgs WHERE processed_at < ?1";
static const char sql_prune_outbox[] =
	"DELETE FROM outbox WHERE state IN ('sent','failed','cancelled')"
	" AND done_at < ?1";
static const char sql_prune_hints[] =
	"DELETE FROM hints WHERE day < strftime('%Y-%m-%d', ?1, 'unixepoch')";

int store_exec_all(struct store *st, const char *const *sqls, size_t n,
		   int64_t arg, long *changes)
{
	long total = 0, c = 0;
	size_t i;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		rc = store_write(st, sqls[i], &c, "i", arg);
		if (rc)
			break;
		total += c;
	}
	rc = store_tx_end(st, rc);
	if (!rc && changes)
		*changes = total;
	return rc;
}

int store_prune(struct store *st, int64_t now, int keep_days, long *deleted)
{
	const char *const sqls[] = { sql_prune_inbox, sql_prune_msgs,
				     sql_prune_outbox, sql_prune_hints };

	if (keep_days < 0)
		return -EINVAL;
	return store_exec_all(st, sqls, sizeof(sqls) / sizeof(sqls[0]),
			      now - (int64_t)keep_days * 86400, deleted);
}
