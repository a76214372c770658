/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for storage/: phone normalisation, schema and migrations,
 * households and phones, PINs, records and reviews, balances, matters,
 * the event journal, inbox dedup and reassembly, outbox, fault hook.
 * Every test works on its own database in a mkdtemp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/store.h"
#include "storage/store_priv.h"
#include "storage/village.h"

#define T0 1764300000LL		/* 2025-11-28 03:20 UTC */
#define DAY 86400

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int err = 0;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/jifen-store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db/jifen.db", f->dir);
	f->st = store_open(f->path, &err);
	assert_int_equal(err, 0);
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[200];

	store_close(f->st);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s/db", f->dir);
	rmdir(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Count rows with a raw connection (independent of the store). */
static long count_sql(struct fx *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long n = -1;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static void village(struct store *st)
{
	assert_int_equal(store_household_upsert(st, "H01", "文培理家", T0,
						NULL), 0);
	assert_int_equal(store_household_upsert(st, "H02", "谢丰强家", T0,
						NULL), 0);
	assert_int_equal(store_household_upsert(st, "H03", "曾晓鸥家", T0,
						NULL), 0);
	assert_int_equal(store_phone_bind(st, "13800000001", "H01", "文培理",
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13800000002", "H02", "谢丰强",
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13900000009", "H03", "曾晓鸥",
					  STORE_COMMITTEE, "1234", T0, NULL), 0);
}

static long long add_record(struct store *st, const char *hh, long long pts,
			    enum store_rstatus status)
{
	struct store_record_new rn = {
		.household = hh, .points = pts, .reason = "清扫门前",
		.status = status, .by = "+8613800000001", .now = T0,
	};
	long long no = 0;

	assert_int_equal(store_record_add(st, &rn, &no, NULL), 0);
	assert_true(no > 0);
	return no;
}

/* ---- phone ------------------------------------------------------------- */

static void test_phone_normalize_table(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "13800000001", "+8613800000001" },
		{ "8613800000001", "+8613800000001" },
		{ "008613800000001", "+8613800000001" },
		{ "+8613800000001", "+8613800000001" },
		{ "+86 138-0000-0001", "+8613800000001" },
		{ " 138 0000 0001 ", "+8613800000001" },
		{ "(+86) 199 1234 5678", "+8619912345678" },
		{ "+447700900123", "+447700900123" },
		{ "0044 7700 900123", "+447700900123" },
		{ "10086", "10086" },
		{ "95588", "95588" },
		{ "1069012345678", "1069012345678" },
		{ "028-8888-8888", "02888888888" },
	};
	char out[PHONE_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(phone_normalize(t[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, t[i].out);
	}
}

static void test_phone_normalize_garbage(void **state)
{
	static const char *const bad[] = {
		"", "   ", "+", "China Mobile", "1380000000a", "+86 138x",
		"123456789012345678901234", "+12345", "+1234567890123456",
	};
	char out[PHONE_MAX], tiny[5];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(phone_normalize(bad[i], out, sizeof(out)),
				 -EINVAL);
	assert_int_equal(phone_normalize(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(phone_normalize("13800000001", tiny, sizeof(tiny)),
			 -ENOSPC);
}

static void test_phone_service_table(void **state)
{
	static const struct { const char *n; bool svc; } t[] = {
		{ "10086", true }, { "10010", true }, { "+8610086", true },
		{ "95588", true }, { "1065912345678", true },
		{ "12306", true }, { "12345", true }, { "123456", true },
		{ "1008611", true }, { "China Mobile", true }, { "", true },
		{ "13800000001", false }, { "+8613800000001", false },
		{ "8613800000001", false }, { "+447700900123", false },
		{ "02888888888", false }, { "+1234", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (phone_is_service(t[i].n) != t[i].svc)
			fail_msg("phone_is_service(%s) != %d", t[i].n, t[i].svc);
	}
}

static void test_phone_is_e164(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+8613800000001"));
	assert_true(phone_is_e164("+447700900123"));
	assert_false(phone_is_e164("13800000001"));
	assert_false(phone_is_e164("10086"));
	assert_false(phone_is_e164("+86abc"));
	assert_false(phone_is_e164("+123"));
}

/* ---- open, migrations ----------------------------------------------------- */

static void test_open_creates_schema(void **state)
{
	struct fx *f = *state;
	char p[200];
	struct stat sb;

	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(p, sizeof(p), "%s/db", f->dir);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM sqlite_master "
				   "WHERE type = 'table' AND name IN ('households',"
				   "'phones','records','reviews','matters','audit',"
				   "'events','inbox','outbox','outbox_parts',"
				   "'status','sync_state')"), 12);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM pragma_journal_mode"
				   " WHERE journal_mode = 'wal'"), 1);
}

static void test_reopen_idempotent(void **state)
{
	struct fx *f = *state;
	struct store_household h;
	int err;

	assert_int_equal(store_household_upsert(f->st, "H01", "x", T0, NULL), 0);
	store_close(f->st);
	f->st = store_open(f->path, &err);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_string_equal(h.name, "x");
}

#define STR_(x) #x
#define STR(x) STR_(x)

static void test_refuse_newer_schema(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	int err = 0;

	store_close(f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	f->st = store_open(f->path, &err);
	assert_null(f->st);
	assert_int_equal(err, -EPROTO);
	assert_int_equal(count_sql(f, "PRAGMA user_version"), 99);
	/* put it back so teardown can go on */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version = " STR(STORE_SCHEMA_VERSION),
		     NULL, NULL, NULL);
	sqlite3_close(db);
	f->st = store_open(f->path, &err);
	assert_non_null(f->st);
}

/* Copy @from to @to byte for byte (0 when @from does not exist). */
static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	if (!in)
		return;
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/*
 * A power cut in the middle of a transaction: what is on disk at that
 * moment (the database and WAL files, copied while the transaction is
 * open and has spilled pages) opens cleanly, passes integrity_check and
 * holds exactly the committed state - the cut transaction is invisible.
 */
static void test_power_cut_mid_transaction(void **state)
{
	struct fx *f = *state;
	char cut[160], from[192], to[192], id[16];
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;
	int i;

	assert_int_equal(store_household_upsert(f->st, "H01", "x", T0, NULL), 0);
	assert_int_equal(store_begin(f->st), 0);
	/* enough rows to spill uncommitted pages into the WAL */
	for (i = 0; i < 30000; i++) {
		snprintf(id, sizeof(id), "C%05d", i);
		assert_int_equal(store_household_upsert(f->st, id,
			"一个很长的户名用来填满数据库页面一个很长的户名", T0,
			NULL), 0);
	}
	snprintf(cut, sizeof(cut), "%s/cut.db", f->dir);
	copy_file(f->path, cut);
	snprintf(from, sizeof(from), "%s-wal", f->path);
	snprintf(to, sizeof(to), "%s-wal", cut);
	copy_file(from, to);
	assert_int_equal(stat(to, &sb), 0);
	assert_true(sb.st_size > 1024 * 1024);	/* the cut is in the WAL */
	assert_int_equal(store_rollback(f->st), 0);

	assert_int_equal(sqlite3_open(cut, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
					    &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT group_concat(id) FROM "
					    "households", -1, &s, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "H01");
	sqlite3_finalize(s);
	sqlite3_close(db);
	unlink(cut);
	unlink(to);
	snprintf(to, sizeof(to), "%s-shm", cut);
	unlink(to);
}

/* Undo the sync migration (3 -> 4, issue 10) on a current database;
 * SYNC_FROM is the schema version before it. */
#define SYNC_FROM "3"
#define UNDO_SYNC \
	"DROP TABLE sync_rejected; DROP TABLE sync_bundles;" \
	"DROP TABLE loan_policy; ALTER TABLE events DROP COLUMN ref;" \
	"ALTER TABLE events DROP COLUMN household;" \
	"ALTER TABLE events DROP COLUMN points;" \
	"ALTER TABLE events DROP COLUMN state;" \
	"ALTER TABLE events DROP COLUMN actor;" \
	"ALTER TABLE events DROP COLUMN text;"

/* Undo the village workflow migration (4 -> 5, issue 11). */
#define UNDO_VILLAGE \
	"DROP TABLE objections; DROP TABLE pin_fails; DROP TABLE notices;" \
	"DROP TABLE merged_replies; DROP TABLE inbox_fails;" \
	"ALTER TABLE records DROP COLUMN objected_at;" \
	"ALTER TABLE matters DROP COLUMN state;" \
	"ALTER TABLE matters DROP COLUMN answer;" \
	"ALTER TABLE matters DROP COLUMN answered_by;" \
	"ALTER TABLE matters DROP COLUMN answered_at;" \
	"ALTER TABLE matters DROP COLUMN closed_at;"

/* A version 1 database (the first release) is migrated to the current. */
static void test_migrate_from_v1(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	int err = 0;

	store_close(f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	/* undo every migration after the first (a branch that appends a
	 * migration appends its undo here) */
	assert_int_equal(sqlite3_exec(db, UNDO_VILLAGE UNDO_SYNC
				      "DROP INDEX outbox_parts_queued;"
				      "PRAGMA user_version = 1", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
	f->st = store_open(f->path, &err);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM sqlite_master "
				   "WHERE name = 'outbox_parts_queued'"), 1);
}

static void test_errno_mapping(void **state)
{
	(void)state;
	assert_int_equal(store_errno(SQLITE_BUSY), -EBUSY);
	assert_int_equal(store_errno(SQLITE_FULL), -ENOSPC);
	assert_int_equal(store_errno(SQLITE_IOERR_WRITE), -EIO);
	assert_int_equal(store_errno(SQLITE_CONSTRAINT_UNIQUE), -EEXIST);
	assert_int_equal(store_errno(SQLITE_CONSTRAINT_FOREIGNKEY), -EINVAL);
	assert_int_equal(store_errno(SQLITE_DONE), 0);
}

/* The statement helpers of store_priv.h on a real table. */
static const char sql_t_ins[] =
	"INSERT INTO hints(phone, day, count) VALUES(?1, ?2, ?3)";
static const char sql_t_add[] =
	"UPDATE hints SET count = count + ?2 WHERE phone = ?1";
static const char sql_t_get[] =
	"SELECT count, day, count * 1.5, count > 4, ?2 FROM hints"
	" WHERE phone = ?1";

static void test_statement_helpers(void **state)
{
	struct fx *f = *state;
	char day[16], name[4];
	long n = -1;
	int c = -1;
	double d = 0;
	bool big = false;

	assert_int_equal(store_exec(f->st, sql_t_ins, "ttd", "p1",
				    "2025-01-01", 3), 0);
	assert_int_equal(store_exec(f->st, sql_t_ins, "ttd", "p1",
				    "2025-01-01", 1), -EEXIST);
	assert_int_equal(store_exec_changes(f->st, sql_t_add, &n, "td", "p1",
					    2), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_exec_changes(f->st, sql_t_add, &n, "td",
					    "nobody", 2), 0);
	assert_int_equal(n, 0);
	/* every output letter; text cut at a UTF-8 boundary */
	assert_int_equal(store_get(f->st, sql_t_get, "tt", "dtfbt", "p1",
				   "文培", &c, day, sizeof(day), &d, &big, name,
				   sizeof(name)), 0);
	assert_int_equal(c, 5);
	assert_string_equal(day, "2025-01-01");
	assert_true(d > 7.49 && d < 7.51);
	assert_true(big);
	assert_string_equal(name, "文");
	/* no row: -ENOENT, nothing written */
	c = -1;
	assert_int_equal(store_get(f->st, sql_t_get, "tt", "d", "nobody", "",
				   &c), -ENOENT);
	assert_int_equal(c, -1);
	/* a letter that names no type */
	assert_int_equal(store_exec(f->st, sql_t_add, "tx", "p1", 1), -EINVAL);
	assert_int_equal(store_get(f->st, sql_t_get, "tt", "z", "p1", "", &c),
			 -EINVAL);
	/* the step goes through the fault hook */
	store_fault_after(f->st, 1, STORE_FAULT_IOERR);
	assert_int_equal(store_exec(f->st, sql_t_add, "td", "p1", 1), -EIO);
	store_fault_after(f->st, 1, STORE_FAULT_IOERR);
	assert_int_equal(store_get(f->st, sql_t_get, "tt", "d", "p1", "", &c),
			 -EIO);
	store_fault_after(f->st, 0, STORE_FAULT_NONE);
	assert_int_equal(store_get(f->st, sql_t_get, "tt", "d", "p1", "", &c),
			 0);
	assert_int_equal(c, 5);
}

static void test_two_handles_wal(void **state)
{
	struct fx *f = *state;
	struct store *b;
	struct store_household h;
	int err;

	b = store_open(f->path, &err);
	assert_non_null(b);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_household_upsert(f->st, "H09", "九", T0, NULL), 0);
	/* the reader does not see the uncommitted row, and is not blocked */
	assert_int_equal(store_household_get(b, "H09", &h), -ENOENT);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_household_get(b, "H09", &h), 0);
	store_close(b);
}

/* ---- households, phones, PINs --------------------------------------------- */

static void test_household_upsert(void **state)
{
	struct fx *f = *state;
	struct store_household h;
	bool created;

	assert_int_equal(store_household_upsert(f->st, "H01", "文家", T0,
						&created), 0);
	assert_true(created);
	assert_int_equal(store_household_upsert(f->st, "H01", NULL, T0 + 5,
						&created), 0);
	assert_false(created);
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_string_equal(h.name, "文家");
	assert_int_equal(h.updated_at, T0 + 5);
	assert_int_equal(store_household_upsert(f->st, "", "x", T0, NULL),
			 -EINVAL);
	assert_int_equal(store_household_get(f->st, "H99", &h), -ENOENT);
}

struct collect {
	int n;
	char items[8][200];
};

static int collect_member(const struct store_member *m, void *data)
{
	struct collect *c = data;

	if (c->n < 8)
		snprintf(c->items[c->n], 200, "%s@%s:%s", m->phone, m->household,
			 m->role == STORE_COMMITTEE ? "c" : "v");
	c->n++;
	return 0;
}

static void test_phone_bind_normalises(void **state)
{
	struct fx *f = *state;
	struct collect c = { 0 };
	bool created;

	village(f->st);
	assert_int_equal(store_phone_bind(f->st, "+86 138-0000-0001", "H01",
					  NULL, STORE_VILLAGER, NULL, T0,
					  &created), 0);
	assert_false(created);	/* same membership as "13800000001" */
	assert_int_equal(store_phone_memberships(f->st, "008613800000001",
						 collect_member, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0], "+8613800000001@H01:v");
	assert_int_equal(store_phone_bind(f->st, "call me", "H01", NULL,
					  STORE_VILLAGER, NULL, T0, NULL),
			 -EINVAL);
}

static void test_many_to_many(void **state)
{
	struct fx *f = *state;
	struct collect c = { 0 };

	village(f->st);
	assert_int_equal(store_phone_bind(f->st, "13800000001", "H02", NULL,
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(f->st, "13800000011", "H01", NULL,
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_memberships(f->st, "13800000001",
						 collect_member, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.items[0], "+8613800000001@H01:v");
	assert_string_equal(c.items[1], "+8613800000001@H02:v");
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_household_members(f->st, "H01", collect_member,
						 &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(store_phone_unbind(f->st, "13800000001", "H02"), 0);
	assert_int_equal(store_phone_unbind(f->st, "13800000001", "H02"),
			 -ENOENT);
}

static void test_bind_errors(void **state)
{
	struct fx *f = *state;

	village(f->st);
	assert_int_equal(store_phone_bind(f->st, "13800000005", "H77", NULL,
					  STORE_VILLAGER, NULL, T0, NULL),
			 -ENOENT);
	assert_int_equal(store_phone_bind(f->st, "13800000005", "H01", NULL,
					  STORE_VILLAGER, "12", T0, NULL),
			 -EINVAL);
	assert_int_equal(store_phone_bind(f->st, "13800000005", "H01", NULL,
					  STORE_VILLAGER, "12ab", T0, NULL),
			 -EINVAL);
	assert_int_equal(store_phone_bind(f->st, "13800000005", "H01", NULL,
					  (enum store_role)7, NULL, T0, NULL),
			 -EINVAL);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM phones"), 3);
}

static void test_pin_hash_check(void **state)
{
	struct fx *f = *state;
	bool ok;

	village(f->st);
	assert_int_equal(store_check_pin(f->st, "13900000009", "1234", &ok), 0);
	assert_true(ok);
	assert_int_equal(store_check_pin(f->st, "+8613900000009", "1235", &ok),
			 0);
	assert_false(ok);
	assert_int_equal(store_check_pin(f->st, "13800000001", "1234", &ok), 0);
	assert_false(ok);	/* no PIN set */
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM phones WHERE "
				   "pin_hash LIKE '$%' AND pin_hash NOT LIKE "
				   "'%1234%'"), 1);
	/* rebinding without a PIN keeps it; a new PIN replaces it */
	assert_int_equal(store_phone_bind(f->st, "13900000009", "H03", NULL,
					  STORE_COMMITTEE, NULL, T0, NULL), 0);
	assert_int_equal(store_check_pin(f->st, "13900000009", "1234", &ok), 0);
	assert_true(ok);
	assert_int_equal(store_phone_bind(f->st, "13900000009", "H03", NULL,
					  STORE_COMMITTEE, "87654321", T0,
					  NULL), 0);
	assert_int_equal(store_check_pin(f->st, "13900000009", "1234", &ok), 0);
	assert_false(ok);
	assert_int_equal(store_check_pin(f->st, "13900000009", "87654321",
					 &ok), 0);
	assert_true(ok);
}

static void test_notify_per_phone(void **state)
{
	struct fx *f = *state;
	bool on;

	village(f->st);
	assert_int_equal(store_phone_notify(f->st, "13800000001", &on), 0);
	assert_true(on);
	assert_int_equal(store_phone_set_notify(f->st, "13800000001", false,
						T0), 0);
	assert_int_equal(store_phone_notify(f->st, "+8613800000001", &on), 0);
	assert_false(on);
	assert_int_equal(store_phone_notify(f->st, "13800000002", &on), 0);
	assert_true(on);
	assert_int_equal(store_phone_set_notify(f->st, "13800000001", true,
						T0), 0);
	assert_int_equal(store_phone_notify(f->st, "13800000001", &on), 0);
	assert_true(on);
}

static void test_household_delete(void **state)
{
	struct fx *f = *state;
	struct collect c = { 0 };
	struct store_household h;

	village(f->st);
	assert_int_equal(store_household_delete(f->st, "H01", T0), 0);
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_true(h.deleted);
	assert_int_equal(store_phone_memberships(f->st, "13800000001",
						 collect_member, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(store_phone_bind(f->st, "13800000001", "H01", NULL,
					  STORE_VILLAGER, NULL, T0, NULL),
			 -ENOENT);
	assert_int_equal(store_household_upsert(f->st, "H01", NULL, T0, NULL),
			 0);
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_false(h.deleted);
	assert_int_equal(store_household_delete(f->st, "H99", T0), -ENOENT);
}

/* ---- records ---------------------------------------------------------------- */

struct evs {
	int n;
	char type[8][32];
	char body[8][512];
	char id[8][40];
};

static int collect_event(const struct store_event *ev, void *data)
{
	struct evs *e = data;

	assert_int_equal(strlen(ev->at), 20);
	if (e->n < 8) {
		snprintf(e->type[e->n], 32, "%s", ev->type);
		snprintf(e->body[e->n], 512,
			 "record=%s household=%s points=%lld status=%s by=%s"
			 " text=%s", ev->ref ? ev->ref : "",
			 ev->household ? ev->household : "(null)", ev->points,
			 ev->state ? ev->state : "", ev->actor ? ev->actor : "",
			 ev->text ? ev->text : "");
		snprintf(e->id[e->n], 40, "%s", ev->id);
	}
	e->n++;
	return 0;
}

/* A database from before the sync migration, with JSON event bodies:
 * the migration moves them into columns (jifen-sync builds the JSON). */
static void test_migrate_events_to_columns(void **state)
{
	struct fx *f = *state;
	struct evs e = { 0 };
	sqlite3 *db;
	int err = 0;

	store_close(f->st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, UNDO_VILLAGE UNDO_SYNC
		"INSERT INTO events(id, type, at, body) VALUES('e1',"
		" 'record.review', '2026-11-28T01:00:00Z', '{\"record\":\"g1\","
		"\"decision\":\"approved\",\"by\":\"+8613900000009\","
		"\"reason\":\"\"}');"
		"PRAGMA user_version = " SYNC_FROM, NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	f->st = store_open(f->path, &err);
	assert_non_null(f->st);
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_events_unsent(f->st, 10, collect_event, &e), 0);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.body[0], "record=g1 "));
	assert_non_null(strstr(e.body[0], "status=approved"));
	assert_non_null(strstr(e.body[0], "by=+8613900000009"));
}

static void test_record_add_event(void **state)
{
	struct fx *f = *state;
	struct store_record r;
	struct evs e = { 0 };
	long long no;

	village(f->st);
	no = add_record(f->st, "H01", 5, STORE_PENDING);
	assert_int_equal(no, 1);
	assert_int_equal(store_record_get(f->st, no, &r), 0);
	assert_int_equal(r.status, STORE_PENDING);
	assert_int_equal(strlen(r.gid), 36);
	assert_int_equal(r.gid[14], '4');
	assert_int_equal(store_events_unsent(f->st, 10, collect_event, &e), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.type[0], "record.new");
	assert_non_null(strstr(e.body[0], "household=H01 "));
	assert_non_null(strstr(e.body[0], "points=5 "));
	assert_non_null(strstr(e.body[0], "status=pending"));
	assert_non_null(strstr(e.body[0], r.gid));
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM audit WHERE "
				   "action = 'record.add'"), 1);
	assert_int_equal(add_record(f->st, "H02", -5, STORE_PENDING), 2);
}

static void test_record_add_unknown_household(void **state)
{
	struct fx *f = *state;
	struct store_record_new rn = {
		.household = "H99", .points = 5, .reason = "x",
		.status = STORE_PENDING, .by = "console", .now = T0,
	};

	village(f->st);
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), -ENOENT);
	rn.household = "H01";
	rn.status = STORE_APPROVED;
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), -EINVAL);
	rn.status = STORE_PENDING;
	rn.reason = "";
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), -EINVAL);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 0);
	/* a given gid is kept and must be unique */
	rn.reason = "x";
	rn.gid = "platform-1";
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), 0);
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), -EEXIST);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 1);
}

static void test_review_approve(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct store_record r;
	struct store_balance b;
	struct evs e = { 0 };
	long long no;

	village(f->st);
	no = add_record(f->st, "H01", 5, STORE_PENDING);
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.pending_points, 5);
	assert_int_equal(store_record_review(f->st, no, STORE_APPROVE,
					     "+8613900000009", "", T0 + 60, 7,
					     &oc, &r), 0);
	assert_int_equal(oc, STORE_REVIEW_DONE);
	assert_int_equal(r.status, STORE_APPROVED);
	assert_int_equal(r.notice_until, T0 + 60 + 7 * DAY);
	assert_string_equal(r.reviewed_by, "+8613900000009");
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.pending_points, 0);
	assert_int_equal(b.publicity_points, 5);
	assert_int_equal(b.final_points, 0);
	assert_int_equal(store_events_unsent(f->st, 10, collect_event, &e), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.type[1], "record.review");
	assert_non_null(strstr(e.body[1], "status=approved"));
	assert_non_null(strstr(e.body[1], "by=+8613900000009"));
	assert_non_null(strstr(e.body[1], r.gid));
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 1);
}

static void test_review_reject(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct store_record r;
	struct store_balance b;
	long long no;

	village(f->st);
	no = add_record(f->st, "H02", 3, STORE_PENDING);
	assert_int_equal(store_record_review(f->st, no, STORE_REJECT,
					     "+8613900000009", "不属实", T0, 7,
					     &oc, &r), 0);
	assert_int_equal(oc, STORE_REVIEW_DONE);
	assert_int_equal(r.status, STORE_REJECTED);
	assert_string_equal(r.review_reason, "不属实");
	assert_int_equal(r.notice_until, 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.pending_points + b.publicity_points +
			 b.final_points, 0);
	/* repeating the rejection is harmless */
	assert_int_equal(store_record_review(f->st, no, STORE_REJECT, "x", "y",
					     T0, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_ALREADY);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 1);
}

static void test_review_repeat_harmless(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct store_balance b;
	long long no;
	int i;

	village(f->st);
	no = add_record(f->st, "H01", 10, STORE_PENDING);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_record_review(f->st, no, STORE_APPROVE,
						     "+8613900000009", NULL,
						     T0 + i, 7, &oc, NULL), 0);
		assert_int_equal(oc, i ? STORE_REVIEW_ALREADY :
					 STORE_REVIEW_DONE);
	}
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.publicity_points, 10);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events WHERE "
				   "type = 'record.review'"), 1);
	assert_int_equal(count_sql(f, "SELECT notice_until FROM records"),
			 T0 + 7 * DAY);
	/* after 公示 closes the repeat is still harmless */
	assert_int_equal(store_records_finalize_due(f->st, T0 + 8 * DAY, NULL,
						    NULL, NULL), 0);
	assert_int_equal(store_record_review(f->st, no, STORE_APPROVE, "x",
					     NULL, T0 + 9 * DAY, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_ALREADY);
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.final_points, 10);
}

static void test_review_conflict_and_missing(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	long long a, o;

	village(f->st);
	a = add_record(f->st, "H01", 4, STORE_PENDING);
	o = add_record(f->st, "H01", 100, STORE_FINAL);	/* opening */
	assert_int_equal(store_record_review(f->st, a, STORE_APPROVE, "c", NULL,
					     T0, 7, &oc, NULL), 0);
	assert_int_equal(store_record_review(f->st, a, STORE_REJECT, "c", "no",
					     T0, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_CONFLICT);
	assert_int_equal(store_record_review(f->st, o, STORE_APPROVE, "c", NULL,
					     T0, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_CONFLICT);
	assert_int_equal(store_record_review(f->st, o, STORE_REJECT, "c", "x",
					     T0, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_CONFLICT);
	assert_int_equal(store_record_review(f->st, 999, STORE_APPROVE, "c",
					     NULL, T0, 7, &oc, NULL), 0);
	assert_int_equal(oc, STORE_REVIEW_NOT_FOUND);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 1);
}

struct fin {
	int n;
	long long nos[8];
	int fail_at;
};

static int fin_cb(const struct store_record *r, void *data)
{
	struct fin *fc = data;

	assert_int_equal(r->status, STORE_FINAL);
	if (fc->n < 8)
		fc->nos[fc->n] = r->no;
	fc->n++;
	return fc->n == fc->fail_at ? -ECANCELED : 0;
}

static void test_finalize_due(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct store_balance b;
	struct fin fc = { 0 };
	long long a, c;
	int64_t t;
	long n;

	village(f->st);
	a = add_record(f->st, "H01", 5, STORE_PENDING);
	c = add_record(f->st, "H01", 7, STORE_PENDING);
	assert_int_equal(store_records_next_due(f->st, &t), -ENOENT);
	store_record_review(f->st, a, STORE_APPROVE, "c", NULL, T0, 7, &oc,
			    NULL);
	store_record_review(f->st, c, STORE_APPROVE, "c", NULL, T0 + DAY, 7,
			    &oc, NULL);
	assert_int_equal(store_records_next_due(f->st, &t), 0);
	assert_int_equal(t, T0 + 7 * DAY);
	assert_int_equal(store_records_finalize_due(f->st, T0 + 7 * DAY - 1,
						    fin_cb, &fc, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_records_finalize_due(f->st, T0 + 7 * DAY,
						    fin_cb, &fc, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fc.nos[0], a);
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.final_points, 5);
	assert_int_equal(b.publicity_points, 7);
	assert_int_equal(store_records_finalize_due(f->st, T0 + 30 * DAY,
						    fin_cb, &fc, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fc.nos[1], c);
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.final_points, 12);
}

static void test_finalize_callback_error_rolls_back(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct fin fc = { .fail_at = 2 };
	long long a, c;

	village(f->st);
	a = add_record(f->st, "H01", 5, STORE_PENDING);
	c = add_record(f->st, "H02", 6, STORE_PENDING);
	store_record_review(f->st, a, STORE_APPROVE, "c", NULL, T0, 0, &oc,
			    NULL);
	store_record_review(f->st, c, STORE_APPROVE, "c", NULL, T0, 0, &oc,
			    NULL);
	assert_int_equal(store_records_finalize_due(f->st, T0, fin_cb, &fc,
						    NULL), -ECANCELED);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records WHERE "
				   "status = 'final'"), 0);
	fc.fail_at = 0;
	fc.n = 0;
	assert_int_equal(store_records_finalize_due(f->st, T0, fin_cb, &fc,
						    NULL), 0);
	assert_int_equal(fc.n, 2);
}

static void test_balance_rank_ties(void **state)
{
	struct fx *f = *state;
	struct store_balance b;

	village(f->st);
	assert_int_equal(store_household_upsert(f->st, "H04", "李家", T0, NULL),
			 0);
	add_record(f->st, "H01", 583, STORE_FINAL);
	add_record(f->st, "H02", 600, STORE_FINAL);
	add_record(f->st, "H03", 583, STORE_FINAL);
	add_record(f->st, "H03", -5, STORE_PENDING);
	add_record(f->st, "H04", 10, STORE_PENDING);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.rank, 1);
	assert_int_equal(b.households, 4);
	assert_int_equal(store_household_balance(f->st, "H01", &b), 0);
	assert_int_equal(b.final_points, 583);
	assert_int_equal(b.rank, 2);
	assert_int_equal(store_household_balance(f->st, "H03", &b), 0);
	assert_int_equal(b.rank, 2);
	assert_int_equal(b.pending_points, -5);
	assert_int_equal(store_household_balance(f->st, "H04", &b), 0);
	assert_int_equal(b.rank, 4);
	assert_int_equal(b.final_points, 0);
	assert_int_equal(store_household_balance(f->st, "H99", &b), -ENOENT);
}

/* household_totals (schema 3) against a sum over the records. */
static int totals_wrong(struct fx *f)
{
	return count_sql(f, "SELECT COUNT(*) FROM households h LEFT JOIN "
			 "household_totals t ON t.household = h.id WHERE "
			 "t.household IS NULL OR t.active != (h.deleted = 0) "
			 "OR t.final != (SELECT COALESCE(SUM(points), 0) FROM "
			 "records r WHERE r.household = h.id AND "
			 "r.status = 'final')") +
	       count_sql(f, "SELECT COUNT(*) FROM household_totals WHERE "
			 "household NOT IN (SELECT id FROM households)");
}

/* The maintained totals follow every way a record becomes (or stops
 * being) final, and households leaving and coming back. */
static void test_balance_totals_follow_changes(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	struct store_balance b;
	struct fin fc = { 0 };
	long long a;
	long n;

	village(f->st);
	assert_int_equal(totals_wrong(f), 0);
	add_record(f->st, "H01", 583, STORE_FINAL);
	add_record(f->st, "H02", 100, STORE_FINAL);
	a = add_record(f->st, "H02", 600, STORE_PENDING);
	assert_int_equal(totals_wrong(f), 0);
	store_record_review(f->st, a, STORE_APPROVE, "c", NULL, T0, 7, &oc,
			    NULL);
	assert_int_equal(totals_wrong(f), 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.rank, 2);
	assert_int_equal(store_records_finalize_due(f->st, T0 + 8 * DAY,
						    fin_cb, &fc, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(totals_wrong(f), 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.rank, 1);
	assert_int_equal(b.final_points, 700);
	/* the platform changes a record */
	assert_int_equal(store_record_put_remote(f->st, "p-1", "H03", 50,
						 "修路", STORE_FINAL, T0, 0,
						 T0), 0);
	assert_int_equal(store_record_put_remote(f->st, "p-1", "H03", 900,
						 "修路", STORE_FINAL, T0, 0,
						 T0), 0);
	assert_int_equal(totals_wrong(f), 0);
	/* a household leaves: not ranked, not counted */
	assert_int_equal(store_household_delete(f->st, "H03", T0), 0);
	assert_int_equal(totals_wrong(f), 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.rank, 1);
	assert_int_equal(b.households, 2);
	assert_int_equal(store_household_upsert(f->st, "H03", NULL, T0, NULL),
			 0);
	assert_int_equal(totals_wrong(f), 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.households, 3);
}

static int count_rec(const struct store_record *r, void *data)
{
	long long *acc = data;

	acc[0]++;
	acc[1] = acc[1] * 100 + r->no;
	return 0;
}

static void test_records_list_filters(void **state)
{
	struct fx *f = *state;
	struct store_record_filter flt = { NULL, -1, false, 0 };
	long long acc[2];

	village(f->st);
	add_record(f->st, "H01", 1, STORE_PENDING);
	add_record(f->st, "H02", 2, STORE_FINAL);
	add_record(f->st, "H01", 3, STORE_PENDING);
	add_record(f->st, "H01", 4, STORE_FINAL);
	acc[0] = acc[1] = 0;
	assert_int_equal(store_records_list(f->st, NULL, count_rec, acc), 0);
	assert_int_equal(acc[0], 4);
	assert_int_equal(acc[1], 1020304);
	acc[0] = acc[1] = 0;
	flt.status = STORE_PENDING;
	assert_int_equal(store_records_list(f->st, &flt, count_rec, acc), 0);
	assert_int_equal(acc[1], 103);
	acc[0] = acc[1] = 0;
	flt.status = -1;
	flt.household = "H01";
	flt.newest_first = true;
	flt.limit = 2;
	assert_int_equal(store_records_list(f->st, &flt, count_rec, acc), 0);
	assert_int_equal(acc[1], 403);
}

static void test_record_put_remote_idempotent(void **state)
{
	struct fx *f = *state;
	struct store_balance b;
	struct store_record r;
	int i;

	village(f->st);
	for (i = 0; i < 2; i++)
		assert_int_equal(store_record_put_remote(f->st, "p-77", "H02", 20,
							 "修路", STORE_FINAL,
							 T0, 0, T0), 0);
	assert_int_equal(store_household_balance(f->st, "H02", &b), 0);
	assert_int_equal(b.final_points, 20);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 0);
	assert_int_equal(store_record_get(f->st, 1, &r), 0);
	assert_string_equal(r.origin, "platform");
	assert_int_equal(store_record_put_remote(f->st, "p-78", "H99", 1, "x",
						 STORE_FINAL, T0, 0, T0),
			 -ENOENT);
}

/* ---- matters, events, kv ------------------------------------------------- */

static void test_matters(void **state)
{
	struct fx *f = *state;
	struct evs e = { 0 };
	char gid[STORE_ID_MAX];
	long long t1, t2;

	village(f->st);
	assert_int_equal(store_matter_add(f->st, "H01", "13800000001",
					  "路灯坏了", T0, &t1, gid), 0);
	assert_int_equal(store_matter_add(f->st, NULL, "13800000077",
					  "水渠堵了", T0, &t2, NULL), 0);
	assert_int_equal(t1, 1);
	assert_int_equal(t2, 2);
	assert_int_equal(store_events_unsent(f->st, 10, collect_event, &e), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.type[0], "matter.new");
	assert_non_null(strstr(e.body[0], gid));
	assert_non_null(strstr(e.body[0], "by=+8613800000001"));
	assert_non_null(strstr(e.body[0], "路灯坏了"));
	assert_non_null(strstr(e.body[1], "household=(null)"));
	assert_int_equal(store_matter_add(f->st, "H01", "13800000001", "", T0,
					  &t1, NULL), -EINVAL);
}

static void test_events_same_transaction(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	long long no;

	village(f->st);
	no = add_record(f->st, "H01", 5, STORE_PENDING);
	assert_int_equal(store_begin(f->st), 0);
	assert_true(store_in_transaction(f->st));
	assert_int_equal(store_begin(f->st), -EBUSY);
	add_record(f->st, "H02", 8, STORE_PENDING);
	assert_int_equal(store_record_review(f->st, no, STORE_APPROVE, "c",
					     NULL, T0, 7, &oc, NULL), 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_false(store_in_transaction(f->st));
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records WHERE "
				   "status = 'pending'"), 1);
	/* and a commit keeps both */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_record_review(f->st, no, STORE_APPROVE, "c",
					     NULL, T0, 7, &oc, NULL), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 2);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 1);
}

static void test_events_unsent_delete(void **state)
{
	struct fx *f = *state;
	struct evs e = { 0 };
	const char *ids[2];
	int i;

	village(f->st);
	for (i = 0; i < 5; i++)
		add_record(f->st, "H01", i + 1, STORE_PENDING);
	assert_int_equal(store_events_unsent(f->st, 3, collect_event, &e), 0);
	assert_int_equal(e.n, 3);
	assert_non_null(strstr(e.body[0], "points=1 "));
	assert_non_null(strstr(e.body[2], "points=3 "));
	assert_string_not_equal(e.id[0], e.id[1]);
	ids[0] = e.id[0];
	ids[1] = e.id[1];
	assert_int_equal(store_events_delete(f->st, ids, 2), 0);
	assert_int_equal(store_events_delete(f->st, ids, 2), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(store_events_unsent(f->st, 10, collect_event, &e), 0);
	assert_int_equal(e.n, 3);
	assert_non_null(strstr(e.body[0], "points=3 "));
}

static void test_status_and_state_kv(void **state)
{
	struct fx *f = *state;
	char buf[64];

	assert_int_equal(store_status_get(f->st, "modem.model", buf,
					  sizeof(buf)), -ENOENT);
	assert_int_equal(store_status_set(f->st, "modem.model", "E3372", T0),
			 0);
	assert_int_equal(store_status_set(f->st, "modem.model", "SIM800", T0),
			 0);
	assert_int_equal(store_status_get(f->st, "modem.model", buf,
					  sizeof(buf)), 0);
	assert_string_equal(buf, "SIM800");
	assert_int_equal(store_state_set(f->st, "cursor", "c-42", T0), 0);
	assert_int_equal(store_state_get(f->st, "cursor", buf, 3), 0);
	assert_string_equal(buf, "c-");
	assert_int_equal(store_state_set(f->st, "cursor", NULL, T0), 0);
	assert_int_equal(store_state_get(f->st, "cursor", buf, sizeof(buf)),
			 -ENOENT);
}

/* ---- inbox ------------------------------------------------------------------ */

static struct store_inbox_part part(const char *sender, const char *text,
				    int ref, int total, int seq)
{
	struct store_inbox_part p = {
		.sender = sender, .scts = "2025-11-28T09:30:00+08:00",
		.scts_epoch = T0, .ref = ref, .total = total, .seq = seq,
		.text = text, .alphabet = "ucs2", .msg_class = -1,
		.pdu = "0791683108200005F0040D91",
	};
	return p;
}

static void test_inbox_dedup(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[3];
	enum store_inbox_result res[3];

	p[0] = part("13800000001", "积分", 0, 0, 0);
	p[1] = part("+8613800000001", "积分", 0, 0, 0); /* same, other form */
	p[2] = part("13800000002", "积分", 0, 0, 0);
	assert_int_equal(store_inbox_add(f->st, p, 1, T0, res), 0);
	assert_int_equal(res[0], STORE_INBOX_NEW);
	assert_int_equal(store_inbox_add(f->st, p, 3, T0 + 1, res), 0);
	assert_int_equal(res[0], STORE_INBOX_DUP);
	assert_int_equal(res[1], STORE_INBOX_DUP);
	assert_int_equal(res[2], STORE_INBOX_NEW);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox"), 2);
	/* different SCTS: a new message */
	p[0].scts = "2025-11-28T09:31:00+08:00";
	assert_int_equal(store_inbox_add(f->st, p, 1, T0, res), 0);
	assert_int_equal(res[0], STORE_INBOX_NEW);
}

static void test_inbox_single_ready_and_done(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p = part("13800000001", "JF", 0, 0, 0);
	struct store_inbox_msg m;

	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), -ENOENT);
	assert_int_equal(store_inbox_add(f->st, &p, 1, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.text, "JF");
	assert_string_equal(m.sender, "+8613800000001");
	assert_int_equal(m.nparts, 1);
	assert_false(m.incomplete);
	assert_int_equal(m.total, 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 1), 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 1), -EALREADY);
	store_inbox_msg_release(&m);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), -ENOENT);
}

static void test_inbox_reassembly_out_of_order(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[3];
	struct store_inbox_msg m;
	int64_t t;

	p[0] = part("13800000001", "CCC", 7, 3, 3);
	p[1] = part("13800000001", "AAA", 7, 3, 1);
	assert_int_equal(store_inbox_add(f->st, p, 2, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 5, 600, &m),
			 -ENOENT);
	assert_int_equal(store_inbox_next_deadline(f->st, 600, &t), 0);
	assert_int_equal(t, T0 + 600);
	p[2] = part("13800000001", "BBB", 7, 3, 2);
	assert_int_equal(store_inbox_add(f->st, &p[2], 1, T0 + 10, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 10, 600, &m), 0);
	assert_string_equal(m.text, "AAABBBCCC");
	assert_int_equal(m.nparts, 3);
	assert_int_equal(m.ref, 7);
	assert_int_equal(m.total, 3);
	assert_false(m.incomplete);
	assert_int_equal(m.received_at, T0);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 11), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 10, 600, &m),
			 -ENOENT);
	assert_int_equal(store_inbox_next_deadline(f->st, 600, &t), -ENOENT);
}

static void test_inbox_two_groups_interleaved(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[4];
	struct store_inbox_msg m;

	p[0] = part("13800000001", "说事：村口", 9, 2, 1);
	p[1] = part("13800000002", "你好", 9, 2, 2);	/* other sender */
	p[2] = part("13800000001", "路灯坏了", 9, 2, 2);
	p[3] = part("13800000002", "问", 9, 2, 1);
	assert_int_equal(store_inbox_add(f->st, p, 4, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.sender, "+8613800000001");
	assert_string_equal(m.text, "说事：村口路灯坏了");
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.sender, "+8613800000002");
	assert_string_equal(m.text, "问你好");
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
}

static void test_inbox_incomplete_after_deadline(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[2];
	struct store_inbox_msg m;

	p[0] = part("13800000001", "one", 3, 3, 1);
	p[1] = part("13800000001", "three", 3, 3, 3);
	assert_int_equal(store_inbox_add(f->st, p, 2, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 599, 600, &m),
			 -ENOENT);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 600, 600, &m), 0);
	assert_true(m.incomplete);
	assert_int_equal(m.nparts, 2);
	assert_string_equal(m.text, "onethree");
	assert_int_equal(m.part_seqs[0], 1);
	assert_int_equal(m.part_seqs[1], 3);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 600), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(count_sql(f, "SELECT incomplete FROM inbox_msgs"), 1);
}

static void test_inbox_late_part(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[2], late;
	struct store_inbox_msg m;

	p[0] = part("13800000001", "one", 4, 2, 1);
	assert_int_equal(store_inbox_add(f->st, p, 1, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 600, 600, &m), 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 600), 0);
	store_inbox_msg_release(&m);
	late = part("13800000001", "two", 4, 2, 2);
	assert_int_equal(store_inbox_add(f->st, &late, 1, T0 + 700, NULL), 0);
	/* not merged with the processed part, not ready before its own
	 * deadline, then handled alone and incomplete */
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 701, 600, &m),
			 -ENOENT);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 1300, 600, &m), 0);
	assert_true(m.incomplete);
	assert_int_equal(m.nparts, 1);
	assert_string_equal(m.text, "two");
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 1300), 0);
	store_inbox_msg_release(&m);
	/* a redelivered first part is a duplicate, not a new message */
	assert_int_equal(store_inbox_add(f->st, p, 1, T0 + 1400, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 9999, 600, &m),
			 -ENOENT);
}

/* ---- reliability (issue 8) ------------------------------------------------ */

static void unlink_f(const char *fmt, const char *path)
{
	char p[300];

	snprintf(p, sizeof(p), fmt, path);
	unlink(p);
}

static void test_open_no_create_refuses_missing_and_empty(void **state)
{
	struct fx *f = *state;
	char path[200], why[256];
	struct store *st;
	int err = 0, fd;

	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	st = store_open_flags(path, 0, why, sizeof(why), &err);
	assert_null(st);
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(why, "no database at"));
	assert_int_equal(access(path, F_OK), -1);	/* not created */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	st = store_open_flags(path, STORE_CHECK, why, sizeof(why), &err);
	assert_null(st);
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(why, "empty"));
	st = store_open_flags(path, STORE_CREATE, why, sizeof(why), &err);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	unlink(path);
	unlink_f("%s-wal", path);
	unlink_f("%s-shm", path);
}

static void test_lock_one_daemon(void **state)
{
	struct fx *f = *state;
	struct store *a, *b, *c;
	char why[256], pid[32];
	int err = 0;

	a = store_open_flags(f->path, STORE_LOCK, why, sizeof(why), &err);
	assert_non_null(a);
	b = store_open_flags(f->path, STORE_LOCK, why, sizeof(why), &err);
	assert_null(b);
	assert_int_equal(err, -EBUSY);
	snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
	assert_non_null(strstr(why, pid));
	/* jifenctl (no lock) still opens it */
	c = store_open_flags(f->path, 0, why, sizeof(why), &err);
	assert_non_null(c);
	store_close(c);
	store_close(a);
	b = store_open_flags(f->path, STORE_LOCK, why, sizeof(why), &err);
	assert_non_null(b);
	store_close(b);
	unlink_f("%s.lock", f->path);
}

static void test_file_gone_and_replaced(void **state)
{
	struct fx *f = *state;
	char other[200];
	int fd;

	assert_false(store_file_gone(f->st));
	snprintf(other, sizeof(other), "%s.moved", f->path);
	assert_int_equal(rename(f->path, other), 0);
	assert_true(store_file_gone(f->st));		/* path empty */
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);	/* another file */
	assert_true(fd >= 0);
	close(fd);
	assert_true(store_file_gone(f->st));
	unlink(f->path);
	assert_int_equal(rename(other, f->path), 0);
	assert_false(store_file_gone(f->st));
	assert_int_equal(unlink(f->path), 0);
	assert_true(store_file_gone(f->st));		/* link count 0 */
}

static void test_quick_check_and_corruption(void **state)
{
	struct fx *f = *state;
	char why[256];
	struct store *st;
	sqlite3 *db;
	int err = 0, fd, i;
	off_t size;

	assert_int_equal(store_quick_check(f->st, why, sizeof(why)), 0);
	assert_false(store_corruption_seen(f->st));
	assert_int_equal(store_household_upsert(f->st, "H01", "x", T0, NULL), 0);
	store_close(f->st);
	f->st = NULL;
	/* fold the WAL in, then write garbage over every page but the first */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	size = lseek(fd, 0, SEEK_END);
	for (i = 4096; i < size; i += 4096)
		assert_int_equal(pwrite(fd, "garbage!garbage!garbage!", 24,
					i), 24);
	close(fd);
	st = store_open_flags(f->path, STORE_CHECK, why, sizeof(why), &err);
	assert_null(st);
	assert_int_equal(err, -EUCLEAN);
	assert_non_null(strstr(why, "database is corrupt: "));
	/* not a database at all */
	fd = open(f->path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef"
				       "0123456789abcdef0123456789abcdef",
				       64), 64);
	close(fd);
	st = store_open_flags(f->path, 0, why, sizeof(why), &err);
	assert_null(st);
	assert_int_equal(err, -EUCLEAN);
	assert_non_null(strstr(why, "database is corrupt: "));
	f->st = store_open_flags(f->path, 0, why, sizeof(why), &err);
	assert_null(f->st);
	unlink(f->path);
	f->st = store_open(f->path, &err);	/* for teardown */
	assert_non_null(f->st);
}

static void test_backup_and_rotate(void **state)
{
	struct fx *f = *state;
	char dest[200], out[300], p[300];
	struct store *b;
	int err = 0, i;

	assert_int_equal(store_household_upsert(f->st, "H01", "x", T0, NULL), 0);
	snprintf(dest, sizeof(dest), "%s/copy.db", f->dir);
	assert_int_equal(store_backup(f->st, dest), 0);
	{
		struct stat sb;

		assert_int_equal(stat(dest, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}
	b = store_open_flags(dest, STORE_CHECK, NULL, 0, &err);
	assert_non_null(b);
	store_close(b);
	unlink(dest);
	unlink_f("%s-wal", dest);
	unlink_f("%s-shm", dest);
	assert_int_equal(store_backup(f->st, "/nonexistent/dir/x.db"), -ENOENT);
	/* nine days of daily backups, seven kept, today's written once */
	for (i = 0; i < 9; i++) {
		assert_int_equal(store_backup_rotate(f->st, T0 + i * DAY, 7, out,
						     sizeof(out)), 0);
		assert_int_equal(access(out, F_OK), 0);
	}
	assert_int_equal(store_backup_rotate(f->st, T0 + 8 * DAY + 60, 7, NULL,
					     0), 0);
	for (i = 0; i < 9; i++) {
		struct tm tm;
		time_t t = (time_t)(T0 + i * DAY);
		char day[16];

		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y%m%d", &tm);
		snprintf(p, sizeof(p), "%s.backup-%s", f->path, day);
		assert_int_equal(access(p, F_OK) == 0, i >= 2);
		unlink(p);
	}
	assert_int_equal(store_backup_rotate(f->st, T0, 0, NULL, 0), -EINVAL);
}

static void test_clamp_future(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p = part("13800000001", "积分", 0, 0, 0);
	struct store_inbox_msg m;
	bool seen;
	long n = 0;

	/* stored while the clock ran two years ahead */
	assert_int_equal(store_inbox_add(f->st, &p, 1, T0 + 730 * DAY, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 730 * DAY, 600, &m),
			 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 730 * DAY), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_seen_recently(f->st, "13800000001", "积分",
						   T0 + 3600 - 600, &seen), 0);
	assert_true(seen);	/* "seen" an hour later: the bug */
	assert_int_equal(store_clamp_future(f->st, T0, &n), 0);
	assert_true(n >= 2);
	assert_int_equal(store_inbox_seen_recently(f->st, "13800000001", "积分",
						   T0 + 3600 - 600, &seen), 0);
	assert_false(seen);
	assert_int_equal(store_clamp_future(f->st, T0, &n), 0);
	assert_int_equal(n, 0);
}

static void test_inbox_second_copy_of_a_part(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[3];
	struct store_inbox_msg m;

	p[0] = part("13800000001", "积", 9, 2, 1);
	p[1] = part("13800000001", "明", 9, 2, 1);	/* another seq 1 */
	p[2] = part("13800000001", "分", 9, 2, 2);
	assert_int_equal(store_inbox_add(f->st, p, 3, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.text, "积分");
	assert_false(m.incomplete);
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	/* the copy never comes up on its own, not even after the deadline */
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 9999, 600, &m),
			 -ENOENT);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox WHERE "
				   "processed_at IS NOT NULL"), 3);
	/* a late copy after processing: the same */
	p[0] = part("13800000001", "积!", 9, 2, 1);
	assert_int_equal(store_inbox_add(f->st, p, 1, T0 + 60, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 9999, 600, &m),
			 -ENOENT);
}

static void test_inbox_bounded_parts(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[4];
	struct store_inbox_msg m;

	p[0] = part("13800000001", "bad-total", 1, 300, 1);
	p[1] = part("13800000001", "bad-seq", 1, 2, 5);
	p[2] = part("13800000001", "a", 2, 2, 1);
	p[3] = part("13800000001", "a-again", 2, 2, 1); /* same seq, new text */
	assert_int_equal(store_inbox_add(f->st, p, 4, T0, NULL), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox WHERE "
				   "concat_total = 0"), 2);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.text, "bad-total");
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_string_equal(m.text, "bad-seq");
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	/* group 2 never holds more than one part per seq */
	assert_int_equal(store_inbox_next_ready(f->st, T0 + 600, 600, &m), 0);
	assert_int_equal(m.nparts, 1);
	assert_true(m.incomplete);
	assert_int_equal(store_inbox_done(f->st, &m, T0 + 600), 0);
	store_inbox_msg_release(&m);
}

static void test_inbox_seen_recently_and_counts(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p = part("13800000001", "积分", 0, 0, 0);
	struct store_inbox_msg m;
	bool seen;
	long n;

	assert_int_equal(store_inbox_add(f->st, &p, 1, T0, NULL), 0);
	assert_int_equal(store_inbox_seen_recently(f->st, "13800000001", "积分",
						   T0 - 600, &seen), 0);
	assert_false(seen);	/* not processed yet */
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	assert_int_equal(store_inbox_seen_recently(f->st, "+8613800000001",
						   "积分", T0 + 300 - 600,
						   &seen), 0);
	assert_true(seen);
	assert_int_equal(store_inbox_seen_recently(f->st, "13800000001", "积分",
						   T0 + 601 - 600, &seen), 0);
	assert_false(seen);
	assert_int_equal(store_inbox_seen_recently(f->st, "13800000001", "明细",
						   T0 - 600, &seen), 0);
	assert_false(seen);
	assert_int_equal(store_inbox_count_from(f->st, "13800000001", T0, &n),
			 0);
	assert_int_equal(n, 1);
}

static void test_hint_budget(void **state)
{
	struct fx *f = *state;
	bool g;

	assert_int_equal(store_hint_take(f->st, "13700000000", "2025-11-28", 1,
					 &g), 0);
	assert_true(g);
	assert_int_equal(store_hint_take(f->st, "+8613700000000", "2025-11-28",
					 1, &g), 0);
	assert_false(g);
	assert_int_equal(store_hint_take(f->st, "13700000000", "2025-11-29", 1,
					 &g), 0);
	assert_true(g);
	assert_int_equal(store_hint_take(f->st, "13700000001", "2025-11-28", 0,
					 &g), 0);
	assert_false(g);
}

/* ---- outbox ----------------------------------------------------------------- */

static long long enqueue(struct store *st, const char *to, int nparts,
			 enum store_out_kind kind, long long reply_to,
			 int64_t not_before)
{
	struct store_out_pdu pdus[3] = {
		{ "0041000D91683108000000F1000804621179EF", 19 },
		{ "0041010D91683108000000F1000804621179F0", 19 },
		{ "0041020D91683108000000F1000804621179F1", 19 },
	};
	struct store_out_msg m = { to, "您家积分583", kind, reply_to,
				   not_before };
	long long id = 0;

	assert_int_equal(store_outbox_add(st, &m, pdus, (size_t)nparts, T0,
					  &id), 0);
	return id;
}

static void test_outbox_single_lifecycle(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	struct store_out_info oi;
	struct store_counts c;
	long long id;
	int64_t t;

	assert_int_equal(store_outbox_next_wakeup(f->st, &t), -ENOENT);
	id = enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 0, 0);
	assert_int_equal(store_outbox_next_wakeup(f->st, &t), 0);
	assert_true(t <= T0);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), 0);
	assert_int_equal(p.msg_id, id);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.total, 1);
	assert_string_equal(p.to, "+8613800000001");
	assert_int_equal(p.tpdu_len, 19);
	assert_string_equal(p.pdu, "0041000D91683108000000F1000804621179EF");
	assert_int_equal(store_outbox_part_sent(f->st, p.id, 17, T0 + 1), 0);
	assert_int_equal(store_outbox_part_sent(f->st, p.id, 17, T0 + 1),
			 -EALREADY);
	assert_int_equal(store_outbox_info(f->st, id, &oi), 0);
	assert_int_equal(oi.state, STORE_OUT_SENT);
	assert_int_equal(store_outbox_next_due(f->st, T0 + 2, &p), -ENOENT);
	assert_int_equal(store_counts(f->st, T0, &c), 0);
	assert_int_equal(c.outbox_sent_since, 1);
	assert_int_equal(c.outbox_queued, 0);
}

static void test_outbox_multipart(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	struct store_out_info oi;
	long long id;

	id = enqueue(f->st, "13800000001", 2, STORE_OUT_REPLY, 0, 0);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), 0);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.total, 2);
	assert_int_equal(store_outbox_part_sent(f->st, p.id, 1, T0), 0);
	assert_int_equal(store_outbox_info(f->st, id, &oi), 0);
	assert_int_equal(oi.state, STORE_OUT_SENDING);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), 0);
	assert_int_equal(p.seq, 2);
	assert_string_equal(p.pdu, "0041010D91683108000000F1000804621179F0");
	assert_int_equal(store_outbox_part_sent(f->st, p.id, 2, T0), 0);
	assert_int_equal(store_outbox_info(f->st, id, &oi), 0);
	assert_int_equal(oi.state, STORE_OUT_SENT);
	assert_int_equal(oi.parts_sent, 2);
}

static void test_outbox_retry_backoff_failed(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	struct store_out_info oi;
	struct store_counts c;
	long long id;
	int64_t t;

	id = enqueue(f->st, "13800000001", 2, STORE_OUT_NOTIFY, 0, 0);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), 0);
	assert_int_equal(store_outbox_part_failed(f->st, p.id,
						  "+CMS ERROR: 38", T0, T0 + 30),
			 0);
	/* part 2 is due meanwhile; part 1 waits for its backoff */
	assert_int_equal(store_outbox_next_due(f->st, T0 + 1, &p), 0);
	assert_int_equal(p.seq, 2);
	assert_int_equal(store_outbox_part_sent(f->st, p.id, 5, T0 + 1), 0);
	assert_int_equal(store_outbox_next_due(f->st, T0 + 29, &p), -ENOENT);
	assert_int_equal(store_outbox_next_wakeup(f->st, &t), 0);
	assert_int_equal(t, T0 + 30);
	assert_int_equal(store_outbox_next_due(f->st, T0 + 30, &p), 0);
	assert_int_equal(p.seq, 1);
	assert_int_equal(p.attempts, 1);
	assert_int_equal(store_outbox_part_failed(f->st, p.id,
						  "+CMS ERROR: 500", T0 + 30,
						  0), 0);
	assert_int_equal(store_outbox_info(f->st, id, &oi), 0);
	assert_int_equal(oi.state, STORE_OUT_FAILED);
	assert_int_equal(oi.parts_failed, 1);
	assert_int_equal(oi.attempts, 2);
	assert_string_equal(oi.last_error, "+CMS ERROR: 500");
	assert_int_equal(store_outbox_next_due(f->st, T0 + 999, &p), -ENOENT);
	assert_int_equal(store_outbox_next_wakeup(f->st, &t), -ENOENT);
	assert_int_equal(store_counts(f->st, 0, &c), 0);
	assert_int_equal(c.outbox_failed, 1);
}

static void test_outbox_failed_stops_other_parts(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	long long id;

	id = enqueue(f->st, "13800000001", 3, STORE_OUT_REPLY, 0, 0);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), 0);
	assert_int_equal(store_outbox_part_failed(f->st, p.id, "gone", T0, 0),
			 0);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), -ENOENT);
	(void)id;
}

static void test_outbox_report_matching(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	struct store_out_info oi;
	long long a, b, c, msg;

	a = enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 0, 0);
	store_outbox_next_due(f->st, T0, &p);
	store_outbox_part_sent(f->st, p.id, 42, T0);
	b = enqueue(f->st, "13800000002", 1, STORE_OUT_REPLY, 0, 0);
	store_outbox_next_due(f->st, T0, &p);
	store_outbox_part_sent(f->st, p.id, 42, T0 + 1);
	c = enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 0, 0);
	store_outbox_next_due(f->st, T0, &p);
	store_outbox_part_sent(f->st, p.id, 42, T0 + 2);
	/* MR 42 to +8613800000001: the most recent one (c), not a or b */
	assert_int_equal(store_outbox_report(f->st, "8613800000001", 42, 0,
					     T0 + 5, &msg), 0);
	assert_int_equal(msg, c);
	assert_int_equal(store_outbox_info(f->st, c, &oi), 0);
	assert_int_equal(oi.delivered, 1);
	assert_int_equal(store_outbox_info(f->st, a, &oi), 0);
	assert_int_equal(oi.delivered, 0);
	assert_int_equal(store_outbox_report(f->st, "13800000002", 42, 0,
					     T0 + 5, &msg), 0);
	assert_int_equal(msg, b);
	assert_int_equal(store_outbox_report(f->st, "13800000003", 42, 0,
					     T0 + 5, &msg), -ENOENT);
	assert_int_equal(store_outbox_report(f->st, "13800000001", 43, 0,
					     T0 + 5, &msg), -ENOENT);
}

static void test_outbox_quiet_hours(void **state)
{
	struct fx *f = *state;
	struct store_out_part p;
	int64_t t;

	enqueue(f->st, "13800000001", 1, STORE_OUT_NOTIFY, 0, T0 + 3600);
	assert_int_equal(store_outbox_next_due(f->st, T0, &p), -ENOENT);
	assert_int_equal(store_outbox_next_wakeup(f->st, &t), 0);
	assert_int_equal(t, T0 + 3600);
	assert_int_equal(store_outbox_next_due(f->st, T0 + 3600, &p), 0);
	assert_int_equal(p.kind, STORE_OUT_NOTIFY);
}

static void test_outbox_one_reply_per_inbound(void **state)
{
	struct fx *f = *state;
	struct store_out_pdu pdu = { "0041", 3 };
	struct store_out_msg m = { "13800000001", "x", STORE_OUT_REPLY, 7, 0 };

	assert_int_equal(store_outbox_add(f->st, &m, &pdu, 1, T0, NULL), 0);
	assert_int_equal(store_outbox_add(f->st, &m, &pdu, 1, T0, NULL),
			 -EEXIST);
	m.kind = STORE_OUT_NOTIFY;	/* notifications are not limited */
	assert_int_equal(store_outbox_add(f->st, &m, &pdu, 1, T0, NULL), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM outbox_parts"), 2);
	assert_int_equal(store_outbox_add(f->st, &m, &pdu, 0, T0, NULL),
			 -EINVAL);
}

static void test_outbox_count_to(void **state)
{
	struct fx *f = *state;
	long long c;
	long n;

	enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 1, 0);
	enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 2, 0);
	enqueue(f->st, "13800000001", 1, STORE_OUT_NOTIFY, 0, 0);
	c = enqueue(f->st, "13800000001", 1, STORE_OUT_ALERT, 0, 0);
	enqueue(f->st, "13800000002", 1, STORE_OUT_REPLY, 3, 0);
	assert_int_equal(store_outbox_cancel(f->st, c, T0), 0);
	assert_int_equal(store_outbox_count_to(f->st, "+8613800000001", T0,
					       STORE_OUT_REPLY, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_count_to(f->st, "13800000001", T0, -1,
					       &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_outbox_count_to(f->st, "13800000001", T0 + 1,
					       -1, &n), 0);
	assert_int_equal(n, 0);
}

/* ---- gateway transaction, fault injection --------------------------------- */

/* One inbound message handled the way the gateway does it: the review,
 * the reply and "inbound processed" in one transaction. */
static int handle_one(struct store *st, long long no)
{
	struct store_out_pdu pdu = { "00410005A1", 8 };
	struct store_out_msg om = { NULL, "已确认", STORE_OUT_REPLY, 0, 0 };
	enum store_review_outcome oc;
	struct store_inbox_msg m;
	int rc;

	rc = store_inbox_next_ready(st, T0, 600, &m);
	if (rc)
		return rc;
	rc = store_begin(st);
	if (rc)
		goto out;
	rc = store_record_review(st, no, STORE_APPROVE, m.sender, NULL, T0, 7,
				 &oc, NULL);
	om.to = m.sender;
	om.in_reply_to = m.id;
	if (!rc)
		rc = store_outbox_add(st, &om, &pdu, 1, T0, NULL);
	if (!rc)
		rc = store_inbox_done(st, &m, T0);
	if (rc)
		store_rollback(st);
	else
		rc = store_commit(st);
out:
	store_inbox_msg_release(&m);
	return rc;
}

static void test_fault_hook_transaction_loop(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p = part("13900000009", "确认1", 0, 0, 0);
	long n, failures = 0;
	int rc;

	village(f->st);
	add_record(f->st, "H01", 5, STORE_PENDING);
	assert_int_equal(store_inbox_add(f->st, &p, 1, T0, NULL), 0);
	for (n = 1; n < 200; n++) {
		store_fault_after(f->st, n, STORE_FAULT_IOERR);
		rc = handle_one(f->st, 1);
		store_fault_after(f->st, 0, STORE_FAULT_NONE);
		if (rc == 0)
			break;
		assert_int_equal(rc, -EIO);
		failures++;
		/* nothing half-written */
		assert_false(store_in_transaction(f->st));
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records "
					   "WHERE status = 'pending'"), 1);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM outbox"), 0);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM reviews"), 0);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 1);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox WHERE "
					   "processed_at IS NULL"), 1);
	}
	assert_true(failures >= 8);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records WHERE "
				   "status = 'approved'"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM outbox"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 2);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox WHERE "
				   "processed_at IS NULL"), 0);
	/* and the message is handled once: nothing left to do */
	assert_int_equal(handle_one(f->st, 1), -ENOENT);
}

static void test_fault_hook_single_call(void **state)
{
	struct fx *f = *state;
	struct store_record_new rn = {
		.household = "H01", .points = 5, .reason = "x",
		.status = STORE_PENDING, .by = "console", .now = T0,
	};
	long n;
	int rc;

	village(f->st);
	for (n = 1; n < 50; n++) {
		store_fault_after(f->st, n, STORE_FAULT_FULL);
		rc = store_record_add(f->st, &rn, NULL, NULL);
		store_fault_after(f->st, 0, STORE_FAULT_NONE);
		if (!rc)
			break;
		assert_int_equal(rc, -ENOSPC);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 0);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 0);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM audit"), 0);
	}
	assert_true(n > 4);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM events"), 1);
}

static void test_fault_inside_caller_tx_keeps_tx(void **state)
{
	struct fx *f = *state;
	struct store_record_new rn = {
		.household = "H01", .points = 5, .reason = "x",
		.status = STORE_PENDING, .by = "console", .now = T0,
	};

	village(f->st);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_household_upsert(f->st, "H05", "五", T0, NULL),
			 0);
	store_fault_after(f->st, 3, STORE_FAULT_BUSY);
	assert_int_equal(store_record_add(f->st, &rn, NULL, NULL), -EBUSY);
	/* the savepoint undid the record; the caller's work survives */
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM records"), 0);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM households WHERE "
				   "id = 'H05'"), 1);
}

static void test_inbox_add_fault_stores_nothing(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[3];
	long n;
	int rc;

	p[0] = part("13800000001", "a", 1, 3, 1);
	p[1] = part("13800000001", "b", 1, 3, 2);
	p[2] = part("13800000001", "c", 1, 3, 3);
	for (n = 1; n < 20; n++) {
		store_fault_after(f->st, n, STORE_FAULT_IOERR);
		rc = store_inbox_add(f->st, p, 3, T0, NULL);
		store_fault_after(f->st, 0, STORE_FAULT_NONE);
		if (!rc)
			break;
		assert_int_equal(rc, -EIO);
		assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox"), 0);
	}
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox"), 3);
}

/* ---- retention ---------------------------------------------------------------- */

static void test_prune(void **state)
{
	struct fx *f = *state;
	struct store_inbox_part p[2];
	struct store_inbox_msg m;
	struct store_out_part op;
	long del = 0;

	p[0] = part("13800000001", "old", 0, 0, 0);
	p[1] = part("13800000002", "unhandled", 0, 0, 0);
	assert_int_equal(store_inbox_add(f->st, p, 2, T0, NULL), 0);
	assert_int_equal(store_inbox_next_ready(f->st, T0, 600, &m), 0);
	assert_int_equal(store_inbox_done(f->st, &m, T0), 0);
	store_inbox_msg_release(&m);
	enqueue(f->st, "13800000001", 2, STORE_OUT_REPLY, 0, 0);
	store_outbox_next_due(f->st, T0, &op);
	store_outbox_part_sent(f->st, op.id, 1, T0);
	store_outbox_next_due(f->st, T0, &op);
	store_outbox_part_sent(f->st, op.id, 2, T0);
	enqueue(f->st, "13800000001", 1, STORE_OUT_REPLY, 0, 0); /* queued */
	assert_int_equal(store_prune(f->st, T0 + 29 * DAY, 30, &del), 0);
	assert_int_equal(del, 0);
	assert_int_equal(store_prune(f->st, T0 + 31 * DAY, 30, &del), 0);
	assert_int_equal(del, 3);	/* inbox part, inbox msg, outbox msg */
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM inbox"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM outbox"), 1);
	assert_int_equal(count_sql(f, "SELECT COUNT(*) FROM outbox_parts"), 1);
}

static void test_uuid_format(void **state)
{
	char a[STORE_UUID_LEN], b[STORE_UUID_LEN];

	(void)state;
	assert_int_equal(store_uuid(a), 0);
	assert_int_equal(store_uuid(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[8], '-');
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/*
 * The daemon's health check looks for work others queued only when the
 * data version moved: another connection's commit moves it, its own
 * commits and plain reads do not.
 */
static void test_data_version_counts_only_others(void **state)
{
	struct fx *f = *state;
	struct store *other;
	int64_t v0, v1;
	int err = 0;

	assert_int_equal(store_data_version(f->st, &v0), 0);
	assert_int_equal(store_status_set(f->st, "test.key", "1", 100), 0);
	assert_int_equal(store_data_version(f->st, &v1), 0);
	assert_true(v1 == v0);
	other = store_open(f->path, &err);
	assert_non_null(other);
	assert_int_equal(store_status_set(other, "test.key", "2", 101), 0);
	assert_int_equal(store_data_version(f->st, &v1), 0);
	assert_true(v1 != v0);
	assert_int_equal(store_data_version(f->st, &v0), 0);
	assert_true(v1 == v0);
	store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone_normalize_table),
		cmocka_unit_test(test_phone_normalize_garbage),
		cmocka_unit_test(test_phone_service_table),
		cmocka_unit_test(test_phone_is_e164),
		cmocka_unit_test(test_errno_mapping),
		T(test_statement_helpers),
		cmocka_unit_test(test_uuid_format),
		T(test_open_creates_schema),
		T(test_reopen_idempotent),
		T(test_refuse_newer_schema),
		T(test_migrate_from_v1),
		T(test_migrate_events_to_columns),
		T(test_power_cut_mid_transaction),
		T(test_two_handles_wal),
		T(test_household_upsert),
		T(test_phone_bind_normalises),
		T(test_many_to_many),
		T(test_bind_errors),
		T(test_pin_hash_check),
		T(test_notify_per_phone),
		T(test_household_delete),
		T(test_record_add_event),
		T(test_record_add_unknown_household),
		T(test_review_approve),
		T(test_review_reject),
		T(test_review_repeat_harmless),
		T(test_review_conflict_and_missing),
		T(test_finalize_due),
		T(test_finalize_callback_error_rolls_back),
		T(test_balance_rank_ties),
		T(test_balance_totals_follow_changes),
		T(test_records_list_filters),
		T(test_record_put_remote_idempotent),
		T(test_matters),
		T(test_events_same_transaction),
		T(test_events_unsent_delete),
		T(test_status_and_state_kv),
		T(test_inbox_dedup),
		T(test_inbox_single_ready_and_done),
		T(test_inbox_reassembly_out_of_order),
		T(test_inbox_two_groups_interleaved),
		T(test_inbox_incomplete_after_deadline),
		T(test_inbox_late_part),
		T(test_inbox_bounded_parts),
		T(test_open_no_create_refuses_missing_and_empty),
		T(test_lock_one_daemon),
		T(test_file_gone_and_replaced),
		T(test_quick_check_and_corruption),
		T(test_backup_and_rotate),
		T(test_clamp_future),
		T(test_inbox_second_copy_of_a_part),
		T(test_inbox_seen_recently_and_counts),
		T(test_hint_budget),
		T(test_outbox_single_lifecycle),
		T(test_outbox_multipart),
		T(test_outbox_retry_backoff_failed),
		T(test_outbox_failed_stops_other_parts),
		T(test_outbox_report_matching),
		T(test_outbox_quiet_hours),
		T(test_outbox_one_reply_per_inbound),
		T(test_outbox_count_to),
		T(test_fault_hook_transaction_loop),
		T(test_fault_hook_single_call),
		T(test_fault_inside_caller_tx_keeps_tx),
		T(test_inbox_add_fault_stores_nothing),
		T(test_prune),
		T(test_data_version_counts_only_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
