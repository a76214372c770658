/* SPDX-License-Identifier: MIT */
/*
 * outq.c - texts into the outbox as SMS-SUBMIT parts; the loop guard.
 * See outq.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gateway/outq.h"
#include "gateway/reply.h"
#include "gateway/text.h"
#include "modem/pdu.h"
#include "storage/phone.h"
#include "storage/status.h"

#define OUTQ_PARTS_MAX	10	/* config caps sms.max_parts at 10 */

const char *outq_verdict_name(enum outq_verdict v)
{
	switch (v) {
	case OUTQ_ALLOWED:
		return "allowed";
	case OUTQ_BLOCK_ALNUM:
		return "alphanumeric";
	case OUTQ_BLOCK_SERVICE:
		return "service";
	case OUTQ_BLOCK_OWN:
		return "own-number";
	case OUTQ_BLOCK_LOOP:
		return "loop-guard";
	}
	return "?";
}

int outq_allowed(struct store *st, const char *to, int64_t now,
		 enum outq_verdict *verdict)
{
	char num[PHONE_MAX], own[64], ownn[PHONE_MAX];
	long n = 0;
	int rc;

	*verdict = OUTQ_BLOCK_ALNUM;
	if (!to || phone_normalize(to, num, sizeof(num)))
		return 0;
	if (phone_is_service(num)) {
		*verdict = OUTQ_BLOCK_SERVICE;
		return 0;
	}
	rc = store_status_get(st, STATUS_OWN_NUMBER, own, sizeof(own));
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc && !phone_normalize(own, ownn, sizeof(ownn)) &&
	    !strcmp(ownn, num)) {
		*verdict = OUTQ_BLOCK_OWN;
		return 0;
	}
	rc = store_outbox_count_to(st, num, now - OUTQ_LOOP_WINDOW, -1, &n);
	if (rc)
		return rc;
	*verdict = n >= OUTQ_LOOP_LIMIT ? OUTQ_BLOCK_LOOP : OUTQ_ALLOWED;
	return 0;
}

int64_t outq_not_before(const struct config *cfg, int64_t now)
{
	struct tm tm;
	time_t t = (time_t)now, end;
	int mod, delta;

	if (!cfg->sms.quiet_enabled || !localtime_r(&t, &tm))
		return now;
	mod = tm.tm_hour * 60 + tm.tm_min;
	if (!config_in_quiet_hours(cfg, mod))
		return now;
	delta = ((cfg->sms.quiet_end - mod) % 1440 + 1440) % 1440;
	/* start == end would be a whole day: hold at most that long */
	if (delta == 0)
		delta = 1440;
	tm.tm_min += delta;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	end = mktime(&tm);
	if (end == (time_t)-1 || (int64_t)end < now)
		return now;
	return (int64_t)end;
}

static uint8_t random_ref(int64_t now)
{
	uint8_t r;

	if (getrandom(&r, 1, GRND_NONBLOCK) == 1)
		return r;
	return (uint8_t)(now ^ (now >> 8));
}

/*
 * The concatenation reference of a new message to @num.  A phone joins
 * the parts of a long SMS by sender and reference, so two long messages
 * to one phone must not share one while either may still be joining
 * (three 待审 lists in a row once came out as two: a random 8-bit
 * reference collides about once in 256).  The count of messages already
 * queued for the number moves it on by one each time, so 256 messages to
 * one phone go by before it comes round; the number's hash spreads
 * phones.  Random when the count cannot be read.
 */
static uint8_t concat_ref(struct store *st, const char *num, int64_t now)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	const char *p;
	long n = 0;

	if (store_outbox_count_to(st, num, 0, -1, &n) < 0)
		return random_ref(now);
	for (p = num; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (uint8_t)(h + (uint32_t)n);
}

/* Encode TEXT (cut in place until it fits).  0 or -errno. */
static int encode_fit(const char *to, char *text, size_t max_parts,
		      const struct pdu_submit_opts *o, struct pdu_part *parts,
		      size_t *n)
{
	size_t units;
	bool ucs2;
	int rc;

	rc = pdu_encode_submit(to, text, o, parts, max_parts, n, NULL);
	if (rc != -EMSGSIZE)
		return rc;
	/* first cut to the nominal budget, then one unit at a time (GSM
	 * extension characters cost two septets) */
	text_sms_units(text, &ucs2);
	units = reply_max_units((unsigned)max_parts, ucs2);
	text_truncate_units(text, units);
	for (;;) {
		rc = pdu_encode_submit(to, text, o, parts, max_parts, n, NULL);
		if (rc != -EMSGSIZE)
			return rc;
		units = text_ucs2_units(text);
		if (units <= 1)
			return -EMSGSIZE;
		text_truncate_units(text, units - 1);
	}
}

int outq_add(struct store *st, const struct config *cfg, const char *to,
	     const char *text, enum store_out_kind kind, long long in_reply_to,
	     int64_t now, long long *id)
{
	return outq_add_at(st, cfg, to, text, kind, in_reply_to, now, -1, id);
}

int outq_add_at(struct store *st, const struct config *cfg, const char *to,
		const char *text, enum store_out_kind kind,
		long long in_reply_to, int64_t now, int64_t not_before,
		long long *id)
{
	struct store_out_pdu out[OUTQ_PARTS_MAX];
	struct pdu_submit_opts o = { 0 };
	struct store_out_msg m = { 0 };
	char num[PHONE_MAX], *copy;
	struct pdu_part *parts;
	size_t n = 0, i, max_parts;
	int rc;

	if (!st || !cfg || !to || !text || !*text)
		return -EINVAL;
	if (phone_normalize(to, num, sizeof(num)))
		return -EINVAL;
	max_parts = cfg->sms.max_parts < 1 ? 1 :
		    cfg->sms.max_parts > OUTQ_PARTS_MAX ? OUTQ_PARTS_MAX :
		    (size_t)cfg->sms.max_parts;
	copy = strdup(text);
	parts = calloc(max_parts, sizeof(*parts));
	if (!copy || !parts) {
		rc = -ENOMEM;
		goto out;
	}
	/* a broken name from an old database must not stop the reply */
	text_fix_utf8(copy);
	o.status_report = true;
	o.concat_ref = concat_ref(st, num, now);
	o.smsc = "";
	rc = encode_fit(num, copy, max_parts, &o, parts, &n);
	if (rc)
		goto out;
	for (i = 0; i < n; i++) {
		out[i].pdu = parts[i].hex;
		out[i].tpdu_len = (int)parts[i].tpdu_len;
	}
	m.to = num;
	m.text = copy;
	m.kind = kind;
	m.in_reply_to = in_reply_to;
	if (not_before >= 0)
		m.not_before = not_before;
	else
		m.not_before = kind == STORE_OUT_NOTIFY ?
			       outq_not_before(cfg, now) : 0;
	if (m.not_before <= now)
		m.not_before = 0;
	rc = store_outbox_add(st, &m, out, n, now, id);
out:
	free(parts);
	free(copy);
	return rc;
}
