/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim AT commands: the line framer, the command table
 * (name -> handler, with the forms each answers) and the handlers
 * (27.007, 27.005 PDU mode, and the vendor commands the profiles list).
 * Replies keep their order on the line; faults set over the control
 * socket bend them (no answer, garbage, slow, +CMS ERROR, ...).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modem/gsm7.h"
#include "modemsim_priv.h"

/* ------------------------------------------------------------------ */
/* result codes                                                         */

static const char *cmd_cme_text(int code)
{
	switch (code) {
	case 3: return "operation not allowed";
	case 4: return "operation not supported";
	case 10: return "SIM not inserted";
	case 11: return "SIM PIN required";
	case 12: return "SIM PUK required";
	case 13: return "SIM failure";
	case 16: return "incorrect password";
	case 30: return "no network service";
	case 50: return "incorrect parameters";
	default: return "unknown";
	}
}

static const char *cmd_cms_text(int code)
{
	switch (code) {
	case 300: return "ME failure";
	case 302: return "operation not allowed";
	case 303: return "operation not supported";
	case 304: return "invalid PDU mode parameter";
	case 310: return "SIM not inserted";
	case 311: return "SIM PIN required";
	case 316: return "SIM PUK required";
	case 321: return "invalid memory index";
	case 322: return "memory full";
	case 330: return "SMSC address unknown";
	case 331: return "no network service";
	case 340: return "no +CNMA acknowledgement expected";
	default: return "unknown error";
	}
}

static void cmd_ok(struct buf *r)
{
	buf_str(r, "\r\nOK\r\n");
}

static void cmd_error(struct buf *r)
{
	buf_str(r, "\r\nERROR\r\n");
}

static void cmd_line(struct buf *r, const char *line)
{
	buf_printf(r, "\r\n%s\r\n", line);
}

/* A command's one information line, then OK. */
static void cmd_answer(struct buf *r, const char *line)
{
	cmd_line(r, line);
	cmd_ok(r);
}

static void cmd_cme(struct sim *s, struct buf *r, int code)
{
	if (s->cmee == 1)
		buf_printf(r, "\r\n+CME ERROR: %d\r\n", code);
	else if (s->cmee == 2)
		buf_printf(r, "\r\n+CME ERROR: %s\r\n", cmd_cme_text(code));
	else
		cmd_error(r);
}

/* 27.005 errors are reported whatever AT+CMEE says; text with CMEE=2. */
static void cmd_cms(struct sim *s, struct buf *r, int code)
{
	if (s->cmee == 2)
		buf_printf(r, "\r\n+CMS ERROR: %s\r\n", cmd_cms_text(code));
	else
		buf_printf(r, "\r\n+CMS ERROR: %d\r\n", code);
}

/* ------------------------------------------------------------------ */
/* AT argument parsing (no sscanf)                                      */

#define MAX_ARGS 8

struct args {
	int n;
	char v[MAX_ARGS][128];
	bool quoted[MAX_ARGS];
};

/* Split "a,"b",,3" into fields; false on bad quoting or too many. */
static bool cmd_split_args(const char *p, struct args *a)
{
	memset(a, 0, sizeof(*a));
	if (!*p)
		return true;
	for (;;) {
		size_t k = 0;
		char *v;

		if (a->n >= MAX_ARGS)
			return false;
		v = a->v[a->n];
		while (*p == ' ')
			p++;
		if (*p == '"') {
			a->quoted[a->n] = true;
			p++;
			while (*p && *p != '"') {
				if (k + 1 >= sizeof(a->v[0]))
					return false;
				v[k++] = *p++;
			}
			if (*p != '"')
				return false;
			p++;
			while (*p == ' ')
				p++;
		} else {
			while (*p && *p != ',') {
				if (k + 1 >= sizeof(a->v[0]))
					return false;
				v[k++] = *p++;
			}
			while (k && v[k - 1] == ' ')
				k--;
		}
		v[k] = '\0';
		a->n++;
		if (!*p)
			return true;
		if (*p != ',')
			return false;
		p++;
	}
}

static bool cmd_arg_int(const struct args *a, int i, int lo, int hi, int *out)
{
	if (i >= a->n || a->quoted[i])
		return false;
	return sim_parse_int(a->v[i], lo, hi, out);
}

/* Decode a UCS2 hex string of ASCII characters (AT+CSCS="UCS2"). */
static bool cmd_ucs2_to_ascii(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), i, k = 0;

	if (n % 4 || !sim_is_hex(in, n))
		return false;
	for (i = 0; i < n; i += 4) {
		int v = (hex_val(in[i]) << 12) | (hex_val(in[i + 1]) << 8) |
			(hex_val(in[i + 2]) << 4) | hex_val(in[i + 3]);

		if (v < 0x20 || v > 0x7e || k + 1 >= size)
			return false;
		out[k++] = (char)v;
	}
	out[k] = '\0';
	return true;
}

/* ASCII string as the modem shows it under the current AT+CSCS. */
static void cmd_cs_string(const struct sim *s, const char *in, char *out,
			  size_t size)
{
	size_t k = 0;

	if (strcasecmp(s->cscs, "UCS2")) {
		snprintf(out, size, "%s", in);
		return;
	}
	for (; *in && k + 5 < size; in++)
		k += snprintf(out + k, size - k, "%04X", (unsigned char)*in);
	out[k] = '\0';
}

/*
 * Huawei USSD strings: GSM 7-bit packed, as hex.  @in is an ASCII
 * string of characters the default alphabet shares with ASCII.
 */
static void cmd_pack_ascii(const char *in, char *out, size_t size)
{
	uint8_t septets[200], packed[200];
	size_t n = 0, i, k = 0;
	int len;

	for (; *in && n < sizeof(septets) - 1; in++) {
		uint8_t sp[2];

		if (gsm7_from_cp((unsigned char)*in, sp) == 1)
			septets[n++] = sp[0];
	}
	if (n % 8 == 7)
		septets[n++] = '\r';	/* 23.038: CR pads a spare septet */
	memset(packed, 0, sizeof(packed));
	len = gsm7_pack(septets, n, 0, packed, sizeof(packed));
	out[0] = '\0';
	for (i = 0; len > 0 && i < (size_t)len && k + 3 <= size; i++)
		k += snprintf(out + k, size - k, "%02X", packed[i]);
}

static bool cmd_unpack_ascii(const char *hex, char *out, size_t size)
{
	uint8_t bytes[128], septets[160];
	size_t len = strlen(hex) / 2, n, i;

	if (strlen(hex) % 2 || len > sizeof(bytes))
		return false;
	for (i = 0; i < len; i++)
		bytes[i] = (uint8_t)(hex_val(hex[2 * i]) << 4 |
				     hex_val(hex[2 * i + 1]));
	n = len * 8 / 7;
	if (gsm7_unpack(bytes, len, 0, n, septets) < 0)
		return false;
	if (n && (septets[n - 1] == '\r' || septets[n - 1] == 0))
		n--;
	return gsm7_to_utf8(septets, n, out, size) >= 0;
}

/* ------------------------------------------------------------------ */
/* AT commands                                                          */

enum cmd_form { FORM_EXEC, FORM_QUERY, FORM_TEST, FORM_SET };

/* What happens after the reply has gone out. */
struct after {
	bool flush_pending;
	bool ready;
	bool reboot;
	char cusd[512];
};

/* One parsed command line. */
struct cmd {
	char name[32];		/* upper case, e.g. "+CMGS" */
	enum cmd_form form;
	const char *rest;	/* FORM_SET: after "="; FORM_EXEC: after the
				 * name; "" otherwise */
	struct args args;
	bool args_ok;
	struct after *af;	/* borrowed: filled in by the handler */
};

/* A set form ("AT+X=...") whose @min..@max arguments parsed. */
static bool cmd_set_args(const struct cmd *c, int min, int max)
{
	return c->form == FORM_SET && c->args_ok && c->args.n >= min &&
	       c->args.n <= max;
}

static bool cmd_need_sim(struct sim *s, struct buf *r, bool sms)
{
	int code;

	if (net_sim_ready(s))
		return true;
	if (s->pin_state == PIN_NEED_PIN)
		code = sms ? 311 : 11;
	else if (s->pin_state == PIN_NEED_PUK)
		code = sms ? 316 : 12;
	else
		code = sms ? 310 : 13;
	if (sms)
		cmd_cms(s, r, code);
	else
		cmd_cme(s, r, code);
	return false;
}

/*
 * One AT+CPIN attempt with a PIN or a PUK: the right one unlocks the
 * SIM, a wrong one uses up one of @left and, at none left, the SIM
 * falls to @locked (PUK needed, or blocked).
 */
static void cpin_attempt(struct sim *s, struct buf *r, struct after *af,
			 bool right, int *left, enum pin_state locked)
{
	if (right) {
		s->pin_state = PIN_READY;
		s->pin_left = 3;
		cmd_ok(r);
		af->ready = true;
		return;
	}
	if (--*left <= 0) {
		*left = 0;
		s->pin_state = locked;
	}
	cmd_cme(s, r, 16);
}

static void cmd_cpin(struct sim *s, struct cmd *c, struct buf *r)
{
	struct after *af = c->af;
	char line[64];
	bool right;

	if (c->form == FORM_QUERY) {
		snprintf(line, sizeof(line), "+CPIN: %s",
			 s->pin_state == PIN_READY ? "READY" :
			 s->pin_state == PIN_NEED_PIN ? "SIM PIN" :
			 s->pin_state == PIN_NEED_PUK ? "SIM PUK" : "SIM PUK2");
		if (s->pin_state == PIN_BLOCKED) {
			cmd_cme(s, r, 13);
			return;
		}
		cmd_answer(r, line);
		return;
	}
	if (c->form == FORM_TEST) {
		cmd_ok(r);
		return;
	}
	if (!cmd_set_args(c, 1, MAX_ARGS)) {
		cmd_cme(s, r, 50);
		return;
	}
	switch (s->pin_state) {
	case PIN_READY:
		cmd_cme(s, r, 3);
		return;
	case PIN_BLOCKED:
		cmd_cme(s, r, 13);
		return;
	case PIN_NEED_PIN:
		cpin_attempt(s, r, af, !strcmp(c->args.v[0], s->pin),
			     &s->pin_left, PIN_NEED_PUK);
		return;
	case PIN_NEED_PUK:
		if (c->args.n < 2 || !c->args.v[1][0] ||
		    strlen(c->args.v[1]) >= sizeof(s->pin)) {
			cmd_cme(s, r, 12);
			return;
		}
		right = !strcmp(c->args.v[0], s->puk);
		if (right) {	/* the new PIN, and a fresh PUK count */
			memcpy(s->pin, c->args.v[1], strlen(c->args.v[1]) + 1);
			s->has_pin = true;
			s->puk_left = 10;
		}
		cpin_attempt(s, r, af, right, &s->puk_left, PIN_BLOCKED);
		return;
	}
}

/* PIN/PUK attempts left, each vendor its own way. */
static void cmd_pin_query(struct sim *s, struct cmd *c, struct buf *r)
{
	const char *q = s->prof->pin_query;
	const char *code = s->pin_state == PIN_READY ? "READY" :
			   s->pin_state == PIN_NEED_PIN ? "SIM PIN" : "SIM PUK";

	if (c->form == FORM_TEST) {
		cmd_ok(r);
		return;
	}
	if (!strcmp(q, "+CPINR")) {
		/* 27.007: AT+CPINR[=<sel_code>] */
		bool pin = true, puk = true;

		if (c->form == FORM_SET && c->args_ok && c->args.n >= 1) {
			pin = !strcasecmp(c->args.v[0], "SIM PIN") ||
			      strchr(c->args.v[0], '*');
			puk = !strcasecmp(c->args.v[0], "SIM PUK") ||
			      strchr(c->args.v[0], '*');
		} else if (c->form != FORM_EXEC) {
			cmd_cme(s, r, 50);
			return;
		}
		if (pin)
			buf_printf(r, "\r\n+CPINR: SIM PIN,%d,3", s->pin_left);
		if (puk)
			buf_printf(r, "\r\n+CPINR: SIM PUK,%d,10", s->puk_left);
		if (pin || puk)
			buf_str(r, "\r\n");
		cmd_ok(r);
	} else if (!strcmp(q, "^CPIN") && c->form == FORM_QUERY) {
		/* ^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2>,<pin2> */
		buf_printf(r, "\r\n^CPIN: %s,%d,%d,%d,10,3\r\n", code,
			   s->pin_state == PIN_NEED_PIN ? s->pin_left :
			   s->pin_state == PIN_NEED_PUK ? s->puk_left : 0,
			   s->puk_left, s->pin_left);
		cmd_ok(r);
	} else if (!strcmp(q, "+SPIC") && c->form == FORM_EXEC) {
		/* +SPIC: <pin1>,<puk1>,<pin2>,<puk2> */
		buf_printf(r, "\r\n+SPIC: %d,%d,3,10\r\n", s->pin_left,
			   s->puk_left);
		cmd_ok(r);
	} else if (!strcmp(q, "+QPINC") && (c->form == FORM_QUERY ||
					     c->form == FORM_SET)) {
		buf_printf(r, "\r\n+QPINC: \"SC\",%d,%d\r\n+QPINC: \"P2\",3,10\r\n",
			   s->pin_left, s->puk_left);
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 50);
	}
}

static void cmd_cnmi(struct sim *s, struct cmd *c, struct buf *r)
{
	const struct profile *p = s->prof;
	int v[5] = { 0 };
	int i;

	if (c->form == FORM_TEST) {
		cmd_answer(r, p->cnmi_test);
		return;
	}
	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CNMI: %d,%d,%d,%d,%d\r\n", s->cnmi[0],
			   s->cnmi[1], s->cnmi[2], s->cnmi[3], s->cnmi[4]);
		cmd_ok(r);
		return;
	}
	if (!cmd_set_args(c, 1, 5)) {
		cmd_cms(s, r, 303);
		return;
	}
	for (i = 0; i < 5; i++) {
		if (i >= c->args.n || !c->args.v[i][0]) {
			v[i] = i == 0 ? s->cnmi[0] : 0;
			continue;
		}
		if (!cmd_arg_int(&c->args, i, 0, 31, &v[i]) ||
		    !prof_cnmi_accepts(p, i, v[i])) {
			cmd_cms(s, r, 303);
			return;
		}
	}
	if (p->reject_mt1_ds2 && v[1] == 1 && v[3] == 2) {
		cmd_cms(s, r, 303);
		return;
	}
	memcpy(s->cnmi, v, sizeof(v));
	cmd_ok(r);
}

static void cmd_list_entry(struct sim *s, struct buf *r, int i)
{
	struct slot *sl = &s->slots[i];

	buf_printf(r, "\r\n+CMGL: %d,%d,,%zu\r\n%s", i + s->prof->first_index,
		   sl->stat, sl->tpdu_len, sl->hex);
}

static void cmd_cmgl(struct sim *s, struct cmd *c, struct buf *r)
{
	int stat = 4, keep = 0, i, listed = 0;
	struct fault *f = &s->faults[F_URC_IN_LIST];

	if (!cmd_need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		cmd_answer(r, s->cmgf ? "+CMGL: (\"REC UNREAD\",\"REC READ\","
				    "\"STO UNSENT\",\"STO SENT\",\"ALL\")" :
			      "+CMGL: (0-4)");
		return;
	}
	if (s->cmgf == 1) {
		cmd_error(r);	/* text mode is not simulated */
		return;
	}
	if (c->form == FORM_SET) {
		if (!c->args_ok || !cmd_arg_int(&c->args, 0, 0, 4, &stat) ||
		    (c->args.n > 1 && !cmd_arg_int(&c->args, 1, 0, 1, &keep))) {
			cmd_cms(s, r, 302);
			return;
		}
	} else if (c->form == FORM_EXEC) {
		stat = 0;	/* 27.005 default: received unread */
	} else {
		cmd_cms(s, r, 302);
		return;
	}
	for (i = 0; i < s->capacity; i++) {
		struct slot *sl = &s->slots[i];

		if (!sl->used || (stat != 4 && sl->stat != stat))
			continue;
		if (listed) {
			/* URCs arrive between entries, as on real modems */
			if (f->count) {
				char line[64];

				f->count--;
				if (s->cnmi[0] >= 1 && (s->cnmi[1] == 1 ||
							s->cnmi[1] == 3)) {
					snprintf(line, sizeof(line),
						 "\r\n+CMTI: \"SM\",%d",
						 s->prof->first_index + i);
					buf_str(r, line);
				}
				buf_printf(r, "\r\n^RSSI: %d", s->signal);
			}
			if (s->prof->periodic_noise && s->curc &&
			    sim_rand(s) % 4 == 0)
				buf_printf(r, "\r\n^RSSI: %d", s->signal);
		}
		cmd_list_entry(s, r, i);
		listed++;
		if (!keep && sl->stat == 0)
			sl->stat = 1;
	}
	if (listed)
		buf_str(r, "\r\n");
	cmd_ok(r);
}

static bool cmd_slot_index(struct sim *s, const struct args *a, int k, int *idx)
{
	int v;

	if (!cmd_arg_int(a, k, 0, 100000, &v))
		return false;
	v -= s->prof->first_index;
	if (v < 0 || v >= s->capacity)
		return false;
	*idx = v;
	return true;
}

/*
 * The start of AT+CMGR and AT+CMGS: the SIM must be ready and the test
 * form is a bare OK.  False when that is the whole answer.
 */
static bool cmd_sms_start(struct sim *s, struct cmd *c, struct buf *r)
{
	if (!cmd_need_sim(s, r, true))
		return false;
	if (c->form == FORM_TEST) {
		cmd_ok(r);
		return false;
	}
	return true;
}

static void cmd_cmgr(struct sim *s, struct cmd *c, struct buf *r)
{
	int i;
	struct slot *sl;

	if (!cmd_sms_start(s, c, r))
		return;
	if (s->cmgf == 1) {
		cmd_error(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok || !cmd_slot_index(s, &c->args, 0, &i)) {
		cmd_cms(s, r, 321);
		return;
	}
	sl = &s->slots[i];
	if (!sl->used) {
		if (s->prof->empty_read_ok)
			cmd_ok(r);
		else
			cmd_cms(s, r, 321);
		return;
	}
	if (s->faults[F_CMGR_OTHER].count) {
		/* a buggy modem: another stored message's PDU for index i */
		int j;

		for (j = 0; j < s->capacity; j++)
			if (j != i && s->slots[j].used)
				break;
		if (j < s->capacity) {
			s->faults[F_CMGR_OTHER].count--;
			sl = &s->slots[j];
		}
	}
	buf_printf(r, "\r\n+CMGR: %d,,%zu\r\n%s\r\n", sl->stat, sl->tpdu_len,
		   sl->hex);
	if (sl->stat == 0)
		sl->stat = 1;
	cmd_ok(r);
}

static void cmd_cmgd(struct sim *s, struct cmd *c, struct buf *r)
{
	struct after *af = c->af;
	int idx = -1, flag = 0, i;

	if (!cmd_need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		buf_printf(r, "\r\n+CMGD: (%d-%d),(0-4)\r\n",
			   s->prof->first_index,
			   s->prof->first_index + s->capacity - 1);
		cmd_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok) {
		cmd_cms(s, r, 302);
		return;
	}
	if (c->args.n > 1 && !cmd_arg_int(&c->args, 1, 0, 4, &flag)) {
		cmd_cms(s, r, 302);
		return;
	}
	if (flag == 0 && !cmd_slot_index(s, &c->args, 0, &idx)) {
		cmd_cms(s, r, 321);
		return;
	}
	if (flag == 0) {
		net_slot_clear(&s->slots[idx]);
	} else {
		for (i = 0; i < s->capacity; i++) {
			struct slot *sl = &s->slots[i];

			if (!sl->used)
				continue;
			if (flag == 4 || sl->stat == 1 ||
			    (flag >= 2 && sl->stat == 3) ||
			    (flag >= 3 && sl->stat == 2))
				net_slot_clear(sl);
		}
	}
	cmd_ok(r);
	af->flush_pending = true;
}

static void cmd_cpms(struct sim *s, struct cmd *c, struct buf *r)
{
	int used, i;

	if (!cmd_need_sim(s, r, true))
		return;
	used = net_slots_used(s);
	if (c->form == FORM_TEST) {
		cmd_answer(r, "+CPMS: (\"SM\"),(\"SM\"),(\"SM\")");
		return;
	}
	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CPMS: \"SM\",%d,%d,\"SM\",%d,%d,\"SM\",%d,%d\r\n",
			   used, s->capacity, used, s->capacity, used,
			   s->capacity);
		cmd_ok(r);
		return;
	}
	if (!cmd_set_args(c, 1, 3)) {
		cmd_cms(s, r, 302);
		return;
	}
	for (i = 0; i < c->args.n; i++) {
		if (strcasecmp(c->args.v[i], "SM")) {
			cmd_cms(s, r, 302);	/* only SIM storage here */
			return;
		}
	}
	buf_printf(r, "\r\n+CPMS: %d,%d,%d,%d,%d,%d\r\n", used, s->capacity,
		   used, s->capacity, used, s->capacity);
	cmd_ok(r);
}

static void cmd_cmgs(struct sim *s, struct cmd *c, struct buf *r)
{
	int len;
	struct fault *np = &s->faults[F_NOPROMPT];
	struct fault *up = &s->faults[F_URC_IN_PROMPT];

	if (!cmd_sms_start(s, c, r))
		return;
	if (s->cmgf == 1) {
		cmd_cms(s, r, 302);	/* text mode sending not simulated */
		return;
	}
	if (c->form != FORM_SET || !c->args_ok ||
	    !cmd_arg_int(&c->args, 0, 1, 164, &len)) {
		cmd_cms(s, r, 304);
		return;
	}
	if (!net_up(s)) {
		cmd_cms(s, r, 331);
		return;
	}
	s->entry = true;
	s->cmgs_len = len;
	s->pdu_len = 0;
	s->pdu_overflow = false;
	if (up->count) {
		int i;

		up->count--;
		for (i = s->capacity - 1; i >= 0; i--)
			if (s->slots[i].used)
				break;
		if (i >= 0 && s->cnmi[0] >= 1 &&
		    (s->cnmi[1] == 1 || s->cnmi[1] == 3))
			buf_printf(r, "\r\n+CMTI: \"SM\",%d\r\n",
				   i + s->prof->first_index);
		buf_printf(r, "\r\n^RSSI: %d\r\n", s->signal);
	}
	if (np->count) {
		np->count--;	/* waits for the PDU without saying so */
		return;
	}
	buf_str(r, "\r\n> ");
}

static void cmd_cusd(struct sim *s, struct cmd *c, struct buf *r)
{
	struct after *af = c->af;
	int n;
	char code[128], text[256];

	if (c->form == FORM_QUERY) {
		cmd_answer(r, "+CUSD: 0");
		return;
	}
	if (c->form == FORM_TEST) {
		cmd_answer(r, "+CUSD: (0-2)");
		return;
	}
	if (c->form != FORM_SET || !c->args_ok ||
	    !cmd_arg_int(&c->args, 0, 0, 2, &n)) {
		cmd_cme(s, r, 50);
		return;
	}
	if (n == 2 || c->args.n < 2) {
		cmd_ok(r);
		return;
	}
	if (!cmd_need_sim(s, r, false))
		return;
	if (!net_up(s)) {
		cmd_cme(s, r, 30);
		return;
	}
	if (s->prof->ussd_packed && sim_is_hex(c->args.v[1], strlen(c->args.v[1]))) {
		if (!cmd_unpack_ascii(c->args.v[1], code, sizeof(code))) {
			cmd_cme(s, r, 50);
			return;
		}
	} else if (!strcasecmp(s->cscs, "UCS2")) {
		if (!cmd_ucs2_to_ascii(c->args.v[1], code, sizeof(code))) {
			cmd_cme(s, r, 50);
			return;
		}
	} else {
		snprintf(code, sizeof(code), "%s", c->args.v[1]);
	}
	cmd_ok(r);
	if (!strcmp(code, "*100#") || !strcmp(code, "*101#") ||
	    !strcmp(code, "#100#")) {
		snprintf(text, sizeof(text),
			 "Dear customer, your balance %s yuan, valid until "
			 "2027-06-30.", s->balance);
		if (s->prof->ussd_packed)
			cmd_pack_ascii(text, af->cusd + 1, sizeof(af->cusd) - 1);
		else
			cmd_cs_string(s, text, af->cusd + 1, sizeof(af->cusd) - 1);
		af->cusd[0] = '0';
	} else {
		af->cusd[0] = '4';	/* operation not supported */
		af->cusd[1] = '\0';
	}
}

static void cmd_csca(struct sim *s, struct cmd *c, struct buf *r)
{
	char v[160];

	if (c->form == FORM_QUERY) {
		if (!cmd_need_sim(s, r, true))
			return;
		cmd_cs_string(s, s->smsc, v, sizeof(v));
		buf_printf(r, "\r\n+CSCA: \"%s\",%d\r\n", v,
			   s->smsc[0] == '+' ? 145 : 129);
		cmd_ok(r);
		return;
	}
	if (c->form == FORM_SET && c->args_ok && c->args.n >= 1) {
		if (!strcasecmp(s->cscs, "UCS2")) {
			if (!cmd_ucs2_to_ascii(c->args.v[0], v, sizeof(v))) {
				cmd_cms(s, r, 304);
				return;
			}
		} else {
			snprintf(v, sizeof(v), "%s", c->args.v[0]);
		}
		if (!v[0] || strlen(v) >= sizeof(s->smsc)) {
			cmd_cms(s, r, 304);
			return;
		}
		memcpy(s->smsc, v, strlen(v) + 1);
		cmd_ok(r);
		return;
	}
	if (c->form == FORM_TEST) {
		cmd_ok(r);
		return;
	}
	cmd_cms(s, r, 302);
}

/* "1" style settings: AT+X=n with n in [lo,hi], AT+X? -> +X: n. */
static void cmd_simple_int(struct sim *s, struct cmd *c, struct buf *r,
			   int *var, int lo, int hi, const char *range)
{
	int v;

	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n%s: %d\r\n", c->name, *var);
		cmd_ok(r);
	} else if (c->form == FORM_TEST) {
		buf_printf(r, "\r\n%s: %s\r\n", c->name, range);
		cmd_ok(r);
	} else if (c->form == FORM_SET && c->args_ok &&
		   cmd_arg_int(&c->args, 0, lo, hi, &v)) {
		*var = v;
		cmd_ok(r);
	} else if (c->form == FORM_EXEC) {
		*var = lo;
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 50);
	}
}

static void cmd_info(struct sim *s, struct cmd *c, struct buf *r,
		     const char *info)
{
	(void)s;
	if (c->form == FORM_TEST) {
		cmd_ok(r);
		return;
	}
	if (c->form != FORM_EXEC) {
		cmd_error(r);
		return;
	}
	cmd_answer(r, info);
}

static void cmd_parse(const char *line, struct cmd *c)
{
	const char *p = line + 2;
	size_t k = 0;

	memset(c, 0, sizeof(*c));
	/* extended names run to '=' or '?'; basic ones are letters+digits */
	if (*p == '+' || *p == '^' || *p == '&' || *p == '$') {
		c->name[k++] = *p++;
		while (*p && *p != '=' && *p != '?' && k + 1 < sizeof(c->name))
			c->name[k++] = toupper((unsigned char)*p++);
	} else {
		while (*p && isalpha((unsigned char)*p) && k + 1 < sizeof(c->name))
			c->name[k++] = toupper((unsigned char)*p++);
	}
	c->name[k] = '\0';
	c->rest = "";
	if (!strcmp(p, "?")) {
		c->form = FORM_QUERY;
	} else if (!strcmp(p, "=?")) {
		c->form = FORM_TEST;
	} else if (*p == '=') {
		c->form = FORM_SET;
		c->rest = p + 1;
		c->args_ok = cmd_split_args(p + 1, &c->args);
	} else {
		c->form = FORM_EXEC;
		c->rest = p;
		c->args_ok = cmd_split_args("", &c->args);
	}
}

/*
 * A chain of basic commands such as "E0V1Q0&C1" (not ATI/ATZ/ATS, which
 * are handled one at a time).  False when @p is not such a chain.
 */
static bool cmd_basic_chain(struct sim *s, const char *p, struct buf *r)
{
	bool echo = s->echo;

	if (!*p)
		return false;
	while (*p) {
		char ch = toupper((unsigned char)*p++);
		int v = 0;

		if (ch == '&')
			ch = (char)tolower((unsigned char)*p++);
		if (!strchr("EVQXc&dw", ch) || !ch)
			return false;
		while (isdigit((unsigned char)*p))
			v = v * 10 + (*p++ - '0');
		if (ch == 'E') {
			if (v > 1)
				return false;
			echo = v;
		} else if ((ch == 'V' && v != 1) || (ch == 'Q' && v != 0)) {
			return false;	/* numeric/quiet results: not simulated */
		}
	}
	s->echo = echo;
	cmd_ok(r);
	return true;
}

/* AT (and "AT="): nothing after the prefix. */
static void cmd_at(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)s;
	if (c->rest[0])
		cmd_error(r);	/* "AT5": not a command */
	else
		cmd_ok(r);
}

/* ATE, ATE0, ATE1 when not part of a basic chain. */
static void cmd_echo(struct sim *s, struct cmd *c, struct buf *r)
{
	if (!strcmp(c->rest, "0") || !strcmp(c->rest, "1") || !*c->rest) {
		s->echo = *c->rest == '1';
		cmd_ok(r);
	} else {
		cmd_error(r);
	}
}

/* ATI: the profile's lines as one block "\r\nline1\r\nline2\r\n". */
static void cmd_ati(struct sim *s, struct cmd *c, struct buf *r)
{
	const char *a;

	(void)c;
	buf_str(r, "\r\n");
	for (a = s->prof->ati; *a; a++)
		buf_str(r, *a == '\n' ? "\r\n" : (char[2]){ *a, 0 });
	buf_str(r, "\r\n");
	cmd_ok(r);
}

/* ATZ, AT&F: back to the power-up settings. */
static void cmd_reset(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)c;
	sim_settings_reset(s);
	cmd_ok(r);
}

/* Accepted and ignored (ATS, AT&W, AT+CSMP=..., AT+QCFG=...). */
static void cmd_accept(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)s;
	(void)c;
	cmd_ok(r);
}

/* ATV1 / ATQ0 only: numeric or quiet results are not simulated. */
static void cmd_verbose(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)s;
	if (!strcmp(c->rest, c->name[0] == 'V' ? "1" : "0"))
		cmd_ok(r);
	else
		cmd_error(r);
}

static void cmd_cmee(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_simple_int(s, c, r, &s->cmee, 0, 2, "(0-2)");
}

static void cmd_cgmi(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, s->prof->manufacturer);
}

static void cmd_cgmm(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, s->prof->model);
}

static void cmd_cgmr(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, s->prof->revision);
}

static void cmd_cgsn(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, s->prof->imei);
}

static void cmd_gcap(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, "+GCAP: +CGSM,+DS,+ES");
}

static void cmd_cimi(struct sim *s, struct cmd *c, struct buf *r)
{
	if (cmd_need_sim(s, r, false))
		cmd_info(s, c, r, "460001234567890");
}

/* SIMCom AT+CCID, Quectel AT+QCCID. */
static void cmd_ccid(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_info(s, c, r, c->name[1] == 'Q' ? "+QCCID: 89860012345678901234" :
			  "89860012345678901234");
}

/* Huawei AT^ICCID? */
static void cmd_iccid(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)s;
	(void)c;
	cmd_answer(r, "^ICCID: 98680021436587092143");
}

/* Huawei AT^CURC: switches the periodic ^RSSI/^MODE/... noise. */
static void cmd_curc(struct sim *s, struct cmd *c, struct buf *r)
{
	int v = s->curc;

	cmd_simple_int(s, c, r, &v, 0, 1, "(0-1)");
	s->curc = v;
}

static void cmd_sysinfo(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)c;
	buf_printf(r, "\r\n^SYSINFO: %d,%d,0,5,%d,,4\r\n",
		   net_up(s) ? 2 : 0, net_up(s) ? 3 : 0,
		   net_sim_ready(s) ? 1 : 255);
	cmd_ok(r);
}

static void cmd_cfun(struct sim *s, struct cmd *c, struct buf *r)
{
	int f = 1, rst = 0;

	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CFUN: %d\r\n", s->radio_on ? 1 : 0);
		cmd_ok(r);
	} else if (c->form == FORM_TEST) {
		cmd_answer(r, "+CFUN: (0,1,4),(0-1)");
	} else if (c->form == FORM_SET && c->args_ok &&
		   cmd_arg_int(&c->args, 0, 0, 4, &f) &&
		   (c->args.n < 2 || cmd_arg_int(&c->args, 1, 0, 1, &rst))) {
		bool was = net_up(s);

		s->radio_on = f == 1;
		cmd_ok(r);
		if (rst)
			c->af->reboot = true;
		else if (was != net_up(s))
			net_creg_urc(s, true);
		if (net_up(s))
			c->af->flush_pending = true;
	} else {
		cmd_cme(s, r, 50);
	}
}

/* AT+CREG, +CGREG, +CEREG: only +CREG keeps its <n>. */
static void cmd_creg(struct sim *s, struct cmd *c, struct buf *r)
{
	bool creg = !strcmp(c->name, "+CREG");
	int v;

	if (c->form == FORM_QUERY) {
		int n = creg ? s->creg_n : 0;

		if (n == 2 && net_up(s))
			buf_printf(r, "\r\n%s: 2,%d,\"2A3B\",\"01C4F5E\"\r\n",
				   c->name, net_creg_stat(s));
		else
			buf_printf(r, "\r\n%s: %d,%d\r\n", c->name, n,
				   net_creg_stat(s));
		cmd_ok(r);
	} else if (c->form == FORM_TEST) {
		buf_printf(r, "\r\n%s: (0-2)\r\n", c->name);
		cmd_ok(r);
	} else if (c->form == FORM_SET && c->args_ok &&
		   cmd_arg_int(&c->args, 0, 0, 2, &v)) {
		if (creg)
			s->creg_n = v;
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 50);
	}
}

static void cmd_csq(struct sim *s, struct cmd *c, struct buf *r)
{
	if (c->form == FORM_TEST) {
		cmd_line(r, "+CSQ: (0-31,99),(0-7,99)");
	} else {
		buf_printf(r, "\r\n+CSQ: %d,99\r\n",
			   s->radio_on ? s->signal : 99);
	}
	cmd_ok(r);
}

static void cmd_cops(struct sim *s, struct cmd *c, struct buf *r)
{
	int mode, fmt;

	if (c->form == FORM_QUERY) {
		if (net_up(s) && s->cops_format == 2)
			cmd_line(r, "+COPS: 0,2,\"46000\",7");
		else if (net_up(s))
			cmd_line(r, "+COPS: 0,0,\"CHINA MOBILE\",7");
		else
			cmd_line(r, "+COPS: 0");
		cmd_ok(r);
	} else if (c->form == FORM_TEST) {
		cmd_answer(r, "+COPS: (2,\"CHINA MOBILE\",\"CMCC\",\"46000\",7),,"
			      "(0-4),(0-2)");
	} else if (c->form == FORM_SET && c->args_ok &&
		   cmd_arg_int(&c->args, 0, 0, 4, &mode)) {
		if (mode == 3 && c->args.n > 1 &&
		    cmd_arg_int(&c->args, 1, 0, 2, &fmt))
			s->cops_format = fmt;
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 50);
	}
}

static void cmd_cnum(struct sim *s, struct cmd *c, struct buf *r)
{
	char tmp[256];

	(void)c;
	if (!cmd_need_sim(s, r, false))
		return;
	if (s->own_number[0]) {
		cmd_cs_string(s, s->own_number, tmp, sizeof(tmp));
		buf_printf(r, "\r\n+CNUM: \"\",\"%s\",%d\r\n", tmp,
			   s->own_number[0] == '+' ? 145 : 129);
	}
	cmd_ok(r);
}

/* AT+CTZU=1: the modem follows the network's time (NITZ) and says so
 * with +CTZV; the network's clock is sent at once when registered. */
static void cmd_ctzu(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_simple_int(s, c, r, &s->ctzu, 0, 1, "(0,1)");
	if (c->form == FORM_SET && s->ctzu == 1)
		net_nitz_urc(s, true);
}

/* AT+CCLK?: the network's time once NITZ set the clock, else the
 * modem's own clock, which starts at 1980-01-06 on power-up. */
static void cmd_cclk(struct sim *s, struct cmd *c, struct buf *r)
{
	char t[32];

	if (c->form == FORM_QUERY) {
		if (s->ctzu == 1 && !s->nitz_off && net_up(s))
			net_time_text(net_time(s), t, sizeof(t));
		else
			snprintf(t, sizeof(t), "80/01/06,00:%02d:%02d+00",
				 (int)(sim_now_ms() / 60000 % 60),
				 (int)(sim_now_ms() / 1000 % 60));
		buf_printf(r, "\r\n+CCLK: \"%s\"\r\n", t);
		cmd_ok(r);
	} else if (c->form == FORM_SET || c->form == FORM_TEST) {
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 50);
	}
}

static void cmd_cmgf(struct sim *s, struct cmd *c, struct buf *r)
{
	cmd_simple_int(s, c, r, &s->cmgf, 0, 1, "(0-1)");
}

static void cmd_cscs(struct sim *s, struct cmd *c, struct buf *r)
{
	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CSCS: \"%s\"\r\n", s->cscs);
		cmd_ok(r);
	} else if (c->form == FORM_TEST) {
		cmd_answer(r, "+CSCS: (\"IRA\",\"GSM\",\"UCS2\")");
	} else if (c->form == FORM_SET && c->args_ok && c->args.n == 1 &&
		   (!strcasecmp(c->args.v[0], "GSM") ||
		    !strcasecmp(c->args.v[0], "UCS2") ||
		    !strcasecmp(c->args.v[0], "IRA"))) {
		memcpy(s->cscs, c->args.v[0], strlen(c->args.v[0]) + 1);
		for (char *q = s->cscs; *q; q++)
			*q = toupper((unsigned char)*q);
		cmd_ok(r);
	} else {
		cmd_cme(s, r, 4);
	}
}

static void cmd_csms(struct sim *s, struct cmd *c, struct buf *r)
{
	int v;

	if (c->form == FORM_QUERY) {
		cmd_answer(r, "+CSMS: 0,1,1,1");
	} else if (c->form == FORM_TEST) {
		cmd_answer(r, "+CSMS: (0,1)");
	} else if (c->form == FORM_SET && c->args_ok &&
		   cmd_arg_int(&c->args, 0, 0, 1, &v)) {
		cmd_answer(r, "+CSMS: 1,1,1");
	} else {
		cmd_cms(s, r, 302);
	}
}

static void cmd_cnma(struct sim *s, struct cmd *c, struct buf *r)
{
	(void)c;
	if (!s->cmt_unacked) {
		cmd_cms(s, r, 340);
	} else {
		s->cmt_unacked = false;
		cmd_ok(r);
	}
}

/* ------------------------------------------------------------------ */
/* the command table                                                    */

#define ON(form)	(1u << (form))
#define ON_ALL		(ON(FORM_EXEC) | ON(FORM_QUERY) | ON(FORM_TEST) | \
			 ON(FORM_SET))

enum cmd_flag {
	CMD_VENDOR = 1 << 0,	/* only if the profile lists it (vendor_cmds) */
	CMD_PIN_QUERY = 1 << 1,	/* only if it is the profile's pin_query */
};

/*
 * Name -> handler.  @forms are the forms (exec, ?, =?, =) the handler
 * answers; any other form, an unknown name or a command this profile
 * lacks is plain ERROR.  Names are upper case as cmd_parse() leaves them:
 * basic commands are their letters ("I", "&F"), extended ones their full
 * name ("+CMGS", "^CURC").
 */
static const struct cmd_def {
	const char *name;
	void (*fn)(struct sim *s, struct cmd *c, struct buf *r);
	unsigned forms;
	unsigned flags;
} cmd_table[] = {
	{ "", cmd_at, ON(FORM_EXEC) | ON(FORM_SET), 0 },
	{ "E", cmd_echo, ON(FORM_EXEC), 0 },
	{ "I", cmd_ati, ON(FORM_EXEC), 0 },
	{ "Z", cmd_reset, ON(FORM_EXEC), 0 },
	{ "&F", cmd_reset, ON(FORM_EXEC), 0 },
	{ "V", cmd_verbose, ON_ALL, 0 },
	{ "Q", cmd_verbose, ON_ALL, 0 },
	{ "&W", cmd_accept, ON_ALL, 0 },
	{ "&C", cmd_accept, ON_ALL, 0 },
	{ "&D", cmd_accept, ON_ALL, 0 },
	{ "S", cmd_accept, ON_ALL, 0 },
	{ "X", cmd_accept, ON_ALL, 0 },
	/* 27.007 general, network, SIM */
	{ "+CMEE", cmd_cmee, ON_ALL, 0 },
	{ "+CGMI", cmd_cgmi, ON_ALL, 0 },
	{ "+GMI", cmd_cgmi, ON_ALL, 0 },
	{ "+CGMM", cmd_cgmm, ON_ALL, 0 },
	{ "+GMM", cmd_cgmm, ON_ALL, 0 },
	{ "+CGMR", cmd_cgmr, ON_ALL, 0 },
	{ "+GMR", cmd_cgmr, ON_ALL, 0 },
	{ "+CGSN", cmd_cgsn, ON_ALL, 0 },
	{ "+GSN", cmd_cgsn, ON_ALL, 0 },
	{ "+GCAP", cmd_gcap, ON_ALL, 0 },
	{ "+CIMI", cmd_cimi, ON_ALL, 0 },
	{ "+CPIN", cmd_cpin, ON_ALL, 0 },
	{ "+CFUN", cmd_cfun, ON_ALL, 0 },
	{ "+CREG", cmd_creg, ON_ALL, 0 },
	{ "+CGREG", cmd_creg, ON_ALL, 0 },
	{ "+CEREG", cmd_creg, ON_ALL, 0 },
	{ "+CSQ", cmd_csq, ON(FORM_EXEC) | ON(FORM_TEST), 0 },
	{ "+COPS", cmd_cops, ON_ALL, 0 },
	{ "+CNUM", cmd_cnum, ON_ALL, 0 },
	{ "+CTZU", cmd_ctzu, ON_ALL, 0 },
	{ "+CCLK", cmd_cclk, ON_ALL, 0 },
	{ "+CSCS", cmd_cscs, ON_ALL, 0 },
	{ "+CLIP", cmd_accept, ON_ALL, 0 },
	{ "+CRC", cmd_accept, ON_ALL, 0 },
	{ "+IPR", cmd_accept, ON_ALL, 0 },
	{ "+IFC", cmd_accept, ON_ALL, 0 },
	/* PIN/PUK retries: each vendor its own command */
	{ "+CPINR", cmd_pin_query, ON_ALL, CMD_PIN_QUERY },
	{ "^CPIN", cmd_pin_query, ON_ALL, CMD_PIN_QUERY },
	{ "+SPIC", cmd_pin_query, ON_ALL, CMD_PIN_QUERY },
	{ "+QPINC", cmd_pin_query, ON_ALL, CMD_PIN_QUERY },
	/* vendor commands */
	{ "+CCID", cmd_ccid, ON_ALL, CMD_VENDOR },
	{ "+QCCID", cmd_ccid, ON_ALL, CMD_VENDOR },
	{ "^ICCID", cmd_iccid, ON(FORM_QUERY), CMD_VENDOR },
	{ "^CURC", cmd_curc, ON_ALL, CMD_VENDOR },
	{ "^SYSINFO", cmd_sysinfo, ON_ALL, CMD_VENDOR },
	{ "+QURCCFG", cmd_accept, ON_ALL, CMD_VENDOR },
	{ "+QCFG", cmd_accept, ON_ALL, CMD_VENDOR },
	/* 27.005 SMS, PDU mode */
	{ "+CMGF", cmd_cmgf, ON_ALL, 0 },
	{ "+CSMS", cmd_csms, ON_ALL, 0 },
	{ "+CSDH", cmd_accept, ON_ALL, 0 },
	{ "+CSMP", cmd_accept, ON_ALL, 0 },
	{ "+CMMS", cmd_accept, ON_ALL, 0 },
	{ "+CSCB", cmd_accept, ON_ALL, 0 },
	{ "+CNMA", cmd_cnma, ON_ALL, 0 },
	{ "+CSCA", cmd_csca, ON_ALL, 0 },
	{ "+CPMS", cmd_cpms, ON_ALL, 0 },
	{ "+CNMI", cmd_cnmi, ON_ALL, 0 },
	{ "+CMGL", cmd_cmgl, ON_ALL, 0 },
	{ "+CMGR", cmd_cmgr, ON_ALL, 0 },
	{ "+CMGD", cmd_cmgd, ON_ALL, 0 },
	{ "+CMGS", cmd_cmgs, ON_ALL, 0 },
	/* 27.007 USSD */
	{ "+CUSD", cmd_cusd, ON_ALL, 0 },
};

/* The entry for @c under this profile, or NULL: answer ERROR. */
static const struct cmd_def *cmd_lookup(const struct sim *s,
					const struct cmd *c)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++) {
		const struct cmd_def *d = &cmd_table[i];

		if (strcmp(d->name, c->name))
			continue;
		if (!(d->forms & ON(c->form)))
			return NULL;
		if ((d->flags & CMD_VENDOR) && !prof_has_cmd(s->prof, d->name))
			return NULL;
		if ((d->flags & CMD_PIN_QUERY) &&
		    (!s->prof->pin_query || strcmp(s->prof->pin_query, d->name)))
			return NULL;
		return d;
	}
	return NULL;
}

/* One command line starting "AT"; false when it is unknown (ERROR). */
static bool cmd_execute(struct sim *s, const char *line, struct buf *r,
			struct after *af)
{
	const struct cmd_def *d;
	struct cmd c;

	if (strchr("EeVvQqXx&", line[2]) && line[2] && line[3] != 'F' &&
	    line[3] != 'f' && cmd_basic_chain(s, line + 2, r))
		return true;
	cmd_parse(line, &c);
	c.af = af;
	d = cmd_lookup(s, &c);
	if (!d)
		return false;
	d->fn(s, &c, r);
	return true;
}

static void cmd_log(struct sim *s, const char *line)
{
	if (s->n_log >= MAX_LOG) {
		free(s->log[0]);
		memmove(s->log, s->log + 1, (MAX_LOG - 1) * sizeof(s->log[0]));
		s->n_log--;
		s->log_dropped++;
	}
	s->log[s->n_log++] = sim_strdup(line);
}

static void cmd_garbage(struct sim *s, struct buf *r)
{
	char g[96];
	size_t i;

	for (i = 0; i < sizeof(g); i++)
		g[i] = (char)sim_rand(s);
	g[0] = '\0';
	g[1] = (char)0xff;
	g[2] = '\r';
	g[5] = '\n';
	buf_str(r, "\r\n");
	buf_add(r, g, sizeof(g), MAX_OUTQ);
	buf_str(r, "\r\n");
	for (i = 0; i < 3000; i++) {
		char ch = (char)('!' + sim_rand(s) % 90);

		buf_add(r, &ch, 1, MAX_OUTQ);
	}
	buf_str(r, "\r\n");
	buf_add(r, "\xff\xfe\x00\x00\xff", 5, MAX_OUTQ);
}

/* Post-reply actions are events due after the reply. */
static void cmd_schedule_after(struct sim *s, struct after *af)
{
	int64_t due = sim_now_ms();

	if (due < s->last_reply_due)
		due = s->last_reply_due;
	if (af->ready)
		sim_became_ready(s);
	if (af->flush_pending)
		net_schedule_flush(s);
	if (af->cusd[0]) {
		struct buf b = { 0 };
		struct event *e;

		if (af->cusd[1])
			buf_printf(&b, "\r\n+CUSD: %c,\"%s\",%d\r\n", af->cusd[0],
				   af->cusd + 1,
				   !s->prof->ussd_packed &&
				   !strcasecmp(s->cscs, "UCS2") ? 72 : 15);
		else
			buf_printf(&b, "\r\n+CUSD: %c\r\n", af->cusd[0]);
		e = sim_ev_add(s, due + 150 + s->base_delay, EV_OUT);
		if (e) {
			e->data = b.p;
			e->len = b.len;
		} else {
			buf_free(&b);
		}
	}
	if (af->reboot)
		sim_ev_add(s, due + 50, EV_REBOOT);
}

static void cmd_handle_line(struct sim *s, const char *line)
{
	struct buf r = { 0 };
	struct after af = { 0 };
	struct fault *f;
	int delay = s->base_delay;

	/* a command starts at "AT": line noise before it is skipped */
	while (*line && !sim_prefix_ci(line, "AT"))
		line++;
	if (!*line)
		return;
	sim_trace(s, '>', line, strlen(line));
	cmd_log(s, line);

	f = &s->faults[F_NOANSWER];
	if (f->count) {
		f->count--;
		return;
	}
	f = &s->faults[F_ERROR];
	if (f->count && sim_prefix_ci(line, f->match)) {
		f->count--;
		cmd_error(&r);
	} else if (!cmd_execute(s, line, &r, &af)) {
		cmd_error(&r);
	}
	f = &s->faults[F_GARBAGE];
	if (f->count) {
		struct buf g = { 0 };

		f->count--;
		cmd_garbage(s, &g);
		buf_add(&g, r.p, r.len, MAX_OUTQ);
		buf_free(&r);
		r = g;
	}
	if (s->prof->periodic_noise && s->curc && sim_rand(s) % 8 == 0) {
		struct buf g = { 0 };

		buf_printf(&g, "\r\n^RSSI: %d\r\n", s->signal);
		buf_add(&g, r.p, r.len, MAX_OUTQ);
		buf_free(&r);
		r = g;
	}
	f = &s->faults[F_SLOW];
	if (f->count) {
		f->count--;
		delay += f->delay_ms;
	}
	sim_out_later(s, &r, delay);
	buf_free(&r);
	cmd_schedule_after(s, &af);
}

static void cmd_pdu_submitted(struct sim *s)
{
	struct buf r = { 0 };
	struct sms_pdu *p;
	const char *why = NULL;
	size_t tlen;
	struct fault *f = &s->faults[F_CMS_ERROR];
	int mr;

	s->entry = false;
	s->pdu[s->pdu_len] = '\0';
	sim_trace(s, '>', s->pdu, s->pdu_len);
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	if (s->pdu_overflow || s->pdu_len % 2 || s->pdu_len < 2) {
		cmd_cms(s, &r, 304);
		goto out;
	}
	tlen = sim_tpdu_len(s->pdu);
	if (tlen != s->cmgs_len ||
	    pdu_decode_hex(s->pdu, true, p, &why) < 0 ||
	    p->type != PDU_TYPE_SUBMIT) {
		if (s->trace)
			fprintf(stderr, "modemsim: bad PDU (len %zu vs %zu): %s\n",
				tlen, s->cmgs_len, why ? why : "not a SUBMIT");
		cmd_cms(s, &r, 304);
		goto out;
	}
	if (f->count) {
		f->count--;
		cmd_cms(s, &r, f->code);
		goto out;
	}
	mr = s->mr_next;
	s->mr_next = (s->mr_next + 1) % 256;
	buf_printf(&r, "\r\n+CMGS: %d\r\n", mr);
	cmd_ok(&r);
	net_sent_record(s, p, s->pdu, mr);
	if (p->srr) {
		struct event *e = sim_ev_add(s, sim_now_ms() + s->base_delay + 200,
					 EV_STATUS_REPORT);

		if (e) {
			e->data = sim_strdup(p->addr);
			e->arg = mr;
		}
	}
out:
	{
		int delay = s->base_delay;

		if (s->faults[F_SLOW].count)
			delay += s->faults[F_SLOW].delay_ms;
		sim_out_later(s, &r, delay);
	}
	buf_free(&r);
	free(p);
}

/*
 * Bytes written by the daemon to the modem: command lines end at CR,
 * after AT+CMGS the PDU hex ends at Ctrl-Z (ESC cancels).
 */
void cmd_input(struct sim *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (s->entry) {
			if (ch == 0x1a) {
				cmd_pdu_submitted(s);
			} else if (ch == 0x1b) {
				s->entry = false;	/* cancelled, no result */
				sim_trace(s, '>', "<ESC>", 5);
			} else if (isxdigit((unsigned char)ch)) {
				if (s->echo)
					sim_out_raw(s, &ch, 1);
				if (s->pdu_len < MAX_PDU_HEX)
					s->pdu[s->pdu_len++] = ch;
				else
					s->pdu_overflow = true;
			} else if (ch != '\r' && ch != '\n' && ch != ' ') {
				s->pdu_overflow = true;	/* not hex: 304 */
			}
			continue;
		}
		if (s->echo && ch != 0x1b && ch != 0x1a)
			sim_out_raw(s, &ch, 1);
		if (ch == '\r') {
			s->line[s->line_len] = '\0';
			if (s->line_overflow) {
				struct buf r = { 0 };

				cmd_error(&r);
				sim_out_later(s, &r, s->base_delay);
				buf_free(&r);
			} else if (s->line_len) {
				char line[MAX_AT_LINE + 1];

				memcpy(line, s->line, s->line_len + 1);
				s->line_len = 0;
				cmd_handle_line(s, line);
			}
			s->line_len = 0;
			s->line_overflow = false;
		} else if (ch == '\b' || ch == 0x7f) {
			if (s->line_len)
				s->line_len--;
		} else if ((unsigned char)ch < 0x20) {
			continue;	/* \n, NUL, stray Ctrl-Z/ESC */
		} else if (s->line_len < MAX_AT_LINE) {
			/* a line starts at "AT": noise before it is skipped */
			s->line[s->line_len++] = ch;
		} else {
			s->line_overflow = true;
		}
	}
}

