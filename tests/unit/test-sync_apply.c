/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for jifen-sync/apply.c on a real store: households and
 * members, records and the platform-wins rule, the loan policy, accepted
 * and rejected events, bundles remembered, all in one transaction.
 */
#include <errno.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jifen-sync/apply.h"
#include "storage/sync.h"
#include "storage/village.h"

#define T0 1764300000LL

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct config cfg;
};

static struct fx *F;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int err = 0;

	snprintf(f->dir, sizeof(f->dir), "/tmp/jifen-apply-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/j.db", f->dir);
	f->st = store_open(f->path, &err);
	assert_non_null(f->st);
	config_defaults(&f->cfg);
	snprintf(f->cfg.village.id, sizeof(f->cfg.village.id), "v");
	f->cfg.sms.quiet_enabled = false;
	assert_int_equal(store_household_upsert(f->st, "H01", "一", T0, NULL),
			 0);
	assert_int_equal(store_household_upsert(f->st, "H03", "三", T0, NULL),
			 0);
	assert_int_equal(store_phone_bind(f->st, "13800000001", "H01", "a",
					  STORE_VILLAGER, "1234", T0, NULL), 0);
	assert_int_equal(store_phone_bind(f->st, "13800000002", "H01", "b",
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(f->st, "13900000009", "H03", "c",
					  STORE_COMMITTEE, NULL, T0, NULL), 0);
	F = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static long count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long n = -1;

	assert_int_equal(sqlite3_open(F->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

static int apply_text(const char *txt, const char *bundle,
		      struct apply_stats *s)
{
	struct wire_response *r;
	char err[200];
	int rc;

	rc = wire_parse_response(txt, strlen(txt), &r, err, sizeof(err));
	if (rc)
		fail_msg("parse: %s", err);
	rc = apply_response(F->st, &F->cfg, r, T0 + 100, bundle, s);
	wire_response_free(r);
	return rc;
}

static void test_households(void **state)
{
	struct apply_stats s;

	(void)state;
	assert_int_equal(apply_text("{\"cursor\":\"1\",\"changes\":["
		"{\"type\":\"household\",\"id\":\"H01\",\"name\":\"一家\","
		"\"members\":[{\"phone\":\"13800000001\",\"name\":\"甲\"},"
		"{\"phone\":\"+8613800000077\",\"role\":\"committee\"},"
		"{\"phone\":\"not-a-phone\"}]},"
		"{\"type\":\"household\",\"id\":\"H05\",\"name\":\"五\"}]}",
		NULL, &s), 0);
	assert_int_equal(s.changes, 2);
	assert_int_equal(s.skipped, 1);
	assert_non_null(strstr(s.warning, "not-a-phone"));
	/* 13800000002 left the list: unbound; 13800000001 kept its PIN */
	assert_int_equal(count("SELECT COUNT(*) FROM phones WHERE "
			       "household = 'H01'"), 2);
	assert_int_equal(count("SELECT COUNT(*) FROM phones WHERE phone = "
			       "'+8613800000001' AND pin_hash IS NOT NULL"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM phones WHERE phone = "
			       "'+8613800000077' AND role = 'committee'"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM households"), 3);
	assert_int_equal(apply_text("{\"cursor\":\"2\",\"changes\":["
		"{\"type\":\"household\",\"id\":\"H01\",\"deleted\":true}]}",
		NULL, &s), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM phones WHERE "
			       "household = 'H01'"), 0);
	assert_int_equal(count("SELECT deleted FROM households WHERE "
			       "id = 'H01'"), 1);
	assert_int_equal(count("SELECT value FROM sync_state WHERE "
			       "key = 'cursor'"), 2);
}

static void test_records_platform_wins(void **state)
{
	struct store_record_new rn = {
		.household = "H01", .points = 5, .reason = "扫雪",
		.status = STORE_PENDING, .by = "console", .now = T0,
	};
	enum store_review_outcome oc;
	struct apply_stats s;
	char gid[STORE_ID_MAX], txt[512];
	long long no;

	(void)state;
	assert_int_equal(store_record_add(F->st, &rn, &no, gid), 0);
	assert_int_equal(store_record_review(F->st, no, STORE_APPROVE,
					     "+8613900000009", NULL, T0, 7,
					     &oc, NULL), 0);
	snprintf(txt, sizeof(txt), "{\"cursor\":null,\"changes\":["
		 "{\"type\":\"record\",\"id\":\"%s\",\"household\":\"H01\","
		 "\"points\":5,\"reason\":\"扫雪\",\"status\":\"rejected\"},"
		 "{\"type\":\"record\",\"id\":\"P1\",\"household\":\"H01\","
		 "\"points\":30,\"reason\":\"平台\",\"status\":\"final\"},"
		 "{\"type\":\"record\",\"id\":\"P2\",\"household\":\"H99\","
		 "\"points\":1,\"status\":\"final\"}]}", gid);
	assert_int_equal(apply_text(txt, NULL, &s), 0);
	assert_int_equal(s.changes, 2);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(s.told, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM records WHERE status = "
			       "'rejected'"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM outbox WHERE recipient = "
			       "'+8613900000009' AND text LIKE '%未生效%'"), 1);
	assert_int_equal(count("SELECT COUNT(*) FROM records WHERE gid = 'P1'"
			       " AND origin = 'platform'"), 1);
	/* the same again: no second SMS, same state */
	assert_int_equal(apply_text(txt, NULL, &s), 0);
	assert_int_equal(s.told, 0);
	/* a stale "pending" never undoes a decision */
	snprintf(txt, sizeof(txt), "{\"cursor\":null,\"changes\":["
		 "{\"type\":\"record\",\"id\":\"P1\",\"household\":\"H01\","
		 "\"points\":30,\"status\":\"pending\"}]}");
	assert_int_equal(apply_text(txt, NULL, &s), 0);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM records WHERE gid = 'P1'"
			       " AND status = 'final'"), 1);
}

static void test_policy(void **state)
{
	struct store_loan_policy p;
	struct apply_stats s;

	(void)state;
	assert_int_equal(store_policy_get(F->st, &p), -ENOENT);
	assert_int_equal(apply_text("{\"cursor\":null,\"changes\":["
		"{\"type\":\"policy\",\"loan\":{\"base_rate\":4.0,"
		"\"mode\":\"step\"}}]}", NULL, &s), 0);
	assert_int_equal(store_policy_get(F->st, &p), 0);
	assert_true(p.base_rate == 4.0);
	assert_int_equal(p.mode, 1);
	assert_int_equal(p.step_points, 100);		/* config's */
	assert_true(p.max_discount == 2.0);
	/* a floor above the base is refused, the policy kept */
	assert_int_equal(apply_text("{\"cursor\":null,\"changes\":["
		"{\"type\":\"policy\",\"loan\":{\"floor_rate\":9}}]}", NULL,
		&s), 0);
	assert_int_equal(s.skipped, 1);
	assert_int_equal(store_policy_get(F->st, &p), 0);
	assert_true(p.floor_rate == 0.0);
}

static int first_ids(const struct store_event *e, void *data)
{
	char (*ids)[64] = data;

	snprintf(ids[0][0] ? ids[1] : ids[0], 64, "%s", e->id);
	return 0;
}

static void test_events_and_bundle(void **state)
{
	struct store_record_new rn = {
		.household = "H01", .points = 5, .reason = "x",
		.status = STORE_PENDING, .by = "console", .now = T0,
	};
	char ids[2][64] = { "", "" }, txt[512];
	struct apply_stats s;
	long n;

	(void)state;
	assert_int_equal(store_record_add(F->st, &rn, NULL, NULL), 0);
	assert_int_equal(store_record_add(F->st, &rn, NULL, NULL), 0);
	assert_int_equal(store_events_unsent(F->st, 2, first_ids, ids), 0);
	snprintf(txt, sizeof(txt), "{\"cursor\":\"9\",\"accepted\":[\"%s\","
		 "\"unknown-id\"],\"rejected\":[{\"id\":\"%s\",\"reason\":"
		 "\"bad household\"}]}", ids[0], ids[1]);
	assert_int_equal(apply_text(txt, "B1", &s), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM events"), 0);
	assert_int_equal(store_rejected_count(F->st, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(count("SELECT COUNT(*) FROM sync_rejected WHERE "
			       "reason = 'bad household' AND type = "
			       "'record.new'"), 1);
	/* the same bundle twice: refused, nothing changed */
	assert_int_equal(apply_text("{\"cursor\":\"10\"}", "B1", &s), -EEXIST);
	assert_int_equal(count("SELECT value FROM sync_state WHERE "
			       "key = 'cursor'"), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_households, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_records_platform_wins,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_and_bundle, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
