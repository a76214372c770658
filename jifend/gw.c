/* SPDX-License-Identifier: MIT */
/*
 * gw.c - the gateway pipeline (see gw.h): inbound commit-then-delete,
 * one transaction per handled message, the durable outbox feeding the
 * modem one part at a time, and one-shot timers derived from the store.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jifend/gw.h"
#include "gateway/clock.h"
#include "gateway/handlers.h"
#include "gateway/log.h"
#include "modem/modem.h"
#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/village.h"

#define GW_CONCAT_DEADLINE_S	600	/* SPEC §8: 10 minutes */
#define GW_SEND_MAX_ATTEMPTS	5
#define GW_BATCH		32	/* messages handled per round */
#define GW_RETRY_MS		5000	/* after a busy database, at most */
#define GW_RETRY_MIN_MS		100	/* first retry after a store error */
#define GW_PRUNE_S		86400
#define GW_KEEP_DAYS		90
/* status key jifen-sync writes: the sync server's Date (Unix seconds or
 * the HTTP-date), updated_at = the system clock when it was received */
#define GW_SYNC_DATE_KEY	"sync.server_date"

struct gw {
	struct store *st;
	const struct config *cfg;
	struct modem *modem;
	bool sending;			/* one part in flight */
	long long send_part;
	int send_attempts;
	/* a part the modem sent whose "sent" could not be recorded yet:
	 * recorded before anything else is sent, never sent again */
	bool unrecorded;
	long long unrecorded_part;
	int unrecorded_mr;
	unsigned store_fails;		/* store errors in a row: backoff */
	/* one-shot deadlines, CLOCK_MONOTONIC ms, -1 when unarmed */
	int64_t t_work;			/* inbox/outbox work due */
	int64_t t_prune;
	struct modem_status last_status;
	/* the time the gateway believes (gateway/clock.h) */
	struct clock *clock;
	struct clock_reading clock_written;	/* last in the status table */
	int64_t sync_date_seen;			/* its updated_at, 0: none */
};

/* The wall-clock time to date things with: the system clock, or the
 * network's time when the system clock is unset or wrong (SPEC §13). */
static int64_t wall_now(const struct gw *gw)
{
	return clock_now(gw->clock, (int64_t)time(NULL), loop_now());
}

/* Monotonic deadline for wall-clock time @t (seconds). */
static int64_t mono_at(const struct gw *gw, int64_t t)
{
	int64_t now = wall_now(gw);

	if (t <= now)
		return loop_now();
	return loop_now() + (t - now) * 1000;
}

static void arm(int64_t *slot, int64_t when)
{
	if (*slot < 0 || when < *slot)
		*slot = when;
}

/* --- time sources (SPEC §13, gateway/clock.h) ------------------------ */

/* Write clock.source and clock.offset when they change (by more than a
 * couple of seconds: the two clocks drift apart slowly). */
static void gw_clock_status(struct gw *gw)
{
	struct clock_reading r, *w = &gw->clock_written;
	int64_t sys = (int64_t)time(NULL), d;
	char buf[32];

	clock_reading(gw->clock, sys, loop_now(), &r);
	d = r.offset - w->offset;
	if (r.source == w->source && d >= -2 && d <= 2 && w->now)
		return;
	if (r.source != w->source)
		log_notice("clock: %s (%+lld s from the system clock)",
			   r.source == CLOCK_SRC_SYSTEM ?
			   "the system clock agrees with the network" :
			   clock_source_name(r.source),
			   (long long)r.offset);
	store_status_set(gw->st, "clock.source", clock_source_name(r.source),
			 r.now);
	snprintf(buf, sizeof(buf), "%lld", (long long)r.offset);
	store_status_set(gw->st, "clock.offset", buf, r.now);
	*w = r;
}

/* The network said it is @utc (Unix seconds) now. */
static void gw_clock_learn(struct gw *gw, enum clock_source src, int64_t utc)
{
	if (clock_learn(gw->clock, src, utc, (int64_t)time(NULL), loop_now()))
		gw_clock_status(gw);
}

struct sync_date {
	int64_t value;		/* the server's Date, Unix seconds */
	int64_t at;		/* system clock when it was recorded */
};

static int gw_find_sync_date(const char *key, const char *value,
			     int64_t updated_at, void *data)
{
	struct sync_date *sd = data;
	char *end;
	long long v;

	if (strcmp(key, GW_SYNC_DATE_KEY))
		return 0;
	v = strtoll(value, &end, 10);
	if (end == value || *end) {
		if (clock_parse_http_date(value, &sd->value) < 0)
			return 0;
	} else {
		sd->value = v;
	}
	sd->at = updated_at;
	return 0;
}

/*
 * jifen-sync records the server's Date header in the status table
 * (GW_SYNC_DATE_KEY, written with the system clock of that moment); a
 * new one is a time sample.  Looked at with the health checks.
 */
static void gw_clock_from_sync(struct gw *gw)
{
	struct sync_date sd = { 0, 0 };
	int64_t sys = (int64_t)time(NULL);

	if (store_status_list(gw->st, gw_find_sync_date, &sd) < 0 ||
	    !sd.at || sd.at == gw->sync_date_seen)
		return;
	gw->sync_date_seen = sd.at;
	/* anchored where it was taken: sys - at seconds ago */
	if (sd.at <= sys &&
	    clock_learn(gw->clock, CLOCK_SRC_SYNC, sd.value, sd.at,
			loop_now() - (sys - sd.at) * 1000))
		gw_clock_status(gw);
}

/*
 * The database, not the message, is in trouble (locked, full, I/O
 * error): the work waits and is retried, 100 ms, 200 ms ... 5 s later.
 */
static bool gw_store_trouble(int err)
{
	return err == -EBUSY || err == -EIO || err == -ENOSPC ||
	       err == -ENOMEM;
}

static void gw_retry_later(struct gw *gw)
{
	int64_t ms = GW_RETRY_MIN_MS;
	unsigned i;

	for (i = 0; i < gw->store_fails && ms < GW_RETRY_MS; i++)
		ms *= 2;
	if (ms > GW_RETRY_MS)
		ms = GW_RETRY_MS;
	gw->store_fails++;
	gw->t_work = loop_now() + ms;
}

static void gw_modem_log(int level, const char *fmt, va_list ap, void *data)
{
	(void)data;
	log_vmsg(level, fmt, ap);
}

static void gw_modem_trace(char dir, const char *text, size_t len,
			   void *data)
{
	(void)data;
	if (!log_at_trace() || !log_enabled(LOG_DEBUG))
		return;
	/* the raw trace holds numbers and text: only on request */
	log_debug("AT %c %.*s", dir, (int)len, text);
}

/* Normalised sender, or the raw text for alphanumeric senders. */
static void gw_sender(const struct sms_pdu *p, char *out, size_t len)
{
	if (p->addr_alnum || phone_normalize(p->addr, out, len) < 0)
		snprintf(out, len, "%s", p->addr);
}

/*
 * Commit one batch from the modem: text parts into the inbox, delivery
 * reports onto the outbox, everything else into the audit log.  Only
 * after the commit are the messages deleted from the SIM.
 */
static void gw_on_sms(struct modem *m, const struct modem_sms *msgs,
		      size_t n, void *data)
{
	struct gw *gw = data;
	struct store_inbox_part *parts;
	char (*senders)[PHONE_MAX + 48];
	int64_t now;
	size_t i, np = 0;
	int err;

	/* service-centre timestamps: a lower bound of the time (clock.h) */
	for (i = 0; i < n; i++) {
		const struct sms_pdu *p = &msgs[i].pdu;

		if (msgs[i].kind == MODEM_SMS_STATUS_REPORT &&
		    p->discharge.present)
			gw_clock_learn(gw, CLOCK_SRC_SMS, p->discharge.epoch);
		else if (msgs[i].kind == MODEM_SMS_TEXT && p->scts.present)
			gw_clock_learn(gw, CLOCK_SRC_SMS, p->scts.epoch);
	}
	now = wall_now(gw);

	parts = calloc(n, sizeof(*parts));
	senders = calloc(n, sizeof(*senders));
	if (!parts || !senders) {
		log_err("out of memory for %zu received messages", n);
		goto out;
	}
	/*
	 * The one durable commit of the pipeline: these messages leave the
	 * SIM once it returns.  Everything after it (handling, replies,
	 * sent marks) commits lazily: a power cut can only make the gateway
	 * redo that work (at worst a repeated answer), never lose an SMS.
	 */
	for (i = 0; i < n; i++)
		if (msgs[i].kind == MODEM_SMS_TEXT)
			break;
	/* a lost delivery report or audit row costs nothing: lazy */
	store_set_durable(gw->st, i < n);
	err = store_begin(gw->st);
	if (err < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const struct modem_sms *s = &msgs[i];
		const struct sms_pdu *p = &s->pdu;
		char detail[160];

		switch (s->kind) {
		case MODEM_SMS_TEXT:
			gw_sender(p, senders[i], sizeof(senders[i]));
			parts[np].sender = senders[i];
			parts[np].scts = p->scts.present ? p->scts.iso : "";
			parts[np].scts_epoch = p->scts.present ?
				p->scts.epoch : 0;
			if (p->concat.present) {
				parts[np].ref = p->concat.ref;
				parts[np].total = p->concat.total;
				parts[np].seq = p->concat.seq;
			}
			parts[np].text = p->text;
			parts[np].alphabet = pdu_alphabet_name(p->alphabet);
			parts[np].msg_class = p->msg_class;
			parts[np].pdu = s->pdu_hex;
			np++;
			break;
		case MODEM_SMS_STATUS_REPORT:
			gw_sender(p, senders[i], sizeof(senders[i]));
			err = store_outbox_report(gw->st, senders[i],
						  p->message_ref, p->status,
						  now, NULL);
			if (err < 0 && err != -ENOENT)
				goto fail;
			break;
		case MODEM_SMS_NON_TEXT:
		case MODEM_SMS_UNDECODABLE:
			snprintf(detail, sizeof(detail), "index %d: %s",
				 s->index, s->why ? s->why : "not text");
			err = store_audit(gw->st, now, "modem",
					  s->kind == MODEM_SMS_NON_TEXT ?
					  "sms.non_text" : "sms.undecodable",
					  detail);
			if (err < 0)
				goto fail;
			log_notice("deleting %s PDU at SIM index %d (%s)",
				   s->kind == MODEM_SMS_NON_TEXT ?
				   "non-text" : "undecodable", s->index,
				   s->why ? s->why : "-");
			break;
		}
	}
	if (np) {
		err = store_inbox_add(gw->st, parts, np, now, NULL);
		if (err < 0)
			goto fail;
	}
	err = store_commit(gw->st);
	if (err < 0)
		goto fail_nocommit;
	/* durable: now the SIM copies may go */
	for (i = 0; i < n; i++)
		if (msgs[i].index >= 0)
			modem_delete(m, msgs[i].index);
	store_set_durable(gw->st, false);
	log_debug("committed %zu received PDUs (%zu text)", n, np);
	gw->t_work = loop_now();
	goto out;
fail:
	store_rollback(gw->st);
fail_nocommit:
	store_set_durable(gw->st, false);
	/* not deleted: the modem lists them again shortly */
	log_err("cannot store %zu received messages: %s; they stay on the SIM",
		n, strerror(-err));
	for (i = 0; i < n; i++)
		modem_release(m, msgs[i].index);
out:
	free(parts);
	free(senders);
}

static void gw_on_state(struct modem *m, enum modem_state old,
			enum modem_state state, void *data)
{
	struct gw *gw = data;

	(void)m;
	(void)old;		/* the engine logs the transition */
	if (state == MODEM_READY)
		gw->t_work = loop_now();
	gw_write_status(gw);
}

/* NITZ through the modem: the most trusted time source (clock.h). */
static void gw_on_network_time(struct modem *m, int64_t utc, void *data)
{
	(void)m;
	gw_clock_learn(data, CLOCK_SRC_NITZ, utc);
}

static void gw_on_storage_low(struct modem *m, int used, int total,
			      void *data)
{
	(void)m;
	(void)data;
	log_warn("SIM message storage nearly full: %d of %d", used, total);
}

static void gw_modem_config(const struct gw *gw, struct modem_config *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->device = gw->cfg->modem.device;
	mc->baud = gw->cfg->modem.baud;
	mc->pin = gw->cfg->modem.pin;
	mc->smsc = gw->cfg->modem.smsc;
	mc->health_interval_s = (unsigned)gw->cfg->modem.health_interval;
	mc->cancel_entry = true;	/* a killed jifend may leave "> " open */
	mc->log = gw_modem_log;
	mc->trace = gw_modem_trace;
	mc->state_changed = gw_on_state;
	mc->sms = gw_on_sms;
	mc->storage_low = gw_on_storage_low;
	mc->network_time = gw_on_network_time;
	mc->data = (void *)gw;
}

static void gw_send_next(struct gw *gw);

static void gw_on_sent(int err, int mr, const struct at_error *e,
		       void *data)
{
	struct gw *gw = data;
	int64_t now = wall_now(gw);
	int rc;

	gw->sending = false;
	if (!err) {
		rc = store_outbox_part_sent(gw->st, gw->send_part, mr, now);
		if (rc < 0) {
			/* it went out: never send it again, record it later */
			log_err("cannot record sent part %lld: %s; retrying",
				gw->send_part, strerror(-rc));
			gw->unrecorded = true;
			gw->unrecorded_part = gw->send_part;
			gw->unrecorded_mr = mr;
			gw_retry_later(gw);
			return;
		}
	} else {
		char why[128];
		int64_t next = 0;
		int attempts = gw->send_attempts + 1;

		snprintf(why, sizeof(why), "%s%s%s", strerror(-err),
			 e && e->type != AT_ERR_NONE ? ": " : "",
			 e && e->type != AT_ERR_NONE ? at_error_text(e) : "");
		/*
		 * A lost modem is not the message's fault: retry as soon as
		 * it is back.  Otherwise back off 2 s, 4 s, 8 s ... and give
		 * up after GW_SEND_MAX_ATTEMPTS: the message shows as failed.
		 */
		if (err == -ENOTCONN || err == -ECANCELED)
			next = now;
		else if (attempts < GW_SEND_MAX_ATTEMPTS)
			next = now + (2LL << gw->send_attempts);
		rc = store_outbox_part_failed(gw->st, gw->send_part, why, now,
					      next);
		if (rc < 0)
			log_err("cannot record failed part %lld: %s",
				gw->send_part, strerror(-rc));
		if (next)
			log_warn("sending part %lld failed (%s), retry in %llds",
				 gw->send_part, why,
				 (long long)(next - now));
		else
			log_err("sending part %lld failed for good: %s",
				gw->send_part, why);
	}
	gw->t_work = loop_now();
}

static bool gw_modem_ready(const struct gw *gw)
{
	struct modem_status ms;

	modem_get_status(gw->modem, &ms);
	return ms.state == MODEM_READY;
}

/* Hand the next due part to the modem (one in flight at a time). */
static void gw_send_next(struct gw *gw)
{
	struct store_out_part part;
	int err;

	if (gw->sending)
		return;
	if (gw->unrecorded) {
		err = store_outbox_part_sent(gw->st, gw->unrecorded_part,
					     gw->unrecorded_mr, wall_now(gw));
		if (err < 0) {
			gw_retry_later(gw);
			return;
		}
		gw->unrecorded = false;
		gw->store_fails = 0;
	}
	if (!gw_modem_ready(gw))
		return;
	err = store_outbox_next_due(gw->st, wall_now(gw), &part);
	if (err < 0) {
		if (err != -ENOENT)
			log_err("outbox: %s", strerror(-err));
		return;
	}
	err = modem_send_pdu(gw->modem, part.pdu, (size_t)part.tpdu_len,
			     gw_on_sent, gw);
	if (err < 0) {
		log_warn("modem refused part %lld: %s", part.id,
			 strerror(-err));
		return;
	}
	gw->sending = true;
	gw->send_part = part.id;
	gw->send_attempts = part.attempts;
}

/* Handle one ready message; false when the round should stop. */
static bool gw_handle_one(struct gw *gw, int64_t now)
{
	struct store_inbox_msg msg;
	struct handler_ctx ctx = { gw->st, gw->cfg, now };
	struct handler_result res;
	char who[64], what[64];
	int err;

	memset(&msg, 0, sizeof(msg));
	err = store_inbox_next_ready(gw->st, now, GW_CONCAT_DEADLINE_S, &msg);
	if (err == -ENOENT)
		return false;
	if (err < 0) {
		log_err("inbox: %s", strerror(-err));
		gw_retry_later(gw);
		return false;
	}
	memset(&res, 0, sizeof(res));
	err = store_begin(gw->st);
	if (!err) {
		err = handler_sms(&ctx, &msg, &res);
		if (!err)
			err = store_inbox_done(gw->st, &msg, now);
		if (!err)
			err = store_commit(gw->st);
		else
			store_rollback(gw->st);
	}
	if (gw_store_trouble(err)) {
		/*
		 * jifenctl holds the lock, the disk is full or failed: the
		 * transaction was rolled back whole, the message waits and
		 * is handled (and answered) on a later try.
		 */
		log_warn("message %lld waits: %s", msg.id, strerror(-err));
		store_inbox_msg_release(&msg);
		gw_retry_later(gw);
		return false;
	}
	if (err < 0) {
		/*
		 * The handler cannot process it (a bug or a broken
		 * database): mark it processed without reply so one bad
		 * message cannot block the queue; it stays in the inbox.
		 */
		log_err("message %lld from %s failed: %s; marked processed",
			msg.id, log_phone(msg.sender, who, sizeof(who)),
			strerror(-err));
		if (store_inbox_done(gw->st, &msg, now) < 0) {
			store_inbox_msg_release(&msg);
			gw_retry_later(gw);
			return false;
		}
	} else {
		log_info("message %lld from %s %s%s: %s, %s",
			 msg.id, log_phone(msg.sender, who, sizeof(who)),
			 log_text(msg.text, what, sizeof(what)),
			 msg.incomplete ? " (incomplete)" : "",
			 cmd_kind_name(res.kind),
			 handler_outcome_name(res.outcome));
	}
	gw->store_fails = 0;
	store_inbox_msg_release(&msg);
	return true;
}

static void gw_finalize(struct gw *gw, int64_t now)
{
	struct handler_ctx ctx = { gw->st, gw->cfg, now };
	long count = 0;
	int err;

	err = store_begin(gw->st);
	if (err < 0)
		return;
	err = handler_finalize_due(&ctx, &count);
	if (!err)
		err = store_commit(gw->st);
	else
		store_rollback(gw->st);
	if (err < 0)
		log_err("closing 公示: %s", strerror(-err));
	else if (count)
		log_info("%ld records left 公示 and are final", count);
}

/* Next wall-clock time anything in the store needs us, or -1. */
static int64_t gw_store_wakeup(struct gw *gw)
{
	int64_t best = -1, t;

	/*
	 * The outbox only matters when a part can go: while one is in
	 * flight its completion re-arms t_work, and while the modem is not
	 * READY the state change to READY does (a due part would otherwise
	 * wake the loop again at once: a busy loop while the modem is lost).
	 */
	if (!gw->sending && !gw->unrecorded && gw_modem_ready(gw) &&
	    store_outbox_next_wakeup(gw->st, &t) == 0)
		best = t;
	if (store_inbox_next_deadline(gw->st, GW_CONCAT_DEADLINE_S, &t) == 0)
		best = best < 0 || t < best ? t : best;
	if (store_records_next_due(gw->st, &t) == 0)
		best = best < 0 || t < best ? t : best;
	return best;
}

/* What one handled message was, for the log after the commit. */
struct gw_done {
	long long id;
	char who[64], what[64];
	bool incomplete;
	enum cmd_kind kind;
	enum handler_outcome outcome;
};

/*
 * Group commit: handle up to GW_BATCH ready messages in ONE transaction,
 * so a burst costs one disk sync instead of one per message.  Nothing
 * is sent before the commit, so a crash redoes the whole batch and
 * answers each message once.  Returns the number handled, 0 when the
 * inbox is empty, or -1 when something failed: the batch was rolled
 * back and the caller handles the messages one by one instead.
 */
static int gw_handle_batch(struct gw *gw, int64_t now)
{
	struct handler_ctx ctx = { gw->st, gw->cfg, now };
	struct gw_done *done;
	int n = 0, i, err;

	done = calloc(GW_BATCH, sizeof(*done));
	if (!done || store_begin(gw->st) < 0) {
		free(done);
		return -1;
	}
	for (err = 0; n < GW_BATCH && !err; n++) {
		struct store_inbox_msg msg;
		struct handler_result res;

		memset(&msg, 0, sizeof(msg));
		memset(&res, 0, sizeof(res));
		err = store_inbox_next_ready(gw->st, now, GW_CONCAT_DEADLINE_S,
					     &msg);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (!err)
			err = handler_sms(&ctx, &msg, &res);
		if (!err)
			err = store_inbox_done(gw->st, &msg, now);
		done[n].id = msg.id;
		log_phone(msg.sender, done[n].who, sizeof(done[n].who));
		log_text(msg.text, done[n].what, sizeof(done[n].what));
		done[n].incomplete = msg.incomplete;
		done[n].kind = res.kind;
		done[n].outcome = res.outcome;
		store_inbox_msg_release(&msg);
	}
	if (!err)
		err = store_commit(gw->st);
	else
		store_rollback(gw->st);
	if (err < 0) {
		free(done);
		return -1;
	}
	for (i = 0; i < n; i++)
		log_info("message %lld from %s %s%s: %s, %s", done[i].id,
			 done[i].who, done[i].what,
			 done[i].incomplete ? " (incomplete)" : "",
			 cmd_kind_name(done[i].kind),
			 handler_outcome_name(done[i].outcome));
	free(done);
	gw->store_fails = 0;
	return n;
}

/* Everything the store says is due: inbox, 公示, outbox. */
static void gw_work(struct gw *gw)
{
	int64_t now = wall_now(gw), t;
	int i, n;

	gw->t_work = -1;
	gw_finalize(gw, now);
	n = gw_handle_batch(gw, now);
	if (n < 0) {
		/* one message or the store failed: one at a time, each
		 * with its own error handling */
		for (i = 0; i < GW_BATCH; i++)
			if (!gw_handle_one(gw, now))
				break;
		n = i;
	}
	if (n == GW_BATCH)
		gw->t_work = loop_now();	/* more: after other I/O */
	gw_send_next(gw);
	t = gw_store_wakeup(gw);
	if (t >= 0)
		arm(&gw->t_work, mono_at(gw, t <= now ? now : t));
}

struct gw *gw_new(struct store *st, const struct config *cfg)
{
	struct modem_config mc;
	struct gw *gw = calloc(1, sizeof(*gw));

	if (!gw)
		return NULL;
	gw->st = st;
	gw->cfg = cfg;
	gw->t_work = -1;
	gw->t_prune = -1;
	gw->clock = clock_new();
	gw_modem_config(gw, &mc);
	gw->modem = modem_new(&mc);
	if (!gw->modem || !gw->clock) {
		modem_free(gw->modem);
		clock_free(gw->clock);
		free(gw);
		return NULL;
	}
	return gw;
}

void gw_free(struct gw *gw)
{
	if (!gw)
		return;
	modem_free(gw->modem);
	clock_free(gw->clock);
	free(gw);
}

int gw_start(struct gw *gw)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)wall_now(gw));
	store_status_set(gw->st, "started_at", buf, wall_now(gw));
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	store_status_set(gw->st, "pid", buf, wall_now(gw));
	/* uptime from the machine's monotonic clock, which a wrong or
	 * jumping wall clock cannot disturb (jifenctl status) */
	snprintf(buf, sizeof(buf), "%lld", (long long)(loop_now() / 1000));
	store_status_set(gw->st, "started_mono", buf, wall_now(gw));
	gw_clock_from_sync(gw);
	gw_clock_status(gw);
	gw->t_work = loop_now();
	gw->t_prune = loop_now() + 60 * 1000;
	store_set_durable(gw->st, false);	/* see gw_on_sms() */
	return modem_start(gw->modem, loop_now());
}

void gw_kick(struct gw *gw)
{
	arm(&gw->t_work, loop_now());
}

void gw_reconfigure(struct gw *gw)
{
	struct modem_config mc;

	gw_modem_config(gw, &mc);
	modem_set_config(gw->modem, &mc, loop_now());
	gw->t_work = loop_now();
}

void gw_write_status(struct gw *gw)
{
	struct modem_status s;
	int64_t now = wall_now(gw);
	char buf[64];

	modem_get_status(gw->modem, &s);
	gw->last_status = s;
	store_status_set(gw->st, "modem.state", modem_state_name(s.state),
			 now);
	store_status_set(gw->st, "modem.manufacturer", s.manufacturer, now);
	store_status_set(gw->st, "modem.model", s.model, now);
	store_status_set(gw->st, "modem.sim", s.sim_state, now);
	snprintf(buf, sizeof(buf), "%d", s.signal_csq);
	store_status_set(gw->st, "modem.signal_csq", buf, now);
	snprintf(buf, sizeof(buf), "%d", s.reg_stat);
	store_status_set(gw->st, "modem.registration", buf, now);
	snprintf(buf, sizeof(buf), "%d/%d", s.sms_used, s.sms_total);
	store_status_set(gw->st, "modem.sms_storage", buf, now);
	store_status_set(gw->st, "modem.last_error", s.last_error, now);
	snprintf(buf, sizeof(buf), "%u", s.reopens);
	store_status_set(gw->st, "modem.reopens", buf, now);
	/* outq_allowed() never answers it (no auto-reply loop); "" unknown */
	if (!s.own_number[0] ||
	    phone_normalize(s.own_number, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	store_status_set(gw->st, "own_number", buf, now);
}

/* Status changed in a way worth writing (not on every wakeup). */
static bool gw_status_changed(const struct gw *gw)
{
	struct modem_status s;
	const struct modem_status *o = &gw->last_status;

	modem_get_status(gw->modem, &s);
	return s.state != o->state || s.signal_csq != o->signal_csq ||
	       s.reg_stat != o->reg_stat || s.sms_used != o->sms_used ||
	       strcmp(s.sim_state, o->sim_state) ||
	       strcmp(s.last_error, o->last_error);
}

/* --- loop source ------------------------------------------------------ */

static int gw_src_fd(void *data)
{
	struct gw *gw = data;

	return modem_fd(gw->modem);
}

static short gw_src_events(void *data)
{
	struct gw *gw = data;

	return modem_events(gw->modem);
}

static void gw_src_dispatch(void *data, short revents, int64_t now)
{
	struct gw *gw = data;

	modem_dispatch(gw->modem, revents, now);
	if (gw->t_work >= 0 && gw->t_work <= loop_now())
		gw_work(gw);
}

static int64_t gw_src_deadline(void *data)
{
	struct gw *gw = data;
	int64_t d = modem_deadline(gw->modem);

	if (gw->t_work >= 0 && (d < 0 || gw->t_work < d))
		d = gw->t_work;
	return d;
}

static void gw_src_timeout(void *data, int64_t now)
{
	struct gw *gw = data;
	int64_t d = modem_deadline(gw->modem);

	if (d >= 0 && d <= now) {
		modem_timeout(gw->modem, now);
		if (gw_status_changed(gw))
			gw_write_status(gw);
		/*
		 * The modem's timers (health check, bring-up) also look at
		 * the store: work jifenctl queued (a console review's
		 * notifications) goes out by the next health check at the
		 * latest, even when jifenctl could not wake us (gw_kick).
		 */
		arm(&gw->t_work, now);
		gw_clock_from_sync(gw);
		gw_clock_status(gw);
		/*
		 * The daily prune rides on a health check instead of
		 * waking the daemon itself: an idle gateway wakes once per
		 * modem.health_interval and for nothing else.
		 */
		if (gw->t_prune >= 0 && gw->t_prune <= now) {
			long n = 0;

			if (store_prune(gw->st, wall_now(gw), GW_KEEP_DAYS,
					&n) == 0 && n)
				log_info("pruned %ld old queue rows", n);
			gw->t_prune = now + (int64_t)GW_PRUNE_S * 1000;
		}
	}
	if (gw->t_work >= 0 && gw->t_work <= now)
		gw_work(gw);
}

const struct loop_source_ops gw_source_ops = {
	.fd = gw_src_fd,
	.events = gw_src_events,
	.dispatch = gw_src_dispatch,
	.deadline = gw_src_deadline,
	.timeout = gw_src_timeout,
};
