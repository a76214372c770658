/* SPDX-License-Identifier: MIT */
/*
 * apply - a platform response into the store, one transaction.  See
 * apply.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/loan.h"
#include "gateway/outq.h"
#include "jifen-sync/apply.h"
#include "storage/phone.h"
#include "storage/sync.h"
#include "storage/village.h"

static void skip(struct apply_stats *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void skip(struct apply_stats *s, const char *fmt, ...)
{
	va_list ap;

	s->skipped++;
	va_start(ap, fmt);
	vsnprintf(s->warning, sizeof(s->warning), fmt, ap);
	va_end(ap);
}

/* -EINVAL/-ENOENT from the store mean "this change is bad", anything
 * else is a store failure that aborts the whole response. */
static bool bad_change(int rc)
{
	return rc == -EINVAL || rc == -ENOENT || rc == -EEXIST;
}

struct keep {
	const struct wire_change *ch;
	char drop[WIRE_MAX_MEMBERS][PHONE_MAX];
	int ndrop;
};

static int member_cb(const struct store_member *m, void *data)
{
	struct keep *k = data;
	char num[PHONE_MAX];
	int i;

	for (i = 0; i < k->ch->nmembers; i++)
		if (!phone_normalize(k->ch->members[i].phone, num,
				     sizeof(num)) && !strcmp(num, m->phone))
			return 0;
	if (k->ndrop < WIRE_MAX_MEMBERS)
		snprintf(k->drop[k->ndrop++], PHONE_MAX, "%s", m->phone);
	return 0;
}

static int apply_household(struct store *st, const struct wire_change *ch,
			   int64_t now, struct apply_stats *s)
{
	struct keep *k;
	int rc, i;

	if (ch->deleted) {
		rc = store_household_delete(st, ch->id, now);
		if (rc == -ENOENT)
			rc = 0;
		if (!rc)
			rc = store_audit(st, now, "sync", "household.delete",
					 ch->id);
		return rc;
	}
	rc = store_household_upsert(st, ch->id, ch->name[0] ? ch->name : NULL,
				    now, NULL);
	if (bad_change(rc)) {
		skip(s, "household %.64s: refused by the store", ch->id);
		return 1;
	}
	if (rc)
		return rc;
	for (i = 0; i < ch->nmembers; i++) {
		const struct wire_member *m = &ch->members[i];

		rc = store_phone_bind(st, m->phone, ch->id, m->name,
				      m->committee ? STORE_COMMITTEE :
						     STORE_VILLAGER,
				      NULL, now, NULL);
		if (bad_change(rc)) {
			skip(s, "household %.64s: member %.32s refused",
			     ch->id, m->phone);
			continue;
		}
		if (rc)
			return rc;
	}
	if (!ch->members)	/* no member list sent: keep the phones */
		goto out;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ch = ch;
	rc = store_household_members(st, ch->id, member_cb, k);
	for (i = 0; !rc && i < k->ndrop; i++)
		rc = store_phone_unbind(st, k->drop[i], ch->id);
	free(k);
	if (rc)
		return rc;
out:
	return store_audit(st, now, "sync", "household.update", ch->id);
}

/* 1 approve, 2 reject, 0 undecided */
static int decision_of(int status)
{
	if (status == STORE_APPROVED || status == STORE_FINAL)
		return 1;
	if (status == STORE_REJECTED)
		return 2;
	return 0;
}

/* Tell BY that their SMS decision on record NO lost to the platform. */
static int tell_overruled(struct store *st, const struct config *cfg,
			  const char *by, long long no, int mine, int theirs,
			  int64_t now, struct apply_stats *s)
{
	enum outq_verdict v;
	char text[256];
	int rc;

	if (phone_normalize(by, text, sizeof(text)))
		return 0;	/* decided on the console: nobody to text */
	rc = outq_allowed(st, by, now, &v);
	if (rc || v != OUTQ_ALLOWED)
		return rc;
	if (cfg->sms.language == CONFIG_LANG_EN)
		snprintf(text, sizeof(text), "Record #%lld: your %s did not "
			 "take effect; the platform %s it. The platform's "
			 "decision stands.", no,
			 mine == 1 ? "approval" : "rejection",
			 theirs == 1 ? "approved" : "rejected");
	else
		snprintf(text, sizeof(text), "第%lld号记录：您的%s未生效，"
			 "平台已%s，以平台为准。", no,
			 mine == 1 ? "确认" : "驳回",
			 theirs == 1 ? "确认" : "驳回");
	rc = outq_add(st, cfg, by, text, STORE_OUT_NOTIFY, 0, now, NULL);
	if (!rc)
		s->told++;
	return rc;
}

static int apply_record(struct store *st, const struct config *cfg,
			const struct wire_change *ch, int64_t now,
			struct apply_stats *s)
{
	enum store_rstatus local;
	char by[STORE_NAME_MAX];
	long long no = 0;
	bool known;
	int rc, mine, theirs;

	rc = store_record_find_gid(st, ch->id, &no, &local, by, sizeof(by));
	if (rc && rc != -ENOENT)
		return rc;
	known = rc == 0;
	if (known && local != STORE_PENDING && ch->status == STORE_PENDING) {
		/* never undo a decision with a stale change */
		skip(s, "record %.64s: stale (pending after %s)", ch->id,
		     store_rstatus_name(local));
		return 1;
	}
	rc = store_record_put_remote(st, ch->id, ch->household, ch->points,
				     ch->reason, (enum store_rstatus)ch->status,
				     ch->created ? ch->created : now,
				     ch->notice_until, now);
	if (bad_change(rc)) {
		skip(s, "record %.64s: household %.64s unknown", ch->id,
		     ch->household);
		return 1;
	}
	if (rc)
		return rc;
	mine = known ? decision_of(local) : 0;
	theirs = decision_of(ch->status);
	if (mine && theirs && mine != theirs && by[0]) {
		rc = store_audit(st, now, "sync", "record.overruled", ch->id);
		if (!rc)
			rc = tell_overruled(st, cfg, by, no, mine, theirs, now,
					    s);
	}
	return rc;
}

void apply_current_policy(struct store *st, const struct config *cfg,
			  struct wire_policy *p)
{
	struct store_loan_policy sp;

	memset(p, 0, sizeof(*p));
	if (store_policy_get(st, &sp) == 0) {
		p->base_rate = sp.base_rate;
		p->mode = sp.mode;
		p->step_points = sp.step_points;
		p->step_discount = sp.step_discount;
		p->max_discount = sp.max_discount;
		p->floor_rate = sp.floor_rate;
		p->score = sp.score;
		return;
	}
	p->base_rate = cfg->loan.base_rate;
	p->mode = cfg->loan.mode == CONFIG_LOAN_STEP;
	p->step_points = cfg->loan.step_points;
	p->step_discount = cfg->loan.step_discount;
	p->max_discount = cfg->loan.max_discount;
	p->floor_rate = cfg->loan.floor_rate;
	p->score = cfg->loan.score == CONFIG_SCORE_APPROVED;
}

static int apply_policy(struct store *st, const struct config *cfg,
			const struct wire_change *ch, int64_t now,
			struct apply_stats *s)
{
	const struct wire_policy *in = &ch->policy;
	struct store_loan_policy sp;
	struct loan_policy lp;
	struct wire_policy p;
	int rc;

	apply_current_policy(st, cfg, &p);
	if (in->has & WIRE_POL_BASE)
		p.base_rate = in->base_rate;
	if (in->has & WIRE_POL_MODE)
		p.mode = in->mode;
	if (in->has & WIRE_POL_STEP_POINTS)
		p.step_points = in->step_points;
	if (in->has & WIRE_POL_STEP_DISCOUNT)
		p.step_discount = in->step_discount;
	if (in->has & WIRE_POL_MAX_DISCOUNT)
		p.max_discount = in->max_discount;
	if (in->has & WIRE_POL_FLOOR)
		p.floor_rate = in->floor_rate;
	if (in->has & WIRE_POL_SCORE)
		p.score = in->score;
	lp.base_rate = p.base_rate;
	lp.mode = p.mode ? LOAN_STEP : LOAN_LINEAR;
	lp.step_points = p.step_points;
	lp.step_discount = p.step_discount;
	lp.max_discount = p.max_discount;
	lp.floor_rate = p.floor_rate;
	if (loan_policy_check(&lp) || p.floor_rate > p.base_rate) {
		skip(s, "loan policy refused (floor above base or out of "
		     "range)");
		return 1;
	}
	sp.base_rate = p.base_rate;
	sp.mode = p.mode;
	sp.step_points = p.step_points;
	sp.step_discount = p.step_discount;
	sp.max_discount = p.max_discount;
	sp.floor_rate = p.floor_rate;
	sp.score = p.score;
	rc = store_policy_set(st, &sp, now);
	if (!rc)
		rc = store_audit(st, now, "sync", "policy.update", "loan");
	return rc;
}

static int apply_all(struct store *st, const struct config *cfg,
		     const struct wire_response *r, int64_t now,
		     struct apply_stats *s)
{
	const char *id;
	int i, rc;

	for (i = 0; i < r->naccepted; i++) {
		id = r->accepted[i];
		rc = store_events_delete(st, &id, 1);
		if (rc)
			return rc;
		s->accepted++;
	}
	for (i = 0; i < r->nrejected; i++) {
		rc = store_event_reject(st, r->rejected[i].id,
					r->rejected[i].reason[0] ?
					r->rejected[i].reason : "rejected",
					now);
		if (rc)
			return rc;
		s->rejected++;
	}
	for (i = 0; i < r->nchanges; i++) {
		const struct wire_change *ch = &r->changes[i];

		switch (ch->type) {
		case WIRE_HOUSEHOLD:
			rc = apply_household(st, ch, now, s);
			break;
		case WIRE_RECORD:
			rc = apply_record(st, cfg, ch, now, s);
			break;
		case WIRE_POLICY:
			rc = apply_policy(st, cfg, ch, now, s);
			break;
		default:
			rc = 1;
		}
		if (rc < 0)
			return rc;
		if (rc == 0)
			s->changes++;
	}
	if (r->has_cursor) {
		rc = store_state_set(st, "cursor", r->cursor, now);
		if (rc)
			return rc;
	}
	return 0;
}

int apply_response(struct store *st, const struct config *cfg,
		   const struct wire_response *r, int64_t now,
		   const char *bundle_id, struct apply_stats *out)
{
	struct apply_stats s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = store_begin(st);
	if (rc)
		return rc;
	rc = apply_all(st, cfg, r, now, &s);
	if (!rc && bundle_id)
		rc = store_bundle_mark(st, bundle_id, "response", now);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st);
	if (!rc && out)
		*out = s;
	return rc;
}
