/* SPDX-License-Identifier: MIT */
/*
 * reply.c - the wording of every SMS the gateway sends.
 *
 * Each reply is composed in a work buffer, checked against the length
 * budget for the context's max_parts (lists are re-rendered with fewer
 * items until they fit; other text is cut with an ellipsis), then
 * copied to the caller's buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gateway/reply.h"
#include "gateway/text.h"

#define WORK_MAX	4096
#define NAME_MAX_CP	8	/* household names in replies */
#define REASON_LIST_CP	6	/* reasons in lists */
#define REASON_EN_LIST	16
#define STORE_TEXT_CP	512
#define TODO_MATTERS	3	/* matters shown in 待审 */	/* free text passed in, bytes / 4 */

struct sb {
	char buf[WORK_MAX];
	size_t len;
	bool over;
};

static void sb_reset(struct sb *b)
{
	b->len = 0;
	b->over = false;
	b->buf[0] = '\0';
}

/* Drop an incomplete UTF-8 sequence at the end of @s[0..len). */
static size_t trim_partial(char *s, size_t len)
{
	size_t i = len, need;
	unsigned char c;

	while (i > 0 && len - i < 4) {
		c = (unsigned char)s[--i];
		if ((c & 0xC0) == 0x80)
			continue;
		need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (len - i < need)
			len = i;
		break;
	}
	s[len] = '\0';
	return len;
}

__attribute__((format(printf, 2, 3)))
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->buf[b->len] = '\0';
		b->over = true;
		return;
	}
	if ((size_t)n >= sizeof(b->buf) - b->len) {
		/* keep what fitted, minus a split character at the end */
		b->len = sizeof(b->buf) - 1;
		b->len = trim_partial(b->buf, b->len);
		b->over = true;
		return;
	}
	b->len += (size_t)n;
}

static bool zh(const struct reply_ctx *ctx)
{
	return ctx->lang != REPLY_EN;
}

enum reply_lang reply_lang_parse(const char *lang)
{
	if (lang && (lang[0] == 'e' || lang[0] == 'E') &&
	    (lang[1] == 'n' || lang[1] == 'N') &&
	    (lang[2] == '\0' || lang[2] == '_' || lang[2] == '-'))
		return REPLY_EN;
	return REPLY_ZH;
}

size_t reply_max_units(unsigned max_parts, bool ucs2)
{
	if (max_parts > REPLY_PARTS_MAX)
		max_parts = REPLY_PARTS_MAX;
	if (max_parts <= 1)
		return ucs2 ? 70 : 160;
	return (size_t)max_parts * (ucs2 ? 67 : 153);
}

static size_t budget_for(const struct reply_ctx *ctx, const char *s)
{
	bool ucs2;

	text_sms_units(s, &ucs2);
	return reply_max_units(ctx->max_parts, ucs2);
}

static bool one_sms(const char *s)
{
	bool ucs2;
	size_t u = text_sms_units(s, &ucs2);

	return u <= reply_max_units(1, ucs2);
}

static bool fits(const struct reply_ctx *ctx, const struct sb *b)
{
	return text_sms_units(b->buf, NULL) <= budget_for(ctx, b->buf);
}

/* Cut @b to its budget with an ellipsis (whole characters only). */
static void cut_to_fit(const struct reply_ctx *ctx, struct sb *b)
{
	bool ucs2;
	size_t lim;

	if (fits(ctx, b))
		return;
	text_sms_units(b->buf, &ucs2);
	lim = reply_max_units(ctx->max_parts, ucs2);
	if (ucs2) {
		text_truncate_units(b->buf, lim - 1);
		b->len = strlen(b->buf);
		if (b->len + 4 < sizeof(b->buf)) {
			memcpy(b->buf + b->len, "…", 4);
			b->len += 3;
		}
	} else {
		while (b->len && text_sms_units(b->buf, NULL) > lim - 3)
			b->buf[--b->len] = '\0';
		memcpy(b->buf + b->len, "...", 4);
		b->len += 3;
	}
	b->over = false;
}

/* Copy the finished text out; -ENOSPC when @size is too small. */
static int out(const struct sb *b, char *buf, size_t size)
{
	if (b->len + 1 > size) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	memcpy(buf, b->buf, b->len + 1);
	return (int)b->len;
}

static int finish(const struct reply_ctx *ctx, struct sb *b, char *buf,
		  size_t size)
{
	cut_to_fit(ctx, b);
	return out(b, buf, size);
}

static bool args_ok(const struct reply_ctx *ctx, char *buf, size_t size)
{
	if (!ctx || !buf || size == 0)
		return false;
	return true;
}

/* --- small formatters ---------------------------------------------- */

/* 1740 -> "1,740", -1234567 -> "-1,234,567" */
static void fmt_thousands(int64_t v, char *o, size_t sz)
{
	char d[32];
	size_t n, i, j = 0;
	unsigned long long u;

	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	snprintf(d, sizeof(d), "%llu", u);
	n = strlen(d);
	if (v < 0 && j + 1 < sz)
		o[j++] = '-';
	for (i = 0; i < n && j + 2 < sz; i++) {
		o[j++] = d[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			o[j++] = ',';
	}
	o[j] = '\0';
}

/* 442 -> "4.42" */
static void fmt_centi(int c, char *o, size_t sz)
{
	snprintf(o, sz, "%s%d.%02d", c < 0 ? "-" : "", (c < 0 ? -c : c) / 100,
		 (c < 0 ? -c : c) % 100);
}

/* 300000 -> "30", 125000 -> "12.5" (yuan in 万) */
static void fmt_wan(int64_t yuan, char *o, size_t sz)
{
	long long w = yuan / 10000, f = yuan % 10000;
	int dec = 4;

	if (!f) {
		snprintf(o, sz, "%lld", w);
		return;
	}
	while (f % 10 == 0) {
		f /= 10;
		dec--;
	}
	snprintf(o, sz, "%lld.%0*lld", w, dec, f);
}

/* The first @max_cp characters of @s, with an ellipsis when longer. */
static void fmt_short(const char *s, size_t max_cp, bool ucs2, char *o,
		      size_t sz)
{
	if (!s)
		s = "";
	text_copy(o, sz, s);
	if (text_utf8_len(o) <= max_cp)
		return;
	text_truncate_units(o, max_cp);	/* names/reasons are BMP mostly */
	if (strlen(o) + 4 <= sz)
		strcat(o, ucs2 ? "…" : "...");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}

/* "张三" -> "张三户"; NULL -> "您家" (zh) */
static void fmt_household(const struct reply_ctx *ctx, const char *name,
			  char *o, size_t sz)
{
	if (!name || !*name) {
		snprintf(o, sz, "%s", zh(ctx) ? "您家" : "Your household");
		return;
	}
	fmt_short(name, NAME_MAX_CP, true, o, sz);
	if (zh(ctx) && !ends_with(o, "户") && !ends_with(o, "家") &&
	    strlen(o) + 4 <= sz)
		strcat(o, "户");
}

static void fmt_signed(long v, char *o, size_t sz)
{
	snprintf(o, sz, "%s%ld", v > 0 ? "+" : "", v);
}

static const char *state_word(const struct reply_ctx *ctx, enum reply_state s)
{
	static const char *const z[] = {
		"待审", "公示中", "已生效", "已驳回", "有异议"
	};
	static const char *const e[] = {
		"pending", "public", "final", "rejected", "objected"
	};

	if ((unsigned)s > REPLY_OBJECTED)
		s = REPLY_PENDING;
	return zh(ctx) ? z[s] : e[s];
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian). */
static void civil(long long days, int *m, int *d)
{
	long long z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
}

/* Local date of @t: "12月5日" or "Dec 5". */
static void fmt_date(const struct reply_ctx *ctx, int64_t t, char *o,
		     size_t sz)
{
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	long long local = (long long)t + (long long)ctx->tz_minutes * 60;
	long long days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int m, d;

	civil(days, &m, &d);
	if (zh(ctx))
		snprintf(o, sz, "%d月%d日", m, d);
	else
		snprintf(o, sz, "%s %d", mon[m - 1], d);
}

/* "#17 张三户 +5 清扫" with the reason cut to REASON_CP characters */
static void fmt_item_w(const struct reply_ctx *ctx,
		       const struct reply_record *r, bool with_name,
		       bool with_state, size_t reason_cp, struct sb *b)
{
	char name[64], pts[24], why[160];

	fmt_signed(r->points, pts, sizeof(pts));
	fmt_short(r->reason, reason_cp, zh(ctx), why, sizeof(why));
	sb_add(b, "#%ld", r->id);
	if (with_name && r->household_name && *r->household_name) {
		fmt_household(ctx, r->household_name, name, sizeof(name));
		sb_add(b, " %s", name);
	}
	sb_add(b, " %s", pts);
	if (why[0])
		sb_add(b, " %s", why);
	if (with_state) {
		if (zh(ctx))
			sb_add(b, " %s", state_word(ctx, r->state));
		else
			sb_add(b, " (%s)", state_word(ctx, r->state));
	}
}

/* "#17 张三户 +5 清扫" (zh) / "#17 Zhang San +5 cleaning" */
static void fmt_item(const struct reply_ctx *ctx, const struct reply_record *r,
		     bool with_name, bool with_state, struct sb *b)
{
	fmt_item_w(ctx, r, with_name, with_state,
		   zh(ctx) ? REASON_LIST_CP : REASON_EN_LIST, b);
}

/* --- replies ------------------------------------------------------- */

int reply_points(const struct reply_ctx *ctx, const struct reply_points *p,
		 char *buf, size_t size)
{
	char name[64], a[24], c[24];
	struct sb b, t;

	if (!args_ok(ctx, buf, size) || !p)
		return -EINVAL;
	sb_reset(&b);
	fmt_household(ctx, p->household_name, name, sizeof(name));
	fmt_signed(p->publicity_pts, a, sizeof(a));
	fmt_signed(p->pending_pts, c, sizeof(c));
	if (zh(ctx)) {
		sb_add(&b, "%s积分%ld分", name, p->final_pts);
		if (p->publicity_pts)
			sb_add(&b, "，公示中%s分", a);
		if (p->pending_pts)
			sb_add(&b, "，待审%s分", c);
		if (p->rank > 0 && p->households > 0)
			sb_add(&b, "，全村第%d名/共%d户", p->rank,
			       p->households);
		sb_add(&b, "。");
	} else {
		sb_add(&b, "%s: %ld points", name, p->final_pts);
		if (p->publicity_pts)
			sb_add(&b, ", %s in publicity", a);
		if (p->pending_pts)
			sb_add(&b, ", %s pending", c);
		if (p->rank > 0 && p->households > 0)
			sb_add(&b, ", rank %d/%d", p->rank, p->households);
		sb_add(&b, ".");
	}
	/* the hint only when it still fits one message */
	t = b;
	sb_add(&t, "%s", zh(ctx) ? "回复2查贷款利率" : " Reply 2 for loan rate.");
	if (one_sms(t.buf))
		b = t;
	return finish(ctx, &b, buf, size);
}

int reply_rate(const struct reply_ctx *ctx, const struct loan_quote *q,
	       char *buf, size_t size)
{
	char rate[16], base[16], disc[16], wan[32], y1[32], tot[32], p[32];
	struct sb b;

	if (!args_ok(ctx, buf, size) || !q)
		return -EINVAL;
	sb_reset(&b);
	fmt_centi(q->rate_centi, rate, sizeof(rate));
	fmt_centi(q->base_centi, base, sizeof(base));
	fmt_centi(q->discount_centi, disc, sizeof(disc));
	fmt_wan(q->principal, wan, sizeof(wan));
	fmt_thousands(q->saving_year, y1, sizeof(y1));
	fmt_thousands(q->saving_total, tot, sizeof(tot));
	fmt_thousands(q->principal, p, sizeof(p));
	if (zh(ctx)) {
		if (q->principal <= 0) {
			sb_add(&b, "积分%ld分，贷款利率%s%%（基准%s%%，优惠%s个"
			       "百分点），以银行审批为准。回复“利率 30”算30万元"
			       "省多少", q->score, rate, base, disc);
		} else if (q->years > 1) {
			sb_add(&b, "积分%ld分，利率%s%%（优惠%s个百分点）。贷%s"
			       "万元%d年约省%s元（%s元/年），以银行审批为准",
			       q->score, rate, disc, wan, q->years, tot, y1);
		} else {
			sb_add(&b, "积分%ld分，利率%s%%（优惠%s个百分点）。贷%s"
			       "万元约省%s元/年，以银行审批为准", q->score,
			       rate, disc, wan, y1);
		}
	} else {
		sb_add(&b, "%ld points: loan rate %s%% (base %s%%, %s pp off).",
		       q->score, rate, base, disc);
		if (q->principal <= 0)
			sb_add(&b, " Subject to bank approval. Reply RATE 30 "
			       "for a 300,000 yuan loan.");
		else if (q->years > 1)
			sb_add(&b, " %s yuan for %d years saves about %s yuan "
			       "(%s a year). Subject to bank approval.", p,
			       q->years, tot, y1);
		else
			sb_add(&b, " %s yuan saves about %s yuan a year. "
			       "Subject to bank approval.", p, y1);
	}
	return finish(ctx, &b, buf, size);
}

/*
 * A list: @head, then items joined by @sep, "等N条" for the items left
 * out, then @tail when it still fits.  Drops items from the end until
 * the text fits the budget.
 */
static int render_list(const struct reply_ctx *ctx, const char *head,
		       const struct reply_record *items, size_t n,
		       size_t total, bool with_name, bool with_state,
		       const char *tail, char *buf, size_t size)
{
	struct sb b;
	size_t k, i;
	bool ok = false;

	if (total < n)
		total = n;
	for (k = n + 1; k-- > 0;) {
		sb_reset(&b);
		sb_add(&b, "%s", head);
		for (i = 0; i < k; i++) {
			if (i)
				sb_add(&b, "%s", zh(ctx) ? "；" : "; ");
			fmt_item(ctx, &items[i], with_name, with_state, &b);
		}
		if (total > k) {
			if (zh(ctx))
				sb_add(&b, "%s等%zu条", k ? "；" : "",
				       total - k);
			else
				sb_add(&b, "%s+%zu more", k ? "; " : "",
				       total - k);
		}
		if (fits(ctx, &b)) {
			ok = true;
			break;
		}
	}
	if (!ok)
		cut_to_fit(ctx, &b);
	if (tail && *tail) {
		struct sb t = b;

		sb_add(&t, "%s", tail);
		if (fits(ctx, &t))
			b = t;
	}
	return out(&b, buf, size);
}

int reply_log(const struct reply_ctx *ctx, const struct reply_record *recs,
	      size_t n, char *buf, size_t size)
{
	size_t i, w;
	struct sb b;

	if (!args_ok(ctx, buf, size) || (n && !recs))
		return -EINVAL;
	if (n == 0) {
		sb_reset(&b);
		sb_add(&b, "%s", zh(ctx) ? "暂无积分记录。回复0查看帮助" :
		       "No point records yet. Reply HELP for the commands.");
		return finish(ctx, &b, buf, size);
	}
	/* use the room one SMS has: the longest reasons that still fit */
	for (w = zh(ctx) ? 30 : 60; w >= (zh(ctx) ? REASON_LIST_CP :
					  REASON_EN_LIST); w--) {
		sb_reset(&b);
		sb_add(&b, "%s", zh(ctx) ? "最近明细：" : "Last records: ");
		for (i = 0; i < n; i++) {
			if (i)
				sb_add(&b, "%s", zh(ctx) ? "；" : "; ");
			fmt_item_w(ctx, &recs[i], false, true, w, &b);
		}
		if (one_sms(b.buf))
			return out(&b, buf, size);
	}
	return render_list(ctx, zh(ctx) ? "最近明细：" : "Last records: ",
			   recs, n, n, false, true, NULL, buf, size);
}

int reply_help(const struct reply_ctx *ctx, bool committee, char *buf,
	       size_t size)
{
	struct sb b;

	if (!args_ok(ctx, buf, size))
		return -EINVAL;
	sb_reset(&b);
	if (zh(ctx) && committee)
		sb_add(&b, "回复：1积分 2利率 3明细 0帮助；说事+内容；委员：待审 "
		       "确认/驳回+编号 回复/办结+M编号 通知+内容");
	else if (zh(ctx))
		sb_add(&b, "回复：1积分 2利率 3明细 0帮助；说事+内容（向村委会"
		       "反映）；对公示有异议回：异议+编号+理由；退订通知回TD");
	else if (committee)
		sb_add(&b, "Reply: 1 POINTS, 2 RATE, 3 LOG, 0 HELP, SAY text; "
		       "committee: TODO, OK n.. [PIN], NO n reason, REPLY Mn "
		       "text, DONE Mn, NOTICE text");
	else
		sb_add(&b, "Reply: 1 POINTS, 2 RATE [10k yuan] [years], 3 LOG, "
		       "0 HELP, SAY text (to the committee), OBJECT n reason "
		       "(public notice), STOP notices");
	return finish(ctx, &b, buf, size);
}

int reply_say(const struct reply_ctx *ctx, long ticket, char *buf,
	      size_t size)
{
	struct sb b;

	if (!args_ok(ctx, buf, size))
		return -EINVAL;
	sb_reset(&b);
	if (zh(ctx))
		sb_add(&b, "已收到您反映的事项，编号M%ld，已转村委会，答复会短信"
		       "告诉您。",
		       ticket);
	else
		sb_add(&b, "Received, matter M%ld. The village committee will "
		       "follow up.", ticket);
	return finish(ctx, &b, buf, size);
}

int reply_todo(const struct reply_ctx *ctx, const struct reply_record *items,
	       size_t n, size_t total, char *buf, size_t size)
{
	char head[64];
	struct sb b;

	if (!args_ok(ctx, buf, size) || (n && !items))
		return -EINVAL;
	if (total < n)
		total = n;
	if (total == 0) {
		sb_reset(&b);
		sb_add(&b, "%s", zh(ctx) ? "暂无待审事项。" :
		       "Nothing waiting for review.");
		return finish(ctx, &b, buf, size);
	}
	if (zh(ctx))
		snprintf(head, sizeof(head), "待审%zu条：", total);
	else
		snprintf(head, sizeof(head), "%zu pending: ", total);
	return render_list(ctx, head, items, n, total, true, false,
			   zh(ctx) ? "。回复确认/驳回+编号" :
			   ". Reply OK n or NO n reason.", buf, size);
}

int reply_review(const struct reply_ctx *ctx, const struct reply_review *r,
		 char *buf, size_t size)
{
	const char *verb;
	char date[32];
	struct sb b;

	if (!args_ok(ctx, buf, size) || !r)
		return -EINVAL;
	sb_reset(&b);
	if (zh(ctx)) {
		verb = r->approve ? "确认" : "驳回";
		switch (r->result) {
		case REPLY_REVIEW_DONE:
			sb_add(&b, "已%s", verb);
			if (r->rec) {
				fmt_item(ctx, r->rec, true, false, &b);
			} else {
				sb_add(&b, "#%ld", r->id);
			}
			if (r->approve) {
				fmt_date(ctx, r->until, date, sizeof(date));
				sb_add(&b, "，公示至%s，已通知该户。", date);
			} else {
				sb_add(&b, "，已通知该户。");
			}
			break;
		case REPLY_REVIEW_ALREADY:
			sb_add(&b, "#%ld已%s过，无需重复。", r->id, verb);
			break;
		case REPLY_REVIEW_CONFLICT:
			sb_add(&b, "#%ld已被%s，不能再%s。", r->id,
			       r->approve ? "驳回" : "确认", verb);
			break;
		case REPLY_REVIEW_NOT_FOUND:
			sb_add(&b, "没有您可审核的#%ld，请核对编号，回复“待审”"
			       "查看。", r->id);
			break;
		case REPLY_REVIEW_OWN_HOUSEHOLD:
			sb_add(&b, "#%ld是本户事项，须由其他委员审核。", r->id);
			break;
		case REPLY_REVIEW_PIN_NEEDED:
			sb_add(&b, "请带上您的PIN，如：确认 %ld PIN", r->id);
			break;
		case REPLY_REVIEW_PIN_WRONG:
			sb_add(&b, "PIN不正确，#%ld未%s。", r->id, verb);
			break;
		case REPLY_REVIEW_NOT_COMMITTEE:
			sb_add(&b, "该指令仅限村委会委员使用。回复0查看帮助");
			break;
		case REPLY_REVIEW_PIN_LOCKED:
			sb_add(&b, "PIN连续输错已锁定1小时，#%ld未%s。", r->id,
			       verb);
			break;
		default:
			return -EINVAL;
		}
	} else {
		verb = r->approve ? "approved" : "rejected";
		switch (r->result) {
		case REPLY_REVIEW_DONE:
			sb_add(&b, "Done: ");
			if (r->rec)
				fmt_item(ctx, r->rec, true, false, &b);
			else
				sb_add(&b, "#%ld", r->id);
			sb_add(&b, " %s", verb);
			if (r->approve) {
				fmt_date(ctx, r->until, date, sizeof(date));
				sb_add(&b, ", public notice until %s", date);
			}
			sb_add(&b, "; the household is told.");
			break;
		case REPLY_REVIEW_ALREADY:
			sb_add(&b, "#%ld was already %s.", r->id, verb);
			break;
		case REPLY_REVIEW_CONFLICT:
			sb_add(&b, "#%ld was already %s; it cannot be %s.",
			       r->id, r->approve ? "rejected" : "approved",
			       verb);
			break;
		case REPLY_REVIEW_NOT_FOUND:
			sb_add(&b, "No item #%ld for you to review. Check the "
			       "number; reply TODO for the list.", r->id);
			break;
		case REPLY_REVIEW_OWN_HOUSEHOLD:
			sb_add(&b, "#%ld is your own household's item; another "
			       "member must review it.", r->id);
			break;
		case REPLY_REVIEW_PIN_NEEDED:
			sb_add(&b, "Your PIN is needed: OK %ld PIN", r->id);
			break;
		case REPLY_REVIEW_PIN_WRONG:
			sb_add(&b, "Wrong PIN; #%ld was not %s.", r->id, verb);
			break;
		case REPLY_REVIEW_NOT_COMMITTEE:
			sb_add(&b, "Only village committee members can do "
			       "that. Reply HELP for the commands.");
			break;
		case REPLY_REVIEW_PIN_LOCKED:
			sb_add(&b, "PIN locked for an hour after wrong PINs; "
			       "#%ld was not %s.", r->id, verb);
			break;
		default:
			return -EINVAL;
		}
	}
	return finish(ctx, &b, buf, size);
}

int reply_notice(const struct reply_ctx *ctx, const struct reply_notice *n,
		 char *buf, size_t size)
{
	char pts[24], why[128], date[32];
	const struct reply_record *r;
	struct sb b;

	if (!args_ok(ctx, buf, size) || !n || !n->rec)
		return -EINVAL;
	r = n->rec;
	sb_reset(&b);
	fmt_signed(r->points, pts, sizeof(pts));
	fmt_short(r->reason, zh(ctx) ? 10 : 30, zh(ctx), why, sizeof(why));
	switch (n->kind) {
	case REPLY_NOTICE_APPROVED:
		fmt_date(ctx, n->until, date, sizeof(date));
		if (zh(ctx))
			sb_add(&b, "您家#%ld %s分（%s）已审核通过，公示至%s，"
			       "无异议后生效。", r->id, pts, why, date);
		else
			sb_add(&b, "Your item #%ld %s (%s) was approved; public "
			       "notice until %s, then it counts.", r->id, pts,
			       why, date);
		break;
	case REPLY_NOTICE_REJECTED:
		if (zh(ctx))
			sb_add(&b, "您家#%ld %s分（%s）未通过审核。理由：%s",
			       r->id, pts, why, n->reason ? n->reason : "");
		else
			sb_add(&b, "Your item #%ld %s (%s) was rejected. "
			       "Reason: %s", r->id, pts, why,
			       n->reason ? n->reason : "");
		break;
	case REPLY_NOTICE_FINAL:
		if (zh(ctx))
			sb_add(&b, "您家#%ld %s分（%s）公示期满，已生效，现有积分"
			       "%ld分。", r->id, pts, why, n->total);
		else
			sb_add(&b, "Your item #%ld %s (%s) now counts; your "
			       "household has %ld points.", r->id, pts, why,
			       n->total);
		break;
	case REPLY_NOTICE_RESUMED:
		fmt_date(ctx, n->until, date, sizeof(date));
		if (zh(ctx))
			sb_add(&b, "您家#%ld %s分（%s）的异议经村委会核实未成立，"
			       "恢复公示至%s。", r->id, pts, why, date);
		else
			sb_add(&b, "The objection to your item #%ld %s (%s) was "
			       "not upheld; public notice resumes until %s.",
			       r->id, pts, why, date);
		break;
	default:
		return -EINVAL;
	}
	return finish(ctx, &b, buf, size);
}

int reply_simple(const struct reply_ctx *ctx, enum reply_simple what,
		 char *buf, size_t size)
{
	static const char *const z[] = {
		[REPLY_STOPPED] = "已退订通知。查询不受影响，回复DY可重新订阅。",
		[REPLY_STARTED] = "已订阅通知，审核结果会短信告诉您。回复TD退订。",
		[REPLY_REGISTER_HINT] = "本号码尚未登记。请到村委会登记手机号，"
			"之后即可短信查询积分。",
		[REPLY_UNKNOWN_CMD] = "没看懂您的短信。回复0查看帮助，如：1查积分"
			" 2查利率",
		[REPLY_RATE_LIMITED] = "查询太频繁，请过一小时再试。",
		[REPLY_COMMITTEE_ONLY] = "该指令仅限村委会委员使用。回复0查看帮助",
		[REPLY_TRY_LATER] = "系统繁忙，请稍后再试。",
	};
	static const char *const e[] = {
		[REPLY_STOPPED] = "Notices stopped. Your own queries still get "
			"answers. Reply START to resume.",
		[REPLY_STARTED] = "Notices on: you will get review results by "
			"SMS. Reply STOP to end them.",
		[REPLY_REGISTER_HINT] = "This number is not registered. Register "
			"it at the village committee to check points by SMS.",
		[REPLY_UNKNOWN_CMD] = "Sorry, not understood. Reply HELP for the "
			"commands, e.g. 1 for points, 2 for the loan rate.",
		[REPLY_RATE_LIMITED] = "Too many messages. Please try again in an "
			"hour.",
		[REPLY_COMMITTEE_ONLY] = "Only village committee members can do "
			"that. Reply HELP for the commands.",
		[REPLY_TRY_LATER] = "The system is busy. Please try again later.",
	};
	struct sb b;

	if (!args_ok(ctx, buf, size) || (unsigned)what > REPLY_TRY_LATER)
		return -EINVAL;
	sb_reset(&b);
	sb_add(&b, "%s", zh(ctx) ? z[what] : e[what]);
	return finish(ctx, &b, buf, size);
}

int reply_not_yet(const struct reply_ctx *ctx, const char *word, char *buf,
		  size_t size)
{
	static const struct {
		const char *zh, *en;
	} names[] = {
		{ "申报", "Self-declaring points" },
		{ "异议", "Objections" },
		{ "兑换", "Exchanging points" },
		{ "清单", "The task list" },
		{ "通知", "Notices" },
		{ "记分", "Recording points" },
		{ "核销", "Redeeming" },
		{ "绑定", "Binding a phone" },
	};
	const char *en = "This service";
	char w[64];
	struct sb b;
	size_t i;

	if (!args_ok(ctx, buf, size))
		return -EINVAL;
	fmt_short(word, 6, true, w, sizeof(w));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(w, names[i].zh))
			en = names[i].en;
	sb_reset(&b);
	if (zh(ctx) && w[0])
		sb_add(&b, "“%s”功能即将开通，敬请期待。回复0查看帮助", w);
	else if (zh(ctx))
		sb_add(&b, "该功能即将开通，敬请期待。回复0查看帮助");
	else
		sb_add(&b, "%s is coming later. Reply HELP for the commands.",
		       en);
	return finish(ctx, &b, buf, size);
}

int reply_cmd_error(const struct reply_ctx *ctx, const struct cmd *c,
		    char *buf, size_t size)
{
	const char *s = NULL;
	struct sb b;
	bool z;

	if (!args_ok(ctx, buf, size) || !c)
		return -EINVAL;
	z = zh(ctx);
	switch (c->err) {
	case CMD_OK:
		return -EINVAL;
	case CMD_ERR_EMPTY:
		return reply_simple(ctx, REPLY_UNKNOWN_CMD, buf, size);
	case CMD_ERR_NO_NUMBER:
		if (c->kind == CMD_REJECT)
			s = z ? "请带上编号和理由，如：驳回 17 不属实" :
			    "Give the number and a reason, e.g. NO 17 not true";
		else
			s = z ? "请带上编号，如：确认 17。回复“待审”查看编号" :
			    "Give the number, e.g. OK 17. Reply TODO for the "
			    "list.";
		break;
	case CMD_ERR_BAD_NUMBER:
		s = z ? "编号有误，请核对。回复“待审”查看编号" :
		    "That number is not valid. Reply TODO for the list.";
		break;
	case CMD_ERR_BAD_PIN:
		s = z ? "PIN应为4至8位数字，如：确认 17 PIN" :
		    "The PIN has 4 to 8 digits, e.g. OK 17 PIN";
		break;
	case CMD_ERR_NO_REASON:
		s = z ? "驳回须写明理由，如：驳回 17 不属实" :
		    "A rejection needs a reason, e.g. NO 17 not true";
		break;
	case CMD_ERR_NO_TEXT:
		s = z ? "请写上要反映的事，如：说事 村口路灯坏了" :
		    "Write what it is about, e.g. SAY the street light is "
		    "broken";
		break;
	case CMD_ERR_BAD_PRINCIPAL:
		s = z ? "本金按万元填，不超过10000，如：利率 30（30万元）" :
		    "Give the loan in 10,000 yuan, at most 10000, e.g. RATE 30 "
		    "(300,000 yuan)";
		break;
	case CMD_ERR_BAD_YEARS:
		s = z ? "年限应为1至30年，如：利率 30 3年" :
		    "Years must be 1 to 30, e.g. RATE 30 3";
		break;
	case CMD_ERR_NO_MATTER:
		if (c->kind == CMD_DONE)
			s = z ? "请带上说事编号，如：办结 M12" :
			    "Give the matter number, e.g. DONE M12";
		else
			s = z ? "请带上说事编号和答复，如：回复 M12 已安排维修" :
			    "Give the matter number and the answer, e.g. "
			    "REPLY M12 repair booked";
		break;
	case CMD_ERR_NO_CODE:
		s = z ? "请带上通知代码，如：确认发送 4821" :
		    "Give the notice code, e.g. SEND 4821";
		break;
	}
	/* the same complaints, worded for the newer commands */
	if (c->kind == CMD_OBJECT && (c->err == CMD_ERR_NO_NUMBER ||
				      c->err == CMD_ERR_NO_REASON))
		s = z ? "请写明编号和理由，如：异议 17 没有参加" :
		    "Give the number and a reason, e.g. OBJECT 17 not true";
	if (c->kind == CMD_REPLY && c->err == CMD_ERR_NO_TEXT)
		s = z ? "请写上答复内容，如：回复 M12 已安排维修" :
		    "Write the answer, e.g. REPLY M12 repair booked";
	if (c->kind == CMD_NOTICE && c->err == CMD_ERR_NO_TEXT)
		s = z ? "请写上通知内容，如：通知 周五上午开村民大会" :
		    "Write the notice, e.g. NOTICE village meeting Friday";
	if (!s)
		return -EINVAL;
	sb_reset(&b);
	sb_add(&b, "%s", s);
	return finish(ctx, &b, buf, size);
}

/* --- village workflows --------------------------------------------- */

/* "12月5日 08:30"-style local time of day: "08:30" */
static void fmt_hhmm(const struct reply_ctx *ctx, int64_t t, char *o,
		     size_t sz)
{
	long long local = (long long)t + (long long)ctx->tz_minutes * 60;
	long long sec = ((local % 86400) + 86400) % 86400;

	snprintf(o, sz, "%02lld:%02lld", sec / 3600, sec % 3600 / 60);
}

int reply_todo_full(const struct reply_ctx *ctx,
		    const struct reply_todo_full *t, char *buf, size_t size)
{
	const char *pin_z[] = { "", "确认须带PIN。", "PIN已锁定。" };
	const char *pin_e[] = { "", " PIN needed.", " PIN locked." };
	struct sb b, best;
	size_t k, km, i, total;
	char name[64], txt[64];
	bool have = false;

	if (!args_ok(ctx, buf, size) || !t || (t->n && !t->items) ||
	    (t->nm && !t->matters) || t->pin < 0 || t->pin > 2)
		return -EINVAL;
	total = t->total < t->n ? t->n : t->total;
	if (total == 0 && t->total_matters == 0) {
		sb_reset(&b);
		sb_add(&b, "%s", zh(ctx) ? "暂无待审事项和未办结的说事。" :
		       "Nothing waiting for review, no open matters.");
		return finish(ctx, &b, buf, size);
	}
	/* up to TODO_MATTERS matters, then as many items as fit */
	for (km = (t->nm < TODO_MATTERS ? t->nm : TODO_MATTERS) + 1;
	     km-- > 0 && !have;) {
		for (k = t->n + 1; k-- > 0;) {
			sb_reset(&b);
			if (zh(ctx)) {
				sb_add(&b, "待审%zu条", total);
				if (t->objected)
					sb_add(&b, "(异议%zu)", t->objected);
				if (t->total_matters)
					sb_add(&b, "，说事%zu件",
					       t->total_matters);
				sb_add(&b, "：");
			} else {
				sb_add(&b, "%zu to review", total);
				if (t->objected)
					sb_add(&b, " (%zu objected)",
					       t->objected);
				if (t->total_matters)
					sb_add(&b, ", %zu matters",
					       t->total_matters);
				sb_add(&b, ": ");
			}
			for (i = 0; i < k; i++) {
				if (i)
					sb_add(&b, "%s", zh(ctx) ? "；" : "; ");
				fmt_item(ctx, &t->items[i], true,
					 t->items[i].state == REPLY_OBJECTED,
					 &b);
			}
			if (total > k)
				sb_add(&b, zh(ctx) ? "%s等%zu条" : "%s+%zu more",
				       k ? (zh(ctx) ? "；" : "; ") : "",
				       total - k);
			for (i = 0; i < km; i++) {
				fmt_short(t->matters[i].text, zh(ctx) ? 6 : 16,
					  zh(ctx), txt, sizeof(txt));
				name[0] = '\0';
				if (t->matters[i].household_name &&
				    *t->matters[i].household_name)
					fmt_household(ctx,
						t->matters[i].household_name,
						name, sizeof(name));
				sb_add(&b, "%sM%ld%s%s %s",
				       (i || k || total > k) ?
				       (zh(ctx) ? "；" : "; ") : "",
				       t->matters[i].no, name[0] ? " " : "",
				       name, txt);
			}
			sb_add(&b, "%s", zh(ctx) ? "。" : ".");
			sb_add(&b, "%s", zh(ctx) ? pin_z[t->pin] : pin_e[t->pin]);
			if (fits(ctx, &b)) {
				have = true;
				break;
			}
		}
	}
	if (!have)
		cut_to_fit(ctx, &b);
	best = b;
	sb_add(&best, "%s", zh(ctx) ? "回复确认/驳回+编号" :
	       " Reply OK n or NO n reason.");
	if (fits(ctx, &best))
		b = best;
	return out(&b, buf, size);
}

static const char *batch_word(const struct reply_ctx *ctx, bool approve,
			      enum reply_review_result r)
{
	if (zh(ctx)) {
		switch (r) {
		case REPLY_REVIEW_DONE:
			return approve ? "已确认" : "已驳回";
		case REPLY_REVIEW_ALREADY:
			return approve ? "早已确认" : "早已驳回";
		case REPLY_REVIEW_CONFLICT:
			return approve ? "已被驳回" : "已被确认";
		case REPLY_REVIEW_OWN_HOUSEHOLD:
			return "本户须他人审";
		case REPLY_REVIEW_PIN_NEEDED:
			return "缺PIN";
		case REPLY_REVIEW_PIN_WRONG:
			return "PIN不对";
		case REPLY_REVIEW_PIN_LOCKED:
			return "PIN已锁定";
		case REPLY_REVIEW_NOT_FOUND:
		case REPLY_REVIEW_NOT_COMMITTEE:
		default:
			return "无此可审项";
		}
	}
	switch (r) {
	case REPLY_REVIEW_DONE:
		return approve ? "approved" : "rejected";
	case REPLY_REVIEW_ALREADY:
		return "already done";
	case REPLY_REVIEW_CONFLICT:
		return approve ? "was rejected" : "was approved";
	case REPLY_REVIEW_OWN_HOUSEHOLD:
		return "own household";
	case REPLY_REVIEW_PIN_NEEDED:
		return "PIN needed";
	case REPLY_REVIEW_PIN_WRONG:
		return "wrong PIN";
	case REPLY_REVIEW_PIN_LOCKED:
		return "PIN locked";
	default:
		return "not found";
	}
}

int reply_batch(const struct reply_ctx *ctx, bool approve,
		const struct reply_batch_item *items, size_t n, int64_t until,
		char *buf, size_t size)
{
	static const enum reply_review_result order[] = {
		REPLY_REVIEW_DONE, REPLY_REVIEW_ALREADY, REPLY_REVIEW_CONFLICT,
		REPLY_REVIEW_OWN_HOUSEHOLD, REPLY_REVIEW_PIN_NEEDED,
		REPLY_REVIEW_PIN_WRONG, REPLY_REVIEW_PIN_LOCKED,
		REPLY_REVIEW_NOT_FOUND,
	};
	char date[32];
	struct sb b;
	size_t i, k, cnt;
	bool first = true;

	if (!args_ok(ctx, buf, size) || !items || !n)
		return -EINVAL;
	sb_reset(&b);
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		cnt = 0;
		for (i = 0; i < n; i++) {
			enum reply_review_result r = items[i].result;

			if (r == REPLY_REVIEW_NOT_COMMITTEE)
				r = REPLY_REVIEW_NOT_FOUND;
			if (r != order[k])
				continue;
			if (!cnt) {
				if (!first)
					sb_add(&b, "%s", zh(ctx) ? "；" : "; ");
				sb_add(&b, "%s", batch_word(ctx, approve, r));
				if (!zh(ctx))
					sb_add(&b, " ");
			}
			sb_add(&b, "%s#%ld", cnt ? (zh(ctx) ? "、" : ",") : "",
			       items[i].id);
			cnt++;
			first = false;
		}
		if (cnt && order[k] == REPLY_REVIEW_DONE && approve) {
			fmt_date(ctx, until, date, sizeof(date));
			sb_add(&b, zh(ctx) ? "，公示至%s" : ", public until %s",
			       date);
		}
	}
	sb_add(&b, "%s", zh(ctx) ? "。" : ".");
	return finish(ctx, &b, buf, size);
}

int reply_short_ack(const struct reply_ctx *ctx, enum cmd_kind kind, long id,
		    bool ok, char *buf, size_t size)
{
	const char *w;
	struct sb b;

	if (!args_ok(ctx, buf, size))
		return -EINVAL;
	switch (kind) {
	case CMD_APPROVE:
		w = zh(ctx) ? "确认" : "OK";
		break;
	case CMD_REJECT:
		w = zh(ctx) ? "驳回" : "NO";
		break;
	case CMD_REPLY:
		w = zh(ctx) ? "答复M" : "REPLY M";
		break;
	case CMD_DONE:
		w = zh(ctx) ? "办结M" : "DONE M";
		break;
	default:
		return -EINVAL;
	}
	sb_reset(&b);
	if (kind == CMD_APPROVE || kind == CMD_REJECT)
		sb_add(&b, "%s#%ld%s", w, id, ok ? "" : "×");
	else
		sb_add(&b, "%s%ld%s", w, id, ok ? "" : "×");
	return out(&b, buf, size);
}

int reply_merged(const struct reply_ctx *ctx, const char *items, int n,
		 char *buf, size_t size)
{
	const char *p, *e;
	struct sb b, t;
	int k = 0;

	if (!args_ok(ctx, buf, size) || !items || n < 1)
		return -EINVAL;
	sb_reset(&b);
	sb_add(&b, "%s", zh(ctx) ? "本小时短信已达上限，合并告知，均已办理：" :
	       "Hourly limit reached; all done: ");
	for (p = items; *p; p = *e ? e + 1 : e) {
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		t = b;
		sb_add(&t, "%s%.*s", k ? (zh(ctx) ? "、" : ", ") : "",
		       (int)(e - p), p);
		/* keep room for the "等N条" tail */
		if (text_sms_units(t.buf, NULL) + 8 > budget_for(ctx, t.buf))
			break;
		b = t;
		k++;
	}
	if (k < n)
		sb_add(&b, zh(ctx) ? "等%d条" : " +%d more", n - k);
	sb_add(&b, "%s", zh(ctx) ? "。" : ".");
	return finish(ctx, &b, buf, size);
}

int reply_flow(const struct reply_ctx *ctx, enum reply_flow kind,
	       const struct reply_flow_args *a, char *buf, size_t size)
{
	char name[64], txt[STORE_TEXT_CP * 4], hm[24];
	struct sb b;
	bool z;

	if (!args_ok(ctx, buf, size) || !a)
		return -EINVAL;
	z = zh(ctx);
	sb_reset(&b);
	name[0] = '\0';
	if (a->name && *a->name)
		fmt_household(ctx, a->name, name, sizeof(name));
	text_copy(txt, sizeof(txt), a->text ? a->text : "");
	switch (kind) {
	case REPLY_MATTER_TO_COMMITTEE:
		if (z)
			sb_add(&b, "村民说事M%ld（%s）：%s。答复回“回复 M%ld 内容”，"
			       "办完回“办结 M%ld”", a->no,
			       name[0] ? name : "未登记户", txt, a->no, a->no);
		else
			sb_add(&b, "Matter M%ld (%s): %s. Answer: REPLY M%ld "
			       "text; close: DONE M%ld", a->no,
			       name[0] ? name : "no household", txt, a->no,
			       a->no);
		break;
	case REPLY_MATTER_ANSWER:
		if (z)
			sb_add(&b, "【村委会】您反映的M%ld：%s", a->no, txt);
		else
			sb_add(&b, "[Village committee] About your M%ld: %s",
			       a->no, txt);
		break;
	case REPLY_MATTER_CLOSED:
		if (z)
			sb_add(&b, "【村委会】您反映的M%ld已办结，谢谢您的反映。",
			       a->no);
		else
			sb_add(&b, "[Village committee] Your matter M%ld is "
			       "closed. Thank you.", a->no);
		break;
	case REPLY_MATTER_ANSWERED_ACK:
		sb_add(&b, z ? "已答复M%ld，村民已收到短信。" :
		       "M%ld answered; the villager gets it by SMS.", a->no);
		break;
	case REPLY_MATTER_CLOSED_ACK:
		sb_add(&b, z ? "M%ld已办结，已告知村民。" :
		       "M%ld closed; the villager is told.", a->no);
		break;
	case REPLY_MATTER_NOT_FOUND:
		sb_add(&b, z ? "没有未办结的M%ld，请核对编号，回复“待审”查看。" :
		       "No open matter M%ld. Reply TODO for the list.", a->no);
		break;
	case REPLY_OBJECT_TAKEN:
		sb_add(&b, z ? "已收到您对#%ld的异议，该项暂停生效，村委会核实后"
		       "短信告知结果。" : "Objection to #%ld received: it is "
		       "on hold until the committee decides; you will be told.",
		       a->no);
		break;
	case REPLY_OBJECT_NOT_PUBLIC:
		sb_add(&b, z ? "没有公示中的#%ld，请核对编号（只能对公示中的项"
		       "提异议）。" : "No item #%ld in public notice. Check the "
		       "number.", a->no);
		break;
	case REPLY_OBJECT_TO_COMMITTEE:
		if (!a->rec)
			return -EINVAL;
		if (z) {
			sb_add(&b, "异议：");
			fmt_item(ctx, a->rec, true, false, &b);
			sb_add(&b, "（%s提出）：%s。公示暂停。回“确认%ld”恢复"
			       "公示，或“驳回%ld 理由”", name[0] ? name :
			       "村民", txt, a->rec->id, a->rec->id);
		} else {
			sb_add(&b, "Objection to ");
			fmt_item(ctx, a->rec, true, false, &b);
			sb_add(&b, " (by %s): %s. On hold: OK %ld resumes it, "
			       "NO %ld reason rejects it.", name[0] ? name :
			       "a villager", txt, a->rec->id, a->rec->id);
		}
		break;
	case REPLY_OBJECT_TO_HOUSEHOLD:
		if (!a->rec)
			return -EINVAL;
		fmt_signed(a->rec->points, hm, sizeof(hm));
		sb_add(&b, z ? "您家#%ld（%s分）公示期间有村民提出异议，暂停生效，"
		       "村委会核实后告知结果。" : "Someone objected to your item "
		       "#%ld (%s points); it is on hold until the committee "
		       "decides.", a->rec->id, hm);
		break;
	case REPLY_OBJECT_OUTCOME:
		if (a->approve)
			sb_add(&b, z ? "您对#%ld的异议经村委会核实未采纳，该项恢复"
			       "公示。" : "Your objection to #%ld was not "
			       "upheld; the item is public again.", a->no);
		else
			sb_add(&b, z ? "您对#%ld的异议已采纳，该项已驳回。" :
			       "Your objection to #%ld was upheld; the item "
			       "is rejected.", a->no);
		break;
	case REPLY_PIN_LOCKED:
		fmt_hhmm(ctx, a->until, hm, sizeof(hm));
		sb_add(&b, z ? "PIN连续输错，已锁定至%s，期间不能用PIN确认。如非"
		       "本人操作请告知村委会。" : "Too many wrong PINs: PIN "
		       "approvals are locked until %s.", hm);
		break;
	case REPLY_PIN_LOCKED_OTHERS:
		sb_add(&b, z ? "提醒：委员（%s）的PIN连续输错，已锁定1小时。" :
		       "Note: committee member (%s) PIN locked for an hour "
		       "after wrong PINs.", name[0] ? name : "?");
		break;
	case REPLY_NOTICE_DRAFT:
		if (z)
			sb_add(&b, "通知将发给%ld户，共%ld条短信（约%ld.%ld元）。"
			       "回“确认发送 %s”发出，1小时内有效。", a->count,
			       a->parts, a->parts / 10, a->parts % 10,
			       a->code ? a->code : "");
		else
			sb_add(&b, "The notice goes to %ld households, %ld SMS "
			       "(about %ld.%ld yuan). Reply SEND %s within an "
			       "hour to send it.", a->count, a->parts,
			       a->parts / 10, a->parts % 10,
			       a->code ? a->code : "");
		break;
	case REPLY_NOTICE_SENT:
		if (z) {
			sb_add(&b, "通知已排队发送：%ld户，%ld条短信。", a->count,
			       a->parts);
			if (a->held)
				sb_add(&b, "安静时段，%ld户将在时段结束后收到。",
				       a->held);
		} else {
			sb_add(&b, "Notice queued: %ld households, %ld SMS.",
			       a->count, a->parts);
			if (a->held)
				sb_add(&b, " %ld wait for the end of quiet "
				       "hours.", a->held);
		}
		break;
	case REPLY_NOTICE_CAP:
		sb_add(&b, z ? "今天的通知已达上限（每天%ld次），请明天再发。" :
		       "Today's notices are used up (%ld a day). Try tomorrow.",
		       a->count);
		break;
	case REPLY_NOTICE_NO_CODE:
		sb_add(&b, z ? "没有待发送的通知%s（已发出或已过期）。请重新发"
		       "“通知 内容”。" : "No notice %s waiting (sent or "
		       "expired). Send NOTICE text again.",
		       a->code ? a->code : "");
		break;
	case REPLY_NOTICE_TEXT:
		sb_add(&b, z ? "【村委会通知】%s" : "[Village notice] %s", txt);
		if (z)
			sb_add(&b, "%s", "（退订回TD）");
		break;
	case REPLY_DIGEST:
		if (z) {
			sb_add(&b, "早上好！待审%ld条", a->count);
			if (a->held)
				sb_add(&b, "（含异议%ld条）", a->held);
			sb_add(&b, "，未办结说事%ld件。回复“待审”查看。",
			       a->parts);
		} else {
			sb_add(&b, "Good morning: %ld to review", a->count);
			if (a->held)
				sb_add(&b, " (%ld objected)", a->held);
			sb_add(&b, ", %ld open matters. Reply TODO for the "
			       "list.", a->parts);
		}
		break;
	case REPLY_SORRY:
		sb_add(&b, "%s", z ? "抱歉，您的短信暂时无法处理，已告知管理员，请"
		       "稍后再试或联系村委会。" : "Sorry, your message could "
		       "not be handled. The operator is told; please try "
		       "again later.");
		break;
	default:
		return -EINVAL;
	}
	return finish(ctx, &b, buf, size);
}
