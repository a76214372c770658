// SPDX-License-Identifier: MIT
/*
 * test-modem.c - the modem engine against a scripted fake modem.
 *
 * The fake sits on the master side of a pty; the engine opens the slave
 * through a symlink (so a "re-plugged" modem can come back under a new
 * /dev/pts name) with the real port.c, at.c and pdu.c.  The fake answers
 * from a rule table: per-test rules first (optionally one-shot, for
 * sequences), then a well-behaved default modem.  Every command the
 * engine writes is logged for transcript assertions; URCs are injected
 * between steps.  Engine time is virtual: tests advance it explicitly,
 * only the pty I/O is real.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "modem/modem.h"
#include "modem/pdu.h"

#define T0		1000000
#define HEALTH_S	300

struct rule {
	const char *cmd;	/* exact, or prefix when ending in '*' */
	const char *reply;	/* NULL: stay silent */
	int times;		/* 0: unlimited */
	int used;
};

static const struct rule default_rules[] = {
	{ "AT", "\r\nOK\r\n", 0, 0 },
	{ "ATE0", "\r\nOK\r\n", 0, 0 },
	{ "AT+CMEE=1", "\r\nOK\r\n", 0, 0 },
	{ "AT+CGMI", "\r\nQuectel\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CGMM", "\r\nEC25\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CGMR", "\r\nRevision: EC25EFAR06A03M4G\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CPINR=*", "\r\n+CPINR: SIM PIN,3,3\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CIMI", "\r\n460001234567890\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CREG=1", "\r\nOK\r\n", 0, 0 },
	{ "AT+CREG?", "\r\n+CREG: 1,1\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CMGF=0", "\r\nOK\r\n", 0, 0 },
	{ "AT+CSCS=\"GSM\"", "\r\nOK\r\n", 0, 0 },
	{ "AT+CSCA=*", "\r\nOK\r\n", 0, 0 },
	{ "AT+CNUM", "\r\n+CNUM: \"\",\"+8613900000000\",145\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CPMS=\"SM\",\"SM\",\"SM\"", "\r\n+CPMS: 2,50,2,50,2,50\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CPMS?", "\r\n+CPMS: \"SM\",2,50,\"SM\",2,50,\"SM\",2,50\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CSMS?", "\r\n+CSMS: 0,1,1,1\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CNMI=?", "\r\n+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CNMI?", "\r\n+CNMI: 2,1,0,2,0\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CNMI=2,1,0,2,0", "\r\nOK\r\n", 0, 0 },
	{ "AT+CMGL=4", "\r\nOK\r\n", 0, 0 },
	{ "AT+CMGD=*", "\r\nOK\r\n", 0, 0 },
	{ "AT+CSQ", "\r\n+CSQ: 21,99\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CMGS=*", "\r\n> ", 0, 0 },
	{ "*^Z", "\r\n+CMGS: 7\r\n\r\nOK\r\n", 0, 0 },
	{ "AT+CNMA", "\r\nOK\r\n", 0, 0 },
	{ "AT+CUSD=*", "\r\nOK\r\n", 0, 0 },
};

#define MAX_LOG 512

static struct fake {
	int master;
	int slave;
	char dir[64];
	char link[96];
	char in[16384];
	size_t in_len;
	char *log[MAX_LOG];
	size_t n_log;
	struct rule rules[32];
	size_t n_rules;
	bool mute;
} f;

struct got_msg {
	int index;
	enum modem_sms_kind kind;
	char text[128];
	char addr[48];
	int message_ref;
	int stat;
};

static struct rec {
	enum modem_state states[128];
	size_t n_states;
	int batches;
	size_t batch_sizes[32];
	struct got_msg msgs[64];
	size_t n_msgs;
	bool delete_in_cb;
	int send_calls, send_err, send_mr, send_code;
	enum at_error_type send_type;
	int ussd_calls, ussd_err;
	char ussd_text[256];
	int storage_low, low_used, low_total;
	int net_times;
	int64_t net_time;
	char trace[65536];
	size_t trace_len;
	char logtext[16384];
	size_t log_len;
} r;

static struct modem *m;
static int64_t now;
static struct modem_config cfg;

/* ------------------------------------------------------------------ */
/* The fake modem                                                       */

static void fake_write(const char *s)
{
	size_t n = strlen(s), off = 0;

	while (off < n) {
		ssize_t w = write(f.master, s + off, n - off);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return;
		}
		off += (size_t)w;
	}
}

static void fake_add(const char *cmd, const char *reply, int times)
{
	assert_true(f.n_rules < 32);
	f.rules[f.n_rules].cmd = cmd;
	f.rules[f.n_rules].reply = reply;
	f.rules[f.n_rules].times = times;
	f.rules[f.n_rules].used = 0;
	f.n_rules++;
}

static bool rule_match(const char *pat, const char *unit)
{
	size_t n = strlen(pat);

	if (n && pat[0] == '*')	/* suffix */
		return strlen(unit) >= n - 1 &&
		       strcmp(unit + strlen(unit) - (n - 1), pat + 1) == 0;
	if (n && pat[n - 1] == '*')
		return strncmp(unit, pat, n - 1) == 0;
	return strcmp(unit, pat) == 0;
}

static void fake_unit(const char *unit)
{
	size_t i;

	if (f.n_log < MAX_LOG)
		f.log[f.n_log++] = strdup(unit);
	if (f.mute)
		return;
	for (i = 0; i < f.n_rules; i++) {
		struct rule *ru = &f.rules[i];

		if (ru->times && ru->used >= ru->times)
			continue;
		if (!rule_match(ru->cmd, unit))
			continue;
		ru->used++;
		if (ru->reply)
			fake_write(ru->reply);
		return;
	}
	for (i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++) {
		if (rule_match(default_rules[i].cmd, unit)) {
			fake_write(default_rules[i].reply);
			return;
		}
	}
	fake_write("\r\nERROR\r\n");
}

/* Split what the engine wrote at CR (commands) and Ctrl-Z (PDUs). */
static void fake_read(void)
{
	char buf[4096], unit[4096];
	ssize_t n = read(f.master, buf, sizeof(buf));
	size_t i, start = 0;

	if (n <= 0)
		return;
	assert_true(f.in_len + (size_t)n < sizeof(f.in));
	memcpy(f.in + f.in_len, buf, (size_t)n);
	f.in_len += (size_t)n;
	for (i = 0; i < f.in_len; i++) {
		size_t len = i - start;

		if (f.in[i] == 0x1b) {	/* ESC leaves text entry */
			fake_unit("<ESC>");
			start = i + 1;
		} else if (f.in[i] == '\r' || f.in[i] == 0x1a) {
			memcpy(unit, f.in + start, len);
			if (f.in[i] == 0x1a)
				memcpy(unit + len, "^Z", 3);
			else
				unit[len] = '\0';
			start = i + 1;
			if (unit[0])
				fake_unit(unit);
		}
	}
	memmove(f.in, f.in + start, f.in_len - start);
	f.in_len -= start;
}

static void fake_open_pty(void)
{
	char tmp[128];
	struct termios tio;
	const char *pts;

	f.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	assert_true(f.master >= 0);
	assert_int_equal(grantpt(f.master), 0);
	assert_int_equal(unlockpt(f.master), 0);
	pts = ptsname(f.master);
	assert_non_null(pts);
	f.slave = open(pts, O_RDWR | O_NOCTTY | O_NONBLOCK);
	assert_true(f.slave >= 0);
	tcgetattr(f.slave, &tio);
	cfmakeraw(&tio);
	tcsetattr(f.slave, TCSANOW, &tio);
	snprintf(tmp, sizeof(tmp), "%s/modem.new", f.dir);
	unlink(tmp);
	assert_int_equal(symlink(pts, tmp), 0);
	assert_int_equal(rename(tmp, f.link), 0);
	f.in_len = 0;
}

static void fake_close_pty(void)
{
	if (f.master >= 0)
		close(f.master);
	if (f.slave >= 0)
		close(f.slave);
	f.master = f.slave = -1;
}

static size_t count_cmd(const char *pat)
{
	size_t i, n = 0;

	for (i = 0; i < f.n_log; i++)
		if (rule_match(pat, f.log[i]))
			n++;
	return n;
}

/* Position in the command log of the Nth (from 0) match, or MAX_LOG. */
static size_t cmd_index(const char *pat, size_t nth)
{
	size_t i;

	for (i = 0; i < f.n_log; i++)
		if (rule_match(pat, f.log[i]) && nth-- == 0)
			return i;
	return MAX_LOG;
}

static ssize_t find_cmd(const char *pat, size_t from)
{
	size_t i;

	for (i = from; i < f.n_log; i++)
		if (rule_match(pat, f.log[i]))
			return (ssize_t)i;
	return -1;
}

static void clear_log(void)
{
	size_t i;

	for (i = 0; i < f.n_log; i++)
		free(f.log[i]);
	f.n_log = 0;
}

/* ------------------------------------------------------------------ */
/* Driving the engine                                                   */

/* Real I/O until both sides have been quiet for a while. */
static void pump(void)
{
	int idle = 0;

	while (idle < 4) {
		struct pollfd p[2];
		int fd = modem_fd(m), rc;
		nfds_t n = 0;

		if (f.master >= 0) {
			p[n].fd = f.master;
			p[n].events = POLLIN;
			n++;
		}
		if (fd >= 0) {
			p[n].fd = fd;
			p[n].events = modem_events(m);
			n++;
		}
		rc = poll(p, n, 10);
		if (rc <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		if (f.master >= 0 && p[0].revents & POLLIN)
			fake_read();
		if (fd >= 0 && p[n - 1].fd == fd && p[n - 1].revents)
			modem_dispatch(m, p[n - 1].revents, now);
		else if (f.master >= 0 && !(p[0].revents & POLLIN))
			idle++;
	}
}

static enum modem_state modem_status_state(void)
{
	struct modem_status st;

	modem_get_status(m, &st);
	return st.state;
}

/* Advance virtual time by @ms, running every deadline on the way. */
static void advance(int64_t ms)
{
	int64_t target = now + ms, d;
	int guard = 0;

	pump();
	while ((d = modem_deadline(m)) >= 0 && d <= target) {
		assert_true(++guard < 10000);
		if (d > now)
			now = d;
		modem_timeout(m, now);
		pump();
	}
	now = target;
}

static bool wait_state(enum modem_state s, int64_t max_ms)
{
	int64_t end = now + max_ms, d;
	int guard = 0;

	pump();
	while (modem_status_state() != s) {
		d = modem_deadline(m);
		if (d < 0 || d > end || ++guard > 10000)
			return false;
		if (d > now)
			now = d;
		modem_timeout(m, now);
		pump();
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                            */

static void cb_log(int level, const char *fmt, va_list ap, void *data)
{
	int n;

	(void)level;
	(void)data;
	if (r.log_len + 256 >= sizeof(r.logtext))
		return;
	n = vsnprintf(r.logtext + r.log_len, sizeof(r.logtext) - r.log_len,
		      fmt, ap);
	if (n > 0)
		r.log_len += (size_t)n < 255 ? (size_t)n : 255;
	r.logtext[r.log_len++] = '\n';
	r.logtext[r.log_len] = '\0';
}

static void cb_trace(char dir, const char *text, size_t len, void *data)
{
	(void)data;
	if (r.trace_len + len + 3 >= sizeof(r.trace))
		return;
	r.trace[r.trace_len++] = dir;
	memcpy(r.trace + r.trace_len, text, len);
	r.trace_len += len;
	r.trace[r.trace_len++] = '\n';
	r.trace[r.trace_len] = '\0';
}

static void cb_state(struct modem *mm, enum modem_state old,
		     enum modem_state s, void *data)
{
	(void)mm;
	(void)old;
	(void)data;
	if (r.n_states < 128)
		r.states[r.n_states++] = s;
}

static void cb_net_time(struct modem *mm, int64_t utc, void *data)
{
	(void)mm;
	(void)data;
	r.net_times++;
	r.net_time = utc;
}

static void cb_sms(struct modem *mm, const struct modem_sms *msgs, size_t n,
		   void *data)
{
	size_t i;

	(void)data;
	if (r.batches < 32)
		r.batch_sizes[r.batches] = n;
	r.batches++;
	for (i = 0; i < n && r.n_msgs < 64; i++) {
		struct got_msg *g = &r.msgs[r.n_msgs++];

		g->index = msgs[i].index;
		g->kind = msgs[i].kind;
		g->stat = msgs[i].stat;
		snprintf(g->text, sizeof(g->text), "%s", msgs[i].pdu.text);
		snprintf(g->addr, sizeof(g->addr), "%s", msgs[i].pdu.addr);
		g->message_ref = msgs[i].pdu.message_ref;
		if (r.delete_in_cb)
			assert_int_equal(modem_delete(mm, msgs[i].index), 0);
	}
}

static void cb_low(struct modem *mm, int used, int total, void *data)
{
	(void)mm;
	(void)data;
	r.storage_low++;
	r.low_used = used;
	r.low_total = total;
}

static void cb_send(int err, int mr, const struct at_error *e, void *data)
{
	(void)data;
	r.send_calls++;
	r.send_err = err;
	r.send_mr = mr;
	r.send_type = e ? e->type : AT_ERR_NONE;
	r.send_code = e ? e->code : 0;
}

static void cb_ussd(int err, const char *text, void *data)
{
	(void)data;
	r.ussd_calls++;
	r.ussd_err = err;
	snprintf(r.ussd_text, sizeof(r.ussd_text), "%s", text ? text : "");
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                             */

static int setup(void **state)
{
	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&f, 0, sizeof(f));
	f.master = f.slave = -1;
	snprintf(f.dir, sizeof(f.dir), "/tmp/test-modem.XXXXXX");
	if (!mkdtemp(f.dir))
		return -1;
	snprintf(f.link, sizeof(f.link), "%s/modem", f.dir);
	fake_open_pty();
	now = T0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.device = f.link;
	cfg.baud = 115200;
	cfg.pin = "";
	cfg.smsc = "";
	cfg.health_interval_s = HEALTH_S;
	cfg.max_timeouts = 3;
	cfg.log = cb_log;
	cfg.trace = cb_trace;
	cfg.state_changed = cb_state;
	cfg.sms = cb_sms;
	cfg.storage_low = cb_low;
	cfg.network_time = cb_net_time;
	m = NULL;
	return 0;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	modem_free(m);
	m = NULL;
	fake_close_pty();
	clear_log();
	unlink(f.link);
	snprintf(path, sizeof(path), "%s/modem.new", f.dir);
	unlink(path);
	rmdir(f.dir);
	return 0;
}

static void start(void)
{
	m = modem_new(&cfg);
	assert_non_null(m);
	assert_int_equal(modem_start(m, now), 0);
	pump();
}

static void start_ready(void)
{
	start();
	assert_true(wait_state(MODEM_READY, 60000));
}

static const char *deliver_hex(const char *from, const char *text)
{
	static char hex[2][2 * PDU_MAX_OCTETS + 1];
	static int which;
	struct pdu_deliver_opts o = { .scts_epoch = 1795000000,
				      .tz_quarters = 32, .msg_class = -1 };
	struct pdu_part part;
	size_t n;

	assert_int_equal(pdu_encode_deliver(from, text, &o, &part, 1, &n,
					    NULL), 0);
	which ^= 1;
	snprintf(hex[which], sizeof(hex[which]), "%s", part.hex);
	return hex[which];
}

/* WAP push: 8-bit, UDH with the 16-bit application port 2948. */
static const char wap_push_hex[] =
	"00440D91683108000000F1000462118290030000"
	"0B0605040B8423F0DEADBEEF";

/* ------------------------------------------------------------------ */
/* Bring-up                                                             */

static void test_bringup_transcript(void **state)
{
	static const char *const expect[] = {
		"AT", "ATE0", "AT+CMEE=1", "AT+CGMI", "AT+CGMM", "AT+CGMR",
		"AT+CPIN?", "AT+CIMI", "AT+CREG=1", "AT+CREG?", "AT+CMGF=0",
		"AT+CSCS=\"GSM\"", "AT+CNUM", "AT+CTZU=1",
		"AT+CPMS=\"SM\",\"SM\",\"SM\"",
		"AT+CSMS?", "AT+CNMI=?", "AT+CNMI=2,1,0,2,0", "AT+CMGL=4",
	};
	struct modem_status st;
	size_t i;

	(void)state;
	start_ready();
	assert_int_equal(f.n_log, sizeof(expect) / sizeof(expect[0]));
	for (i = 0; i < f.n_log; i++)
		assert_string_equal(f.log[i], expect[i]);
	modem_get_status(m, &st);
	assert_string_equal(st.manufacturer, "Quectel");
	assert_string_equal(st.model, "EC25");
	assert_string_equal(st.revision, "EC25EFAR06A03M4G");
	assert_string_equal(st.imsi, "460001234567890");
	assert_string_equal(st.own_number, "+8613900000000");
	assert_string_equal(st.sim_state, "READY");
	assert_string_equal(st.storage, "SM");
	assert_int_equal(st.sms_used, 2);
	assert_int_equal(st.sms_total, 50);
	assert_int_equal(st.reg_stat, 1);
	assert_int_equal(st.cnmi[0], 2);
	assert_int_equal(st.cnmi[1], 1);
	assert_int_equal(st.cnmi[3], 2);
	assert_int_equal(st.reopens, 0);
	/* CLOSED -> OPENING -> INITIALISING -> READY */
	assert_int_equal(r.n_states, 3);
	assert_int_equal(r.states[0], MODEM_OPENING);
	assert_int_equal(r.states[1], MODEM_INITIALISING);
	assert_int_equal(r.states[2], MODEM_READY);
	/* the raw trace saw both directions */
	assert_non_null(strstr(r.trace, ">AT+CNMI=2,1,0,2,0\n"));
	assert_non_null(strstr(r.trace, "<+CPIN: READY\n"));
	/* the number is personal data: never in the log */
	assert_null(strstr(r.logtext, "13900000000"));
}

/* cancel_entry: ESC before the first probe leaves a stale "> " entry. */
static void test_bringup_cancel_entry_escapes_first(void **state)
{
	static const char *const expect[] = {
		"<ESC>", "AT", "ATE0", "AT+CMEE=1", "AT+CGMI", "AT+CGMM",
		"AT+CGMR", "AT+CPIN?", "AT+CIMI", "AT+CREG=1", "AT+CREG?",
		"AT+CMGF=0", "AT+CSCS=\"GSM\"", "AT+CNUM", "AT+CTZU=1",
		"AT+CPMS=\"SM\",\"SM\",\"SM\"", "AT+CSMS?", "AT+CNMI=?",
		"AT+CNMI=2,1,0,2,0", "AT+CMGL=4",
	};
	size_t i;

	(void)state;
	cfg.cancel_entry = true;
	start_ready();
	assert_int_equal(f.n_log, sizeof(expect) / sizeof(expect[0]));
	for (i = 0; i < f.n_log; i++)
		assert_string_equal(f.log[i], expect[i]);
	/* ESC and "AT" leave in one write, ESC first */
	assert_non_null(strstr(r.trace, ">\x1b" "AT\n"));
}

/*
 * NITZ: AT+CTZU=1 accepted, the clock read once at bring-up, later
 * +CTZV with a time passed on as is, a zone-only +CTZV re-reads the
 * clock.  Without CTZU (the default fake refuses it) no AT+CCLK? at all.
 */
static void test_network_time(void **state)
{
	(void)state;
	fake_add("AT+CTZU=1", "\r\nOK\r\n\r\n+CTZV: +32\r\n", 0);
	fake_add("AT+CCLK?", "\r\n+CCLK: \"25/12/03,16:00:05+32\"\r\n"
		 "\r\nOK\r\n", 1);
	fake_add("AT+CCLK?", "\r\n+CCLK: \"25/12/03,16:10:00+32\"\r\n"
		 "\r\nOK\r\n", 0);
	start_ready();
	/* the URC during the bring-up is left to the AT+CCLK? step */
	assert_int_equal(count_cmd("AT+CCLK?"), 1);
	assert_int_equal(r.net_times, 1);
	assert_int_equal(r.net_time, 1764748805LL);
	fake_write("\r\n+CTZV: 25/12/03,17:00:00+32,0\r\n");
	pump();
	assert_int_equal(r.net_times, 2);
	assert_int_equal(r.net_time, 1764752400LL);
	assert_int_equal(count_cmd("AT+CCLK?"), 1);
	fake_write("\r\n+CTZV: +32\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CCLK?"), 2);
	assert_int_equal(r.net_times, 3);
	assert_int_equal(r.net_time, 1764749400LL);
	/* a time the modem garbled: the clock is read instead */
	fake_write("\r\n+CTZV: 99/99/99,99:99:99+99\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CCLK?"), 3);
	assert_int_equal(r.net_time, 1764749400LL);
}

static void test_no_network_time_without_ctzu(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(count_cmd("AT+CTZU=1"), 1);
	assert_int_equal(count_cmd("AT+CCLK?"), 0);
	fake_write("\r\n+CTZV: 25/12/03,17:00:00+32\r\n");
	pump();
	assert_int_equal(r.net_times, 1);	/* the network still says */
}

/* AT+CNUM answers, one per case: what ends up in status.own_number. */
static const struct {
	const char *reply;
	const char *own;
} cnum_cases[] = {
	/* national number with a label, type 129 */
	{ "\r\n+CNUM: \"Line 1\",\"13900000000\",129\r\n\r\nOK\r\n",
	  "13900000000" },
	/* type 145 without the "+" in the digits */
	{ "\r\n+CNUM: \"\",\"8613900000001\",145\r\n\r\nOK\r\n",
	  "+8613900000001" },
	/* empty alpha field, then a data line with no number first */
	{ "\r\n+CNUM: \"Fax\",\"\",129\r\n+CNUM: ,\"+8613900000002\",145\r\n\r\nOK\r\n",
	  "+8613900000002" },
	/* many SIMs: just OK */
	{ "\r\nOK\r\n", "" },
	/* no phonebook entry */
	{ "\r\n+CME ERROR: 22\r\n", "" },
	/* plain ERROR */
	{ "\r\nERROR\r\n", "" },
	/* garbage in the number field is not a number */
	{ "\r\n+CNUM: \"\",\"Unknown\",129\r\n\r\nOK\r\n", "" },
	/* unquoted number field: malformed, skipped */
	{ "\r\n+CNUM: \"\",13900000000,129\r\n\r\nOK\r\n", "" },
};

static void test_cnum_answers(void **state)
{
	struct modem_status st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cnum_cases) / sizeof(cnum_cases[0]); i++) {
		if (i) {
			teardown(state);
			assert_int_equal(setup(state), 0);
		}
		fake_add("AT+CNUM", cnum_cases[i].reply, 0);
		start_ready();
		modem_get_status(m, &st);
		assert_string_equal(st.own_number, cnum_cases[i].own);
		/* one question per bring-up, never fatal, never repeated */
		assert_int_equal(count_cmd("AT+CNUM"), 1);
		assert_true(find_cmd("AT+CNUM", 0) <
			    find_cmd("AT+CPMS=*", 0));
		advance(2 * HEALTH_S * 1000);
		assert_int_equal(count_cmd("AT+CNUM"), 1);
		assert_int_equal(modem_status_state(), MODEM_READY);
	}
}

static void test_cnum_ok_only_no_number(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CNUM", "\r\nOK\r\n", 0);
	start_ready();
	modem_get_status(m, &st);
	assert_string_equal(st.own_number, "");
	assert_int_equal(count_cmd("AT+CNUM"), 1);
	assert_non_null(strstr(r.logtext, "does not store its own number"));
}

static void test_cnum_error_not_fatal(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CNUM", "\r\nERROR\r\n", 0);
	start_ready();
	modem_get_status(m, &st);
	assert_string_equal(st.own_number, "");
	assert_int_equal(count_cmd("AT+CNUM"), 1);
	assert_int_equal(count_cmd("AT+CNMI=2,1,0,2,0"), 1);
	assert_string_equal(st.last_error, "");
}

static void test_cnum_sim_busy_retried_a_few_times(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CNUM", "\r\n+CME ERROR: 14\r\n", 2);
	start();
	assert_true(wait_state(MODEM_READY, 60000));
	modem_get_status(m, &st);
	assert_int_equal(count_cmd("AT+CNUM"), 3);
	assert_string_equal(st.own_number, "+8613900000000");
}

static void test_cnum_sim_busy_gives_up(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CNUM", "\r\n+CME ERROR: 14\r\n", 0);
	start();
	assert_true(wait_state(MODEM_READY, 60000));
	modem_get_status(m, &st);
	assert_int_equal(count_cmd("AT+CNUM"), 5);
	assert_string_equal(st.own_number, "");
}

/* AT+CSCS="GSM" refused: the modem answers in UCS2 hex. */
static void test_cnum_ucs2_when_charset_refused(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CSCS=*", "\r\nERROR\r\n", 0);
	fake_add("AT+CNUM", "\r\n+CNUM: \"\",\"002B0038003600310033003900300030003000300030003000300033\",145\r\n\r\nOK\r\n", 0);
	start_ready();
	modem_get_status(m, &st);
	assert_string_equal(st.own_number, "+8613900000003");
}

/* Re-initialised (modem reboot): kept for the same SIM, dropped for another. */
static void test_cnum_kept_for_same_sim_only(void **state)
{
	struct modem_status st;

	(void)state;
	start_ready();
	fake_add("AT+CNUM", "\r\nOK\r\n", 0);
	fake_add("AT+CNMI?", "\r\n+CNMI: 0,0,0,0,0\r\n\r\nOK\r\n", 2);
	advance(61000);
	fake_write("\r\nRDY\r\n");
	pump();
	assert_true(wait_state(MODEM_READY, 60000));
	assert_int_equal(count_cmd("ATE0"), 2);
	assert_int_equal(count_cmd("AT+CNUM"), 2);
	modem_get_status(m, &st);
	assert_string_equal(st.own_number, "+8613900000000");

	/* another SIM (another IMSI) that does not know its number */
	fake_add("AT+CIMI", "\r\n460009999999999\r\n\r\nOK\r\n", 0);
	advance(61000);
	fake_write("\r\nRDY\r\n");
	pump();
	assert_true(wait_state(MODEM_READY, 60000));
	assert_int_equal(count_cmd("ATE0"), 3);
	assert_int_equal(count_cmd("AT+CNUM"), 3);
	modem_get_status(m, &st);
	assert_string_equal(st.imsi, "460009999999999");
	assert_string_equal(st.own_number, "");
}

static void test_bringup_smsc_and_huawei_quirk(void **state)
{
	(void)state;
	fake_add("AT+CGMI", "\r\nhuawei\r\n\r\nOK\r\n", 0);
	fake_add("AT^CURC=0", "\r\nOK\r\n", 0);
	cfg.smsc = "+8613800100500";
	start_ready();
	assert_int_equal(count_cmd("AT^CURC=0"), 1);
	assert_int_equal(count_cmd("AT+CSCA=\"+8613800100500\""), 1);
	assert_true(find_cmd("AT+CSCS=\"GSM\"", 0) <
		    find_cmd("AT+CSCA=*", 0));
}

static void test_bringup_modem_booting_with_echo(void **state)
{
	(void)state;
	/* Two probes unanswered (booting), then answers with echo on. */
	fake_add("AT", NULL, 3);
	fake_add("AT", "AT\r\r\nOK\r\n", 1);
	fake_add("ATE0", "ATE0\r\r\nOK\r\n", 1);
	start();
	assert_true(wait_state(MODEM_READY, 120000));
	assert_true(count_cmd("AT") >= 4);
	assert_int_equal(count_cmd("ATE0"), 1);
}

static void test_bringup_silent_modem_is_lost(void **state)
{
	struct modem_status st;

	(void)state;
	f.mute = true;
	start();
	assert_true(wait_state(MODEM_LOST, 120000));
	modem_get_status(m, &st);
	assert_non_null(strstr(st.last_error, "timeouts"));
	/* the reopen is armed 1 s later */
	assert_int_equal(modem_deadline(m), now + 1000);
	assert_int_equal(modem_fd(m), -1);
}

static void test_registration_wait(void **state)
{
	int64_t t;

	(void)state;
	fake_add("AT+CREG?", "\r\n+CREG: 1,2\r\n\r\nOK\r\n", 2);
	start();
	pump();
	assert_int_equal(modem_status_state(), MODEM_REGISTERING);
	/* waiting: polled on a 5 s timer, not faster */
	t = modem_deadline(m);
	assert_int_equal(t, now + 5000);
	advance(4999);
	assert_int_equal(count_cmd("AT+CREG?"), 1);
	assert_true(wait_state(MODEM_READY, 30000));
	assert_int_equal(count_cmd("AT+CREG?"), 3);
}

/* ------------------------------------------------------------------ */
/* SIM and PIN                                                          */

static void test_pin_ready_not_entered(void **state)
{
	(void)state;
	cfg.pin = "1234";
	start_ready();
	assert_int_equal(count_cmd("AT+CPIN=*"), 0);
	assert_int_equal(count_cmd("AT+CPINR=*"), 0);
}

static void test_pin_needed_entered_once(void **state)
{
	struct modem_status st;

	(void)state;
	cfg.pin = "1234";
	fake_add("AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", 1);
	fake_add("AT+CPIN=\"1234\"", "\r\nOK\r\n", 1);
	start_ready();
	assert_int_equal(count_cmd("AT+CPIN=\"1234\""), 1);
	assert_int_equal(count_cmd("AT+CPINR=\"SIM PIN\""), 1);
	/* the PIN never reaches the trace */
	assert_null(strstr(r.trace, "\"1234\""));
	assert_non_null(strstr(r.trace, "AT+CPIN=\"****\""));
	modem_get_status(m, &st);
	assert_false(st.pin_blocked);
}

static void test_wrong_pin_never_retried(void **state)
{
	struct modem_status st;

	(void)state;
	cfg.pin = "1234";
	fake_add("AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", 0);
	fake_add("AT+CPIN=*", "\r\n+CME ERROR: 16\r\n", 0);
	start();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	modem_get_status(m, &st);
	assert_true(st.pin_blocked);
	assert_non_null(strstr(st.last_error, "refused"));
	assert_non_null(strstr(st.last_error, "incorrect password"));
	assert_int_equal(count_cmd("AT+CPIN=\"1234\""), 1);

	/* health checks in SIM_ERROR only look */
	advance(3 * HEALTH_S * 1000);
	assert_int_equal(count_cmd("AT+CPIN=*"), 1);
	assert_int_equal(modem_status_state(), MODEM_SIM_ERROR);

	/* the modem is re-plugged under a new name: still no retry */
	fake_close_pty();
	pump();
	assert_true(wait_state(MODEM_LOST, 1000));
	fake_open_pty();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	assert_int_equal(count_cmd("AT+CPIN=*"), 1);
	modem_get_status(m, &st);
	assert_int_equal(st.reopens, 1);

	/* a changed PIN gets exactly one new attempt */
	cfg.pin = "4321";
	assert_int_equal(modem_set_config(m, &cfg, now), 0);
	pump();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	assert_int_equal(count_cmd("AT+CPIN=\"4321\""), 1);
	assert_int_equal(count_cmd("AT+CPIN=*"), 2);
}

static void test_puk_is_sim_error(void **state)
{
	struct modem_status st;

	(void)state;
	cfg.pin = "1234";
	fake_add("AT+CPIN?", "\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n", 0);
	start();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	assert_int_equal(count_cmd("AT+CPIN=*"), 0);
	modem_get_status(m, &st);
	assert_string_equal(st.sim_state, "SIM PUK");
	assert_non_null(strstr(st.last_error, "PUK"));
	/* SIM_ERROR waits for the health interval, nothing sooner */
	assert_int_equal(modem_deadline(m), now + HEALTH_S * 1000);
}

static void test_pin_few_attempts_left_refused(void **state)
{
	(void)state;
	cfg.pin = "1234";
	fake_add("AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n", 0);
	fake_add("AT+CPINR=*", "\r\n+CPINR: SIM PIN,2,3\r\n\r\nOK\r\n", 0);
	start();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	assert_int_equal(count_cmd("AT+CPIN=*"), 0);
}

static void test_no_sim(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CPIN?", "\r\n+CME ERROR: 10\r\n", 0);
	start();
	assert_true(wait_state(MODEM_SIM_ERROR, 60000));
	modem_get_status(m, &st);
	assert_non_null(strstr(st.last_error, "not inserted"));
}

/* ------------------------------------------------------------------ */
/* Settings fallbacks                                                   */

static void test_cnmi_fallback(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CNMI=2,1,0,2,0", "\r\n+CMS ERROR: 303\r\n", 0);
	fake_add("AT+CNMI=2,1,0,1,0", "\r\nERROR\r\n", 0);
	fake_add("AT+CNMI=1,1,0,2,0", "\r\nOK\r\n", 0);
	start_ready();
	modem_get_status(m, &st);
	assert_int_equal(st.cnmi[0], 1);
	assert_int_equal(st.cnmi[1], 1);
	assert_int_equal(st.cnmi[3], 2);
	assert_int_equal(count_cmd("AT+CNMI=2,2*"), 0);	/* never mt=2 */
	assert_int_equal(count_cmd("AT+CNMI=?"), 1);
}

static void test_cnmi_ranges_skip_impossible(void **state)
{
	struct modem_status st;

	(void)state;
	/* ds only 0 or 1: 2,1,0,2,0 is not even tried */
	fake_add("AT+CNMI=?", "\r\n+CNMI: (0-2),(0-3),(0,2),(0,1),(0,1)\r\n\r\nOK\r\n", 0);
	fake_add("AT+CNMI=2,1,0,1,0", "\r\nOK\r\n", 0);
	start_ready();
	assert_int_equal(count_cmd("AT+CNMI=2,1,0,2,0"), 0);
	modem_get_status(m, &st);
	assert_int_equal(st.cnmi[3], 1);
}

static void test_cpms_fallback_to_me(void **state)
{
	struct modem_status st;

	(void)state;
	fake_add("AT+CPMS=\"SM\",\"SM\",\"SM\"", "\r\n+CMS ERROR: 302\r\n", 0);
	fake_add("AT+CPMS=\"ME\",\"ME\",\"ME\"", "\r\n+CPMS: 0,23,0,23,0,23\r\n\r\nOK\r\n", 0);
	start_ready();
	modem_get_status(m, &st);
	assert_string_equal(st.storage, "ME");
	assert_int_equal(st.sms_total, 23);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                            */

static char cmgl_reply[4096];

static void test_sweep_one_batch_no_delete(void **state)
{
	(void)state;
	snprintf(cmgl_reply, sizeof(cmgl_reply),
		 "\r\n+CMGL: 1,0,,24\r\n%s\r\n+CMGL: 4,1,,30\r\n%s\r\n"
		 "+CMGL: 7,0,,23\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000001", "JF"),
		 deliver_hex("+8613800000002", "积分"), wap_push_hex);
	fake_add("AT+CMGL=4", cmgl_reply, 1);
	start_ready();
	assert_int_equal(r.batches, 1);
	assert_int_equal(r.batch_sizes[0], 3);
	assert_int_equal(r.msgs[0].index, 1);
	assert_int_equal(r.msgs[0].kind, MODEM_SMS_TEXT);
	assert_string_equal(r.msgs[0].text, "JF");
	assert_string_equal(r.msgs[0].addr, "+8613800000001");
	assert_int_equal(r.msgs[1].index, 4);
	assert_int_equal(r.msgs[1].stat, 1);
	assert_string_equal(r.msgs[1].text, "积分");
	assert_int_equal(r.msgs[2].index, 7);
	assert_int_equal(r.msgs[2].kind, MODEM_SMS_NON_TEXT);
	/* nothing deleted, not even the WAP push, until asked */
	advance(1000);
	assert_int_equal(count_cmd("AT+CMGD=*"), 0);
	assert_int_equal(modem_delete(m, 7), 0);
	assert_int_equal(modem_delete(m, 1), 0);
	pump();
	assert_int_equal(count_cmd("AT+CMGD=7"), 1);
	assert_int_equal(count_cmd("AT+CMGD=1"), 1);
	assert_int_equal(count_cmd("AT+CMGD=*"), 2);
	/* personal data stays out of the log */
	assert_null(strstr(r.logtext, "8613800000001"));
}

/*
 * A full SIM lists hundreds of messages: they are handed up 16 at a time
 * (bounded memory), each exactly once, in listing order, and deleted
 * only when the gateway asks (here: from the callback, after its
 * commit, as the daemon does).
 */
/* An AT+CMGL=4 answer listing @n texts at indexes 1..@n with <stat>
 * @stat (a static buffer, the last one built). */
static const char *cmgl_listing(size_t n, int stat)
{
	static char big[16384];
	size_t len = 0, i;

	len += snprintf(big + len, sizeof(big) - len, "\r\n");
	for (i = 0; i < n; i++)
		len += snprintf(big + len, sizeof(big) - len,
				"+CMGL: %zu,%d,,24\r\n%s\r\n", i + 1, stat,
				deliver_hex("+8613800000001", "JF"));
	snprintf(big + len, sizeof(big) - len, "\r\nOK\r\n");
	assert_true(len < sizeof(big) - 16);
	return big;
}

static void test_sweep_full_sim_in_bounded_batches(void **state)
{
	size_t i;
	char cmd[32];

	(void)state;
	r.delete_in_cb = true;
	fake_add("AT+CMGL=4", cmgl_listing(40, 0), 1);
	start_ready();
	pump();
	assert_int_equal(r.batches, 3);
	assert_int_equal(r.batch_sizes[0], 16);
	assert_int_equal(r.batch_sizes[1], 16);
	assert_int_equal(r.batch_sizes[2], 8);
	assert_int_equal(r.n_msgs, 40);
	for (i = 0; i < 40; i++) {
		assert_int_equal(r.msgs[i].index, (int)i + 1);
		snprintf(cmd, sizeof(cmd), "AT+CMGD=%zu", i + 1);
		assert_int_equal(count_cmd(cmd), 1);
	}
}

static void test_undecodable_passed_up_not_deleted(void **state)
{
	(void)state;
	fake_add("AT+CMGL=4", "\r\n+CMGL: 3,0,,12\r\n0791FFFFZZ00\r\n\r\nOK\r\n", 1);
	start_ready();
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(r.msgs[0].index, 3);
	assert_int_equal(r.msgs[0].kind, MODEM_SMS_UNDECODABLE);
	advance(2 * HEALTH_S * 1000 + 1);
	assert_int_equal(count_cmd("AT+CMGD=*"), 0);
}

static char cmgr_reply[1024];

static void test_cmti_reads_index(void **state)
{
	(void)state;
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000003", "JF 1001"));
	fake_add("AT+CMGR=3", cmgr_reply, 0);
	r.delete_in_cb = true;
	start_ready();
	/* the listing that confirms index 3 holds what AT+CMGR gave */
	snprintf(cmgl_reply, sizeof(cmgl_reply),
		 "\r\n+CMGL: 3,1,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000003", "JF 1001"));
	fake_add("AT+CMGL=4", cmgl_reply, 0);
	fake_write("\r\n+CMTI: \"SM\",3\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CMGR=3"), 1);
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(r.msgs[0].index, 3);
	assert_string_equal(r.msgs[0].text, "JF 1001");
	assert_int_equal(count_cmd("AT+CMGD=3"), 1);
	assert_true(cmd_index("AT+CMGL=4", 1) < cmd_index("AT+CMGD=3", 0));
	assert_int_equal(r.n_msgs, 1);		/* not handed up twice */
}

/*
 * A modem that answers AT+CMGR=3 with another message's PDU (issue 8):
 * index 3 is not deleted; the listing shows what it really holds, which
 * is handed up, and deleted once the owner committed it.
 */
static void test_cmgr_other_pdu_not_deleted(void **state)
{
	(void)state;
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000007", "JF 7"));
	fake_add("AT+CMGR=3", cmgr_reply, 0);
	r.delete_in_cb = true;
	start_ready();
	snprintf(cmgl_reply, sizeof(cmgl_reply),
		 "\r\n+CMGL: 3,0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000003", "JF 3"));
	fake_add("AT+CMGL=4", cmgl_reply, 1);
	fake_write("\r\n+CMTI: \"SM\",3\r\n");
	pump();
	assert_int_equal(r.n_msgs, 2);
	assert_string_equal(r.msgs[0].text, "JF 7");	/* what CMGR said */
	assert_int_equal(r.msgs[1].index, 3);
	assert_string_equal(r.msgs[1].text, "JF 3");	/* what is there */
	assert_non_null(strstr(r.logtext, "another message"));
	/* deleted only after the second hand-up, from the listing */
	assert_int_equal(count_cmd("AT+CMGD=3"), 1);
	assert_true(cmd_index("AT+CMGL=4", 1) < cmd_index("AT+CMGD=3", 0));
}

/*
 * A failed AT+CMGD (issue 8): the storage is listed again after 1 s,
 * 2 s, ... and the index deleted from there while it holds the same PDU,
 * not left until the health check after next.
 */
static void test_cmgd_failure_retried(void **state)
{
	(void)state;
	snprintf(cmgl_reply, sizeof(cmgl_reply),
		 "\r\n+CMGL: 1,0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000001", "JF"));
	fake_add("AT+CMGD=1", "\r\n+CMS ERROR: 500\r\n", 2);
	fake_add("AT+CMGL=4", cmgl_reply, 3);
	r.delete_in_cb = true;
	start_ready();
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(count_cmd("AT+CMGD=1"), 1);	/* failed */
	advance(900);
	assert_int_equal(count_cmd("AT+CMGD=1"), 1);
	advance(200);					/* 1 s: listed, again */
	assert_int_equal(count_cmd("AT+CMGD=1"), 2);	/* failed */
	advance(1500);
	assert_int_equal(count_cmd("AT+CMGD=1"), 2);
	advance(600);					/* 2 s later */
	assert_int_equal(count_cmd("AT+CMGD=1"), 3);	/* OK */
	assert_int_equal(r.n_msgs, 1);			/* never re-handed */
	advance(60000);
	assert_int_equal(count_cmd("AT+CMGD=1"), 3);
	assert_int_equal(count_cmd("AT+CMGL=4"), 3);
}

static void test_cmti_duplicate_not_reread(void **state)
{
	(void)state;
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000003", "JF"));
	fake_add("AT+CMGR=5", cmgr_reply, 0);
	start_ready();
	fake_write("\r\n+CMTI: \"SM\",5\r\n\r\n+CMTI: \"SM\",5\r\n");
	pump();
	fake_write("\r\n+CMTI: \"SM\",5\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CMGR=5"), 1);
	assert_int_equal(r.n_msgs, 1);
	/* once deleted, the index may be reused by a new message */
	assert_int_equal(modem_delete(m, 5), 0);
	pump();
	fake_write("\r\n+CMTI: \"SM\",5\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CMGR=5"), 2);
	assert_int_equal(r.n_msgs, 2);
}

static char csq_reply[512];

static void test_cmti_inside_other_response(void **state)
{
	struct modem_status st;

	(void)state;
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000004", "HI"));
	fake_add("AT+CMGR=9", cmgr_reply, 0);
	snprintf(csq_reply, sizeof(csq_reply),
		 "\r\n+CSQ: 17,99\r\n\r\n+CMTI: \"SM\",9\r\n\r\nOK\r\n");
	fake_add("AT+CSQ", csq_reply, 0);
	start_ready();
	advance(HEALTH_S * 1000);
	modem_get_status(m, &st);
	assert_int_equal(st.signal_csq, 17);
	assert_int_equal(st.rssi_dbm, -113 + 34);
	assert_int_equal(count_cmd("AT+CMGR=9"), 1);
	assert_int_equal(r.n_msgs, 1);
	assert_string_equal(r.msgs[0].text, "HI");
}

static void test_sweep_skips_held_index(void **state)
{
	(void)state;
	snprintf(cmgl_reply, sizeof(cmgl_reply),
		 "\r\n+CMGL: 2,0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000001", "A"));
	fake_add("AT+CMGL=4", cmgl_reply, 0);
	start_ready();
	assert_int_equal(r.n_msgs, 1);
	/* first health check: still held (handed < 1 interval ago) */
	advance(HEALTH_S * 1000);
	assert_int_equal(count_cmd("AT+CMGL=4"), 2);
	assert_int_equal(r.n_msgs, 1);
	/* second: outstanding a whole interval, handed up again */
	advance(HEALTH_S * 1000);
	assert_int_equal(count_cmd("AT+CMGL=4"), 3);
	assert_int_equal(r.n_msgs, 2);
	assert_int_equal(r.msgs[1].index, 2);
}

static void test_status_report_stored(void **state)
{
	struct pdu_part part;

	(void)state;
	assert_int_equal(pdu_encode_status_report("+8613800000001", 42, 0,
						  1795000000, 1795000060, 32,
						  NULL, &part, NULL), 0);
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,%zu\r\n%s\r\n\r\nOK\r\n", part.tpdu_len,
		 part.hex);
	fake_add("AT+CMGR=4", cmgr_reply, 0);
	start_ready();
	fake_write("\r\n+CDSI: \"SM\",4\r\n");
	pump();
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(r.msgs[0].kind, MODEM_SMS_STATUS_REPORT);
	assert_int_equal(r.msgs[0].message_ref, 42);
	assert_int_equal(r.msgs[0].index, 4);
}

static char cmt_urc[512];

static void test_cmt_direct_acked(void **state)
{
	(void)state;
	fake_add("AT+CSMS?", "\r\n+CSMS: 1,1,1,1\r\n\r\nOK\r\n", 0);
	start_ready();
	snprintf(cmt_urc, sizeof(cmt_urc), "\r\n+CMT: ,24\r\n%s\r\n",
		 deliver_hex("+8613800000005", "DIRECT"));
	fake_write(cmt_urc);
	pump();
	assert_int_equal(r.n_msgs, 1);
	assert_int_equal(r.msgs[0].index, -1);
	assert_string_equal(r.msgs[0].text, "DIRECT");
	assert_int_equal(count_cmd("AT+CNMA"), 1);
	assert_int_equal(modem_delete(m, -1), 0);
	pump();
	assert_int_equal(count_cmd("AT+CMGD=*"), 0);
}

/* ------------------------------------------------------------------ */
/* Sending                                                              */

static const char submit_hex[] = "0011000D91683108000000F10000FF02C834";

static void test_send_ok_with_prompt(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL), 0);
	pump();
	assert_int_equal(count_cmd("AT+CMGS=17"), 1);
	assert_true(find_cmd("0011000D91683108000000F10000FF02C834^Z", 0) >
		    find_cmd("AT+CMGS=17", 0));
	assert_int_equal(r.send_calls, 1);
	assert_int_equal(r.send_err, 0);
	assert_int_equal(r.send_mr, 7);
}

static void test_send_cms_error(void **state)
{
	(void)state;
	fake_add("*^Z", "\r\n+CMS ERROR: 38\r\n", 1);
	start_ready();
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL), 0);
	pump();
	assert_int_equal(r.send_calls, 1);
	assert_int_equal(r.send_err, -EIO);
	assert_int_equal(r.send_mr, -1);
	assert_int_equal(r.send_type, AT_ERR_CMS);
	assert_int_equal(r.send_code, 38);
	/* no retry by the engine */
	advance(10000);
	assert_int_equal(count_cmd("AT+CMGS=*"), 1);
}

static void test_send_urc_between_cmgs_and_prompt(void **state)
{
	(void)state;
	snprintf(cmgr_reply, sizeof(cmgr_reply),
		 "\r\n+CMGR: 0,,24\r\n%s\r\n\r\nOK\r\n",
		 deliver_hex("+8613800000006", "MID"));
	fake_add("AT+CMGR=2", cmgr_reply, 0);
	fake_add("AT+CMGS=*", "\r\n+CMTI: \"SM\",2\r\n> ", 1);
	start_ready();
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL), 0);
	pump();
	assert_int_equal(r.send_calls, 1);
	assert_int_equal(r.send_err, 0);
	assert_int_equal(r.send_mr, 7);
	assert_int_equal(count_cmd("AT+CMGR=2"), 1);
	assert_true(find_cmd("AT+CMGR=2", 0) > find_cmd("*^Z", 0));
	assert_string_equal(r.msgs[0].text, "MID");
}

static void test_send_only_when_ready(void **state)
{
	(void)state;
	m = modem_new(&cfg);
	assert_non_null(m);
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL),
			 -EAGAIN);
	assert_int_equal(modem_start(m, now), 0);
	assert_int_equal(modem_start(m, now), -EALREADY);
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL),
			 -EAGAIN);
	assert_true(wait_state(MODEM_READY, 60000));
	assert_int_equal(modem_send_pdu(m, "00GG", 1, cb_send, NULL),
			 -EINVAL);
	assert_int_equal(modem_send_pdu(m, submit_hex, 0, cb_send, NULL),
			 -EINVAL);
	assert_int_equal(r.send_calls, 0);
}

/* ------------------------------------------------------------------ */
/* Loss and recovery                                                    */

static void test_timeouts_reopen(void **state)
{
	struct modem_status st;

	(void)state;
	start_ready();
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL), 0);
	f.mute = true;
	pump();
	assert_true(wait_state(MODEM_LOST, 200000));
	/* the send completed exactly once, with the timeout */
	assert_int_equal(r.send_calls, 1);
	assert_int_equal(r.send_err, -ETIMEDOUT);
	assert_int_equal(count_cmd("<ESC>"), 1);	/* left text entry */
	f.mute = false;
	clear_log();
	assert_true(wait_state(MODEM_READY, 10000));
	modem_get_status(m, &st);
	assert_int_equal(st.reopens, 1);
	assert_int_equal(count_cmd("ATE0"), 1);
	assert_int_equal(count_cmd("AT+CNMI=2,1,0,2,0"), 1);
	assert_int_equal(count_cmd("AT+CMGL=4"), 1);
	assert_int_equal(r.send_calls, 1);
}

static void test_hangup_reopen_new_path(void **state)
{
	struct modem_status st;
	int old_master, old_slave;
	char old[64];

	(void)state;
	start_ready();
	snprintf(old, sizeof(old), "%s", ptsname(f.master));
	fake_add("AT+CMGS=*", NULL, 1);	/* the send hangs ... */
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL), 0);
	pump();
	/* ... the USB goes; the modem will come back under another name */
	old_master = f.master;
	old_slave = f.slave;
	fake_open_pty();
	assert_string_not_equal(old, ptsname(f.master));
	close(old_master);
	close(old_slave);
	pump();
	assert_int_equal(modem_status_state(), MODEM_LOST);
	assert_int_equal(r.send_calls, 1);
	assert_int_equal(r.send_err, -ENOTCONN);
	assert_int_equal(modem_fd(m), -1);
	assert_int_equal(modem_delete(m, 3), -ENOTCONN);
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL),
			 -EAGAIN);
	clear_log();
	assert_int_equal(modem_deadline(m), now + 1000);
	assert_true(wait_state(MODEM_READY, 2000));
	modem_get_status(m, &st);
	assert_int_equal(st.reopens, 1);
	assert_int_equal(count_cmd("AT"), 1);
	assert_int_equal(count_cmd("AT+CMGL=4"), 1);
	assert_int_equal(r.send_calls, 1);
}

static void test_reopen_backoff(void **state)
{
	int64_t t, expect = 1000;
	int i;

	(void)state;
	start_ready();
	fake_close_pty();
	unlink(f.link);
	pump();
	assert_int_equal(modem_status_state(), MODEM_LOST);
	for (i = 0; i < 8; i++) {
		t = modem_deadline(m);
		assert_int_equal(t - now, expect);
		advance(t - now);
		assert_int_equal(modem_status_state(), MODEM_LOST);
		expect = expect * 2 > 60000 ? 60000 : expect * 2;
	}
	assert_int_equal(modem_deadline(m) - now, 60000);
	fake_open_pty();
	assert_true(wait_state(MODEM_READY, 61000));
}

static void test_reboot_noise_reinitialises(void **state)
{
	(void)state;
	start_ready();
	clear_log();
	/* a ^RSSI is only recorded */
	fake_write("\r\n^RSSI:12\r\n");
	pump();
	assert_int_equal(f.n_log, 0);
	/* the modem rebooted: settings gone */
	fake_add("AT+CNMI?", "\r\n+CNMI: 0,0,0,0,0\r\n\r\nOK\r\n", 1);
	fake_write("\r\nRDY\r\n\r\n+CPIN: READY\r\n\r\nSMS Ready\r\n");
	pump();
	assert_true(wait_state(MODEM_READY, 60000));
	assert_int_equal(count_cmd("AT+CNMI?"), 1);
	assert_int_equal(count_cmd("ATE0"), 1);
	assert_int_equal(count_cmd("AT+CMGF=0"), 1);
	assert_int_equal(count_cmd("AT+CNMI=2,1,0,2,0"), 1);
	assert_int_equal(count_cmd("AT+CMGL=4"), 1);
	/* same noise with settings intact: checked, nothing re-run */
	clear_log();
	advance(61000);
	fake_write("\r\nSMS Ready\r\n");
	pump();
	assert_int_equal(count_cmd("AT+CNMI?"), 1);
	assert_int_equal(count_cmd("ATE0"), 0);
}

/* ------------------------------------------------------------------ */
/* Health check and idle                                                */

static void test_health_check_no_hidden_polling(void **state)
{
	static const char *const expect[] = {
		"AT+CSQ", "AT+CREG?", "AT+CNMI?", "AT+CMGL=4",
	};
	int64_t ready_at;
	size_t i;

	(void)state;
	start_ready();
	ready_at = now;
	clear_log();
	/* idle: the only deadline is the health check */
	assert_int_equal(modem_deadline(m), ready_at + HEALTH_S * 1000);
	advance(HEALTH_S * 1000 - 1);
	assert_int_equal(f.n_log, 0);
	advance(1);
	assert_int_equal(f.n_log, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(f.log[i], expect[i]);
	assert_int_equal(modem_deadline(m), now + HEALTH_S * 1000);

	/* a live change of the interval re-arms the one-shot timer */
	cfg.health_interval_s = 600;
	assert_int_equal(modem_set_config(m, &cfg, now), 0);
	assert_int_equal(modem_deadline(m), now + 600000);
}

/*
 * The health check's AT+CMGL=4 listing counts the store (50 slots from
 * the bring-up's AT+CPMS): 45 messages held is nearly full.
 */
static void test_storage_low_warning(void **state)
{
	struct modem_status st;

	(void)state;
	start_ready();
	assert_int_equal(r.storage_low, 0);
	fake_add("AT+CMGL=4", cmgl_listing(45, 1), 0);
	advance(HEALTH_S * 1000);
	assert_int_equal(r.storage_low, 1);
	assert_int_equal(r.low_used, 45);
	assert_int_equal(r.low_total, 50);
	modem_get_status(m, &st);
	assert_int_equal(st.sms_used, 45);
}

static void test_creg_urc_changes_state(void **state)
{
	(void)state;
	start_ready();
	fake_write("\r\n+CREG: 2\r\n");
	pump();
	assert_int_equal(modem_status_state(), MODEM_REGISTERING);
	assert_int_equal(modem_send_pdu(m, submit_hex, 17, cb_send, NULL),
			 -EAGAIN);
	fake_write("\r\n+CREG: 1\r\n");
	pump();
	assert_int_equal(modem_status_state(), MODEM_READY);
}

/* ------------------------------------------------------------------ */
/* USSD                                                                 */

static void test_ussd_ucs2_reply(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), -EBUSY);
	pump();
	assert_int_equal(count_cmd("AT+CUSD=1,\"*100#\",15"), 1);
	assert_int_equal(r.ussd_calls, 0);
	/* "余额5元" in UCS-2 */
	fake_write("\r\n+CUSD: 0,\"4F59989D003551430\",72\r\n");
	pump();
	/* malformed hex (odd length) is passed as is */
	assert_int_equal(r.ussd_calls, 1);
	assert_int_equal(r.ussd_err, 0);
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
	pump();
	fake_write("\r\n+CUSD: 0,\"4F59989D00355143\",72\r\n");
	pump();
	assert_int_equal(r.ussd_calls, 2);
	assert_string_equal(r.ussd_text, "余额5元");
	assert_int_equal(modem_ussd(m, "*100#;", cb_ussd, NULL), -EINVAL);
}

/* The +CUSD: line may come inside the response, before the OK. */
static void test_ussd_reply_before_ok(void **state)
{
	(void)state;
	fake_add("AT+CUSD=1,*",
		 "\r\n+CUSD: 0,\"Balance 12.50 yuan\",15\r\n\r\nOK\r\n", 0);
	start_ready();
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
	pump();
	assert_int_equal(r.ussd_calls, 1);
	assert_int_equal(r.ussd_err, 0);
	assert_string_equal(r.ussd_text, "Balance 12.50 yuan");
	assert_int_equal(count_cmd("AT+CUSD=2"), 0);	/* m=0: closed */
	/* the next request is accepted at once */
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
}

/* A menu (m=1) is delivered and the session released with AT+CUSD=2. */
static void test_ussd_menu_released(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
	pump();
	fake_write("\r\n+CUSD: 1,\"1 Balance 2 Data\",15\r\n");
	pump();
	assert_int_equal(r.ussd_calls, 1);
	assert_string_equal(r.ussd_text, "1 Balance 2 Data");
	assert_int_equal(count_cmd("AT+CUSD=2"), 1);
}

/* Huawei sticks want and give packed GSM 7-bit hex (DCS 15). */
static void test_ussd_packed_gsm7(void **state)
{
	(void)state;
	fake_add("AT+CGMI", "\r\nhuawei\r\n\r\nOK\r\n", 0);
	fake_add("AT^CURC=0", "\r\nOK\r\n", 0);
	start_ready();
	assert_int_equal(modem_ussd(m, "*100#", cb_ussd, NULL), 0);
	pump();
	assert_int_equal(count_cmd("AT+CUSD=1,\"AA180C3602\",15"), 1);
	fake_write("\r\n+CUSD: 0,\"C2303BEC1E97413199AB0603E5EB6137\",15"
		   "\r\n");
	pump();
	assert_int_equal(r.ussd_calls, 1);
	assert_int_equal(r.ussd_err, 0);
	assert_string_equal(r.ussd_text, "Balance 12.50 yuan");
}

/* +CUSD: 4 (operation not supported) fails the request. */
static void test_ussd_not_supported(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(modem_ussd(m, "*999#", cb_ussd, NULL), 0);
	pump();
	fake_write("\r\n+CUSD: 4\r\n");
	pump();
	assert_int_equal(r.ussd_calls, 1);
	assert_int_equal(r.ussd_err, -EOPNOTSUPP);
}

static void test_ussd_timeout(void **state)
{
	(void)state;
	start_ready();
	assert_int_equal(modem_ussd(m, "*101#", cb_ussd, NULL), 0);
	pump();
	advance(29000);
	assert_int_equal(r.ussd_calls, 0);
	advance(1000);
	assert_int_equal(r.ussd_calls, 1);
	assert_int_equal(r.ussd_err, -ETIMEDOUT);
	assert_int_equal(count_cmd("AT+CUSD=2"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_bringup_transcript),
		T(test_bringup_cancel_entry_escapes_first),
		T(test_cnum_answers),
		T(test_network_time),
		T(test_no_network_time_without_ctzu),
		T(test_cnum_ok_only_no_number),
		T(test_cnum_error_not_fatal),
		T(test_cnum_sim_busy_retried_a_few_times),
		T(test_cnum_sim_busy_gives_up),
		T(test_cnum_ucs2_when_charset_refused),
		T(test_cnum_kept_for_same_sim_only),
		T(test_bringup_smsc_and_huawei_quirk),
		T(test_ussd_reply_before_ok),
		T(test_ussd_menu_released),
		T(test_ussd_packed_gsm7),
		T(test_ussd_not_supported),
		T(test_bringup_modem_booting_with_echo),
		T(test_bringup_silent_modem_is_lost),
		T(test_registration_wait),
		T(test_pin_ready_not_entered),
		T(test_pin_needed_entered_once),
		T(test_wrong_pin_never_retried),
		T(test_puk_is_sim_error),
		T(test_pin_few_attempts_left_refused),
		T(test_no_sim),
		T(test_cnmi_fallback),
		T(test_cnmi_ranges_skip_impossible),
		T(test_cpms_fallback_to_me),
		T(test_sweep_one_batch_no_delete),
		T(test_sweep_full_sim_in_bounded_batches),
		T(test_undecodable_passed_up_not_deleted),
		T(test_cmti_reads_index),
		T(test_cmgr_other_pdu_not_deleted),
		T(test_cmgd_failure_retried),
		T(test_cmti_duplicate_not_reread),
		T(test_cmti_inside_other_response),
		T(test_sweep_skips_held_index),
		T(test_status_report_stored),
		T(test_cmt_direct_acked),
		T(test_send_ok_with_prompt),
		T(test_send_cms_error),
		T(test_send_urc_between_cmgs_and_prompt),
		T(test_send_only_when_ready),
		T(test_timeouts_reopen),
		T(test_hangup_reopen_new_path),
		T(test_reopen_backoff),
		T(test_reboot_noise_reinitialises),
		T(test_health_check_no_hidden_polling),
		T(test_storage_low_warning),
		T(test_creg_urc_changes_state),
		T(test_ussd_ucs2_reply),
		T(test_ussd_timeout),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
