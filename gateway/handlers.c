/* SPDX-License-Identifier: MIT */
/*
 * handlers.c - one inbound SMS in, effects + one reply (or a deliberate
 * silence) out.  See handlers.h for the contract and the decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gateway/handlers.h"
#include "gateway/loan.h"
#include "storage/sync.h"
#include "gateway/text.h"
#include "storage/phone.h"
#include "util/array.h"

#define MEMB_MAX	16	/* memberships of one phone we look at */
#define NOTIFY_MAX	32	/* phones of one household we notify */
#define TODO_ITEMS	10	/* items passed to reply_todo (it trims) */
#define LOG_ITEMS	3
#define REPLY_BUF	2048

const char *handler_outcome_name(enum handler_outcome o)
{
	static const char *const names[] = {
		[HANDLER_REPLIED] = "replied",
		[HANDLER_SILENT_ALNUM] = "alphanumeric",
		[HANDLER_SILENT_SERVICE] = "service",
		[HANDLER_SILENT_OWN] = "own-number",
		[HANDLER_SILENT_LOOP] = "loop-guard",
		[HANDLER_SILENT_RATE] = "rate-limited",
		[HANDLER_SILENT_DUPLICATE] = "duplicate",
		[HANDLER_SILENT_UNKNOWN] = "unknown-number",
		[HANDLER_SILENT_BINARY] = "binary",
	};

	if ((unsigned)o >= sizeof(names) / sizeof(names[0]) || !names[o])
		return "?";
	return names[o];
}

/* ---- small helpers ------------------------------------------------- */

static void make_rctx(const struct handler_ctx *ctx, struct reply_ctx *rc)
{
	time_t t = (time_t)ctx->now;
	struct tm tm;

	rc->lang = ctx->cfg->sms.language == CONFIG_LANG_EN ? REPLY_EN :
		   REPLY_ZH;
	rc->max_parts = ctx->cfg->sms.max_parts > 0 ?
			(unsigned)ctx->cfg->sms.max_parts : 1;
	rc->tz_minutes = localtime_r(&t, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
}

/* The gateway's local day "2026-11-28" for the hint budget. */
static void local_day(int64_t now, char *buf, size_t len)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d", &tm))
		snprintf(buf, len, "%lld", (long long)(now / 86400));
}

static enum reply_state rstate(enum store_rstatus s)
{
	switch (s) {
	case STORE_OBJECTED:
		return REPLY_OBJECTED;
	case STORE_APPROVED:
		return REPLY_PUBLIC;
	case STORE_REJECTED:
		return REPLY_REJECTED;
	case STORE_FINAL:
		return REPLY_FINAL;
	case STORE_PENDING:
	default:
		return REPLY_PENDING;
	}
}

static void to_reply_record(const struct store_record *r, const char *name,
			    struct reply_record *out)
{
	out->id = (long)r->no;
	out->household_name = name;
	out->points = (long)r->points;
	out->reason = r->reason;
	out->state = rstate(r->status);
}

/* Household display name (the id if it has none); "" if unknown. */
static int household_name(struct store *st, const char *id, char *buf,
			  size_t len)
{
	struct store_household h;
	int rc;

	rc = store_household_get(st, id, &h);
	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc)
		return rc;
	text_copy(buf, len, h.name[0] ? h.name : h.id);
	return 0;
}

/* Memberships of one phone. */
struct membs {
	struct store_member m[MEMB_MAX];
	int n;
	bool committee;
};

static int memb_cb(const struct store_member *m, void *data)
{
	struct membs *ms = data;

	if (ms->n >= MEMB_MAX)
		return 0;
	ms->m[ms->n++] = *m;
	if (m->role == STORE_COMMITTEE)
		ms->committee = true;
	return 0;
}

static int load_membs(struct store *st, const char *phone, struct membs *ms)
{
	memset(ms, 0, sizeof(*ms));
	return store_phone_memberships(st, phone, memb_cb, ms);
}

static bool in_membs(const struct membs *ms, const char *household)
{
	int i;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].household, household))
			return true;
	return false;
}

/* Append S to BUF (SIZE bytes) after a newline when BUF is not empty;
 * cut at a character boundary if it does not fit. */
static void join(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);

	if (len && len + 1 < size) {
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	if (len < size)
		text_copy(buf + len, size - len, s);
}

/* ---- notifications ------------------------------------------------- */

struct phones {
	char p[NOTIFY_MAX][PHONE_MAX];
	int n;
};

static int phones_cb(const struct store_member *m, void *data)
{
	struct phones *ps = data;

	if (ps->n < NOTIFY_MAX)
		text_copy(ps->p[ps->n++], PHONE_MAX, m->phone);
	return 0;
}

/*
 * *@ok: @phone takes notifications (not unsubscribed) and may be sent
 * one now (the hourly cap and the loop guard, outq_allowed).
 */
static int may_notify(const struct handler_ctx *ctx, const char *phone,
		      bool *ok)
{
	enum outq_verdict v;
	int rc;

	rc = store_phone_notify(ctx->st, phone, ok);
	if (rc || !*ok)
		return rc;
	rc = outq_allowed(ctx->st, phone, ctx->now, &v);
	*ok = !rc && v == OUTQ_ALLOWED;
	return rc;
}

/* Queue TEXT as a notification to every phone of HOUSEHOLD that wants
 * notifications and may be sent to.  *SENT gets the count. */
static int notify_household(const struct handler_ctx *ctx,
			    const char *household, const char *text,
			    int *sent)
{
	struct phones *ps;
	bool on;
	int i, rc;

	*sent = 0;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	rc = store_household_members(ctx->st, household, phones_cb, ps);
	for (i = 0; !rc && i < ps->n; i++) {
		rc = may_notify(ctx, ps->p[i], &on);
		if (rc || !on)
			continue;
		rc = outq_add(ctx->st, ctx->cfg, ps->p[i], text,
			      STORE_OUT_NOTIFY, 0, ctx->now, NULL);
		if (!rc)
			(*sent)++;
		else if (rc == -EINVAL || rc == -EILSEQ)
			rc = 0;	/* this phone cannot be sent to: skip it,
				 * never block the whole review on it */
	}
	free(ps);
	return rc;
}

/* ---- sending helpers ------------------------------------------------ */

/* Queue TEXT to PHONE if anything may be sent to it (no loop guard
 * hit, a real number); NOT_BEFORE as outq_add_at.  *SENT (may be NULL)
 * is incremented when queued.  A phone that cannot be sent to is
 * skipped, never an error. */
static int send_to(const struct handler_ctx *ctx, const char *phone,
		   const char *text, enum store_out_kind kind,
		   int64_t not_before, int *sent)
{
	enum outq_verdict v;
	int rc;

	rc = outq_allowed(ctx->st, phone, ctx->now, &v);
	if (rc || v != OUTQ_ALLOWED)
		return rc;
	rc = outq_add_at(ctx->st, ctx->cfg, phone, text, kind, 0, ctx->now,
			 not_before, NULL);
	if (!rc && sent)
		(*sent)++;
	if (rc == -EINVAL || rc == -EILSEQ)
		rc = 0;
	return rc;
}

/* A growing list of phones or household ids (STORE_ID_MAX holds both). */
struct plist {
	char (*p)[STORE_ID_MAX];
	int n, cap;
};

static int plist_cb(const char *phone, void *data)
{
	struct plist *l = data;
	char (*np)[STORE_ID_MAX];

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;

		np = realloc(l->p, (size_t)cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		l->p = np;
		l->cap = cap;
	}
	text_copy(l->p[l->n++], STORE_ID_MAX, phone);
	return 0;
}

/* Tell every committee member but EXCEPT (may be NULL) TEXT. */
static int notify_committee(const struct handler_ctx *ctx, const char *except,
			    const char *text, int *sent)
{
	struct plist l = { 0 };
	int i, rc;

	rc = store_committee_phones(ctx->st, plist_cb, &l);
	for (i = 0; !rc && i < l.n; i++) {
		if (except && !strcmp(l.p[i], except))
			continue;
		rc = send_to(ctx, l.p[i], text, STORE_OUT_NOTIFY, -1, sent);
	}
	free(l.p);
	return rc;
}

/* ---- review ------------------------------------------------------- */

struct objs {
	struct store_objection o[NOTIFY_MAX];
	int n;
};

static int objs_cb(const struct store_objection *o, void *data)
{
	struct objs *os = data;

	if (os->n < NOTIFY_MAX)
		os->o[os->n++] = *o;
	return 0;
}

/* A wrong PIN from NUM: count it; at committee.pin_tries lock and tell
 * the member and the other members. */
static int pin_wrong(const struct handler_ctx *ctx, const char *num,
		     const struct membs *ms)
{
	struct reply_flow_args fa = { 0 };
	char text[REPLY_BUF], name[STORE_NAME_MAX];
	struct reply_ctx rc_;
	bool locked;
	int rc;

	rc = store_pin_failed(ctx->st, num, ctx->now,
			      ctx->cfg->committee.pin_tries > 0 ?
			      ctx->cfg->committee.pin_tries : 5,
			      HANDLER_PIN_LOCK_S, &locked);
	if (rc || !locked)
		return rc;
	make_rctx(ctx, &rc_);
	fa.until = ctx->now + HANDLER_PIN_LOCK_S;
	rc = reply_flow(&rc_, REPLY_PIN_LOCKED, &fa, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = send_to(ctx, num, text, STORE_OUT_ALERT, 0, NULL);
	if (rc)
		return rc;
	name[0] = '\0';
	if (ms && ms->n) {
		rc = household_name(ctx->st, ms->m[0].household, name,
				    sizeof(name));
		if (rc)
			return rc;
	}
	fa.name = name;
	rc = reply_flow(&rc_, REPLY_PIN_LOCKED_OTHERS, &fa, text, sizeof(text));
	if (rc < 0)
		return rc;
	return notify_committee(ctx, num, text, NULL);
}

/* PIN check for an approval by NUM: *RESULT stays DONE when it passed. */
static int pin_check(const struct handler_ctx *ctx, const char *num,
		     const struct membs *ms, const char *pin,
		     enum reply_review_result *result)
{
	int64_t until;
	bool ok;
	int rc;

	rc = store_pin_locked(ctx->st, num, ctx->now, &until);
	if (rc)
		return rc;
	if (until) {
		*result = REPLY_REVIEW_PIN_LOCKED;
		return 0;
	}
	if (!pin || !*pin) {
		*result = REPLY_REVIEW_PIN_NEEDED;
		return 0;
	}
	rc = store_check_pin(ctx->st, num, pin, &ok);
	if (rc)
		return rc;
	if (!ok) {
		*result = REPLY_REVIEW_PIN_WRONG;
		return pin_wrong(ctx, num, ms);
	}
	return store_pin_reset(ctx->st, num);
}

/* Tell the objectors of a decided record the outcome. */
static int tell_objectors(const struct handler_ctx *ctx,
			  const struct objs *os, long long no, bool approve)
{
	struct reply_flow_args fa = { 0 };
	char text[REPLY_BUF];
	struct reply_ctx rc_;
	int i, rc = 0, k;

	make_rctx(ctx, &rc_);
	fa.no = (long)no;
	fa.approve = approve;
	rc = reply_flow(&rc_, REPLY_OBJECT_OUTCOME, &fa, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = 0;
	for (i = 0; !rc && i < os->n; i++) {
		for (k = 0; k < i && strcmp(os->o[k].phone, os->o[i].phone); k++)
			;
		if (k < i)
			continue;	/* one SMS per objector */
		rc = send_to(ctx, os->o[i].phone, text, STORE_OUT_NOTIFY, -1,
			     NULL);
	}
	return rc;
}

/*
 * The review itself; PIN_DONE: the caller already checked the PIN (a
 * batch checks it once).
 */
static int review_core(const struct handler_ctx *ctx, const char *by,
		       long long no, enum store_decision d, const char *reason,
		       const char *pin, bool pin_done,
		       struct handler_review_result *out)
{
	enum store_review_outcome oc = STORE_REVIEW_NOT_FOUND;
	char num[PHONE_MAX], text[REPLY_BUF];
	struct reply_notice note = { 0 };
	struct reply_record rr;
	struct reply_ctx rc_;
	struct store_record rec;
	struct membs *ms = NULL;
	struct objs *os = NULL;
	bool console, objected;
	int rc;

	if (!ctx || !by || !out || (d != STORE_APPROVE && d != STORE_REJECT))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->result = REPLY_REVIEW_NOT_FOUND;
	if (d == STORE_REJECT && (!reason || !*reason))
		return -EINVAL;
	console = !strcmp(by, HANDLER_BY_CONSOLE);
	os = calloc(1, sizeof(*os));
	if (!os)
		return -ENOMEM;
	if (!console) {
		if (phone_normalize(by, num, sizeof(num))) {
			out->result = REPLY_REVIEW_NOT_COMMITTEE;
			rc = 0;
			goto out;
		}
		ms = malloc(sizeof(*ms));
		if (!ms) {
			rc = -ENOMEM;
			goto out;
		}
		rc = load_membs(ctx->st, num, ms);
		if (rc)
			goto out;
		if (!ms->committee) {
			out->result = REPLY_REVIEW_NOT_COMMITTEE;
			goto out;
		}
	}
	rc = store_record_get(ctx->st, no, &rec);
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc)
		goto out;
	if (!console && in_membs(ms, rec.household)) {
		out->result = REPLY_REVIEW_OWN_HOUSEHOLD;
		out->rec = rec;
		goto out;
	}
	if (!console && !pin_done && d == STORE_APPROVE &&
	    ctx->cfg->committee.require_pin &&
	    (rec.status == STORE_PENDING || rec.status == STORE_OBJECTED)) {
		enum reply_review_result pr = REPLY_REVIEW_DONE;

		rc = pin_check(ctx, num, ms, pin, &pr);
		if (rc)
			goto out;
		if (pr != REPLY_REVIEW_DONE) {
			out->result = pr;
			goto out;
		}
	}
	objected = rec.status == STORE_OBJECTED;
	if (objected) {
		rc = store_objections_open(ctx->st, no, objs_cb, os);
		if (rc)
			goto out;
	}
	rc = store_record_review(ctx->st, no, d, console ? by : num,
				 reason && *reason ? reason : NULL, ctx->now,
				 ctx->cfg->village.publicity_days, &oc, &rec);
	if (rc)
		goto out;
	switch (oc) {
	case STORE_REVIEW_DONE:
		out->result = REPLY_REVIEW_DONE;
		break;
	case STORE_REVIEW_ALREADY:
		out->result = REPLY_REVIEW_ALREADY;
		break;
	case STORE_REVIEW_CONFLICT:
		out->result = REPLY_REVIEW_CONFLICT;
		break;
	case STORE_REVIEW_NOT_FOUND:
	default:
		out->result = REPLY_REVIEW_NOT_FOUND;
		goto out;
	}
	out->rec = rec;
	if (oc != STORE_REVIEW_DONE)
		goto out;
	make_rctx(ctx, &rc_);
	to_reply_record(&rec, NULL, &rr);
	note.rec = &rr;
	if (d == STORE_APPROVE) {
		note.kind = objected ? REPLY_NOTICE_RESUMED :
				       REPLY_NOTICE_APPROVED;
		note.until = rec.notice_until;
	} else {
		note.kind = REPLY_NOTICE_REJECTED;
		note.reason = reason;
	}
	rc = reply_notice(&rc_, &note, text, sizeof(text));
	if (rc < 0)
		goto out;
	rc = notify_household(ctx, rec.household, text, &out->notified);
	if (!rc && objected)
		rc = tell_objectors(ctx, os, no, d == STORE_APPROVE);
out:
	free(os);
	free(ms);
	return rc;
}

int handler_review(const struct handler_ctx *ctx, const char *by,
		   long long no, enum store_decision d, const char *reason,
		   const char *pin, struct handler_review_result *out)
{
	return review_core(ctx, by, no, d, reason, pin, false, out);
}

/* ---- finalize ------------------------------------------------------ */

struct due {
	struct store_record *r;
	size_t n, cap;
};

static int due_cb(const struct store_record *r, void *data)
{
	struct due *d = data;
	struct store_record *nr;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		nr = realloc(d->r, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		d->r = nr;
		d->cap = cap;
	}
	d->r[d->n++] = *r;
	return 0;
}

int handler_finalize_due(const struct handler_ctx *ctx, long *count)
{
	struct due d = { 0 };
	struct reply_notice note = { 0 };
	struct store_balance bal;
	struct reply_record rr;
	struct reply_ctx rctx;
	char text[REPLY_BUF];
	long n = 0;
	size_t i;
	int rc, sent;

	if (!ctx)
		return -EINVAL;
	rc = store_records_finalize_due(ctx->st, ctx->now, due_cb, &d, &n);
	if (rc)
		goto out;
	make_rctx(ctx, &rctx);
	for (i = 0; i < d.n; i++) {
		rc = store_household_balance(ctx->st, d.r[i].household, &bal);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		to_reply_record(&d.r[i], NULL, &rr);
		note.kind = REPLY_NOTICE_FINAL;
		note.rec = &rr;
		note.total = (long)bal.final_points;
		rc = reply_notice(&rctx, &note, text, sizeof(text));
		if (rc < 0)
			goto out;
		rc = notify_household(ctx, d.r[i].household, text, &sent);
		if (rc)
			goto out;
	}
	if (count)
		*count = n;
out:
	free(d.r);
	return rc;
}

/* ---- the commands -------------------------------------------------- */

/* State of one handler_sms call. */
struct job {
	const struct handler_ctx *ctx;
	const struct store_inbox_msg *msg;
	struct handler_result *res;
	struct reply_ctx rctx;
	char num[PHONE_MAX];
	struct cmd cmd;
	struct membs ms;
	char reply[REPLY_BUF];
	char tmp[REPLY_BUF];
	bool merge;		/* past the cap: merge the confirmation */
	char acks[REPLY_BUF];	/* short confirmations for the merge */
	int nacks;
};

/* The job's reply is @what worded from @fa (0, or -errno). */
static int flow_reply(struct job *j, enum reply_flow what,
		      const struct reply_flow_args *fa)
{
	int rc = reply_flow(&j->rctx, what, fa, j->reply, sizeof(j->reply));

	return rc < 0 ? rc : 0;
}

/* The job's reply is the fixed text @what (0, or -errno). */
static int simple_reply(struct job *j, enum reply_simple what)
{
	int rc = reply_simple(&j->rctx, what, j->reply, sizeof(j->reply));

	return rc < 0 ? rc : 0;
}

/* Remember a short confirmation for the merged SMS. */
static void add_ack(struct job *j, enum cmd_kind kind, long id, bool ok)
{
	char one[64];

	if (reply_short_ack(&j->rctx, kind, id, ok, one, sizeof(one)) < 0)
		return;
	if (j->acks[0])
		join(j->acks, sizeof(j->acks), one);
	else
		text_copy(j->acks, sizeof(j->acks), one);
	j->nacks++;
}

static int do_points(struct job *j)
{
	struct store_balance bal;
	struct reply_points p;
	char name[STORE_NAME_MAX];
	bool multi = j->ms.n > 1;
	struct reply_ctx one = j->rctx;
	int i, rc;

	if (multi)
		one.max_parts = 1;
	for (i = 0; i < j->ms.n; i++) {
		rc = store_household_balance(j->ctx->st, j->ms.m[i].household,
					     &bal);
		if (rc)
			return rc;
		name[0] = '\0';
		if (multi) {
			rc = household_name(j->ctx->st, j->ms.m[i].household,
					    name, sizeof(name));
			if (rc)
				return rc;
		}
		memset(&p, 0, sizeof(p));
		p.household_name = multi ? name : NULL;
		p.final_pts = (long)bal.final_points;
		p.publicity_pts = (long)bal.publicity_points;
		p.pending_pts = (long)bal.pending_points;
		p.rank = bal.rank;
		p.households = bal.households;
		rc = reply_points(&one, &p, j->tmp, sizeof(j->tmp));
		if (rc < 0)
			return rc;
		join(j->reply, sizeof(j->reply), j->tmp);
	}
	return 0;
}

void handler_loan_policy(const struct config *cfg, struct loan_policy *p)
{
	p->base_rate = cfg->loan.base_rate;
	p->mode = cfg->loan.mode == CONFIG_LOAN_STEP ? LOAN_STEP : LOAN_LINEAR;
	p->step_points = cfg->loan.step_points;
	p->step_discount = cfg->loan.step_discount;
	p->max_discount = cfg->loan.max_discount;
	p->floor_rate = cfg->loan.floor_rate;
}

/*
 * The platform's loan policy (sync, storage/sync.h) replaces the
 * config's loan keys once it has sent one; *APPROVED tells the score.
 */
static void loan_policy_platform(struct store *st, struct loan_policy *p,
				 bool *approved)
{
	struct store_loan_policy sp;

	if (store_policy_get(st, &sp))
		return;
	p->base_rate = sp.base_rate;
	p->mode = sp.mode ? LOAN_STEP : LOAN_LINEAR;
	p->step_points = sp.step_points;
	p->step_discount = sp.step_discount;
	p->max_discount = sp.max_discount;
	p->floor_rate = sp.floor_rate;
	*approved = sp.score != 0;
}

static int do_rate(struct job *j)
{
	struct store_balance bal;
	struct loan_policy pol;
	struct loan_quote q;
	char name[STORE_NAME_MAX], line[REPLY_BUF];
	bool multi = j->ms.n > 1, approved;
	struct reply_ctx one = j->rctx;
	long score;
	int i, rc;

	if (multi)
		one.max_parts = 1;
	handler_loan_policy(j->ctx->cfg, &pol);
	approved = j->ctx->cfg->loan.score == CONFIG_SCORE_APPROVED;
	loan_policy_platform(j->ctx->st, &pol, &approved);
	for (i = 0; i < j->ms.n; i++) {
		rc = store_household_balance(j->ctx->st, j->ms.m[i].household,
					     &bal);
		if (rc)
			return rc;
		score = (long)bal.final_points;
		if (approved)
			score += (long)bal.publicity_points;
		rc = loan_quote(&pol, score, (double)j->cmd.principal_yuan,
				j->cmd.years, &q);
		if (rc)
			return rc;
		rc = reply_rate(&one, &q, j->tmp, sizeof(j->tmp));
		if (rc < 0)
			return rc;
		if (multi) {
			rc = household_name(j->ctx->st, j->ms.m[i].household,
					    name, sizeof(name));
			if (rc)
				return rc;
			snprintf(line, sizeof(line), "%s%s", name,
				 j->rctx.lang == REPLY_EN ? ": " : "：");
			text_copy(line + strlen(line),
				  sizeof(line) - strlen(line), j->tmp);
			join(j->reply, sizeof(j->reply), line);
		} else {
			join(j->reply, sizeof(j->reply), j->tmp);
		}
	}
	return 0;
}

/* Newest LOG_ITEMS records over the phone's households. */
struct logacc {
	struct store_record r[LOG_ITEMS * 2];
	int n;
};

static int log_cb(const struct store_record *r, void *data)
{
	struct logacc *a = data;

	if (a->n < LOG_ITEMS * 2)
		a->r[a->n++] = *r;
	return 0;
}

static int by_no_desc(const void *a, const void *b)
{
	const struct store_record *x = a, *y = b;

	return x->no < y->no ? 1 : x->no > y->no ? -1 : 0;
}

static int do_log(struct job *j)
{
	struct store_record_filter f = { 0 };
	struct store_record *all;
	struct reply_record rr[LOG_ITEMS];
	char names[LOG_ITEMS][STORE_NAME_MAX];
	struct logacc *a;
	bool multi = j->ms.n > 1;
	size_t n = 0;
	int i, k, rc = 0;

	a = calloc(1, sizeof(*a));
	all = calloc((size_t)j->ms.n * LOG_ITEMS, sizeof(*all));
	if (!a || !all) {
		rc = -ENOMEM;
		goto out;
	}
	f.status = -1;
	f.newest_first = true;
	f.limit = LOG_ITEMS;
	for (i = 0; i < j->ms.n; i++) {
		a->n = 0;
		f.household = j->ms.m[i].household;
		rc = store_records_list(j->ctx->st, &f, log_cb, a);
		if (rc)
			goto out;
		for (k = 0; k < a->n && k < LOG_ITEMS; k++)
			all[n++] = a->r[k];
	}
	qsort(all, n, sizeof(*all), by_no_desc);
	if (n > LOG_ITEMS)
		n = LOG_ITEMS;
	for (k = 0; k < (int)n; k++) {
		names[k][0] = '\0';
		if (multi) {
			rc = household_name(j->ctx->st, all[k].household,
					    names[k], sizeof(names[k]));
			if (rc)
				goto out;
		}
		to_reply_record(&all[k], multi ? names[k] : NULL, &rr[k]);
	}
	rc = reply_log(&j->rctx, rr, n, j->reply, sizeof(j->reply));
	if (rc > 0)
		rc = 0;
out:
	free(all);
	free(a);
	return rc;
}

/* The committee (but the sender) is told @what, worded from @fa. */
static int tell_committee(struct job *j, enum reply_flow what,
			  const struct reply_flow_args *fa)
{
	int rc = reply_flow(&j->rctx, what, fa, j->tmp, sizeof(j->tmp));

	if (rc < 0)
		return rc;
	return notify_committee(j->ctx, j->num, j->tmp, &j->res->notified);
}

static int do_say(struct job *j)
{
	struct reply_flow_args fa = { 0 };
	char name[STORE_NAME_MAX];
	long long ticket = 0;
	int rc;

	rc = store_matter_add(j->ctx->st, j->ms.m[0].household, j->num,
			      j->cmd.text, j->ctx->now, &ticket, NULL);
	if (rc)
		return rc;
	rc = reply_say(&j->rctx, (long)ticket, j->reply, sizeof(j->reply));
	if (rc < 0)
		return rc;
	/* every committee member is told: the household, not the number */
	rc = household_name(j->ctx->st, j->ms.m[0].household, name,
			    sizeof(name));
	if (rc)
		return rc;
	fa.no = (long)ticket;
	fa.name = name;
	fa.text = j->cmd.text;
	return tell_committee(j, REPLY_MATTER_TO_COMMITTEE, &fa);
}

static int do_object(struct job *j)
{
	enum store_object_outcome oc = STORE_OBJECT_NOT_FOUND;
	struct reply_flow_args fa = { 0 };
	char name[STORE_NAME_MAX], rname[STORE_NAME_MAX];
	struct store_record rec;
	struct reply_record rr;
	int rc, sent = 0;

	rc = store_record_object(j->ctx->st, j->cmd.id, j->num,
				 j->ms.m[0].household, j->cmd.text,
				 j->ctx->now, &oc, &rec);
	if (rc)
		return rc;
	fa.no = j->cmd.id;
	if (oc == STORE_OBJECT_NOT_FOUND || oc == STORE_OBJECT_NOT_PUBLIC) {
		rc = reply_flow(&j->rctx, REPLY_OBJECT_NOT_PUBLIC, &fa,
				j->reply, sizeof(j->reply));
		return rc < 0 ? rc : 0;
	}
	rc = reply_flow(&j->rctx, REPLY_OBJECT_TAKEN, &fa, j->reply,
			sizeof(j->reply));
	if (rc < 0)
		return rc;
	rc = household_name(j->ctx->st, j->ms.m[0].household, name,
			    sizeof(name));
	if (!rc)
		rc = household_name(j->ctx->st, rec.household, rname,
				    sizeof(rname));
	if (rc)
		return rc;
	to_reply_record(&rec, rname, &rr);
	fa.rec = &rr;
	fa.name = name;
	fa.text = j->cmd.text;
	rc = tell_committee(j, REPLY_OBJECT_TO_COMMITTEE, &fa);
	if (rc || oc != STORE_OBJECT_DONE)
		return rc;
	/* the record's household learns its item is on hold */
	rc = reply_flow(&j->rctx, REPLY_OBJECT_TO_HOUSEHOLD, &fa, j->tmp,
			sizeof(j->tmp));
	if (rc < 0)
		return rc;
	rc = notify_household(j->ctx, rec.household, j->tmp, &sent);
	j->res->notified += sent;
	return rc;
}

/* 回复 M12 text / 办结 M12 (also jifenctl matter answer|close). */
static int matter_act(const struct handler_ctx *ctx, const char *by,
		      long long no, const char *answer, bool *found)
{
	struct reply_flow_args fa = { 0 };
	struct store_matter *m;
	char text[REPLY_BUF];
	struct reply_ctx rctx;
	bool changed = false;
	int rc;

	*found = false;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = store_matter_get(ctx->st, no, m);
	if (rc == -ENOENT) {
		rc = 0;
		goto out;
	}
	if (rc || m->state == STORE_MATTER_CLOSED)
		goto out;
	if (answer)
		rc = store_matter_answer(ctx->st, no, by, answer, ctx->now,
					 &changed);
	else
		rc = store_matter_close(ctx->st, no, by, ctx->now, &changed);
	if (rc || !changed)
		goto out;
	*found = true;
	make_rctx(ctx, &rctx);
	fa.no = (long)no;
	fa.text = answer;
	rc = reply_flow(&rctx, answer ? REPLY_MATTER_ANSWER :
			REPLY_MATTER_CLOSED, &fa, text, sizeof(text));
	if (rc < 0)
		goto out;
	/* an answer to the villager's own text: never held */
	rc = send_to(ctx, m->phone, text, STORE_OUT_NOTIFY, 0, NULL);
out:
	free(m);
	return rc;
}

int handler_matter(const struct handler_ctx *ctx, const char *by,
		   long long no, const char *answer, bool *found)
{
	bool f;

	if (!ctx || !by || (answer && !*answer))
		return -EINVAL;
	return matter_act(ctx, by, no, answer, found ? found : &f);
}

static int do_matter(struct job *j)
{
	struct reply_flow_args fa = { 0 };
	bool answer = j->cmd.kind == CMD_REPLY, found;
	int rc;

	if (!j->ms.committee)
		return simple_reply(j, REPLY_COMMITTEE_ONLY);
	rc = matter_act(j->ctx, j->num, j->cmd.id,
			answer ? j->cmd.text : NULL, &found);
	if (rc)
		return rc;
	fa.no = j->cmd.id;
	add_ack(j, j->cmd.kind, j->cmd.id, found);
	rc = reply_flow(&j->rctx, !found ? REPLY_MATTER_NOT_FOUND : answer ?
			REPLY_MATTER_ANSWERED_ACK : REPLY_MATTER_CLOSED_ACK,
			&fa, j->reply, sizeof(j->reply));
	return rc < 0 ? rc : 0;
}

/* Items a member may review: pending and objected, not their own. */
struct todo {
	const struct membs *ms;
	struct store_record r[TODO_ITEMS];
	size_t n, total, objected;
};

static int todo_cb(const struct store_record *r, void *data)
{
	struct todo *t = data;

	if (t->ms && in_membs(t->ms, r->household))
		return 0;
	if (t->n < TODO_ITEMS)
		t->r[t->n++] = *r;
	t->total++;
	if (r->status == STORE_OBJECTED)
		t->objected++;
	return 0;
}

struct mlist {
	struct store_matter m[TODO_ITEMS];
	size_t n, total;
};

static int mlist_cb(const struct store_matter *m, void *data)
{
	struct mlist *l = data;

	if (l->n < TODO_ITEMS)
		l->m[l->n++] = *m;
	l->total++;
	return 0;
}

/* What MS may act on: objected items first, then pending ones. */
static int load_todo(struct store *st, const struct membs *ms,
		     struct todo *t, struct mlist *ml)
{
	struct store_record_filter f = { 0 };
	int rc;

	t->ms = ms;
	f.status = STORE_OBJECTED;
	rc = store_records_list(st, &f, todo_cb, t);
	if (rc)
		return rc;
	f.status = STORE_PENDING;
	rc = store_records_list(st, &f, todo_cb, t);
	if (rc || !ml)
		return rc;
	return store_matters_list(st, true, mlist_cb, ml);
}

static int do_todo(struct job *j)
{
	struct reply_todo_full tf = { 0 };
	struct reply_record rr[TODO_ITEMS];
	struct reply_matter rm[TODO_ITEMS];
	char (*names)[STORE_NAME_MAX];
	char (*mnames)[STORE_NAME_MAX];
	struct mlist *ml;
	struct todo *t;
	int64_t until = 0;
	size_t i;
	int rc;

	if (!j->ms.committee)
		return simple_reply(j, REPLY_COMMITTEE_ONLY);
	t = calloc(1, sizeof(*t));
	ml = calloc(1, sizeof(*ml));
	names = calloc(TODO_ITEMS, sizeof(*names));
	mnames = calloc(TODO_ITEMS, sizeof(*mnames));
	if (!t || !ml || !names || !mnames) {
		rc = -ENOMEM;
		goto out;
	}
	rc = load_todo(j->ctx->st, &j->ms, t, ml);
	if (rc)
		goto out;
	for (i = 0; i < t->n; i++) {
		rc = household_name(j->ctx->st, t->r[i].household, names[i],
				    sizeof(names[i]));
		if (rc)
			goto out;
		to_reply_record(&t->r[i], names[i], &rr[i]);
	}
	for (i = 0; i < ml->n; i++) {
		rc = household_name(j->ctx->st, ml->m[i].household, mnames[i],
				    sizeof(mnames[i]));
		if (rc)
			goto out;
		rm[i].no = (long)ml->m[i].no;
		rm[i].household_name = mnames[i];
		rm[i].text = ml->m[i].text;
	}
	if (j->ctx->cfg->committee.require_pin) {
		rc = store_pin_locked(j->ctx->st, j->num, j->ctx->now, &until);
		if (rc)
			goto out;
		tf.pin = until ? 2 : 1;
	}
	tf.items = rr;
	tf.n = t->n;
	tf.total = t->total;
	tf.objected = t->objected;
	tf.matters = rm;
	tf.nm = ml->n;
	tf.total_matters = ml->total;
	rc = reply_todo_full(&j->rctx, &tf, j->reply, sizeof(j->reply));
	if (rc > 0)
		rc = 0;
out:
	free(mnames);
	free(names);
	free(ml);
	free(t);
	return rc;
}

static int do_review(struct job *j, enum store_decision d)
{
	struct handler_review_result *r;
	struct reply_review rv = { 0 };
	struct reply_record rr;
	char name[STORE_NAME_MAX];
	int rc;

	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = handler_review(j->ctx, j->num, j->cmd.id, d,
			    d == STORE_REJECT ? j->cmd.text : NULL,
			    j->cmd.pin, r);
	if (rc)
		goto out;
	j->res->notified = r->notified;
	rv.approve = d == STORE_APPROVE;
	rv.id = j->cmd.id;
	rv.result = r->result;
	/* never reveal: a phone that may not review hears "no such item" */
	if (rv.result == REPLY_REVIEW_NOT_COMMITTEE)
		rv.result = REPLY_REVIEW_NOT_FOUND;
	add_ack(j, d == STORE_APPROVE ? CMD_APPROVE : CMD_REJECT, j->cmd.id,
		rv.result == REPLY_REVIEW_DONE ||
		rv.result == REPLY_REVIEW_ALREADY);
	if (rv.result == REPLY_REVIEW_DONE) {
		rc = household_name(j->ctx->st, r->rec.household, name,
				    sizeof(name));
		if (rc)
			goto out;
		to_reply_record(&r->rec, name, &rr);
		rv.rec = &rr;
		rv.until = r->rec.notice_until;
	}
	rc = reply_review(&j->rctx, &rv, j->reply, sizeof(j->reply));
	if (rc > 0)
		rc = 0;
out:
	free(r);
	return rc;
}

/* 确认 17 18 19 [PIN]: the PIN is checked once, each id reviewed, one
 * reply summarises them. */
static int do_approve(struct job *j)
{
	struct reply_batch_item items[CMD_IDS_MAX + 1];
	enum reply_review_result pr = REPLY_REVIEW_DONE;
	struct handler_review_result *r;
	bool pin_done = false, ok;
	int64_t until = 0;
	int i, n, rc;

	if (!j->ms.committee) {
		/* never reveal which ids exist */
		return do_review(j, STORE_APPROVE);
	}
	/* without require_pin, a trailing bare number that is not the
	 * member's PIN is one more record number */
	if (j->cmd.pin_bare && !j->ctx->cfg->committee.require_pin) {
		rc = store_check_pin(j->ctx->st, j->num, j->cmd.pin, &ok);
		if (rc)
			return rc;
		if (!ok && j->cmd.nids < CMD_IDS_MAX)
			j->cmd.ids[j->cmd.nids++] = strtol(j->cmd.pin, NULL,
							    10);
		j->cmd.pin[0] = '\0';
	}
	if (j->cmd.nids <= 1)
		return do_review(j, STORE_APPROVE);
	if (j->ctx->cfg->committee.require_pin) {
		rc = pin_check(j->ctx, j->num, &j->ms, j->cmd.pin, &pr);
		if (rc)
			return rc;
		pin_done = pr == REPLY_REVIEW_DONE;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	n = 0;
	rc = 0;
	for (i = 0; i < j->cmd.nids && !rc; i++) {
		items[n].id = j->cmd.ids[i];
		if (j->ctx->cfg->committee.require_pin && !pin_done) {
			items[n].result = pr;
		} else {
			rc = review_core(j->ctx, j->num, j->cmd.ids[i],
					 STORE_APPROVE, NULL, NULL, true, r);
			if (rc)
				break;
			items[n].result = r->result;
			j->res->notified += r->notified;
			if (r->result == REPLY_REVIEW_DONE)
				until = r->rec.notice_until;
		}
		add_ack(j, CMD_APPROVE, items[n].id,
			items[n].result == REPLY_REVIEW_DONE ||
			items[n].result == REPLY_REVIEW_ALREADY);
		n++;
	}
	free(r);
	if (rc)
		return rc;
	rc = reply_batch(&j->rctx, true, items, (size_t)n, until, j->reply,
			 sizeof(j->reply));
	return rc < 0 ? rc : 0;
}

/* ---- notices (通知) -------------------------------------------------- */

/* Start of the local day of NOW (for sms.broadcasts_per_day). */
static int64_t local_midnight(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return now - now % 86400;
	return now - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

struct bcast {
	const struct handler_ctx *ctx;
	struct plist used;	/* phones already sent to */
	bool committee_only;
	const char *text;	/* NULL: count only */
	long households, parts, held;
	int per_sms;		/* parts per message */
	int rc;
};

static bool plist_has(const struct plist *l, const char *phone)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->p[i], phone))
			return true;
	return false;
}

/*
 * One phone of household H that may get a notice, "" if none.  A
 * household with a phone in USED (bound to two households) was reached
 * already: *REACHED, and no phone.
 */
static int household_phone(const struct handler_ctx *ctx, const char *h,
			   bool committee_only, const struct plist *used,
			   char *out, bool *reached)
{
	struct phones *ps;
	bool on;
	int i, rc;

	out[0] = '\0';
	*reached = false;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	rc = store_household_members(ctx->st, h, phones_cb, ps);
	for (i = 0; !rc && i < ps->n; i++) {
		if (plist_has(used, ps->p[i])) {
			*reached = true;
			goto out;
		}
	}
	for (i = 0; !rc && i < ps->n && !out[0]; i++) {
		if (committee_only) {
			struct membs *ms = malloc(sizeof(*ms));

			if (!ms) {
				rc = -ENOMEM;
				break;
			}
			rc = load_membs(ctx->st, ps->p[i], ms);
			on = !rc && ms->committee;
			free(ms);
			if (rc || !on)
				continue;
		}
		rc = may_notify(ctx, ps->p[i], &on);
		if (rc || !on)
			continue;
		text_copy(out, PHONE_MAX, ps->p[i]);
	}
out:
	free(ps);
	return rc;
}

/* store_households_list callback: the ids into a struct plist. */
static int hhlist_cb(const struct store_household *h, void *data)
{
	return plist_cb(h->id, data);
}

/* Count (TEXT NULL) or send a notice: one phone per household. */
static int broadcast(struct bcast *b)
{
	const struct handler_ctx *ctx = b->ctx;
	struct plist l = { 0 };
	char phone[PHONE_MAX];
	bool reached;
	int64_t nb;
	int i, rc;

	nb = outq_not_before(ctx->cfg, ctx->now);
	rc = store_households_list(ctx->st, hhlist_cb, &l);
	for (i = 0; !rc && i < l.n; i++) {
		rc = household_phone(ctx, l.p[i], b->committee_only, &b->used,
				     phone, &reached);
		if (!rc && reached)
			b->households++;	/* via a shared phone */
		if (rc || !phone[0])
			continue;
		rc = plist_cb(phone, &b->used);
		if (rc)
			break;
		if (b->text) {
			rc = outq_add(ctx->st, ctx->cfg, phone, b->text,
				      STORE_OUT_NOTIFY, 0, ctx->now, NULL);
			if (rc == -EINVAL || rc == -EILSEQ) {
				rc = 0;
				continue;
			}
			if (rc)
				break;
			if (nb > ctx->now)
				b->held++;
		}
		b->households++;
		b->parts += b->per_sms;
	}
	free(l.p);
	free(b->used.p);
	b->used.p = NULL;
	b->used.n = b->used.cap = 0;
	return rc;
}

/* The notice as sent and its parts per SMS. */
static int notice_text(const struct handler_ctx *ctx, const char *text,
		       char *buf, size_t size, int *per_sms)
{
	struct reply_flow_args fa = { 0 };
	struct reply_ctx rctx;
	size_t units, one;
	bool ucs2;
	int rc;

	make_rctx(ctx, &rctx);
	fa.text = text;
	rc = reply_flow(&rctx, REPLY_NOTICE_TEXT, &fa, buf, size);
	if (rc < 0)
		return rc;
	units = text_sms_units(buf, &ucs2);
	one = reply_max_units(1, ucs2);
	if (units <= one)
		*per_sms = 1;
	else
		*per_sms = (int)((units + (ucs2 ? 66 : 152)) /
				 (ucs2 ? 67 : 153));
	return 0;
}

int handler_notice_count(const struct handler_ctx *ctx, bool committee_only,
			 const char *text, long *households, long *sms)
{
	struct bcast b = { 0 };
	char buf[REPLY_BUF];
	int rc;

	if (!ctx || !text || !*text)
		return -EINVAL;
	b.ctx = ctx;
	b.committee_only = committee_only;
	rc = notice_text(ctx, text, buf, sizeof(buf), &b.per_sms);
	if (!rc)
		rc = broadcast(&b);
	if (!rc) {
		*households = b.households;
		*sms = b.parts;
	}
	return rc;
}

/* Notices left today under sms.broadcasts_per_day. */
static int notices_left(const struct handler_ctx *ctx, long *left)
{
	long n = 0;
	int rc;

	rc = store_notices_sent_since(ctx->st, local_midnight(ctx->now), &n);
	if (rc)
		return rc;
	*left = ctx->cfg->sms.broadcasts_per_day - n;
	return 0;
}

/* Send drafted notice CODE (checked by the caller). */
static int notice_send(const struct handler_ctx *ctx, const char *code,
		       const struct store_notice *nt, long *households,
		       long *sms, long *held)
{
	struct bcast b = { 0 };
	char buf[REPLY_BUF];
	int rc;

	b.ctx = ctx;
	b.committee_only = nt->committee_only;
	rc = notice_text(ctx, nt->text, buf, sizeof(buf), &b.per_sms);
	if (rc)
		return rc;
	b.text = buf;
	rc = broadcast(&b);
	if (rc)
		return rc;
	rc = store_notice_mark_sent(ctx->st, code, (int)b.parts, ctx->now);
	if (rc)
		return rc;
	*households = b.households;
	*sms = b.parts;
	*held = b.held;
	return 0;
}

/* A fresh code of 4 digits for a draft. */
static int notice_code(const struct handler_ctx *ctx, char *code)
{
	struct store_notice nt;
	unsigned int r;
	int i, rc;

	for (i = 0; i < 20; i++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = (unsigned int)(ctx->now * 7919 + i);
		snprintf(code, STORE_CODE_MAX, "%04u", 1000 + r % 9000);
		rc = store_notice_get(ctx->st, code, &nt);
		if (rc == -ENOENT)
			return 0;
		if (rc)
			return rc;
	}
	return -EEXIST;
}

int handler_notice(const struct handler_ctx *ctx, const char *by,
		   bool committee_only, const char *text, long *households,
		   long *sms, long *held)
{
	struct store_notice nt;
	char code[STORE_CODE_MAX];
	long left;
	int rc;

	if (!ctx || !by || !text || !*text)
		return -EINVAL;
	rc = notices_left(ctx, &left);
	if (rc)
		return rc;
	if (left <= 0)
		return -EDQUOT;
	rc = notice_code(ctx, code);
	if (!rc)
		rc = store_notice_add(ctx->st, code, by, committee_only, text,
				      ctx->now);
	if (!rc)
		rc = store_notice_get(ctx->st, code, &nt);
	if (!rc)
		rc = notice_send(ctx, code, &nt, households, sms, held);
	return rc;
}

static int do_notice(struct job *j)
{
	struct reply_flow_args fa = { 0 };
	enum reply_review_result pr = REPLY_REVIEW_DONE;
	char code[STORE_CODE_MAX], *text;
	long left, hh = 0, parts = 0;
	size_t l;
	int rc;

	if (!j->ms.committee)
		return simple_reply(j, REPLY_COMMITTEE_ONLY);
	text = j->cmd.text;
	if (j->ctx->cfg->committee.require_pin) {
		rc = pin_check(j->ctx, j->num, &j->ms, j->cmd.pin, &pr);
		if (rc)
			return rc;
		if (pr != REPLY_REVIEW_DONE) {
			struct reply_review rv = { 0 };

			rv.approve = true;
			rv.result = pr;
			rc = reply_review(&j->rctx, &rv, j->reply,
					  sizeof(j->reply));
			/* "确认 0 PIN" makes no sense for a notice: say it */
			if (pr == REPLY_REVIEW_PIN_NEEDED)
				rc = text_copy(j->reply, sizeof(j->reply),
					       j->rctx.lang == REPLY_EN ?
					       "Your PIN is needed: NOTICE "
					       "text PIN" :
					       "请在通知末尾带上PIN，如：通知 "
					       "周五开会 PIN");
			return rc < 0 ? rc : 0;
		}
		/* the PIN is not part of the notice */
		l = strlen(text);
		if (l >= strlen(j->cmd.pin) &&
		    !strcmp(text + l - strlen(j->cmd.pin), j->cmd.pin)) {
			l -= strlen(j->cmd.pin);
			while (l > 0 && text[l - 1] == ' ')
				l--;
			text[l] = '\0';
		}
	}
	if (!text[0]) {		/* only a PIN */
		j->cmd.err = CMD_ERR_NO_TEXT;
		rc = reply_cmd_error(&j->rctx, &j->cmd, j->reply,
				     sizeof(j->reply));
		return rc < 0 ? rc : 0;
	}
	rc = notices_left(j->ctx, &left);
	if (rc)
		return rc;
	fa.count = j->ctx->cfg->sms.broadcasts_per_day;
	if (left <= 0) {
		return flow_reply(j, REPLY_NOTICE_CAP, &fa);
	}
	rc = handler_notice_count(j->ctx, false, text, &hh, &parts);
	if (rc)
		return rc;
	rc = notice_code(j->ctx, code);
	if (!rc)
		rc = store_notice_add(j->ctx->st, code, j->num, false, text,
				      j->ctx->now);
	if (rc)
		return rc;
	fa.count = hh;
	fa.parts = parts;
	fa.code = code;
	return flow_reply(j, REPLY_NOTICE_DRAFT, &fa);
}

static int do_notice_send(struct job *j)
{
	struct reply_flow_args fa = { 0 };
	struct store_notice nt;
	long left, hh = 0, parts = 0, held = 0;
	int rc;

	if (!j->ms.committee)
		return simple_reply(j, REPLY_COMMITTEE_ONLY);
	fa.code = j->cmd.code;
	rc = store_notice_get(j->ctx->st, j->cmd.code, &nt);
	if (rc && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT || nt.sent_at || strcmp(nt.by, j->num) ||
	    j->ctx->now - nt.created_at > HANDLER_NOTICE_TTL) {
		return flow_reply(j, REPLY_NOTICE_NO_CODE, &fa);
	}
	rc = notices_left(j->ctx, &left);
	if (rc)
		return rc;
	if (left <= 0) {
		fa.count = j->ctx->cfg->sms.broadcasts_per_day;
		return flow_reply(j, REPLY_NOTICE_CAP, &fa);
	}
	rc = notice_send(j->ctx, j->cmd.code, &nt, &hh, &parts, &held);
	if (rc)
		return rc;
	j->res->notified = (int)hh;
	fa.count = hh;
	fa.parts = parts;
	fa.held = held;
	return flow_reply(j, REPLY_NOTICE_SENT, &fa);
}

static int do_notify_flag(struct job *j, bool on)
{
	int rc;

	rc = store_phone_set_notify(j->ctx->st, j->num, on, j->ctx->now);
	if (rc)
		return rc;
	return simple_reply(j, on ? REPLY_STARTED : REPLY_STOPPED);
}

/* Unknown number: HELP, STOP, START work; else the hint, budgeted. */
static int do_unknown(struct job *j)
{
	char day[32];
	bool granted;
	int rc;

	switch (j->cmd.kind) {
	case CMD_HELP:
		rc = reply_help(&j->rctx, false, j->reply, sizeof(j->reply));
		return rc < 0 ? rc : 0;
	case CMD_STOP:
		return do_notify_flag(j, false);
	case CMD_START:
		return do_notify_flag(j, true);
	default:
		break;
	}
	local_day(j->ctx->now, day, sizeof(day));
	rc = store_hint_take(j->ctx->st, j->num, day,
			     j->ctx->cfg->sms.unknown_replies_per_day,
			     &granted);
	if (rc)
		return rc;
	if (!granted) {
		j->res->outcome = HANDLER_SILENT_UNKNOWN;
		return 0;
	}
	return simple_reply(j, REPLY_REGISTER_HINT);
}

static int do_help(struct job *j)
{
	int rc = reply_help(&j->rctx, j->ms.committee, j->reply,
			    sizeof(j->reply));

	return rc < 0 ? rc : 0;
}

static int do_reject(struct job *j)
{
	return do_review(j, STORE_REJECT);
}

static int do_stop(struct job *j)
{
	return do_notify_flag(j, false);
}

static int do_start(struct job *j)
{
	return do_notify_flag(j, true);
}

static int do_not_yet(struct job *j)
{
	int rc = reply_not_yet(&j->rctx, j->cmd.word, j->reply,
			       sizeof(j->reply));

	return rc < 0 ? rc : 0;
}

/* What each command does for a member; the rest is "unknown command". */
static int (*const do_cmd[])(struct job *j) = {
	[CMD_POINTS] = do_points,
	[CMD_RATE] = do_rate,
	[CMD_LOG] = do_log,
	[CMD_HELP] = do_help,
	[CMD_SAY] = do_say,
	[CMD_TODO] = do_todo,
	[CMD_APPROVE] = do_approve,
	[CMD_REJECT] = do_reject,
	[CMD_OBJECT] = do_object,
	[CMD_REPLY] = do_matter,
	[CMD_DONE] = do_matter,
	[CMD_NOTICE] = do_notice,
	[CMD_NOTICE_SEND] = do_notice_send,
	[CMD_STOP] = do_stop,
	[CMD_START] = do_start,
	[CMD_NOT_YET] = do_not_yet,
};

static int dispatch(struct job *j)
{
	int rc;

	if (!j->ms.n)
		return do_unknown(j);
	if (j->cmd.err != CMD_OK && j->cmd.kind != CMD_UNKNOWN) {
		rc = reply_cmd_error(&j->rctx, &j->cmd, j->reply,
				     sizeof(j->reply));
		return rc < 0 ? rc : 0;
	}
	if ((size_t)j->cmd.kind < ARRAY_SIZE(do_cmd) && do_cmd[j->cmd.kind])
		return do_cmd[j->cmd.kind](j);
	return simple_reply(j, REPLY_UNKNOWN_CMD);
}

/* Committee commands whose effect always happens (SPEC §6): past the
 * hourly cap or the loop guard their confirmation is merged. */
static bool always_done(const struct job *j)
{
	if (!j->ms.committee || j->cmd.err != CMD_OK)
		return false;
	switch (j->cmd.kind) {
	case CMD_APPROVE:
	case CMD_REJECT:
	case CMD_REPLY:
	case CMD_DONE:
		return true;
	default:
		return false;
	}
}

/* Loop guard: a machine pattern from NUM (the same text again and
 * again, or dozens of messages a minute)? */
static int machine_pattern(const struct handler_ctx *ctx, const char *num,
			   const struct store_inbox_msg *msg, bool *tripped)
{
	int64_t at = msg->received_at > 0 ? msg->received_at : ctx->now;
	long n = 0;
	int rc;

	*tripped = false;
	rc = store_inbox_count_same(ctx->st, num, msg->text ? msg->text : "",
				    at - HANDLER_SAME_WINDOW, &n);
	if (rc)
		return rc;
	if (n + 1 >= HANDLER_SAME_MAX) {
		*tripped = true;
		return 0;
	}
	/* messages, not parts: one long message is not a flood */
	rc = store_inbox_count_same(ctx->st, num, NULL, at - 60, &n);
	if (rc)
		return rc;
	*tripped = n >= HANDLER_FLOOD_PER_MIN;
	return 0;
}

/* Past the cap: add this message's confirmations to the member's one
 * merged SMS (replacing it while it has not started going out). */
static int merge_reply(struct job *j)
{
	const struct handler_ctx *ctx = j->ctx;
	struct store_out_info info;
	char *items, *text;
	long long id = 0;
	int64_t due = 0;
	int n = 0, rc;

	items = calloc(2, REPLY_BUF);
	if (!items)
		return -ENOMEM;
	text = items + REPLY_BUF;
	if (!j->nacks)
		add_ack(j, j->cmd.kind, j->cmd.id, true);
	rc = store_merged_get(ctx->st, j->num, &id, items, REPLY_BUF, &n, &due);
	if (rc == -ENOENT) {
		rc = 0;
		n = 0;
		items[0] = '\0';
	}
	if (rc)
		goto out;
	if (n) {
		rc = store_outbox_info(ctx->st, id, &info);
		if (rc == -ENOENT || (!rc && (due <= ctx->now ||
					      info.state != STORE_OUT_QUEUED ||
					      info.parts_sent))) {
			/* due (perhaps on its way): start a new one */
			n = 0;
			items[0] = '\0';
			rc = 0;
		} else if (!rc) {
			rc = store_outbox_cancel(ctx->st, id, ctx->now);
		}
		if (rc)
			goto out;
	}
	if (strlen(items) + strlen(j->acks) + 2 < REPLY_BUF)
		join(items, REPLY_BUF, j->acks);
	n += j->nacks;
	rc = reply_merged(&j->rctx, items, n, text, REPLY_BUF);
	if (rc < 0)
		goto out;
	due = ctx->now + HANDLER_MERGE_DELAY;
	rc = outq_add_at(ctx->st, ctx->cfg, j->num, text, STORE_OUT_REPLY, 0,
			 ctx->now, due, &id);
	if (!rc)
		rc = store_merged_put(ctx->st, j->num, id, items, n, due);
	if (!rc)
		j->res->reply_id = id;
out:
	free(items);
	return rc;
}

/* Copy a reply for an interactive front end, cut at a UTF-8 boundary. */
static void reply_copy(char *buf, size_t len, const char *text)
{
	size_t n = strlen(text);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
}

/* handler_sms, or with RBUF set handler_sms_capture. */
static int handle_msg(const struct handler_ctx *ctx,
		      const struct store_inbox_msg *msg,
		      struct handler_result *out, char *rbuf, size_t rlen)
{
	struct handler_result local;
	struct handler_result *res = out ? out : &local;
	enum outq_verdict v;
	struct job *j;
	const char *text;
	bool tripped, guard_out = false, capped = false;
	long n = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	res->kind = CMD_UNKNOWN;
	if (!ctx || !ctx->st || !ctx->cfg || !msg)
		return -EINVAL;
	text = msg->text ? msg->text : "";
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->ctx = ctx;
	j->msg = msg;
	j->res = res;
	/* 1. who may never be answered (no auto-reply loops) */
	rc = outq_allowed(ctx->st, msg->sender, ctx->now, &v);
	if (rc)
		goto out;
	switch (v) {
	case OUTQ_ALLOWED:
		break;
	case OUTQ_BLOCK_ALNUM:
		res->outcome = HANDLER_SILENT_ALNUM;
		goto out;
	case OUTQ_BLOCK_SERVICE:
		res->outcome = HANDLER_SILENT_SERVICE;
		goto out;
	case OUTQ_BLOCK_OWN:
		res->outcome = HANDLER_SILENT_OWN;
		goto out;
	case OUTQ_BLOCK_LOOP:
	default:
		guard_out = true;	/* decided below, with the command */
		break;
	}
	phone_normalize(msg->sender, j->num, sizeof(j->num));
	if (!strcmp(msg->alphabet, "8bit")) {
		res->outcome = HANDLER_SILENT_BINARY;
		goto out;
	}
	/* 2. the command and who sends it */
	cmd_parse(text, strlen(text), &j->cmd);
	res->kind = j->cmd.kind;
	res->err = j->cmd.err;
	rc = load_membs(ctx->st, j->num, &j->ms);
	if (rc)
		goto out;
	res->known = j->ms.n > 0;
	res->committee = j->ms.committee;
	make_rctx(ctx, &j->rctx);
	/*
	 * 3. loop guard: machine patterns only.  A network duplicate never
	 * gets here (the inbox key); a person asking again is answered.
	 */
	rc = machine_pattern(ctx, j->num, msg, &tripped);
	if (rc)
		goto out;
	if ((tripped || guard_out) && !always_done(j)) {
		res->outcome = HANDLER_SILENT_LOOP;
		goto out;
	}
	/* 4. hourly cap: beyond it nothing is done, except a member's
	 * review, reply and close, whose confirmations are merged */
	rc = store_outbox_count_to(ctx->st, j->num, ctx->now - 3600,
				   STORE_OUT_REPLY, &n);
	if (rc)
		goto out;
	capped = n >= ctx->cfg->sms.per_number_per_hour;
	if (capped && !always_done(j)) {
		res->outcome = HANDLER_SILENT_RATE;
		goto out;
	}
	/* an interactive front end (USSD) shows its reply: no merging */
	j->merge = !rbuf && (capped || tripped || guard_out);
	rc = dispatch(j);
	if (rc || res->outcome != HANDLER_REPLIED)
		goto out;
	if (j->merge) {
		rc = merge_reply(j);
		goto out;
	}
	if (!j->reply[0]) {	/* every path writes a reply; be safe */
		rc = reply_simple(&j->rctx, REPLY_UNKNOWN_CMD, j->reply,
				  sizeof(j->reply));
		if (rc < 0)
			goto out;
	}
	if (rbuf) {		/* interactive front end: no SMS reply */
		reply_copy(rbuf, rlen, j->reply);
		goto out;
	}
	rc = outq_add(ctx->st, ctx->cfg, j->num, j->reply, STORE_OUT_REPLY,
		      msg->id, ctx->now, &res->reply_id);
out:
	free(j);
	return rc;
}

int handler_sms(const struct handler_ctx *ctx,
		const struct store_inbox_msg *msg, struct handler_result *out)
{
	return handle_msg(ctx, msg, out, NULL, 0);
}

int handler_sms_capture(const struct handler_ctx *ctx,
			const struct store_inbox_msg *msg,
			struct handler_result *out, char *reply, size_t len)
{
	if (!reply || !len)
		return -EINVAL;
	reply[0] = '\0';
	return handle_msg(ctx, msg, out, reply, len);
}

/* ---- failures, digest -------------------------------------------------- */

int handler_failed(const struct handler_ctx *ctx,
		   const struct store_inbox_msg *msg, int err, bool *gave_up)
{
	struct reply_flow_args fa = { 0 };
	struct reply_ctx rctx;
	char text[REPLY_BUF];
	enum outq_verdict v;
	int attempts = 0, rc;

	*gave_up = false;
	if (!ctx || !msg)
		return -EINVAL;
	rc = store_inbox_failed(ctx->st, msg->id, msg->sender, strerror(-err),
				ctx->now, &attempts);
	if (rc || attempts < HANDLER_FAIL_MAX)
		return rc;
	*gave_up = true;
	rc = store_inbox_gave_up(ctx->st, msg->id);
	if (rc)
		return rc;
	rc = outq_allowed(ctx->st, msg->sender, ctx->now, &v);
	if (rc || v != OUTQ_ALLOWED || !strcmp(msg->alphabet, "8bit"))
		return rc;
	make_rctx(ctx, &rctx);
	rc = reply_flow(&rctx, REPLY_SORRY, &fa, text, sizeof(text));
	if (rc < 0)
		return rc;
	rc = outq_add(ctx->st, ctx->cfg, msg->sender, text, STORE_OUT_REPLY,
		      msg->id, ctx->now, NULL);
	return rc == -EEXIST || rc == -EINVAL ? 0 : rc;
}

#define DIGEST_KEY	"digest.last_day"
#define HANDLER_DIGEST_LATE	600	/* first start: no digest after */

/* Today's digest time (local), as Unix seconds. */
static int64_t digest_at(const struct handler_ctx *ctx, int64_t day0)
{
	return day0 + (int64_t)ctx->cfg->committee.digest_minute * 60;
}

int handler_digest(const struct handler_ctx *ctx, int *sent, int64_t *next)
{
	struct reply_flow_args fa = { 0 };
	struct reply_ctx rctx;
	struct plist l = { 0 };
	struct membs *ms = NULL;
	struct mlist *ml = NULL;
	struct todo *t = NULL;
	char day[32], last[32], text[REPLY_BUF];
	int64_t day0, at;
	int i, rc;

	if (sent)
		*sent = 0;
	*next = -1;
	if (!ctx)
		return -EINVAL;
	if (!ctx->cfg->committee.digest_enabled)
		return 0;
	day0 = local_midnight(ctx->now);
	at = digest_at(ctx, day0);
	local_day(ctx->now, day, sizeof(day));
	rc = store_status_get(ctx->st, DIGEST_KEY, last, sizeof(last));
	if (rc == -ENOENT) {
		last[0] = '\0';
		rc = 0;
	}
	if (rc)
		return rc;
	if (!last[0] && ctx->now > at + HANDLER_DIGEST_LATE) {
		/* first start, long after the digest time: from tomorrow */
		rc = store_status_set(ctx->st, DIGEST_KEY, day, ctx->now);
		if (rc)
			return rc;
		text_copy(last, sizeof(last), day);
	}
	if (ctx->now < at || !strcmp(last, day)) {
		/* tomorrow's (day lengths vary with DST: from tomorrow noon) */
		*next = ctx->now < at ? at :
			digest_at(ctx, local_midnight(day0 + 86400 + 43200));
		return 0;
	}
	ms = malloc(sizeof(*ms));
	ml = calloc(1, sizeof(*ml));
	if (!ms || !ml) {
		rc = -ENOMEM;
		goto out;
	}
	rc = store_matters_list(ctx->st, true, mlist_cb, ml);
	if (!rc)
		rc = store_committee_phones(ctx->st, plist_cb, &l);
	make_rctx(ctx, &rctx);
	for (i = 0; !rc && i < l.n; i++) {
		free(t);
		t = calloc(1, sizeof(*t));
		if (!t) {
			rc = -ENOMEM;
			break;
		}
		rc = load_membs(ctx->st, l.p[i], ms);
		if (!rc)
			rc = load_todo(ctx->st, ms, t, NULL);
		if (rc)
			break;
		if (!t->total && !ml->total)
			continue;	/* nothing waiting: no SMS */
		fa.count = (long)t->total;
		fa.held = (long)t->objected;
		fa.parts = (long)ml->total;
		rc = reply_flow(&rctx, REPLY_DIGEST, &fa, text, sizeof(text));
		if (rc < 0)
			break;
		rc = send_to(ctx, l.p[i], text, STORE_OUT_NOTIFY, -1, sent);
	}
	if (!rc)
		rc = store_status_set(ctx->st, DIGEST_KEY, day, ctx->now);
	if (!rc)
		*next = digest_at(ctx, local_midnight(day0 + 86400 + 43200));
out:
	free(t);
	free(ml);
	free(ms);
	free(l.p);
	return rc;
}
