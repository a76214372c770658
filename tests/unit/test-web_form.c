/* SPDX-License-Identifier: MIT */
/*
 * test-web_form - jifen-web's form parser: urlencoded bodies, multipart
 * uploads, and everything that must be refused (bad escapes, bad UTF-8,
 * NUL and control bytes, repeated names, too many fields).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jifen-web/form.h"

static int parse(const char *body, struct form **out)
{
	struct form *f = form_new();
	int rc;

	assert_non_null(f);
	rc = form_parse_urlencoded(f, body, strlen(body));
	*out = f;
	return rc;
}

static void test_urlencoded(void **state)
{
	struct form *f;

	(void)state;
	assert_int_equal(parse("sessionId=s1&text=4*%E8%B7%AF+%E7%81%AF&"
			       "empty=&flag&&x=%2B", &f), 0);
	assert_string_equal(form_get(f, "sessionId"), "s1");
	assert_string_equal(form_get(f, "text"), "4*路 灯");
	assert_string_equal(form_get(f, "empty"), "");
	assert_string_equal(form_get(f, "flag"), "");
	assert_string_equal(form_get(f, "x"), "+");
	assert_null(form_get(f, "nope"));
	form_free(f);
}

static void test_refused(void **state)
{
	static const struct {
		const char *body;
		int err;
	} bad[] = {
		{ "a=%zz", -EILSEQ },
		{ "a=%4", -EILSEQ },
		{ "a=%", -EILSEQ },
		{ "a=%ff%fe", -EILSEQ },		/* not UTF-8 */
		{ "a=%C0%AF", -EILSEQ },		/* overlong */
		{ "a=%ED%A0%80", -EILSEQ },		/* surrogate */
		{ "a=%00", -EILSEQ },
		{ "a=%01", -EILSEQ },
		{ "a=%7F", -EILSEQ },
		{ "a%00b=1", -EILSEQ },
		{ "a=1&a=2", -EINVAL },			/* twice */
		{ "a b=1", -EINVAL },			/* bad name */
		{ "=1", -EINVAL },
	};
	struct form *f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].body, &f), bad[i].err);
		form_free(f);
	}
}

static void test_too_many(void **state)
{
	char body[2048];
	struct form *f;
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i <= FORM_MAX_FIELDS; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "f%d=1&", i);
	assert_int_equal(parse(body, &f), -EINVAL);
	form_free(f);
}

static void test_multipart(void **state)
{
	static const char body[] =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
		"tok\r\n"
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"csv\"; "
		"filename=\"v.csv\"\r\nContent-Type: text/csv\r\n\r\n"
		"household,name\r\nH01,文家\r\n"
		"--XyZ--\r\n";
	struct form *f = form_new();

	(void)state;
	assert_int_equal(form_parse_multipart(f,
		"multipart/form-data; boundary=XyZ", body, strlen(body)), 0);
	assert_string_equal(form_get(f, "csrf"), "tok");
	assert_string_equal(form_get(f, "csv"), "household,name\r\nH01,文家");
	form_free(f);
}

static void test_multipart_refused(void **state)
{
	static const char *const bodies[] = {
		"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx",
		"--b\r\nno headers end",
		"--c\r\n",
		"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
		("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
		 "\xff\r\n--b--"),
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct form *f = form_new();

		assert_int_not_equal(form_parse_multipart(f,
			"multipart/form-data; boundary=b", bodies[i],
			strlen(bodies[i])), 0);
		form_free(f);
	}
	{
		struct form *f = form_new();

		assert_int_equal(form_parse_multipart(f, "text/plain", "x", 1),
				 -EINVAL);
		assert_int_equal(form_parse_multipart(f, "multipart/form-data",
						      "x", 1), -EINVAL);
		form_free(f);
	}
}

static void test_unescape(void **state)
{
	char a[] = "/records%2Fx%e7%a7%af", b[] = "/records%00", c[] = "/a%zz",
	     d[] = "/a%0a", e[] = "/plain", g[] = "%";

	(void)state;
	assert_int_equal(form_unescape_inplace(a), strlen("/records/x积"));
	assert_string_equal(a, "/records/x积");
	assert_int_equal(form_unescape_inplace(b), 1);
	assert_string_equal(b, "\x01");
	assert_int_equal(form_unescape_inplace(c), 1);
	assert_string_equal(c, "\x01");
	assert_int_equal(form_unescape_inplace(d), 1);
	assert_int_equal(form_unescape_inplace(e), 6);
	assert_string_equal(e, "/plain");
	assert_int_equal(form_unescape_inplace(g), 1);
	assert_string_equal(g, "\x01");
}

static void test_text_ok(void **state)
{
	(void)state;
	assert_true(form_text_ok("积分\t1\r\n", strlen("积分\t1\r\n")));
	assert_false(form_text_ok("\x1b[0m", 4));
	assert_false(form_text_ok("\xe7\xa7", 2));	/* cut sequence */
	assert_false(form_text_ok("a\0b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urlencoded),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_multipart),
		cmocka_unit_test(test_multipart_refused),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_text_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
