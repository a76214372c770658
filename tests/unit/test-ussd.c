/* SPDX-License-Identifier: MIT */
/*
 * test-ussd - the USSD menu on a real store in a temporary file, with
 * time passed in: sessions expire after USSD_SESSION_TTL seconds, belong
 * to one phone, the menu paths map to the SMS commands, and malformed
 * requests are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "jifen-web/ussd.h"
#include "storage/store.h"
#include "storage/village.h"

#define T0	1795831200LL

struct env {
	char dir[64], path[96];
	struct store *st;
	struct config cfg;
	struct ussd *u;
	char out[USSD_REPLY_MAX];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct store_record_new r;
	int err;

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test-ussd.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/j.db", e->dir);
	e->st = store_open(e->path, &err);
	assert_non_null(e->st);
	config_defaults(&e->cfg);
	snprintf(e->cfg.village.id, sizeof(e->cfg.village.id), "v1");
	e->cfg.sms.quiet_enabled = false;
	assert_int_equal(store_household_upsert(e->st, "H01", "文家", T0, NULL),
			 0);
	assert_int_equal(store_household_upsert(e->st, "H03", "曾家", T0, NULL),
			 0);
	assert_int_equal(store_phone_bind(e->st, "13800000001", "H01", NULL,
					  STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(e->st, "13900000009", "H03", NULL,
					  STORE_COMMITTEE, NULL, T0, NULL), 0);
	memset(&r, 0, sizeof(r));
	r.household = "H01";
	r.points = 583;
	r.reason = "历年积分";
	r.status = STORE_FINAL;
	r.by = "test";
	r.now = T0;
	assert_int_equal(store_record_add(e->st, &r, NULL, NULL), 0);
	e->u = ussd_new();
	assert_non_null(e->u);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char p[128];

	ussd_free(e->u);
	store_close(e->st);
	snprintf(p, sizeof(p), "%s-wal", e->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", e->path);
	unlink(p);
	unlink(e->path);
	rmdir(e->dir);
	free(e);
	return 0;
}

static int ask(struct env *e, int64_t now, const char *sid,
	       const char *phone, const char *text)
{
	struct ussd_req r = { sid, "*384#", phone, text };
	bool queued;

	e->out[0] = '\0';
	return ussd_answer(e->u, e->st, &e->cfg, now, &r, e->out,
			   sizeof(e->out), &queued);
}

static void test_menu_and_points(void **state)
{
	struct env *e = *state;

	assert_int_equal(ask(e, T0, "a", "13800000001", ""), 0);
	assert_memory_equal(e->out, "CON ", 4);
	assert_null(strstr(e->out, "5 待审"));
	assert_int_equal(ask(e, T0, "b", "13900000009", ""), 0);
	assert_non_null(strstr(e->out, "5 待审"));
	assert_int_equal(ask(e, T0 + 1, "a", "13800000001", "1"), 0);
	assert_memory_equal(e->out, "END ", 4);
	assert_non_null(strstr(e->out, "583"));
	assert_int_equal(ask(e, T0 + 2, "a", "13800000001", "2*30"), 0);
	assert_non_null(strstr(e->out, "4.42%"));
}

static void test_todo_empty_and_pending(void **state)
{
	struct env *e = *state;
	struct store_record_new r;
	long long no = 0;
	char sel[32];

	/* nothing to review: the screen ends */
	assert_int_equal(ask(e, T0, "t1", "13900000009", "5"), 0);
	assert_memory_equal(e->out, "END ", 4);
	memset(&r, 0, sizeof(r));
	r.household = "H01";
	r.points = 5;
	r.reason = "清扫";
	r.status = STORE_PENDING;
	r.by = "test";
	r.now = T0;
	assert_int_equal(store_record_add(e->st, &r, &no, NULL), 0);
	assert_int_equal(ask(e, T0, "t2", "13900000009", "5"), 0);
	assert_memory_equal(e->out, "CON ", 4);
	snprintf(sel, sizeof(sel), "5*%lld*1", no);
	assert_int_equal(ask(e, T0 + 1, "t2", "13900000009", sel), 0);
	assert_memory_equal(e->out, "END ", 4);
	{
		struct store_record got;

		assert_int_equal(store_record_get(e->st, no, &got), 0);
		assert_int_equal(got.status, STORE_APPROVED);
	}
}

static void test_session_expires(void **state)
{
	struct env *e = *state;

	assert_int_equal(ask(e, T0, "s", "13800000001", ""), 0);
	assert_int_equal(ask(e, T0 + USSD_SESSION_TTL, "s", "13800000001",
			     "2"), 0);
	assert_memory_equal(e->out, "CON ", 4);
	assert_int_equal(ask(e, T0 + USSD_SESSION_TTL + 1, "s",
			     "13800000001", "2*30"), 0);
	assert_memory_equal(e->out, "END ", 4);
	assert_non_null(strstr(e->out, "超时"));
	assert_null(strstr(e->out, "4.42"));
	/* a new session with the same id starts afresh */
	assert_int_equal(ask(e, T0 + USSD_SESSION_TTL + 2, "s",
			     "13800000001", "1"), 0);
	assert_non_null(strstr(e->out, "583"));
}

static void test_session_owner(void **state)
{
	struct env *e = *state;

	assert_int_equal(ask(e, T0, "own", "13800000001", ""), 0);
	assert_int_equal(ask(e, T0 + 1, "own", "13900000009", "1"), -EINVAL);
	/* "+86" and the national form are the same phone */
	assert_int_equal(ask(e, T0 + 2, "own", "+8613800000001", "1"), 0);
}

static void test_many_sessions_bounded(void **state)
{
	struct env *e = *state;
	char sid[32];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(sid, sizeof(sid), "s%d", i);
		assert_int_equal(ask(e, T0 + i / 100, sid, "13800000001", ""),
				 0);
	}
}

static void test_refused(void **state)
{
	struct env *e = *state;
	char big[USSD_TEXT_MAX + 2];

	assert_int_equal(ask(e, T0, "", "13800000001", ""), -EINVAL);
	assert_int_equal(ask(e, T0, "a b", "13800000001", ""), -EINVAL);
	assert_int_equal(ask(e, T0, "x", "not-a-phone", ""), -EINVAL);
	assert_int_equal(ask(e, T0, "x", "13800000001", "1\n2"), -EINVAL);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ask(e, T0, "x", "13800000001", big), -EINVAL);
	{
		struct ussd_req r = { "x", "<b>", "13800000001", "" };

		assert_int_equal(ussd_answer(e->u, e->st, &e->cfg, T0, &r,
					     e->out, sizeof(e->out), NULL),
				 -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_menu_and_points, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_expires, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_todo_empty_and_pending,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_sessions_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
