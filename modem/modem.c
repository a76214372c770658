// SPDX-License-Identifier: MIT
/*
 * modem.c - the modem engine's life cycle: new/free/start/config, open,
 * loss and reopen with backoff, dispatch and deadlines, the health
 * check, registration and vendor-noise URCs, and the helpers the other
 * files share (modem_priv.h).  See modem.h for the contract and
 * docs/MODEM.md for the sequence, the fallbacks and the vendor quirks.
 *
 * The other files: modem_init.c (the bring-up table), modem_sms.c
 * (sweep, reads, delete, send), modem_ussd.c (USSD).
 */
#include "modem/modem.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modem/modem_priv.h"
#include "modem/port.h"

/* ------------------------------------------------------------------ */
/* Shared helpers                                                       */

void modem_log(struct modem *m, int level, const char *fmt, ...)
{
	va_list ap;

	if (!m->cfg.log)
		return;
	va_start(ap, fmt);
	m->cfg.log(level, fmt, ap, m->cfg.data);
	va_end(ap);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

unsigned modem_health_ms(const struct modem *m)
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

void modem_set_error(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->st.last_error, sizeof(m->st.last_error), fmt, ap);
	va_end(ap);
}

const char *modem_find_line(const struct at_result *res, const char *prefix)
{
	size_t i;

	for (i = 0; i < res->n_lines; i++)
		if (modem_starts_with(res->lines[i], prefix))
			return res->lines[i];
	return NULL;
}

bool modem_is_hex(const char *s, size_t *len)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	*len = n;
	return n > 0;
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

void modem_set_state(struct modem *m, enum modem_state s)
{
	enum modem_state old = m->st.state;

	if (old == s)
		return;
	m->st.state = s;
	modem_log(m, MODEM_LOG_INFO, "modem: %s -> %s", modem_state_name(old),
		  modem_state_name(s));
	if (m->cfg.state_changed && !m->freeing)
		m->cfg.state_changed(m, old, s, m->cfg.data);
}

void modem_request_lost(struct modem *m, const char *fmt, ...)
{
	va_list ap;

	if (m->lost.pending || !m->port)
		return;
	m->lost.pending = true;
	va_start(ap, fmt);
	vsnprintf(m->lost.reason, sizeof(m->lost.reason), fmt, ap);
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

void modem_cmd_result(const struct at_result *res, void *data)
{
	struct modem_cmd *c = data;

	c->done(c->m, res, c);
}

int modem_cmd(struct modem *m, modem_cmd_fn done, int arg, const char *text,
	      const char *const *prefixes, unsigned timeout_ms)
{
	struct modem_cmd *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->m = m;
	c->gen = m->gen;
	c->arg = arg;
	c->done = done;
	if (!at_chat_send(m->chat, text, prefixes, timeout_ms,
			  modem_cmd_result, c, free)) {
		free(c);
		modem_log(m, MODEM_LOG_ERR,
			  "modem: cannot queue %.16s: no memory", text);
		return -ENOMEM;
	}
	return 0;
}

bool modem_cmd_cancelled(struct modem *m, const struct at_result *res)
{
	if (res->err.type == AT_ERR_CANCELLED)
		return true;
	if (res->err.type == AT_ERR_TIMEOUT)
		modem_check_timeouts(m);
	return false;
}

void modem_check_timeouts(struct modem *m)
{
	unsigned limit = max_timeouts(m);
	unsigned n;

	if (!m->port)
		return;
	if (m->st.state == MODEM_INITIALISING && m->init.step == ST_PROBE &&
	    limit < PROBE_MAX_TIMEOUTS)
		limit = PROBE_MAX_TIMEOUTS;
	n = at_chat_timeouts(m->chat);
	if (n >= limit)
		modem_request_lost(m, "%u consecutive AT timeouts", n);
}

/* Write what the chat has to say, as far as the port takes it. */
static void flush(struct modem *m)
{
	const char *buf;
	size_t len;
	ssize_t n;

	while (m->port && !m->lost.pending &&
	       (len = at_chat_output(m->chat, &buf)) > 0) {
		n = port_write(m->port, buf, len);
		if (n == 0)
			break;
		if (n < 0) {
			modem_request_lost(m, "write to %s: %s",
					   port_name(m->port),
					   strerror((int)-n));
			break;
		}
		at_chat_consumed(m->chat, (size_t)n, m->now);
	}
}

/* ------------------------------------------------------------------ */
/* Registration, signal, storage, vendor noise                          */

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

void modem_storage_used(struct modem *m, int used)
{
	int total = m->st.sms_total;

	m->st.sms_used = used;
	if (total <= 0 || used < 0)
		return;
	if (used * 100 < total * STORAGE_WARN_PCT)
		return;
	modem_log(m, MODEM_LOG_WARNING, "modem: SMS storage %d of %d used",
		  used, total);
	if (m->cfg.storage_low)
		m->cfg.storage_low(m, used, total, m->cfg.data);
}

/* Registration changed to @stat (+CREG) while configured. */
static void modem_reg_update(struct modem *m, int stat)
{
	bool reg = stat == 1 || stat == 5;

	m->st.reg_stat = stat;
	m->registered = reg;
	if (!m->configured)
		return;
	if (reg && m->st.state == MODEM_REGISTERING) {
		m->reg_poll_at = -1;
		modem_set_state(m, MODEM_READY);
	} else if (!reg && m->st.state == MODEM_READY) {
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: not registered (stat %d)", stat);
		modem_set_state(m, MODEM_REGISTERING);
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	} else if (!reg && m->st.state == MODEM_REGISTERING &&
		   m->reg_poll_at < 0) {
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	}
}

bool modem_parse_creg(const char *line, int *stat)
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
	modem_reg_update(m, stat);
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

/* AT+CNMI?: indications as configured, else the modem rebooted. */
static void cnmi_check_done(struct modem *m, const struct at_result *res,
			    const struct modem_cmd *c)
{
	const char *line;
	struct at_iter it;
	int k, val;
	bool same = true;

	if (modem_cmd_cancelled(m, res))
		return;
	line = modem_find_line(res, "+CNMI:");
	if (!line || !at_iter_begin(&it, line, "+CNMI:"))
		same = false;
	for (k = 0; same && k < 5; k++)
		if (!at_iter_next_number(&it, &val) || val != m->st.cnmi[k])
			same = false;
	if (!same && c->gen == m->gen && m->configured) {
		modem_log(m, MODEM_LOG_NOTICE,
			  "modem: settings lost (modem rebooted?): re-initialising");
		modem_init_begin(m);
	}
}

static void cnmi_check(struct modem *m)
{
	static const char *const pfx[] = { "+CNMI:", NULL };

	m->last_reboot_check = m->now;
	modem_cmd(m, cnmi_check_done, 0, "AT+CNMI?", pfx, T_CMD);
}

/* ^BOOT, SMS Ready, +QIND: SMS DONE...: did the modem reboot? */
static void on_reboot_noise(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;

	(void)pdu;
	if (modem_starts_with(line, "+QIND:") && !strstr(line, "SMS DONE") &&
	    !strstr(line, "PB DONE"))
		return;
	if (!m->configured || !m->port)
		return;
	if (m->last_reboot_check >= 0 &&
	    m->now - m->last_reboot_check < REBOOT_CHECK_MS)
		return;
	modem_log(m, MODEM_LOG_INFO,
		  "modem: \"%.20s\": checking the settings", line);
	cnmi_check(m);
}

static int register_urcs(struct modem *m)
{
	static const struct {
		const char *prefix;
		at_urc_fn fn;
	} urcs[] = {
		{ "+CREG:", on_creg },
		{ "^RSSI:", on_rssi },
		{ "^BOOT:", on_reboot_noise },
		{ "SMS Ready", on_reboot_noise },
		{ "Call Ready", on_reboot_noise },
		{ "+QIND:", on_reboot_noise },
		{ "RDY", on_reboot_noise },
		{ "RING", on_noise },
		{ "^MODE:", on_noise },
		{ "^SRVST:", on_noise },
		{ "^SIMST:", on_noise },
		{ "^DSFLOWRPT:", on_noise },
		{ "+CPIN:", on_noise },
	};
	size_t i;
	int rc;

	rc = modem_sms_register_urcs(m);
	if (rc < 0)
		return rc;
	rc = modem_ussd_register_urcs(m);
	if (rc < 0)
		return rc;
	rc = modem_nitz_register_urcs(m);
	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(urcs); i++) {
		rc = at_chat_register_urc(m->chat, urcs[i].prefix, false,
					  urcs[i].fn, m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Health check                                                         */

static void csq_done(struct modem *m, const struct at_result *res,
		     const struct modem_cmd *c)
{
	const char *line;

	(void)c;
	if (modem_cmd_cancelled(m, res))
		return;
	line = modem_find_line(res, "+CSQ:");
	if (line)
		parse_csq(m, line);
}

static void creg_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	const char *line;
	int v;

	if (modem_cmd_cancelled(m, res))
		return;
	line = modem_find_line(res, "+CREG:");
	if (line && modem_parse_creg(line, &v) && c->gen == m->gen)
		modem_reg_update(m, v);
}

static void creg_poll(struct modem *m)
{
	static const char *const pfx[] = { "+CREG:", NULL };

	modem_cmd(m, creg_done, 0, "AT+CREG?", pfx, T_CMD);
}

/* AT+CPIN? in SIM_ERROR: READY now brings the modem up. */
static void sim_check_done(struct modem *m, const struct at_result *res,
			   const struct modem_cmd *c)
{
	const char *line;

	if (modem_cmd_cancelled(m, res))
		return;
	line = modem_find_line(res, "+CPIN:");
	if (c->gen == m->gen && m->st.state == MODEM_SIM_ERROR && line &&
	    strstr(line, "READY")) {
		modem_log(m, MODEM_LOG_NOTICE,
			  "modem: SIM ready now; bringing the modem up");
		modem_init_begin(m);
	}
}

static void health_check(struct modem *m)
{
	static const char *const p_csq[] = { "+CSQ:", NULL };
	static const char *const p_cpin[] = { "+CPIN:", NULL };

	m->health_at = m->now + modem_health_ms(m);
	if (m->st.state == MODEM_SIM_ERROR) {
		modem_cmd(m, sim_check_done, 0, "AT+CPIN?", p_cpin, T_CMD);
		return;
	}
	if (!m->configured) {
		m->health_at = -1;
		return;
	}
	m->rx.redeliver_before = m->prev_health;
	m->prev_health = m->now;
	modem_cmd(m, csq_done, 0, "AT+CSQ", p_csq, T_CMD);
	creg_poll(m);
	/*
	 * Some modems reboot without a word (no ^BOOT, no RDY) and come
	 * back with new-message indications off: check them here too.
	 */
	cnmi_check(m);
	/* its listing also counts the SIM's messages (no AT+CPMS?) */
	m->rx.count_used = true;
	modem_sms_sweep(m);
}

/* AT+CSCA after a reload: only a refusal is worth a word. */
static void csca_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	(void)c;
	if (modem_cmd_cancelled(m, res))
		return;
	if (res->err.type != AT_ERR_NONE)
		modem_log(m, MODEM_LOG_WARNING, "modem: AT+CSCA refused: %s",
			  at_error_text(&res->err));
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
	modem_log(m, MODEM_LOG_WARNING,
		  "modem: lost: %s; reopening in %u ms", reason,
		  m->backoff_ms);
	modem_copy_str(m->st.last_error, sizeof(m->st.last_error), reason);
	port_close(m->port);
	m->port = NULL;
	m->lost.pending = false;
	m->was_lost = true;
	m->gen++;
	m->configured = false;
	m->registered = false;
	m->rx.sweeping = false;
	m->rx.n_held = 0;
	m->init.step_at = -1;
	m->health_at = -1;
	m->reg_poll_at = -1;
	m->rx.resweep_at = -1;	/* the sweep after the reopen reads all */
	modem_set_state(m, MODEM_LOST);
	at_chat_reset(m->chat);
	modem_ussd_finish(m, -ENOTCONN, NULL);
	arm_reopen(m);
}

static void process_lost(struct modem *m)
{
	char reason[sizeof(m->lost.reason)];

	if (!m->lost.pending)
		return;
	modem_copy_str(reason, sizeof(reason), m->lost.reason);
	go_lost(m, reason);
}

static int try_open(struct modem *m)
{
	struct port *port;
	int rc;

	modem_set_state(m, MODEM_OPENING);
	rc = port_open(m->device, m->cfg.baud ? m->cfg.baud : DEFAULT_BAUD,
		       &port);
	if (rc < 0) {
		modem_set_error(m, "cannot open %s: %s", m->device,
				strerror(-rc));
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: cannot open %s: %s; retrying in %u ms",
			  m->device, strerror(-rc), m->backoff_ms);
		modem_set_state(m, MODEM_LOST);
		arm_reopen(m);
		return rc;
	}
	m->port = port;
	if (m->was_lost)
		m->st.reopens++;
	modem_log(m, MODEM_LOG_NOTICE, "modem: opened %s (%s)",
		  port_name(port), port_backend(port));
	at_chat_reset(m->chat);
	m->rx.n_held = 0;
	m->rx.sweeping = false;
	modem_init_begin(m);
	return 0;
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
	struct modem *m;
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
	if (register_urcs(m) < 0)
		goto fail;
	at_chat_set_trace(m->chat, chat_trace, m);

	m->init.step_at = m->health_at = m->reg_poll_at = -1;
	m->reopen_at = m->ussd.at = m->last_reboot_check = -1;
	m->rx.resweep_at = -1;
	m->rx.redeliver_before = INT64_MIN;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->init.csms_service = -1;
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
	modem_ussd_finish(m, -ECANCELED, NULL);
	port_close(m->port);
	free(m->rx.held);
	free(m->device);
	free(m->pin);
	free(m->smsc);
	free(m);
}

int modem_start(struct modem *m, int64_t now_ms)
{
	int rc;

	if (m->started)
		return -EALREADY;
	m->started = true;
	m->now = now_ms;
	rc = try_open(m);
	flush(m);
	process_lost(m);
	/* another program holds the port (port_open's flock): say so */
	return rc == -EBUSY ? -EBUSY : 0;
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
		m->health_at = now_ms + modem_health_ms(m);
	if (pin_changed && m->pin_blocked) {
		modem_log(m, MODEM_LOG_NOTICE,
			  "modem: modem.pin changed: one new PIN attempt allowed");
		m->pin_blocked = false;
		m->st.pin_blocked = false;
		if (m->st.state == MODEM_SIM_ERROR && m->port)
			modem_init_begin(m);
	}
	if (smsc_changed && m->configured && modem_smsc_valid(m->smsc)) {
		snprintf(text, sizeof(text), "AT+CSCA=\"%s\"", m->smsc);
		modem_cmd(m, csca_done, 0, text, NULL, T_CMD);
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
				modem_request_lost(m, "read from %s: %s",
						   port_name(m->port),
						   strerror((int)-n));
			break;
		}
		if (revents & (POLLHUP | POLLERR | POLLNVAL))
			modem_request_lost(m, "hang-up on %s",
					   port_name(m->port));
	}
	flush(m);
	process_lost(m);
}

int64_t modem_deadline(const struct modem *m)
{
	int64_t d = -1;

	if (m->port)
		d = at_chat_deadline(m->chat);
	d = min_deadline(d, m->init.step_at);
	d = min_deadline(d, m->health_at);
	d = min_deadline(d, m->reg_poll_at);
	d = min_deadline(d, m->reopen_at);
	d = min_deadline(d, m->ussd.at);
	d = min_deadline(d, m->rx.resweep_at);
	return d;
}

void modem_timeout(struct modem *m, int64_t now_ms)
{
	m->now = now_ms;
	if (m->port && due(at_chat_deadline(m->chat), now_ms)) {
		at_chat_timeout(m->chat, now_ms);
		modem_check_timeouts(m);
	}
	process_lost(m);
	if (due(m->reopen_at, now_ms)) {
		m->reopen_at = -1;
		if (!m->port)
			try_open(m);
	}
	if (m->port && due(m->init.step_at, now_ms)) {
		m->init.step_at = -1;
		modem_init_step_run(m);
	}
	if (m->port && due(m->reg_poll_at, now_ms)) {
		m->reg_poll_at = -1;
		creg_poll(m);
		if (m->st.state == MODEM_REGISTERING)
			m->reg_poll_at = now_ms + REG_SLOW_POLL_MS;
	}
	if (m->port && due(m->health_at, now_ms))
		health_check(m);
	if (due(m->rx.resweep_at, now_ms)) {
		m->rx.resweep_at = -1;
		if (m->port && m->configured)
			modem_sms_sweep(m);
	}
	if (due(m->ussd.at, now_ms))
		modem_ussd_timeout(m);
	flush(m);
	process_lost(m);
}

void modem_get_status(const struct modem *m, struct modem_status *out)
{
	*out = m->st;
}
