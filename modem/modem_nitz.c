/* SPDX-License-Identifier: MIT */
/*
 * modem_nitz.c - the network's time (NITZ) through the modem, for the
 * gateway's clock (SPEC section 13).
 *
 * The bring-up asks for time zone updates (AT+CTZU=1; a modem that
 * refuses simply gives no network time) and then reads the modem's
 * clock once (AT+CCLK?), which the network has set by then.  Later
 * updates come unsolicited: "+CTZV: yy/MM/dd,hh:mm:ss+zz" (some modems
 * "+NITZ:", Quectel "+CTZE:"); a URC that carries only a zone ("+CTZV:
 * +32") makes the engine read AT+CCLK? again.  Nothing is polled: an
 * idle gateway sends no AT command for the time.  A modem clock that
 * was never set (1980, 2004 ...) is passed on all the same: the
 * gateway's clock ignores implausible times (gateway/clock.h).
 */
#include <string.h>

#include "modem/modem_priv.h"

static const char *const p_cclk[] = { "+CCLK:", NULL };

bool modem_nitz_report(struct modem *m, const char *text, const char *what)
{
	struct pdu_time t;

	while (*text == ' ')
		text++;
	if (pdu_time_from_text(text, &t) < 0)
		return false;
	modem_log(m, MODEM_LOG_DEBUG, "modem: network time %s (%s)", t.iso,
		  what);
	if (m->cfg.network_time)
		m->cfg.network_time(m, t.epoch, m->cfg.data);
	return true;
}

static void cclk_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	const char *line;

	(void)c;
	if (modem_cmd_cancelled(m, res) || res->err.type != AT_ERR_NONE)
		return;
	line = modem_find_line(res, "+CCLK:");
	if (line && !modem_nitz_report(m, line + strlen("+CCLK:"), "AT+CCLK?"))
		modem_log(m, MODEM_LOG_DEBUG, "modem: clock not understood: %s",
			  line);
}

void modem_nitz_query(struct modem *m)
{
	modem_cmd(m, cclk_done, 0, "AT+CCLK?", p_cclk, T_CMD);
}

/* +CTZV: 25/12/03,16:00:00+32[,0] | +CTZV: +32 | +NITZ: ... */
static void on_nitz(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	const char *p = strchr(line, ':');

	(void)pdu;
	if (!p || !m->configured)
		return;
	p++;
	while (*p == ' ')
		p++;
	/* some modems put the zone first: "+32,25/12/03,16:00:00" */
	if ((*p == '+' || *p == '-') && strchr(p, ',') &&
	    modem_nitz_report(m, strchr(p, ',') + 1, line))
		return;
	if (!modem_nitz_report(m, p, line))
		modem_nitz_query(m);	/* zone only: read the clock */
}

int modem_nitz_register_urcs(struct modem *m)
{
	static const char *const prefixes[] = { "+CTZV:", "+NITZ:", "+CTZE:" };
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		rc = at_chat_register_urc(m->chat, prefixes[i], false, on_nitz,
					  m);
		if (rc < 0)
			return rc;
	}
	return 0;
}
