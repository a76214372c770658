// SPDX-License-Identifier: MIT
/*
 * at.c - AT command engine: byte-fed framer, command queue with one
 * command in flight, final-result table, URC registry, field iterator.
 *
 * Pure: no I/O, no globals, no logging (the trace hook is the only
 * window).  Memory is bounded whatever the modem sends: one line buffer
 * of AT_LINE_MAX bytes, at most AT_MAX_LINES response lines per command.
 */
#include "modem/at.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/array.h"

#define AT_LINE_MAX		1024	/* longer lines are truncated */
#define AT_MAX_LINES		1024	/* response lines kept per command */
#define AT_RESYNC_TIMEOUT_MS	2000	/* wait for OK to a resync "AT" */
#define AT_RESYNC_SETTLE_MS	200	/* quiet time after the resync OK */

#define CTRL_Z	"\x1a"
#define ESC	"\x1b"

struct at_cmd {
	struct at_cmd *next;
	unsigned id;
	char *cmd;		/* without "\r" */
	char *pdu;		/* NULL unless at_chat_send_pdu() */
	char **prefixes;	/* NULL-terminated copy, or NULL */
	unsigned timeout_ms;
	at_done_fn done;
	void *data;
	at_destroy_fn destroy;
};

/* Where the command in flight stands. */
enum cur_state {
	CUR_WRITE_CMD,		/* "cmd\r" is in the output buffer */
	CUR_WAIT_PROMPT,	/* written; waiting for "> " */
	CUR_WRITE_PDU,		/* "pdu^Z" is in the output buffer */
	CUR_WAIT_RESP,		/* waiting for the final result */
};

/* Resynchronisation after a timeout: "AT" until "OK", then quiet. */
enum rs_state {
	RS_NONE,
	RS_WRITE,		/* "AT\r" (maybe after ESC) being written */
	RS_WAIT,		/* waiting for OK */
	RS_SETTLE,		/* OK seen; let a second late OK drain */
};

/* What the next line is expected to be. */
enum pdu_expect {
	PE_NONE,
	PE_RESP,		/* PDU of a +CMGL:/+CMGR: response line */
	PE_URC,			/* PDU of an unsolicited +CMT:/+CDS: line */
};

struct at_urc {
	char *prefix;
	size_t len;
	bool expects_pdu;
	at_urc_fn fn;
	void *data;
};

struct at_chat {
	struct at_cmd *head;	/* queued, not yet written */
	struct at_cmd *tail;
	struct at_cmd *cur;	/* in flight, or NULL */
	enum cur_state cur_state;
	char **lines;		/* response lines of @cur */
	size_t n_lines;
	size_t cap_lines;

	enum rs_state rs;
	int64_t deadline;	/* -1: none */
	unsigned timeouts;
	unsigned next_id;
	bool freeing;

	char *out;		/* bytes to write */
	size_t out_len;
	size_t out_off;
	size_t out_cap;

	char line[AT_LINE_MAX + 1];
	size_t line_len;
	enum pdu_expect pe;
	char urc_hdr[AT_LINE_MAX + 1];

	struct at_urc *urcs;
	size_t n_urcs;

	at_trace_fn trace;
	void *trace_data;
};

/* ------------------------------------------------------------------ */
/* Error tables                                                         */

struct code_text {
	int code;
	const char *text;
};

static const struct code_text cme_table[] = {
	{ 0, "phone failure" },
	{ 1, "no connection to phone" },
	{ 2, "phone-adaptor link reserved" },
	{ 3, "operation not allowed" },
	{ 4, "operation not supported" },
	{ 5, "PH-SIM PIN required" },
	{ 6, "PH-FSIM PIN required" },
	{ 7, "PH-FSIM PUK required" },
	{ 10, "SIM not inserted" },
	{ 11, "SIM PIN required" },
	{ 12, "SIM PUK required" },
	{ 13, "SIM failure" },
	{ 14, "SIM busy" },
	{ 15, "SIM wrong" },
	{ 16, "incorrect password" },
	{ 17, "SIM PIN2 required" },
	{ 18, "SIM PUK2 required" },
	{ 20, "memory full" },
	{ 21, "invalid index" },
	{ 22, "not found" },
	{ 23, "memory failure" },
	{ 24, "text string too long" },
	{ 25, "invalid characters in text string" },
	{ 26, "dial string too long" },
	{ 27, "invalid characters in dial string" },
	{ 30, "no network service" },
	{ 31, "network timeout" },
	{ 32, "network not allowed - emergency calls only" },
	{ 40, "network personalization PIN required" },
	{ 41, "network personalization PUK required" },
	{ 100, "unknown" },
	{ 103, "illegal MS" },
	{ 106, "illegal ME" },
	{ 107, "GPRS services not allowed" },
	{ 111, "PLMN not allowed" },
	{ 112, "location area not allowed" },
	{ 113, "roaming not allowed in this location area" },
	{ 148, "unspecified GPRS error" },
	{ 149, "PDP authentication failure" },
	{ 150, "invalid mobile class" },
};

static const struct code_text cms_table[] = {
	/* 24.011 network causes */
	{ 1, "unassigned (unallocated) number" },
	{ 8, "operator determined barring" },
	{ 10, "call barred" },
	{ 21, "short message transfer rejected" },
	{ 27, "destination out of service" },
	{ 28, "unidentified subscriber" },
	{ 29, "facility rejected" },
	{ 30, "unknown subscriber" },
	{ 38, "network out of order" },
	{ 41, "temporary failure" },
	{ 42, "congestion" },
	{ 47, "resources unavailable, unspecified" },
	{ 50, "requested facility not subscribed" },
	{ 69, "requested facility not implemented" },
	{ 81, "invalid short message transfer reference value" },
	{ 95, "invalid message, unspecified" },
	{ 96, "invalid mandatory information" },
	{ 97, "message type non-existent or not implemented" },
	{ 98, "message not compatible with short message protocol state" },
	{ 99, "information element non-existent or not implemented" },
	{ 111, "protocol error, unspecified" },
	{ 127, "interworking, unspecified" },
	/* 23.040 TP-FCS */
	{ 128, "telematic interworking not supported" },
	{ 129, "short message type 0 not supported" },
	{ 130, "cannot replace short message" },
	{ 143, "unspecified TP-PID error" },
	{ 144, "data coding scheme not supported" },
	{ 145, "message class not supported" },
	{ 159, "unspecified TP-DCS error" },
	{ 160, "command cannot be actioned" },
	{ 161, "command unsupported" },
	{ 175, "unspecified TP-Command error" },
	{ 176, "TPDU not supported" },
	{ 192, "SC busy" },
	{ 193, "no SC subscription" },
	{ 194, "SC system failure" },
	{ 195, "invalid SME address" },
	{ 196, "destination SME barred" },
	{ 197, "SM rejected - duplicate SM" },
	{ 198, "TP-VPF not supported" },
	{ 199, "TP-VP not supported" },
	{ 208, "SIM SMS storage full" },
	{ 209, "no SMS storage capability in SIM" },
	{ 210, "error in MS" },
	{ 211, "memory capacity exceeded" },
	{ 212, "SIM application toolkit busy" },
	{ 213, "SIM data download error" },
	{ 255, "unspecified error cause" },
	/* 27.005 3.2.5 */
	{ 300, "ME failure" },
	{ 301, "SMS service of ME reserved" },
	{ 302, "operation not allowed" },
	{ 303, "operation not supported" },
	{ 304, "invalid PDU mode parameter" },
	{ 305, "invalid text mode parameter" },
	{ 310, "SIM not inserted" },
	{ 311, "SIM PIN required" },
	{ 312, "PH-SIM PIN required" },
	{ 313, "SIM failure" },
	{ 314, "SIM busy" },
	{ 315, "SIM wrong" },
	{ 316, "SIM PUK required" },
	{ 317, "SIM PIN2 required" },
	{ 318, "SIM PUK2 required" },
	{ 320, "memory failure" },
	{ 321, "invalid memory index" },
	{ 322, "memory full" },
	{ 330, "SMSC address unknown" },
	{ 331, "no network service" },
	{ 332, "network timeout" },
	{ 340, "no +CNMA acknowledgement expected" },
	{ 500, "unknown error" },
};

static const char *table_text(const struct code_text *t, size_t n, int code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].text;
	return NULL;
}

static int table_code(const struct code_text *t, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].text, text) == 0)
			return t[i].code;
	return -1;
}

/*
 * at_error_text - English text for a decoded modem error.
 * Unknown CMS codes in the 24.011 cause range (0..127) get a generic
 * network text; anything else unknown is "unknown error".
 */
const char *at_error_text(const struct at_error *err)
{
	const char *s;

	if (!err)
		return "unknown error";
	switch (err->type) {
	case AT_ERR_NONE:
		return "OK";
	case AT_ERR_ERROR:
		return "error";
	case AT_ERR_NO_CARRIER:
		return "no carrier";
	case AT_ERR_TIMEOUT:
		return "timeout";
	case AT_ERR_CANCELLED:
		return "cancelled";
	case AT_ERR_CME:
		s = table_text(cme_table, ARRAY_SIZE(cme_table), err->code);
		return s ? s : "unknown error";
	case AT_ERR_CMS:
		s = table_text(cms_table, ARRAY_SIZE(cms_table), err->code);
		if (s)
			return s;
		if (err->code >= 0 && err->code <= 127)
			return "network error";
		return "unknown error";
	}
	return "unknown error";
}

/* ------------------------------------------------------------------ */
/* Final result table: the one place that knows what ends a response.  */

struct final_code {
	const char *text;
	bool prefix;		/* "+CME ERROR:" etc. carry a code */
	enum at_error_type type;
};

static const struct final_code final_table[] = {
	{ "OK", false, AT_ERR_NONE },
	{ "ERROR", false, AT_ERR_ERROR },
	{ "+CME ERROR:", true, AT_ERR_CME },
	{ "+CMS ERROR:", true, AT_ERR_CMS },
	{ "NO CARRIER", false, AT_ERR_NO_CARRIER },
	{ "NO DIALTONE", false, AT_ERR_NO_CARRIER },
	{ "BUSY", false, AT_ERR_NO_CARRIER },
	{ "NO ANSWER", false, AT_ERR_NO_CARRIER },
	{ "COMMAND NOT SUPPORT", false, AT_ERR_ERROR },	/* Huawei, ZTE */
};

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Parse a final result; false if @line is not one. */
static bool final_lookup(const char *line, struct at_error *err)
{
	const struct final_code *f;
	const char *p;
	long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(final_table); i++) {
		f = &final_table[i];
		if (!f->prefix) {
			if (strcmp(line, f->text) == 0)
				break;
			continue;
		}
		if (starts_with(line, f->text))
			break;
	}
	if (i == ARRAY_SIZE(final_table))
		return false;

	err->type = f->type;
	err->code = 0;
	if (!f->prefix)
		return true;

	p = line + strlen(f->text);
	while (*p == ' ')
		p++;
	if (isdigit((unsigned char)*p)) {
		v = 0;
		while (isdigit((unsigned char)*p) && v < 100000)
			v = v * 10 + (*p++ - '0');
		while (*p == ' ')
			p++;
		err->code = *p ? -1 : (int)v;
		return true;
	}
	if (f->type == AT_ERR_CME)
		err->code = table_code(cme_table, ARRAY_SIZE(cme_table), p);
	else
		err->code = table_code(cms_table, ARRAY_SIZE(cms_table), p);
	return true;
}

/*
 * Lines that are unsolicited whatever command is in flight, unless the
 * command asked for the prefix.  Used for commands queued without
 * prefixes.  Vendor noise is data here, not code.
 */
static const char *const unsolicited_table[] = {
	"+CMTI:", "+CMT:", "+CDS:", "+CDSI:", "+CBM:", "+CUSD:",
	"+CREG:", "+CGREG:", "+CEREG:", "+CIEV:", "+CRING:", "+CLIP:",
	"RING", "^", "+QIND:", "+CSQN:", "RDY", "SMS Ready", "Call Ready",
	"PB DONE", "NORMAL POWER DOWN",
};

/* Unsolicited lines that carry a PDU on the next line. */
static const char *const pdu_urc_table[] = {
	"+CMT:", "+CDS:", "+CBM:", "+CMGR:", "+CMGL:",
};

/* Response lines followed by their PDU. */
static const char *const pdu_resp_table[] = {
	"+CMGL:", "+CMGR:",
};

static bool in_table(const char *const *t, size_t n, const char *line)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (starts_with(line, t[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static void trace(struct at_chat *chat, char dir, const char *text,
		  size_t len)
{
	if (chat->trace)
		chat->trace(dir, text, len, chat->trace_data);
}

static int out_append(struct at_chat *chat, const char *s, size_t n)
{
	size_t need = chat->out_len + n;
	char *p;

	if (need > chat->out_cap) {
		size_t cap = chat->out_cap ? chat->out_cap : 64;

		while (cap < need)
			cap *= 2;
		p = realloc(chat->out, cap);
		if (!p)
			return -ENOMEM;
		chat->out = p;
		chat->out_cap = cap;
	}
	memcpy(chat->out + chat->out_len, s, n);
	chat->out_len += n;
	return 0;
}

static void out_clear(struct at_chat *chat)
{
	chat->out_len = 0;
	chat->out_off = 0;
}

static void cmd_free(struct at_cmd *cmd)
{
	char **p;

	if (cmd->destroy)
		cmd->destroy(cmd->data);
	if (cmd->prefixes) {
		for (p = cmd->prefixes; *p; p++)
			free(*p);
		free(cmd->prefixes);
	}
	free(cmd->cmd);
	free(cmd->pdu);
	free(cmd);
}

static void lines_free(char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void add_line(struct at_chat *chat, const char *line)
{
	char *copy;

	if (chat->n_lines >= AT_MAX_LINES)
		return;
	if (chat->n_lines == chat->cap_lines) {
		size_t cap = chat->cap_lines ? chat->cap_lines * 2 : 8;
		char **p = realloc(chat->lines, cap * sizeof(*p));

		if (!p)
			return;
		chat->lines = p;
		chat->cap_lines = cap;
	}
	copy = strdup(line);
	if (copy)
		chat->lines[chat->n_lines++] = copy;
}

/* Write the next queued command, unless busy or resyncing. */
static void start_next(struct at_chat *chat)
{
	struct at_cmd *cmd;

	if (chat->freeing || chat->cur || chat->rs != RS_NONE || !chat->head)
		return;
	cmd = chat->head;
	chat->head = cmd->next;
	if (!chat->head)
		chat->tail = NULL;
	cmd->next = NULL;

	if (out_append(chat, cmd->cmd, strlen(cmd->cmd)) ||
	    out_append(chat, "\r", 1)) {
		struct at_result res = {
			.final = "",
			.err = { AT_ERR_CANCELLED, 0 },
		};

		out_clear(chat);
		if (cmd->done)
			cmd->done(&res, cmd->data);
		cmd_free(cmd);
		start_next(chat);
		return;
	}
	chat->cur = cmd;
	chat->cur_state = CUR_WRITE_CMD;
	chat->deadline = -1;
	trace(chat, '>', cmd->cmd, strlen(cmd->cmd));
}

/*
 * Finish the command in flight: detach it, run its callback, release
 * its data, then write the next one.  The callback may queue or cancel
 * commands or reset the chat.
 */
static void complete(struct at_chat *chat, const struct at_error *err,
		     const char *final)
{
	struct at_cmd *cmd = chat->cur;
	char **lines = chat->lines;
	size_t n = chat->n_lines;
	struct at_result res;

	chat->cur = NULL;
	chat->lines = NULL;
	chat->n_lines = 0;
	chat->cap_lines = 0;
	if (chat->pe == PE_RESP)
		chat->pe = PE_NONE;
	if (chat->rs == RS_NONE)
		chat->deadline = -1;

	res.lines = (const char *const *)lines;
	res.n_lines = n;
	res.final = final;
	res.err = *err;
	if (cmd->done)
		cmd->done(&res, cmd->data);
	cmd_free(cmd);
	lines_free(lines, n);
	start_next(chat);
}

/* After a timeout: (ESC,) "AT\r", then wait for OK. */
static void begin_resync(struct at_chat *chat, bool esc)
{
	out_clear(chat);
	chat->rs = RS_WRITE;
	chat->deadline = -1;
	if (esc) {
		out_append(chat, ESC, 1);
		trace(chat, '>', ESC, 1);
	}
	out_append(chat, "AT\r", 3);
	trace(chat, '>', "AT", 2);
}

static void urc_deliver(struct at_chat *chat, const char *line,
			const char *pdu)
{
	size_t i;

	/* Handlers may register more handlers: index, copy, then call. */
	for (i = 0; i < chat->n_urcs; i++) {
		struct at_urc u = chat->urcs[i];

		if (strncmp(line, u.prefix, u.len) == 0)
			u.fn(line, pdu, u.data);
	}
}

static bool urc_registered(const struct at_chat *chat, const char *line,
			   bool *pdu)
{
	bool found = false;
	size_t i;

	for (i = 0; i < chat->n_urcs; i++) {
		if (strncmp(line, chat->urcs[i].prefix,
			    chat->urcs[i].len) == 0) {
			found = true;
			if (chat->urcs[i].expects_pdu)
				*pdu = true;
		}
	}
	return found;
}

static void urc_line(struct at_chat *chat, const char *line)
{
	bool pdu = in_table(pdu_urc_table, ARRAY_SIZE(pdu_urc_table), line);

	urc_registered(chat, line, &pdu);
	if (pdu) {
		/* Hold the header until its PDU line arrives. */
		strcpy(chat->urc_hdr, line);
		chat->pe = PE_URC;
		return;
	}
	urc_deliver(chat, line, NULL);
}

/* Does a non-final line belong to the command in flight? */
static bool for_command(const struct at_chat *chat, const char *line)
{
	char **p;
	bool pdu = false;

	if (!chat->cur->prefixes)
		return !in_table(unsolicited_table, ARRAY_SIZE(unsolicited_table),
				 line) &&
		       !urc_registered(chat, line, &pdu);
	for (p = chat->cur->prefixes; *p; p++)
		if (starts_with(line, *p))
			return true;
	return false;
}

static bool is_echo(const struct at_chat *chat, const char *line)
{
	size_t n;

	if (chat->rs != RS_NONE && strcasecmp(line, "AT") == 0)
		return true;
	if (!chat->cur)
		return false;
	if (strcasecmp(line, chat->cur->cmd) == 0)
		return true;
	if (!chat->cur->pdu || chat->cur_state < CUR_WRITE_PDU)
		return false;
	/* The PDU echoed in text entry, usually ending with the Ctrl-Z. */
	n = strlen(chat->cur->pdu);
	if (strncasecmp(line, chat->cur->pdu, n) != 0)
		return false;
	return line[n] == '\0' || strcmp(line + n, CTRL_Z) == 0;
}

static void got_prompt(struct at_chat *chat)
{
	struct at_cmd *cmd = chat->cur;

	out_clear(chat);
	if (out_append(chat, cmd->pdu, strlen(cmd->pdu)) ||
	    out_append(chat, CTRL_Z, 1)) {
		/* Leave text entry; the command fails as cancelled. */
		struct at_error err = { AT_ERR_CANCELLED, 0 };

		out_clear(chat);
		begin_resync(chat, true);
		complete(chat, &err, "");
		return;
	}
	chat->cur_state = CUR_WRITE_PDU;
	chat->deadline = -1;
	trace(chat, '>', cmd->pdu, strlen(cmd->pdu));
}

static bool waiting(const struct at_chat *chat)
{
	return chat->cur && (chat->cur_state == CUR_WAIT_RESP ||
			     chat->cur_state == CUR_WAIT_PROMPT);
}

static void handle_final(struct at_chat *chat, const char *line,
			 const struct at_error *err, int64_t now)
{
	chat->timeouts = 0;
	switch (chat->rs) {
	case RS_WAIT:
		if (err->type == AT_ERR_NONE) {
			chat->rs = RS_SETTLE;
			chat->deadline = now + AT_RESYNC_SETTLE_MS;
		}
		return;		/* anything else is a late reply */
	case RS_WRITE:
	case RS_SETTLE:
		return;
	case RS_NONE:
		break;
	}
	if (waiting(chat))
		complete(chat, err, line);
	/* else: a stray final result, visible in the trace only */
}

/* One complete line from the modem. */
static void handle_line(struct at_chat *chat, const char *line,
			int64_t now)
{
	struct at_error err;
	bool final = final_lookup(line, &err);

	switch (chat->pe) {
	case PE_RESP:
		chat->pe = PE_NONE;
		if (!final) {
			if (waiting(chat))
				add_line(chat, line);
			return;
		}
		break;
	case PE_URC:
		chat->pe = PE_NONE;
		if (!final) {
			urc_deliver(chat, chat->urc_hdr, line);
			return;
		}
		urc_deliver(chat, chat->urc_hdr, NULL);
		break;
	case PE_NONE:
		break;
	}

	if (is_echo(chat, line))
		return;
	if (chat->cur && chat->cur_state == CUR_WAIT_PROMPT &&
	    (strcmp(line, ">") == 0 || strcmp(line, "> ") == 0)) {
		got_prompt(chat);
		return;
	}
	if (final) {
		handle_final(chat, line, &err, now);
		return;
	}
	if (chat->rs == RS_NONE && chat->cur &&
	    chat->cur_state == CUR_WAIT_RESP && for_command(chat, line)) {
		add_line(chat, line);
		if (in_table(pdu_resp_table, ARRAY_SIZE(pdu_resp_table), line))
			chat->pe = PE_RESP;
		return;
	}
	urc_line(chat, line);
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */

/* at_chat_new - an idle chat with no URC handlers. */
struct at_chat *at_chat_new(void)
{
	struct at_chat *chat = calloc(1, sizeof(*chat));

	if (!chat)
		return NULL;
	chat->deadline = -1;
	chat->next_id = 1;
	return chat;
}

/* Detach every command (in flight first) and run their callbacks. */
static void cancel_all(struct at_chat *chat)
{
	struct at_cmd *list = chat->head, *cmd;
	struct at_error err = { AT_ERR_CANCELLED, 0 };
	struct at_result res = { NULL, 0, "", err };

	if (chat->cur) {
		chat->cur->next = list;
		list = chat->cur;
	}
	chat->cur = NULL;
	chat->head = NULL;
	chat->tail = NULL;
	lines_free(chat->lines, chat->n_lines);
	chat->lines = NULL;
	chat->n_lines = 0;
	chat->cap_lines = 0;

	while (list) {
		cmd = list;
		list = cmd->next;
		if (cmd->done)
			cmd->done(&res, cmd->data);
		cmd_free(cmd);
	}
}

/*
 * at_chat_free - cancel every command (callbacks run with
 * AT_ERR_CANCELLED, commands queued from them are refused) and free the
 * chat.  Not to be called from inside one of its callbacks.
 */
void at_chat_free(struct at_chat *chat)
{
	size_t i;

	if (!chat)
		return;
	chat->freeing = true;
	cancel_all(chat);
	for (i = 0; i < chat->n_urcs; i++)
		free(chat->urcs[i].prefix);
	free(chat->urcs);
	free(chat->out);
	free(chat);
}

static char **copy_prefixes(const char *const *prefixes, bool *fail)
{
	size_t n = 0, i;
	char **p;

	*fail = false;
	if (!prefixes)
		return NULL;
	while (prefixes[n])
		n++;
	p = calloc(n + 1, sizeof(*p));
	if (!p)
		goto fail;
	for (i = 0; i < n; i++) {
		p[i] = strdup(prefixes[i]);
		if (!p[i])
			goto fail_strings;
	}
	return p;

fail_strings:
	while (i--)
		free(p[i]);
	free(p);
fail:
	*fail = true;
	return NULL;
}

static unsigned queue(struct at_chat *chat, const char *cmd_text,
		      const char *pdu, const char *const *prefixes,
		      unsigned timeout_ms, at_done_fn done, void *data,
		      at_destroy_fn destroy)
{
	struct at_cmd *cmd;
	bool fail;

	if (chat->freeing || !cmd_text)
		return 0;
	cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return 0;
	cmd->cmd = strdup(cmd_text);
	if (!cmd->cmd)
		goto fail_cmd;
	if (pdu) {
		cmd->pdu = strdup(pdu);
		if (!cmd->pdu)
			goto fail_cmd;
	}
	cmd->prefixes = copy_prefixes(prefixes, &fail);
	if (fail)
		goto fail_cmd;
	cmd->timeout_ms = timeout_ms;
	cmd->done = done;
	cmd->data = data;
	cmd->destroy = destroy;
	cmd->id = chat->next_id++;
	if (chat->next_id == 0)
		chat->next_id = 1;

	if (chat->tail)
		chat->tail->next = cmd;
	else
		chat->head = cmd;
	chat->tail = cmd;
	start_next(chat);
	return cmd->id;

fail_cmd:
	free(cmd->cmd);
	free(cmd->pdu);
	free(cmd);
	return 0;
}

/*
 * at_chat_send - queue a command; see at.h.  Written at once when
 * nothing is in flight and no resync is running.
 */
unsigned at_chat_send(struct at_chat *chat, const char *cmd,
		      const char *const *prefixes, unsigned timeout_ms,
		      at_done_fn done, void *data, at_destroy_fn destroy)
{
	return queue(chat, cmd, NULL, prefixes, timeout_ms, done, data,
		     destroy);
}

/* at_chat_send_pdu - queue AT+CMGS-style command with a PDU after "> ". */
unsigned at_chat_send_pdu(struct at_chat *chat, const char *cmd,
			  const char *pdu_hex, const char *const *prefixes,
			  unsigned timeout_ms, at_done_fn done, void *data,
			  at_destroy_fn destroy)
{
	if (!pdu_hex)
		return 0;
	return queue(chat, cmd, pdu_hex, prefixes, timeout_ms, done, data,
		     destroy);
}

/*
 * at_chat_cancel - drop a queued command: its callback does not run,
 * its data is released with destroy.  Safe from inside callbacks.
 */
bool at_chat_cancel(struct at_chat *chat, unsigned id)
{
	struct at_cmd **pp, *prev = NULL;

	for (pp = &chat->head; *pp; prev = *pp, pp = &(*pp)->next) {
		struct at_cmd *cmd = *pp;

		if (cmd->id != id)
			continue;
		*pp = cmd->next;
		if (chat->tail == cmd)
			chat->tail = prev;
		cmd_free(cmd);
		return true;
	}
	return false;
}

/*
 * at_chat_reset - after the port was reopened: forget the partial line,
 * pending output, resync state and timeout count; cancel every command
 * (callbacks run with AT_ERR_CANCELLED).  Commands queued by those
 * callbacks are kept and written to the new port.
 */
void at_chat_reset(struct at_chat *chat)
{
	chat->line_len = 0;
	chat->pe = PE_NONE;
	chat->rs = RS_NONE;
	chat->deadline = -1;
	chat->timeouts = 0;
	out_clear(chat);
	cancel_all(chat);
	start_next(chat);
}

/*
 * at_chat_register_urc - call @fn for unsolicited lines starting with
 * @prefix; with @expects_pdu the next line is passed as the PDU.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int at_chat_register_urc(struct at_chat *chat, const char *prefix,
			 bool expects_pdu, at_urc_fn fn, void *data)
{
	struct at_urc *u;
	char *copy;

	if (!prefix || !*prefix || !fn)
		return -EINVAL;
	copy = strdup(prefix);
	if (!copy)
		return -ENOMEM;
	u = realloc(chat->urcs, (chat->n_urcs + 1) * sizeof(*u));
	if (!u) {
		free(copy);
		return -ENOMEM;
	}
	chat->urcs = u;
	u[chat->n_urcs].prefix = copy;
	u[chat->n_urcs].len = strlen(copy);
	u[chat->n_urcs].expects_pdu = expects_pdu;
	u[chat->n_urcs].fn = fn;
	u[chat->n_urcs].data = data;
	chat->n_urcs++;
	return 0;
}

/*
 * at_chat_feed - frame bytes from the modem.  Any run of CR/LF ends a
 * line, NUL bytes are dropped, lines beyond AT_LINE_MAX are truncated,
 * and "> " without line end is the prompt while one is awaited.
 */
void at_chat_feed(struct at_chat *chat, const char *buf, size_t len,
		  int64_t now_ms)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\r' || c == '\n') {
			size_t n = chat->line_len;

			if (n == 0)
				continue;
			chat->line_len = 0;
			chat->line[n] = '\0';
			trace(chat, '<', chat->line, n);
			handle_line(chat, chat->line, now_ms);
			continue;
		}
		if (c == '\0')
			continue;
		if (chat->line_len < AT_LINE_MAX)
			chat->line[chat->line_len++] = c;
		if (chat->line_len == 2 && chat->line[0] == '>' &&
		    chat->line[1] == ' ' && chat->cur &&
		    chat->cur_state == CUR_WAIT_PROMPT) {
			chat->line_len = 0;
			trace(chat, '<', "> ", 2);
			got_prompt(chat);
		}
	}
}

/* at_chat_output - pending bytes for the port; *@buf is borrowed. */
size_t at_chat_output(struct at_chat *chat, const char **buf)
{
	*buf = chat->out + chat->out_off;
	return chat->out_len - chat->out_off;
}

/*
 * at_chat_consumed - @n output bytes were written.  When the last byte
 * of a command is gone the timeout starts.
 */
void at_chat_consumed(struct at_chat *chat, size_t n, int64_t now_ms)
{
	size_t left = chat->out_len - chat->out_off;

	if (left == 0)
		return;
	if (n > left)
		n = left;
	chat->out_off += n;
	if (chat->out_off < chat->out_len)
		return;
	out_clear(chat);

	if (chat->rs == RS_WRITE) {
		chat->rs = RS_WAIT;
		chat->deadline = now_ms + AT_RESYNC_TIMEOUT_MS;
		return;
	}
	if (!chat->cur)
		return;
	switch (chat->cur_state) {
	case CUR_WRITE_CMD:
		chat->cur_state = chat->cur->pdu ? CUR_WAIT_PROMPT :
						   CUR_WAIT_RESP;
		chat->deadline = now_ms + chat->cur->timeout_ms;
		break;
	case CUR_WRITE_PDU:
		chat->cur_state = CUR_WAIT_RESP;
		chat->deadline = now_ms + chat->cur->timeout_ms;
		break;
	case CUR_WAIT_PROMPT:
	case CUR_WAIT_RESP:
		break;
	}
}

/* at_chat_deadline - when at_chat_timeout() wants to run, or -1. */
int64_t at_chat_deadline(const struct at_chat *chat)
{
	return chat->deadline;
}

/*
 * at_chat_timeout - if the deadline passed: fail the command in flight
 * with AT_ERR_TIMEOUT (writing ESC first if a "> " prompt never came),
 * then resync with "AT" every AT_RESYNC_TIMEOUT_MS until OK, then wait
 * AT_RESYNC_SETTLE_MS for a second late OK before the next command.
 */
void at_chat_timeout(struct at_chat *chat, int64_t now_ms)
{
	struct at_error err = { AT_ERR_TIMEOUT, 0 };
	bool esc;

	if (chat->deadline < 0 || now_ms < chat->deadline)
		return;
	chat->deadline = -1;

	switch (chat->rs) {
	case RS_WAIT:
		chat->timeouts++;
		begin_resync(chat, false);
		return;
	case RS_SETTLE:
		chat->rs = RS_NONE;
		chat->pe = PE_NONE;
		start_next(chat);
		return;
	case RS_WRITE:
		return;
	case RS_NONE:
		break;
	}
	if (!waiting(chat))
		return;
	esc = chat->cur_state == CUR_WAIT_PROMPT;
	chat->timeouts++;
	chat->pe = PE_NONE;
	begin_resync(chat, esc);
	complete(chat, &err, "");
}

/* at_chat_timeouts - consecutive timeouts, for dead-modem detection. */
unsigned at_chat_timeouts(const struct at_chat *chat)
{
	return chat->timeouts;
}

/* at_chat_idle - no user command queued or in flight (resync aside). */
bool at_chat_idle(const struct at_chat *chat)
{
	return !chat->cur && !chat->head;
}

/* at_chat_set_trace - raw line trace hook; NULL turns it off. */
void at_chat_set_trace(struct at_chat *chat, at_trace_fn fn, void *data)
{
	chat->trace = fn;
	chat->trace_data = data;
}

/* ------------------------------------------------------------------ */
/* Field iterator.  it->pos == NULL: no fields left.                   */

static void skip_spaces(struct at_iter *it)
{
	while (it->pos < it->end && *it->pos == ' ')
		it->pos++;
}

/* After a field: spaces, then ',' (another field follows) or the end. */
static bool field_end(struct at_iter *it)
{
	skip_spaces(it);
	if (it->pos == it->end) {
		it->pos = NULL;
		return true;
	}
	if (*it->pos != ',')
		return false;
	it->pos++;
	return true;
}

/*
 * at_iter_begin - start iterating over @line after @prefix (may be NULL).
 * False if @line does not start with @prefix.
 */
bool at_iter_begin(struct at_iter *it, const char *line, const char *prefix)
{
	size_t n;

	it->pos = NULL;
	it->end = NULL;
	if (!line)
		return false;
	if (prefix) {
		n = strlen(prefix);
		if (strncmp(line, prefix, n) != 0)
			return false;
		line += n;
	}
	it->pos = line;
	it->end = line + strlen(line);
	skip_spaces(it);
	return true;
}

/* at_iter_next_number - a decimal integer field (optional '-'). */
bool at_iter_next_number(struct at_iter *it, int *out)
{
	const char *save = it->pos;
	bool neg = false;
	int v = 0;
	int digits = 0;

	if (!it->pos)
		return false;
	skip_spaces(it);
	if (it->pos < it->end && *it->pos == '-') {
		neg = true;
		it->pos++;
	}
	while (it->pos < it->end && isdigit((unsigned char)*it->pos)) {
		int d = *it->pos++ - '0';

		/* checked before it happens: long is 32 bits on armhf */
		if (v > (INT_MAX - d) / 10)
			goto fail;
		v = v * 10 + d;
		digits++;
	}
	if (!digits || !field_end(it))
		goto fail;
	*out = neg ? -v : v;
	return true;

fail:
	it->pos = save;
	return false;
}

/*
 * The end both string readers share: the field ends at the iterator
 * (field_end) and its N bytes at START fit BUF (SIZE): copy them,
 * NUL-terminated.  Else the iterator goes back to SAVE and false.
 */
static bool field_take(struct at_iter *it, const char *save,
		       const char *start, size_t n, char *buf, size_t size)
{
	if (n >= size || !field_end(it)) {
		it->pos = save;
		return false;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	return true;
}

/*
 * at_iter_next_string - a quoted string field into @buf (NUL-terminated);
 * an empty field gives "".  False if unquoted, unterminated or too long.
 */
bool at_iter_next_string(struct at_iter *it, char *buf, size_t size)
{
	const char *save = it->pos, *start;
	size_t n;

	if (!it->pos || size == 0)
		return false;
	skip_spaces(it);
	if (it->pos == it->end || *it->pos == ',') {
		if (!field_end(it))
			goto fail;
		buf[0] = '\0';
		return true;
	}
	if (*it->pos != '"')
		goto fail;
	start = ++it->pos;
	while (it->pos < it->end && *it->pos != '"')
		it->pos++;
	if (it->pos == it->end)
		goto fail;
	n = (size_t)(it->pos - start);
	it->pos++;
	return field_take(it, save, start, n, buf, size);

fail:
	it->pos = save;
	return false;
}

/*
 * at_iter_next_unquoted - a bare token up to the next comma (trailing
 * spaces trimmed).  False for quoted or parenthesised fields or when
 * @buf is too small.
 */
bool at_iter_next_unquoted(struct at_iter *it, char *buf, size_t size)
{
	const char *save = it->pos, *start, *stop;

	if (!it->pos || size == 0)
		return false;
	skip_spaces(it);
	start = it->pos;
	if (start < it->end && (*start == '"' || *start == '('))
		goto fail;
	while (it->pos < it->end && *it->pos != ',')
		it->pos++;
	stop = it->pos;
	while (stop > start && stop[-1] == ' ')
		stop--;
	return field_take(it, save, start, (size_t)(stop - start), buf, size);

fail:
	it->pos = save;
	return false;
}

/* at_iter_skip - step over one field of any kind (empty ones too). */
bool at_iter_skip(struct at_iter *it)
{
	const char *save = it->pos;
	int depth = 0;
	bool quoted = false;

	if (!it->pos)
		return false;
	while (it->pos < it->end) {
		char c = *it->pos;

		if (quoted) {
			if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth > 0)
				depth--;
		} else if (c == ',' && depth == 0) {
			break;
		}
		it->pos++;
	}
	if (quoted || depth) {
		it->pos = save;
		return false;
	}
	if (it->pos == it->end)
		it->pos = NULL;
	else
		it->pos++;
	return true;
}

static bool range_number(struct at_iter *it, long *v)
{
	int digits = 0;

	*v = 0;
	skip_spaces(it);
	while (it->pos < it->end && isdigit((unsigned char)*it->pos)) {
		if (*v < 1000000)
			*v = *v * 10 + (*it->pos - '0');
		it->pos++;
		digits++;
	}
	skip_spaces(it);
	return digits > 0;
}

static void set_bits(uint32_t *bits, long lo, long hi)
{
	long v;

	if (hi > 31)
		hi = 31;
	for (v = lo; v <= hi; v++)
		*bits |= UINT32_C(1) << v;
}

/*
 * at_iter_next_range - "(0-3)", "(0,1,2)", "(0-2,4)" or "()": one bit
 * per allowed value 0..31 (larger values are ignored).
 */
bool at_iter_next_range(struct at_iter *it, uint32_t *bits)
{
	const char *save = it->pos;
	uint32_t b = 0;
	long lo, hi;

	if (!it->pos)
		return false;
	skip_spaces(it);
	if (it->pos == it->end || *it->pos != '(')
		goto fail;
	it->pos++;
	skip_spaces(it);
	if (it->pos < it->end && *it->pos == ')') {
		it->pos++;
		goto done;
	}
	for (;;) {
		if (!range_number(it, &lo))
			goto fail;
		hi = lo;
		if (it->pos < it->end && *it->pos == '-') {
			it->pos++;
			if (!range_number(it, &hi) || hi < lo)
				goto fail;
		}
		set_bits(&b, lo, hi);
		if (it->pos == it->end)
			goto fail;
		if (*it->pos == ')') {
			it->pos++;
			break;
		}
		if (*it->pos != ',')
			goto fail;
		it->pos++;
	}
done:
	if (!field_end(it))
		goto fail;
	*bits = b;
	return true;

fail:
	it->pos = save;
	return false;
}
