/* SPDX-License-Identifier: MIT */
/*
 * handlers.c - one inbound SMS in, effects + one reply (or a deliberate
 * silence) out.  See handlers.h for the contract and the decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/handlers.h"
#include "gateway/loan.h"
#include "storage/sync.h"
#include "gateway/text.h"
#include "storage/phone.h"

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

/* Queue TEXT as a notification to every phone of HOUSEHOLD that wants
 * notifications and may be sent to.  *SENT gets the count. */
static int notify_household(const struct handler_ctx *ctx,
			    const char *household, const char *text,
			    int *sent)
{
	enum outq_verdict v;
	struct phones *ps;
	bool on;
	int i, rc;

	*sent = 0;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	rc = store_household_members(ctx->st, household, phones_cb, ps);
	for (i = 0; !rc && i < ps->n; i++) {
		rc = store_phone_notify(ctx->st, ps->p[i], &on);
		if (rc || !on)
			continue;
		rc = outq_allowed(ctx->st, ps->p[i], ctx->now, &v);
		if (rc || v != OUTQ_ALLOWED)
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

/* ---- review ------------------------------------------------------- */

int handler_review(const struct handler_ctx *ctx, const char *by,
		   long long no, enum store_decision d, const char *reason,
		   const char *pin, struct handler_review_result *out)
{
	enum store_review_outcome oc = STORE_REVIEW_NOT_FOUND;
	char num[PHONE_MAX], text[REPLY_BUF];
	struct reply_notice note = { 0 };
	struct reply_record rr;
	struct reply_ctx rc_;
	struct store_record rec;
	struct membs *ms = NULL;
	bool console, ok;
	int rc;

	if (!ctx || !by || !out || (d != STORE_APPROVE && d != STORE_REJECT))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->result = REPLY_REVIEW_NOT_FOUND;
	if (d == STORE_REJECT && (!reason || !*reason))
		return -EINVAL;
	console = !strcmp(by, HANDLER_BY_CONSOLE);
	if (!console) {
		if (phone_normalize(by, num, sizeof(num))) {
			out->result = REPLY_REVIEW_NOT_COMMITTEE;
			return 0;
		}
		ms = malloc(sizeof(*ms));
		if (!ms)
			return -ENOMEM;
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
	if (!console && d == STORE_APPROVE && ctx->cfg->committee.require_pin) {
		if (!pin || !*pin) {
			out->result = REPLY_REVIEW_PIN_NEEDED;
			goto out;
		}
		rc = store_check_pin(ctx->st, num, pin, &ok);
		if (rc)
			goto out;
		if (!ok) {
			out->result = REPLY_REVIEW_PIN_WRONG;
			goto out;
		}
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
		note.kind = REPLY_NOTICE_APPROVED;
		note.until = rec.notice_until;
	} else {
		note.kind = REPLY_NOTICE_REJECTED;
		note.reason = reason;
	}
	rc = reply_notice(&rc_, &note, text, sizeof(text));
	if (rc < 0)
		goto out;
	rc = notify_household(ctx, rec.household, text, &out->notified);
out:
	free(ms);
	return rc;
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
};

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

static void loan_policy_from(const struct config *cfg, struct loan_policy *p)
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
	loan_policy_from(j->ctx->cfg, &pol);
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

static int do_say(struct job *j)
{
	long long ticket = 0;
	int rc;

	rc = store_matter_add(j->ctx->st, j->ms.m[0].household, j->num,
			      j->cmd.text, j->ctx->now, &ticket, NULL);
	if (rc)
		return rc;
	rc = reply_say(&j->rctx, (long)ticket, j->reply, sizeof(j->reply));
	return rc < 0 ? rc : 0;
}

/* Pending records a member may review (not their own households). */
struct todo {
	const struct membs *ms;
	struct store_record r[TODO_ITEMS];
	size_t n, total;
};

static int todo_cb(const struct store_record *r, void *data)
{
	struct todo *t = data;

	if (in_membs(t->ms, r->household))
		return 0;
	if (t->n < TODO_ITEMS)
		t->r[t->n++] = *r;
	t->total++;
	return 0;
}

static int do_todo(struct job *j)
{
	struct store_record_filter f = { 0 };
	struct reply_record rr[TODO_ITEMS];
	char (*names)[STORE_NAME_MAX];
	struct todo *t;
	size_t i;
	int rc;

	if (!j->ms.committee) {
		rc = reply_simple(&j->rctx, REPLY_COMMITTEE_ONLY, j->reply,
				  sizeof(j->reply));
		return rc < 0 ? rc : 0;
	}
	t = calloc(1, sizeof(*t));
	names = calloc(TODO_ITEMS, sizeof(*names));
	if (!t || !names) {
		rc = -ENOMEM;
		goto out;
	}
	t->ms = &j->ms;
	f.status = STORE_PENDING;
	rc = store_records_list(j->ctx->st, &f, todo_cb, t);
	if (rc)
		goto out;
	for (i = 0; i < t->n; i++) {
		rc = household_name(j->ctx->st, t->r[i].household, names[i],
				    sizeof(names[i]));
		if (rc)
			goto out;
		to_reply_record(&t->r[i], names[i], &rr[i]);
	}
	rc = reply_todo(&j->rctx, rr, t->n, t->total, j->reply,
			sizeof(j->reply));
	if (rc > 0)
		rc = 0;
out:
	free(names);
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

static int do_notify_flag(struct job *j, bool on)
{
	int rc;

	rc = store_phone_set_notify(j->ctx->st, j->num, on, j->ctx->now);
	if (rc)
		return rc;
	rc = reply_simple(&j->rctx, on ? REPLY_STARTED : REPLY_STOPPED,
			  j->reply, sizeof(j->reply));
	return rc < 0 ? rc : 0;
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
	rc = reply_simple(&j->rctx, REPLY_REGISTER_HINT, j->reply,
			  sizeof(j->reply));
	return rc < 0 ? rc : 0;
}

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
	switch (j->cmd.kind) {
	case CMD_POINTS:
		return do_points(j);
	case CMD_RATE:
		return do_rate(j);
	case CMD_LOG:
		return do_log(j);
	case CMD_HELP:
		rc = reply_help(&j->rctx, j->ms.committee, j->reply,
				sizeof(j->reply));
		return rc < 0 ? rc : 0;
	case CMD_SAY:
		return do_say(j);
	case CMD_TODO:
		return do_todo(j);
	case CMD_APPROVE:
		return do_review(j, STORE_APPROVE);
	case CMD_REJECT:
		return do_review(j, STORE_REJECT);
	case CMD_STOP:
		return do_notify_flag(j, false);
	case CMD_START:
		return do_notify_flag(j, true);
	case CMD_NOT_YET:
		rc = reply_not_yet(&j->rctx, j->cmd.word, j->reply,
				   sizeof(j->reply));
		return rc < 0 ? rc : 0;
	case CMD_UNKNOWN:
	default:
		rc = reply_simple(&j->rctx, REPLY_UNKNOWN_CMD, j->reply,
				  sizeof(j->reply));
		return rc < 0 ? rc : 0;
	}
}

/* Same text (exact, or trimmed of white space) from NUM recently? */
static int duplicate(const struct handler_ctx *ctx, const char *num,
		     const struct store_inbox_msg *msg, bool *seen)
{
	const char *text = msg->text ? msg->text : "";
	int64_t at = msg->received_at > 0 ? msg->received_at : ctx->now;
	const char *b = text, *e;
	char *trim;
	int rc;

	rc = store_inbox_seen_recently(ctx->st, num, text,
				       at - HANDLER_DUP_WINDOW, seen);
	if (rc || *seen)
		return rc;
	while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
		b++;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	if (b == text && *e == '\0')
		return 0;
	trim = strndup(b, (size_t)(e - b));
	if (!trim)
		return -ENOMEM;
	rc = store_inbox_seen_recently(ctx->st, num, trim,
				       at - HANDLER_DUP_WINDOW, seen);
	free(trim);
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
	bool seen;
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
		res->outcome = HANDLER_SILENT_LOOP;
		goto out;
	}
	phone_normalize(msg->sender, j->num, sizeof(j->num));
	if (!strcmp(msg->alphabet, "8bit")) {
		res->outcome = HANDLER_SILENT_BINARY;
		goto out;
	}
	/* 2. the same text within 10 minutes is answered once */
	seen = false;
	rc = rbuf ? 0 : duplicate(ctx, j->num, msg, &seen);
	if (rc)
		goto out;
	if (seen) {
		res->outcome = HANDLER_SILENT_DUPLICATE;
		goto out;
	}
	/* 3. hourly cap: beyond it nothing is done */
	rc = store_outbox_count_to(ctx->st, j->num, ctx->now - 3600,
				   STORE_OUT_REPLY, &n);
	if (rc)
		goto out;
	if (n >= ctx->cfg->sms.per_number_per_hour) {
		res->outcome = HANDLER_SILENT_RATE;
		goto out;
	}
	/* 4. the command */
	cmd_parse(text, strlen(text), &j->cmd);
	res->kind = j->cmd.kind;
	res->err = j->cmd.err;
	rc = load_membs(ctx->st, j->num, &j->ms);
	if (rc)
		goto out;
	res->known = j->ms.n > 0;
	res->committee = j->ms.committee;
	make_rctx(ctx, &j->rctx);
	rc = dispatch(j);
	if (rc || res->outcome != HANDLER_REPLIED)
		goto out;
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
