// SPDX-License-Identifier: MIT
/*
 * modem_sms.c - SMS in and out: the storage sweep (AT+CMGL), reads of
 * pushed messages (+CMTI/+CDSI, AT+CMGR), direct deliveries (+CMT/+CDS),
 * the owner's delete and release, and sending (AT+CMGS).
 *
 * An index handed up stays "held" until the owner deletes or releases
 * it, so a sweep or a repeated +CMTI never hands it up twice within a
 * health interval.  Nothing is deleted unless the owner asks.
 *
 * Nothing is deleted that was not the message stored (issue 8): a
 * message read with AT+CMGR after a +CMTI is handed up at once, but its
 * AT+CMGD waits for a listing (AT+CMGL, index and PDU in one answer)
 * showing the same PDU at that index - a modem that answered AT+CMGR=5
 * with another index's PDU must not make message 5 deleted unread.  A
 * failed AT+CMGD is retried from the next listing (again only while the
 * index holds the same PDU), listed again after 1 s, 2 s, 4 s ... 60 s.
 */
#include <errno.h>
#include <stdlib.h>

#include "modem/modem_priv.h"

/* ------------------------------------------------------------------ */
/* Held indexes                                                         */

static struct held *held_find(struct modem *m, int index)
{
	size_t i;

	for (i = 0; i < m->rx.n_held; i++)
		if (m->rx.held[i].index == index)
			return &m->rx.held[i];
	return NULL;
}

static struct held *held_add(struct modem *m, int index)
{
	struct held *h = held_find(m, index);

	if (h)
		return h;
	if (m->rx.n_held == m->rx.cap_held) {
		size_t cap = m->rx.cap_held ? m->rx.cap_held * 2 : 16;
		struct held *p = realloc(m->rx.held, cap * sizeof(*p));

		if (!p)
			return NULL;
		m->rx.held = p;
		m->rx.cap_held = cap;
	}
	h = &m->rx.held[m->rx.n_held++];
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
	*h = m->rx.held[--m->rx.n_held];
}

/* FNV-1a of a PDU's hex, case-insensitive: what was handed up where. */
static uint64_t pdu_hash(const char *hex)
{
	uint64_t h = 1469598103934665603ULL;

	for (; hex && *hex; hex++) {
		h ^= (unsigned char)(*hex >= 'a' && *hex <= 'f' ?
				     *hex - 'a' + 'A' : *hex);
		h *= 1099511628211ULL;
	}
	return h;
}

static void delete_index(struct modem *m, struct held *h);

/* A sweep is wanted: now, or when the one in flight has ended. */
static void sweep_soon(struct modem *m)
{
	if (m->rx.sweeping)
		m->rx.resweep_after = true;
	else
		modem_sms_sweep(m);
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
			/* delivery reports follow every sent SMS: expected */
			modem_log(m, msgs[i].kind == MODEM_SMS_STATUS_REPORT ?
				  MODEM_LOG_DEBUG : MODEM_LOG_NOTICE,
				  "modem: index %d is not a plain text SMS: %s",
				  msgs[i].index, msgs[i].why ? msgs[i].why :
				  "status report");
	}
	modem_log(m, text ? MODEM_LOG_INFO : MODEM_LOG_DEBUG,
		  "modem: %zu message(s) received (%zu text)", n, text);
	if (m->cfg.sms)
		m->cfg.sms(m, msgs, n, m->cfg.data);
}

/*
 * Messages handed up at a time from one listing: a full SIM lists
 * hundreds, and a decoded message is about 1 KiB, so the batch bounds the
 * daemon's memory (SPEC §11) while keeping one transaction per batch.
 */
#define SWEEP_BATCH	16

/* AT+CMGL=4: +CMGL: <index>,<stat>,[<alpha>],<length> then the PDU. */
static void sweep_done(struct modem *m, const struct at_result *res,
		       const struct modem_cmd *c)
{
	struct modem_sms *msgs;
	size_t i, n = 0;
	int listed = 0;

	(void)c;
	m->rx.sweeping = false;
	if (modem_cmd_cancelled(m, res))
		return;
	if (res->err.type != AT_ERR_NONE) {
		modem_log(m, MODEM_LOG_WARNING, "modem: AT+CMGL failed: %s",
			  at_error_text(&res->err));
		return;
	}
	msgs = calloc(SWEEP_BATCH, sizeof(*msgs));
	if (!msgs) {
		modem_log(m, MODEM_LOG_ERR, "modem: sweep: no memory");
		return;
	}
	for (i = 0; i < m->rx.n_held; i++)
		m->rx.held[i].listed = false;
	for (i = 0; i < res->n_lines; i++) {
		const char *pdu = NULL;
		struct at_iter it;
		struct held *h;
		int index, stat;

		if (!at_iter_begin(&it, res->lines[i], "+CMGL:"))
			continue;
		listed++;
		if (i + 1 < res->n_lines &&
		    !modem_starts_with(res->lines[i + 1], "+CMGL:"))
			pdu = res->lines[++i];
		if (!at_iter_next_number(&it, &index) || index < 0 ||
		    !at_iter_next_number(&it, &stat) || !pdu) {
			modem_log(m, MODEM_LOG_WARNING,
				  "modem: malformed +CMGL entry skipped");
			continue;
		}
		h = held_find(m, index);
		if (h && h->committed) {
			h->listed = true;
			if (h->deleting)
				continue;
			if (h->pdu_hash == pdu_hash(pdu)) {
				/* stored, and still what is there: delete */
				delete_index(m, h);
				continue;
			}
			/*
			 * Not the message that was stored for this index: the
			 * modem answered AT+CMGR with another message, or the
			 * slot was reused.  Never delete it; hand it up.
			 */
			modem_log(m, MODEM_LOG_WARNING,
				  "modem: index %d holds another message than "
				  "the one stored for it: not deleted, read "
				  "again", index);
			held_remove(m, index);
			h = NULL;
		}
		if (h && (h->reading ||
			  h->handed_ms >= m->rx.redeliver_before))
			continue;
		if (!held_add(m, index))
			break;
		h = held_find(m, index);
		h->reading = false;
		h->confirm = false;	/* index and PDU in one answer */
		h->listed = true;
		h->handed_ms = m->now;
		h->pdu_hash = pdu_hash(pdu);
		msgs[n].index = index;
		msgs[n].storage = m->st.storage;
		msgs[n].pdu_hex = pdu;
		msgs[n].stat = stat;
		classify(&msgs[n]);
		if (++n == SWEEP_BATCH) {
			deliver(m, msgs, n);
			n = 0;
		}
	}
	/* committed, not listed, no delete in flight: gone from the SIM */
	for (i = 0; i < m->rx.n_held;) {
		struct held *h = &m->rx.held[i];

		if (h->committed && !h->deleting && !h->listed)
			held_remove(m, h->index);
		else
			i++;
	}
	deliver(m, msgs, n);
	free(msgs);
	if (m->rx.count_used) {
		/* AT+CMGL=4 lists every message of the read store */
		m->rx.count_used = false;
		modem_storage_used(m, listed);
	}
	if (m->rx.resweep_after) {
		m->rx.resweep_after = false;
		modem_sms_sweep(m);
	}
}

void modem_sms_sweep(struct modem *m)
{
	static const char *const pfx[] = { "+CMGL:", NULL };

	if (m->rx.sweeping || !m->port)
		return;
	if (modem_cmd(m, sweep_done, 0, "AT+CMGL=4", pfx, T_LIST) == 0)
		m->rx.sweeping = true;
}

/* AT+CMGR=<index>: +CMGR: <stat>,[<alpha>],<length> then the PDU. */
static void read_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	int index = c->arg;
	struct modem_sms msg;
	struct held *h;
	struct at_iter it;
	size_t i;
	int stat = -1;

	if (res->err.type == AT_ERR_CANCELLED) {
		held_remove(m, index);
		return;
	}
	if (res->err.type == AT_ERR_TIMEOUT)
		modem_check_timeouts(m);
	h = held_find(m, index);
	if (!h || !h->reading)
		return;		/* a sweep got it meanwhile */
	for (i = 0; i + 1 < res->n_lines; i++)
		if (at_iter_begin(&it, res->lines[i], "+CMGR:"))
			break;
	if (res->err.type != AT_ERR_NONE || i + 1 >= res->n_lines) {
		modem_log(m, MODEM_LOG_INFO,
			  "modem: index %d not readable: %s", index,
			  res->err.type == AT_ERR_NONE ? "empty" :
			  at_error_text(&res->err));
		held_remove(m, index);
		/*
		 * A read that timed out or failed may still leave the
		 * message on the SIM: list the storage (after the chat's
		 * resync) rather than wait for the next health check.
		 */
		if (res->err.type != AT_ERR_NONE)
			modem_sms_sweep(m);
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
	h->pdu_hash = pdu_hash(msg.pdu_hex);
	h->confirm = true;	/* deleted once a listing agrees */
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
	if (modem_cmd(m, read_done, index, text, pfx, T_READ) < 0)
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
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: malformed %.6s ignored", line);
		return;
	}
	if (!m->configured || !m->port)
		return;		/* the sweep at the end of bring-up reads it */
	if (m->st.storage[0] && strcmp(mem, m->st.storage) != 0) {
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: message stored in \"%s\", not \"%s\": sweeping",
			  mem, m->st.storage);
		modem_sms_sweep(m);
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

/* AT+CNMA: nothing to do with the answer. */
static void cnma_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	(void)c;
	modem_cmd_cancelled(m, res);
}

/* +CMT: [<alpha>],<len> / +CDS: <len>, PDU: direct delivery. */
static void on_direct(const char *line, const char *pdu, void *data)
{
	struct modem *m = data;
	struct modem_sms msg;

	if (!pdu) {
		modem_log(m, MODEM_LOG_WARNING, "modem: %.5s without a PDU",
			  line);
		return;
	}
	modem_log(m, MODEM_LOG_NOTICE,
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
	if (m->init.csms_service == 1 && m->port)
		modem_cmd(m, cnma_done, 0, "AT+CNMA", NULL, T_CMD);
}

int modem_sms_register_urcs(struct modem *m)
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
	};
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(urcs); i++) {
		rc = at_chat_register_urc(m->chat, urcs[i].prefix,
					  urcs[i].pdu, urcs[i].fn, m);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Delete and release                                                   */

/* AT+CMGD=<index>: read the slot again if a +CMTI came meanwhile. */
static void delete_done(struct modem *m, const struct at_result *res,
			const struct modem_cmd *c)
{
	struct held *h;
	bool again;

	if (modem_cmd_cancelled(m, res))
		return;
	h = held_find(m, c->arg);
	if (res->err.type != AT_ERR_NONE && h) {
		/*
		 * Still on the SIM (as far as we know): list the storage
		 * again soon, with backoff, and delete it from there while
		 * it holds the same PDU - not at the next health check.
		 */
		unsigned ms = m->rx.del_backoff_ms ?
			      m->rx.del_backoff_ms * 2 : BACKOFF_MIN_MS;

		if (ms > BACKOFF_MAX_MS)
			ms = BACKOFF_MAX_MS;
		m->rx.del_backoff_ms = ms;
		h->deleting = false;
		if (m->rx.resweep_at < 0 || m->rx.resweep_at > m->now + ms)
			m->rx.resweep_at = m->now + ms;
		modem_log(m, MODEM_LOG_WARNING,
			  "modem: AT+CMGD=%d failed: %s; listing again in "
			  "%u ms", c->arg, at_error_text(&res->err), ms);
		return;
	}
	if (res->err.type == AT_ERR_NONE)
		m->rx.del_backoff_ms = 0;
	else
		modem_log(m, MODEM_LOG_WARNING, "modem: AT+CMGD=%d failed: %s",
			  c->arg, at_error_text(&res->err));
	again = h && h->renotified;
	held_remove(m, c->arg);
	if (again)
		read_index(m, c->arg);
}

/* Queue AT+CMGD for a held index the owner committed. */
static void delete_index(struct modem *m, struct held *h)
{
	char text[24];

	snprintf(text, sizeof(text), "AT+CMGD=%d", h->index);
	if (modem_cmd(m, delete_done, h->index, text, NULL, T_CMD) == 0)
		h->deleting = true;
}

int modem_delete(struct modem *m, int index)
{
	struct held *h;
	char text[24];

	if (index == -1)
		return 0;
	if (index < 0)
		return -EINVAL;
	if (!m->port)
		return -ENOTCONN;
	h = held_find(m, index);
	if (h && !h->reading) {
		h->committed = true;
		if (h->deleting)
			return 0;
		if (h->confirm) {
			/* read by AT+CMGR: a listing must agree first */
			sweep_soon(m);
			return 0;
		}
		delete_index(m, h);
		return h->deleting ? 0 : -ENOMEM;
	}
	snprintf(text, sizeof(text), "AT+CMGD=%d", index);
	return modem_cmd(m, delete_done, index, text, NULL, T_CMD);
}

int modem_release(struct modem *m, int index)
{
	if (index == -1)
		return 0;
	if (index < 0)
		return -EINVAL;
	held_remove(m, index);
	if (m->port && m->rx.resweep_at < 0)
		m->rx.resweep_at = m->now + RESWEEP_MS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Send                                                                 */

/* AT+CMGS: +CMGS: <mr>; every outcome goes to the caller once. */
static void send_done(struct modem *m, const struct at_result *res,
		      const struct modem_cmd *c)
{
	modem_send_fn done = c->send_done;
	const char *line;
	struct at_iter it;
	int mr = -1, err;

	switch (res->err.type) {
	case AT_ERR_NONE:
		line = modem_find_line(res, "+CMGS:");
		if (!line || !at_iter_begin(&it, line, "+CMGS:") ||
		    !at_iter_next_number(&it, &mr))
			mr = -1;
		modem_log(m, MODEM_LOG_INFO, "modem: SMS sent, TP-MR %d", mr);
		if (done)
			done(0, mr, NULL, c->send_data);
		return;
	case AT_ERR_CANCELLED:
		err = m->freeing ? -ECANCELED : -ENOTCONN;
		break;
	case AT_ERR_TIMEOUT:
		err = -ETIMEDOUT;
		modem_check_timeouts(m);
		break;
	default:
		err = -EIO;
		break;
	}
	modem_log(m, MODEM_LOG_WARNING, "modem: SMS not sent: %s",
		  at_error_text(&res->err));
	if (done)
		done(err, -1, &res->err, c->send_data);
}

int modem_send_pdu(struct modem *m, const char *pdu_hex, size_t tpdu_len,
		   modem_send_fn done, void *data)
{
	static const char *const pfx[] = { "+CMGS:", NULL };
	char text[32];
	struct modem_cmd *c;
	size_t len;

	if (!pdu_hex || !modem_is_hex(pdu_hex, &len) || len % 2 ||
	    len > 2 * PDU_MAX_OCTETS || tpdu_len == 0 || tpdu_len > 164 ||
	    tpdu_len > len / 2)
		return -EINVAL;
	if (m->st.state != MODEM_READY || !m->port)
		return -EAGAIN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	c->gen = m->gen;
	c->done = send_done;
	c->send_done = done;
	c->send_data = data;
	snprintf(text, sizeof(text), "AT+CMGS=%zu", tpdu_len);
	if (!at_chat_send_pdu(m->chat, text, pdu_hex, pfx, T_SEND,
			      modem_cmd_result, c, free)) {
		free(c);
		return -ENOMEM;
	}
	return 0;
}
