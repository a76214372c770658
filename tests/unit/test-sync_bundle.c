/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for jifen-sync/bundle.c: the USB-stick framing round trip
 * and every refusal (truncated, padded, altered, damaged header, not a
 * bundle), on files in a mkdtemp directory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jifen-sync/bundle.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/jifen-bundle-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void put(const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static char *get(size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(4096);

	assert_non_null(f);
	*len = fread(buf, 1, 4095, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void write_one(void)
{
	struct bundle b = { .kind = "response", .village = "v1",
			    .gateway = "g1", .id = "b1",
			    .in_reply_to = "r1" };
	char err[256];

	b.body = "{\"cursor\":null}";
	b.len = strlen(b.body);
	assert_int_equal(bundle_write(path, &b, err, sizeof(err)), 0);
}

static void test_round_trip(void **state)
{
	struct bundle b;
	char err[256], sha[65];

	(void)state;
	write_one();
	assert_int_equal(bundle_read(path, &b, err, sizeof(err)), 0);
	assert_string_equal(b.kind, "response");
	assert_string_equal(b.village, "v1");
	assert_string_equal(b.gateway, "g1");
	assert_string_equal(b.id, "b1");
	assert_string_equal(b.in_reply_to, "r1");
	assert_int_equal(b.len, strlen("{\"cursor\":null}"));
	assert_string_equal(b.body, "{\"cursor\":null}");
	bundle_free(&b);
	/* the well-known value of SHA-256("abc") */
	assert_int_equal(bundle_sha256_hex("abc", 3, sha), 0);
	assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
}

static void refused(const char *why)
{
	struct bundle b;
	char err[256];

	assert_int_equal(bundle_read(path, &b, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("got '%s', want '%s'", err, why);
	assert_null(strchr(err, '\n'));
}

static void test_refusals(void **state)
{
	size_t len;
	char *t, *p;

	(void)state;
	write_one();
	t = get(&len);
	put(t, len - 3);			/* truncated */
	refused("truncated");
	put(t, len);
	p = strstr(t, "null");			/* altered, same length */
	p[0] = 'N';
	put(t, len);
	refused("altered");
	p[0] = 'n';
	{
		char *pad = malloc(len + 2);	/* padded */

		memcpy(pad, t, len);
		memcpy(pad + len, "\n\n", 2);
		put(pad, len + 2);
		refused("padded");
		free(pad);
	}
	p = strstr(t, "gateway:");		/* a header line missing */
	p[0] = 'x';
	put(t, len);
	refused("damaged");
	put("hello", 5);
	refused("not a Jifen sync bundle");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
