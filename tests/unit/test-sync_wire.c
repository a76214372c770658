/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for jifen-sync's wire format: the event table, the request
 * body, the defensive response parser, ISO 8601 times, cursors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jifen-sync/event.h"
#include "jifen-sync/wire.h"

static int parse(const char *txt, struct wire_response **r, char *err)
{
	return wire_parse_response(txt, strlen(txt), r, err, 200);
}

static void test_event_table(void **state)
{
	struct store_event e = {
		.id = "e1", .type = "record.new", .at = "2026-11-28T01:00:00Z",
		.ref = "g1", .household = "H01", .points = -5,
		.state = "pending", .actor = "console", .text = "烧秸秆",
	};
	cJSON *o;
	char *s;

	(void)state;
	o = event_to_json(&e);
	assert_non_null(o);
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"id\":\"e1\",\"type\":\"record.new\","
			    "\"at\":\"2026-11-28T01:00:00Z\",\"record\":\"g1\","
			    "\"household\":\"H01\",\"points\":-5,"
			    "\"reason\":\"烧秸秆\",\"by\":\"console\","
			    "\"status\":\"pending\"}");
	free(s);
	cJSON_Delete(o);
	e.type = "matter.new";
	e.household = NULL;
	o = event_to_json(&e);
	s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "\"matter\":\"g1\",\"household\":null,"
			       "\"phone\":\"console\",\"text\":\"烧秸秆\""));
	free(s);
	cJSON_Delete(o);
	e.type = "record.review";
	e.state = "approved";
	o = event_to_json(&e);
	s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "\"decision\":\"approved\""));
	assert_null(strstr(s, "household"));
	free(s);
	cJSON_Delete(o);
	/* issue 11: an objection during 公示 */
	e.type = "record.objection";
	e.household = NULL;
	e.text = "那天不在村里";
	o = event_to_json(&e);
	s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "\"record\":\"g1\",\"household\":null,"
			       "\"by\":\"console\",\"reason\":\"那天不在村里\""));
	free(s);
	cJSON_Delete(o);
	assert_true(event_type_known("record.objection"));
	e.type = "record.unknown";
	assert_null(event_to_json(&e));
	assert_false(event_type_known("record.unknown"));
	assert_true(event_type_known("record.review"));
}

static void test_request(void **state)
{
	cJSON *ev = cJSON_CreateArray(), *h = cJSON_CreateObject();
	char *s;

	(void)state;
	s = wire_build_request("v1", "g1", NULL, ev, h);
	assert_string_equal(s, "{\"village\":\"v1\",\"gateway\":\"g1\","
			    "\"cursor\":null,\"events\":[],\"health\":{}}");
	free(s);
	s = wire_build_request("v1", "g1", "17", cJSON_CreateArray(),
			       cJSON_CreateObject());
	assert_non_null(strstr(s, "\"cursor\":\"17\""));
	free(s);
}

static void test_parse_full(void **state)
{
	struct wire_response *r;
	char err[200];

	(void)state;
	assert_int_equal(parse(
		"{\"accepted\":[\"a\",\"b\"],\"rejected\":[{\"id\":\"c\","
		"\"reason\":\"no\"}],\"changes\":["
		"{\"type\":\"household\",\"id\":\"H9\",\"name\":\"新户\","
		"\"members\":[{\"phone\":\"13800000099\",\"name\":\"王\","
		"\"role\":\"committee\"}],\"deleted\":false},"
		"{\"type\":\"record\",\"id\":\"R1\",\"household\":\"H9\","
		"\"points\":120,\"reason\":\"x\",\"status\":\"approved\","
		"\"created\":\"2026-11-28T09:30:00+08:00\","
		"\"notice_until\":\"2026-12-05T01:30:00Z\"},"
		"{\"type\":\"policy\",\"loan\":{\"base_rate\":4.5,"
		"\"mode\":\"step\",\"score\":\"approved\"}},"
		"{\"type\":\"future.thing\",\"x\":1}],"
		"\"cursor\":\"42\",\"more\":true,\"extra\":[1,2]}", &r, err), 0);
	assert_int_equal(r->naccepted, 2);
	assert_string_equal(r->accepted[1], "b");
	assert_int_equal(r->nrejected, 1);
	assert_string_equal(r->rejected[0].reason, "no");
	assert_int_equal(r->nchanges, 3);
	assert_int_equal(r->ignored, 1);
	assert_int_equal(r->changes[0].type, WIRE_HOUSEHOLD);
	assert_int_equal(r->changes[0].nmembers, 1);
	assert_true(r->changes[0].members[0].committee);
	assert_int_equal(r->changes[1].points, 120);
	assert_int_equal(r->changes[1].status, 1);
	assert_int_equal(r->changes[1].created, 1795829400);
	assert_int_equal(r->changes[1].notice_until, 1795829400 + 7 * 86400);
	assert_int_equal(r->changes[2].policy.has,
			 WIRE_POL_BASE | WIRE_POL_MODE | WIRE_POL_SCORE);
	assert_int_equal(r->changes[2].policy.mode, 1);
	assert_string_equal(r->cursor, "42");
	assert_true(r->more);
	wire_response_free(r);
}

static void test_parse_refusals(void **state)
{
	static const struct {
		const char *txt, *msg;
	} bad[] = {
		{ "", "not JSON" },
		{ "{\"accepted\":[", "not JSON" },
		{ "[]", "not a JSON object" },
		{ "{}", "cursor: missing" },
		{ "{\"cursor\":null} x", "text after" },
		{ "{\"cursor\":null,\"more\":1}", "more: not true" },
		{ "{\"cursor\":true}", "cursor: not a string" },
		{ "{\"cursor\":null,\"accepted\":[1]}", "accepted[0]" },
		{ "{\"cursor\":null,\"accepted\":{}}", "not an array" },
		{ "{\"cursor\":null,\"rejected\":[\"x\"]}", "rejected[0]" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"record\","
		  "\"id\":\"r\",\"household\":\"h\",\"points\":1.5,"
		  "\"status\":\"final\"}]}", "changes[0].points: not an int" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"record\","
		  "\"id\":\"r\",\"household\":\"h\",\"points\":1,"
		  "\"status\":\"maybe\"}]}", "unknown status" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"record\","
		  "\"id\":\"r\",\"household\":\"h\",\"points\":1,"
		  "\"status\":\"final\",\"created\":\"yesterday\"}]}",
		  "changes[0].created" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"policy\","
		  "\"loan\":{\"base_rate\":500}}]}", "out of range" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"policy\"}]}",
		  "loan: not an object" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"household\","
		  "\"id\":\"\"}]}", "id: empty" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":\"household\","
		  "\"id\":\"h\",\"members\":[{\"phone\":\"1\",\"role\":"
		  "\"boss\"}]}]}", "not villager or committee" },
		{ "{\"cursor\":null,\"changes\":[{\"type\":7}]}",
		  "type: not a string" },
		{ "{\"cursor\":null,\"changes\":[3]}", "not an object" },
	};
	struct wire_response *r;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].txt, &r, err), -EPROTO);
		assert_null(r);
		if (!strstr(err, bad[i].msg))
			fail_msg("%s: got '%s', want '%s'", bad[i].txt, err,
				 bad[i].msg);
	}
}

static void test_parse_bounds(void **state)
{
	struct wire_response *r;
	char err[200], *big, id[80];
	size_t n = WIRE_MAX_RESPONSE + 1, i, o;

	(void)state;
	big = malloc(n);
	memset(big, ' ', n);
	assert_int_equal(wire_parse_response(big, n, &r, err, sizeof(err)),
			 -EMSGSIZE);
	/* too many changes */
	o = (size_t)sprintf(big, "{\"cursor\":null,\"changes\":[");
	for (i = 0; i <= WIRE_MAX_CHANGES; i++)
		o += (size_t)sprintf(big + o, "%s{\"type\":\"x\"}", i ? "," : "");
	o += (size_t)sprintf(big + o, "]}");
	assert_int_equal(wire_parse_response(big, o, &r, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "more than"));
	/* an over-long id */
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	o = (size_t)sprintf(big, "{\"cursor\":null,\"accepted\":[\"%s\"]}", id);
	assert_int_equal(wire_parse_response(big, o, &r, err, sizeof(err)),
			 -EPROTO);
	assert_non_null(strstr(err, "longer than"));
	/* deep nesting is refused by the parser, not the stack */
	o = 0;
	for (i = 0; i < 100000; i++)
		big[o++] = '[';
	assert_int_equal(wire_parse_response(big, o, &r, err, sizeof(err)),
			 -EPROTO);
	free(big);
}

static void test_time_and_cursor(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(wire_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(wire_parse_time("2026-11-28T09:30:00.123+08:00", &t),
			 0);
	assert_int_equal(t, 1795829400);
	assert_int_equal(wire_parse_time("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(wire_parse_time("2026-13-01T00:00:00Z", &t), -EINVAL);
	assert_int_equal(wire_parse_time("2026-11-28T09:30:00", &t), -EINVAL);
	assert_int_equal(wire_parse_time("2026-11-28", &t), -EINVAL);
	assert_int_equal(wire_parse_time("2026-11-28T09:30:00Zjunk", &t),
			 -EINVAL);
	assert_true(wire_cursor_backwards("10", "9"));
	assert_true(wire_cursor_backwards("100", "099"));
	assert_false(wire_cursor_backwards("9", "10"));
	assert_false(wire_cursor_backwards("9", "9"));
	assert_false(wire_cursor_backwards("abc", "abb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_table),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_time_and_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
