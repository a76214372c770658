/* SPDX-License-Identifier: MIT */
/*
 * gw.c - the gateway pipeline (see gw.h): inbound commit-then-delete,
 * one transaction per handled message, the durable outbox feeding the
 * modem one part at a time, and one-shot timers derived from the store.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jifend/gw.h"
#include "gateway/clock.h"
#include "gateway/balance.h"
#include "gateway/handlers.h"
#include "gateway/log.h"
#include "modem/modem.h"
#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/status.h"
#include "storage/village.h"

#define GW_CONCAT_DEADLINE_S	600	/* SPEC §8: 10 minutes */
#define GW_SEND_MAX_ATTEMPTS	5
#define GW_BATCH		32	/* messages handled per round */
#define GW_RETRY_MS		5000	/* after a busy database, at most */
#define GW_RETRY_MIN_MS		100	/* first retry after a store error */
#define GW_PRUNE_S		86400
#define GW_KEEP_DAYS		90

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
	int64_t digest_next;		/* wall time of the next digest, 0:
					 * compute at the next work round */
	/* one-shot deadlines, CLOCK_MONOTONIC ms, -1 when unarmed */
	int64_t t_work;			/* inbox/outbox work due */
	int64_t t_prune;
	int64_t data_version;		/* others' commits, last looked at */
	bool data_version_known;
	int64_t t_balance;		/* next SIM balance check (USSD) */
	struct modem_status last_status;
	/* reliability (docs/ROBUSTNESS.md) */
	struct loop *loop;		/* quit when the database is lost */
	bool dead;			/* database gone or corrupt: stop */
	int *rel;			/* SIM indexes to hand up again ... */
	size_t nrel, rel_cap;
	int64_t t_release;		/* ... at this deadline (backoff) */
	unsigned rel_fails;
	int64_t t_backup;		/* daily automatic backup */
	int64_t clock_off;		/* wall - monotonic ms, for jumps */
	void (*work_hook)(void *data);	/* after each gw_work (sync) */
	void *work_hook_data;
	/* the time the gateway believes (gateway/clock.h) */
	struct clock *clock;
	struct clock_reading clock_written;	/* last in the status table */
	int64_t sync_date_seen;			/* its updated_at, 0: none */
};

/* Test hook (gw_fault_clock): seconds added to the wall clock. */
static int64_t gw_clock_skew;

void gw_fault_clock(int64_t seconds)
{
	gw_clock_skew = seconds;
}

/* The system clock (with the test hook's skew). */
static int64_t sys_now(void)
{
	return (int64_t)time(NULL) + gw_clock_skew;
}

/* The wall-clock time to date things with: the system clock, or the
 * network's time when the system clock is unset or wrong (SPEC §13). */
static int64_t wall_now(const struct gw *gw)
{
	return clock_now(gw->clock, sys_now(), loop_now());
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
	int64_t sys = sys_now(), d;
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
	store_status_set(gw->st, STATUS_CLOCK_SOURCE, clock_source_name(r.source),
			 r.now);
	snprintf(buf, sizeof(buf), "%lld", (long long)r.offset);
	store_status_set(gw->st, STATUS_CLOCK_OFFSET, buf, r.now);
	*w = r;
}

/* The network said it is @utc (Unix seconds) now. */
static void gw_clock_learn(struct gw *gw, enum clock_source src, int64_t utc)
{
	if (clock_learn(gw->clock, src, utc, sys_now(), loop_now()))
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

	if (strcmp(key, STATUS_SYNC_SERVER_DATE))
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
 * (STATUS_SYNC_SERVER_DATE, written with the system clock of that moment); a
 * new one is a time sample.  Looked at with the health checks.
 */
static void gw_clock_from_sync(struct gw *gw)
{
	struct sync_date sd = { 0, 0 };
	int64_t sys = sys_now();

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

/*
 * The database is gone (deleted or replaced under us) or corrupt:
 * nothing more may be taken off the SIM.  Say so in the log and, where
 * the file can still be written, in `jifenctl status`, and stop with a
 * failure exit so the supervisor notices (a restart refuses a missing
 * or corrupt database with the same line).
 */
static void gw_die(struct gw *gw, const char *why)
{
	if (gw->dead)
		return;
	gw->dead = true;
	log_msg(LOG_CRIT, "%s: no more messages are taken off the SIM; stopping "
		 "(docs/OPERATIONS.md: restore from a backup)", why);
	if (!store_file_gone(gw->st))
		store_status_set(gw->st, STATUS_DATABASE, why, wall_now(gw));
	if (gw->loop)
		loop_quit(gw->loop);
}

/*
 * Is the database still sound?  Checked before anything is deleted from
 * the SIM and after store errors: a deleted or replaced file (its link
 * count, cheap) and, after SQLite reported corruption, quick_check.
 */
static bool gw_store_sound(struct gw *gw)
{
	char why[256];

	if (gw->dead)
		return false;
	if (store_file_gone(gw->st)) {
		snprintf(why, sizeof(why), "database %s was deleted or "
			 "replaced while running", store_path(gw->st));
		gw_die(gw, why);
		return false;
	}
	if (store_corruption_seen(gw->st) &&
	    store_quick_check(gw->st, why, sizeof(why)) == -EUCLEAN) {
		gw_die(gw, why);
		return false;
	}
	return true;
}

/*
 * A batch could not be committed (the database is busy, full or
 * failing): its SIM indexes are handed back to the modem engine, which
 * lists them again, after 1 s, 2 s, 4 s ... 5 min - never a 1 s loop.
 */
#define GW_RELEASE_MIN_MS	1000
#define GW_RELEASE_MAX_MS	300000

static int64_t gw_release_later(struct gw *gw, const struct modem_sms *msgs,
				size_t n)
{
	int64_t ms = GW_RELEASE_MIN_MS;
	size_t i;
	unsigned k;

	for (i = 0; i < n; i++) {
		if (msgs[i].index < 0)
			continue;
		if (gw->nrel == gw->rel_cap) {
			size_t cap = gw->rel_cap ? gw->rel_cap * 2 : 16;
			int *r = realloc(gw->rel, cap * sizeof(*r));

			if (!r) {
				/* cannot hold it back: the modem re-lists */
				modem_release(gw->modem, msgs[i].index);
				continue;
			}
			gw->rel = r;
			gw->rel_cap = cap;
		}
		gw->rel[gw->nrel++] = msgs[i].index;
	}
	for (k = 0; k < gw->rel_fails && ms < GW_RELEASE_MAX_MS; k++)
		ms *= 2;
	if (ms > GW_RELEASE_MAX_MS)
		ms = GW_RELEASE_MAX_MS;
	gw->rel_fails++;
	if (gw->t_release < 0)
		gw->t_release = loop_now() + ms;
	return gw->t_release - loop_now();
}

static void gw_release_due(struct gw *gw)
{
	size_t i;

	gw->t_release = -1;
	for (i = 0; i < gw->nrel; i++)
		modem_release(gw->modem, gw->rel[i]);
	gw->nrel = 0;
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

/* One member of a batch that cannot be stored as what it claims to be:
 * kept in the audit log (with its PDU) and deleted, never retried. */
static int gw_audit_bad(struct gw *gw, const struct modem_sms *s,
			const char *action, const char *why, int64_t now)
{
	char detail[700];
	int err;

	snprintf(detail, sizeof(detail), "index %d: %s; pdu %.600s", s->index,
		 why, s->pdu_hex ? s->pdu_hex : "");
	err = store_audit(gw->st, now, "modem", action, detail);
	if (err < 0)
		return err;
	log_notice("deleting %s PDU at SIM index %d (%s)",
		   !strcmp(action, "sms.non_text") ? "non-text" :
		   "undecodable", s->index, why);
	return 0;
}

static bool gw_repair(struct gw *gw, const struct modem_sms *s,
		      char *sender, size_t slen, int64_t now, int *err);

/*
 * Store one member of a batch inside the batch's transaction.  Only
 * trouble with the database itself (busy, full, I/O) fails the batch;
 * a member the store refuses (an empty sender, a report for no known
 * number) is audited instead, so one bad message never holds up the
 * others (SPEC §10).
 */
static int gw_store_one(struct gw *gw, const struct modem_sms *s,
			char *sender, size_t slen, int64_t now)
{
	const struct sms_pdu *p = &s->pdu;
	struct store_inbox_part part;
	char why[96];
	int err;

	switch (s->kind) {
	case MODEM_SMS_TEXT:
		gw_sender(p, sender, slen);
		if (!sender[0])
			return gw_audit_bad(gw, s, "sms.undecodable",
					    "no sender address", now);
		memset(&part, 0, sizeof(part));
		part.sender = sender;
		/* an unreadable stamp (lenient decode) still tells two
		 * messages apart for the dedup key: its raw octets */
		part.scts = p->scts.present ? p->scts.iso : p->scts.raw;
		part.scts_epoch = p->scts.present ? p->scts.epoch : 0;
		if (p->concat.present) {
			part.ref = p->concat.ref;
			part.total = p->concat.total;
			part.seq = p->concat.seq;
		}
		part.text = p->text;
		part.alphabet = pdu_alphabet_name(p->alphabet);
		part.msg_class = p->msg_class;
		part.pdu = s->pdu_hex;
		err = store_inbox_add(gw->st, &part, 1, now, NULL);
		if (err < 0 && !gw_store_trouble(err)) {
			snprintf(why, sizeof(why), "refused by the inbox: %s",
				 strerror(-err));
			err = gw_audit_bad(gw, s, "sms.undecodable", why, now);
		}
		return err;
	case MODEM_SMS_STATUS_REPORT:
		gw_sender(p, sender, slen);
		err = store_outbox_report(gw->st, sender, p->message_ref,
					  p->status, now, NULL);
		if (err == -ENOENT)
			return 0;	/* for a message we no longer know */
		if (err < 0 && !gw_store_trouble(err)) {
			snprintf(why, sizeof(why), "status report refused: %s",
				 strerror(-err));
			err = gw_audit_bad(gw, s, "sms.undecodable", why, now);
		}
		return err;
	case MODEM_SMS_UNDECODABLE:
		if (gw_repair(gw, s, sender, slen, now, &err))
			return err;
		/* fall through */
	case MODEM_SMS_NON_TEXT:
		return gw_audit_bad(gw, s, s->kind == MODEM_SMS_NON_TEXT ?
				    "sms.non_text" : "sms.undecodable",
				    s->why ? s->why : "not text", now);
	}
	return 0;
}

/*
 * A PDU the engine could not decode may still carry a readable text: a
 * non-BCD time stamp, an odd UCS-2 length, a user data length past the
 * end (issue 8, item 12).  The timestamp is not needed to answer, so
 * such a message is decoded leniently, stored as text (answered like
 * any other) and the repair noted in the audit log.  True when it was
 * (*ERR the result), false when it stays undecodable.
 */
static bool gw_repair(struct gw *gw, const struct modem_sms *s,
		      char *sender, size_t slen, int64_t now, int *err)
{
	struct modem_sms fixed = *s;
	char detail[160];
	const char *what = NULL;

	if (!s->pdu_hex ||
	    pdu_decode_hex_lenient(s->pdu_hex, true, &fixed.pdu, &what) < 0 ||
	    fixed.pdu.type != PDU_TYPE_DELIVER || fixed.pdu.dst_port >= 0 ||
	    fixed.pdu.alphabet == PDU_ALPHA_8BIT || !fixed.pdu.repairs)
		return false;
	fixed.kind = MODEM_SMS_TEXT;
	fixed.why = NULL;
	*err = gw_store_one(gw, &fixed, sender, slen, now);
	if (*err < 0)
		return true;
	snprintf(detail, sizeof(detail), "index %d: %s (was: %s)", s->index,
		 what ? what : "repaired", s->why ? s->why : "-");
	*err = store_audit(gw->st, now, "modem", "sms.repaired", detail);
	log_notice("SIM index %d decoded leniently: %s", s->index,
		   what ? what : "repaired");
	return true;
}

/*
 * Commit one batch from the modem: text parts into the inbox, delivery
 * reports onto the outbox, everything else into the audit log.  Only
 * after the commit, and only while the database file is still the one
 * on disk, are the messages deleted from the SIM.
 */
static void gw_on_sms(struct modem *m, const struct modem_sms *msgs,
		      size_t n, void *data)
{
	struct gw *gw = data;
	char sender[PHONE_MAX + 48];
	int64_t now, next;
	size_t i, ntext = 0;
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

	if (!gw_store_sound(gw))
		return;		/* held by the engine: never deleted */
	/*
	 * The one durable commit of the pipeline: these messages leave the
	 * SIM once it returns.  Everything after it (handling, replies)
	 * commits lazily: a power cut can only make the gateway redo that
	 * work, never lose an SMS.
	 */
	for (i = 0; i < n; i++)
		if (msgs[i].kind == MODEM_SMS_TEXT)
			ntext++;
	/* a lost delivery report or audit row costs nothing: lazy; an
	 * undecodable PDU may be repaired into a text (gw_repair) */
	for (i = 0; i < n; i++)
		if (msgs[i].kind == MODEM_SMS_TEXT ||
		    msgs[i].kind == MODEM_SMS_UNDECODABLE)
			break;
	store_set_durable(gw->st, i < n);
	err = store_begin(gw->st);
	if (err < 0)
		goto fail_nocommit;
	for (i = 0; i < n; i++) {
		err = gw_store_one(gw, &msgs[i], sender, sizeof(sender), now);
		if (err < 0)
			goto fail;
	}
	err = store_commit(gw->st);
	if (err < 0)
		goto fail_nocommit;
	store_set_durable(gw->st, false);
	/* a commit into a deleted file is no commit: keep the SIM copies */
	if (!gw_store_sound(gw))
		return;
	for (i = 0; i < n; i++)
		if (msgs[i].index >= 0)
			modem_delete(m, msgs[i].index);
	gw->rel_fails = 0;
	log_debug("committed %zu received PDUs (%zu text)", n, ntext);
	gw->t_work = loop_now();
	return;
fail:
	store_rollback(gw->st);
fail_nocommit:
	store_set_durable(gw->st, false);
	if (!gw_store_sound(gw))
		return;
	/* not deleted: handed back to the modem after a backoff */
	next = gw_release_later(gw, msgs, n);
	log_err("cannot store %zu received messages: %s; they stay on the "
		"SIM, next try in %llds", n, strerror(-err),
		(long long)(next + 999) / 1000);
}

/* --- SIM balance by USSD, once a day (SPEC section 9) ------------------ */

#define GW_BALANCE_FIRST_MS	2000		/* after bring-up */
#define GW_BALANCE_RETRY_MS	(3600 * 1000)	/* after a failed check */
#define GW_BALANCE_BUSY_MS	(60 * 1000)	/* modem busy or not ready */

/* Arm the next check from the last one in the store (a restart does not
 * ask again before a day has passed), or soon after bring-up. */
static void gw_balance_arm(struct gw *gw)
{
	char buf[32];
	int64_t last, next;

	if (!gw->cfg->ussd.balance_code[0]) {
		gw->t_balance = -1;
		return;
	}
	if (gw->t_balance >= 0)
		return;
	if (store_status_get(gw->st, STATUS_MODEM_BALANCE_AT, buf, sizeof(buf)) == 0 &&
	    (last = strtoll(buf, NULL, 10)) > 0) {
		next = last + BALANCE_INTERVAL;
		gw->t_balance = mono_at(gw, next);
		if (gw->t_balance < loop_now() + GW_BALANCE_FIRST_MS)
			gw->t_balance = loop_now() + GW_BALANCE_FIRST_MS;
	} else {
		gw->t_balance = loop_now() + GW_BALANCE_FIRST_MS;
	}
}

static void gw_on_balance(int err, const char *text, void *data)
{
	struct gw *gw = data;
	int64_t now = wall_now(gw);
	char buf[32];
	double amount;
	int rc, sent = 0;

	if (err || balance_parse(text, &amount)) {
		log_warn("SIM balance check (%s) failed: %s",
			 gw->cfg->ussd.balance_code,
			 err ? strerror(-err) : "no amount in the answer");
		store_status_set(gw->st, STATUS_MODEM_BALANCE_ERROR, err ?
				 strerror(-err) : "no amount in the answer",
				 now);
		gw->t_balance = loop_now() + GW_BALANCE_RETRY_MS;
		return;
	}
	gw->t_balance = loop_now() + (int64_t)BALANCE_INTERVAL * 1000;
	rc = store_begin(gw->st);
	if (rc)
		goto fail;
	snprintf(buf, sizeof(buf), "%.2f", amount);
	rc = store_status_set(gw->st, STATUS_MODEM_BALANCE, buf, now);
	snprintf(buf, sizeof(buf), "%lld", (long long)now);
	if (!rc)
		rc = store_status_set(gw->st, STATUS_MODEM_BALANCE_AT, buf, now);
	if (!rc)
		rc = store_status_set(gw->st, STATUS_MODEM_BALANCE_TEXT, text, now);
	if (!rc)
		rc = store_status_set(gw->st, STATUS_MODEM_BALANCE_ERROR, "", now);
	if (!rc && amount < gw->cfg->ussd.low_balance)
		rc = balance_alert(gw->st, gw->cfg, amount, now, &sent);
	if (rc) {
		store_rollback(gw->st);
		goto fail;
	}
	rc = store_commit(gw->st);
	if (rc)
		goto fail;
	log_info("SIM balance %.2f%s", amount, sent ? ": below "
		 "ussd.low_balance, committee alerted" : "");
	if (sent)
		arm(&gw->t_work, loop_now());
	return;
fail:
	log_err("SIM balance: store: %s", strerror(-rc));
	gw->t_balance = loop_now() + GW_BALANCE_BUSY_MS;
}

static void gw_balance_check(struct gw *gw)
{
	int rc;

	gw->t_balance = -1;
	if (!gw->cfg->ussd.balance_code[0])
		return;
	rc = modem_ussd(gw->modem, gw->cfg->ussd.balance_code, gw_on_balance,
			gw);
	if (rc == -EAGAIN) {	/* not ready: armed again when READY */
		log_debug("SIM balance check waits for the modem");
	} else if (rc) {	/* another USSD in flight: a minute later */
		log_debug("SIM balance check postponed: %s", strerror(-rc));
		gw->t_balance = loop_now() + GW_BALANCE_BUSY_MS;
	}
}

/* --- end of SIM balance ---------------------------------------------------- */

static void gw_on_state(struct modem *m, enum modem_state old,
			enum modem_state state, void *data)
{
	struct gw *gw = data;

	(void)m;
	(void)old;		/* the engine logs the transition */
	if (state == MODEM_READY) {
		gw->t_work = loop_now();
		gw_balance_arm(gw);
	}
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
		/*
		 * Durable before the next part goes out: a power cut then
		 * repeats at most the one part in flight, never a run of
		 * parts whose lazy "sent" marks were lost (docs/STORAGE.md).
		 */
		store_set_durable(gw->st, true);
		rc = store_outbox_part_sent(gw->st, gw->send_part, mr, now);
		store_set_durable(gw->st, false);
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
		store_set_durable(gw->st, true);
		err = store_outbox_part_sent(gw->st, gw->unrecorded_part,
					     gw->unrecorded_mr, wall_now(gw));
		store_set_durable(gw->st, false);
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

/* What one handled message was, for the log after the commit. */
struct gw_done {
	long long id;
	char who[64], what[64];
	bool incomplete;
	enum cmd_kind kind;
	enum handler_outcome outcome;
};

/*
 * The body gw_handle_one and gw_handle_batch share: run MSG's handler
 * and mark MSG processed, inside the caller's transaction (nothing is
 * committed here).  D gets what to log once the commit succeeded.
 * 0 or -errno (the caller rolls back).
 */
static int gw_handle_msg(struct gw *gw, struct handler_ctx *ctx,
			 const struct store_inbox_msg *msg, struct gw_done *d)
{
	struct handler_result res;
	int err;

	memset(&res, 0, sizeof(res));
	err = handler_sms(ctx, msg, &res);
	if (!err)
		err = store_inbox_done(gw->st, msg, ctx->now);
	d->id = msg->id;
	log_phone(msg->sender, d->who, sizeof(d->who));
	log_text(msg->text, d->what, sizeof(d->what));
	d->incomplete = msg->incomplete;
	d->kind = res.kind;
	d->outcome = res.outcome;
	return err;
}

static void gw_log_done(const struct gw_done *d)
{
	log_info("message %lld from %s %s%s: %s, %s", d->id, d->who, d->what,
		 d->incomplete ? " (incomplete)" : "", cmd_kind_name(d->kind),
		 handler_outcome_name(d->outcome));
}

/* Handle one ready message in its own transaction, with the error
 * handling the batch leaves to it; false when the round should stop. */
static bool gw_handle_one(struct gw *gw, int64_t now)
{
	struct store_inbox_msg msg;
	struct handler_ctx ctx = { gw->st, gw->cfg, now };
	struct gw_done d;
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
	err = store_begin(gw->st);
	if (!err) {
		err = gw_handle_msg(gw, &ctx, &msg, &d);
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
		 * The handler cannot process it (a bug or a broken record):
		 * never marked done without an answer.  It is retried; after
		 * HANDLER_FAIL_MAX failures the sender gets a short apology,
		 * the message is marked done (one bad message cannot block
		 * the queue) and `jifenctl status` counts it.
		 */
		bool gave_up = false;
		int e2;

		e2 = store_begin(gw->st);
		if (!e2) {
			e2 = handler_failed(&ctx, &msg, err, &gave_up);
			if (!e2 && gave_up)
				e2 = store_inbox_done(gw->st, &msg, now);
			if (!e2)
				e2 = store_commit(gw->st);
			else
				store_rollback(gw->st);
		}
		log_err("message %lld from %s failed: %s; %s",
			msg.id, log_phone(msg.sender, d.who, sizeof(d.who)),
			strerror(-err), gave_up ? "gave up, apology sent" :
			"will retry");
		if (e2 < 0 || !gave_up) {
			store_inbox_msg_release(&msg);
			gw_retry_later(gw);
			return false;
		}
	} else {
		gw_log_done(&d);
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
	if (gw->digest_next > 0)
		best = best < 0 || gw->digest_next < best ? gw->digest_next :
							     best;
	return best;
}

/* The committee's morning digest when due; re-arms itself (next day). */
static void gw_digest(struct gw *gw, int64_t now)
{
	struct handler_ctx ctx = { gw->st, gw->cfg, now };
	int64_t next = -1;
	int sent = 0, err;

	if (gw->digest_next > now)
		return;
	err = store_begin(gw->st);
	if (err < 0)
		return;
	err = handler_digest(&ctx, &sent, &next);
	if (!err)
		err = store_commit(gw->st);
	else
		store_rollback(gw->st);
	if (err < 0) {
		log_err("morning digest: %s", strerror(-err));
		gw->digest_next = now + 60;	/* try again in a minute */
		return;
	}
	if (sent)
		log_info("morning digest sent to %d committee members", sent);
	gw->digest_next = next;
}

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

		memset(&msg, 0, sizeof(msg));
		err = store_inbox_next_ready(gw->st, now, GW_CONCAT_DEADLINE_S,
					     &msg);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (!err)
			err = gw_handle_msg(gw, &ctx, &msg, &done[n]);
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
		gw_log_done(&done[i]);
	free(done);
	gw->store_fails = 0;
	return n;
}

/* The believed wall clock (wall_now) minus the monotonic clock, ms:
 * constant unless the clock is set or a time source corrects it. */
static int64_t gw_clock_offset(const struct gw *gw)
{
	return wall_now(gw) * 1000 - loop_now();
}

#define GW_CLOCK_JUMP_MS	60000

/*
 * SPEC §13: a clock set back (it ran two years ahead, then NTP or the
 * operator corrected it) must not leave stored times in the future:
 * "seen since" and "count from" queries would count them for years
 * (repeated questions unanswered, capped numbers muted) and retries
 * would wait for years.  Stored times ahead of now are clamped to now,
 * at start-up and whenever the wall clock moved back against the
 * monotonic clock.
 */
static void gw_clock_check(struct gw *gw, int64_t now)
{
	int64_t off = gw_clock_offset(gw);
	long n = 0;
	int err;

	if (gw->clock_off != INT64_MIN &&
	    off > gw->clock_off - GW_CLOCK_JUMP_MS) {
		if (off > gw->clock_off)
			gw->clock_off = off;	/* forward: nothing stored ahead */
		return;
	}
	if (gw->clock_off != INT64_MIN)
		log_warn("the wall clock went back by %llds: clamping stored "
			 "times", (long long)(gw->clock_off - off) / 1000);
	err = store_clamp_future(gw->st, now, &n);
	if (err < 0) {
		log_err("clamping stored times: %s", strerror(-err));
		return;		/* tried again on the next round */
	}
	gw->clock_off = off;
	if (n)
		log_notice("%ld stored times were ahead of the clock: set to "
			   "now", n);
}

/* Everything the store says is due: inbox, 公示, outbox. */
static void gw_work(struct gw *gw)
{
	int64_t now = wall_now(gw), t;
	int i, n;

	gw->t_work = -1;
	if (!gw_store_sound(gw))
		return;
	gw_clock_check(gw, now);
	gw_finalize(gw, now);
	gw_digest(gw, now);
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
	if (gw->work_hook)
		gw->work_hook(gw->work_hook_data);
}

void gw_set_work_hook(struct gw *gw, void (*fn)(void *data), void *data)
{
	gw->work_hook = fn;
	gw->work_hook_data = data;
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
	gw->t_release = -1;
	gw->t_backup = -1;
	gw->clock_off = INT64_MIN;
	gw->t_balance = -1;
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
	free(gw->rel);
	free(gw);
}

void gw_set_loop(struct gw *gw, struct loop *loop)
{
	gw->loop = loop;
}

bool gw_failed(const struct gw *gw)
{
	return gw->dead;
}

int gw_start(struct gw *gw)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)wall_now(gw));
	store_status_set(gw->st, STATUS_STARTED_AT, buf, wall_now(gw));
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	store_status_set(gw->st, STATUS_PID, buf, wall_now(gw));
	/* uptime from the machine's monotonic clock, which a wrong or
	 * jumping wall clock cannot disturb (jifenctl status) */
	snprintf(buf, sizeof(buf), "%lld", (long long)(loop_now() / 1000));
	store_status_set(gw->st, STATUS_STARTED_MONO, buf, wall_now(gw));
	gw_clock_from_sync(gw);
	gw_clock_status(gw);
	gw->t_work = loop_now();
	gw->t_prune = loop_now() + 60 * 1000;
	gw->t_backup = loop_now();	/* today's, unless it exists */
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
	gw->digest_next = 0;	/* committee.digest_time may have changed */
	gw->t_work = loop_now();
	if (!gw->cfg->ussd.balance_code[0])
		gw->t_balance = -1;
	else if (gw_modem_ready(gw))
		gw_balance_arm(gw);
}

void gw_write_status(struct gw *gw)
{
	struct modem_status s;
	int64_t now = wall_now(gw);
	char buf[64];
	bool in_tx;

	modem_get_status(gw->modem, &s);
	gw->last_status = s;
	/* one transaction for the lot (a failed begin: each on its own) */
	in_tx = store_begin(gw->st) == 0;
	store_status_set(gw->st, STATUS_MODEM_STATE, modem_state_name(s.state),
			 now);
	store_status_set(gw->st, STATUS_MODEM_MANUFACTURER, s.manufacturer, now);
	store_status_set(gw->st, STATUS_MODEM_MODEL, s.model, now);
	store_status_set(gw->st, STATUS_MODEM_SIM, s.sim_state, now);
	snprintf(buf, sizeof(buf), "%d", s.signal_csq);
	store_status_set(gw->st, STATUS_MODEM_SIGNAL_CSQ, buf, now);
	snprintf(buf, sizeof(buf), "%d", s.reg_stat);
	store_status_set(gw->st, STATUS_MODEM_REGISTRATION, buf, now);
	snprintf(buf, sizeof(buf), "%d/%d", s.sms_used, s.sms_total);
	store_status_set(gw->st, STATUS_MODEM_SMS_STORAGE, buf, now);
	store_status_set(gw->st, STATUS_MODEM_LAST_ERROR, s.last_error, now);
	snprintf(buf, sizeof(buf), "%u", s.reopens);
	store_status_set(gw->st, STATUS_MODEM_REOPENS, buf, now);
	/* outq_allowed() never answers it (no auto-reply loop); "" unknown */
	if (!s.own_number[0] ||
	    phone_normalize(s.own_number, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	store_status_set(gw->st, STATUS_OWN_NUMBER, buf, now);
	if (in_tx)
		store_commit(gw->st);	/* a failure rolls back: next change */
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

#define GW_BACKUPS_KEPT	7

/*
 * The daily automatic backup (docs/OPERATIONS.md): a copy next to the
 * database, PATH.backup-YYYYMMDD, the newest GW_BACKUPS_KEPT kept.  A
 * one-shot deadline re-armed for shortly after the next UTC midnight;
 * a failure is retried in an hour.
 */
static void gw_backup(struct gw *gw)
{
	int64_t now = wall_now(gw), next;
	char path[512];
	int err;

	if (!gw_store_sound(gw))
		return;
	err = store_backup_rotate(gw->st, now, GW_BACKUPS_KEPT, path,
				  sizeof(path));
	if (err == -EUCLEAN) {
		/* the check before the copy found it: keep the old copies */
		gw_die(gw, "database is corrupt (quick_check before the daily "
		       "backup)");
		return;
	}
	if (err < 0) {
		log_err("daily backup %s: %s; retrying in an hour", path,
			strerror(-err));
		store_status_set(gw->st, STATUS_BACKUP_LAST_ERROR, strerror(-err),
				 now);
		gw->t_backup = loop_now() + 3600 * 1000;
		return;
	}
	log_info("daily backup: %s", path);
	store_status_set(gw->st, STATUS_BACKUP_LAST, path, now);
	store_status_set(gw->st, STATUS_BACKUP_LAST_ERROR, "", now);
	next = now - now % 86400 + 86400 + 300;
	gw->t_backup = mono_at(gw, next);
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
	if (gw->t_release >= 0 && (d < 0 || gw->t_release < d))
		d = gw->t_release;
	if (gw->t_backup >= 0 && (d < 0 || gw->t_backup < d))
		d = gw->t_backup;
	if (gw->t_balance >= 0 && (d < 0 || gw->t_balance < d))
		d = gw->t_balance;
	return d;
}

/*
 * Whether jifenctl, jifen-web or jifen-sync committed to the database
 * since the last call (true when that cannot be told: look anyway).
 * The daemon's own commits do not count: it knows about its own work.
 */
static bool gw_others_wrote(struct gw *gw)
{
	int64_t v;

	if (store_data_version(gw->st, &v) < 0)
		return true;
	if (gw->data_version_known && v == gw->data_version)
		return false;
	gw->data_version = v;
	gw->data_version_known = true;
	return true;
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
		 * Only when another program committed since the last look:
		 * an idle check then costs one small read, not a dozen.
		 */
		if (gw_others_wrote(gw)) {
			arm(&gw->t_work, now);
			gw_clock_from_sync(gw);
		}
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
	if (gw->t_release >= 0 && gw->t_release <= now)
		gw_release_due(gw);
	if (gw->t_backup >= 0 && gw->t_backup <= now)
		gw_backup(gw);
	if (gw->t_balance >= 0 && gw->t_balance <= now)
		gw_balance_check(gw);
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
