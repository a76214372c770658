// SPDX-License-Identifier: MIT
/*
 * fuzz-at.c - drive an AT chat with arbitrary bytes: the input is a
 * little script of operations (feed bytes, write output, let time pass,
 * queue/cancel commands, reset), with URC handlers registered and
 * callbacks that queue and cancel commands and run the field iterator
 * over every line they get.  Must never crash, leak or grow without
 * bound.
 *
 * A plain corpus file is also a fine input: bytes with the top bits
 * clear are mostly fed to the modem side.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modem/at.h"

#define MAX_LIVE	32	/* commands the harness keeps queued */
#define MAX_OUTPUT	65536	/* what the chat may ever hold to write */

struct ctx {
	struct at_chat *chat;
	int64_t now;
	unsigned ids[8];
	unsigned n_ids;		/* valid entries in ids[] */
	unsigned next_slot;
	unsigned live;		/* queued, callback or destroy not run */
	unsigned depth;
	const uint8_t *p;
	const uint8_t *end;
};

static const char *const p_csq[] = { "+CSQ:", NULL };
static const char *const p_cmgl[] = { "+CMGL:", NULL };
static const char *const p_cmgr[] = { "+CMGR:", NULL };
static const char *const p_cmgs[] = { "+CMGS:", NULL };
static const char *const p_creg[] = { "+CREG:", "+CGREG:", NULL };
static const char *const p_cnmi[] = { "+CNMI:", NULL };

static void iterate(const char *line)
{
	struct at_iter it;
	char buf[32];
	uint32_t bits;
	int n, i;

	if (!at_iter_begin(&it, line, NULL))
		return;
	for (i = 0; i < 16; i++) {
		if (at_iter_next_number(&it, &n))
			continue;
		if (at_iter_next_string(&it, buf, sizeof(buf)))
			continue;
		if (at_iter_next_range(&it, &bits))
			continue;
		if (at_iter_next_unquoted(&it, buf, sizeof(buf)))
			continue;
		if (!at_iter_skip(&it))
			break;
	}
	if (at_iter_begin(&it, line, "+CMGL:")) {
		at_iter_next_number(&it, &n);
		at_iter_skip(&it);
		at_iter_next_string(&it, buf, 4);
		at_iter_next_number(&it, &n);
	}
}

static void queue_some(struct ctx *c, uint8_t sel);

static void on_destroy(void *data)
{
	struct ctx *c = data;

	c->live--;
}

static void on_done(const struct at_result *res, void *data)
{
	struct ctx *c = data;
	size_t i;

	if (res->err.type > AT_ERR_CANCELLED)
		abort();
	at_error_text(&res->err);
	if (!res->final)
		abort();
	for (i = 0; i < res->n_lines; i++)
		iterate(res->lines[i]);
	/* Re-entrancy: queue or cancel from inside the callback. */
	if (c->depth < 4 && res->n_lines & 1) {
		c->depth++;
		queue_some(c, (uint8_t)res->n_lines);
		c->depth--;
	}
	if (c->n_ids && res->err.type == AT_ERR_CMS)
		at_chat_cancel(c->chat, c->ids[c->n_ids - 1]);
}

static void on_urc(const char *line, const char *pdu, void *data)
{
	(void)data;
	iterate(line);
	if (pdu)
		iterate(pdu);
}

static void queue_some(struct ctx *c, uint8_t sel)
{
	unsigned id = 0;

	if (c->live >= MAX_LIVE)
		return;
	switch (sel % 8) {
	case 0:
		id = at_chat_send(c->chat, "AT", NULL, 1000, on_done, c,
				  on_destroy);
		break;
	case 1:
		id = at_chat_send(c->chat, "AT+CSQ", p_csq, 2000, on_done, c,
				  on_destroy);
		break;
	case 2:
		id = at_chat_send(c->chat, "AT+CMGL=4", p_cmgl, 5000, on_done,
				  c, on_destroy);
		break;
	case 3:
		id = at_chat_send(c->chat, "AT+CMGR=1", p_cmgr, 5000, on_done,
				  c, on_destroy);
		break;
	case 4:
		id = at_chat_send_pdu(c->chat, "AT+CMGS=23",
				      "0011000B915121551532F40000AA0AE8329BFD4697D9EC37",
				      p_cmgs, 60000, on_done, c, on_destroy);
		break;
	case 5:
		id = at_chat_send(c->chat, "AT+CREG?", p_creg, 1000, on_done,
				  c, on_destroy);
		break;
	case 6:
		id = at_chat_send(c->chat, "AT+CNMI=?", p_cnmi, 1000, on_done,
				  c, on_destroy);
		break;
	default:
		id = at_chat_send(c->chat, "ATI", NULL, 1000, on_done, c,
				  on_destroy);
		break;
	}
	if (!id)
		return;
	c->live++;
	c->ids[c->next_slot++ % 8] = id;
	if (c->n_ids < 8)
		c->n_ids++;
}

static uint8_t next(struct ctx *c)
{
	return c->p < c->end ? *c->p++ : 0;
}

static void drain(struct ctx *c, size_t max)
{
	const char *buf;
	size_t n = at_chat_output(c->chat, &buf);

	if (n > MAX_OUTPUT)
		abort();
	if (n > max)
		n = max;
	if (n) {
		volatile char sink = buf[0] ^ buf[n - 1];

		(void)sink;
		at_chat_consumed(c->chat, n, c->now);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	c.chat = at_chat_new();
	if (!c.chat)
		return 0;
	c.now = 1000;
	c.p = data;
	c.end = data + size;
	at_chat_register_urc(c.chat, "+CMTI:", false, on_urc, &c);
	at_chat_register_urc(c.chat, "+CMT:", true, on_urc, &c);
	at_chat_register_urc(c.chat, "+CDS:", true, on_urc, &c);
	at_chat_register_urc(c.chat, "^RSSI:", false, on_urc, &c);
	at_chat_register_urc(c.chat, "+CUSD:", false, on_urc, &c);
	at_chat_register_urc(c.chat, "+CREG:", false, on_urc, &c);
	queue_some(&c, 2);
	queue_some(&c, 4);
	queue_some(&c, 1);
	drain(&c, SIZE_MAX);

	while (c.p < c.end) {
		uint8_t op = next(&c);
		size_t n;

		if (op < 0xe0) {
			/* Modem bytes: this one and a run after it. */
			const uint8_t *start = c.p - 1;

			while (c.p < c.end && *c.p < 0xe0 && c.p - start < 64)
				c.p++;
			at_chat_feed(c.chat, (const char *)start,
				     (size_t)(c.p - start), c.now);
			continue;
		}
		switch (op & 0x1f) {
		case 0: case 1: case 2: case 3:
			drain(&c, SIZE_MAX);
			break;
		case 4:
			drain(&c, next(&c) % 8 + 1);
			break;
		case 5: case 6: case 7:
			c.now += (int64_t)next(&c) * 50;
			at_chat_timeout(c.chat, c.now);
			break;
		case 8: case 9:
			if (at_chat_deadline(c.chat) >= 0) {
				c.now = at_chat_deadline(c.chat);
				at_chat_timeout(c.chat, c.now);
			}
			break;
		case 10: case 11: case 12: case 13:
			queue_some(&c, next(&c));
			break;
		case 14:
			if (c.n_ids)
				at_chat_cancel(c.chat,
					       c.ids[next(&c) % c.n_ids]);
			break;
		case 15:
			at_chat_reset(c.chat);
			break;
		case 16:
			/* Raw bytes, including the op range. */
			n = next(&c) % 32;
			if (n > (size_t)(c.end - c.p))
				n = (size_t)(c.end - c.p);
			at_chat_feed(c.chat, (const char *)c.p, n, c.now);
			c.p += n;
			break;
		default:
			at_chat_feed(c.chat, "\r\n", 2, c.now);
			break;
		}
		(void)at_chat_timeouts(c.chat);
		(void)at_chat_idle(c.chat);
	}
	at_chat_free(c.chat);
	if (c.live != 0)
		abort();	/* every command's data was released */
	return 0;
}
