// SPDX-License-Identifier: MIT
/*
 * test-at.c - AT engine: framer, queue, final results, URCs, timeouts
 * and resync, cancelling, field iterator.  Transcripts are modelled on
 * Huawei E3372, SIMCom SIM800/SIM7600 and Quectel EC25 captures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modem/at.h"

#define MAX_RECS 16
#define MAX_URCS 16

struct rec {
	enum at_error_type type;
	int code;
	char final[64];
	char lines[2048];	/* response lines joined with '|' */
	size_t n_lines;
	int tag;
};

struct urc_rec {
	char line[256];
	char pdu[512];
	bool has_pdu;
};

struct fix {
	struct at_chat *chat;
	int64_t now;
	char written[8192];
	size_t wlen;
	struct rec recs[MAX_RECS];
	int n_recs;
	struct urc_rec urcs[MAX_URCS];
	int n_urcs;
	int destroyed;
	char trace[8192];
	size_t tlen;
	/* actions run from inside callbacks */
	const char *queue_on_done;
	unsigned cancel_on_done;
	bool reset_on_done;
};

static const char *const csq[] = { "+CSQ:", NULL };
static const char *const cmgl[] = { "+CMGL:", NULL };
static const char *const cmgr[] = { "+CMGR:", NULL };
static const char *const cmgs[] = { "+CMGS:", NULL };
static const char *const creg[] = { "+CREG:", NULL };

/* 23 octets after the SMSC byte, like the ones modem/pdu.c encodes. */
static const char send_pdu[] =
	"0011000B915121551532F40000AA0AE8329BFD4697D9EC37";
static const char rx_pdu1[] =
	"07911326040000F0040B911346610089F60000208062917314080CC8329BFD06DDDF723619";
static const char rx_pdu2[] =
	"07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06CDCB6E32885EC6D341EDF27C1E3E97E72E";

static void on_done(const struct at_result *res, void *data)
{
	struct fix *f = data;
	struct rec *r;
	size_t i;

	assert_true(f->n_recs < MAX_RECS);
	r = &f->recs[f->n_recs++];
	r->type = res->err.type;
	r->code = res->err.code;
	snprintf(r->final, sizeof(r->final), "%s", res->final);
	r->n_lines = res->n_lines;
	r->lines[0] = '\0';
	for (i = 0; i < res->n_lines; i++) {
		if (i)
			strncat(r->lines, "|",
				sizeof(r->lines) - strlen(r->lines) - 1);
		strncat(r->lines, res->lines[i],
			sizeof(r->lines) - strlen(r->lines) - 1);
	}
	if (f->queue_on_done) {
		const char *q = f->queue_on_done;

		f->queue_on_done = NULL;
		assert_int_not_equal(at_chat_send(f->chat, q, NULL, 1000,
						  on_done, f, NULL), 0);
	}
	if (f->cancel_on_done) {
		assert_true(at_chat_cancel(f->chat, f->cancel_on_done));
		f->cancel_on_done = 0;
	}
	if (f->reset_on_done) {
		f->reset_on_done = false;
		at_chat_reset(f->chat);
	}
}

static void on_destroy(void *data)
{
	struct fix *f = data;

	f->destroyed++;
}

static void on_urc(const char *line, const char *pdu, void *data)
{
	struct fix *f = data;
	struct urc_rec *u;

	assert_true(f->n_urcs < MAX_URCS);
	u = &f->urcs[f->n_urcs++];
	snprintf(u->line, sizeof(u->line), "%s", line);
	u->has_pdu = pdu != NULL;
	snprintf(u->pdu, sizeof(u->pdu), "%s", pdu ? pdu : "");
}

static void on_trace(char dir, const char *text, size_t len, void *data)
{
	struct fix *f = data;
	int n;

	n = snprintf(f->trace + f->tlen, sizeof(f->trace) - f->tlen,
		     "%c%.*s\n", dir, (int)len, text);
	if (n > 0 && (size_t)n < sizeof(f->trace) - f->tlen)
		f->tlen += (size_t)n;
}

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->chat = at_chat_new();
	assert_non_null(f->chat);
	f->now = 1000;
	return f;
}

static void fix_free(struct fix *f)
{
	at_chat_free(f->chat);
	free(f);
}

/* Write everything pending, as the daemon would on POLLOUT. */
static void drain(struct fix *f)
{
	const char *buf;
	size_t n;

	while ((n = at_chat_output(f->chat, &buf)) > 0) {
		assert_true(f->wlen + n < sizeof(f->written));
		memcpy(f->written + f->wlen, buf, n);
		f->wlen += n;
		f->written[f->wlen] = '\0';
		at_chat_consumed(f->chat, n, f->now);
	}
}

/* The bytes written since the last call, then forget them. */
static void expect_written(struct fix *f, const char *s)
{
	assert_int_equal(f->wlen, strlen(s));
	assert_memory_equal(f->written, s, f->wlen);
	f->wlen = 0;
	f->written[0] = '\0';
}

static void feed(struct fix *f, const char *s)
{
	at_chat_feed(f->chat, s, strlen(s), f->now);
}

static void feed_bytewise(struct fix *f, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		at_chat_feed(f->chat, s + i, 1, f->now);
}

static void advance(struct fix *f, int64_t ms)
{
	f->now += ms;
	at_chat_timeout(f->chat, f->now);
}

/* ------------------------------------------------------------------ */

static void test_simple_ok(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	assert_int_not_equal(at_chat_send(f->chat, "AT", NULL, 1000, on_done,
					  f, NULL), 0);
	drain(f);
	expect_written(f, "AT\r");
	feed(f, "\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_string_equal(f->recs[0].final, "OK");
	assert_int_equal(f->recs[0].n_lines, 0);
	assert_true(at_chat_idle(f->chat));
	assert_int_equal(at_chat_deadline(f->chat), -1);
	fix_free(f);
}

static void test_prefix_response(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "+CSQ: 20,99");
	fix_free(f);
}

static void test_echo_dropped(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	/* SIM800 with ATE1: command echoed, ended by its own CR. */
	at_chat_send(f->chat, "AT+CGMI", NULL, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "AT+CGMI\r\r\nSIMCOM_Ltd\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].n_lines, 1);
	assert_string_equal(f->recs[0].lines, "SIMCOM_Ltd");
	fix_free(f);
}

static const char cmgl_transcript[] =
	"AT+CMGL=4\r\r\n"
	"+CMGL: 1,1,,38\r\n"
	"07911326040000F0040B911346610089F60000208062917314080CC8329BFD06DDDF723619\r\n"
	"+CMGL: 3,0,,56\r\n"
	"07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06CDCB6E32885EC6D341EDF27C1E3E97E72E\r\n"
	"\r\nOK\r\n";

static void check_cmgl(struct fix *f)
{
	char want[1024];

	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_int_equal(f->recs[0].n_lines, 4);
	snprintf(want, sizeof(want), "+CMGL: 1,1,,38|%s|+CMGL: 3,0,,56|%s",
		 rx_pdu1, rx_pdu2);
	assert_string_equal(f->recs[0].lines, want);
}

static void test_split_every_boundary(void **state)
{
	size_t len = strlen(cmgl_transcript), k;

	(void)state;
	for (k = 0; k <= len; k++) {
		struct fix *f = fix_new();

		at_chat_send(f->chat, "AT+CMGL=4", cmgl, 5000, on_done, f,
			     NULL);
		drain(f);
		at_chat_feed(f->chat, cmgl_transcript, k, f->now);
		/* complete once the CR after "OK" is in */
		assert_int_equal(f->n_recs, k >= len - 1 ? 1 : 0);
		at_chat_feed(f->chat, cmgl_transcript + k, len - k, f->now);
		check_cmgl(f);
		fix_free(f);
	}
}

static void test_byte_at_a_time(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CMGL=4", cmgl, 5000, on_done, f, NULL);
	drain(f);
	feed_bytewise(f, cmgl_transcript);
	check_cmgl(f);
	fix_free(f);
}

static void test_line_endings(void **state)
{
	static const char *const variants[] = {
		"+CSQ: 18,99\r\n\r\nOK\r\n",
		"+CSQ: 18,99\rOK\r",
		"+CSQ: 18,99\nOK\n",
		"\n\r\n\r+CSQ: 18,99\n\r\n\rOK\n\r",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct fix *f = fix_new();

		at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
		drain(f);
		feed(f, variants[i]);
		assert_int_equal(f->n_recs, 1);
		assert_string_equal(f->recs[0].lines, "+CSQ: 18,99");
		fix_free(f);
	}
}

static void test_urc_inside_cmgl(void **state)
{
	struct fix *f = fix_new();
	char want[1024];

	(void)state;
	at_chat_register_urc(f->chat, "+CMTI:", false, on_urc, f);
	at_chat_send(f->chat, "AT+CMGL=4", cmgl, 5000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CMGL: 1,1,,38\r\n");
	feed(f, rx_pdu1);
	feed(f, "\r\n+CMTI: \"SM\",3\r\n+CMGL: 3,0,,56\r\n");
	feed(f, rx_pdu2);
	feed(f, "\r\n\r\nOK\r\n");
	assert_int_equal(f->n_urcs, 1);
	assert_string_equal(f->urcs[0].line, "+CMTI: \"SM\",3");
	assert_false(f->urcs[0].has_pdu);
	assert_int_equal(f->n_recs, 1);
	snprintf(want, sizeof(want), "+CMGL: 1,1,,38|%s|+CMGL: 3,0,,56|%s",
		 rx_pdu1, rx_pdu2);
	assert_string_equal(f->recs[0].lines, want);
	fix_free(f);
}

static void test_cmgs_prompt(void **state)
{
	struct fix *f = fix_new();
	char want[256];

	(void)state;
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	expect_written(f, "AT+CMGS=23\r");
	feed(f, "\r\n> ");
	drain(f);
	snprintf(want, sizeof(want), "%s\x1a", send_pdu);
	expect_written(f, want);
	assert_int_equal(f->n_recs, 0);
	feed(f, "\r\n+CMGS: 5\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_string_equal(f->recs[0].lines, "+CMGS: 5");
	fix_free(f);
}

static void test_cmgs_echo_bytewise(void **state)
{
	struct fix *f = fix_new();
	char modem[512], want[256];

	(void)state;
	/* EC25 with echo on: command, prompt, PDU and Ctrl-Z echoed. */
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	f->wlen = 0;
	feed_bytewise(f, "AT+CMGS=23\r\r\n> ");
	drain(f);
	snprintf(want, sizeof(want), "%s\x1a", send_pdu);
	expect_written(f, want);
	snprintf(modem, sizeof(modem), "%s\x1a\r\n+CMGS: 112\r\n\r\nOK\r\n",
		 send_pdu);
	feed_bytewise(f, modem);
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].n_lines, 1);
	assert_string_equal(f->recs[0].lines, "+CMGS: 112");
	fix_free(f);
}

static void test_cmti_before_prompt(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_register_urc(f->chat, "+CMTI:", false, on_urc, f);
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	f->wlen = 0;
	feed(f, "\r\n+CMTI: \"ME\",7\r\n");
	assert_int_equal(f->n_urcs, 1);
	assert_string_equal(f->urcs[0].line, "+CMTI: \"ME\",7");
	drain(f);
	assert_int_equal(f->wlen, 0);	/* no PDU before the prompt */
	feed(f, "\r\n> ");
	drain(f);
	assert_int_equal(f->wlen, strlen(send_pdu) + 1);
	feed(f, "\r\n+CMGS: 6\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "+CMGS: 6");
	fix_free(f);
}

static void test_cms_error_on_send(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	feed(f, "\r\n> ");
	drain(f);
	feed(f, "\r\n+CMS ERROR: 38\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_CMS);
	assert_int_equal(f->recs[0].code, 38);
	assert_string_equal(f->recs[0].final, "+CMS ERROR: 38");
	fix_free(f);
}

static void test_cms_error_instead_of_prompt(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	f->wlen = 0;
	feed(f, "\r\n+CMS ERROR: 330\r\n");
	drain(f);
	assert_int_equal(f->wlen, 0);	/* PDU never written */
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_CMS);
	assert_int_equal(f->recs[0].code, 330);
	fix_free(f);
}

static void test_cmgs_line_not_final(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	feed(f, "> ");
	drain(f);
	feed(f, "\r\n+CMGS: 5\r\n");
	assert_int_equal(f->n_recs, 0);
	assert_false(at_chat_idle(f->chat));
	feed(f, "\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	fix_free(f);
}

static void test_final_table(void **state)
{
	static const struct {
		const char *line;
		enum at_error_type type;
		int code;
	} cases[] = {
		{ "OK", AT_ERR_NONE, 0 },
		{ "ERROR", AT_ERR_ERROR, 0 },
		{ "+CME ERROR: 10", AT_ERR_CME, 10 },
		{ "+CME ERROR:3", AT_ERR_CME, 3 },
		{ "+CMS ERROR: 500", AT_ERR_CMS, 500 },
		{ "NO CARRIER", AT_ERR_NO_CARRIER, 0 },
		{ "NO DIALTONE", AT_ERR_NO_CARRIER, 0 },
		{ "BUSY", AT_ERR_NO_CARRIER, 0 },
		{ "NO ANSWER", AT_ERR_NO_CARRIER, 0 },
		{ "COMMAND NOT SUPPORT", AT_ERR_ERROR, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fix *f = fix_new();
		char buf[128];

		at_chat_send(f->chat, "ATD123;", NULL, 1000, on_done, f, NULL);
		drain(f);
		snprintf(buf, sizeof(buf), "\r\n%s\r\n", cases[i].line);
		feed(f, buf);
		assert_int_equal(f->n_recs, 1);
		assert_int_equal(f->recs[0].type, cases[i].type);
		assert_int_equal(f->recs[0].code, cases[i].code);
		assert_string_equal(f->recs[0].final, cases[i].line);
		assert_int_equal(f->recs[0].n_lines, 0);
		fix_free(f);
	}
}

static void test_cme_text_errors(void **state)
{
	static const struct {
		const char *line;
		int code;
	} cases[] = {
		{ "+CME ERROR: SIM not inserted", 10 },
		{ "+CME ERROR: SIM PIN required", 11 },
		{ "+CME ERROR: incorrect password", 16 },
		{ "+CME ERROR: operation not allowed", 3 },
		{ "+CME ERROR: no network service", 30 },
		{ "+CME ERROR: vendor specific oddity", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fix *f = fix_new();
		char buf[128];

		at_chat_send(f->chat, "AT+CPIN?", NULL, 1000, on_done, f,
			     NULL);
		drain(f);
		snprintf(buf, sizeof(buf), "\r\n%s\r\n", cases[i].line);
		feed(f, buf);
		assert_int_equal(f->n_recs, 1);
		assert_int_equal(f->recs[0].type, AT_ERR_CME);
		assert_int_equal(f->recs[0].code, cases[i].code);
		assert_string_equal(f->recs[0].final, cases[i].line);
		fix_free(f);
	}
}

static void test_error_text(void **state)
{
	static const struct {
		enum at_error_type type;
		int code;
		const char *text;
	} cases[] = {
		{ AT_ERR_CMS, 300, "ME failure" },
		{ AT_ERR_CMS, 302, "operation not allowed" },
		{ AT_ERR_CMS, 304, "invalid PDU mode parameter" },
		{ AT_ERR_CMS, 310, "SIM not inserted" },
		{ AT_ERR_CMS, 321, "invalid memory index" },
		{ AT_ERR_CMS, 322, "memory full" },
		{ AT_ERR_CMS, 330, "SMSC address unknown" },
		{ AT_ERR_CMS, 331, "no network service" },
		{ AT_ERR_CMS, 332, "network timeout" },
		{ AT_ERR_CMS, 500, "unknown error" },
		{ AT_ERR_CMS, 38, "network out of order" },
		{ AT_ERR_CMS, 41, "temporary failure" },
		{ AT_ERR_CMS, 42, "congestion" },
		{ AT_ERR_CMS, 50, "requested facility not subscribed" },
		{ AT_ERR_CMS, 69, "requested facility not implemented" },
		{ AT_ERR_CMS, 2, "network error" },
		{ AT_ERR_CMS, 999, "unknown error" },
		{ AT_ERR_CME, 10, "SIM not inserted" },
		{ AT_ERR_CME, 11, "SIM PIN required" },
		{ AT_ERR_CME, 12, "SIM PUK required" },
		{ AT_ERR_CME, 14, "SIM busy" },
		{ AT_ERR_CME, 16, "incorrect password" },
		{ AT_ERR_CME, 30, "no network service" },
		{ AT_ERR_CME, -1, "unknown error" },
		{ AT_ERR_TIMEOUT, 0, "timeout" },
		{ AT_ERR_NONE, 0, "OK" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct at_error e = { cases[i].type, cases[i].code };

		assert_string_equal(at_error_text(&e), cases[i].text);
	}
}

static void test_timer_starts_when_written(void **state)
{
	struct fix *f = fix_new();
	const char *buf;

	(void)state;
	at_chat_send(f->chat, "AT+COPS?", NULL, 5000, on_done, f, NULL);
	assert_int_equal(at_chat_deadline(f->chat), -1);
	assert_int_equal(at_chat_output(f->chat, &buf), 9);
	at_chat_consumed(f->chat, 4, 100);
	assert_int_equal(at_chat_deadline(f->chat), -1);
	assert_int_equal(at_chat_output(f->chat, &buf), 5);
	assert_memory_equal(buf, "OPS?\r", 5);
	at_chat_consumed(f->chat, 5, 250);
	assert_int_equal(at_chat_deadline(f->chat), 5250);
	at_chat_timeout(f->chat, 5249);
	assert_int_equal(f->n_recs, 0);
	at_chat_timeout(f->chat, 5250);
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_TIMEOUT);
	fix_free(f);
}

static void test_timeout_resync_bytes(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+COPS=?", NULL, 3000, on_done, f, NULL);
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	expect_written(f, "AT+COPS=?\r");
	advance(f, 3000);
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_TIMEOUT);
	assert_string_equal(f->recs[0].final, "");
	assert_int_equal(at_chat_timeouts(f->chat), 1);
	drain(f);
	expect_written(f, "AT\r");	/* not AT+CSQ yet */
	assert_int_equal(at_chat_deadline(f->chat), f->now + 2000);
	feed(f, "\r\nOK\r\n");
	assert_int_equal(at_chat_timeouts(f->chat), 0);
	drain(f);
	assert_int_equal(f->wlen, 0);	/* settling */
	advance(f, 1000);
	drain(f);
	expect_written(f, "AT+CSQ\r");
	feed(f, "\r\n+CSQ: 23,99\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_int_equal(f->recs[1].type, AT_ERR_NONE);
	assert_string_equal(f->recs[1].lines, "+CSQ: 23,99");
	fix_free(f);
}

static void test_late_ok_before_resync_written(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CMGD=1", NULL, 1000, on_done, f, NULL);
	drain(f);
	advance(f, 1000);
	/* The late OK of AT+CMGD arrives before "AT\r" went out. */
	feed(f, "\r\nOK\r\n");
	at_chat_send(f->chat, "AT+CPMS?", NULL, 1000, on_done, f, NULL);
	drain(f);
	expect_written(f, "AT+CMGD=1\rAT\r");
	feed(f, "\r\nOK\r\n");		/* the resync OK */
	advance(f, 500);
	drain(f);
	expect_written(f, "AT+CPMS?\r");
	assert_int_equal(f->n_recs, 1);
	feed(f, "\r\n+CPMS: \"SM\",3,50,\"SM\",3,50,\"SM\",3,50\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_int_equal(f->recs[1].n_lines, 1);
	fix_free(f);
}

static void test_late_ok_not_credited(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CMGD=1", NULL, 1000, on_done, f, NULL);
	at_chat_send(f->chat, "AT+CPMS?", NULL, 1000, on_done, f, NULL);
	drain(f);
	advance(f, 1000);
	drain(f);
	expect_written(f, "AT+CMGD=1\rAT\r");
	/* Late OK for AT+CMGD, then the OK for AT, a few ms apart. */
	feed(f, "\r\nOK\r\n");
	f->now += 30;
	feed(f, "\r\nOK\r\n");
	drain(f);
	assert_int_equal(f->wlen, 0);
	advance(f, 300);
	drain(f);
	expect_written(f, "AT+CPMS?\r");
	assert_int_equal(f->n_recs, 1);	/* no OK credited to AT+CPMS? */
	feed(f, "\r\n+CPMS: \"SM\",3,50,\"SM\",3,50,\"SM\",3,50\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_string_equal(f->recs[1].lines,
			    "+CPMS: \"SM\",3,50,\"SM\",3,50,\"SM\",3,50");
	fix_free(f);
}

static void test_late_error_ignored_in_resync(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CUSD=1,\"*100#\",15", NULL, 1000, on_done,
		     f, NULL);
	drain(f);
	advance(f, 1000);
	drain(f);
	f->wlen = 0;
	feed(f, "\r\n+CME ERROR: 100\r\n");	/* late, for AT+CUSD */
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	advance(f, 500);
	drain(f);
	assert_int_equal(f->wlen, 0);	/* still waiting for OK */
	feed(f, "\r\nOK\r\n");
	advance(f, 300);
	drain(f);
	expect_written(f, "AT+CSQ\r");
	fix_free(f);
}

static void test_consecutive_timeouts(void **state)
{
	struct fix *f = fix_new();
	int i;

	(void)state;
	at_chat_send(f->chat, "AT+CFUN?", NULL, 5000, on_done, f, NULL);
	drain(f);
	advance(f, 5000);
	assert_int_equal(at_chat_timeouts(f->chat), 1);
	for (i = 2; i <= 4; i++) {
		drain(f);
		advance(f, 1999);
		assert_int_equal(at_chat_timeouts(f->chat), i - 1);
		advance(f, 1);
		assert_int_equal(at_chat_timeouts(f->chat), i);
	}
	drain(f);
	expect_written(f, "AT+CFUN?\rAT\rAT\rAT\rAT\r");
	feed(f, "\r\nOK\r\n");
	assert_int_equal(at_chat_timeouts(f->chat), 0);
	fix_free(f);
}

static void test_timeouts_count_across_commands(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	advance(f, 1000);
	drain(f);
	feed(f, "OK\r\n");
	advance(f, 300);
	at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f, NULL);
	drain(f);
	advance(f, 1000);
	assert_int_equal(at_chat_timeouts(f->chat), 1);	/* OK reset it */
	drain(f);
	advance(f, 2000);
	assert_int_equal(at_chat_timeouts(f->chat), 2);
	fix_free(f);
}

static void test_prompt_timeout_writes_esc(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 10000,
			 on_done, f, NULL);
	drain(f);
	expect_written(f, "AT+CMGS=23\r");
	advance(f, 10000);
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_TIMEOUT);
	drain(f);
	expect_written(f, "\x1b" "AT\r");
	/* A prompt arriving now must not release the PDU. */
	feed(f, "\r\n> ");
	drain(f);
	assert_int_equal(f->wlen, 0);
	fix_free(f);
}

static void test_cancel_queued(void **state)
{
	struct fix *f = fix_new();
	unsigned a, b, c;

	(void)state;
	a = at_chat_send(f->chat, "AT", NULL, 1000, on_done, f, on_destroy);
	b = at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, on_destroy);
	c = at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f,
			 on_destroy);
	assert_true(a && b && c && a != b && b != c);
	assert_false(at_chat_cancel(f->chat, a));	/* in flight */
	assert_true(at_chat_cancel(f->chat, b));
	assert_false(at_chat_cancel(f->chat, b));
	assert_false(at_chat_cancel(f->chat, 12345));
	assert_int_equal(f->destroyed, 1);
	drain(f);
	feed(f, "OK\r\n");
	drain(f);
	expect_written(f, "AT\rAT+CREG?\r");
	feed(f, "+CREG: 0,1\r\nOK\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_string_equal(f->recs[1].lines, "+CREG: 0,1");
	assert_int_equal(f->destroyed, 3);
	fix_free(f);
}

static void test_callback_queues_command(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	f->queue_on_done = "AT+CMGF=0";
	at_chat_send(f->chat, "ATE0", NULL, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "ATE0\r\r\nOK\r\n");
	drain(f);
	expect_written(f, "ATE0\rAT+CMGF=0\r");
	feed(f, "\r\nOK\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_true(at_chat_idle(f->chat));
	fix_free(f);
}

static void test_callback_cancels_next(void **state)
{
	struct fix *f = fix_new();
	unsigned b;

	(void)state;
	at_chat_send(f->chat, "AT+CMGD=1", NULL, 1000, on_done, f,
		     on_destroy);
	b = at_chat_send(f->chat, "AT+CMGD=2", NULL, 1000, on_done, f,
			 on_destroy);
	at_chat_send(f->chat, "AT+CMGD=3", NULL, 1000, on_done, f,
		     on_destroy);
	f->cancel_on_done = b;
	drain(f);
	feed(f, "OK\r\n");
	drain(f);
	expect_written(f, "AT+CMGD=1\rAT+CMGD=3\r");
	assert_int_equal(f->destroyed, 2);
	fix_free(f);
	/* fix_free ran callbacks, and destroy for the last one too */
}

static void test_free_cancels_all(void **state)
{
	struct fix *f = fix_new();
	int destroyed, n;

	(void)state;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, on_destroy);
	at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f, on_destroy);
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 1000, on_done,
			 f, on_destroy);
	drain(f);
	at_chat_free(f->chat);
	f->chat = NULL;
	n = f->n_recs;
	destroyed = f->destroyed;
	assert_int_equal(n, 3);
	assert_int_equal(destroyed, 3);
	assert_int_equal(f->recs[0].type, AT_ERR_CANCELLED);
	assert_int_equal(f->recs[2].type, AT_ERR_CANCELLED);
	free(f);
}

static void test_reset(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, on_destroy);
	at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f, on_destroy);
	drain(f);
	feed(f, "\r\n+CSQ: 1");		/* partial line from the old port */
	advance(f, 1000);		/* timeout, resync pending */
	at_chat_reset(f->chat);
	assert_int_equal(f->n_recs, 2);
	assert_int_equal(f->recs[1].type, AT_ERR_CANCELLED);
	assert_int_equal(at_chat_timeouts(f->chat), 0);
	assert_int_equal(at_chat_deadline(f->chat), -1);
	f->wlen = 0;
	drain(f);
	assert_int_equal(f->wlen, 0);	/* no stale "AT\r" */
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, on_destroy);
	drain(f);
	expect_written(f, "AT+CSQ\r");
	feed(f, "5,99\r\n+CSQ: 9,99\r\nOK\r\n");
	assert_int_equal(f->n_recs, 3);
	assert_string_equal(f->recs[2].lines, "+CSQ: 9,99");
	fix_free(f);
}

static void test_reset_from_callback(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	f->reset_on_done = true;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, on_destroy);
	at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f, on_destroy);
	drain(f);
	feed(f, "\r\n+CSQ: 1,99\r\nOK\r\n+CREG: 0,1\r\n");
	assert_int_equal(f->n_recs, 2);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_int_equal(f->recs[1].type, AT_ERR_CANCELLED);
	assert_int_equal(f->destroyed, 2);
	assert_true(at_chat_idle(f->chat));
	fix_free(f);
}

static void test_garbage_bytes(void **state)
{
	struct fix *f = fix_new();
	unsigned char junk[4096];
	unsigned seed = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245u + 12345u;
		junk[i] = (unsigned char)(seed >> 16);
	}
	at_chat_register_urc(f->chat, "+CMT:", true, on_urc, f);
	at_chat_feed(f->chat, (const char *)junk, sizeof(junk), f->now);
	at_chat_feed(f->chat, "\0\0\xff\xff\xfe\r\n\0OK\0\r\n", 13, f->now);
	f->n_urcs = 0;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CSQ: 20,99\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_string_equal(f->recs[0].lines, "+CSQ: 20,99");
	fix_free(f);
}

static void test_nul_inside_line(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	at_chat_feed(f->chat, "\r\n+CSQ: 2\0" "0,99\r\nO\0K\r\n", 20, f->now);
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "+CSQ: 20,99");
	fix_free(f);
}

static void test_huge_line(void **state)
{
	struct fix *f = fix_new();
	size_t n = 10 * 1024, i;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	at_chat_set_trace(f->chat, on_trace, f);
	at_chat_send(f->chat, "AT+CGMI", NULL, 1000, on_done, f, NULL);
	drain(f);
	for (i = 0; i < n; i++)
		big[i] = (char)('A' + i % 26);
	big[n] = '\0';
	feed(f, big);
	feed(f, "\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_int_equal(f->recs[0].n_lines, 1);
	assert_true(strlen(f->recs[0].lines) <= 1024);
	assert_memory_equal(f->recs[0].lines, "ABCDEF", 6);
	free(big);
	fix_free(f);
}

static void test_response_lines_bounded(void **state)
{
	struct fix *f = fix_new();
	int i;

	(void)state;
	at_chat_send(f->chat, "AT+COPN", NULL, 60000, on_done, f, NULL);
	drain(f);
	for (i = 0; i < 5000; i++)
		feed(f, "+COPN: \"46000\",\"China Mobile\"\r\n");
	feed(f, "OK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_true(f->recs[0].n_lines <= 1024);
	assert_true(f->recs[0].n_lines >= 100);
	fix_free(f);
}

static void test_cmt_cds_urc_pdu(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_register_urc(f->chat, "+CMT:", true, on_urc, f);
	at_chat_register_urc(f->chat, "+CDS:", true, on_urc, f);
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CMT: ,38\r\n");
	feed(f, rx_pdu1);
	feed(f, "\r\n+CSQ: 20,99\r\n\r\n+CDS: 25\r\n"
		"07911326040000F006D50B911326880736F4111011719551401110117195714000\r\n"
		"OK\r\n");
	assert_int_equal(f->n_urcs, 2);
	assert_string_equal(f->urcs[0].line, "+CMT: ,38");
	assert_true(f->urcs[0].has_pdu);
	assert_string_equal(f->urcs[0].pdu, rx_pdu1);
	assert_string_equal(f->urcs[1].line, "+CDS: 25");
	assert_memory_equal(f->urcs[1].pdu, "07911326040000F006D5", 20);
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "+CSQ: 20,99");
	fix_free(f);
}

static void test_cmt_without_handler_swallows_pdu(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	/* No handler: the PDU line must not be taken as a response line. */
	at_chat_send(f->chat, "AT+CGSN", NULL, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CMT: ,38\r\n");
	feed(f, rx_pdu1);
	feed(f, "\r\n867322031234567\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "867322031234567");
	fix_free(f);
}

static void test_expected_prefix_wins(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_register_urc(f->chat, "+CREG:", false, on_urc, f);
	at_chat_send(f->chat, "AT+CREG?", creg, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CREG: 2,1,\"1A2B\",\"01C3D4E5\",7\r\n\r\nOK\r\n");
	assert_int_equal(f->n_urcs, 0);
	assert_string_equal(f->recs[0].lines,
			    "+CREG: 2,1,\"1A2B\",\"01C3D4E5\",7");
	/* Unrequested +CREG: during another command is a URC. */
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CREG: 1\r\n+CSQ: 14,99\r\nOK\r\n");
	assert_int_equal(f->n_urcs, 1);
	assert_string_equal(f->urcs[0].line, "+CREG: 1");
	assert_string_equal(f->recs[1].lines, "+CSQ: 14,99");
	fix_free(f);
}

static void test_vendor_noise(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_register_urc(f->chat, "^RSSI:", false, on_urc, f);
	at_chat_register_urc(f->chat, "RING", false, on_urc, f);
	/* Huawei E3372 chatter around a prefix-less command. */
	at_chat_send(f->chat, "AT+CGMI", NULL, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n^RSSI:18\r\n\r\n^BOOT:20952080,0,0,0,75\r\n"
		"\r\n^MODE:5,4\r\n\r\nhuawei\r\n\r\n^HCSQ:\"LTE\",49,48,112,21\r\n"
		"RING\r\n+CUSD: 0,\"Balance 12.50\",15\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].n_lines, 1);
	assert_string_equal(f->recs[0].lines, "huawei");
	assert_int_equal(f->n_urcs, 2);
	assert_string_equal(f->urcs[0].line, "^RSSI:18");
	assert_string_equal(f->urcs[1].line, "RING");
	fix_free(f);
}

static void test_registered_urc_not_collected(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	/* A prefix-less command must not swallow registered URCs. */
	at_chat_register_urc(f->chat, "+QIND:", false, on_urc, f);
	at_chat_register_urc(f->chat, "+XYZ:", false, on_urc, f);
	at_chat_send(f->chat, "ATI", NULL, 1000, on_done, f, NULL);
	drain(f);
	feed(f, "Quectel\r\nEC25\r\n+XYZ: 1\r\nRevision: EC25EFAR06A06M4G\r\n"
		"\r\nOK\r\n");
	assert_int_equal(f->n_urcs, 1);
	assert_string_equal(f->recs[0].lines,
			    "Quectel|EC25|Revision: EC25EFAR06A06M4G");
	fix_free(f);
}

static void test_stray_final_ignored(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	feed(f, "\r\nOK\r\n\r\nERROR\r\n");
	assert_int_equal(f->n_recs, 0);
	at_chat_send(f->chat, "AT+CSQ", csq, 1000, on_done, f, NULL);
	feed(f, "\r\nOK\r\n");		/* before the command was written */
	assert_int_equal(f->n_recs, 0);
	drain(f);
	feed(f, "\r\n+CSQ: 31,99\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_string_equal(f->recs[0].lines, "+CSQ: 31,99");
	fix_free(f);
}

static void test_cmgr_empty_slot(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	/* SIM800 answers an empty slot without a PDU line. */
	at_chat_send(f->chat, "AT+CMGR=4", cmgr, 5000, on_done, f, NULL);
	drain(f);
	feed(f, "\r\n+CMGR: 0,,0\r\n\r\nOK\r\n");
	assert_int_equal(f->n_recs, 1);
	assert_int_equal(f->recs[0].type, AT_ERR_NONE);
	assert_string_equal(f->recs[0].lines, "+CMGR: 0,,0");
	fix_free(f);
}

static void test_trace(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	at_chat_set_trace(f->chat, on_trace, f);
	at_chat_send_pdu(f->chat, "AT+CMGS=23", send_pdu, cmgs, 60000,
			 on_done, f, NULL);
	drain(f);
	feed(f, "\r\n> ");
	drain(f);
	feed(f, "\r\n+CMGS: 5\r\n\r\nOK\r\n");
	assert_string_equal(f->trace,
			    ">AT+CMGS=23\n<> \n"
			    ">0011000B915121551532F40000AA0AE8329BFD4697D9EC37\n"
			    "<+CMGS: 5\n<OK\n");
	fix_free(f);
}

static void test_fifo_and_idle(void **state)
{
	struct fix *f = fix_new();

	(void)state;
	assert_true(at_chat_idle(f->chat));
	at_chat_send(f->chat, "AT+CMGF=0", NULL, 1000, on_done, f, NULL);
	at_chat_send(f->chat, "AT+CSCS=\"GSM\"", NULL, 1000, on_done, f, NULL);
	at_chat_send(f->chat, "AT+CNMI=2,1,0,2,0", NULL, 1000, on_done, f,
		     NULL);
	assert_false(at_chat_idle(f->chat));
	drain(f);
	expect_written(f, "AT+CMGF=0\r");
	feed(f, "OK\r\n");
	drain(f);
	expect_written(f, "AT+CSCS=\"GSM\"\r");
	feed(f, "OK\r\n");
	drain(f);
	expect_written(f, "AT+CNMI=2,1,0,2,0\r");
	feed(f, "+CMS ERROR: 303\r\n");
	assert_int_equal(f->n_recs, 3);
	assert_int_equal(f->recs[2].type, AT_ERR_CMS);
	assert_int_equal(f->recs[2].code, 303);
	assert_true(at_chat_idle(f->chat));
	fix_free(f);
}

/* ------------------------------------------------------------------ */
/* Iterator                                                             */

static void test_iter_numbers_and_empty(void **state)
{
	struct at_iter it;
	int a, b, c;

	(void)state;
	assert_true(at_iter_begin(&it, "+CMGL: 1,0,,25", "+CMGL:"));
	assert_true(at_iter_next_number(&it, &a));
	assert_true(at_iter_next_number(&it, &b));
	assert_false(at_iter_next_number(&it, &c));	/* empty */
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_next_number(&it, &c));
	assert_int_equal(a, 1);
	assert_int_equal(b, 0);
	assert_int_equal(c, 25);
	assert_false(at_iter_next_number(&it, &c));	/* no more */
	assert_false(at_iter_skip(&it));

	assert_false(at_iter_begin(&it, "+CSQ: 1,2", "+CMGL:"));
	assert_true(at_iter_begin(&it, "+CSQ:99,-1", "+CSQ:"));
	assert_true(at_iter_next_number(&it, &a));
	assert_true(at_iter_next_number(&it, &b));
	assert_int_equal(a, 99);
	assert_int_equal(b, -1);

	assert_true(at_iter_begin(&it, "+X: 12a,99999999999", "+X:"));
	assert_false(at_iter_next_number(&it, &a));
	assert_true(at_iter_skip(&it));
	assert_false(at_iter_next_number(&it, &a));	/* overflow */
}

static void test_iter_strings(void **state)
{
	struct at_iter it;
	char buf[32], small[4];
	int n;

	(void)state;
	assert_true(at_iter_begin(&it,
		"+CMGL: 2,\"REC READ\",\"+8613800000001\",,\"24/05/01,08:15:02+32\"",
		"+CMGL:"));
	assert_true(at_iter_next_number(&it, &n));
	assert_true(at_iter_next_string(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "REC READ");
	assert_true(at_iter_next_string(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "+8613800000001");
	assert_true(at_iter_next_string(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "");			/* empty field */
	assert_false(at_iter_next_string(&it, small, sizeof(small)));
	assert_true(at_iter_next_string(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "24/05/01,08:15:02+32");	/* comma */
	assert_false(at_iter_next_string(&it, buf, sizeof(buf)));

	assert_true(at_iter_begin(&it, "+COPS: 0,0,\"CHINA MOBILE", "+COPS:"));
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_skip(&it));
	assert_false(at_iter_next_string(&it, buf, sizeof(buf)));
	assert_false(at_iter_skip(&it));	/* unterminated quote */

	assert_true(at_iter_begin(&it, "+CSCA: 5,\"x\"", "+CSCA:"));
	assert_false(at_iter_next_string(&it, buf, sizeof(buf)));
}

static void test_iter_unquoted(void **state)
{
	struct at_iter it;
	char buf[32];
	int n;

	(void)state;
	assert_true(at_iter_begin(&it, "+CPIN: SIM PIN ", "+CPIN:"));
	assert_true(at_iter_next_unquoted(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "SIM PIN");

	assert_true(at_iter_begin(&it, "^SYSINFO:2,3,0,9,1,,6", "^SYSINFO:"));
	assert_true(at_iter_next_unquoted(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "2");
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_next_number(&it, &n));
	assert_int_equal(n, 1);
	assert_true(at_iter_next_unquoted(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_true(at_iter_next_number(&it, &n));
	assert_int_equal(n, 6);

	assert_true(at_iter_begin(&it, "+CSCS: \"GSM\"", "+CSCS:"));
	assert_false(at_iter_next_unquoted(&it, buf, sizeof(buf)));

	assert_true(at_iter_begin(&it, "867322031234567", NULL));
	assert_true(at_iter_next_unquoted(&it, buf, sizeof(buf)));
	assert_string_equal(buf, "867322031234567");
}

static void test_iter_ranges(void **state)
{
	static const struct {
		const char *line;
		bool ok;
		uint32_t bits;
	} cases[] = {
		{ "+X: (0-3)", true, 0xf },
		{ "+X: (0,1,2)", true, 0x7 },
		{ "+X: (0-2,4)", true, 0x17 },
		{ "+X: (1)", true, 0x2 },
		{ "+X: ()", true, 0 },
		{ "+X: ( 0 - 1 , 3 )", true, 0xb },
		{ "+X: (0-255)", true, 0xffffffff },
		{ "+X: (40,1)", true, 0x2 },
		{ "+X: (3-1)", false, 0 },
		{ "+X: (0-", false, 0 },
		{ "+X: 0-3", false, 0 },
		{ "+X: (a)", false, 0 },
		{ "+X: (\"GSM\",\"UCS2\")", false, 0 },
	};
	struct at_iter it;
	uint32_t bits;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(at_iter_begin(&it, cases[i].line, "+X:"));
		bits = 0xdeadbeef;
		assert_int_equal(at_iter_next_range(&it, &bits), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(bits, cases[i].bits);
	}
}

static void test_iter_cnmi_test_response(void **state)
{
	struct at_iter it;
	uint32_t mode, mt, bm, ds, bfr;

	(void)state;
	/* AT+CNMI=? on a SIM7600 */
	assert_true(at_iter_begin(&it, "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
				  "+CNMI:"));
	assert_true(at_iter_next_range(&it, &mode));
	assert_true(at_iter_next_range(&it, &mt));
	assert_true(at_iter_next_range(&it, &bm));
	assert_true(at_iter_next_range(&it, &ds));
	assert_true(at_iter_next_range(&it, &bfr));
	assert_int_equal(mode, 0x7);
	assert_int_equal(mt, 0xf);
	assert_int_equal(bm, 0x5);
	assert_int_equal(ds, 0x7);
	assert_int_equal(bfr, 0x3);
	assert_false(at_iter_next_range(&it, &bfr));

	/* skip steps over a parenthesised list with commas */
	assert_true(at_iter_begin(&it, "+CPMS: (\"SM\",\"ME\"),(\"SM\"),7",
				  "+CPMS:"));
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_skip(&it));
	assert_true(at_iter_next_number(&it, (int *)&mode));
	assert_int_equal(mode, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_ok),
		cmocka_unit_test(test_prefix_response),
		cmocka_unit_test(test_echo_dropped),
		cmocka_unit_test(test_split_every_boundary),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_urc_inside_cmgl),
		cmocka_unit_test(test_cmgs_prompt),
		cmocka_unit_test(test_cmgs_echo_bytewise),
		cmocka_unit_test(test_cmti_before_prompt),
		cmocka_unit_test(test_cms_error_on_send),
		cmocka_unit_test(test_cms_error_instead_of_prompt),
		cmocka_unit_test(test_cmgs_line_not_final),
		cmocka_unit_test(test_final_table),
		cmocka_unit_test(test_cme_text_errors),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_timer_starts_when_written),
		cmocka_unit_test(test_timeout_resync_bytes),
		cmocka_unit_test(test_late_ok_before_resync_written),
		cmocka_unit_test(test_late_ok_not_credited),
		cmocka_unit_test(test_late_error_ignored_in_resync),
		cmocka_unit_test(test_consecutive_timeouts),
		cmocka_unit_test(test_timeouts_count_across_commands),
		cmocka_unit_test(test_prompt_timeout_writes_esc),
		cmocka_unit_test(test_cancel_queued),
		cmocka_unit_test(test_callback_queues_command),
		cmocka_unit_test(test_callback_cancels_next),
		cmocka_unit_test(test_free_cancels_all),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_reset_from_callback),
		cmocka_unit_test(test_garbage_bytes),
		cmocka_unit_test(test_nul_inside_line),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_response_lines_bounded),
		cmocka_unit_test(test_cmt_cds_urc_pdu),
		cmocka_unit_test(test_cmt_without_handler_swallows_pdu),
		cmocka_unit_test(test_expected_prefix_wins),
		cmocka_unit_test(test_vendor_noise),
		cmocka_unit_test(test_registered_urc_not_collected),
		cmocka_unit_test(test_stray_final_ignored),
		cmocka_unit_test(test_cmgr_empty_slot),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_fifo_and_idle),
		cmocka_unit_test(test_iter_numbers_and_empty),
		cmocka_unit_test(test_iter_strings),
		cmocka_unit_test(test_iter_unquoted),
		cmocka_unit_test(test_iter_ranges),
		cmocka_unit_test(test_iter_cnmi_test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
