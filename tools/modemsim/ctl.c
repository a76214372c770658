/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim control socket: PATH.ctl, one JSON object per line each
 * way.  Tests and `jifenctl sim` drive the network side through it;
 * docs/SIMULATOR.md lists the requests.  A wait_sent holds its client's
 * later requests until it is answered.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "modemsim_priv.h"

static const char *const fault_names[F_COUNT] = {
	"noanswer", "garbage", "cms_error", "cmgs_noprompt", "urc_in_prompt",
	"hangup", "slow", "error", "urc_in_list", "cmgr_other",
};

/* ------------------------------------------------------------------ */
/* control clients                                                      */

static void ctl_client_send(struct sim *s, struct client *c, cJSON *reply)
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

static cJSON *ctl_reply_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", true);
	return o;
}

static cJSON *ctl_reply_err(const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

static void ctl_wait_finish(struct sim *s, struct client *c, bool timed_out)
{
	unsigned n;
	cJSON *o, *list;

	c->waiting = false;
	if (timed_out) {
		ctl_client_send(s, c, ctl_reply_err("timeout"));
		return;
	}
	list = net_sent_list(s, c->wait_to, true, &n);
	o = ctl_reply_ok();
	cJSON_AddNumberToObject(o, "count", n);
	cJSON_AddItemToObject(o, "sent", list);
	ctl_client_send(s, c, o);
}

static void ctl_client_input(struct sim *s, struct client *c);

/* A sent message completed: answer the wait_sent requests it satisfies. */
void ctl_check_waiters(struct sim *s)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];

		if (c && c->waiting &&
		    net_count_complete(s, c->wait_to) >= c->wait_count) {
			ctl_wait_finish(s, c, false);
			ctl_client_input(s, c);
		}
	}
}

/* ------------------------------------------------------------------ */
/* control protocol                                                     */

static const char *ctl_jstr(cJSON *req, const char *key, const char *def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static bool ctl_jbool(cJSON *req, const char *key, bool def)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static bool ctl_jnum(cJSON *req, const char *key, double *out)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (!cJSON_IsNumber(v))
		return false;
	*out = v->valuedouble;
	return true;
}

static bool ctl_parse_via(const char *v, enum via *out)
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

static cJSON *ctl_deliver(struct sim *s, struct client *c, cJSON *req)
{
	const char *from = ctl_jstr(req, "from", NULL);
	const char *text = ctl_jstr(req, "text", NULL);
	const char *order = ctl_jstr(req, "order", "normal");
	bool dup = ctl_jbool(req, "duplicate", false);
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

	(void)c;
	if (!from || !*from || !text)
		return ctl_reply_err("deliver needs \"from\" and \"text\"");
	if (!ctl_parse_via(ctl_jstr(req, "via", "cmti"), &via))
		return ctl_reply_err("via must be cmti, silent or cmt");
	sim_norm_number(from, sender, sizeof(sender));
	o.force_ucs2 = ctl_jbool(req, "ucs2", false);
	o.scts_epoch = ctl_jnum(req, "scts", &d) ? (int64_t)d : net_time(s);
	o.tz_quarters = 32;
	o.concat_ref = ++s->concat_ref & 0xff;
	o.msg_class = -1;
	cls = cJSON_GetObjectItemCaseSensitive(req, "class");
	if (cJSON_IsNumber(cls)) {
		if (cls->valueint < 0 || cls->valueint > 3)
			return ctl_reply_err("class must be 0..3 or null");
		o.msg_class = cls->valueint;
	}
	o.smsc = s->smsc;
	parts = calloc(MAX_DELIVER_PARTS, sizeof(*parts));
	if (!parts)
		return ctl_reply_err("out of memory");
	r = pdu_encode_deliver(sender, text, &o, parts, MAX_DELIVER_PARTS, &n,
			       &why);
	if (r < 0 || n == 0) {
		free(parts);
		return ctl_reply_err(why ? why : "encoding failed");
	}
	for (i = 0; i < n; i++)
		idx[i] = (int)i;
	if (!strcmp(order, "reverse")) {
		for (i = 0; i < n; i++)
			idx[i] = (int)(n - 1 - i);
	} else if (!strcmp(order, "shuffle")) {
		for (i = n - 1; i > 0; i--) {
			int t;

			k = sim_rand(s) % (i + 1);
			t = idx[i];
			idx[i] = idx[k];
			idx[k] = t;
		}
	} else if (strcmp(order, "normal")) {
		free(parts);
		return ctl_reply_err("order must be normal, reverse or shuffle");
	}
	for (rounds = 0; rounds < (dup ? 2 : 1); rounds++) {
		for (i = 0; i < n; i++) {
			struct pdu_part *pp = &parts[idx[i]];

			if (net_deliver(s, sim_strdup(pp->hex), pp->tpdu_len, via,
					false) != 0)
				queued++;
		}
	}
	free(parts);
	reply = ctl_reply_ok();
	cJSON_AddNumberToObject(reply, "parts", (double)n);
	cJSON_AddNumberToObject(reply, "pending", queued);
	return reply;
}

static cJSON *ctl_deliver_pdu(struct sim *s, struct client *c, cJSON *req)
{
	const char *hex = ctl_jstr(req, "pdu", NULL);
	enum via via;
	size_t n;
	char *copy;
	int r;
	cJSON *reply;

	(void)c;
	if (!hex)
		return ctl_reply_err("deliver_pdu needs \"pdu\"");
	n = strlen(hex);
	if (n < 2 || n % 2 || n > MAX_PDU_HEX || !sim_is_hex(hex, n))
		return ctl_reply_err("pdu must be an even number of hex digits "
				 "(at most 255 octets)");
	if (!ctl_parse_via(ctl_jstr(req, "via", "cmti"), &via))
		return ctl_reply_err("via must be cmti, silent or cmt");
	copy = sim_strdup(hex);
	for (char *q = copy; *q; q++)
		*q = toupper((unsigned char)*q);
	r = net_deliver(s, copy, sim_tpdu_len(copy), via,
			ctl_jbool(req, "status_report", false));
	reply = ctl_reply_ok();
	cJSON_AddNumberToObject(reply, "parts", 1);
	cJSON_AddNumberToObject(reply, "pending", r != 0);
	return reply;
}

static cJSON *ctl_sim_state(struct sim *s, struct client *c, cJSON *req)
{
	cJSON *o = ctl_reply_ok(), *arr = cJSON_CreateArray(), *cn;
	int i;

	(void)c;
	(void)req;
	cJSON_AddNumberToObject(o, "used", net_slots_used(s));
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

static cJSON *ctl_fault(struct sim *s, struct client *c, cJSON *req)
{
	const char *kind = ctl_jstr(req, "kind", NULL);
	struct fault *f;
	double d;
	int k;

	(void)c;
	if (!kind)
		return ctl_reply_err("fault needs \"kind\"");
	for (k = 0; k < F_COUNT; k++)
		if (!strcmp(kind, fault_names[k]))
			break;
	if (k == F_COUNT)
		return ctl_reply_err("unknown fault kind");
	f = &s->faults[k];
	f->count = ctl_jnum(req, "count", &d) && d >= 0 && d < 1e6 ?
		   (unsigned)d : 1;
	f->code = ctl_jnum(req, "code", &d) && d >= 0 && d < 1000 ? (int)d : 500;
	f->delay_ms = ctl_jnum(req, "delay_ms", &d) && d >= 0 && d < 600000 ?
		      (int)d : 500;
	snprintf(f->match, sizeof(f->match), "%s", ctl_jstr(req, "match", ""));
	if (k == F_HANGUP) {
		cJSON *o = ctl_reply_ok();

		if (s->master < 0)
			return ctl_reply_err("already hung up");
		cJSON_AddStringToObject(o, "old", s->pts);
		sim_hangup(s, f->delay_ms);
		f->count = 0;
		return o;
	}
	return ctl_reply_ok();
}

static cJSON *ctl_set(struct sim *s, struct client *c, cJSON *req)
{
	cJSON *v;
	double d;
	bool was = net_up(s);
	int old_signal = s->signal;

	(void)c;
	if (ctl_jnum(req, "signal", &d)) {
		if (!((d >= 0 && d <= 31) || d == 99))
			return ctl_reply_err("signal must be 0..31 or 99");
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
	/* the network's clock (Unix seconds) and whether it sends NITZ */
	if (ctl_jnum(req, "network_time", &d))
		s->net_clock_offset = (int64_t)d - (int64_t)time(NULL);
	v = cJSON_GetObjectItemCaseSensitive(req, "nitz");
	if (cJSON_IsBool(v))
		s->nitz_off = !cJSON_IsTrue(v);
	if (was != net_up(s)) {
		net_creg_urc(s, false);
		/* networks send their time on attach */
		net_nitz_urc(s, false);
		if (s->prof->periodic_noise && s->curc)
			sim_urc(s, net_up(s) ? "^SRVST: 2" : "^SRVST: 0");
		net_schedule_flush(s);
	}
	if (old_signal != s->signal && s->prof->periodic_noise && s->curc) {
		char line[32];

		snprintf(line, sizeof(line), "^RSSI: %d", s->signal);
		sim_urc(s, line);
	}
	return ctl_reply_ok();
}

/* Announce the network's time now (+CTZV, when the modem asked). */
static cJSON *ctl_nitz(struct sim *s, struct client *c, cJSON *req)
{
	double d;

	(void)c;
	if (ctl_jnum(req, "time", &d))
		s->net_clock_offset = (int64_t)d - (int64_t)time(NULL);
	net_nitz_urc(s, false);
	return ctl_reply_ok();
}

static cJSON *ctl_sent(struct sim *s, struct client *c, cJSON *req)
{
	cJSON *o = ctl_reply_ok();
	unsigned n;
	cJSON *l = net_sent_list(s, ctl_jstr(req, "to", NULL), false, &n);

	(void)c;
	cJSON_AddItemToObject(o, "sent", l);
	cJSON_AddNumberToObject(o, "complete", n);
	return o;
}

/* Blocks the client until @count messages to @to are complete. */
static cJSON *ctl_wait_sent(struct sim *s, struct client *c, cJSON *req)
{
	const char *to = ctl_jstr(req, "to", NULL);
	double d;
	unsigned k = 1, t = 10000;
	struct event *e;

	if (!to)
		return ctl_reply_err("wait_sent needs \"to\"");
	if (ctl_jnum(req, "count", &d) && d >= 0 && d < 1e6)
		k = (unsigned)d;
	if (ctl_jnum(req, "timeout_ms", &d) && d >= 0 && d < 3.6e6)
		t = (unsigned)d;
	sim_norm_number(to, c->wait_to, sizeof(c->wait_to));
	c->wait_count = k;
	c->waiting = true;
	if (net_count_complete(s, to) >= k) {
		ctl_wait_finish(s, c, false);
		return NULL;
	}
	/* one deadline for the event and the check in ctl_wait_timeout:
	 * read the clock twice and the event may fire a millisecond before
	 * the deadline it checks, and the wait is never answered */
	c->wait_deadline = sim_now_ms() + t;
	e = sim_ev_add(s, c->wait_deadline, EV_CTL_TIMEOUT);
	if (e)
		e->arg = (int)c->id;
	return NULL;
}

static cJSON *ctl_log(struct sim *s, struct client *c, cJSON *req)
{
	cJSON *o = ctl_reply_ok(), *arr = cJSON_CreateArray();
	int i;

	(void)c;
	(void)req;
	for (i = 0; i < s->n_log; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s->log[i]));
	cJSON_AddItemToObject(o, "commands", arr);
	cJSON_AddNumberToObject(o, "dropped", s->log_dropped);
	return o;
}

static cJSON *ctl_reboot(struct sim *s, struct client *c, cJSON *req)
{
	(void)c;
	(void)req;
	if (s->master < 0)
		return ctl_reply_err("modem is unplugged");
	s->entry = false;
	sim_boot(s);
	return ctl_reply_ok();
}

static cJSON *ctl_clear(struct sim *s, struct client *c, cJSON *req)
{
	(void)c;
	(void)req;
	net_clear_sent_log(s);
	return ctl_reply_ok();
}

static cJSON *ctl_ping(struct sim *s, struct client *c, cJSON *req)
{
	cJSON *o = ctl_reply_ok();

	(void)c;
	(void)req;
	cJSON_AddStringToObject(o, "device", s->pts);
	return o;
}

/* The requests of docs/SIMULATOR.md; NULL reply: it comes later. */
static const struct ctl_op {
	const char *name;
	cJSON *(*fn)(struct sim *s, struct client *c, cJSON *req);
} ctl_ops[] = {
	{ "deliver", ctl_deliver },
	{ "deliver_pdu", ctl_deliver_pdu },
	{ "sent", ctl_sent },
	{ "wait_sent", ctl_wait_sent },
	{ "sim", ctl_sim_state },
	{ "log", ctl_log },
	{ "fault", ctl_fault },
	{ "set", ctl_set },
	{ "reboot", ctl_reboot },
	{ "clear", ctl_clear },
	{ "ping", ctl_ping },
	{ "nitz", ctl_nitz },
};

/* One request; NULL when the reply comes later (wait_sent). */
static cJSON *ctl_request(struct sim *s, struct client *c, cJSON *req)
{
	const char *cmd = ctl_jstr(req, "cmd", "");
	size_t i;

	for (i = 0; i < sizeof(ctl_ops) / sizeof(ctl_ops[0]); i++)
		if (!strcmp(cmd, ctl_ops[i].name))
			return ctl_ops[i].fn(s, c, req);
	return ctl_reply_err("unknown cmd");
}

static void ctl_client_input(struct sim *s, struct client *c)
{
	char *nl;

	while (!c->waiting && c->in.len &&
	       (nl = memchr(c->in.p, '\n', c->in.len))) {
		size_t n = nl - c->in.p;
		cJSON *req, *reply;

		*nl = '\0';
		req = cJSON_ParseWithLength(c->in.p, n);
		if (!req || !cJSON_IsObject(req))
			reply = ctl_reply_err("request is not a JSON object");
		else
			reply = ctl_request(s, c, req);
		cJSON_Delete(req);
		buf_consume(&c->in, n + 1);
		if (reply)
			ctl_client_send(s, c, reply);
	}
	if (!c->waiting && c->in.len >= MAX_CTL_LINE) {
		ctl_client_send(s, c, ctl_reply_err("request line too long"));
		c->in.len = 0;
		c->closing = true;
	}
}

/* Close client slot @i and free it. */
void ctl_client_close(struct sim *s, int i)
{
	struct client *c = s->clients[i];

	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	s->clients[i] = NULL;
}

/* Write what the client can take now; a dead peer is closed. */
void ctl_client_flush(struct client *c)
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

/* Accept every waiting connection (up to MAX_CLIENTS). */
void ctl_accept(struct sim *s)
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

/* Read a client's requests and answer the complete lines. */
void ctl_client_read(struct sim *s, struct client *c)
{
	char tmp[8192];

	for (;;) {
		ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);

		if (n > 0) {
			if (!buf_add(&c->in, tmp, (size_t)n, MAX_CTL_LINE + 8192)) {
				ctl_client_send(s, c, ctl_reply_err("request line too long"));
				c->closing = true;
				return;
			}
			ctl_client_input(s, c);
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

/* Listen on PATH.ctl; 0, or -1 with the reason printed. */
int ctl_listen(struct sim *s)
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


/* The wait_sent deadline of client @id has passed: answer "timeout". */
void ctl_wait_timeout(struct sim *s, unsigned id)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = s->clients[i];

		if (c && c->id == id && c->waiting &&
		    sim_now_ms() >= c->wait_deadline) {
			ctl_wait_finish(s, c, true);
			ctl_client_input(s, c);
		}
	}
}

/* At exit: close every client and the socket, remove PATH.ctl. */
void ctl_fini(struct sim *s)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (s->clients[i])
			ctl_client_close(s, i);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	if (s->ctl_path[0])
		unlink(s->ctl_path);
}
