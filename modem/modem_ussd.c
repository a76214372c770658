// SPDX-License-Identifier: MIT
/*
 * modem_ussd.c - one USSD request at a time: AT+CUSD=1,"code",15, the
 * +CUSD: reply (in the response or as a URC, within USSD_WAIT_MS),
 * decoding per DCS (UCS-2 hex, packed GSM 7-bit hex on Huawei), and
 * AT+CUSD=2 to close a menu or a session that never answered.
 */
#include <ctype.h>
#include <errno.h>

#include "modem/gsm7.h"
#include "modem/modem_priv.h"
#include "util/hex.h"

void modem_ussd_finish(struct modem *m, int err, const char *text)
{
	modem_ussd_fn done = m->ussd.done;
	void *data = m->ussd.data;

	if (!m->ussd.active)
		return;
	m->ussd.active = false;
	m->ussd.at = -1;
	m->ussd.done = NULL;
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

	if (modem_is_hex(s, &len) && len / 2 <= sizeof(bytes)) {
		if (dcs_ucs2(dcs) && len % 4 == 0) {
			for (i = 0; i < len / 2; i++)
				bytes[i] = (uint8_t)(hex_val(s[2 * i]) << 4 |
						     hex_val(s[2 * i + 1]));
			if (gsm7_utf16be_to_utf8(bytes, len / 2, out,
						 size) >= 0)
				return;
		} else if (m->quirk && m->quirk->ussd_packed &&
			   !dcs_ucs2(dcs) && len % 2 == 0) {
			for (i = 0; i < len / 2; i++)
				bytes[i] = (uint8_t)(hex_val(s[2 * i]) << 4 |
						     hex_val(s[2 * i + 1]));
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
	modem_copy_str(out, size, s);
}

/* AT+CUSD=2: nothing to do with the answer. */
static void close_done(struct modem *m, const struct at_result *res,
		       const struct modem_cmd *c)
{
	(void)c;
	modem_cmd_cancelled(m, res);
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
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: malformed +CUSD ignored");
		return;
	}
	has_text = at_iter_next_string(&it, raw, sizeof(raw)) && raw[0];
	if (has_text)
		at_iter_next_number(&it, &dcs);
	if (!m->ussd.active) {
		modem_log(m, MODEM_LOG_INFO,
			  "modem: unsolicited USSD (m=%d) ignored", mode);
		return;
	}
	text[0] = '\0';
	if (has_text)
		ussd_decode(m, raw, dcs, text, sizeof(text));
	if (mode == 1 && m->port)	/* a menu: we do not answer, close */
		modem_cmd(m, close_done, 0, "AT+CUSD=2", NULL, T_CMD);
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
	modem_ussd_finish(m, err, err ? NULL : text);
}

static void on_cusd(const char *line, const char *pdu, void *data)
{
	(void)pdu;
	ussd_line(data, line);
}

int modem_ussd_register_urcs(struct modem *m)
{
	return at_chat_register_urc(m->chat, "+CUSD:", false, on_cusd, m);
}

void modem_ussd_timeout(struct modem *m)
{
	modem_log(m, MODEM_LOG_WARNING, "modem: no USSD reply in time");
	if (m->port)
		modem_cmd(m, close_done, 0, "AT+CUSD=2", NULL, T_CMD);
	modem_ussd_finish(m, -ETIMEDOUT, NULL);
}

/* AT+CUSD=1: the reply may come with the OK or later as a URC. */
static void request_done(struct modem *m, const struct at_result *res,
			 const struct modem_cmd *c)
{
	const char *line;

	(void)c;
	if (modem_cmd_cancelled(m, res) || !m->ussd.active)
		return;
	line = modem_find_line(res, "+CUSD:");
	if (res->err.type == AT_ERR_TIMEOUT) {
		modem_ussd_finish(m, -ETIMEDOUT, NULL);
	} else if (res->err.type != AT_ERR_NONE) {
		modem_log(m, MODEM_LOG_WARNING, "modem: AT+CUSD refused: %s",
			  at_error_text(&res->err));
		modem_ussd_finish(m, -EIO, NULL);
	} else if (line) {
		ussd_line(m, line);
	} else {
		m->ussd.at = m->now + USSD_WAIT_MS;
	}
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
	if (m->ussd.active)
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
	if (modem_cmd(m, request_done, 0, text, pfx, T_USSD_CMD) < 0)
		return -ENOMEM;
	m->ussd.active = true;
	m->ussd.done = done;
	m->ussd.data = data;
	return 0;
}
