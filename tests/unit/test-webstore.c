/* SPDX-License-Identifier: MIT */
/*
 * test-webstore - jifen-web's data in the store (storage/web.h): the
 * clerk's password hash, sessions and their expiry, one-time codes
 * (5 minutes, 3 tries), the login rate-limit counts, outbox retry.
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

#include "storage/store.h"
#include "storage/web.h"

#define T0	1795831200LL

struct env {
	char dir[64], path[96];
	struct store *st;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	int err;

	assert_non_null(e);
	snprintf(e->dir, sizeof(e->dir), "/tmp/test-webstore.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->path, sizeof(e->path), "%s/j.db", e->dir);
	e->st = store_open(e->path, &err);
	assert_non_null(e->st);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char p[128];

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

static void test_clerk_password(void **state)
{
	struct env *e = *state;
	struct store_web_session s = { "clerk", STORE_WEB_CLERK, "c", T0 + 99 };
	struct store_web_session got;
	bool ok;

	assert_int_equal(store_web_clerk_check(e->st, "whatever", &ok),
			 -ENOENT);
	assert_int_equal(store_web_clerk_set(e->st, "short", "t", T0), -EINVAL);
	assert_int_equal(store_web_session_add(e->st, "tok", &s, T0), 0);
	assert_int_equal(store_web_clerk_set(e->st, "long-enough-1", "t", T0),
			 0);
	/* a new password ends the clerk's sessions */
	assert_int_equal(store_web_session_get(e->st, "tok", T0, &got),
			 -ENOENT);
	assert_int_equal(store_web_clerk_check(e->st, "long-enough-1", &ok), 0);
	assert_true(ok);
	assert_int_equal(store_web_clerk_check(e->st, "long-enough-2", &ok), 0);
	assert_false(ok);
}

static void test_sessions(void **state)
{
	struct env *e = *state;
	struct store_web_session s = { "+8613900000009", STORE_WEB_COMMITTEE,
				       "csrf1", T0 + 100 };
	struct store_web_session got;

	assert_int_equal(store_web_session_add(e->st, "t1", &s, T0), 0);
	assert_int_equal(store_web_session_get(e->st, "t1", T0 + 99, &got), 0);
	assert_string_equal(got.who, "+8613900000009");
	assert_int_equal(got.role, STORE_WEB_COMMITTEE);
	assert_string_equal(got.csrf, "csrf1");
	assert_int_equal(store_web_session_get(e->st, "t1", T0 + 100, &got),
			 -ENOENT);
	assert_int_equal(store_web_session_get(e->st, "t1", T0, &got),
			 -ENOENT);	/* deleted once expired */
	assert_int_equal(store_web_session_get(e->st, "", T0, &got), -ENOENT);
	assert_int_equal(store_web_session_get(e->st, NULL, T0, &got),
			 -ENOENT);
}

static void test_codes(void **state)
{
	struct env *e = *state;
	bool ok;

	assert_int_equal(store_web_code_set(e->st, "p", "123456", T0 + 300),
			 0);
	assert_int_equal(store_web_code_check(e->st, "p", "123456", T0 + 300,
					      3, &ok), 0);
	assert_false(ok);	/* expired at 5 minutes */
	assert_int_equal(store_web_code_check(e->st, "p", "123456", T0, 3,
					      &ok), 0);
	assert_false(ok);	/* and gone */

	assert_int_equal(store_web_code_set(e->st, "p", "123456", T0 + 300),
			 0);
	assert_int_equal(store_web_code_check(e->st, "p", "000000", T0, 3,
					      &ok), 0);
	assert_false(ok);
	assert_int_equal(store_web_code_check(e->st, "p", "12345", T0, 3,
					      &ok), 0);
	assert_false(ok);
	assert_int_equal(store_web_code_check(e->st, "p", "123456", T0, 3,
					      &ok), 0);
	assert_true(ok);	/* third try, right */
	assert_int_equal(store_web_code_check(e->st, "p", "123456", T0, 3,
					      &ok), 0);
	assert_false(ok);	/* used up */

	assert_int_equal(store_web_code_set(e->st, "p", "654321", T0 + 300),
			 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_web_code_check(e->st, "p", "111111",
						      T0, 3, &ok), 0);
		assert_false(ok);
	}
	assert_int_equal(store_web_code_check(e->st, "p", "654321", T0, 3,
					      &ok), 0);
	assert_false(ok);	/* three wrong tries: spent */
	assert_int_equal(store_web_code_check(e->st, "p", NULL, T0, 3, &ok), 0);
	assert_false(ok);
}

static void test_login_counts(void **state)
{
	struct env *e = *state;
	long n;

	assert_int_equal(store_web_login_note(e->st, "1.2.3.4", T0), 0);
	assert_int_equal(store_web_login_note(e->st, "1.2.3.4", T0 + 10), 0);
	assert_int_equal(store_web_login_note(e->st, "5.6.7.8", T0 + 10), 0);
	assert_int_equal(store_web_login_count(e->st, "1.2.3.4", T0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_web_login_count(e->st, "1.2.3.4", T0 + 5, &n),
			 0);
	assert_int_equal(n, 1);
	/* notes older than a day are forgotten */
	assert_int_equal(store_web_login_note(e->st, "x", T0 + 2 * 86400), 0);
	assert_int_equal(store_web_login_count(e->st, "1.2.3.4", 0, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clerk_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_counts, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
