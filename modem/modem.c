// SPDX-License-Identifier: MIT
/*
 * modem.c - the modem engine: bring-up, SMS in and out, USSD, health
 * check, loss and reopen.  See modem.h for the contract and
 * docs/MODEM.md for the sequence, the fallbacks and the vendor quirks.
 *
 * Every AT command goes through one at_chat.  Each command carries a
 * small context (kind, argument, bring-up generation); the one result
 * callback switches on the kind.  Things that must not happen inside a
 * chat callback (closing the port, resetting the chat) are requested
 * with request_lost() and done when the entry point returns.
 */
#include "modem/modem.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modem/gsm7.h"
#include "modem/port.h"

#define DEFAULT_BAUD		115200
#define DEFAULT_HEALTH_S	300
#define DEFAULT_MAX_TIMEOUTS	3

#define T_CMD			5000	/* ordinary command */
#define T_PROBE			3000	/* "AT" while the modem may boot */
#define T_PIN			20000	/* AT+CPIN="...": SIM work */
#define T_LIST			60000	/* AT+CMGL on a full SIM is slow */
#define T_READ			15000	/* AT+CMGR */
#define T_SEND			60000	/* AT+CMGS: network round trip */
#define T_USSD_CMD		10000	/* OK to AT+CUSD=1 */
#define USSD_WAIT_MS		30000	/* the +CUSD: reply */

#define PROBE_MAX_TIMEOUTS	10	/* a booting modem gets longer */
#define REG_POLL_MS		5000	/* AT+CREG? during bring-up */
#define REG_POLLS		24	/* then carry on unregistered */
#define REG_SLOW_POLL_MS	30000	/* while configured, unregistered */
#define RETRY_MS		2000	/* SIM busy, mandatory step retry */
#define RESWEEP_MS		1000	/* after the owner could not commit */
#define STEP_RETRIES		5
#define SIM_BUSY_RETRIES	10
#define PIN_SETTLE_MS		2000	/* SIM work after a PIN */
#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		60000
#define REBOOT_CHECK_MS		60000	/* at most one AT+CNMI? a minute */
#define STORAGE_WARN_PCT	80

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bring-up steps, in order. */
enum step {
	ST_PROBE,
	ST_ECHO,
	ST_CMEE,
	ST_CGMI,
	ST_CGMM,
	ST_CGMR,
	ST_CPIN,
	ST_CPINR,
	ST_PIN,
	ST_CIMI,
	ST_QUIRK,
	ST_CREG_SET,
	ST_CREG,
	ST_CMGF,
	ST_CSCS,
	ST_CSCA,
	ST_CNUM,
	ST_CPMS,
	ST_CSMS,
	ST_CNMI_TEST,
	ST_CNMI,
	ST_DONE,
};

enum kind {
	K_STEP,
	K_SEND,
	K_READ,
	K_SWEEP,
	K_DELETE,
	K_CSQ,
	K_CREG,
	K_CPMS,
	K_SIM_CHECK,
	K_REBOOT_CHECK,
	K_USSD,
	K_USSD_CLOSE,
	K_CNMA,
	K_CSCA,
};

struct ctx {
	struct modem *m;
	unsigned gen;
	enum kind kind;
	int arg;
	modem_send_fn send_done;
	void *send_data;
};

/* A storage index handed up (or being read) and not yet deleted. */
struct held {
	int index;
	bool reading;
	bool renotified;	/* +CMTI for it while its delete ran */
	int64_t handed_ms;
};

/*
 * Vendor quirks are data: matched on +CGMI (case-insensitive
 * substring).  @init commands run after the SIM step, errors ignored.
 */
struct quirk {
	const char *match;
	const char *const *init;
	bool ussd_packed;	/* AT+CUSD wants/gives packed GSM 7-bit hex */
};

static const char *const huawei_init[] = {
	"AT^CURC=0",		/* stop periodic ^RSSI/^BOOT/^MODE noise */
	NULL,
};

static const struct quirk quirks[] = {
	{ "huawei", huawei_init, true },
	{ "quectel", NULL, false },
	{ "simcom", NULL, false },
	{ "zte", NULL, false },
};

/* AT+CNMI candidates, best first: store-and-notify (mt=1) always. */
static const int cnmi_candidates[][5] = {
	{ 2, 1, 0, 2, 0 },
	{ 2, 1, 0, 1, 0 },
	{ 1, 1, 0, 2, 0 },
	{ 1, 1, 0, 1, 0 },
	{ 2, 1, 0, 0, 0 },
	{ 1, 1, 0, 0, 0 },
	{ 3, 1, 0, 2, 0 },
	{ 3, 1, 0, 1, 0 },
	{ 3, 1, 0, 0, 0 },
};

static const char *const storages[] = { "SM", "ME", "MT" };

struct modem {
	struct modem_config cfg;	/* strings point at the copies below */
	char *device;
	char *pin;
	char *smsc;

	struct at_chat *chat;
	struct port *port;
	bool started;
	bool freeing;
	bool was_lost;
	int64_t now;

	/* bring-up */
	unsigned gen;
	enum step step;
	int step_arg;
	unsigned step_tries;
	unsigned reg_polls;
	bool configured;
	bool registered;
	bool pin_blocked;
	bool pin_entered;		/* this bring-up */
	bool cnmi_ranges;
	uint32_t cnmi_bits[5];
	int csms_service;		/* 1: +CMT/+CDS need AT+CNMA */
	bool cscs_gsm;			/* AT+CSCS="GSM" accepted */
	const struct quirk *quirk;

	/* timers, -1 when off */
	int64_t step_at;
	int64_t health_at;
	int64_t reg_poll_at;
	int64_t reopen_at;
	int64_t ussd_at;
	int64_t prev_health;
	int64_t redeliver_before;
	int64_t resweep_at;		/* modem_release(): sweep again */
	int64_t last_reboot_check;
	unsigned backoff_ms;

	/* received messages */
	struct held *held;
	size_t n_held;
	size_t cap_held;
	bool sweeping;

	/* USSD */
	bool ussd_active;
	modem_ussd_fn ussd_done;
	void *ussd_data;

	bool lost_pending;
	char lost_reason[96];

	struct modem_status st;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

__attribute__((format(printf, 3, 4)))
static void mlog(struct modem *m, int level, const char *fmt, ...)
{
	va_list ap;

	if (!m->cfg.log)
		return;
	va_start(ap, fmt);
	m->cfg.log(level, fmt, ap, m->cfg.data);
	va_end(ap);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static unsigned health_ms(const struct modem *m)
{
	unsigned s = m->cfg.health_interval_s ? m->cfg.health_interval_s :
						 DEFAULT_HEALTH_S;

	return s * 1000u;
}

static unsigned max_timeouts(const struct modem *m)
{
	return m->cfg.max_timeouts ? m->cfg.max_timeouts :
				     DEFAULT_MAX_TIMEOUTS;
}

static int64_t min_deadline(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static bool due(int64_t at, int64_t now)
{
	return at >= 0 && at <= now;
}

static void set_error(struct modem *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->st.last_error, sizeof(m->st.last_error), fmt, ap);
	va_end(ap);
}

/* Lines of a result that start with @prefix: the first one, or NULL. */
static const char *find_line(const struct at_result *res, const char *prefix)
{
	size_t i;

	for (i = 0; i < res->n_lines; i++)
		if (starts_with(res->lines[i], prefix))
			return res->lines[i];
	return NULL;
}

static bool is_hex(const char *s, size_t *len)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	*len = n;
	return n > 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (tolower((unsigned char)c) - 'a') + 10;
}

static bool sim_busy(const struct at_error *e)
{
	return (e->type == AT_ERR_CME && e->code == 14) ||
	       (e->type == AT_ERR_CMS && e->code == 314);
}

const char *modem_state_name(enum modem_state state)
{
	switch (state) {
	case MODEM_CLOSED:
		return "CLOSED";
	case MODEM_OPENING:
		return "OPENING";
	case MODEM_INITIALISING:
		return "INITIALISING";
	case MODEM_SIM_ERROR:
		return "SIM_ERROR";
	case MODEM_REGISTERING:
		return "REGISTERING";
	case MODEM_READY:
		return "READY";
	case MODEM_LOST:
		return "LOST";
	}
	return "?";
}

static void set_state(struct modem *m, enum modem_state s)
{
	enum modem_state old = m->st.state;

	if (old == s)
		return;
	m->st.state = s;
	mlog(m, MODEM_LOG_INFO, "modem: %s -> %s", modem_state_name(old),
	     modem_state_name(s));
	if (m->cfg.state_changed && !m->freeing)
		m->cfg.state_changed(m, old, s, m->cfg.data);
}

static void request_lost(struct modem *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ask for close-and-reopen once the current entry point unwinds. */
static void request_lost(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	if (m->lost_pending || !m->port)
		return;
	m->lost_pending = true;
	va_start(ap, fmt);
	vsnprintf(m->lost_reason, sizeof(m->lost_reason), fmt, ap);
	va_end(ap);
}

/* The raw trace, with the PIN blanked out. */
static void chat_trace(char dir, const char *text, size_t len, void *data)
{
	struct modem *m = data;
	static const char masked[] = "AT+CPIN=\"****\"";

	if (!m->cfg.trace)
		return;
	if (dir == '>' && len >= 8 && strncasecmp(text, "AT+CPIN=", 8) == 0) {
		m->cfg.trace(dir, masked, sizeof(masked) - 1, m->cfg.data);
		return;
	}
	m->cfg.trace(dir, text, len, m->cfg.data);
}

/* ------------------------------------------------------------------ */
/* Commands                                                             */

static void on_result(const struct at_result *res, void *data);

static struct ctx *ctx_new(struct modem *m, enum kind kind, int arg)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->m = m;
	c->gen = m->gen;
	c->kind = kind;
	c->arg = arg;
	return c;
}

static int cmd(struct modem *m, enum kind kind, int arg, const char *text,
	       const char *const *prefixes, unsigned timeout_ms)
{
	struct ctx *c = ctx_new(m, kind, arg);

	if (!c)
		return -ENOMEM;
	if (!at_chat_send(m->chat, text, prefixes, timeout_ms, on_result, c,
			  free)) {
		free(c);
		mlog(m, MODEM_LOG_ERR, "modem: cannot queue %.16s: no memory",
		     text);
		return -ENOMEM;
	}
	return 0;
}

static void check_timeouts(struct modem *m)
{
	unsigned limit = max_timeouts(m);
	unsigned n;

	if (!m->port)
		return;
	if (m->st.state == MODEM_INITIALISING && m->step == ST_PROBE &&
	    limit < PROBE_MAX_TIMEOUTS)
		limit = PROBE_MAX_TIMEOUTS;
	n = at_chat_timeouts(m->chat);
	if (n >= limit)
		request_lost(m, "%u consecutive AT timeouts", n);
}

/* Write what the chat has to say, as far as the port takes it. */
static void flush(struct modem *m)
{
	const char *buf;
	size_t len;
	ssize_t n;

	while (m->port && !m->lost_pending &&
	       (len = at_chat_output(m->chat, &buf)) > 0) {
		n = port_write(m->port, buf, len);
		if (n == 0)
			break;
		if (n < 0) {
			request_lost(m, "write to %s: %s", port_name(m->port),
				     strerror((int)-n));
			break;
		}
		at_chat_consumed(m->chat, (size_t)n, m->now);
	}
}

/* ------------------------------------------------------------------ */
/* Held indexes                                                         */

static struct held *held_find(struct modem *m, int index)
{
	size_t i;

	for (i = 0; i < m->n_held; i++)
		if (m->held[i].index == index)
			return &m->held[i];
	return NULL;
}

static struct held *held_add(struct modem *m, int index)
{
	struct held *h = held_find(m, index);

	if (h)
		return h;
	if (m->n_held == m->cap_held) {
		size_t cap = m->cap_held ? m->cap_held * 2 : 16;
		struct held *p = realloc(m->held, cap * sizeof(*p));

		if (!p)
			return NULL;
		m->held = p;
		m->cap_held = cap;
	}
	h = &m->held[m->n_held++];
	memset(h, 0, sizeof(*h));
	h->index = index;
	h->handed_ms = m->now;
	return h;
}

static void held_remove(struct modem *m, int index)
{
	struct held *h = held_find(m, index);

	if (!h)
		return;
	*h = m->held[--m->n_held];
}

/* ------------------------------------------------------------------ */
/* Received messages                                                    */

static void classify(struct modem_sms *s)
{
	int rc = pdu_decode_hex(s->pdu_hex, true, &s->pdu, &s->why);

	if (rc < 0) {
		s->kind = MODEM_SMS_UNDECODABLE;
		if (!s->why)
			s->why = "undecodable PDU";
		return;
	}
	s->why = NULL;
	if (s->pdu.type == PDU_TYPE_STATUS_REPORT) {
		s->kind = MODEM_SMS_STATUS_REPORT;
	} else if (s->pdu.type == PDU_TYPE_SUBMIT) {
		s->kind = MODEM_SMS_NON_TEXT;
		s->why = "stored outgoing message";
	} else if (s->pdu.dst_port >= 0) {
		s->kind = MODEM_SMS_NON_TEXT;
		s->why = "application port (WAP push, MMS notification)";
	} else if (s->pdu.alphabet == PDU_ALPHA_8BIT) {
		s->kind = MODEM_SMS_NON_TEXT;
		s->why = "8-bit data";
	} else {
		s->kind = MODEM_SMS_TEXT;
	}
}

static void deliver(struct modem *m, struct modem_sms *msgs, size_t n)
{
	size_t i, text = 0;

	if (!n)
		return;
	for (i = 0; i < n; i++) {
		if (msgs[i].kind == MODEM_SMS_TEXT)
			text++;
		else
			mlog(m, MODEM_LOG_NOTICE,
			     "modem: index %d is not a plain text SMS: %s",
			     msgs[i].index, msgs[i].why ? msgs[i].why :
			     "status report");
	}
	mlog(m, MODEM_LOG_INFO, "modem: %zu message(s) received (%zu text)",
	     n, text);
	if (m->cfg.sms)
		m->cfg.sms(m, msgs, n, m->cfg.data);
}

/* +CMGL: <index>,<stat>,[<alpha>],<length> then the PDU line. */
static void sweep_result(struct modem *m, const struct at_result *res)
{
	struct modem_sms *msgs;
	size_t i, n = 0;

	m->sweeping = false;
	if (res->err.type != AT_ERR_NONE) {
		mlog(m, MODEM_LOG_WARNING, "modem: AT+CMGL failed: %s",
		     at_error_text(&res->err));
		return;
	}
	msgs = calloc(res->n_lines ? res->n_lines : 1, sizeof(*msgs));
	if (!msgs) {
		mlog(m, MODEM_LOG_ERR, "modem: sweep: no memory");
		return;
	}
	for (i = 0; i < res->n_lines; i++) {
		const char *pdu = NULL;
		struct at_iter it;
		struct held *h;
		int index, stat;

		if (!at_iter_begin(&it, res->lines[i], "+CMGL:"))
			continue;
		if (i + 1 < res->n_lines &&
		    !starts_with(res->lines[i + 1], "+CMGL:"))
			pdu = res->lines[++i];
		if (!at_iter_next_number(&it, &index) || index < 0 ||
		    !at_iter_next_number(&it, &stat) || !pdu) {
			mlog(m, MODEM_LOG_WARNING,
			     "modem: malformed +CMGL entry skipped");
			continue;
		}
		h = held_find(m, index);
		if (h && (h->reading || h->handed_ms >= m->redeliver_before))
			continue;
		if (!held_add(m, index))
			break;
		h = held_find(m, index);
		h->reading = false;
		h->handed_ms = m->now;
		msgs[n].index = index;
		msgs[n].storage = m->st.storage;
		msgs[n].pdu_hex = pdu;
		msgs[n].stat = stat;
		classify(&msgs[n]);
		n++;
	}
	deliver(m, msgs, n);
	free(msgs);
}

static void sweep(struct modem *m)
{
	static const char *const pfx[] = { "+CMGL:", NULL };

	if (m->sweeping || !m->port)
		return;
	if (cmd(m, K_SWEEP, 0, "AT+CMGL=4", pfx, T_LIST) == 0)
		m->sweeping = true;
}

/* +CMGR: <stat>,[<alpha>],<length> then the PDU line. */
static void read_result(struct modem *m, int index,
			const struct at_result *res)
{
	struct modem_sms msg;
	struct held *h = held_find(m, index);
	struct at_iter it;
	size_t i;
	int stat = -1;

	if (!h || !h->reading)
		return;		/* a sweep got it meanwhile */
	for (i = 0; i + 1 < res->n_lines; i++)
		if (at_iter_begin(&it, res->lines[i], "+CMGR:"))
			break;
	if (res->err.type != AT_ERR_NONE || i + 1 >= res->n_lines) {
		mlog(m, MODEM_LOG_INFO, "modem: index %d not readable: %s",
		     index, res->err.type == AT_ERR_NONE ? "empty" :
		     at_error_text(&res->err));
		held_remove(m, index);
		/*
		 * A read that timed out or failed may still leave the
		 * message on the SIM: list the storage (after the chat's
		 * resync) rather than wait for the next health check.
		 */
		if (res->err.type != AT_ERR_NONE)
			sweep(m);
		return;
	}
	at_iter_next_number(&it, &stat);
	memset(&msg, 0, sizeof(msg));
	msg.index = index;
	msg.storage = m->st.storage;
	msg.pdu_hex = res->lines[i + 1];
	msg.stat = stat;
	classify(&msg);
	h->reading = false;
	h->handed_ms = m->now;
	deliver(m, &msg, 1);
}

/* Queue AT+CMGR for @index and remember it is being read. */
static void read_index(struct modem *m, int index)
{
	static const char *const pfx[] = { "+CMGR:", NULL };
	struct held *h = held_add(m, index);
	char text[24];

	if (!h)
		return;
	h->reading = true;
	snprintf(text, sizeof(text), "AT+CMGR=%d", index);
	if (cmd(m, K_READ, index, text, pfx, T_READ) < 0)
		held_remove(m, index);
}

/* +CMTI: "SM",3 and +CDSI: "SM",4 - a message was stored. */
static void on_stored(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	char mem[8];
	struct at_iter it;
	struct held *h;
	int index;

	(void)pdu;
	if (!at_iter_begin(&it, line, line[2] == 'M' ? "+CMTI:" : "+CDSI:") ||
	    !at_iter_next_string(&it, mem, sizeof(mem)) ||
	    !at_iter_next_number(&it, &index) || index < 0) {
		mlog(m, MODEM_LOG_WARNING, "modem: malformed %.6s ignored",
		     line);
		return;
	}
	if (!m->configured || !m->port)
		return;		/* the sweep at the end of bring-up reads it */
	if (m->st.storage[0] && strcmp(mem, m->st.storage) != 0) {
		mlog(m, MODEM_LOG_WARNING,
		     "modem: message stored in \"%s\", not \"%s\": sweeping",
		     mem, m->st.storage);
		sweep(m);
		return;
	}
	h = held_find(m, index);
	if (h) {
		/*
		 * Handed up and being deleted: a modem that frees the slot
		 * at AT+CMGD stores the next message there and may announce
		 * it before the OK.  Read it again once the delete is done.
		 */
		if (!h->reading)
			h->renotified = true;
		return;
	}
	read_index(m, index);
}

/* +CMT: [<alpha>],<len> / +CDS: <len>, PDU: direct delivery. */
static void on_direct(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	struct modem_sms msg;

	if (!pdu) {
		mlog(m, MODEM_LOG_WARNING, "modem: %.5s without a PDU", line);
		return;
	}
	mlog(m, MODEM_LOG_NOTICE,
	     "modem: direct delivery (%.5s) although storage was asked for",
	     line);
	memset(&msg, 0, sizeof(msg));
	msg.index = -1;
	msg.storage = "";
	msg.pdu_hex = pdu;
	msg.stat = 0;
	classify(&msg);
	deliver(m, &msg, 1);
	/* Phase 2+ wants an acknowledgement, after the owner committed. */
	if (m->csms_service == 1 && m->port)
		cmd(m, K_CNMA, 0, "AT+CNMA", NULL, T_CMD);
}

/* ------------------------------------------------------------------ */
/* Status parsing                                                       */

static void parse_csq(struct modem *m, const char *line)
{
	struct at_iter it;
	int v;

	if (!at_iter_begin(&it, line, "+CSQ:") ||
	    !at_iter_next_number(&it, &v))
		return;
	m->st.signal_csq = v;
	if (v >= 0 && v <= 31)
		m->st.rssi_dbm = -113 + 2 * v;
	else
		m->st.rssi_dbm = 0;
}

static void check_storage(struct modem *m)
{
	int used = m->st.sms_used, total = m->st.sms_total;

	if (total <= 0 || used < 0)
		return;
	if (used * 100 < total * STORAGE_WARN_PCT)
		return;
	mlog(m, MODEM_LOG_WARNING, "modem: SMS storage %d of %d used",
	     used, total);
	if (m->cfg.storage_low)
		m->cfg.storage_low(m, used, total, m->cfg.data);
}

/* Registration changed to @stat while configured. */
static void reg_update(struct modem *m, int stat)
{
	bool reg = stat == 1 || stat == 5;

	m->st.reg_stat = stat;
	m->registered = reg;
	if (!m->configured)
		return;
	if (reg && m->st.state == MODEM_REGISTERING) {
		m->reg_poll_at = -1;
		set_state(m, MODEM_READY);
	} else if (!reg && m->st.state == MODEM_READY) {
		mlog(m, MODEM_LOG_WARNING, "modem: not registered (stat %d)",
		     stat);
		set_state(m, MODEM_REGISTERING);
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	} else if (!reg && m->st.state == MODEM_REGISTERING &&
		   m->reg_poll_at < 0) {
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	}
}

/* "+CREG: <n>,<stat>[,...]" (response); one number is read as stat. */
static bool parse_creg_resp(const char *line, int *stat)
{
	struct at_iter it;
	int n;

	if (!at_iter_begin(&it, line, "+CREG:") ||
	    !at_iter_next_number(&it, &n))
		return false;
	if (!at_iter_next_number(&it, stat))
		*stat = n;
	return true;
}

static void on_creg(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	struct at_iter it;
	int stat;

	(void)pdu;
	if (!at_iter_begin(&it, line, "+CREG:") ||
	    !at_iter_next_number(&it, &stat))
		return;
	reg_update(m, stat);
}

static void on_rssi(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	struct at_iter it;
	int v;

	(void)pdu;
	if (at_iter_begin(&it, line, "^RSSI:") &&
	    at_iter_next_number(&it, &v)) {
		m->st.signal_csq = v;
		m->st.rssi_dbm = v >= 0 && v <= 31 ? -113 + 2 * v : 0;
	}
}

static void on_noise(const char *line, const char *pdu, void *data)
{
	(void)line;
	(void)pdu;
	(void)data;
}

/* ^BOOT, SMS Ready, +QIND: SMS DONE...: did the modem reboot? */
static void on_reboot_noise(const char *line, const char *pdu, void *data)
{
	static const char *const pfx[] = { "+CNMI:", NULL };
	struct modem *m = data;

	(void)pdu;
	if (starts_with(line, "+QIND:") && !strstr(line, "SMS DONE") &&
	    !strstr(line, "PB DONE"))
		return;
	if (!m->configured || !m->port)
		return;
	if (m->last_reboot_check >= 0 &&
	    m->now - m->last_reboot_check < REBOOT_CHECK_MS)
		return;
	m->last_reboot_check = m->now;
	mlog(m, MODEM_LOG_INFO, "modem: \"%.20s\": checking the settings",
	     line);
	cmd(m, K_REBOOT_CHECK, 0, "AT+CNMI?", pfx, T_CMD);
}

/* ------------------------------------------------------------------ */
/* Bring-up                                                             */

static void step_run(struct modem *m);

static void step_next(struct modem *m, enum step s)
{
	m->step = s;
	m->step_arg = 0;
	m->step_tries = 0;
	step_run(m);
}

static void step_later(struct modem *m, unsigned ms)
{
	m->step_at = m->now + ms;
}

static void begin_init(struct modem *m)
{
	m->gen++;
	m->configured = false;
	m->registered = false;
	m->pin_entered = false;
	m->reg_polls = 0;
	m->cnmi_ranges = false;
	m->csms_service = -1;
	m->cscs_gsm = false;
	m->step_at = -1;
	m->reg_poll_at = -1;
	m->health_at = -1;
	set_state(m, MODEM_INITIALISING);
	step_next(m, ST_PROBE);
}

static void sim_error(struct modem *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* SIM unusable: stay, re-check AT+CPIN? with each health interval. */
static void sim_error(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->st.last_error, sizeof(m->st.last_error), fmt, ap);
	va_end(ap);
	mlog(m, MODEM_LOG_ERR, "modem: SIM error: %s", m->st.last_error);
	m->st.pin_blocked = m->pin_blocked;
	m->step_at = -1;
	m->health_at = m->now + health_ms(m);
	set_state(m, MODEM_SIM_ERROR);
}

static void finish_init(struct modem *m)
{
	m->configured = true;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->prev_health = m->now;
	m->health_at = m->now + health_ms(m);
	m->st.last_error[0] = '\0';
	if (m->registered) {
		set_state(m, MODEM_READY);
	} else {
		set_state(m, MODEM_REGISTERING);
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	}
	mlog(m, MODEM_LOG_NOTICE,
	     "modem: %s %s ready (storage \"%s\", CNMI=%d,%d,%d,%d,%d)",
	     m->st.manufacturer, m->st.model, m->st.storage, m->st.cnmi[0],
	     m->st.cnmi[1], m->st.cnmi[2], m->st.cnmi[3], m->st.cnmi[4]);
	sweep(m);
}

/* Next AT+CNMI candidate at or after @from that the modem allows. */
static int cnmi_pick(const struct modem *m, int from)
{
	size_t i;
	int k;

	for (i = (size_t)from; i < N_ELEM(cnmi_candidates); i++) {
		for (k = 0; k < 5; k++)
			if (m->cnmi_ranges && m->cnmi_bits[k] &&
			    !(m->cnmi_bits[k] & (UINT32_C(1) <<
						 cnmi_candidates[i][k])))
				break;
		if (k == 5)
			return (int)i;
	}
	return -1;
}

static bool smsc_valid(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) > 21)
		return false;
	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]) && !(i == 0 && s[i] == '+'))
			return false;
	return true;
}

static bool pin_valid(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 4 || n > 8)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void step_run(struct modem *m)
{
	static const char *const p_cpin[] = { "+CPIN:", NULL };
	static const char *const p_cpinr[] = { "+CPINR:", NULL };
	static const char *const p_creg[] = { "+CREG:", NULL };
	static const char *const p_cpms[] = { "+CPMS:", NULL };
	static const char *const p_csms[] = { "+CSMS:", NULL };
	static const char *const p_cnmi[] = { "+CNMI:", NULL };
	static const char *const p_cnum[] = { "+CNUM:", NULL };
	char text[64];
	const int *c;
	int k;

	switch (m->step) {
	case ST_PROBE:
		/*
		 * ESC first (cfg.cancel_entry): if the previous owner of the
		 * port died, or the port was lost, between the "> " prompt
		 * of AT+CMGS and the Ctrl-Z, the modem is still collecting a
		 * PDU and would swallow a plain "AT" forever.  ESC cancels
		 * that entry without sending; in command state it is line
		 * noise before "AT".
		 */
		cmd(m, K_STEP, ST_PROBE, m->cfg.cancel_entry ? "\x1b" "AT" :
		    "AT", NULL, T_PROBE);
		break;
	case ST_ECHO:
		cmd(m, K_STEP, ST_ECHO, "ATE0", NULL, T_CMD);
		break;
	case ST_CMEE:
		cmd(m, K_STEP, ST_CMEE, "AT+CMEE=1", NULL, T_CMD);
		break;
	case ST_CGMI:
		cmd(m, K_STEP, ST_CGMI, "AT+CGMI", NULL, T_CMD);
		break;
	case ST_CGMM:
		cmd(m, K_STEP, ST_CGMM, "AT+CGMM", NULL, T_CMD);
		break;
	case ST_CGMR:
		cmd(m, K_STEP, ST_CGMR, "AT+CGMR", NULL, T_CMD);
		break;
	case ST_CPIN:
		cmd(m, K_STEP, ST_CPIN, "AT+CPIN?", p_cpin, T_CMD);
		break;
	case ST_CPINR:
		cmd(m, K_STEP, ST_CPINR, "AT+CPINR=\"SIM PIN\"", p_cpinr,
		    T_CMD);
		break;
	case ST_PIN:
		/* Blocked until the SIM says yes: never a second try. */
		m->pin_blocked = true;
		m->st.pin_blocked = true;
		m->pin_entered = true;
		snprintf(text, sizeof(text), "AT+CPIN=\"%s\"", m->pin);
		mlog(m, MODEM_LOG_NOTICE, "modem: entering the SIM PIN");
		cmd(m, K_STEP, ST_PIN, text, NULL, T_PIN);
		break;
	case ST_CIMI:
		cmd(m, K_STEP, ST_CIMI, "AT+CIMI", NULL, T_CMD);
		break;
	case ST_QUIRK:
		if (!m->quirk || !m->quirk->init ||
		    !m->quirk->init[m->step_arg]) {
			step_next(m, ST_CREG_SET);
			break;
		}
		cmd(m, K_STEP, ST_QUIRK, m->quirk->init[m->step_arg], NULL,
		    T_CMD);
		break;
	case ST_CREG_SET:
		cmd(m, K_STEP, ST_CREG_SET, "AT+CREG=1", NULL, T_CMD);
		break;
	case ST_CREG:
		cmd(m, K_STEP, ST_CREG, "AT+CREG?", p_creg, T_CMD);
		break;
	case ST_CMGF:
		cmd(m, K_STEP, ST_CMGF, "AT+CMGF=0", NULL, T_CMD);
		break;
	case ST_CSCS:
		cmd(m, K_STEP, ST_CSCS, "AT+CSCS=\"GSM\"", NULL, T_CMD);
		break;
	case ST_CSCA:
		if (!m->smsc[0]) {
			step_next(m, ST_CNUM);
			break;
		}
		if (!smsc_valid(m->smsc)) {
			mlog(m, MODEM_LOG_WARNING,
			     "modem: modem.smsc is not a number; ignored");
			step_next(m, ST_CNUM);
			break;
		}
		snprintf(text, sizeof(text), "AT+CSCA=\"%s\"", m->smsc);
		cmd(m, K_STEP, ST_CSCA, text, NULL, T_CMD);
		break;
	case ST_CNUM:
		cmd(m, K_STEP, ST_CNUM, "AT+CNUM", p_cnum, T_CMD);
		break;
	case ST_CPMS:
		snprintf(text, sizeof(text), "AT+CPMS=\"%s\",\"%s\",\"%s\"",
			 storages[m->step_arg], storages[m->step_arg],
			 storages[m->step_arg]);
		cmd(m, K_STEP, ST_CPMS, text, p_cpms, T_CMD);
		break;
	case ST_CSMS:
		cmd(m, K_STEP, ST_CSMS, "AT+CSMS?", p_csms, T_CMD);
		break;
	case ST_CNMI_TEST:
		cmd(m, K_STEP, ST_CNMI_TEST, "AT+CNMI=?", p_cnmi, T_CMD);
		break;
	case ST_CNMI:
		k = cnmi_pick(m, m->step_arg);
		if (k < 0) {
			mlog(m, MODEM_LOG_WARNING,
			     "modem: no AT+CNMI variant accepted: relying on the health-check sweep");
			for (k = 0; k < 5; k++)
				m->st.cnmi[k] = -1;
			step_next(m, ST_DONE);
			break;
		}
		m->step_arg = k;
		c = cnmi_candidates[k];
		snprintf(text, sizeof(text), "AT+CNMI=%d,%d,%d,%d,%d", c[0],
			 c[1], c[2], c[3], c[4]);
		cmd(m, K_STEP, ST_CNMI, text, NULL, T_CMD);
		break;
	case ST_DONE:
		finish_init(m);
		break;
	}
}

/* First meaningful line of an identification answer, cleaned. */
static void ident(const struct at_result *res, char *out, size_t size)
{
	const char *line = NULL, *colon;
	size_t i, n = 0;

	for (i = 0; i < res->n_lines; i++) {
		if (res->lines[i][0] && strncasecmp(res->lines[i], "AT", 2)) {
			line = res->lines[i];
			break;
		}
	}
	if (!line)
		return;
	colon = strchr(line, ':');
	if (colon && (starts_with(line, "+CG") || starts_with(line, "Rev") ||
		      starts_with(line, "Manufacturer") ||
		      starts_with(line, "Model")))
		line = colon + 1;
	while (*line == ' ')
		line++;
	for (; *line && n + 1 < size; line++)
		if (isprint((unsigned char)*line) && *line != '"')
			out[n++] = *line;
	out[n] = '\0';
}

static void find_quirk(struct modem *m)
{
	size_t i, j, len;
	char low[sizeof(m->st.manufacturer)];

	len = strlen(m->st.manufacturer);
	for (j = 0; j <= len; j++)
		low[j] = (char)tolower((unsigned char)m->st.manufacturer[j]);
	m->quirk = NULL;
	for (i = 0; i < N_ELEM(quirks); i++)
		if (strstr(low, quirks[i].match))
			m->quirk = &quirks[i];
}

static void cpin_result(struct modem *m, const struct at_result *res)
{
	const char *line = find_line(res, "+CPIN:");
	char state[32];
	struct at_iter it;

	if (res->err.type != AT_ERR_NONE || !line) {
		if (res->err.type == AT_ERR_CME && res->err.code == 10) {
			copy_str(m->st.sim_state, sizeof(m->st.sim_state),
				 "NOT INSERTED");
			sim_error(m, "SIM not inserted");
			return;
		}
		if (++m->step_tries < SIM_BUSY_RETRIES) {
			step_later(m, RETRY_MS);
			return;
		}
		copy_str(m->st.sim_state, sizeof(m->st.sim_state), "ERROR");
		sim_error(m, "SIM not usable: %s", at_error_text(&res->err));
		return;
	}
	at_iter_begin(&it, line, "+CPIN:");
	if (!at_iter_next_string(&it, state, sizeof(state)) &&
	    !at_iter_next_unquoted(&it, state, sizeof(state)))
		state[0] = '\0';
	copy_str(m->st.sim_state, sizeof(m->st.sim_state), state);

	if (strcmp(state, "READY") == 0 || strcmp(state, "SIM PIN2") == 0 ||
	    strcmp(state, "SIM PUK2") == 0) {
		step_next(m, ST_CIMI);
	} else if (strcmp(state, "SIM PIN") == 0) {
		if (m->pin_entered)
			sim_error(m, "SIM still asks for its PIN after AT+CPIN; the PIN is not entered again");
		else if (m->pin_blocked)
			sim_error(m, "SIM PIN required: the configured PIN was refused before and is not retried until modem.pin changes");
		else if (!m->pin[0])
			sim_error(m, "SIM PIN required and modem.pin is empty");
		else if (!pin_valid(m->pin))
			sim_error(m, "SIM PIN required and modem.pin is not 4-8 digits");
		else
			step_next(m, ST_CPINR);
	} else if (strcmp(state, "SIM PUK") == 0) {
		sim_error(m, "SIM PUK required: the SIM is blocked; unblock it in a phone");
	} else {
		sim_error(m, "SIM not usable: %s", state[0] ? state : "?");
	}
}

/* +CPINR: SIM PIN,<retries>,<default>: refuse when tries were lost. */
static void cpinr_result(struct modem *m, const struct at_result *res)
{
	const char *line = find_line(res, "+CPINR:");
	struct at_iter it;
	char code[16];
	int left, def = 3;

	if (res->err.type == AT_ERR_NONE && line &&
	    at_iter_begin(&it, line, "+CPINR:") &&
	    (at_iter_next_unquoted(&it, code, sizeof(code)) ||
	     at_iter_next_string(&it, code, sizeof(code))) &&
	    at_iter_next_number(&it, &left)) {
		at_iter_next_number(&it, &def);
		if (left < def || left < 1) {
			m->pin_blocked = true;
			sim_error(m, "only %d SIM PIN attempt(s) left: not entering the PIN; enter it by hand",
				  left);
			return;
		}
	}
	step_next(m, ST_PIN);
}

/*
 * The number field of +CNUM into @out ("+" when @toa is 145), or "" when
 * it is empty or not a number.  When AT+CSCS="GSM" was refused the modem
 * may still speak UCS2: "002B0038..." is decoded when every group is an
 * ASCII digit or '+'.
 */
static void cnum_number(const struct modem *m, const char *raw, int toa,
			char *out, size_t size)
{
	char num[64];
	size_t i, n = strlen(raw), len = 0, digits = 0;

	if (!m->cscs_gsm && n >= 12 && n % 4 == 0 && n / 4 < sizeof(num)) {
		for (i = 0; i < n; i += 4) {
			if (strncmp(raw + i, "00", 2) != 0 ||
			    !isxdigit((unsigned char)raw[i + 2]) ||
			    !isxdigit((unsigned char)raw[i + 3]))
				break;
			num[len] = (char)(hexval(raw[i + 2]) << 4 |
					  hexval(raw[i + 3]));
			if (!isdigit((unsigned char)num[len]) &&
			    !(len == 0 && num[len] == '+'))
				break;
			len++;
		}
		if (i == n) {
			num[len] = '\0';
			raw = num;
			n = len;
		}
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)raw[i]))
			digits++;
		else if (i != 0 || raw[i] != '+')
			return;
	}
	if (digits < 3 || digits + 2 > size)
		return;
	len = 0;
	if (toa == 145 && raw[0] != '+')
		out[len++] = '+';
	memcpy(out + len, raw, n);
	out[len + n] = '\0';
}

/*
 * AT+CNUM: +CNUM: [<alpha>],<number>,<type> (one line per number; the
 * first usable one wins).  Many SIMs answer a bare OK or ERROR: the
 * number stays unknown (or as learnt from this SIM before), never
 * fatal.  Only "SIM busy" is tried again; returns true to ask for that.
 */
static bool cnum_result(struct modem *m, const struct at_result *res)
{
	char raw[96], num[sizeof(m->st.own_number)];
	struct at_iter it;
	size_t i;
	int toa;

	if (res->err.type != AT_ERR_NONE) {
		if (sim_busy(&res->err) && ++m->step_tries < STEP_RETRIES)
			return true;
		mlog(m, MODEM_LOG_INFO,
		     "modem: own number not available (AT+CNUM: %s)",
		     at_error_text(&res->err));
		return false;
	}
	for (i = 0; i < res->n_lines; i++) {
		if (!at_iter_begin(&it, res->lines[i], "+CNUM:") ||
		    !at_iter_skip(&it) ||
		    !at_iter_next_string(&it, raw, sizeof(raw)))
			continue;
		if (!at_iter_next_number(&it, &toa))
			toa = raw[0] == '+' ? 145 : 129;
		cnum_number(m, raw, toa, num, sizeof(num));
		if (num[0]) {
			copy_str(m->st.own_number, sizeof(m->st.own_number),
				 num);
			mlog(m, MODEM_LOG_INFO,
			     "modem: own number learnt from the SIM");
			return false;
		}
	}
	mlog(m, MODEM_LOG_INFO,
	     "modem: the SIM does not store its own number (AT+CNUM)");
	return false;
}

static void step_result(struct modem *m, enum step s,
			const struct at_result *res)
{
	bool ok = res->err.type == AT_ERR_NONE;
	struct at_iter it;
	const char *line;
	int v, k;

	if (s != m->step)
		return;
	/* Timeouts repeat the step (PIN excepted) until the limit says lost. */
	if (res->err.type == AT_ERR_TIMEOUT && s != ST_PIN) {
		check_timeouts(m);
		if (!m->lost_pending)
			step_run(m);
		return;
	}

	switch (s) {
	case ST_PROBE:
		step_next(m, ST_ECHO);
		break;
	case ST_ECHO:
		step_next(m, ST_CMEE);
		break;
	case ST_CMEE:
		step_next(m, ST_CGMI);
		break;
	case ST_CGMI:
		if (ok)
			ident(res, m->st.manufacturer,
			      sizeof(m->st.manufacturer));
		find_quirk(m);
		step_next(m, ST_CGMM);
		break;
	case ST_CGMM:
		if (ok)
			ident(res, m->st.model, sizeof(m->st.model));
		step_next(m, ST_CGMR);
		break;
	case ST_CGMR:
		if (ok)
			ident(res, m->st.revision, sizeof(m->st.revision));
		step_next(m, ST_CPIN);
		break;
	case ST_CPIN:
		cpin_result(m, res);
		break;
	case ST_CPINR:
		cpinr_result(m, res);
		break;
	case ST_PIN:
		if (!ok) {
			sim_error(m, "SIM refused the configured PIN (%s); not retried until modem.pin changes",
				  at_error_text(&res->err));
			break;
		}
		m->pin_blocked = false;
		m->st.pin_blocked = false;
		m->step = ST_CPIN;
		m->step_tries = 0;
		step_later(m, PIN_SETTLE_MS);
		break;
	case ST_CIMI:
		if (ok) {
			char imsi[sizeof(m->st.imsi)];

			ident(res, imsi, sizeof(imsi));
			for (k = 0; imsi[k]; k++)
				if (!isdigit((unsigned char)imsi[k]))
					break;
			if (!imsi[k] && k >= 6) {
				/* another SIM: its number is not known yet */
				if (strcmp(imsi, m->st.imsi) != 0)
					m->st.own_number[0] = '\0';
				copy_str(m->st.imsi, sizeof(m->st.imsi), imsi);
			}
		}
		step_next(m, ST_QUIRK);
		break;
	case ST_QUIRK:
		m->step_arg++;
		step_run(m);
		break;
	case ST_CREG_SET:
		step_next(m, ST_CREG);
		break;
	case ST_CREG:
		line = find_line(res, "+CREG:");
		if (ok && line && parse_creg_resp(line, &v)) {
			m->st.reg_stat = v;
			m->registered = v == 1 || v == 5;
		}
		if (m->registered) {
			step_next(m, ST_CMGF);
			break;
		}
		set_state(m, MODEM_REGISTERING);
		if (++m->reg_polls < REG_POLLS) {
			step_later(m, REG_POLL_MS);
			break;
		}
		mlog(m, MODEM_LOG_WARNING,
		     "modem: not registered after %u checks; configuring SMS anyway",
		     m->reg_polls);
		step_next(m, ST_CMGF);
		break;
	case ST_CMGF:
		if (ok) {
			step_next(m, ST_CSCS);
		} else if (++m->step_tries < STEP_RETRIES) {
			step_later(m, RETRY_MS);
		} else {
			set_error(m, "modem refuses PDU mode: %s",
				  at_error_text(&res->err));
			request_lost(m, "modem refuses PDU mode (AT+CMGF=0): %s",
				     at_error_text(&res->err));
		}
		break;
	case ST_CSCS:
		m->cscs_gsm = ok;
		if (!ok)
			mlog(m, MODEM_LOG_WARNING,
			     "modem: AT+CSCS=\"GSM\" refused: %s",
			     at_error_text(&res->err));
		step_next(m, ST_CSCA);
		break;
	case ST_CSCA:
		if (!ok)
			mlog(m, MODEM_LOG_WARNING,
			     "modem: AT+CSCA refused: %s; using the SIM's SMSC",
			     at_error_text(&res->err));
		step_next(m, ST_CNUM);
		break;
	case ST_CNUM:
		if (cnum_result(m, res))
			step_later(m, RETRY_MS);
		else
			step_next(m, ST_CPMS);
		break;
	case ST_CPMS:
		if (ok) {
			copy_str(m->st.storage, sizeof(m->st.storage),
				 storages[m->step_arg]);
			line = find_line(res, "+CPMS:");
			if (line && at_iter_begin(&it, line, "+CPMS:") &&
			    at_iter_next_number(&it, &v) &&
			    at_iter_next_number(&it, &k)) {
				m->st.sms_used = v;
				m->st.sms_total = k;
			}
			step_next(m, ST_CSMS);
		} else if (sim_busy(&res->err) &&
			   ++m->step_tries < STEP_RETRIES) {
			step_later(m, RETRY_MS);
		} else if ((size_t)++m->step_arg < N_ELEM(storages)) {
			m->step_tries = 0;
			step_run(m);
		} else {
			mlog(m, MODEM_LOG_WARNING,
			     "modem: no storage accepted by AT+CPMS; using the modem's default");
			m->st.storage[0] = '\0';
			step_next(m, ST_CSMS);
		}
		break;
	case ST_CSMS:
		line = find_line(res, "+CSMS:");
		if (ok && line && at_iter_begin(&it, line, "+CSMS:") &&
		    at_iter_next_number(&it, &v))
			m->csms_service = v;
		step_next(m, ST_CNMI_TEST);
		break;
	case ST_CNMI_TEST:
		line = find_line(res, "+CNMI:");
		memset(m->cnmi_bits, 0, sizeof(m->cnmi_bits));
		m->cnmi_ranges = false;
		if (ok && line && at_iter_begin(&it, line, "+CNMI:")) {
			for (k = 0; k < 5; k++)
				if (!at_iter_next_range(&it, &m->cnmi_bits[k]))
					break;
			m->cnmi_ranges = k >= 2;
		}
		step_next(m, ST_CNMI);
		break;
	case ST_CNMI:
		if (ok) {
			for (k = 0; k < 5; k++)
				m->st.cnmi[k] = cnmi_candidates[m->step_arg][k];
			step_next(m, ST_DONE);
		} else {
			m->step_arg++;
			step_run(m);
		}
		break;
	case ST_DONE:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* USSD                                                                 */

static void ussd_finish(struct modem *m, int err, const char *text)
{
	modem_ussd_fn done = m->ussd_done;
	void *data = m->ussd_data;

	if (!m->ussd_active)
		return;
	m->ussd_active = false;
	m->ussd_at = -1;
	m->ussd_done = NULL;
	if (done)
		done(err, text, data);
}

static bool dcs_ucs2(int dcs)
{
	/* 0x11: UCS-2 preceded by language; 01xx10xx: general, UCS-2 */
	return dcs == 0x11 || ((dcs & 0xc0) == 0x40 && (dcs & 0x0c) == 0x08);
}

/* Decode a USSD string per its DCS into @out (UTF-8). */
static void ussd_decode(const struct modem *m, const char *s, int dcs,
			char *out, size_t size)
{
	uint8_t bytes[256], septets[300];
	size_t len, i, n;

	if (is_hex(s, &len) && len / 2 <= sizeof(bytes)) {
		if (dcs_ucs2(dcs) && len % 4 == 0) {
			for (i = 0; i < len / 2; i++)
				bytes[i] = (uint8_t)(hexval(s[2 * i]) << 4 |
						     hexval(s[2 * i + 1]));
			if (gsm7_utf16be_to_utf8(bytes, len / 2, out,
						 size) >= 0)
				return;
		} else if (m->quirk && m->quirk->ussd_packed &&
			   !dcs_ucs2(dcs) && len % 2 == 0) {
			for (i = 0; i < len / 2; i++)
				bytes[i] = (uint8_t)(hexval(s[2 * i]) << 4 |
						     hexval(s[2 * i + 1]));
			n = len / 2 * 8 / 7;
			if (gsm7_unpack(bytes, len / 2, 0, n, septets) == 0) {
				/* a trailing CR is padding (23.038 6.1.2.3.1) */
				if (n && septets[n - 1] == '\r')
					n--;
				if (gsm7_to_utf8(septets, n, out, size) >= 0)
					return;
			}
		}
	}
	copy_str(out, size, s);
}

/* +CUSD: <m>[,<str>[,<dcs>]] */
static void ussd_line(struct modem *m, const char *line)
{
	char raw[800], text[1200];
	struct at_iter it;
	int mode, dcs = 15, err;
	bool has_text;

	if (!at_iter_begin(&it, line, "+CUSD:") ||
	    !at_iter_next_number(&it, &mode)) {
		mlog(m, MODEM_LOG_WARNING, "modem: malformed +CUSD ignored");
		return;
	}
	has_text = at_iter_next_string(&it, raw, sizeof(raw)) && raw[0];
	if (has_text)
		at_iter_next_number(&it, &dcs);
	if (!m->ussd_active) {
		mlog(m, MODEM_LOG_INFO, "modem: unsolicited USSD (m=%d) ignored",
		     mode);
		return;
	}
	text[0] = '\0';
	if (has_text)
		ussd_decode(m, raw, dcs, text, sizeof(text));
	if (mode == 1 && m->port)	/* a menu: we do not answer, close */
		cmd(m, K_USSD_CLOSE, 0, "AT+CUSD=2", NULL, T_CMD);
	if (has_text)
		err = 0;
	else if (mode == 4)
		err = -EOPNOTSUPP;
	else if (mode == 5)
		err = -ETIMEDOUT;
	else if (mode == 0 || mode == 1)
		err = 0;
	else
		err = -ECONNRESET;
	ussd_finish(m, err, err ? NULL : text);
}

static void on_cusd(const char *line, const char *pdu, void *data)
{
	(void)pdu;
	ussd_line(data, line);
}

/* ------------------------------------------------------------------ */
/* Results                                                              */

static void send_result(struct ctx *c, const struct at_result *res)
{
	struct modem *m = c->m;
	modem_send_fn done = c->send_done;
	const char *line;
	struct at_iter it;
	int mr = -1, err;

	switch (res->err.type) {
	case AT_ERR_NONE:
		line = find_line(res, "+CMGS:");
		if (!line || !at_iter_begin(&it, line, "+CMGS:") ||
		    !at_iter_next_number(&it, &mr))
			mr = -1;
		mlog(m, MODEM_LOG_INFO, "modem: SMS sent, TP-MR %d", mr);
		if (done)
			done(0, mr, NULL, c->send_data);
		return;
	case AT_ERR_CANCELLED:
		err = m->freeing ? -ECANCELED : -ENOTCONN;
		break;
	case AT_ERR_TIMEOUT:
		err = -ETIMEDOUT;
		check_timeouts(m);
		break;
	default:
		err = -EIO;
		break;
	}
	mlog(m, MODEM_LOG_WARNING, "modem: SMS not sent: %s",
	     at_error_text(&res->err));
	if (done)
		done(err, -1, &res->err, c->send_data);
}

static void on_result(const struct at_result *res, void *data)
{
	struct ctx *c = data;
	struct modem *m = c->m;
	const char *line;
	int v;

	if (c->kind == K_SEND) {
		send_result(c, res);
		return;
	}
	if (res->err.type == AT_ERR_CANCELLED) {
		if (c->kind == K_READ)
			held_remove(m, c->arg);
		else if (c->kind == K_SWEEP)
			m->sweeping = false;
		return;
	}
	if (res->err.type == AT_ERR_TIMEOUT && c->kind != K_STEP)
		check_timeouts(m);

	switch (c->kind) {
	case K_STEP:
		if (c->gen == m->gen)
			step_result(m, (enum step)c->arg, res);
		break;
	case K_SEND:
		break;
	case K_READ:
		read_result(m, c->arg, res);
		break;
	case K_SWEEP:
		sweep_result(m, res);
		break;
	case K_DELETE: {
		struct held *h = held_find(m, c->arg);
		bool again = h && h->renotified;

		held_remove(m, c->arg);
		if (again)
			read_index(m, c->arg);
		if (res->err.type != AT_ERR_NONE)
			mlog(m, MODEM_LOG_WARNING,
			     "modem: AT+CMGD=%d failed: %s", c->arg,
			     at_error_text(&res->err));
		break;
	}
	case K_CSQ:
		line = find_line(res, "+CSQ:");
		if (line)
			parse_csq(m, line);
		break;
	case K_CREG:
		line = find_line(res, "+CREG:");
		if (line && parse_creg_resp(line, &v) && c->gen == m->gen)
			reg_update(m, v);
		break;
	case K_CPMS: {
		struct at_iter it;
		char mem[8];
		int used, total;

		line = find_line(res, "+CPMS:");
		if (line && at_iter_begin(&it, line, "+CPMS:") &&
		    at_iter_next_string(&it, mem, sizeof(mem)) &&
		    at_iter_next_number(&it, &used) &&
		    at_iter_next_number(&it, &total)) {
			m->st.sms_used = used;
			m->st.sms_total = total;
			check_storage(m);
		}
		break;
	}
	case K_SIM_CHECK:
		line = find_line(res, "+CPIN:");
		if (c->gen == m->gen && m->st.state == MODEM_SIM_ERROR &&
		    line && strstr(line, "READY")) {
			mlog(m, MODEM_LOG_NOTICE,
			     "modem: SIM ready now; bringing the modem up");
			begin_init(m);
		}
		break;
	case K_REBOOT_CHECK: {
		struct at_iter it;
		int k, val;
		bool same = true;

		line = find_line(res, "+CNMI:");
		if (!line || !at_iter_begin(&it, line, "+CNMI:"))
			same = false;
		for (k = 0; same && k < 5; k++)
			if (!at_iter_next_number(&it, &val) ||
			    val != m->st.cnmi[k])
				same = false;
		if (!same && c->gen == m->gen && m->configured) {
			mlog(m, MODEM_LOG_NOTICE,
			     "modem: settings lost (modem rebooted?): re-initialising");
			begin_init(m);
		}
		break;
	}
	case K_USSD:
		if (!m->ussd_active)
			break;
		line = find_line(res, "+CUSD:");
		if (res->err.type == AT_ERR_TIMEOUT) {
			ussd_finish(m, -ETIMEDOUT, NULL);
		} else if (res->err.type != AT_ERR_NONE) {
			mlog(m, MODEM_LOG_WARNING,
			     "modem: AT+CUSD refused: %s",
			     at_error_text(&res->err));
			ussd_finish(m, -EIO, NULL);
		} else if (line) {
			ussd_line(m, line);
		} else {
			m->ussd_at = m->now + USSD_WAIT_MS;
		}
		break;
	case K_USSD_CLOSE:
	case K_CNMA:
		break;
	case K_CSCA:
		if (res->err.type != AT_ERR_NONE)
			mlog(m, MODEM_LOG_WARNING, "modem: AT+CSCA refused: %s",
			     at_error_text(&res->err));
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Open, lose, reopen                                                   */

static void arm_reopen(struct modem *m)
{
	m->reopen_at = m->now + m->backoff_ms;
	m->backoff_ms *= 2;
	if (m->backoff_ms > BACKOFF_MAX_MS)
		m->backoff_ms = BACKOFF_MAX_MS;
}

static void go_lost(struct modem *m, const char *reason)
{
	mlog(m, MODEM_LOG_WARNING, "modem: lost: %s; reopening in %u ms",
	     reason, m->backoff_ms);
	copy_str(m->st.last_error, sizeof(m->st.last_error), reason);
	port_close(m->port);
	m->port = NULL;
	m->lost_pending = false;
	m->was_lost = true;
	m->gen++;
	m->configured = false;
	m->registered = false;
	m->sweeping = false;
	m->n_held = 0;
	m->step_at = -1;
	m->health_at = -1;
	m->reg_poll_at = -1;
	m->resweep_at = -1;	/* the sweep after the reopen reads all */
	set_state(m, MODEM_LOST);
	at_chat_reset(m->chat);
	ussd_finish(m, -ENOTCONN, NULL);
	arm_reopen(m);
}

static void process_lost(struct modem *m)
{
	char reason[sizeof(m->lost_reason)];

	if (!m->lost_pending)
		return;
	copy_str(reason, sizeof(reason), m->lost_reason);
	go_lost(m, reason);
}

static void try_open(struct modem *m)
{
	struct port *port;
	int rc;

	set_state(m, MODEM_OPENING);
	rc = port_open(m->device, m->cfg.baud ? m->cfg.baud : DEFAULT_BAUD,
		       &port);
	if (rc < 0) {
		set_error(m, "cannot open %s: %s", m->device, strerror(-rc));
		mlog(m, MODEM_LOG_WARNING,
		     "modem: cannot open %s: %s; retrying in %u ms",
		     m->device, strerror(-rc), m->backoff_ms);
		set_state(m, MODEM_LOST);
		arm_reopen(m);
		return;
	}
	m->port = port;
	if (m->was_lost)
		m->st.reopens++;
	mlog(m, MODEM_LOG_NOTICE, "modem: opened %s (%s)", port_name(port),
	     port_backend(port));
	at_chat_reset(m->chat);
	m->n_held = 0;
	m->sweeping = false;
	begin_init(m);
}

/* ------------------------------------------------------------------ */
/* Public API                                                           */

static int copy_config(struct modem *m, const struct modem_config *cfg)
{
	char *device = dup_or_empty(cfg->device);
	char *pin = dup_or_empty(cfg->pin);
	char *smsc = dup_or_empty(cfg->smsc);

	if (!device || !pin || !smsc) {
		free(device);
		free(pin);
		free(smsc);
		return -ENOMEM;
	}
	free(m->device);
	free(m->pin);
	free(m->smsc);
	m->device = device;
	m->pin = pin;
	m->smsc = smsc;
	m->cfg = *cfg;
	m->cfg.device = m->device;
	m->cfg.pin = m->pin;
	m->cfg.smsc = m->smsc;
	return 0;
}

struct modem *modem_new(const struct modem_config *cfg)
{
	static const struct {
		const char *prefix;
		bool pdu;
		at_urc_fn fn;
	} urcs[] = {
		{ "+CMTI:", false, on_stored },
		{ "+CDSI:", false, on_stored },
		{ "+CMT:", true, on_direct },
		{ "+CDS:", true, on_direct },
		{ "+CREG:", false, on_creg },
		{ "+CUSD:", false, on_cusd },
		{ "^RSSI:", false, on_rssi },
		{ "^BOOT:", false, on_reboot_noise },
		{ "SMS Ready", false, on_reboot_noise },
		{ "Call Ready", false, on_reboot_noise },
		{ "+QIND:", false, on_reboot_noise },
		{ "RDY", false, on_reboot_noise },
		{ "RING", false, on_noise },
		{ "^MODE:", false, on_noise },
		{ "^SRVST:", false, on_noise },
		{ "^SIMST:", false, on_noise },
		{ "^DSFLOWRPT:", false, on_noise },
		{ "+CPIN:", false, on_noise },
	};
	struct modem *m;
	size_t i;
	int k;

	if (!cfg || !cfg->device || !cfg->device[0])
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (copy_config(m, cfg) < 0)
		goto fail;
	m->chat = at_chat_new();
	if (!m->chat)
		goto fail;
	for (i = 0; i < N_ELEM(urcs); i++)
		if (at_chat_register_urc(m->chat, urcs[i].prefix, urcs[i].pdu,
					 urcs[i].fn, m) < 0)
			goto fail;
	at_chat_set_trace(m->chat, chat_trace, m);

	m->step_at = m->health_at = m->reg_poll_at = -1;
	m->reopen_at = m->ussd_at = m->last_reboot_check = -1;
	m->resweep_at = -1;
	m->redeliver_before = INT64_MIN;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->csms_service = -1;
	m->st.state = MODEM_CLOSED;
	m->st.signal_csq = 99;
	m->st.reg_stat = -1;
	m->st.sms_used = -1;
	m->st.sms_total = -1;
	for (k = 0; k < 5; k++)
		m->st.cnmi[k] = -1;
	return m;

fail:
	at_chat_free(m->chat);
	free(m->device);
	free(m->pin);
	free(m->smsc);
	free(m);
	return NULL;
}

void modem_free(struct modem *m)
{
	if (!m)
		return;
	m->freeing = true;
	m->st.state = MODEM_CLOSED;
	at_chat_free(m->chat);
	ussd_finish(m, -ECANCELED, NULL);
	port_close(m->port);
	free(m->held);
	free(m->device);
	free(m->pin);
	free(m->smsc);
	free(m);
}

int modem_start(struct modem *m, int64_t now_ms)
{
	if (m->started)
		return -EALREADY;
	m->started = true;
	m->now = now_ms;
	try_open(m);
	flush(m);
	process_lost(m);
	return 0;
}

int modem_set_config(struct modem *m, const struct modem_config *cfg,
		     int64_t now_ms)
{
	bool pin_changed, smsc_changed, health_changed;
	char text[64];

	if (!cfg || !cfg->device || !cfg->device[0])
		return -EINVAL;
	m->now = now_ms;
	pin_changed = strcmp(m->pin, cfg->pin ? cfg->pin : "") != 0;
	smsc_changed = strcmp(m->smsc, cfg->smsc ? cfg->smsc : "") != 0;
	health_changed = m->cfg.health_interval_s != cfg->health_interval_s;
	if (copy_config(m, cfg) < 0)
		return -ENOMEM;

	if (health_changed && m->health_at >= 0)
		m->health_at = now_ms + health_ms(m);
	if (pin_changed && m->pin_blocked) {
		mlog(m, MODEM_LOG_NOTICE,
		     "modem: modem.pin changed: one new PIN attempt allowed");
		m->pin_blocked = false;
		m->st.pin_blocked = false;
		if (m->st.state == MODEM_SIM_ERROR && m->port)
			begin_init(m);
	}
	if (smsc_changed && m->configured && smsc_valid(m->smsc)) {
		snprintf(text, sizeof(text), "AT+CSCA=\"%s\"", m->smsc);
		cmd(m, K_CSCA, 0, text, NULL, T_CMD);
	}
	flush(m);
	process_lost(m);
	return 0;
}

int modem_fd(const struct modem *m)
{
	return m->port ? port_fd(m->port) : -1;
}

short modem_events(const struct modem *m)
{
	const char *buf;

	if (!m->port)
		return 0;
	return at_chat_output(m->chat, &buf) ? POLLIN | POLLOUT : POLLIN;
}

void modem_dispatch(struct modem *m, short revents, int64_t now_ms)
{
	char buf[512];
	ssize_t n;
	int rounds;

	m->now = now_ms;
	if (!m->port)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
		for (rounds = 0; rounds < 64 && m->port; rounds++) {
			n = port_read(m->port, buf, sizeof(buf));
			if (n > 0) {
				at_chat_feed(m->chat, buf, (size_t)n, now_ms);
				continue;
			}
			if (n < 0)
				request_lost(m, "read from %s: %s",
					     port_name(m->port),
					     strerror((int)-n));
			break;
		}
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			request_lost(m, "hang-up on %s", port_name(m->port));
	}
	flush(m);
	process_lost(m);
}

int64_t modem_deadline(const struct modem *m)
{
	int64_t d = -1;

	if (m->port)
		d = at_chat_deadline(m->chat);
	d = min_deadline(d, m->step_at);
	d = min_deadline(d, m->health_at);
	d = min_deadline(d, m->reg_poll_at);
	d = min_deadline(d, m->reopen_at);
	d = min_deadline(d, m->ussd_at);
	d = min_deadline(d, m->resweep_at);
	return d;
}

static void health_check(struct modem *m)
{
	static const char *const p_csq[] = { "+CSQ:", NULL };
	static const char *const p_creg[] = { "+CREG:", NULL };
	static const char *const p_cpms[] = { "+CPMS:", NULL };
	static const char *const p_cpin[] = { "+CPIN:", NULL };
	static const char *const p_cnmi[] = { "+CNMI:", NULL };

	m->health_at = m->now + health_ms(m);
	if (m->st.state == MODEM_SIM_ERROR) {
		cmd(m, K_SIM_CHECK, 0, "AT+CPIN?", p_cpin, T_CMD);
		return;
	}
	if (!m->configured) {
		m->health_at = -1;
		return;
	}
	m->redeliver_before = m->prev_health;
	m->prev_health = m->now;
	cmd(m, K_CSQ, 0, "AT+CSQ", p_csq, T_CMD);
	cmd(m, K_CREG, 0, "AT+CREG?", p_creg, T_CMD);
	cmd(m, K_CPMS, 0, "AT+CPMS?", p_cpms, T_CMD);
	/*
	 * Some modems reboot without a word (no ^BOOT, no RDY) and come
	 * back with new-message indications off: check them here too.
	 */
	m->last_reboot_check = m->now;
	cmd(m, K_REBOOT_CHECK, 0, "AT+CNMI?", p_cnmi, T_CMD);
	sweep(m);
}

void modem_timeout(struct modem *m, int64_t now_ms)
{
	static const char *const p_creg[] = { "+CREG:", NULL };

	m->now = now_ms;
	if (m->port && due(at_chat_deadline(m->chat), now_ms)) {
		at_chat_timeout(m->chat, now_ms);
		check_timeouts(m);
	}
	process_lost(m);
	if (due(m->reopen_at, now_ms)) {
		m->reopen_at = -1;
		if (!m->port)
			try_open(m);
	}
	if (m->port && due(m->step_at, now_ms)) {
		m->step_at = -1;
		step_run(m);
	}
	if (m->port && due(m->reg_poll_at, now_ms)) {
		m->reg_poll_at = -1;
		cmd(m, K_CREG, 0, "AT+CREG?", p_creg, T_CMD);
		if (m->st.state == MODEM_REGISTERING)
			m->reg_poll_at = now_ms + REG_SLOW_POLL_MS;
	}
	if (m->port && due(m->health_at, now_ms))
		health_check(m);
	if (due(m->resweep_at, now_ms)) {
		m->resweep_at = -1;
		if (m->port && m->configured)
			sweep(m);
	}
	if (due(m->ussd_at, now_ms)) {
		mlog(m, MODEM_LOG_WARNING, "modem: no USSD reply in time");
		if (m->port)
			cmd(m, K_USSD_CLOSE, 0, "AT+CUSD=2", NULL, T_CMD);
		ussd_finish(m, -ETIMEDOUT, NULL);
	}
	flush(m);
	process_lost(m);
}

void modem_get_status(const struct modem *m, struct modem_status *out)
{
	*out = m->st;
}

int modem_delete(struct modem *m, int index)
{
	char text[24];

	if (index == -1)
		return 0;
	if (index < 0)
		return -EINVAL;
	if (!m->port)
		return -ENOTCONN;
	snprintf(text, sizeof(text), "AT+CMGD=%d", index);
	return cmd(m, K_DELETE, index, text, NULL, T_CMD);
}

int modem_release(struct modem *m, int index)
{
	if (index == -1)
		return 0;
	if (index < 0)
		return -EINVAL;
	held_remove(m, index);
	if (m->port && m->resweep_at < 0)
		m->resweep_at = m->now + RESWEEP_MS;
	return 0;
}

int modem_send_pdu(struct modem *m, const char *pdu_hex, size_t tpdu_len,
		   modem_send_fn done, void *data)
{
	static const char *const pfx[] = { "+CMGS:", NULL };
	char text[32];
	struct ctx *c;
	size_t len;

	if (!pdu_hex || !is_hex(pdu_hex, &len) || len % 2 ||
	    len > 2 * PDU_MAX_OCTETS || tpdu_len == 0 || tpdu_len > 164 ||
	    tpdu_len > len / 2)
		return -EINVAL;
	if (m->st.state != MODEM_READY || !m->port)
		return -EAGAIN;
	c = ctx_new(m, K_SEND, 0);
	if (!c)
		return -ENOMEM;
	c->send_done = done;
	c->send_data = data;
	snprintf(text, sizeof(text), "AT+CMGS=%zu", tpdu_len);
	if (!at_chat_send_pdu(m->chat, text, pdu_hex, pfx, T_SEND, on_result,
			      c, free)) {
		free(c);
		return -ENOMEM;
	}
	return 0;
}

int modem_ussd(struct modem *m, const char *code, modem_ussd_fn done,
	       void *data)
{
	static const char *const pfx[] = { "+CUSD:", NULL };
	char text[128], hex[80];
	uint8_t septets[40], packed[40];
	size_t i, n;
	int len;

	n = code ? strlen(code) : 0;
	if (n == 0 || n > 32)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)code[i]) && code[i] != '*' &&
		    code[i] != '#')
			return -EINVAL;
	if (m->st.state != MODEM_READY || !m->port)
		return -EAGAIN;
	if (m->ussd_active)
		return -EBUSY;
	if (m->quirk && m->quirk->ussd_packed) {
		for (i = 0; i < n; i++) {
			uint8_t s[2];

			gsm7_from_cp((unsigned char)code[i], s);
			septets[i] = s[0];
		}
		memset(packed, 0, sizeof(packed));
		len = gsm7_pack(septets, n, 0, packed, sizeof(packed));
		if (len < 0)
			return -EINVAL;
		for (i = 0; i < (size_t)len; i++)
			snprintf(hex + 2 * i, 3, "%02X", packed[i]);
		snprintf(text, sizeof(text), "AT+CUSD=1,\"%s\",15", hex);
	} else {
		snprintf(text, sizeof(text), "AT+CUSD=1,\"%s\",15", code);
	}
	if (cmd(m, K_USSD, 0, text, pfx, T_USSD_CMD) < 0)
		return -ENOMEM;
	m->ussd_active = true;
	m->ussd_done = done;
	m->ussd_data = data;
	return 0;
}
