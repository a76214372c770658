/* SPDX-License-Identifier: MIT */
/*
 * wire - protocol v1 JSON: request body, defensive response parser.
 * See wire.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jifen-sync/wire.h"
#include "util/date.h"

struct perr {
	char *buf;
	size_t len;
};

static int fail(struct perr *pe, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct perr *pe, const char *fmt, ...)
{
	va_list ap;

	char *p;

	if (pe->len) {
		va_start(ap, fmt);
		vsnprintf(pe->buf, pe->len, fmt, ap);
		va_end(ap);
		/* one line: the server's strings may hold control bytes */
		for (p = pe->buf; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return -EPROTO;
}

/* Copy string item IT (named WHAT) into OUT; empty allowed if ALLOW_EMPTY. */
static int get_str(struct perr *pe, const cJSON *it, const char *what,
		   char *out, size_t size, bool allow_empty)
{
	size_t n;

	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(pe, "%s: not a string", what);
	n = strlen(it->valuestring);
	if (n >= size)
		return fail(pe, "%s: longer than %zu bytes", what, size - 1);
	if (!n && !allow_empty)
		return fail(pe, "%s: empty", what);
	memcpy(out, it->valuestring, n + 1);
	return 0;
}

static int get_int(struct perr *pe, const cJSON *it, const char *what,
		   double lo, double hi, long long *out)
{
	double d;

	if (!cJSON_IsNumber(it))
		return fail(pe, "%s: not a number", what);
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return fail(pe, "%s: not an integer", what);
	if (d < lo || d > hi)
		return fail(pe, "%s: %g out of range", what, d);
	*out = (long long)d;
	return 0;
}

static int get_num(struct perr *pe, const cJSON *it, const char *what,
		   double lo, double hi, double *out)
{
	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return fail(pe, "%s: not a number", what);
	if (it->valuedouble < lo || it->valuedouble > hi)
		return fail(pe, "%s: %g out of range", what, it->valuedouble);
	*out = it->valuedouble;
	return 0;
}

static int get_bool(struct perr *pe, const cJSON *it, const char *what,
		    bool *out)
{
	if (!cJSON_IsBool(it))
		return fail(pe, "%s: not true or false", what);
	*out = cJSON_IsTrue(it);
	return 0;
}

static int array_size(struct perr *pe, const cJSON *it, const char *what,
		      int max, int *n)
{
	if (!cJSON_IsArray(it))
		return fail(pe, "%s: not an array", what);
	*n = cJSON_GetArraySize(it);
	if (*n > max)
		return fail(pe, "%s: more than %d entries", what, max);
	return 0;
}

static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int wire_parse_time(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se))
		return -EINVAL;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*out = date_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	       sign * (oh * 3600 + om * 60);
	return 0;
}

static int get_time(struct perr *pe, const cJSON *it, const char *what,
		    int64_t *out)
{
	*out = 0;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it) || wire_parse_time(it->valuestring, out))
		return fail(pe, "%s: not an ISO 8601 time", what);
	return 0;
}

static const char *const status_names[] = { "pending", "approved",
					     "rejected", "final" };

static int parse_household(struct perr *pe, const cJSON *c, const char *at,
			   struct wire_change *ch)
{
	char what[96];
	const cJSON *m, *it;
	int n, i, rc;

	snprintf(what, sizeof(what), "%s.id", at);
	rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(c, "id"), what,
		     ch->id, sizeof(ch->id), false);
	if (rc)
		return rc;
	it = cJSON_GetObjectItemCaseSensitive(c, "deleted");
	if (it) {
		snprintf(what, sizeof(what), "%s.deleted", at);
		rc = get_bool(pe, it, what, &ch->deleted);
		if (rc)
			return rc;
	}
	it = cJSON_GetObjectItemCaseSensitive(c, "name");
	if (it && !cJSON_IsNull(it)) {
		snprintf(what, sizeof(what), "%s.name", at);
		rc = get_str(pe, it, what, ch->name, sizeof(ch->name), true);
		if (rc)
			return rc;
	}
	m = cJSON_GetObjectItemCaseSensitive(c, "members");
	if (!m || cJSON_IsNull(m))
		return 0;
	snprintf(what, sizeof(what), "%s.members", at);
	rc = array_size(pe, m, what, WIRE_MAX_MEMBERS, &n);
	if (rc)
		return rc;
	ch->members = calloc(n ? (size_t)n : 1, sizeof(*ch->members));
	if (!ch->members)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const cJSON *e = cJSON_GetArrayItem(m, i);
		struct wire_member *w = &ch->members[i];
		char role[16];

		if (!cJSON_IsObject(e))
			return fail(pe, "%s.members[%d]: not an object", at, i);
		snprintf(what, sizeof(what), "%s.members[%d].phone", at, i);
		rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(e, "phone"),
			     what, w->phone, sizeof(w->phone), false);
		if (rc)
			return rc;
		it = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (it && !cJSON_IsNull(it)) {
			snprintf(what, sizeof(what), "%s.members[%d].name", at,
				 i);
			rc = get_str(pe, it, what, w->name, sizeof(w->name),
				     true);
			if (rc)
				return rc;
		}
		it = cJSON_GetObjectItemCaseSensitive(e, "role");
		if (it && !cJSON_IsNull(it)) {
			snprintf(what, sizeof(what), "%s.members[%d].role", at,
				 i);
			rc = get_str(pe, it, what, role, sizeof(role), false);
			if (rc)
				return rc;
			if (!strcmp(role, "committee"))
				w->committee = true;
			else if (strcmp(role, "villager"))
				return fail(pe, "%s: not villager or "
					    "committee", what);
		}
		ch->nmembers++;
	}
	return 0;
}

static int parse_record(struct perr *pe, const cJSON *c, const char *at,
			struct wire_change *ch)
{
	char what[96], st[16];
	const cJSON *it;
	size_t i;
	int rc;

	snprintf(what, sizeof(what), "%s.id", at);
	rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(c, "id"), what,
		     ch->id, sizeof(ch->id), false);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "%s.household", at);
	rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(c, "household"),
		     what, ch->household, sizeof(ch->household), false);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "%s.points", at);
	rc = get_int(pe, cJSON_GetObjectItemCaseSensitive(c, "points"), what,
		     -1e9, 1e9, &ch->points);
	if (rc)
		return rc;
	it = cJSON_GetObjectItemCaseSensitive(c, "reason");
	if (it && !cJSON_IsNull(it)) {
		snprintf(what, sizeof(what), "%s.reason", at);
		rc = get_str(pe, it, what, ch->reason, sizeof(ch->reason),
			     true);
		if (rc)
			return rc;
	}
	snprintf(what, sizeof(what), "%s.status", at);
	rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(c, "status"), what,
		     st, sizeof(st), false);
	if (rc)
		return rc;
	ch->status = -1;
	for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (!strcmp(st, status_names[i]))
			ch->status = (int)i;
	if (ch->status < 0)
		return fail(pe, "%s: unknown status '%s'", what, st);
	snprintf(what, sizeof(what), "%s.created", at);
	rc = get_time(pe, cJSON_GetObjectItemCaseSensitive(c, "created"), what,
		      &ch->created);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "%s.notice_until", at);
	return get_time(pe, cJSON_GetObjectItemCaseSensitive(c,
			"notice_until"), what, &ch->notice_until);
}

static int parse_policy(struct perr *pe, const cJSON *c, const char *at,
			struct wire_change *ch)
{
	struct wire_policy *p = &ch->policy;
	const cJSON *loan, *it;
	char what[96], s[16];
	long long v;
	int rc;

	loan = cJSON_GetObjectItemCaseSensitive(c, "loan");
	if (!cJSON_IsObject(loan))
		return fail(pe, "%s.loan: not an object", at);
#define NUM(key, bit, field, lo, hi) \
	it = cJSON_GetObjectItemCaseSensitive(loan, key); \
	if (it) { \
		snprintf(what, sizeof(what), "%s.loan.%s", at, key); \
		rc = get_num(pe, it, what, lo, hi, &p->field); \
		if (rc) \
			return rc; \
		p->has |= bit; \
	}
	NUM("base_rate", WIRE_POL_BASE, base_rate, 0, 100)
	NUM("step_discount", WIRE_POL_STEP_DISCOUNT, step_discount, 0, 100)
	NUM("max_discount", WIRE_POL_MAX_DISCOUNT, max_discount, 0, 100)
	NUM("floor_rate", WIRE_POL_FLOOR, floor_rate, 0, 100)
#undef NUM
	it = cJSON_GetObjectItemCaseSensitive(loan, "step_points");
	if (it) {
		snprintf(what, sizeof(what), "%s.loan.step_points", at);
		rc = get_int(pe, it, what, 1, 1000000, &v);
		if (rc)
			return rc;
		p->step_points = (int)v;
		p->has |= WIRE_POL_STEP_POINTS;
	}
	it = cJSON_GetObjectItemCaseSensitive(loan, "mode");
	if (it) {
		snprintf(what, sizeof(what), "%s.loan.mode", at);
		rc = get_str(pe, it, what, s, sizeof(s), false);
		if (rc)
			return rc;
		if (strcmp(s, "linear") && strcmp(s, "step"))
			return fail(pe, "%s: not linear or step", what);
		p->mode = !strcmp(s, "step");
		p->has |= WIRE_POL_MODE;
	}
	it = cJSON_GetObjectItemCaseSensitive(loan, "score");
	if (it) {
		snprintf(what, sizeof(what), "%s.loan.score", at);
		rc = get_str(pe, it, what, s, sizeof(s), false);
		if (rc)
			return rc;
		if (strcmp(s, "final") && strcmp(s, "approved"))
			return fail(pe, "%s: not final or approved", what);
		p->score = !strcmp(s, "approved");
		p->has |= WIRE_POL_SCORE;
	}
	return 0;
}

static int parse_changes(struct perr *pe, const cJSON *arr,
			 struct wire_response *r)
{
	char at[32], type[16];
	int n, i, rc;

	rc = array_size(pe, arr, "changes", WIRE_MAX_CHANGES, &n);
	if (rc)
		return rc;
	r->changes = calloc(n ? (size_t)n : 1, sizeof(*r->changes));
	if (!r->changes)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetArrayItem(arr, i);
		struct wire_change *ch = &r->changes[r->nchanges];

		snprintf(at, sizeof(at), "changes[%d]", i);
		if (!cJSON_IsObject(c))
			return fail(pe, "%s: not an object", at);
		snprintf(type, sizeof(type), "%s", "");
		rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(c, "type"),
			     "type", type, sizeof(type), false);
		if (rc == -EPROTO) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(c,
									  "type");
			/* a long unknown type name is just unknown */
			if (cJSON_IsString(t)) {
				r->ignored++;
				continue;
			}
			return fail(pe, "%s.type: not a string", at);
		}
		if (!strcmp(type, "household")) {
			ch->type = WIRE_HOUSEHOLD;
			rc = parse_household(pe, c, at, ch);
		} else if (!strcmp(type, "record")) {
			ch->type = WIRE_RECORD;
			rc = parse_record(pe, c, at, ch);
		} else if (!strcmp(type, "policy")) {
			ch->type = WIRE_POLICY;
			rc = parse_policy(pe, c, at, ch);
		} else {
			r->ignored++;
			continue;
		}
		r->nchanges++;
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_ids(struct perr *pe, const cJSON *root,
		     struct wire_response *r)
{
	const cJSON *acc, *rej, *it;
	char what[64];
	int n, i, rc;

	acc = cJSON_GetObjectItemCaseSensitive(root, "accepted");
	if (acc && !cJSON_IsNull(acc)) {
		rc = array_size(pe, acc, "accepted", WIRE_MAX_IDS, &n);
		if (rc)
			return rc;
		r->accepted = calloc(n ? (size_t)n : 1, sizeof(*r->accepted));
		if (!r->accepted)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			snprintf(what, sizeof(what), "accepted[%d]", i);
			rc = get_str(pe, cJSON_GetArrayItem(acc, i), what,
				     r->accepted[i], WIRE_ID_MAX, false);
			if (rc)
				return rc;
			r->naccepted++;
		}
	}
	rej = cJSON_GetObjectItemCaseSensitive(root, "rejected");
	if (rej && !cJSON_IsNull(rej)) {
		rc = array_size(pe, rej, "rejected", WIRE_MAX_IDS, &n);
		if (rc)
			return rc;
		r->rejected = calloc(n ? (size_t)n : 1, sizeof(*r->rejected));
		if (!r->rejected)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			const cJSON *e = cJSON_GetArrayItem(rej, i);
			struct wire_reject *w = &r->rejected[i];

			if (!cJSON_IsObject(e))
				return fail(pe, "rejected[%d]: not an object",
					    i);
			snprintf(what, sizeof(what), "rejected[%d].id", i);
			rc = get_str(pe, cJSON_GetObjectItemCaseSensitive(e,
				     "id"), what, w->id, sizeof(w->id), false);
			if (rc)
				return rc;
			it = cJSON_GetObjectItemCaseSensitive(e, "reason");
			if (it && !cJSON_IsNull(it)) {
				snprintf(what, sizeof(what),
					 "rejected[%d].reason", i);
				/* a long reason is cut, not refused */
				if (!cJSON_IsString(it))
					return fail(pe, "%s: not a string",
						    what);
				snprintf(w->reason, sizeof(w->reason), "%.*s",
					 (int)sizeof(w->reason) - 1,
					 it->valuestring);
			}
			r->nrejected++;
		}
	}
	return 0;
}

int wire_parse_response(const char *buf, size_t len,
			struct wire_response **out, char *err, size_t errlen)
{
	struct perr pe = { err, errlen };
	struct wire_response *r;
	const char *end = NULL;
	const cJSON *it;
	cJSON *root;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (len > WIRE_MAX_RESPONSE) {
		fail(&pe, "response larger than %u bytes", WIRE_MAX_RESPONSE);
		return -EMSGSIZE;
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!root)
		return fail(&pe, "not JSON (truncated or malformed)");
	while (end && end < buf + len &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	if (end && end < buf + len && *end) {
		cJSON_Delete(root);
		return fail(&pe, "text after the JSON value");
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	if (!cJSON_IsObject(root)) {
		rc = fail(&pe, "response is not a JSON object");
		goto out;
	}
	rc = parse_ids(&pe, root, r);
	if (rc)
		goto out;
	it = cJSON_GetObjectItemCaseSensitive(root, "changes");
	if (it && !cJSON_IsNull(it)) {
		rc = parse_changes(&pe, it, r);
		if (rc)
			goto out;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "cursor");
	if (!it) {
		rc = fail(&pe, "cursor: missing");
		goto out;
	}
	if (!cJSON_IsNull(it)) {
		if (cJSON_IsNumber(it) && isfinite(it->valuedouble) &&
		    it->valuedouble == floor(it->valuedouble) &&
		    fabs(it->valuedouble) < 1e15) {
			snprintf(r->cursor, sizeof(r->cursor), "%.0f",
				 it->valuedouble);
		} else {
			rc = get_str(&pe, it, "cursor", r->cursor,
				     sizeof(r->cursor), false);
			if (rc)
				goto out;
		}
		r->has_cursor = true;
	}
	it = cJSON_GetObjectItemCaseSensitive(root, "more");
	if (it) {
		rc = get_bool(&pe, it, "more", &r->more);
		if (rc)
			goto out;
	}
out:
	cJSON_Delete(root);
	if (rc) {
		wire_response_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void wire_response_free(struct wire_response *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; i < r->nchanges; i++)
		free(r->changes[i].members);
	free(r->changes);
	free(r->accepted);
	free(r->rejected);
	free(r);
}

char *wire_build_request(const char *village, const char *gateway,
			 const char *cursor, cJSON *events, cJSON *health)
{
	cJSON *o = cJSON_CreateObject();
	char *txt = NULL;

	if (!o)
		goto out;
	if (!cJSON_AddStringToObject(o, "village", village) ||
	    !cJSON_AddStringToObject(o, "gateway", gateway) ||
	    !(cursor ? cJSON_AddStringToObject(o, "cursor", cursor) :
		       cJSON_AddNullToObject(o, "cursor")))
		goto out;
	if (!events || !cJSON_AddItemToObject(o, "events", events))
		goto out;
	events = NULL;
	if (!health || !cJSON_AddItemToObject(o, "health", health))
		goto out;
	health = NULL;
	txt = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(events);
	cJSON_Delete(health);
	cJSON_Delete(o);
	return txt;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool wire_cursor_backwards(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b || !all_digits(a) || !all_digits(b))
		return false;
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return lb < la;
	return strcmp(b, a) < 0;
}
