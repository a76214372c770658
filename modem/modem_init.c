// SPDX-License-Identifier: MIT
/*
 * modem_init.c - bring-up: probe, echo off, identification, SIM/PIN,
 * vendor init lines, registration, PDU mode, character set, SMSC, own
 * number, storage, new-message indications with fallbacks.
 *
 * The sequence is a table, one row per step in enum step order: the
 * command (fixed text or a builder), the response prefixes, the
 * timeout and the result function that decides the next step.  A step
 * normally continues with the next row; a builder that returns NULL
 * skips its row.  See docs/MODEM.md for the fallbacks.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "modem/modem_priv.h"
#include "util/hex.h"

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

/* ------------------------------------------------------------------ */
/* Moving through the steps                                             */

static void step_next(struct modem *m, enum step s)
{
	m->init.step = s;
	m->init.step_arg = 0;
	m->init.step_tries = 0;
	modem_init_step_run(m);
}

/* The usual way on: the next row of the table. */
static void step_on(struct modem *m)
{
	step_next(m, m->init.step + 1);
}

static void step_later(struct modem *m, unsigned ms)
{
	m->init.step_at = m->now + ms;
}

static bool sim_busy(const struct at_error *e)
{
	return (e->type == AT_ERR_CME && e->code == 14) ||
	       (e->type == AT_ERR_CMS && e->code == 314);
}

void modem_init_begin(struct modem *m)
{
	m->gen++;
	m->configured = false;
	m->registered = false;
	m->init.pin_entered = false;
	m->init.reg_polls = 0;
	m->init.cnmi_ranges = false;
	m->init.csms_service = -1;
	m->init.cscs_gsm = false;
	m->init.step_at = -1;
	m->reg_poll_at = -1;
	m->health_at = -1;
	modem_set_state(m, MODEM_INITIALISING);
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
	modem_log(m, MODEM_LOG_ERR, "modem: SIM error: %s", m->st.last_error);
	m->st.pin_blocked = m->pin_blocked;
	m->init.step_at = -1;
	m->health_at = m->now + modem_health_ms(m);
	modem_set_state(m, MODEM_SIM_ERROR);
}

static void finish_init(struct modem *m)
{
	m->configured = true;
	m->backoff_ms = BACKOFF_MIN_MS;
	m->prev_health = m->now;
	m->health_at = m->now + modem_health_ms(m);
	m->st.last_error[0] = '\0';
	if (m->registered) {
		modem_set_state(m, MODEM_READY);
	} else {
		modem_set_state(m, MODEM_REGISTERING);
		m->reg_poll_at = m->now + REG_SLOW_POLL_MS;
	}
	modem_log(m, MODEM_LOG_NOTICE,
		  "modem: %s %s ready (storage \"%s\", CNMI=%d,%d,%d,%d,%d)",
		  m->st.manufacturer, m->st.model, m->st.storage,
		  m->st.cnmi[0], m->st.cnmi[1], m->st.cnmi[2], m->st.cnmi[3],
		  m->st.cnmi[4]);
	modem_sms_sweep(m);
}

/* ------------------------------------------------------------------ */
/* Checks and parsers                                                   */

/* Next AT+CNMI candidate at or after @from that the modem allows. */
static int cnmi_pick(const struct modem *m, int from)
{
	size_t i;
	int k;

	for (i = (size_t)from; i < ARRAY_SIZE(cnmi_candidates); i++) {
		for (k = 0; k < 5; k++)
			if (m->init.cnmi_ranges && m->init.cnmi_bits[k] &&
			    !(m->init.cnmi_bits[k] & (UINT32_C(1) <<
						 cnmi_candidates[i][k])))
				break;
		if (k == 5)
			return (int)i;
	}
	return -1;
}

bool modem_smsc_valid(const char *s)
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
	if (colon && (modem_starts_with(line, "+CG") ||
		      modem_starts_with(line, "Rev") ||
		      modem_starts_with(line, "Manufacturer") ||
		      modem_starts_with(line, "Model")))
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
	for (i = 0; i < ARRAY_SIZE(quirks); i++)
		if (strstr(low, quirks[i].match))
			m->quirk = &quirks[i];
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

	if (!m->init.cscs_gsm && n >= 12 && n % 4 == 0 &&
	    n / 4 < sizeof(num)) {
		for (i = 0; i < n; i += 4) {
			if (strncmp(raw + i, "00", 2) != 0 ||
			    !isxdigit((unsigned char)raw[i + 2]) ||
			    !isxdigit((unsigned char)raw[i + 3]))
				break;
			num[len] = (char)(hex_val(raw[i + 2]) << 4 |
					  hex_val(raw[i + 3]));
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

/* ------------------------------------------------------------------ */
/* Command builders: the text to send, or NULL to skip the step         */

static const char *build_probe(struct modem *m, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	/*
	 * ESC first (cfg.cancel_entry): if the previous owner of the
	 * port died, or the port was lost, between the "> " prompt of
	 * AT+CMGS and the Ctrl-Z, the modem is still collecting a PDU and
	 * would swallow a plain "AT" forever.  ESC cancels that entry
	 * without sending; in command state it is line noise before "AT".
	 */
	return m->cfg.cancel_entry ? "\x1b" "AT" : "AT";
}

static const char *build_pin(struct modem *m, char *buf, size_t size)
{
	/* Blocked until the SIM says yes: never a second try. */
	m->pin_blocked = true;
	m->st.pin_blocked = true;
	m->init.pin_entered = true;
	snprintf(buf, size, "AT+CPIN=\"%s\"", m->pin);
	modem_log(m, MODEM_LOG_NOTICE, "modem: entering the SIM PIN");
	return buf;
}

/* The vendor's init lines, one per run (step_arg counts them). */
static const char *build_quirk(struct modem *m, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	if (!m->quirk || !m->quirk->init ||
	    !m->quirk->init[m->init.step_arg])
		return NULL;
	return m->quirk->init[m->init.step_arg];
}

static const char *build_csca(struct modem *m, char *buf, size_t size)
{
	if (!m->smsc[0])
		return NULL;
	if (!modem_smsc_valid(m->smsc)) {
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: modem.smsc is not a number; ignored");
		return NULL;
	}
	snprintf(buf, size, "AT+CSCA=\"%s\"", m->smsc);
	return buf;
}

/* step_arg: the storage to try (SM, ME, MT). */
static const char *build_cpms(struct modem *m, char *buf, size_t size)
{
	const char *s = storages[m->init.step_arg];

	snprintf(buf, size, "AT+CPMS=\"%s\",\"%s\",\"%s\"", s, s, s);
	return buf;
}

/* step_arg: the first candidate still to try. */
static const char *build_cnmi(struct modem *m, char *buf, size_t size)
{
	const int *c;
	int k = cnmi_pick(m, m->init.step_arg);

	if (k < 0) {
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: no AT+CNMI variant accepted: relying on the health-check sweep");
		for (k = 0; k < 5; k++)
			m->st.cnmi[k] = -1;
		return NULL;
	}
	m->init.step_arg = k;
	c = cnmi_candidates[k];
	snprintf(buf, size, "AT+CNMI=%d,%d,%d,%d,%d", c[0], c[1], c[2], c[3],
		 c[4]);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Result functions: each decides where the bring-up goes next          */

/* Whatever the answer: on to the next step (ATE0, AT+CMEE=1...). */
static void any_result(struct modem *m, const struct at_result *res)
{
	(void)res;
	step_on(m);
}

static void cgmi_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type == AT_ERR_NONE)
		ident(res, m->st.manufacturer, sizeof(m->st.manufacturer));
	find_quirk(m);
	step_on(m);
}

static void cgmm_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type == AT_ERR_NONE)
		ident(res, m->st.model, sizeof(m->st.model));
	step_on(m);
}

static void cgmr_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type == AT_ERR_NONE)
		ident(res, m->st.revision, sizeof(m->st.revision));
	step_on(m);
}

static void cpin_result(struct modem *m, const struct at_result *res)
{
	const char *line = modem_find_line(res, "+CPIN:");
	char state[32];
	struct at_iter it;

	if (res->err.type != AT_ERR_NONE || !line) {
		if (res->err.type == AT_ERR_CME && res->err.code == 10) {
			modem_copy_str(m->st.sim_state,
				       sizeof(m->st.sim_state),
				       "NOT INSERTED");
			sim_error(m, "SIM not inserted");
			return;
		}
		if (++m->init.step_tries < SIM_BUSY_RETRIES) {
			step_later(m, RETRY_MS);
			return;
		}
		modem_copy_str(m->st.sim_state, sizeof(m->st.sim_state),
			       "ERROR");
		sim_error(m, "SIM not usable: %s", at_error_text(&res->err));
		return;
	}
	at_iter_begin(&it, line, "+CPIN:");
	if (!at_iter_next_string(&it, state, sizeof(state)) &&
	    !at_iter_next_unquoted(&it, state, sizeof(state)))
		state[0] = '\0';
	modem_copy_str(m->st.sim_state, sizeof(m->st.sim_state), state);

	if (strcmp(state, "READY") == 0 || strcmp(state, "SIM PIN2") == 0 ||
	    strcmp(state, "SIM PUK2") == 0) {
		step_next(m, ST_CIMI);
	} else if (strcmp(state, "SIM PIN") == 0) {
		if (m->init.pin_entered)
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
	const char *line = modem_find_line(res, "+CPINR:");
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

/* Accepted: AT+CPIN? again after the SIM settled. */
static void pin_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type != AT_ERR_NONE) {
		sim_error(m, "SIM refused the configured PIN (%s); not retried until modem.pin changes",
			  at_error_text(&res->err));
		return;
	}
	m->pin_blocked = false;
	m->st.pin_blocked = false;
	m->init.step = ST_CPIN;
	m->init.step_tries = 0;
	step_later(m, PIN_SETTLE_MS);
}

static void cimi_result(struct modem *m, const struct at_result *res)
{
	char imsi[sizeof(m->st.imsi)];
	int k;

	if (res->err.type == AT_ERR_NONE) {
		ident(res, imsi, sizeof(imsi));
		for (k = 0; imsi[k]; k++)
			if (!isdigit((unsigned char)imsi[k]))
				break;
		if (!imsi[k] && k >= 6) {
			/* another SIM: its number is not known yet */
			if (strcmp(imsi, m->st.imsi) != 0)
				m->st.own_number[0] = '\0';
			modem_copy_str(m->st.imsi, sizeof(m->st.imsi), imsi);
		}
	}
	step_on(m);
}

/* Errors ignored: the next init line of the vendor, or on. */
static void quirk_result(struct modem *m, const struct at_result *res)
{
	(void)res;
	m->init.step_arg++;
	modem_init_step_run(m);
}

static void creg_result(struct modem *m, const struct at_result *res)
{
	const char *line = modem_find_line(res, "+CREG:");
	int v;

	if (res->err.type == AT_ERR_NONE && line &&
	    modem_parse_creg(line, &v)) {
		m->st.reg_stat = v;
		m->registered = v == 1 || v == 5;
	}
	if (m->registered) {
		step_on(m);
		return;
	}
	modem_set_state(m, MODEM_REGISTERING);
	if (++m->init.reg_polls < REG_POLLS) {
		step_later(m, REG_POLL_MS);
		return;
	}
	modem_log(m, MODEM_LOG_WARNING,
		  "modem: not registered after %u checks; configuring SMS anyway",
		  m->init.reg_polls);
	step_on(m);
}

/* PDU mode is mandatory: retried, then the modem is reopened. */
static void cmgf_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type == AT_ERR_NONE) {
		step_on(m);
	} else if (++m->init.step_tries < STEP_RETRIES) {
		step_later(m, RETRY_MS);
	} else {
		modem_set_error(m, "modem refuses PDU mode: %s",
				at_error_text(&res->err));
		modem_request_lost(m, "modem refuses PDU mode (AT+CMGF=0): %s",
				   at_error_text(&res->err));
	}
}

static void cscs_result(struct modem *m, const struct at_result *res)
{
	m->init.cscs_gsm = res->err.type == AT_ERR_NONE;
	if (!m->init.cscs_gsm)
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: AT+CSCS=\"GSM\" refused: %s",
			  at_error_text(&res->err));
	step_on(m);
}

static void csca_result(struct modem *m, const struct at_result *res)
{
	if (res->err.type != AT_ERR_NONE)
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: AT+CSCA refused: %s; using the SIM's SMSC",
			  at_error_text(&res->err));
	step_on(m);
}

/*
 * AT+CNUM: +CNUM: [<alpha>],<number>,<type> (one line per number; the
 * first usable one wins).  Many SIMs answer a bare OK or ERROR: the
 * number stays unknown (or as learnt from this SIM before), never
 * fatal.  Only "SIM busy" is tried again.
 */
static void cnum_result(struct modem *m, const struct at_result *res)
{
	char raw[96], num[sizeof(m->st.own_number)];
	struct at_iter it;
	size_t i;
	int toa;

	if (res->err.type != AT_ERR_NONE) {
		if (sim_busy(&res->err) &&
		    ++m->init.step_tries < STEP_RETRIES) {
			step_later(m, RETRY_MS);
			return;
		}
		modem_log(m, MODEM_LOG_INFO,
			  "modem: own number not available (AT+CNUM: %s)",
			  at_error_text(&res->err));
		step_on(m);
		return;
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
			modem_copy_str(m->st.own_number,
				       sizeof(m->st.own_number), num);
			modem_log(m, MODEM_LOG_INFO,
				  "modem: own number learnt from the SIM");
			step_on(m);
			return;
		}
	}
	modem_log(m, MODEM_LOG_INFO,
		  "modem: the SIM does not store its own number (AT+CNUM)");
	step_on(m);
}

/* AT+CTZU=1: network time updates; refused means no NITZ, no CCLK. */
static void ctzu_result(struct modem *m, const struct at_result *res)
{
	m->init.ctzu = res->err.type == AT_ERR_NONE;
	if (!m->init.ctzu)
		modem_log(m, MODEM_LOG_DEBUG,
			  "modem: no network time (AT+CTZU=1: %s)",
			  at_error_text(&res->err));
	step_on(m);
}

/* AT+CCLK? only where the network sets the modem's clock. */
static const char *build_cclk(struct modem *m, char *buf, size_t size)
{
	(void)buf;
	(void)size;
	return m->init.ctzu ? "AT+CCLK?" : NULL;
}

static void cclk_result(struct modem *m, const struct at_result *res)
{
	const char *line = modem_find_line(res, "+CCLK:");

	if (res->err.type == AT_ERR_NONE && line)
		modem_nitz_report(m, line + strlen("+CCLK:"), "AT+CCLK?");
	step_on(m);
}

/* Storage: SM, else ME, else MT, else the modem's default. */
static void cpms_result(struct modem *m, const struct at_result *res)
{
	const char *line;
	struct at_iter it;
	int used, total;

	if (res->err.type == AT_ERR_NONE) {
		modem_copy_str(m->st.storage, sizeof(m->st.storage),
			       storages[m->init.step_arg]);
		line = modem_find_line(res, "+CPMS:");
		if (line && at_iter_begin(&it, line, "+CPMS:") &&
		    at_iter_next_number(&it, &used) &&
		    at_iter_next_number(&it, &total)) {
			m->st.sms_used = used;
			m->st.sms_total = total;
		}
		step_on(m);
	} else if (sim_busy(&res->err) &&
		   ++m->init.step_tries < STEP_RETRIES) {
		step_later(m, RETRY_MS);
	} else if ((size_t)++m->init.step_arg < ARRAY_SIZE(storages)) {
		m->init.step_tries = 0;
		modem_init_step_run(m);
	} else {
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: no storage accepted by AT+CPMS; using the modem's default");
		m->st.storage[0] = '\0';
		step_on(m);
	}
}

static void csms_result(struct modem *m, const struct at_result *res)
{
	const char *line = modem_find_line(res, "+CSMS:");
	struct at_iter it;
	int v;

	if (res->err.type == AT_ERR_NONE && line &&
	    at_iter_begin(&it, line, "+CSMS:") &&
	    at_iter_next_number(&it, &v))
		m->init.csms_service = v;
	step_on(m);
}

/* AT+CNMI=? ranges narrow the candidates (when the modem gives them). */
static void cnmi_test_result(struct modem *m, const struct at_result *res)
{
	const char *line = modem_find_line(res, "+CNMI:");
	struct at_iter it;
	int k;

	memset(m->init.cnmi_bits, 0, sizeof(m->init.cnmi_bits));
	m->init.cnmi_ranges = false;
	if (res->err.type == AT_ERR_NONE && line &&
	    at_iter_begin(&it, line, "+CNMI:")) {
		for (k = 0; k < 5; k++)
			if (!at_iter_next_range(&it, &m->init.cnmi_bits[k]))
				break;
		m->init.cnmi_ranges = k >= 2;
	}
	step_on(m);
}

/* Refused: the next candidate (build_cnmi gives up when none is left). */
static void cnmi_result(struct modem *m, const struct at_result *res)
{
	int k;

	if (res->err.type == AT_ERR_NONE) {
		for (k = 0; k < 5; k++)
			m->st.cnmi[k] = cnmi_candidates[m->init.step_arg][k];
		step_on(m);
	} else {
		m->init.step_arg++;
		modem_init_step_run(m);
	}
}

/* ------------------------------------------------------------------ */
/* The table                                                            */

static const char *const p_cpin[] = { "+CPIN:", NULL };
static const char *const p_cpinr[] = { "+CPINR:", NULL };
static const char *const p_creg[] = { "+CREG:", NULL };
static const char *const p_cpms[] = { "+CPMS:", NULL };
static const char *const p_csms[] = { "+CSMS:", NULL };
static const char *const p_cnmi[] = { "+CNMI:", NULL };
static const char *const p_cnum[] = { "+CNUM:", NULL };
static const char *const p_cclk[] = { "+CCLK:", NULL };

struct init_step {
	const char *text;		/* the command, or NULL: @build */
	/* Writes the command into buf (or returns a static one); NULL
	 * skips the step. */
	const char *(*build)(struct modem *m, char *buf, size_t size);
	const char *const *prefixes;	/* NULL: every line */
	unsigned timeout_ms;
	bool once;			/* a timeout is not repeated */
	void (*result)(struct modem *m, const struct at_result *res);
};

static const struct init_step steps[] = {
	[ST_PROBE]	= { NULL, build_probe, NULL, T_PROBE, false,
			    any_result },
	[ST_ECHO]	= { "ATE0", NULL, NULL, T_CMD, false, any_result },
	[ST_CMEE]	= { "AT+CMEE=1", NULL, NULL, T_CMD, false,
			    any_result },
	[ST_CGMI]	= { "AT+CGMI", NULL, NULL, T_CMD, false,
			    cgmi_result },
	[ST_CGMM]	= { "AT+CGMM", NULL, NULL, T_CMD, false,
			    cgmm_result },
	[ST_CGMR]	= { "AT+CGMR", NULL, NULL, T_CMD, false,
			    cgmr_result },
	[ST_CPIN]	= { "AT+CPIN?", NULL, p_cpin, T_CMD, false,
			    cpin_result },
	[ST_CPINR]	= { "AT+CPINR=\"SIM PIN\"", NULL, p_cpinr, T_CMD,
			    false, cpinr_result },
	[ST_PIN]	= { NULL, build_pin, NULL, T_PIN, true, pin_result },
	[ST_CIMI]	= { "AT+CIMI", NULL, NULL, T_CMD, false,
			    cimi_result },
	[ST_QUIRK]	= { NULL, build_quirk, NULL, T_CMD, false,
			    quirk_result },
	[ST_CREG_SET]	= { "AT+CREG=1", NULL, NULL, T_CMD, false,
			    any_result },
	[ST_CREG]	= { "AT+CREG?", NULL, p_creg, T_CMD, false,
			    creg_result },
	[ST_CMGF]	= { "AT+CMGF=0", NULL, NULL, T_CMD, false,
			    cmgf_result },
	[ST_CSCS]	= { "AT+CSCS=\"GSM\"", NULL, NULL, T_CMD, false,
			    cscs_result },
	[ST_CSCA]	= { NULL, build_csca, NULL, T_CMD, false,
			    csca_result },
	[ST_CNUM]	= { "AT+CNUM", NULL, p_cnum, T_CMD, false,
			    cnum_result },
	[ST_CTZU]	= { "AT+CTZU=1", NULL, NULL, T_CMD, true,
			    ctzu_result },
	[ST_CCLK]	= { NULL, build_cclk, p_cclk, T_CMD, true,
			    cclk_result },
	[ST_CPMS]	= { NULL, build_cpms, p_cpms, T_CMD, false,
			    cpms_result },
	[ST_CSMS]	= { "AT+CSMS?", NULL, p_csms, T_CMD, false,
			    csms_result },
	[ST_CNMI_TEST]	= { "AT+CNMI=?", NULL, p_cnmi, T_CMD, false,
			    cnmi_test_result },
	[ST_CNMI]	= { NULL, build_cnmi, NULL, T_CMD, false,
			    cnmi_result },
};

_Static_assert(ARRAY_SIZE(steps) == ST_DONE, "one table row per step");

/*
 * Completion of every bring-up command: drop stale answers (an older
 * bring-up, another step), repeat a step that timed out (unless the
 * row says once) until the timeout limit declares the modem lost, else
 * hand the answer to the row's result function.
 */
static void step_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	enum step s = (enum step)c->arg;

	if (res->err.type == AT_ERR_CANCELLED || c->gen != m->gen ||
	    s != m->init.step)
		return;
	if (res->err.type == AT_ERR_TIMEOUT && !steps[s].once) {
		modem_check_timeouts(m);
		if (!m->lost.pending)
			modem_init_step_run(m);
		return;
	}
	steps[s].result(m, res);
}

void modem_init_step_run(struct modem *m)
{
	const struct init_step *row;
	const char *text;
	char buf[64];

	if (m->init.step == ST_DONE) {
		finish_init(m);
		return;
	}
	row = &steps[m->init.step];
	text = row->text ? row->text : row->build(m, buf, sizeof(buf));
	if (!text) {
		step_on(m);
		return;
	}
	modem_cmd(m, step_done, (int)m->init.step, text, row->prefixes,
		  row->timeout_ms);
}
