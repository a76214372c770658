/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim, the network side: messages from the network wait in a
 * queue until the modem takes them (SIM storage or a direct +CMT), and
 * what the daemon sends is recorded and reassembled by concat reference
 * for the tests to read back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modemsim_priv.h"

/* ------------------------------------------------------------------ */
/* SIM storage and the network side                                     */

bool net_sim_ready(const struct sim *s)
{
	return s->pin_state == PIN_READY;
}

/* Registered and plugged in: only then does the network deliver. */
bool net_up(const struct sim *s)
{
	return net_sim_ready(s) && s->registered && s->radio_on && s->master >= 0;
}

/* Number of used SIM storage slots. */
int net_slots_used(const struct sim *s)
{
	int i, n = 0;

	for (i = 0; i < s->capacity; i++)
		n += s->slots[i].used;
	return n;
}

static int net_slot_free(const struct sim *s)
{
	int i;

	for (i = 0; i < s->capacity; i++)
		if (!s->slots[i].used)
			return i;
	return -1;
}

/* Empty one SIM storage slot. */
void net_slot_clear(struct slot *sl)
{
	free(sl->hex);
	memset(sl, 0, sizeof(*sl));
}

/* Let the network retry its pending queue after the current reply. */
void net_schedule_flush(struct sim *s)
{
	if (s->n_pending && !sim_ev_pending(s, EV_FLUSH_PENDING)) {
		int64_t due = sim_now_ms();

		if (due < s->last_reply_due)
			due = s->last_reply_due;
		sim_ev_add(s, due, EV_FLUSH_PENDING);
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
			sim_out_raw(s, b.p, b.len);
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
		sim_out_raw(s, b.p, b.len);
		buf_free(&b);
		s->cmt_unacked = true;
		free(m->hex);
		return true;
	}
	idx = net_slot_free(s);
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
			sim_urc(s, line);
		}
	} else if (m->via == VIA_CMTI && s->cnmi[0] >= 1 &&
		   (s->cnmi[1] == 1 || s->cnmi[1] == 3)) {
		snprintf(line, sizeof(line), "+CMTI: \"SM\",%d",
			 idx + s->prof->first_index);
		sim_urc(s, line);
	}
	return true;
}

/* Network retries the pending queue, oldest first. */
void net_flush(struct sim *s)
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
int net_deliver(struct sim *s, char *hex, size_t tpdu_len, enum via via,
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
	if (net_up(s) && net_slot_free(s) < 0 && !s->memfull_said &&
	    s->prof->periodic_noise) {
		sim_urc(s, "^SMMEMFULL: \"SM\"");	/* huawei says it once */
		s->memfull_said = true;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* sent messages (what the daemon sent), reassembled by concat ref      */

static void net_sent_free(struct sent_msg *m)
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

static void net_sent_remove(struct sim *s, int i)
{
	net_sent_free(s->sent[i]);
	memmove(s->sent + i, s->sent + i + 1,
		(s->n_sent - i - 1) * sizeof(s->sent[0]));
	s->n_sent--;
}

/* Record one SUBMIT the daemon sent; parts are joined by concat ref. */
void net_sent_record(struct sim *s, const struct sms_pdu *p, const char *hex,
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
	sim_norm_number(p->addr, to, sizeof(to));
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
			net_sent_remove(s, 0);
		m = calloc(1, sizeof(*m));
		if (!m)
			return;
		m->text = calloc(total, sizeof(char *));
		m->hex = calloc(total, sizeof(char *));
		m->mr = calloc(total, sizeof(int));
		if (!m->text || !m->hex || !m->mr) {
			net_sent_free(m);
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
	m->hex[seq - 1] = sim_strdup(hex);
	m->text[seq - 1] = sim_strdup(p->text);
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
		ctl_check_waiters(s);
	}
}

static cJSON *net_sent_json(const struct sent_msg *m)
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
cJSON *net_sent_list(const struct sim *s, const char *to, bool only_complete,
		     unsigned *n_complete)
{
	cJSON *arr = cJSON_CreateArray();
	char want[PDU_ADDR_MAX] = "";
	int pass, i;

	if (to)
		sim_norm_number(to, want, sizeof(want));
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
			cJSON_AddItemToArray(arr, net_sent_json(m));
		}
	}
	return arr;
}

/* Tell a registration change as +CREG, if AT+CREG=1/2 asked for it. */
void net_creg_urc(struct sim *s, bool after_reply)
{
	char line[64];
	int stat = net_creg_stat(s);

	if (s->creg_n == 1)
		snprintf(line, sizeof(line), "+CREG: %d", stat);
	else if (s->creg_n == 2)
		snprintf(line, sizeof(line), "+CREG: %d,\"2A3B\",\"01C4F5E\"",
			 stat);
	else
		return;
	if (after_reply)
		sim_urc_after_reply(s, line);
	else
		sim_urc(s, line);
}

/* The +CREG stat value: 1 registered, 2 searching, 0 no SIM or radio. */
int net_creg_stat(const struct sim *s)
{
	return net_up(s) ? 1 : (net_sim_ready(s) && s->radio_on) ? 2 : 0;
}

/* Forget the sent messages and the AT command log ("clear"). */
void net_clear_sent_log(struct sim *s)
{
	while (s->n_sent)
		net_sent_remove(s, s->n_sent - 1);
	while (s->n_log)
		free(s->log[--s->n_log]);
}

/* Number of complete sent messages to @to. */
unsigned net_count_complete(const struct sim *s, const char *to)
{
	char want[PDU_ADDR_MAX];
	unsigned n = 0;
	int i;

	sim_norm_number(to, want, sizeof(want));
	for (i = 0; i < s->n_sent; i++)
		if (s->sent[i]->complete && !strcmp(s->sent[i]->to, want))
			n++;
	return n;
}

/*
 * The network's status report for message reference @mr, sent to @to:
 * "delivered", stamped two seconds before now.
 */
void net_status_report(struct sim *s, const char *to, int mr)
{
	struct pdu_part part;
	const char *why;
	int64_t t = net_time(s);

	if (pdu_encode_status_report(to, (uint8_t)mr, 0, t - 2, t, 32, s->smsc,
				     &part, &why) == 0)
		net_deliver(s, sim_strdup(part.hex), part.tpdu_len, VIA_CMTI,
			    true);
	else if (s->trace)
		fprintf(stderr, "modemsim: status report: %s\n", why);
}

int64_t net_time(const struct sim *s)
{
	return (int64_t)time(NULL) + s->net_clock_offset;
}

void net_time_text(int64_t t, char *buf, size_t size)
{
	time_t local = (time_t)(t + 8 * 3600);
	struct tm tm;

	if (!gmtime_r(&local, &tm)) {
		snprintf(buf, size, "70/01/01,00:00:00+00");
		return;
	}
	snprintf(buf, size, "%02d/%02d/%02d,%02d:%02d:%02d+32",
		 tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

void net_nitz_urc(struct sim *s, bool after_reply)
{
	char line[64], t[32];

	if (s->ctzu != 1 || s->nitz_off || !net_up(s))
		return;
	net_time_text(net_time(s), t, sizeof(t));
	snprintf(line, sizeof(line), "+CTZV: %s", t);
	if (after_reply)
		sim_urc_after_reply(s, line);
	else
		sim_urc(s, line);
}

/* At exit: free SIM storage, the pending queue and the sent log. */
void net_fini(struct sim *s)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		net_slot_clear(&s->slots[i]);
	for (i = 0; i < s->n_pending; i++)
		free(s->pending[i].hex);
	s->n_pending = 0;
	net_clear_sent_log(s);
}
