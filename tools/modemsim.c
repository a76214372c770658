/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim - a GSM/4G modem simulator on a pseudo-terminal.
 *
 * The daemon under test opens the pty like a serial modem and talks
 * AT (27.007, 27.005 PDU mode) to it.  Tests drive the "network" side
 * through a Unix control socket (PATH.ctl, one JSON object per line).
 * Everything runs in one ppoll() loop with deadline timers; the only
 * waits are deadlines.  See docs/SIMULATOR.md for the behaviour and
 * every quirk of the profiles.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "modem/gsm7.h"
#include "modem/pdu.h"

/* ------------------------------------------------------------------ */
/* limits                                                               */

#define MAX_SLOTS	1000
#define MAX_PENDING	2000
#define MAX_SENT	10000
#define MAX_LOG		10000
#define MAX_CLIENTS	64
#define MAX_CTL_LINE	(256 * 1024)
#define MAX_CTL_OUT	(64 * 1024 * 1024)
#define MAX_OUTQ	(1024 * 1024)
#define MAX_AT_LINE	1024
#define MAX_PDU_HEX	(2 * 255)
#define MAX_EVENTS	10000
#define MAX_DELIVER_PARTS 16
#define DEFAULT_SMSC	"+8613800270500"

/* ------------------------------------------------------------------ */
/* byte buffer with a hard cap                                          */

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

static bool buf_add(struct buf *b, const void *data, size_t n, size_t limit)
{
	if (b->len + n > limit)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np)
			return false;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s), MAX_OUTQ);
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	buf_add(b, tmp, n, MAX_OUTQ);
}

static void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

static void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* profiles: vendor quirks are data                                     */

struct profile {
	const char *name;
	const char *manufacturer;
	const char *model;
	const char *revision;
	const char *imei;
	const char *ati;		/* lines of ATI, "\n"-separated */
	int first_index;		/* SM storage index base: 0 or 1 */
	const char *cnmi_test;		/* AT+CNMI=? answer */
	uint32_t cnmi_bits[5];		/* accepted values of m,mt,bm,ds,bfr */
	bool reject_mt1_ds2;		/* simcom: mt=1 with ds=2 -> 303 */
	bool empty_read_ok;		/* AT+CMGR on empty slot -> OK */
	bool periodic_noise;		/* huawei ^RSSI/^MODE/^BOOT/^SRVST */
	bool ussd_packed;		/* huawei: USSD as packed 7-bit hex */
	const char *pin_query;		/* command telling PIN/PUK retries */
	const char *const *boot;	/* lines at power-up */
	const char *const *ready;	/* lines once the SIM is unlocked */
	const char *cscs_default;
};

static const char *const generic_boot[] = { NULL };
static const char *const huawei_boot[] = { "^SYSSTART", "^SRVST: 2",
					   "^MODE: 5,4", NULL };
static const char *const simcom_boot[] = { "RDY", "+CFUN: 1", "@CPIN",
					   NULL };
static const char *const simcom_ready[] = { "Call Ready", "SMS Ready",
					    NULL };
static const char *const quectel_boot[] = { "RDY", "+CFUN: 1", "@CPIN",
					    "+QUSIM: 1", NULL };
static const char *const quectel_ready[] = { "+QIND: SMS DONE",
					     "+QIND: PB DONE", NULL };

#define B(x) (1u << (x))
static const struct profile profiles[] = {
	{
		.name = "generic",
		.manufacturer = "Jifen",
		.model = "JIFEN-SIM-GSM",
		.revision = "1.0.0",
		.imei = "356938035643809",
		.ati = "Jifen JIFEN-SIM-GSM\nRevision: 1.0.0",
		.first_index = 1,
		.cnmi_test = "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		.cnmi_bits = { B(0) | B(1) | B(2) | B(3), B(0) | B(1) | B(2) | B(3),
			       B(0) | B(2), B(0) | B(1) | B(2), B(0) | B(1) },
		.pin_query = "+CPINR",
		.boot = generic_boot,
		.ready = generic_boot,
		.cscs_default = "IRA",
	},
	{
		.name = "huawei",
		.manufacturer = "huawei",
		.model = "E3531",
		.revision = "22.521.26.00.00",
		.imei = "861234020000018",
		.ati = "Manufacturer: huawei\nModel: E3531\n"
		       "Revision: 22.521.26.00.00\nIMEI: 861234020000018\n"
		       "+GCAP: +CGSM,+DS,+ES",
		.first_index = 0,
		.cnmi_test = "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,2),(0,1)",
		.cnmi_bits = { B(0) | B(1) | B(2), B(0) | B(1) | B(2) | B(3),
			       B(0) | B(2), B(0) | B(2), B(0) | B(1) },
		.periodic_noise = true,
		.ussd_packed = true,
		.pin_query = "^CPIN",
		.boot = huawei_boot,
		.ready = generic_boot,
		.cscs_default = "IRA",
	},
	{
		.name = "simcom",
		.manufacturer = "SIMCOM_Ltd",
		.model = "SIMCOM_SIM800C",
		.revision = "Revision:1418B05SIM800C24",
		.imei = "867856030112233",
		.ati = "SIM800 R14.18",
		.first_index = 1,
		.cnmi_test = "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		.cnmi_bits = { B(0) | B(1) | B(2) | B(3), B(0) | B(1) | B(2) | B(3),
			       B(0) | B(2), B(0) | B(1) | B(2), B(0) | B(1) },
		.reject_mt1_ds2 = true,
		.empty_read_ok = true,
		.pin_query = "+SPIC",
		.boot = simcom_boot,
		.ready = simcom_ready,
		.cscs_default = "GSM",
	},
	{
		.name = "quectel",
		.manufacturer = "Quectel",
		.model = "EC25",
		.revision = "EC25EFAR06A06M4G",
		.imei = "866758040998877",
		.ati = "Quectel\nEC25\nRevision: EC25EFAR06A06M4G",
		.first_index = 0,
		.cnmi_test = "+CNMI: (0-2),(0-3),(0,2),(0,1),(0,1)",
		.cnmi_bits = { B(0) | B(1) | B(2), B(0) | B(1) | B(2) | B(3),
			       B(0) | B(2), B(0) | B(1), B(0) | B(1) },
		.pin_query = "+QPINC",
		.boot = quectel_boot,
		.ready = quectel_ready,
		.cscs_default = "GSM",
	},
};
#undef B

/* ------------------------------------------------------------------ */
/* state                                                                */

enum via { VIA_CMTI, VIA_SILENT, VIA_CMT };
enum pin_state { PIN_READY, PIN_NEED_PIN, PIN_NEED_PUK, PIN_BLOCKED };

struct slot {
	bool used;
	int stat;		/* 0 unread, 1 read, 2 unsent, 3 sent */
	char *hex;		/* with SMSC field */
	size_t tpdu_len;
};

struct netmsg {			/* waiting on the network side */
	char *hex;
	size_t tpdu_len;
	enum via via;
	bool status_report;
};

struct sent_msg {
	char to[PDU_ADDR_MAX];
	bool concat;
	uint16_t ref;
	unsigned total;
	unsigned have;
	char **text;		/* [total] */
	char **hex;		/* [total] */
	int *mr;		/* [total] */
	bool srr;
	enum pdu_alphabet alphabet;
	bool complete;
	unsigned duplicates;
};

enum ev_kind {
	EV_OUT,			/* write bytes to the modem line */
	EV_FLUSH_PENDING,	/* network retries pending messages */
	EV_STATUS_REPORT,
	EV_REOPEN,		/* after a hang-up: new pty */
	EV_NOISE,		/* huawei periodic noise */
	EV_REBOOT,
	EV_CTL_TIMEOUT,		/* wait_sent timeout */
};

struct event {
	struct event *next;
	int64_t due;
	uint64_t seq;
	enum ev_kind kind;
	char *data;		/* EV_OUT bytes; EV_STATUS_REPORT recipient */
	size_t len;
	int arg;		/* EV_STATUS_REPORT mr; EV_CTL_TIMEOUT client id */
	unsigned gen;		/* pty generation for EV_OUT */
};

struct client {
	int fd;
	unsigned id;
	struct buf in;
	struct buf out;
	bool closing;
	/* a wait_sent in progress blocks further requests of this client */
	bool waiting;
	char wait_to[PDU_ADDR_MAX];
	unsigned wait_count;
	int64_t wait_deadline;
};

struct fault {
	unsigned count;
	int code;
	int delay_ms;
	char match[64];
};

enum fault_kind {
	F_NOANSWER, F_GARBAGE, F_CMS_ERROR, F_NOPROMPT, F_URC_IN_PROMPT,
	F_HANGUP, F_SLOW, F_ERROR, F_URC_IN_LIST, F_COUNT
};

static const char *const fault_names[F_COUNT] = {
	"noanswer", "garbage", "cms_error", "cmgs_noprompt", "urc_in_prompt",
	"hangup", "slow", "error", "urc_in_list",
};

struct sim {
	const struct profile *prof;
	const char *link;
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool trace;
	int base_delay;
	uint64_t rng;

	/* pty */
	int master;
	int slave;
	char pts[64];
	unsigned gen;
	struct buf outq;
	unsigned out_dropped;

	/* line framer */
	char line[MAX_AT_LINE + 1];
	size_t line_len;
	bool line_overflow;
	bool entry;		/* after AT+CMGS: collecting PDU hex */
	size_t cmgs_len;
	char pdu[MAX_PDU_HEX + 1];
	size_t pdu_len;
	bool pdu_overflow;

	/* modem settings (lost on reboot) */
	bool echo;
	int cmee;
	int cmgf;
	char cscs[8];
	int cnmi[5];
	int creg_n;
	int cops_format;
	bool curc;
	bool cmt_unacked;
	bool memfull_said;

	/* SIM and network (persist across reboot) */
	enum pin_state pin_state;
	char pin[16];
	char puk[16];
	int pin_left;
	int puk_left;
	bool has_pin;
	char own_number[PDU_ADDR_MAX];
	char smsc[PDU_ADDR_MAX];
	int signal;
	bool registered;
	bool radio_on;
	char balance[32];
	int mr_next;
	uint16_t concat_ref;

	struct slot slots[MAX_SLOTS];
	int capacity;
	struct netmsg pending[MAX_PENDING];
	int n_pending;
	unsigned net_dropped;

	struct sent_msg *sent[MAX_SENT];
	int n_sent;

	char *log[MAX_LOG];
	int n_log;
	unsigned log_dropped;

	struct fault faults[F_COUNT];

	struct event *events;
	int n_events;
	uint64_t ev_seq;
	int64_t last_reply_due;

	int listen_fd;
	struct client *clients[MAX_CLIENTS];
	unsigned next_client_id;
};

static volatile sig_atomic_t quit_flag;

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t rnd(struct sim *s)
{
	/* xorshift64*: reproducible with --seed */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 2685821657736338717ULL) >> 32);
}

static void trace(struct sim *s, char dir, const char *p, size_t n)
{
	size_t i;

	if (!s->trace)
		return;
	fprintf(stderr, "modemsim %c ", dir);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\n')
			fputs("\\n", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('\n', stderr);
}

static bool prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		fputs("jifen-modemsim: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Parse a whole decimal integer; false on anything else. */
static bool parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/*
 * Normalise a phone number for matching: 11-digit Chinese mobile
 * numbers and 86-prefixed ones become +86...; others stay as they are.
 */
static void norm_number(const char *in, char *out, size_t size)
{
	size_t n = strlen(in);
	size_t i;
	bool digits = n > 0;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)in[i]))
			digits = false;
	if (digits && n == 11 && in[0] == '1')
		snprintf(out, size, "+86%s", in);
	else if (digits && n == 13 && !strncmp(in, "86", 2))
		snprintf(out, size, "+%s", in);
	else if (digits && n == 15 && !strncmp(in, "0086", 4))
		snprintf(out, size, "+%s", in + 2);
	else
		snprintf(out, size, "%s", in);
}

static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (toupper((unsigned char)c) - 'A') + 10;
}

/* TPDU length of a hex PDU that starts with the SMSC field. */
static size_t tpdu_len_of(const char *hex)
{
	size_t octets = strlen(hex) / 2;
	size_t sc;

	if (octets < 1)
		return 0;
	sc = hexval(hex[0]) * 16 + hexval(hex[1]);
	if (1 + sc > octets)
		return octets;
	return octets - 1 - sc;
}

/* ------------------------------------------------------------------ */
/* events (deadline timers)                                             */

static struct event *ev_add(struct sim *s, int64_t due, enum ev_kind kind)
{
	struct event *e, **pp;

	if (s->n_events >= MAX_EVENTS)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->due = due;
	e->kind = kind;
	e->seq = s->ev_seq++;
	e->gen = s->gen;
	/* stable: after every event due at the same time or earlier */
	for (pp = &s->events; *pp && (*pp)->due <= due; pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	s->n_events++;
	return e;
}

static void ev_free(struct event *e)
{
	free(e->data);
	free(e);
}

static bool ev_pending(struct sim *s, enum ev_kind kind)
{
	struct event *e;

	for (e = s->events; e; e = e->next)
		if (e->kind == kind)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* modem line output                                                    */

static void out_raw(struct sim *s, const char *p, size_t n)
{
	if (s->master < 0)
		return;
	if (!buf_add(&s->outq, p, n, MAX_OUTQ))
		s->out_dropped++;
}

/* Queue @b for the line now, or after @delay ms keeping reply order. */
static void out_later(struct sim *s, struct buf *b, int delay)
{
	int64_t now = now_ms();
	int64_t due = now + (delay > 0 ? delay : 0);
	struct event *e;

	if (!b->len)
		return;
	if (due < s->last_reply_due)
		due = s->last_reply_due;
	if (due <= now && !ev_pending(s, EV_OUT)) {
		out_raw(s, b->p, b->len);
		return;
	}
	s->last_reply_due = due;
	e = ev_add(s, due, EV_OUT);
	if (!e)
		return;
	e->data = malloc(b->len);
	if (!e->data)
		return;
	memcpy(e->data, b->p, b->len);
	e->len = b->len;
}

/* An unsolicited line goes out at once, even before a delayed reply. */
static void urc(struct sim *s, const char *line)
{
	struct buf b = { 0 };

	buf_printf(&b, "\r\n%s\r\n", line);
	out_raw(s, b.p, b.len);
	buf_free(&b);
}

/* An unsolicited line caused by a command: after that command's reply. */
static void urc_after_reply(struct sim *s, const char *line)
{
	struct buf b = { 0 };

	buf_printf(&b, "\r\n%s\r\n", line);
	out_later(s, &b, 0);
	buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* result codes                                                         */

static const char *cme_text(int code)
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

static const char *cms_text(int code)
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

static void r_ok(struct buf *r)
{
	buf_str(r, "\r\nOK\r\n");
}

static void r_error(struct buf *r)
{
	buf_str(r, "\r\nERROR\r\n");
}

static void r_line(struct buf *r, const char *line)
{
	buf_printf(r, "\r\n%s\r\n", line);
}

static void r_cme(struct sim *s, struct buf *r, int code)
{
	if (s->cmee == 1)
		buf_printf(r, "\r\n+CME ERROR: %d\r\n", code);
	else if (s->cmee == 2)
		buf_printf(r, "\r\n+CME ERROR: %s\r\n", cme_text(code));
	else
		r_error(r);
}

/* 27.005 errors are reported whatever AT+CMEE says; text with CMEE=2. */
static void r_cms(struct sim *s, struct buf *r, int code)
{
	if (s->cmee == 2)
		buf_printf(r, "\r\n+CMS ERROR: %s\r\n", cms_text(code));
	else
		buf_printf(r, "\r\n+CMS ERROR: %d\r\n", code);
}

/* ------------------------------------------------------------------ */
/* SIM storage and the network side                                     */

static bool sim_ready(const struct sim *s)
{
	return s->pin_state == PIN_READY;
}

/* Registered and plugged in: only then does the network deliver. */
static bool net_up(const struct sim *s)
{
	return sim_ready(s) && s->registered && s->radio_on && s->master >= 0;
}

static int slots_used(const struct sim *s)
{
	int i, n = 0;

	for (i = 0; i < s->capacity; i++)
		n += s->slots[i].used;
	return n;
}

static int slot_free(const struct sim *s)
{
	int i;

	for (i = 0; i < s->capacity; i++)
		if (!s->slots[i].used)
			return i;
	return -1;
}

static void slot_clear(struct slot *sl)
{
	free(sl->hex);
	memset(sl, 0, sizeof(*sl));
}

static void schedule_flush(struct sim *s)
{
	if (s->n_pending && !ev_pending(s, EV_FLUSH_PENDING)) {
		int64_t due = now_ms();

		if (due < s->last_reply_due)
			due = s->last_reply_due;
		ev_add(s, due, EV_FLUSH_PENDING);
	}
}

/*
 * Offer one message to the modem.  Returns true when the modem took it
 * (stored or delivered directly), false when the network must keep it.
 */
static bool net_offer(struct sim *s, struct netmsg *m)
{
	bool direct;
	int idx;
	char line[64];

	if (!net_up(s))
		return false;
	if (m->status_report) {
		if (s->cnmi[3] == 1 && s->cnmi[0] >= 1) {
			struct buf b = { 0 };

			buf_printf(&b, "\r\n+CDS: %zu\r\n%s\r\n", m->tpdu_len,
				   m->hex);
			out_raw(s, b.p, b.len);
			buf_free(&b);
			free(m->hex);
			return true;
		}
		if (s->cnmi[3] != 2) {
			free(m->hex);	/* not requested: dropped */
			return true;
		}
	}
	direct = m->via == VIA_CMT ||
		 (m->via == VIA_CMTI && !m->status_report &&
		  s->cnmi[0] >= 1 && s->cnmi[1] == 2);
	if (direct && !m->status_report) {
		struct buf b = { 0 };

		buf_printf(&b, "\r\n+CMT: ,%zu\r\n%s\r\n", m->tpdu_len, m->hex);
		out_raw(s, b.p, b.len);
		buf_free(&b);
		s->cmt_unacked = true;
		free(m->hex);
		return true;
	}
	idx = slot_free(s);
	if (idx < 0)
		return false;	/* memory full: the network retries later */
	s->memfull_said = false;
	s->slots[idx].used = true;
	s->slots[idx].stat = 0;
	s->slots[idx].hex = m->hex;
	s->slots[idx].tpdu_len = m->tpdu_len;
	if (m->status_report) {
		if (s->cnmi[0] >= 1) {
			snprintf(line, sizeof(line), "+CDSI: \"SM\",%d",
				 idx + s->prof->first_index);
			urc(s, line);
		}
	} else if (m->via == VIA_CMTI && s->cnmi[0] >= 1 &&
		   (s->cnmi[1] == 1 || s->cnmi[1] == 3)) {
		snprintf(line, sizeof(line), "+CMTI: \"SM\",%d",
			 idx + s->prof->first_index);
		urc(s, line);
	}
	return true;
}

/* Network retries the pending queue, oldest first. */
static void net_flush(struct sim *s)
{
	int i = 0;

	while (i < s->n_pending) {
		if (!net_offer(s, &s->pending[i]))
			break;
		i++;
	}
	if (i) {
		memmove(s->pending, s->pending + i,
			(s->n_pending - i) * sizeof(s->pending[0]));
		s->n_pending -= i;
	}
}

/* A new message from the network; takes ownership of @hex. */
static int net_deliver(struct sim *s, char *hex, size_t tpdu_len, enum via via,
		       bool status_report)
{
	struct netmsg m = { hex, tpdu_len, via, status_report };

	if (!s->n_pending && net_offer(s, &m))
		return 0;
	if (s->n_pending >= MAX_PENDING) {
		s->net_dropped++;
		free(hex);
		return -ENOSPC;
	}
	s->pending[s->n_pending++] = m;
	if (net_up(s) && slot_free(s) < 0 && !s->memfull_said &&
	    s->prof->periodic_noise) {
		urc(s, "^SMMEMFULL: \"SM\"");	/* huawei says it once */
		s->memfull_said = true;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* sent messages (what the daemon sent), reassembled by concat ref      */

static void sent_free(struct sent_msg *m)
{
	unsigned i;

	if (!m)
		return;
	for (i = 0; i < m->total; i++) {
		free(m->text[i]);
		free(m->hex[i]);
	}
	free(m->text);
	free(m->hex);
	free(m->mr);
	free(m);
}

static void sent_remove(struct sim *s, int i)
{
	sent_free(s->sent[i]);
	memmove(s->sent + i, s->sent + i + 1,
		(s->n_sent - i - 1) * sizeof(s->sent[0]));
	s->n_sent--;
}

static void check_waiters(struct sim *s);

static void sent_record(struct sim *s, const struct sms_pdu *p, const char *hex,
			int mr)
{
	struct sent_msg *m = NULL;
	unsigned total = p->concat.present ? p->concat.total : 1;
	unsigned seq = p->concat.present ? p->concat.seq : 1;
	char to[PDU_ADDR_MAX];
	int i;

	if (total < 1)
		total = 1;
	if (seq < 1 || seq > total)
		seq = 1;
	norm_number(p->addr, to, sizeof(to));
	if (p->concat.present) {
		for (i = s->n_sent - 1; i >= 0; i--) {
			struct sent_msg *c = s->sent[i];

			if (!c->complete && c->concat &&
			    c->ref == p->concat.ref && c->total == total &&
			    !strcmp(c->to, to)) {
				m = c;
				break;
			}
		}
		/*
		 * The same segment again after its message completed (a
		 * sender that crashed before recording it as sent): a phone
		 * drops the repeat, so count it on the complete message.
		 */
		for (i = s->n_sent - 1; !m && i >= 0; i--) {
			struct sent_msg *c = s->sent[i];

			if (c->complete && c->concat &&
			    c->ref == p->concat.ref && c->total == total &&
			    !strcmp(c->to, to) && c->hex[seq - 1] &&
			    !strcmp(c->hex[seq - 1], hex)) {
				c->duplicates++;
				return;
			}
		}
	}
	if (!m) {
		if (s->n_sent >= MAX_SENT)
			sent_remove(s, 0);
		m = calloc(1, sizeof(*m));
		if (!m)
			return;
		m->text = calloc(total, sizeof(char *));
		m->hex = calloc(total, sizeof(char *));
		m->mr = calloc(total, sizeof(int));
		if (!m->text || !m->hex || !m->mr) {
			sent_free(m);
			return;
		}
		snprintf(m->to, sizeof(m->to), "%s", to);
		m->concat = p->concat.present;
		m->ref = p->concat.ref;
		m->total = total;
		m->alphabet = p->alphabet;
		for (i = 0; i < (int)total; i++)
			m->mr[i] = -1;
		s->sent[s->n_sent++] = m;
	}
	if (m->hex[seq - 1]) {
		m->duplicates++;	/* a part sent again: keep the first */
		return;
	}
	m->hex[seq - 1] = xstrdup(hex);
	m->text[seq - 1] = xstrdup(p->text);
	m->mr[seq - 1] = mr;
	m->srr |= p->srr;
	if (p->alphabet == PDU_ALPHA_UCS2)
		m->alphabet = PDU_ALPHA_UCS2;
	m->have++;
	if (m->have == m->total) {
		m->complete = true;
		/* move to the end: completed messages in completion order */
		for (i = 0; i < s->n_sent; i++)
			if (s->sent[i] == m)
				break;
		memmove(s->sent + i, s->sent + i + 1,
			(s->n_sent - i - 1) * sizeof(s->sent[0]));
		s->sent[s->n_sent - 1] = m;
		check_waiters(s);
	}
}

static cJSON *sent_json(const struct sent_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *mrs = cJSON_CreateArray();
	cJSON *pdus = cJSON_CreateArray();
	struct buf text = { 0 };
	unsigned i;

	for (i = 0; i < m->total; i++) {
		if (m->text[i])
			buf_add(&text, m->text[i], strlen(m->text[i]),
				SIZE_MAX);
		if (m->hex[i]) {
			cJSON_AddItemToArray(mrs, cJSON_CreateNumber(m->mr[i]));
			cJSON_AddItemToArray(pdus, cJSON_CreateString(m->hex[i]));
		}
	}
	cJSON_AddStringToObject(o, "to", m->to);
	cJSON_AddStringToObject(o, "text", text.p ? text.p : "");
	cJSON_AddNumberToObject(o, "parts", m->total);
	cJSON_AddNumberToObject(o, "received", m->have);
	cJSON_AddBoolToObject(o, "complete", m->complete);
	cJSON_AddStringToObject(o, "alphabet", pdu_alphabet_name(m->alphabet));
	cJSON_AddBoolToObject(o, "srr", m->srr);
	if (m->concat)
		cJSON_AddNumberToObject(o, "ref", m->ref);
	cJSON_AddNumberToObject(o, "duplicates", m->duplicates);
	cJSON_AddItemToObject(o, "mrs", mrs);
	cJSON_AddItemToObject(o, "pdus", pdus);
	buf_free(&text);
	return o;
}

/* Completed then incomplete messages, optionally only those to @to. */
static cJSON *sent_list(const struct sim *s, const char *to, bool only_complete,
			unsigned *n_complete)
{
	cJSON *arr = cJSON_CreateArray();
	char want[PDU_ADDR_MAX] = "";
	int pass, i;

	if (to)
		norm_number(to, want, sizeof(want));
	*n_complete = 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->n_sent; i++) {
			const struct sent_msg *m = s->sent[i];

			if (m->complete != (pass == 0))
				continue;
			if (to && strcmp(m->to, want))
				continue;
			if (m->complete)
				(*n_complete)++;
			else if (only_complete)
				continue;
			cJSON_AddItemToArray(arr, sent_json(m));
		}
	}
	return arr;
}

/* ------------------------------------------------------------------ */
/* control clients                                                      */

static void client_send(struct sim *s, struct client *c, cJSON *reply)
{
	char *txt = cJSON_PrintUnformatted(reply);

	(void)s;
	cJSON_Delete(reply);
	if (!txt) {
		c->closing = true;
		return;
	}
	if (!buf_add(&c->out, txt, strlen(txt), MAX_CTL_OUT) ||
	    !buf_add(&c->out, "\n", 1, MAX_CTL_OUT))
		c->closing = true;
	free(txt);
}

static cJSON *reply_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", true);
	return o;
}

static cJSON *reply_err(const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

static void wait_finish(struct sim *s, struct client *c, bool timed_out)
{
	unsigned n;
	cJSON *o, *list;

	c->waiting = false;
	if (timed_out) {
		client_send(s, c, reply_err("timeout"));
		return;
	}
	list = sent_list(s, c->wait_to, true, &n);
	o = reply_ok();
	cJSON_AddNumberToObject(o, "count", n);
	cJSON_AddItemToObject(o, "sent", list);
	client_send(s, c, o);
}

static unsigned count_complete(const struct sim *s, const char *to)
{
	char want[PDU_ADDR_MAX];
	unsigned n = 0;
	int i;

	norm_number(to, want, sizeof(want));
	for (i = 0; i < s->n_sent; i++)
		if (s->sent[i]->complete && !strcmp(s->sent[i]->to, want))
			n++;
	return n;
}

static void process_client_input(struct sim *s, struct client *c);

static void check_waiters(struct sim *s)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];

		if (c && c->waiting &&
		    count_complete(s, c->wait_to) >= c->wait_count) {
			wait_finish(s, c, false);
			process_client_input(s, c);
		}
	}
}

/* ------------------------------------------------------------------ */
/* modem life cycle                                                     */

static void settings_reset(struct sim *s)
{
	s->echo = true;
	s->cmee = 0;
	s->cmgf = 0;
	snprintf(s->cscs, sizeof(s->cscs), "%s", s->prof->cscs_default);
	memset(s->cnmi, 0, sizeof(s->cnmi));
	s->creg_n = 0;
	s->cops_format = 0;
	s->curc = true;
	s->cmt_unacked = false;
	s->entry = false;
	s->line_len = 0;
	s->line_overflow = false;
}

static void emit_lines(struct sim *s, const char *const *lines, int delay)
{
	struct buf b = { 0 };

	for (; *lines; lines++) {
		if (!strcmp(*lines, "@CPIN"))
			buf_printf(&b, "\r\n+CPIN: %s\r\n",
				   s->pin_state == PIN_READY ? "READY" :
				   s->pin_state == PIN_NEED_PIN ? "SIM PIN" :
				   s->pin_state == PIN_NEED_PUK ? "SIM PUK" :
				   "NOT READY");
		else
			buf_printf(&b, "\r\n%s\r\n", *lines);
	}
	out_later(s, &b, delay);
	buf_free(&b);
}

static void sim_became_ready(struct sim *s)
{
	emit_lines(s, s->prof->ready, 0);
	if (s->creg_n >= 1 && net_up(s))
		urc_after_reply(s, s->creg_n == 2 ?
				"+CREG: 1,\"2A3B\",\"01C4F5E\"" : "+CREG: 1");
	schedule_flush(s);
}

/* Power-up: settings lost, SIM locked again if it has a PIN. */
static void modem_boot(struct sim *s)
{
	settings_reset(s);
	if (s->pin_state == PIN_READY && s->has_pin)
		s->pin_state = PIN_NEED_PIN;
	emit_lines(s, s->prof->boot, 100);
	if (sim_ready(s))
		emit_lines(s, s->prof->ready, 200);
	schedule_flush(s);
}

static int pty_open(struct sim *s, const char *avoid)
{
	int m, sl, m2 = -1;
	struct termios tio;
	const char *name;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) || unlockpt(m) || !(name = ptsname(m)))
		goto fail;
	if (avoid && !strcmp(name, avoid)) {
		/* hold this one so the next gets another number */
		m2 = m;
		m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (m < 0) {
			m = m2;
			m2 = -1;
			goto fail;
		}
		if (grantpt(m) || unlockpt(m) || !(name = ptsname(m)))
			goto fail;
	}
	snprintf(s->pts, sizeof(s->pts), "%s", name);
	sl = open(s->pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (sl < 0)
		goto fail;
	if (tcgetattr(sl, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tio.c_cflag |= CLOCAL | CREAD;
		tcsetattr(sl, TCSANOW, &tio);
	}
	if (m2 >= 0)
		close(m2);
	s->master = m;
	s->slave = sl;
	s->gen++;
	return 0;
fail:
	{
		int e = errno ? errno : EIO;

		close(m);
		if (m2 >= 0)
			close(m2);
		return -e;
	}
}

static int link_point(struct sim *s)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", s->link, (long)getpid());
	unlink(tmp);
	if (symlink(s->pts, tmp) < 0)
		return -errno;
	if (rename(tmp, s->link) < 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

static void pty_close(struct sim *s)
{
	if (s->master >= 0)
		close(s->master);
	if (s->slave >= 0)
		close(s->slave);
	s->master = s->slave = -1;
	s->outq.len = 0;
}

/* USB re-plug: the line goes away, comes back later under a new name. */
static void do_hangup(struct sim *s, int delay)
{
	struct event **pp = &s->events;
	struct event *e;
	char old[64];

	snprintf(old, sizeof(old), "%s", s->pts);
	/* drop queued output of the old line */
	while ((e = *pp)) {
		if (e->kind == EV_OUT || e->kind == EV_REBOOT) {
			*pp = e->next;
			ev_free(e);
			s->n_events--;
		} else {
			pp = &e->next;
		}
	}
	s->last_reply_due = 0;
	pty_close(s);
	unlink(s->link);
	if (s->trace)
		fprintf(stderr, "modemsim: hang-up of %s\n", old);
	e = ev_add(s, now_ms() + (delay > 0 ? delay : 0), EV_REOPEN);
	if (e)
		e->data = xstrdup(old);
}

static void do_reopen(struct sim *s, const char *old)
{
	int r = pty_open(s, old);

	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: reopen pty: %s\n",
			strerror(-r));
		ev_add(s, now_ms() + 1000, EV_REOPEN);
		return;
	}
	r = link_point(s);
	if (r < 0)
		fprintf(stderr, "jifen-modemsim: link %s: %s\n", s->link,
			strerror(-r));
	if (s->trace)
		fprintf(stderr, "modemsim: back as %s\n", s->pts);
	modem_boot(s);
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
static bool split_args(const char *p, struct args *a)
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

static bool arg_int(const struct args *a, int i, int lo, int hi, int *out)
{
	if (i >= a->n || a->quoted[i])
		return false;
	return parse_int(a->v[i], lo, hi, out);
}

/* Decode a UCS2 hex string of ASCII characters (AT+CSCS="UCS2"). */
static bool ucs2_to_ascii(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), i, k = 0;

	if (n % 4 || !is_hex(in, n))
		return false;
	for (i = 0; i < n; i += 4) {
		int v = (hexval(in[i]) << 12) | (hexval(in[i + 1]) << 8) |
			(hexval(in[i + 2]) << 4) | hexval(in[i + 3]);

		if (v < 0x20 || v > 0x7e || k + 1 >= size)
			return false;
		out[k++] = (char)v;
	}
	out[k] = '\0';
	return true;
}

/* ASCII string as the modem shows it under the current AT+CSCS. */
static void cs_string(const struct sim *s, const char *in, char *out,
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
static void pack_ascii(const char *in, char *out, size_t size)
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

static bool unpack_ascii(const char *hex, char *out, size_t size)
{
	uint8_t bytes[128], septets[160];
	size_t len = strlen(hex) / 2, n, i;

	if (strlen(hex) % 2 || len > sizeof(bytes))
		return false;
	for (i = 0; i < len; i++)
		bytes[i] = (uint8_t)(hexval(hex[2 * i]) << 4 |
				     hexval(hex[2 * i + 1]));
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

struct cmd {
	char name[32];		/* upper case, e.g. "+CMGS" */
	enum cmd_form form;
	const char *rest;	/* text after "=" for FORM_SET */
	struct args args;
	bool args_ok;
};

/* What happens after the reply has gone out. */
struct after {
	bool flush_pending;
	bool ready;
	bool reboot;
	char cusd[512];
};

static void creg_urc(struct sim *s, bool after_reply)
{
	char line[64];
	int stat = net_up(s) ? 1 : (sim_ready(s) && s->radio_on) ? 2 : 0;

	if (s->creg_n == 1)
		snprintf(line, sizeof(line), "+CREG: %d", stat);
	else if (s->creg_n == 2)
		snprintf(line, sizeof(line), "+CREG: %d,\"2A3B\",\"01C4F5E\"",
			 stat);
	else
		return;
	if (after_reply)
		urc_after_reply(s, line);
	else
		urc(s, line);
}

static int creg_stat(const struct sim *s)
{
	return net_up(s) ? 1 : (sim_ready(s) && s->radio_on) ? 2 : 0;
}

static bool need_sim(struct sim *s, struct buf *r, bool sms)
{
	int code;

	if (sim_ready(s))
		return true;
	if (s->pin_state == PIN_NEED_PIN)
		code = sms ? 311 : 11;
	else if (s->pin_state == PIN_NEED_PUK)
		code = sms ? 316 : 12;
	else
		code = sms ? 310 : 13;
	if (sms)
		r_cms(s, r, code);
	else
		r_cme(s, r, code);
	return false;
}

static void cmd_cpin(struct sim *s, struct cmd *c, struct buf *r,
		     struct after *af)
{
	char line[64];

	if (c->form == FORM_QUERY) {
		snprintf(line, sizeof(line), "+CPIN: %s",
			 s->pin_state == PIN_READY ? "READY" :
			 s->pin_state == PIN_NEED_PIN ? "SIM PIN" :
			 s->pin_state == PIN_NEED_PUK ? "SIM PUK" : "SIM PUK2");
		if (s->pin_state == PIN_BLOCKED) {
			r_cme(s, r, 13);
			return;
		}
		r_line(r, line);
		r_ok(r);
		return;
	}
	if (c->form == FORM_TEST) {
		r_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok || c->args.n < 1) {
		r_cme(s, r, 50);
		return;
	}
	switch (s->pin_state) {
	case PIN_READY:
		r_cme(s, r, 3);
		return;
	case PIN_BLOCKED:
		r_cme(s, r, 13);
		return;
	case PIN_NEED_PIN:
		if (!strcmp(c->args.v[0], s->pin)) {
			s->pin_state = PIN_READY;
			s->pin_left = 3;
			r_ok(r);
			af->ready = true;
			return;
		}
		if (--s->pin_left <= 0) {
			s->pin_left = 0;
			s->pin_state = PIN_NEED_PUK;
		}
		r_cme(s, r, 16);
		return;
	case PIN_NEED_PUK:
		if (c->args.n < 2 || !c->args.v[1][0] ||
		    strlen(c->args.v[1]) >= sizeof(s->pin)) {
			r_cme(s, r, 12);
			return;
		}
		if (!strcmp(c->args.v[0], s->puk)) {
			memcpy(s->pin, c->args.v[1], strlen(c->args.v[1]) + 1);
			s->has_pin = true;
			s->pin_state = PIN_READY;
			s->pin_left = 3;
			s->puk_left = 10;
			r_ok(r);
			af->ready = true;
			return;
		}
		if (--s->puk_left <= 0) {
			s->puk_left = 0;
			s->pin_state = PIN_BLOCKED;
		}
		r_cme(s, r, 16);
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
		r_ok(r);
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
			r_cme(s, r, 50);
			return;
		}
		if (pin)
			buf_printf(r, "\r\n+CPINR: SIM PIN,%d,3", s->pin_left);
		if (puk)
			buf_printf(r, "\r\n+CPINR: SIM PUK,%d,10", s->puk_left);
		if (pin || puk)
			buf_str(r, "\r\n");
		r_ok(r);
	} else if (!strcmp(q, "^CPIN") && c->form == FORM_QUERY) {
		/* ^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2>,<pin2> */
		buf_printf(r, "\r\n^CPIN: %s,%d,%d,%d,10,3\r\n", code,
			   s->pin_state == PIN_NEED_PIN ? s->pin_left :
			   s->pin_state == PIN_NEED_PUK ? s->puk_left : 0,
			   s->puk_left, s->pin_left);
		r_ok(r);
	} else if (!strcmp(q, "+SPIC") && c->form == FORM_EXEC) {
		/* +SPIC: <pin1>,<puk1>,<pin2>,<puk2> */
		buf_printf(r, "\r\n+SPIC: %d,%d,3,10\r\n", s->pin_left,
			   s->puk_left);
		r_ok(r);
	} else if (!strcmp(q, "+QPINC") && (c->form == FORM_QUERY ||
					     c->form == FORM_SET)) {
		buf_printf(r, "\r\n+QPINC: \"SC\",%d,%d\r\n+QPINC: \"P2\",3,10\r\n",
			   s->pin_left, s->puk_left);
		r_ok(r);
	} else {
		r_cme(s, r, 50);
	}
}

static void cmd_cnmi(struct sim *s, struct cmd *c, struct buf *r)
{
	const struct profile *p = s->prof;
	int v[5] = { 0 };
	int i;

	if (c->form == FORM_TEST) {
		r_line(r, p->cnmi_test);
		r_ok(r);
		return;
	}
	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CNMI: %d,%d,%d,%d,%d\r\n", s->cnmi[0],
			   s->cnmi[1], s->cnmi[2], s->cnmi[3], s->cnmi[4]);
		r_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok || c->args.n < 1 ||
	    c->args.n > 5) {
		r_cms(s, r, 303);
		return;
	}
	for (i = 0; i < 5; i++) {
		if (i >= c->args.n || !c->args.v[i][0]) {
			v[i] = i == 0 ? s->cnmi[0] : 0;
			continue;
		}
		if (!arg_int(&c->args, i, 0, 31, &v[i]) ||
		    !(p->cnmi_bits[i] & (1u << v[i]))) {
			r_cms(s, r, 303);
			return;
		}
	}
	if (p->reject_mt1_ds2 && v[1] == 1 && v[3] == 2) {
		r_cms(s, r, 303);
		return;
	}
	memcpy(s->cnmi, v, sizeof(v));
	r_ok(r);
}

static void list_entry(struct sim *s, struct buf *r, int i)
{
	struct slot *sl = &s->slots[i];

	buf_printf(r, "\r\n+CMGL: %d,%d,,%zu\r\n%s", i + s->prof->first_index,
		   sl->stat, sl->tpdu_len, sl->hex);
}

static void cmd_cmgl(struct sim *s, struct cmd *c, struct buf *r)
{
	int stat = 4, keep = 0, i, listed = 0;
	struct fault *f = &s->faults[F_URC_IN_LIST];

	if (!need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		r_line(r, s->cmgf ? "+CMGL: (\"REC UNREAD\",\"REC READ\","
			       "\"STO UNSENT\",\"STO SENT\",\"ALL\")" :
			  "+CMGL: (0-4)");
		r_ok(r);
		return;
	}
	if (s->cmgf == 1) {
		r_error(r);	/* text mode is not simulated */
		return;
	}
	if (c->form == FORM_SET) {
		if (!c->args_ok || !arg_int(&c->args, 0, 0, 4, &stat) ||
		    (c->args.n > 1 && !arg_int(&c->args, 1, 0, 1, &keep))) {
			r_cms(s, r, 302);
			return;
		}
	} else if (c->form == FORM_EXEC) {
		stat = 0;	/* 27.005 default: received unread */
	} else {
		r_cms(s, r, 302);
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
			    rnd(s) % 4 == 0)
				buf_printf(r, "\r\n^RSSI: %d", s->signal);
		}
		list_entry(s, r, i);
		listed++;
		if (!keep && sl->stat == 0)
			sl->stat = 1;
	}
	if (listed)
		buf_str(r, "\r\n");
	r_ok(r);
}

static bool slot_index(struct sim *s, const struct args *a, int k, int *idx)
{
	int v;

	if (!arg_int(a, k, 0, 100000, &v))
		return false;
	v -= s->prof->first_index;
	if (v < 0 || v >= s->capacity)
		return false;
	*idx = v;
	return true;
}

static void cmd_cmgr(struct sim *s, struct cmd *c, struct buf *r)
{
	int i;
	struct slot *sl;

	if (!need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		r_ok(r);
		return;
	}
	if (s->cmgf == 1) {
		r_error(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok || !slot_index(s, &c->args, 0, &i)) {
		r_cms(s, r, 321);
		return;
	}
	sl = &s->slots[i];
	if (!sl->used) {
		if (s->prof->empty_read_ok)
			r_ok(r);
		else
			r_cms(s, r, 321);
		return;
	}
	buf_printf(r, "\r\n+CMGR: %d,,%zu\r\n%s\r\n", sl->stat, sl->tpdu_len,
		   sl->hex);
	if (sl->stat == 0)
		sl->stat = 1;
	r_ok(r);
}

static void cmd_cmgd(struct sim *s, struct cmd *c, struct buf *r,
		     struct after *af)
{
	int idx = -1, flag = 0, i;

	if (!need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		buf_printf(r, "\r\n+CMGD: (%d-%d),(0-4)\r\n",
			   s->prof->first_index,
			   s->prof->first_index + s->capacity - 1);
		r_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok) {
		r_cms(s, r, 302);
		return;
	}
	if (c->args.n > 1 && !arg_int(&c->args, 1, 0, 4, &flag)) {
		r_cms(s, r, 302);
		return;
	}
	if (flag == 0 && !slot_index(s, &c->args, 0, &idx)) {
		r_cms(s, r, 321);
		return;
	}
	if (flag == 0) {
		slot_clear(&s->slots[idx]);
	} else {
		for (i = 0; i < s->capacity; i++) {
			struct slot *sl = &s->slots[i];

			if (!sl->used)
				continue;
			if (flag == 4 || sl->stat == 1 ||
			    (flag >= 2 && sl->stat == 3) ||
			    (flag >= 3 && sl->stat == 2))
				slot_clear(sl);
		}
	}
	r_ok(r);
	af->flush_pending = true;
}

static void cmd_cpms(struct sim *s, struct cmd *c, struct buf *r)
{
	int used, i;

	if (!need_sim(s, r, true))
		return;
	used = slots_used(s);
	if (c->form == FORM_TEST) {
		r_line(r, "+CPMS: (\"SM\"),(\"SM\"),(\"SM\")");
		r_ok(r);
		return;
	}
	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n+CPMS: \"SM\",%d,%d,\"SM\",%d,%d,\"SM\",%d,%d\r\n",
			   used, s->capacity, used, s->capacity, used,
			   s->capacity);
		r_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok || c->args.n < 1 ||
	    c->args.n > 3) {
		r_cms(s, r, 302);
		return;
	}
	for (i = 0; i < c->args.n; i++) {
		if (strcasecmp(c->args.v[i], "SM")) {
			r_cms(s, r, 302);	/* only SIM storage here */
			return;
		}
	}
	buf_printf(r, "\r\n+CPMS: %d,%d,%d,%d,%d,%d\r\n", used, s->capacity,
		   used, s->capacity, used, s->capacity);
	r_ok(r);
}

static void cmd_cmgs(struct sim *s, struct cmd *c, struct buf *r)
{
	int len;
	struct fault *np = &s->faults[F_NOPROMPT];
	struct fault *up = &s->faults[F_URC_IN_PROMPT];

	if (!need_sim(s, r, true))
		return;
	if (c->form == FORM_TEST) {
		r_ok(r);
		return;
	}
	if (s->cmgf == 1) {
		r_cms(s, r, 302);	/* text mode sending not simulated */
		return;
	}
	if (c->form != FORM_SET || !c->args_ok ||
	    !arg_int(&c->args, 0, 1, 164, &len)) {
		r_cms(s, r, 304);
		return;
	}
	if (!net_up(s)) {
		r_cms(s, r, 331);
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

static void cmd_cusd(struct sim *s, struct cmd *c, struct buf *r,
		     struct after *af)
{
	int n;
	char code[128], text[256];

	if (c->form == FORM_QUERY) {
		r_line(r, "+CUSD: 0");
		r_ok(r);
		return;
	}
	if (c->form == FORM_TEST) {
		r_line(r, "+CUSD: (0-2)");
		r_ok(r);
		return;
	}
	if (c->form != FORM_SET || !c->args_ok ||
	    !arg_int(&c->args, 0, 0, 2, &n)) {
		r_cme(s, r, 50);
		return;
	}
	if (n == 2 || c->args.n < 2) {
		r_ok(r);
		return;
	}
	if (!need_sim(s, r, false))
		return;
	if (!net_up(s)) {
		r_cme(s, r, 30);
		return;
	}
	if (s->prof->ussd_packed && is_hex(c->args.v[1], strlen(c->args.v[1]))) {
		if (!unpack_ascii(c->args.v[1], code, sizeof(code))) {
			r_cme(s, r, 50);
			return;
		}
	} else if (!strcasecmp(s->cscs, "UCS2")) {
		if (!ucs2_to_ascii(c->args.v[1], code, sizeof(code))) {
			r_cme(s, r, 50);
			return;
		}
	} else {
		snprintf(code, sizeof(code), "%s", c->args.v[1]);
	}
	r_ok(r);
	if (!strcmp(code, "*100#") || !strcmp(code, "*101#") ||
	    !strcmp(code, "#100#")) {
		snprintf(text, sizeof(text),
			 "Dear customer, your balance %s yuan, valid until "
			 "2027-06-30.", s->balance);
		if (s->prof->ussd_packed)
			pack_ascii(text, af->cusd + 1, sizeof(af->cusd) - 1);
		else
			cs_string(s, text, af->cusd + 1, sizeof(af->cusd) - 1);
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
		if (!need_sim(s, r, true))
			return;
		cs_string(s, s->smsc, v, sizeof(v));
		buf_printf(r, "\r\n+CSCA: \"%s\",%d\r\n", v,
			   s->smsc[0] == '+' ? 145 : 129);
		r_ok(r);
		return;
	}
	if (c->form == FORM_SET && c->args_ok && c->args.n >= 1) {
		if (!strcasecmp(s->cscs, "UCS2")) {
			if (!ucs2_to_ascii(c->args.v[0], v, sizeof(v))) {
				r_cms(s, r, 304);
				return;
			}
		} else {
			snprintf(v, sizeof(v), "%s", c->args.v[0]);
		}
		if (!v[0] || strlen(v) >= sizeof(s->smsc)) {
			r_cms(s, r, 304);
			return;
		}
		memcpy(s->smsc, v, strlen(v) + 1);
		r_ok(r);
		return;
	}
	if (c->form == FORM_TEST) {
		r_ok(r);
		return;
	}
	r_cms(s, r, 302);
}

/* "1" style settings: AT+X=n with n in [lo,hi], AT+X? -> +X: n. */
static void cmd_simple_int(struct sim *s, struct cmd *c, struct buf *r,
			   int *var, int lo, int hi, const char *range)
{
	int v;

	if (c->form == FORM_QUERY) {
		buf_printf(r, "\r\n%s: %d\r\n", c->name, *var);
		r_ok(r);
	} else if (c->form == FORM_TEST) {
		buf_printf(r, "\r\n%s: %s\r\n", c->name, range);
		r_ok(r);
	} else if (c->form == FORM_SET && c->args_ok &&
		   arg_int(&c->args, 0, lo, hi, &v)) {
		*var = v;
		r_ok(r);
	} else if (c->form == FORM_EXEC) {
		*var = lo;
		r_ok(r);
	} else {
		r_cme(s, r, 50);
	}
}

static void info_reply(struct sim *s, struct cmd *c, struct buf *r,
		       const char *info)
{
	(void)s;
	if (c->form == FORM_TEST) {
		r_ok(r);
		return;
	}
	if (c->form != FORM_EXEC) {
		r_error(r);
		return;
	}
	r_line(r, info);
	r_ok(r);
}

static void parse_cmd(const char *line, struct cmd *c)
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
	if (!strcmp(p, "?")) {
		c->form = FORM_QUERY;
	} else if (!strcmp(p, "=?")) {
		c->form = FORM_TEST;
	} else if (*p == '=') {
		c->form = FORM_SET;
		c->rest = p + 1;
		c->args_ok = split_args(p + 1, &c->args);
	} else {
		c->form = FORM_EXEC;
		c->rest = p;
		c->args_ok = split_args("", &c->args);
	}
}

/*
 * A chain of basic commands such as "E0V1Q0&C1" (not ATI/ATZ/ATS, which
 * are handled one at a time).  False when @p is not such a chain.
 */
static bool basic_chain(struct sim *s, const char *p, struct buf *r)
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
	r_ok(r);
	return true;
}

static bool execute(struct sim *s, const char *line, struct buf *r,
		    struct after *af)
{
	const struct profile *p = s->prof;
	struct cmd c;
	char tmp[256];

	if (strchr("EeVvQqXx&", line[2]) && line[2] && line[3] != 'F' &&
	    line[3] != 'f' && basic_chain(s, line + 2, r))
		return true;
	parse_cmd(line, &c);

	if (!c.name[0] && !c.rest[0]) {			/* AT */
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "E") && c.form == FORM_EXEC) {
		if (!strcmp(c.rest, "0") || !strcmp(c.rest, "1") || !*c.rest) {
			s->echo = *c.rest == '1';
			r_ok(r);
		} else {
			r_error(r);
		}
		return true;
	}
	if (!strcmp(c.name, "I") && c.form == FORM_EXEC) {
		const char *a;

		/* one block: "\r\nline1\r\nline2\r\n" */
		buf_str(r, "\r\n");
		for (a = p->ati; *a; a++)
			buf_str(r, *a == '\n' ? "\r\n" : (char[2]){ *a, 0 });
		buf_str(r, "\r\n");
		r_ok(r);
		return true;
	}
	if ((!strcmp(c.name, "Z") || !strcmp(c.name, "&F")) &&
	    c.form == FORM_EXEC) {
		settings_reset(s);
		r_ok(r);
		return true;
	}
	if ((!strcmp(c.name, "V") && !strcmp(c.rest, "1")) ||
	    (!strcmp(c.name, "Q") && !strcmp(c.rest, "0")) ||
	    !strcmp(c.name, "&W") || !strcmp(c.name, "&C") ||
	    !strcmp(c.name, "&D") || !strcmp(c.name, "S") ||
	    !strcmp(c.name, "X")) {
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "+CMEE")) {
		cmd_simple_int(s, &c, r, &s->cmee, 0, 2, "(0-2)");
		return true;
	}
	if (!strcmp(c.name, "+CGMI") || !strcmp(c.name, "+GMI")) {
		info_reply(s, &c, r, p->manufacturer);
		return true;
	}
	if (!strcmp(c.name, "+CGMM") || !strcmp(c.name, "+GMM")) {
		info_reply(s, &c, r, p->model);
		return true;
	}
	if (!strcmp(c.name, "+CGMR") || !strcmp(c.name, "+GMR")) {
		info_reply(s, &c, r, p->revision);
		return true;
	}
	if (!strcmp(c.name, "+CGSN") || !strcmp(c.name, "+GSN")) {
		info_reply(s, &c, r, p->imei);
		return true;
	}
	if (!strcmp(c.name, "+GCAP")) {
		info_reply(s, &c, r, "+GCAP: +CGSM,+DS,+ES");
		return true;
	}
	if (!strcmp(c.name, "+CIMI")) {
		if (need_sim(s, r, false))
			info_reply(s, &c, r, "460001234567890");
		return true;
	}
	if ((!strcmp(c.name, "+CCID") && !strcmp(p->name, "simcom")) ||
	    (!strcmp(c.name, "+QCCID") && !strcmp(p->name, "quectel"))) {
		info_reply(s, &c, r, c.name[1] == 'Q' ?
			   "+QCCID: 89860012345678901234" :
			   "89860012345678901234");
		return true;
	}
	if (!strcmp(c.name, "^ICCID") && !strcmp(p->name, "huawei") &&
	    c.form == FORM_QUERY) {
		r_line(r, "^ICCID: 98680021436587092143");
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "^CURC") && p->periodic_noise) {
		int v = s->curc;

		cmd_simple_int(s, &c, r, &v, 0, 1, "(0-1)");
		s->curc = v;
		return true;
	}
	if (!strcmp(c.name, "^SYSINFO") && p->periodic_noise) {
		buf_printf(r, "\r\n^SYSINFO: %d,%d,0,5,%d,,4\r\n",
			   net_up(s) ? 2 : 0, net_up(s) ? 3 : 0,
			   sim_ready(s) ? 1 : 255);
		r_ok(r);
		return true;
	}
	if ((!strcmp(c.name, "+QURCCFG") || !strcmp(c.name, "+QCFG")) &&
	    !strcmp(p->name, "quectel")) {
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "+CPIN")) {
		cmd_cpin(s, &c, r, af);
		return true;
	}
	if (p->pin_query && !strcmp(c.name, p->pin_query)) {
		cmd_pin_query(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CFUN")) {
		int f = 1, rst = 0;

		if (c.form == FORM_QUERY) {
			buf_printf(r, "\r\n+CFUN: %d\r\n", s->radio_on ? 1 : 0);
			r_ok(r);
		} else if (c.form == FORM_TEST) {
			r_line(r, "+CFUN: (0,1,4),(0-1)");
			r_ok(r);
		} else if (c.form == FORM_SET && c.args_ok &&
			   arg_int(&c.args, 0, 0, 4, &f) &&
			   (c.args.n < 2 || arg_int(&c.args, 1, 0, 1, &rst))) {
			bool was = net_up(s);

			s->radio_on = f == 1;
			r_ok(r);
			if (rst)
				af->reboot = true;
			else if (was != net_up(s))
				creg_urc(s, true);
			if (net_up(s))
				af->flush_pending = true;
		} else {
			r_cme(s, r, 50);
		}
		return true;
	}
	if (!strcmp(c.name, "+CREG") || !strcmp(c.name, "+CGREG") ||
	    !strcmp(c.name, "+CEREG")) {
		int v;

		if (c.form == FORM_QUERY) {
			int n = !strcmp(c.name, "+CREG") ? s->creg_n : 0;

			if (n == 2 && net_up(s))
				buf_printf(r, "\r\n%s: 2,%d,\"2A3B\",\"01C4F5E\"\r\n",
					   c.name, creg_stat(s));
			else
				buf_printf(r, "\r\n%s: %d,%d\r\n", c.name, n,
					   creg_stat(s));
			r_ok(r);
		} else if (c.form == FORM_TEST) {
			buf_printf(r, "\r\n%s: (0-2)\r\n", c.name);
			r_ok(r);
		} else if (c.form == FORM_SET && c.args_ok &&
			   arg_int(&c.args, 0, 0, 2, &v)) {
			if (!strcmp(c.name, "+CREG"))
				s->creg_n = v;
			r_ok(r);
		} else {
			r_cme(s, r, 50);
		}
		return true;
	}
	if (!strcmp(c.name, "+CSQ")) {
		if (c.form == FORM_TEST) {
			r_line(r, "+CSQ: (0-31,99),(0-7,99)");
			r_ok(r);
		} else if (c.form == FORM_EXEC) {
			buf_printf(r, "\r\n+CSQ: %d,99\r\n",
				   s->radio_on ? s->signal : 99);
			r_ok(r);
		} else {
			r_error(r);
		}
		return true;
	}
	if (!strcmp(c.name, "+COPS")) {
		int mode, fmt;

		if (c.form == FORM_QUERY) {
			if (net_up(s) && s->cops_format == 2)
				r_line(r, "+COPS: 0,2,\"46000\",7");
			else if (net_up(s))
				r_line(r, "+COPS: 0,0,\"CHINA MOBILE\",7");
			else
				r_line(r, "+COPS: 0");
			r_ok(r);
		} else if (c.form == FORM_TEST) {
			r_line(r, "+COPS: (2,\"CHINA MOBILE\",\"CMCC\",\"46000\",7),,"
				  "(0-4),(0-2)");
			r_ok(r);
		} else if (c.form == FORM_SET && c.args_ok &&
			   arg_int(&c.args, 0, 0, 4, &mode)) {
			if (mode == 3 && c.args.n > 1 &&
			    arg_int(&c.args, 1, 0, 2, &fmt))
				s->cops_format = fmt;
			r_ok(r);
		} else {
			r_cme(s, r, 50);
		}
		return true;
	}
	if (!strcmp(c.name, "+CNUM")) {
		if (!need_sim(s, r, false))
			return true;
		if (s->own_number[0]) {
			cs_string(s, s->own_number, tmp, sizeof(tmp));
			buf_printf(r, "\r\n+CNUM: \"\",\"%s\",%d\r\n", tmp,
				   s->own_number[0] == '+' ? 145 : 129);
		}
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "+CMGF")) {
		cmd_simple_int(s, &c, r, &s->cmgf, 0, 1, "(0-1)");
		return true;
	}
	if (!strcmp(c.name, "+CSCS")) {
		if (c.form == FORM_QUERY) {
			buf_printf(r, "\r\n+CSCS: \"%s\"\r\n", s->cscs);
			r_ok(r);
		} else if (c.form == FORM_TEST) {
			r_line(r, "+CSCS: (\"IRA\",\"GSM\",\"UCS2\")");
			r_ok(r);
		} else if (c.form == FORM_SET && c.args_ok && c.args.n == 1 &&
			   (!strcasecmp(c.args.v[0], "GSM") ||
			    !strcasecmp(c.args.v[0], "UCS2") ||
			    !strcasecmp(c.args.v[0], "IRA"))) {
			memcpy(s->cscs, c.args.v[0], strlen(c.args.v[0]) + 1);
			for (char *q = s->cscs; *q; q++)
				*q = toupper((unsigned char)*q);
			r_ok(r);
		} else {
			r_cme(s, r, 4);
		}
		return true;
	}
	if (!strcmp(c.name, "+CSMS")) {
		int v;

		if (c.form == FORM_QUERY) {
			r_line(r, "+CSMS: 0,1,1,1");
			r_ok(r);
		} else if (c.form == FORM_TEST) {
			r_line(r, "+CSMS: (0,1)");
			r_ok(r);
		} else if (c.form == FORM_SET && c.args_ok &&
			   arg_int(&c.args, 0, 0, 1, &v)) {
			r_line(r, "+CSMS: 1,1,1");
			r_ok(r);
		} else {
			r_cms(s, r, 302);
		}
		return true;
	}
	if (!strcmp(c.name, "+CSDH") || !strcmp(c.name, "+CSMP") ||
	    !strcmp(c.name, "+CMMS") || !strcmp(c.name, "+CLIP") ||
	    !strcmp(c.name, "+CRC") || !strcmp(c.name, "+IPR") ||
	    !strcmp(c.name, "+IFC") || !strcmp(c.name, "+CSCB")) {
		r_ok(r);
		return true;
	}
	if (!strcmp(c.name, "+CNMA")) {
		if (!s->cmt_unacked) {
			r_cms(s, r, 340);
		} else {
			s->cmt_unacked = false;
			r_ok(r);
		}
		return true;
	}
	if (!strcmp(c.name, "+CSCA")) {
		cmd_csca(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CPMS")) {
		cmd_cpms(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CNMI")) {
		cmd_cnmi(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CMGL")) {
		cmd_cmgl(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CMGR")) {
		cmd_cmgr(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CMGD")) {
		cmd_cmgd(s, &c, r, af);
		return true;
	}
	if (!strcmp(c.name, "+CMGS")) {
		cmd_cmgs(s, &c, r);
		return true;
	}
	if (!strcmp(c.name, "+CUSD")) {
		cmd_cusd(s, &c, r, af);
		return true;
	}
	return false;
}

static void log_command(struct sim *s, const char *line)
{
	if (s->n_log >= MAX_LOG) {
		free(s->log[0]);
		memmove(s->log, s->log + 1, (MAX_LOG - 1) * sizeof(s->log[0]));
		s->n_log--;
		s->log_dropped++;
	}
	s->log[s->n_log++] = xstrdup(line);
}

static void add_garbage(struct sim *s, struct buf *r)
{
	char g[96];
	size_t i;

	for (i = 0; i < sizeof(g); i++)
		g[i] = (char)rnd(s);
	g[0] = '\0';
	g[1] = (char)0xff;
	g[2] = '\r';
	g[5] = '\n';
	buf_str(r, "\r\n");
	buf_add(r, g, sizeof(g), MAX_OUTQ);
	buf_str(r, "\r\n");
	for (i = 0; i < 3000; i++) {
		char ch = (char)('!' + rnd(s) % 90);

		buf_add(r, &ch, 1, MAX_OUTQ);
	}
	buf_str(r, "\r\n");
	buf_add(r, "\xff\xfe\x00\x00\xff", 5, MAX_OUTQ);
}

/* Post-reply actions are events due after the reply. */
static void schedule_after(struct sim *s, struct after *af)
{
	int64_t due = now_ms();

	if (due < s->last_reply_due)
		due = s->last_reply_due;
	if (af->ready)
		sim_became_ready(s);
	if (af->flush_pending)
		schedule_flush(s);
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
		e = ev_add(s, due + 150 + s->base_delay, EV_OUT);
		if (e) {
			e->data = b.p;
			e->len = b.len;
		} else {
			buf_free(&b);
		}
	}
	if (af->reboot)
		ev_add(s, due + 50, EV_REBOOT);
}

static void handle_command(struct sim *s, const char *line)
{
	struct buf r = { 0 };
	struct after af = { 0 };
	struct fault *f;
	int delay = s->base_delay;

	/* a command starts at "AT": line noise before it is skipped */
	while (*line && !prefix_ci(line, "AT"))
		line++;
	if (!*line)
		return;
	trace(s, '>', line, strlen(line));
	log_command(s, line);

	f = &s->faults[F_NOANSWER];
	if (f->count) {
		f->count--;
		return;
	}
	f = &s->faults[F_ERROR];
	if (f->count && prefix_ci(line, f->match)) {
		f->count--;
		r_error(&r);
	} else if (!execute(s, line, &r, &af)) {
		r_error(&r);
	}
	f = &s->faults[F_GARBAGE];
	if (f->count) {
		struct buf g = { 0 };

		f->count--;
		add_garbage(s, &g);
		buf_add(&g, r.p, r.len, MAX_OUTQ);
		buf_free(&r);
		r = g;
	}
	if (s->prof->periodic_noise && s->curc && rnd(s) % 8 == 0) {
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
	out_later(s, &r, delay);
	buf_free(&r);
	schedule_after(s, &af);
}

static void pdu_submitted(struct sim *s)
{
	struct buf r = { 0 };
	struct sms_pdu *p;
	const char *why = NULL;
	size_t tlen;
	struct fault *f = &s->faults[F_CMS_ERROR];
	int mr;

	s->entry = false;
	s->pdu[s->pdu_len] = '\0';
	trace(s, '>', s->pdu, s->pdu_len);
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	if (s->pdu_overflow || s->pdu_len % 2 || s->pdu_len < 2) {
		r_cms(s, &r, 304);
		goto out;
	}
	tlen = tpdu_len_of(s->pdu);
	if (tlen != s->cmgs_len ||
	    pdu_decode_hex(s->pdu, true, p, &why) < 0 ||
	    p->type != PDU_TYPE_SUBMIT) {
		if (s->trace)
			fprintf(stderr, "modemsim: bad PDU (len %zu vs %zu): %s\n",
				tlen, s->cmgs_len, why ? why : "not a SUBMIT");
		r_cms(s, &r, 304);
		goto out;
	}
	if (f->count) {
		f->count--;
		r_cms(s, &r, f->code);
		goto out;
	}
	mr = s->mr_next;
	s->mr_next = (s->mr_next + 1) % 256;
	buf_printf(&r, "\r\n+CMGS: %d\r\n", mr);
	r_ok(&r);
	sent_record(s, p, s->pdu, mr);
	if (p->srr) {
		struct event *e = ev_add(s, now_ms() + s->base_delay + 200,
					 EV_STATUS_REPORT);

		if (e) {
			e->data = xstrdup(p->addr);
			e->arg = mr;
		}
	}
out:
	{
		int delay = s->base_delay;

		if (s->faults[F_SLOW].count)
			delay += s->faults[F_SLOW].delay_ms;
		out_later(s, &r, delay);
	}
	buf_free(&r);
	free(p);
}

/* Bytes written by the daemon to the modem. */
static void modem_input(struct sim *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (s->entry) {
			if (ch == 0x1a) {
				pdu_submitted(s);
			} else if (ch == 0x1b) {
				s->entry = false;	/* cancelled, no result */
				trace(s, '>', "<ESC>", 5);
			} else if (isxdigit((unsigned char)ch)) {
				if (s->echo)
					out_raw(s, &ch, 1);
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
			out_raw(s, &ch, 1);
		if (ch == '\r') {
			s->line[s->line_len] = '\0';
			if (s->line_overflow) {
				struct buf r = { 0 };

				r_error(&r);
				out_later(s, &r, s->base_delay);
				buf_free(&r);
			} else if (s->line_len) {
				char line[MAX_AT_LINE + 1];

				memcpy(line, s->line, s->line_len + 1);
				s->line_len = 0;
				handle_command(s, line);
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

/* ------------------------------------------------------------------ */
/* control protocol                                                     */

static const char *jstr(cJSON *req, const char *key, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static bool jbool(cJSON *req, const char *key, bool def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static bool jnum(cJSON *req, const char *key, double *out)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (!cJSON_IsNumber(v))
		return false;
	*out = v->valuedouble;
	return true;
}

static bool parse_via(const char *v, enum via *out)
{
	if (!strcmp(v, "cmti"))
		*out = VIA_CMTI;
	else if (!strcmp(v, "silent"))
		*out = VIA_SILENT;
	else if (!strcmp(v, "cmt"))
		*out = VIA_CMT;
	else
		return false;
	return true;
}

static cJSON *ctl_deliver(struct sim *s, cJSON *req)
{
	const char *from = jstr(req, "from", NULL);
	const char *text = jstr(req, "text", NULL);
	const char *order = jstr(req, "order", "normal");
	bool dup = jbool(req, "duplicate", false);
	struct pdu_deliver_opts o = { 0 };
	struct pdu_part *parts;
	size_t n = 0, i, k;
	int idx[MAX_DELIVER_PARTS];
	const char *why = "encoding failed";
	char sender[PDU_ADDR_MAX];
	enum via via;
	double d;
	int r, rounds, queued = 0;
	cJSON *cls, *reply;

	if (!from || !*from || !text)
		return reply_err("deliver needs \"from\" and \"text\"");
	if (!parse_via(jstr(req, "via", "cmti"), &via))
		return reply_err("via must be cmti, silent or cmt");
	norm_number(from, sender, sizeof(sender));
	o.force_ucs2 = jbool(req, "ucs2", false);
	o.scts_epoch = jnum(req, "scts", &d) ? (int64_t)d : (int64_t)time(NULL);
	o.tz_quarters = 32;
	o.concat_ref = ++s->concat_ref & 0xff;
	o.msg_class = -1;
	cls = cJSON_GetObjectItemCaseSensitive(req, "class");
	if (cJSON_IsNumber(cls)) {
		if (cls->valueint < 0 || cls->valueint > 3)
			return reply_err("class must be 0..3 or null");
		o.msg_class = cls->valueint;
	}
	o.smsc = s->smsc;
	parts = calloc(MAX_DELIVER_PARTS, sizeof(*parts));
	if (!parts)
		return reply_err("out of memory");
	r = pdu_encode_deliver(sender, text, &o, parts, MAX_DELIVER_PARTS, &n,
			       &why);
	if (r < 0 || n == 0) {
		free(parts);
		return reply_err(why ? why : "encoding failed");
	}
	for (i = 0; i < n; i++)
		idx[i] = (int)i;
	if (!strcmp(order, "reverse")) {
		for (i = 0; i < n; i++)
			idx[i] = (int)(n - 1 - i);
	} else if (!strcmp(order, "shuffle")) {
		for (i = n - 1; i > 0; i--) {
			int t;

			k = rnd(s) % (i + 1);
			t = idx[i];
			idx[i] = idx[k];
			idx[k] = t;
		}
	} else if (strcmp(order, "normal")) {
		free(parts);
		return reply_err("order must be normal, reverse or shuffle");
	}
	for (rounds = 0; rounds < (dup ? 2 : 1); rounds++) {
		for (i = 0; i < n; i++) {
			struct pdu_part *pp = &parts[idx[i]];

			if (net_deliver(s, xstrdup(pp->hex), pp->tpdu_len, via,
					false) != 0)
				queued++;
		}
	}
	free(parts);
	reply = reply_ok();
	cJSON_AddNumberToObject(reply, "parts", (double)n);
	cJSON_AddNumberToObject(reply, "pending", queued);
	return reply;
}

static cJSON *ctl_deliver_pdu(struct sim *s, cJSON *req)
{
	const char *hex = jstr(req, "pdu", NULL);
	enum via via;
	size_t n;
	char *copy;
	int r;
	cJSON *reply;

	if (!hex)
		return reply_err("deliver_pdu needs \"pdu\"");
	n = strlen(hex);
	if (n < 2 || n % 2 || n > MAX_PDU_HEX || !is_hex(hex, n))
		return reply_err("pdu must be an even number of hex digits "
				 "(at most 255 octets)");
	if (!parse_via(jstr(req, "via", "cmti"), &via))
		return reply_err("via must be cmti, silent or cmt");
	copy = xstrdup(hex);
	for (char *q = copy; *q; q++)
		*q = toupper((unsigned char)*q);
	r = net_deliver(s, copy, tpdu_len_of(copy), via,
			jbool(req, "status_report", false));
	reply = reply_ok();
	cJSON_AddNumberToObject(reply, "parts", 1);
	cJSON_AddNumberToObject(reply, "pending", r != 0);
	return reply;
}

static cJSON *ctl_sim_state(struct sim *s)
{
	cJSON *o = reply_ok(), *arr = cJSON_CreateArray(), *cn;
	int i;

	cJSON_AddNumberToObject(o, "used", slots_used(s));
	cJSON_AddNumberToObject(o, "capacity", s->capacity);
	cJSON_AddNumberToObject(o, "pending", s->n_pending);
	for (i = 0; i < s->capacity; i++) {
		cJSON *sl;

		if (!s->slots[i].used)
			continue;
		sl = cJSON_CreateObject();
		cJSON_AddNumberToObject(sl, "index", i + s->prof->first_index);
		cJSON_AddNumberToObject(sl, "stat", s->slots[i].stat);
		cJSON_AddStringToObject(sl, "pdu", s->slots[i].hex);
		cJSON_AddItemToArray(arr, sl);
	}
	cJSON_AddItemToObject(o, "slots", arr);
	cJSON_AddStringToObject(o, "pin_state",
				s->pin_state == PIN_READY ? "READY" :
				s->pin_state == PIN_NEED_PIN ? "SIM PIN" :
				s->pin_state == PIN_NEED_PUK ? "SIM PUK" :
				"BLOCKED");
	cJSON_AddNumberToObject(o, "pin_left", s->pin_left);
	cJSON_AddNumberToObject(o, "puk_left", s->puk_left);
	cn = cJSON_CreateIntArray(s->cnmi, 5);
	cJSON_AddItemToObject(o, "cnmi", cn);
	cJSON_AddBoolToObject(o, "echo", s->echo);
	cJSON_AddStringToObject(o, "device", s->pts);
	cJSON_AddStringToObject(o, "profile", s->prof->name);
	cJSON_AddNumberToObject(o, "dropped", s->net_dropped);
	return o;
}

static cJSON *ctl_fault(struct sim *s, cJSON *req)
{
	const char *kind = jstr(req, "kind", NULL);
	struct fault *f;
	double d;
	int k;

	if (!kind)
		return reply_err("fault needs \"kind\"");
	for (k = 0; k < F_COUNT; k++)
		if (!strcmp(kind, fault_names[k]))
			break;
	if (k == F_COUNT)
		return reply_err("unknown fault kind");
	f = &s->faults[k];
	f->count = jnum(req, "count", &d) && d >= 0 && d < 1e6 ?
		   (unsigned)d : 1;
	f->code = jnum(req, "code", &d) && d >= 0 && d < 1000 ? (int)d : 500;
	f->delay_ms = jnum(req, "delay_ms", &d) && d >= 0 && d < 600000 ?
		      (int)d : 500;
	snprintf(f->match, sizeof(f->match), "%s", jstr(req, "match", ""));
	if (k == F_HANGUP) {
		cJSON *o = reply_ok();

		if (s->master < 0)
			return reply_err("already hung up");
		cJSON_AddStringToObject(o, "old", s->pts);
		do_hangup(s, f->delay_ms);
		f->count = 0;
		return o;
	}
	return reply_ok();
}

static cJSON *ctl_set(struct sim *s, cJSON *req)
{
	cJSON *v;
	double d;
	bool was = net_up(s);
	int old_signal = s->signal;

	if (jnum(req, "signal", &d)) {
		if (!((d >= 0 && d <= 31) || d == 99))
			return reply_err("signal must be 0..31 or 99");
		s->signal = (int)d;
	}
	v = cJSON_GetObjectItemCaseSensitive(req, "registered");
	if (cJSON_IsBool(v))
		s->registered = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(req, "balance");
	if (cJSON_IsString(v))
		snprintf(s->balance, sizeof(s->balance), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(s->balance, sizeof(s->balance), "%.2f",
			 v->valuedouble);
	v = cJSON_GetObjectItemCaseSensitive(req, "own_number");
	if (cJSON_IsString(v))
		snprintf(s->own_number, sizeof(s->own_number), "%s",
			 v->valuestring);
	if (was != net_up(s)) {
		creg_urc(s, false);
		if (s->prof->periodic_noise && s->curc)
			urc(s, net_up(s) ? "^SRVST: 2" : "^SRVST: 0");
		schedule_flush(s);
	}
	if (old_signal != s->signal && s->prof->periodic_noise && s->curc) {
		char line[32];

		snprintf(line, sizeof(line), "^RSSI: %d", s->signal);
		urc(s, line);
	}
	return reply_ok();
}

static void clear_sent_log(struct sim *s)
{
	while (s->n_sent)
		sent_remove(s, s->n_sent - 1);
	while (s->n_log)
		free(s->log[--s->n_log]);
}

/* One request; NULL when the reply comes later (wait_sent). */
static cJSON *ctl_request(struct sim *s, struct client *c, cJSON *req)
{
	const char *cmd = jstr(req, "cmd", "");
	unsigned n;
	int i;

	if (!strcmp(cmd, "deliver"))
		return ctl_deliver(s, req);
	if (!strcmp(cmd, "deliver_pdu"))
		return ctl_deliver_pdu(s, req);
	if (!strcmp(cmd, "sent")) {
		cJSON *o = reply_ok();
		cJSON *l = sent_list(s, jstr(req, "to", NULL), false, &n);

		cJSON_AddItemToObject(o, "sent", l);
		cJSON_AddNumberToObject(o, "complete", n);
		return o;
	}
	if (!strcmp(cmd, "wait_sent")) {
		const char *to = jstr(req, "to", NULL);
		double d;
		unsigned k = 1, t = 10000;
		struct event *e;

		if (!to)
			return reply_err("wait_sent needs \"to\"");
		if (jnum(req, "count", &d) && d >= 0 && d < 1e6)
			k = (unsigned)d;
		if (jnum(req, "timeout_ms", &d) && d >= 0 && d < 3.6e6)
			t = (unsigned)d;
		norm_number(to, c->wait_to, sizeof(c->wait_to));
		c->wait_count = k;
		c->waiting = true;
		if (count_complete(s, to) >= k) {
			wait_finish(s, c, false);
			return NULL;
		}
		e = ev_add(s, now_ms() + t, EV_CTL_TIMEOUT);
		if (e)
			e->arg = (int)c->id;
		c->wait_deadline = now_ms() + t;
		return NULL;
	}
	if (!strcmp(cmd, "sim"))
		return ctl_sim_state(s);
	if (!strcmp(cmd, "log")) {
		cJSON *o = reply_ok(), *arr = cJSON_CreateArray();

		for (i = 0; i < s->n_log; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(s->log[i]));
		cJSON_AddItemToObject(o, "commands", arr);
		cJSON_AddNumberToObject(o, "dropped", s->log_dropped);
		return o;
	}
	if (!strcmp(cmd, "fault"))
		return ctl_fault(s, req);
	if (!strcmp(cmd, "set"))
		return ctl_set(s, req);
	if (!strcmp(cmd, "reboot")) {
		if (s->master < 0)
			return reply_err("modem is unplugged");
		s->entry = false;
		modem_boot(s);
		return reply_ok();
	}
	if (!strcmp(cmd, "clear")) {
		clear_sent_log(s);
		return reply_ok();
	}
	if (!strcmp(cmd, "ping")) {
		cJSON *o = reply_ok();

		cJSON_AddStringToObject(o, "device", s->pts);
		return o;
	}
	return reply_err("unknown cmd");
}

static void process_client_input(struct sim *s, struct client *c)
{
	char *nl;

	while (!c->waiting && c->in.len &&
	       (nl = memchr(c->in.p, '\n', c->in.len))) {
		size_t n = nl - c->in.p;
		cJSON *req, *reply;

		*nl = '\0';
		req = cJSON_ParseWithLength(c->in.p, n);
		if (!req || !cJSON_IsObject(req))
			reply = reply_err("request is not a JSON object");
		else
			reply = ctl_request(s, c, req);
		cJSON_Delete(req);
		buf_consume(&c->in, n + 1);
		if (reply)
			client_send(s, c, reply);
	}
	if (!c->waiting && c->in.len >= MAX_CTL_LINE) {
		client_send(s, c, reply_err("request line too long"));
		c->in.len = 0;
		c->closing = true;
	}
}

static void client_close(struct sim *s, int i)
{
	struct client *c = s->clients[i];

	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	s->clients[i] = NULL;
}

static void client_flush(struct client *c)
{
	while (c->out.len) {
		ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				c->out.len = 0;
				c->closing = true;
			}
			return;
		}
		buf_consume(&c->out, (size_t)w);
	}
}

/* ------------------------------------------------------------------ */
/* the loop                                                             */

static void run_event(struct sim *s, struct event *e)
{
	switch (e->kind) {
	case EV_OUT:
		if (e->gen == s->gen)
			out_raw(s, e->data, e->len);
		break;
	case EV_FLUSH_PENDING:
		net_flush(s);
		break;
	case EV_STATUS_REPORT: {
		struct pdu_part part;
		const char *why;
		int64_t t = time(NULL);

		if (pdu_encode_status_report(e->data, (uint8_t)e->arg, 0, t - 2,
					     t, 32, s->smsc, &part, &why) == 0)
			net_deliver(s, xstrdup(part.hex), part.tpdu_len,
				    VIA_CMTI, true);
		else if (s->trace)
			fprintf(stderr, "modemsim: status report: %s\n", why);
		break;
	}
	case EV_REOPEN:
		do_reopen(s, e->data);
		break;
	case EV_REBOOT:
		modem_boot(s);
		break;
	case EV_NOISE:
		if (s->master >= 0 && s->curc) {
			char line[64];

			switch (rnd(s) % 4) {
			case 0:
				snprintf(line, sizeof(line), "^RSSI: %d",
					 s->signal);
				break;
			case 1:
				snprintf(line, sizeof(line), "^MODE: 5,4");
				break;
			case 2:
				snprintf(line, sizeof(line),
					 "^BOOT:%u,0,0,0,72",
					 10000000 + rnd(s) % 89999999);
				break;
			default:
				snprintf(line, sizeof(line), "^SRVST: %d",
					 net_up(s) ? 2 : 0);
				break;
			}
			urc(s, line);
		}
		ev_add(s, now_ms() + 2000 + rnd(s) % 8000, EV_NOISE);
		break;
	case EV_CTL_TIMEOUT: {
		int i;

		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];

			if (c && c->id == (unsigned)e->arg && c->waiting &&
			    now_ms() >= c->wait_deadline) {
				wait_finish(s, c, true);
				process_client_input(s, c);
			}
		}
		break;
	}
	}
}

static void run_due_events(struct sim *s)
{
	int64_t now = now_ms();

	while (s->events && s->events->due <= now) {
		struct event *e = s->events;

		s->events = e->next;
		s->n_events--;
		run_event(s, e);
		ev_free(e);
	}
	if (s->last_reply_due <= now && !ev_pending(s, EV_OUT))
		s->last_reply_due = 0;
}

static void master_write(struct sim *s)
{
	while (s->outq.len && s->master >= 0) {
		ssize_t w = write(s->master, s->outq.p, s->outq.len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->outq.len = 0;	/* EIO: nobody there */
			return;
		}
		trace(s, '<', s->outq.p, (size_t)w);
		buf_consume(&s->outq, (size_t)w);
	}
}

static void master_read(struct sim *s)
{
	char tmp[4096];

	for (;;) {
		ssize_t n = read(s->master, tmp, sizeof(tmp));

		if (n > 0) {
			modem_input(s, tmp, (size_t)n);
			if (s->master < 0)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;		/* EAGAIN, or EIO: never fatal */
	}
}

static void accept_clients(struct sim *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c;
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CLIENTS && s->clients[i]; i++)
			;
		c = i < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->id = ++s->next_client_id;
		s->clients[i] = c;
	}
}

static void client_read(struct sim *s, struct client *c)
{
	char tmp[8192];

	for (;;) {
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);

		if (n > 0) {
			if (!buf_add(&c->in, tmp, (size_t)n, MAX_CTL_LINE + 8192)) {
				client_send(s, c, reply_err("request line too long"));
				c->closing = true;
				return;
			}
			process_client_input(s, c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			/* half-closed: still answer what was asked */
			c->closing = true;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->closing = true;
			c->out.len = 0;
			c->waiting = false;
		}
		return;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static int loop(struct sim *s)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	int map[MAX_CLIENTS];
	sigset_t empty;

	sigemptyset(&empty);
	while (!quit_flag) {
		struct timespec ts, *tp = NULL;
		int nfd = 0, i, nc = 0, r;
		int master_i = -1;

		run_due_events(s);
		master_write(s);
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];

			if (!c)
				continue;
			client_flush(c);
			if (c->closing && !c->out.len && !c->waiting)
				client_close(s, i);
		}
		if (s->events) {
			int64_t d = s->events->due - now_ms();

			if (d < 0)
				d = 0;
			ts.tv_sec = d / 1000;
			ts.tv_nsec = (d % 1000) * 1000000;
			tp = &ts;
		}
		pfd[nfd].fd = s->listen_fd;
		pfd[nfd++].events = POLLIN;
		if (s->master >= 0) {
			master_i = nfd;
			pfd[nfd].fd = s->master;
			pfd[nfd++].events = POLLIN | (s->outq.len ? POLLOUT : 0);
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];

			/* a half-closed client waiting for wait_sent is not
			 * polled: its POLLHUP would wake the loop forever */
			if (!c || (c->closing && !c->out.len))
				continue;
			map[nc++] = i;
			pfd[nfd].fd = c->fd;
			pfd[nfd++].events = (c->closing ? 0 : POLLIN) |
					    (c->out.len ? POLLOUT : 0);
		}
		r = ppoll(pfd, nfd, tp, &empty);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("jifen-modemsim: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_clients(s);
		if (master_i >= 0 && s->master >= 0) {
			if (pfd[master_i].revents & (POLLIN | POLLHUP | POLLERR))
				master_read(s);
			if (s->master >= 0 && (pfd[master_i].revents & POLLOUT))
				master_write(s);
		}
		for (i = 0; i < nc; i++) {
			struct pollfd *pf = &pfd[(master_i >= 0 ? 2 : 1) + i];
			struct client *c = s->clients[map[i]];

			if (!c || c->fd != pf->fd)
				continue;
			if (!c->closing &&
			    (pf->revents & (POLLIN | POLLHUP | POLLERR)))
				client_read(s, c);
			if (pf->revents & (POLLOUT | POLLHUP | POLLERR))
				client_flush(c);
		}
	}
	return 0;
}

static int listen_ctl(struct sim *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(s->link) + 5 > sizeof(sa.sun_path)) {
		fprintf(stderr, "jifen-modemsim: %s.ctl: path too long\n",
			s->link);
		return -1;
	}
	snprintf(s->ctl_path, sizeof(s->ctl_path), "%s.ctl", s->link);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->ctl_path);
	unlink(s->ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		fprintf(stderr, "jifen-modemsim: %s: %s\n", s->ctl_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: jifen-modemsim --link PATH [--profile generic|huawei|"
	      "simcom|quectel]\n"
	      "       [--capacity N] [--pin 1234] [--puk 12345678]\n"
	      "       [--own-number +8613900000000] [--delay-ms N] [--seed N]"
	      " [--trace]\n", f);
}

static void cleanup(struct sim *s)
{
	int i;

	if (s->link)
		unlink(s->link);
	if (s->ctl_path[0])
		unlink(s->ctl_path);
	pty_close(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i])
			client_close(s, i);
	while (s->events) {
		struct event *e = s->events;

		s->events = e->next;
		ev_free(e);
	}
	for (i = 0; i < MAX_SLOTS; i++)
		slot_clear(&s->slots[i]);
	for (i = 0; i < s->n_pending; i++)
		free(s->pending[i].hex);
	clear_sent_log(s);
	buf_free(&s->outq);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "profile", required_argument, NULL, 'p' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'P' },
		{ "puk", required_argument, NULL, 'K' },
		{ "own-number", required_argument, NULL, 'o' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct sim sim;
	struct sim *s = &sim;
	struct sigaction sa = { 0 };
	sigset_t block;
	int opt, seed = 1, r;
	size_t i;

	s->prof = &profiles[0];
	s->capacity = 20;
	s->master = s->slave = s->listen_fd = -1;
	snprintf(s->puk, sizeof(s->puk), "12345678");
	snprintf(s->smsc, sizeof(s->smsc), DEFAULT_SMSC);
	snprintf(s->balance, sizeof(s->balance), "12.50");
	s->signal = 20;
	s->registered = true;
	s->radio_on = true;
	s->pin_left = 3;
	s->puk_left = 10;
	s->mr_next = 1;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			s->link = optarg;
			break;
		case 'p':
			for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
				if (!strcmp(optarg, profiles[i].name))
					break;
			if (i == sizeof(profiles) / sizeof(profiles[0])) {
				fprintf(stderr, "jifen-modemsim: unknown profile "
					"'%s'\n", optarg);
				return 2;
			}
			s->prof = &profiles[i];
			break;
		case 'c':
			if (!parse_int(optarg, 1, MAX_SLOTS, &s->capacity)) {
				fprintf(stderr, "jifen-modemsim: --capacity "
					"must be 1..%d\n", MAX_SLOTS);
				return 2;
			}
			break;
		case 'P':
			if (!*optarg || strlen(optarg) > 8) {
				fputs("jifen-modemsim: bad --pin\n", stderr);
				return 2;
			}
			snprintf(s->pin, sizeof(s->pin), "%s", optarg);
			s->has_pin = true;
			break;
		case 'K':
			if (!*optarg || strlen(optarg) > 8) {
				fputs("jifen-modemsim: bad --puk\n", stderr);
				return 2;
			}
			snprintf(s->puk, sizeof(s->puk), "%s", optarg);
			break;
		case 'o':
			snprintf(s->own_number, sizeof(s->own_number), "%s",
				 optarg);
			break;
		case 'd':
			if (!parse_int(optarg, 0, 600000, &s->base_delay)) {
				fputs("jifen-modemsim: bad --delay-ms\n", stderr);
				return 2;
			}
			break;
		case 's':
			if (!parse_int(optarg, 0, INT_MAX, &seed)) {
				fputs("jifen-modemsim: bad --seed\n", stderr);
				return 2;
			}
			break;
		case 't':
			s->trace = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!s->link || optind != argc) {
		usage(stderr);
		return 2;
	}
	s->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)seed * 0xbf58476d1ce4e5b9ULL;
	if (!s->rng)
		s->rng = 1;
	s->concat_ref = (uint16_t)(rnd(s) & 0xff);
	if (s->has_pin)
		s->pin_state = PIN_NEED_PIN;

	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);

	r = pty_open(s, NULL);
	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: pty: %s\n", strerror(-r));
		return 1;
	}
	r = link_point(s);
	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: link %s: %s\n", s->link,
			strerror(-r));
		pty_close(s);
		return 1;
	}
	if (listen_ctl(s) < 0) {
		unlink(s->link);
		pty_close(s);
		return 1;
	}
	modem_boot(s);
	if (s->prof->periodic_noise)
		ev_add(s, now_ms() + 2000 + rnd(s) % 8000, EV_NOISE);
	if (s->trace)
		fprintf(stderr, "modemsim: %s -> %s (%s)\n", s->link, s->pts,
			s->prof->name);
	printf("ready %s\n", s->link);
	fflush(stdout);

	r = loop(s);
	cleanup(s);
	return r;
}
