/* SPDX-License-Identifier: MIT */
/*
 * ctl_village - jifenctl matter / message / send / notice / publicity /
 * household statement|remove / phone remove / export.  See ctl_village.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/clockview.h"
#include "gateway/handlers.h"
#include "gateway/loan.h"
#include "gateway/outq.h"
#include "jifenctl/ctl_store.h"
#include "jifenctl/ctl_village.h"
#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/village.h"
#include "util/array.h"

#define TEXT_MAX	1024

/* Records, deadlines and messages are dated with the time jifend
 * believes (gateway/clockview.h), not the system clock alone. */
static struct handler_ctx hctx(struct store *st, const struct config *cfg)
{
	struct handler_ctx c = { st, cfg, clockview_now(st) };

	return c;
}

#define LOCAL_TIME	"%Y-%m-%d %H:%M"	/* "2026-11-28 09:30" */
#define LOCAL_DATE	"%Y年%m月%d日"		/* on the printed pages */

/* T in local time as FMT (LOCAL_TIME, LOCAL_DATE); "-" for 0. */
static void local_fmt(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, len, fmt, &tm))
		snprintf(buf, len, "-");
}

int ctl_parse_no(const char *s, const char *prefixes, long long *no)
{
	long long v = 0;

	if (*s && strchr(prefixes, *s))
		s++;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 99999999LL)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (v < 1)
		return -EINVAL;
	*no = v;
	return 0;
}

/* ARGV[from..] joined by spaces into BUF; -E2BIG when too long. */
static int join_args(int argc, char **argv, int from, char *buf, size_t len)
{
	size_t n = 0, l;
	int i;

	buf[0] = '\0';
	for (i = from; i < argc; i++) {
		l = strlen(argv[i]);
		if (n + l + 2 > len)
			return -E2BIG;
		if (n)
			buf[n++] = ' ';
		memcpy(buf + n, argv[i], l);
		n += l;
		buf[n] = '\0';
	}
	return 0;
}

/* Run FN inside one transaction. */
#define IN_TX(st, rc, call) do {					\
	(rc) = store_begin(st);						\
	if (!(rc)) {							\
		(rc) = (call);						\
		if (rc)							\
			store_rollback(st);				\
		else							\
			(rc) = store_commit(st);			\
	}								\
} while (0)

/* ---- matter ------------------------------------------------------------ */

static int matter_row(const struct store_matter *m, void *data)
{
	char at[32], name[STORE_NAME_MAX] = "";
	struct store_household h;
	struct store *st = data;

	if (m->household[0] && !store_household_get(st, m->household, &h))
		snprintf(name, sizeof(name), "%s", h.name);
	local_fmt(m->created_at, LOCAL_TIME, at, sizeof(at));
	printf("M%-5lld %-8s %-16s %-10s %-16s %s\n", m->no,
	       store_matter_state_name(m->state), at,
	       m->household[0] ? m->household : "-", m->phone, m->text);
	if (m->answer[0])
		printf("       answer: %s\n", m->answer);
	(void)name;
	return 0;
}

int ctl_matter(struct store *st, const struct config *cfg, int argc,
	       char **argv, bool *queued)
{
	struct handler_ctx c = hctx(st, cfg);
	char text[TEXT_MAX];
	long long no;
	bool found = false, open_only = false;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "list")) {
		if (argc > 3 || (argc == 3 && strcmp(argv[2], "--open")))
			goto usage;
		open_only = argc == 3;
		printf("%-6s %-8s %-16s %-10s %-16s %s\n", "NO", "STATE",
		       "RAISED", "HOUSEHOLD", "PHONE", "TEXT");
		rc = store_matters_list(st, open_only, matter_row, st);
		if (rc) {
			fprintf(stderr, "jifenctl: matter list: %s\n",
				strerror(-rc));
			return 1;
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "answer")) {
		if (argc < 4 || ctl_parse_no(argv[2], "#Mm", &no))
			goto usage;
		if (join_args(argc, argv, 3, text, sizeof(text))) {
			fprintf(stderr, "jifenctl: matter answer: text too "
				"long\n");
			return 2;
		}
		IN_TX(st, rc, handler_matter(&c, HANDLER_BY_CONSOLE, no, text,
					     &found));
	} else if (argc == 3 && !strcmp(argv[1], "close")) {
		if (ctl_parse_no(argv[2], "#Mm", &no))
			goto usage;
		IN_TX(st, rc, handler_matter(&c, HANDLER_BY_CONSOLE, no, NULL,
					     &found));
	} else {
		goto usage;
	}
	if (rc) {
		fprintf(stderr, "jifenctl: matter %s: %s\n", argv[1],
			rc == -EILSEQ ? "text is not valid UTF-8" :
			strerror(-rc));
		return 1;
	}
	if (!found) {
		fprintf(stderr, "jifenctl: matter %s: no open matter M%lld\n",
			argv[1], no);
		return 1;
	}
	*queued = true;
	printf("M%lld %s; the villager is told by SMS\n", no,
	       !strcmp(argv[1], "answer") ? "answered" : "closed");
	return 0;
usage:
	fputs("jifenctl: usage: matter list [--open] | matter answer ID TEXT |"
	      " matter close ID\n", stderr);
	return 2;
}

/* ---- message ----------------------------------------------------------- */

static int msg_row(const struct store_msg_row *m, void *data)
{
	char at[32];

	(void)data;
	local_fmt(m->at, LOCAL_TIME, at, sizeof(at));
	printf("%-3s %6lld  %-16s %-16s %-6s %-10s", m->out ? "out" : "in",
	       m->id, at, m->number, m->kind, m->state);
	if (m->out)
		printf(" parts %d/%d", m->parts_sent, m->nparts);
	else
		printf(" parts %d", m->nparts);
	if (m->out && (m->delivered || m->undelivered))
		printf(" delivered %d%s", m->delivered,
		       m->undelivered ? " (some not delivered)" : "");
	printf("  %s\n", m->text);
	if (m->last_error[0])
		printf("%37s error: %s\n", "", m->last_error);
	return 0;
}

int ctl_message(struct store *st, const struct config *cfg, int argc,
		char **argv, bool *queued)
{
	struct store_msg_filter f = { STORE_MSG_BOTH, false, NULL, 100 };
	long long id;
	int i, rc;

	(void)cfg;
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--in"))
				f.dir = STORE_MSG_IN;
			else if (!strcmp(argv[i], "--out"))
				f.dir = STORE_MSG_OUT;
			else if (!strcmp(argv[i], "--failed"))
				f.failed_only = true;
			else if (!strcmp(argv[i], "--number") && i + 1 < argc)
				f.number = argv[++i];
			else
				goto usage;
		}
		rc = store_messages_list(st, &f, msg_row, NULL);
		if (rc) {
			fprintf(stderr, "jifenctl: message list: %s\n",
				strerror(-rc));
			return 1;
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "retry")) {
		if (ctl_parse_no(argv[2], "#Mm", &id))
			goto usage;
		rc = store_outbox_retry(st, id, clockview_now(st));
		if (rc == -ENOENT) {
			fprintf(stderr, "jifenctl: message retry: no outgoing "
				"message %lld\n", id);
			return 1;
		}
		if (rc == -EALREADY) {
			fprintf(stderr, "jifenctl: message retry: message %lld "
				"has not failed\n", id);
			return 1;
		}
		if (rc) {
			fprintf(stderr, "jifenctl: message retry: %s\n",
				strerror(-rc));
			return 1;
		}
		*queued = true;
		printf("message %lld queued again\n", id);
		return 0;
	}
usage:
	fputs("jifenctl: usage: message list [--in|--out] [--failed] "
	      "[--number N] | message retry ID\n", stderr);
	return 2;
}

/* ---- send, notice -------------------------------------------------------- */

int ctl_send(struct store *st, const struct config *cfg, int argc,
	     char **argv, bool *queued)
{
	char text[TEXT_MAX];
	enum outq_verdict v;
	long long id = 0;
	int64_t now = clockview_now(st);
	int rc;

	if (argc < 3) {
		fputs("jifenctl: usage: send NUMBER TEXT\n", stderr);
		return 2;
	}
	if (join_args(argc, argv, 2, text, sizeof(text)) || !text[0]) {
		fputs("jifenctl: send: text empty or too long\n", stderr);
		return 2;
	}
	rc = outq_allowed(st, argv[1], now, &v);
	if (!rc && v != OUTQ_ALLOWED) {
		fprintf(stderr, "jifenctl: send: will not send to '%s' (%s)\n",
			argv[1], outq_verdict_name(v));
		return 1;
	}
	if (!rc)
		IN_TX(st, rc, outq_add(st, cfg, argv[1], text,
				       STORE_OUT_ALERT, 0, now, &id));
	if (rc) {
		fprintf(stderr, "jifenctl: send: %s\n", rc == -EILSEQ ?
			"text is not valid UTF-8" : strerror(-rc));
		return 1;
	}
	*queued = true;
	printf("message %lld queued to %s\n", id, argv[1]);
	return 0;
}

int ctl_notice(struct store *st, const struct config *cfg, int argc,
	       char **argv, bool *queued)
{
	struct handler_ctx c = hctx(st, cfg);
	bool committee = false, scope = false, yes = false;
	long hh = 0, sms = 0, held = 0;
	char text[TEXT_MAX] = "", answer[16];
	size_t n = 0, l;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all") && !scope) {
			scope = true;
		} else if (!strcmp(argv[i], "--committee") && !scope) {
			scope = committee = true;
		} else if (!strcmp(argv[i], "--yes")) {
			yes = true;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			goto usage;
		} else {
			l = strlen(argv[i]);
			if (n + l + 2 > sizeof(text))
				goto usage;
			if (n)
				text[n++] = ' ';
			memcpy(text + n, argv[i], l + 1);
			n += l;
		}
	}
	if (!scope || !text[0])
		goto usage;
	rc = handler_notice_count(&c, committee, text, &hh, &sms);
	if (rc) {
		fprintf(stderr, "jifenctl: notice: %s\n", strerror(-rc));
		return 1;
	}
	printf("notice to %ld household(s)%s: %ld SMS, about %ld.%ld yuan\n",
	       hh, committee ? " (committee)" : "", sms, sms / 10, sms % 10);
	if (!hh) {
		fputs("jifenctl: notice: nobody to send to\n", stderr);
		return 1;
	}
	if (!yes) {
		printf("send it? [y/N] ");
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("not sent\n");
			return 1;
		}
	}
	c.now = clockview_now(st);	/* after the question */
	IN_TX(st, rc, handler_notice(&c, HANDLER_BY_CONSOLE, committee, text,
				     &hh, &sms, &held));
	if (rc == -EDQUOT) {
		fprintf(stderr, "jifenctl: notice: %d notice(s) already sent "
			"today (sms.broadcasts_per_day)\n",
			cfg->sms.broadcasts_per_day);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "jifenctl: notice: %s\n", rc == -EILSEQ ?
			"text is not valid UTF-8" : strerror(-rc));
		return 1;
	}
	*queued = true;
	printf("queued %ld SMS to %ld household(s)", sms, hh);
	if (held)
		printf("; %ld wait for the end of quiet hours", held);
	printf("\n");
	return 0;
usage:
	fputs("jifenctl: usage: notice --all|--committee TEXT [--yes]\n",
	      stderr);
	return 2;
}

/* ---- HTML pages ------------------------------------------------------------ */

static void html_text(FILE *f, const char *s)
{
	static const char *const entity[] = {
		['<'] = "&lt;", ['>'] = "&gt;", ['&'] = "&amp;",
		['"'] = "&quot;",
	};
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c < ARRAY_SIZE(entity) && entity[c])
			fputs(entity[c], f);
		else
			fputc(c, f);
	}
}

/* PATH opened for writing, with the head of a printable page TITLE,
 * and the page's date (today, as jifend believes it) in TODAY; NULL
 * (said on stderr) when it cannot be opened.  html_close() ends the
 * page. */
static FILE *html_open(struct store *st, const char *path, const char *title,
		       char *today, size_t len)
{
	FILE *f = fopen(path, "w");

	local_fmt(clockview_now(st), LOCAL_DATE, today, len);
	if (!f) {
		fprintf(stderr, "jifenctl: cannot write %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	      "<title>", f);
	html_text(f, title);
	fputs("</title><style>@page{size:A4;margin:18mm}"
	      "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\","
	      "\"SimSun\",sans-serif;font-size:12pt;color:#000}"
	      "h1{text-align:center;font-size:20pt;margin:0 0 4mm}"
	      "p.sub{text-align:center;margin:0 0 6mm}"
	      "table{width:100%;border-collapse:collapse}"
	      "th,td{border:1px solid #000;padding:2mm 3mm;text-align:left}"
	      "td.n{text-align:right}tr{page-break-inside:avoid}"
	      "p.foot{margin-top:8mm}</style></head><body>\n", f);
	return f;
}

/* The end of the page and the file: 0, or 1 (said) on a write error. */
static int html_close(FILE *f, const char *path)
{
	fputs("</body></html>\n", f);
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "jifenctl: writing %s failed\n", path);
		return 1;
	}
	return 0;
}

/* ---- publicity list ----------------------------------------------------- */

struct recs {
	struct store_record *r;
	size_t n, cap;
};

static int recs_cb(const struct store_record *r, void *data)
{
	struct recs *l = data;
	struct store_record *nr;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		nr = realloc(l->r, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		l->r = nr;
		l->cap = cap;
	}
	l->r[l->n++] = *r;
	return 0;
}

/* The records FL selects, added to L; on failure L is freed and the
 * command WHAT says why.  0, or the exit status 1. */
static int recs_get(struct store *st, const struct store_record_filter *fl,
		    struct recs *l, const char *what)
{
	int rc = store_records_list(st, fl, recs_cb, l);

	if (!rc)
		return 0;
	fprintf(stderr, "jifenctl: %s: %s\n", what, strerror(-rc));
	free(l->r);
	return 1;
}

static void hh_name(struct store *st, const char *id, char *buf, size_t len)
{
	struct store_household h;

	if (!store_household_get(st, id, &h) && h.name[0])
		snprintf(buf, len, "%s", h.name);
	else
		snprintf(buf, len, "%s", id);
}

static int publicity_text(const struct recs *l)
{
	char until[40];
	size_t i;

	printf("%6s  %-12s %7s  %-10s %-16s %s\n", "ID", "HOUSEHOLD",
	       "POINTS", "STATE", "UNTIL", "REASON");
	for (i = 0; i < l->n; i++) {
		local_fmt(l->r[i].notice_until, LOCAL_TIME, until,
			  sizeof(until));
		printf("%6lld  %-12s %+7lld  %-10s %-16s %s\n", l->r[i].no,
		       l->r[i].household, l->r[i].points,
		       store_rstatus_name(l->r[i].status),
		       l->r[i].status == STORE_OBJECTED ? "(on hold)" : until,
		       l->r[i].reason);
	}
	return 0;
}

static int publicity_html(struct store *st, const struct config *cfg,
			  const struct recs *l, const char *path)
{
	char name[STORE_NAME_MAX], until[40], today[40];
	FILE *f = html_open(st, path, "积分公示", today, sizeof(today));
	size_t i;

	if (!f)
		return 1;
	fputs("<h1>", f);
	html_text(f, cfg->village.name[0] ? cfg->village.name : "");
	fputs("积分公示</h1>\n<p class=\"sub\">", f);
	fprintf(f, "公示期%d天，如有异议请在公示期内向村委会提出，或发短信"
		"“异议 编号 理由”。%s</p>\n", cfg->village.publicity_days,
		today);
	fputs("<table><tr><th>编号</th><th>户</th><th>分值</th><th>事由</th>"
	      "<th>公示至</th></tr>\n", f);
	for (i = 0; i < l->n; i++) {
		hh_name(st, l->r[i].household, name, sizeof(name));
		local_fmt(l->r[i].notice_until, LOCAL_DATE, until,
			  sizeof(until));
		fprintf(f, "<tr><td>%lld</td><td>", l->r[i].no);
		html_text(f, name);
		fprintf(f, "</td><td class=\"n\">%+lld</td><td>",
			l->r[i].points);
		html_text(f, l->r[i].reason);
		fputs("</td><td>", f);
		if (l->r[i].status == STORE_OBJECTED)
			fputs("有异议，暂停", f);
		else
			html_text(f, until);
		fputs("</td></tr>\n", f);
	}
	if (!l->n)
		fputs("<tr><td colspan=\"5\">目前没有公示中的积分。</td></tr>\n",
		      f);
	fputs("</table>\n<p class=\"foot\">村民委员会（盖章）</p>\n", f);
	if (html_close(f, path))
		return 1;
	printf("%zu item(s) written to %s\n", l->n, path);
	return 0;
}

int ctl_publicity(struct store *st, const struct config *cfg, int argc,
		  char **argv)
{
	struct store_record_filter fl = { NULL, STORE_APPROVED, false, 0 };
	struct recs l = { 0 };
	int rc;

	if (argc < 2 || strcmp(argv[1], "list") ||
	    !(argc == 2 || (argc == 4 && !strcmp(argv[2], "--html")))) {
		fputs("jifenctl: usage: publicity list [--html FILE]\n",
		      stderr);
		return 2;
	}
	if (recs_get(st, &fl, &l, "publicity list"))
		return 1;
	fl.status = STORE_OBJECTED;
	if (recs_get(st, &fl, &l, "publicity list"))
		return 1;
	rc = argc == 4 ? publicity_html(st, cfg, &l, argv[3]) :
	     publicity_text(&l);
	free(l.r);
	return rc;
}

/* ---- household statement / remove ---------------------------------------- */

/* What a statement shows. */
struct stmt {
	const char *id;		/* as asked */
	struct store_household h;
	struct store_balance b;
	struct loan_quote q;
	struct recs l;
};

static int statement_text(const struct stmt *s)
{
	char at[40];
	size_t i;

	printf("household %s  %s\n", s->h.id, s->h.name);
	printf("  points   final %lld, in publicity %lld, pending %lld;"
	       " rank %d of %d\n", s->b.final_points, s->b.publicity_points,
	       s->b.pending_points, s->b.rank, s->b.households);
	printf("  loan     rate %d.%02d%% (base %d.%02d%%, %d.%02d pp "
	       "off), subject to bank approval\n", s->q.rate_centi / 100,
	       s->q.rate_centi % 100, s->q.base_centi / 100,
	       s->q.base_centi % 100, s->q.discount_centi / 100,
	       s->q.discount_centi % 100);
	for (i = 0; i < s->l.n; i++) {
		local_fmt(s->l.r[i].created_at, LOCAL_TIME, at, sizeof(at));
		printf("  %-16s #%-5lld %+6lld  %-8s  %s\n", at,
		       s->l.r[i].no, s->l.r[i].points,
		       store_rstatus_name(s->l.r[i].status),
		       s->l.r[i].reason);
	}
	return 0;
}

static int statement_html(struct store *st, const struct config *cfg,
			  const struct stmt *s, const char *path)
{
	static const char *const zh[] = {
		"待审", "公示中", "已驳回", "已生效", "有异议"
	};
	const struct store_record *r;
	char at[40], today[40];
	FILE *f = html_open(st, path, "积分证明", today, sizeof(today));
	size_t i;

	if (!f)
		return 1;
	fputs("<h1>积分证明</h1>\n<p class=\"sub\">", f);
	html_text(f, cfg->village.name);
	fputs(" · ", f);
	html_text(f, today);
	fputs("</p>\n<p>兹证明 <b>", f);
	html_text(f, s->h.name[0] ? s->h.name : s->h.id);
	fputs("</b>（户号 ", f);
	html_text(f, s->h.id);
	fprintf(f, "）截至%s：已生效积分 <b>%lld</b> 分，公示中 %lld 分，待审"
		" %lld 分，全村第 %d 名（共 %d 户）。</p>\n", today,
		s->b.final_points, s->b.publicity_points, s->b.pending_points,
		s->b.rank, s->b.households);
	fprintf(f, "<p>按本村积分贷政策（基准利率 %d.%02d%%），可享利率 "
		"<b>%d.%02d%%</b>（优惠 %d.%02d 个百分点），以银行审批为准。"
		"</p>\n", s->q.base_centi / 100, s->q.base_centi % 100,
		s->q.rate_centi / 100, s->q.rate_centi % 100,
		s->q.discount_centi / 100, s->q.discount_centi % 100);
	fputs("<table><tr><th>日期</th><th>编号</th><th>分值</th><th>事由</th>"
	      "<th>状态</th></tr>\n", f);
	for (i = 0; i < s->l.n; i++) {
		r = &s->l.r[i];
		local_fmt(r->created_at, LOCAL_DATE, at, sizeof(at));
		fputs("<tr><td>", f);
		html_text(f, at);
		fprintf(f, "</td><td>%lld</td><td class=\"n\">%+lld</td><td>",
			r->no, r->points);
		html_text(f, r->reason);
		fprintf(f, "</td><td>%s</td></tr>\n",
			(unsigned)r->status <= STORE_OBJECTED ?
			zh[r->status] : "?");
	}
	fputs("</table>\n<p class=\"foot\">村民委员会（盖章）　　经办人："
	      "</p>\n", f);
	if (html_close(f, path))
		return 1;
	printf("statement of %s written to %s\n", s->id, path);
	return 0;
}

static int statement(struct store *st, const struct config *cfg,
		     const char *id, const char *html)
{
	struct store_record_filter fl = { NULL, -1, false, 0 };
	struct loan_policy pol;
	struct stmt s = { .id = id };
	long score;
	int rc;

	if (ctl_household_find(st, "household statement", id, &s.h, &s.b))
		return 1;
	score = (long)s.b.final_points;
	if (cfg->loan.score == CONFIG_SCORE_APPROVED)
		score += (long)s.b.publicity_points;
	handler_loan_policy(cfg, &pol);
	rc = loan_quote(&pol, score, 0, 0, &s.q);
	if (rc) {
		fprintf(stderr, "jifenctl: household statement: %s\n",
			strerror(-rc));
		return 1;
	}
	fl.household = id;
	if (recs_get(st, &fl, &s.l, "household statement"))
		return 1;
	rc = html ? statement_html(st, cfg, &s, html) : statement_text(&s);
	free(s.l.r);
	return rc;
}

/* Members' phones (or, HOUSEHOLDS, their households) joined by spaces. */
struct memb_acc {
	char list[512];
	bool households;
};

static int memb_acc_cb(const struct store_member *m, void *data)
{
	struct memb_acc *a = data;
	size_t n = strlen(a->list);

	snprintf(a->list + n, sizeof(a->list) - n, "%s%s", n ? " " : "",
		 a->households ? m->household : m->phone);
	return 0;
}

/* A household's or a phone's removal inside the open transaction: it
 * fills A with what went with it. */
static int household_drop(struct store *st, const char *id, int64_t now,
			  struct memb_acc *a)
{
	int rc = store_household_members(st, id, memb_acc_cb, a);

	return rc ? rc : store_household_delete(st, id, now);
}

static int phone_drop(struct store *st, const char *num, int64_t now,
		      struct memb_acc *a)
{
	int rc = store_phone_memberships(st, num, memb_acc_cb, a);

	(void)now;
	if (!rc && !a->list[0])
		rc = -ENOENT;
	return rc ? rc : store_phone_unbind(st, num, NULL);
}

/* `household remove` and `phone remove`: one row each. */
static const struct removal {
	const char *what;		/* the command, for errors */
	const char *action;		/* the audit row's action */
	const char *key, *listed;	/* its detail: KEY=ID LISTED=list */
	bool households;		/* the list holds households */
	int (*drop)(struct store *st, const char *id, int64_t now,
		    struct memb_acc *a);
	const char *notfound;		/* printf format: ID */
	const char *done;		/* printf format: ID, then the list
					 * (which it may leave out) */
} household_removal = {
	"household remove", "household.remove", "household", "phones",
	false, household_drop, "no such household '%s'",
	"household %s removed (its records stay, for the audit log)\n",
}, phone_removal = {
	"phone remove", "phone.remove", "phone", "households", true,
	phone_drop, "%s is not bound to any household",
	"phone %s removed from %s\n",
};

/* R's removal of ID and its audit row naming what went with it (A),
 * inside the open transaction. */
static int removal_tx(struct store *st, const struct removal *r,
		      const char *id, struct memb_acc *a)
{
	char detail[640];
	int64_t now = clockview_now(st);
	int rc;

	rc = r->drop(st, id, now, a);
	if (rc)
		return rc;
	snprintf(detail, sizeof(detail), "%s=%s %s=%s", r->key, id, r->listed,
		 a->list);
	return store_audit(st, now, HANDLER_BY_CONSOLE, r->action, detail);
}

/* R's removal of ID in one transaction; the outcome on stdout or
 * stderr.  The exit status. */
static int remove_one(struct store *st, const struct removal *r,
		      const char *id)
{
	struct memb_acc a = { "", r->households };
	int rc;

	IN_TX(st, rc, removal_tx(st, r, id, &a));
	if (!rc) {
		printf(r->done, id, a.list);
		return 0;
	}
	fprintf(stderr, "jifenctl: %s: ", r->what);
	if (rc == -ENOENT)
		fprintf(stderr, r->notfound, id);
	else
		fputs(strerror(-rc), stderr);
	fputc('\n', stderr);
	return 1;
}

int ctl_household_more(struct store *st, const struct config *cfg, int argc,
		       char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "remove"))
		return remove_one(st, &household_removal, argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "statement")) {
		if (argc == 3)
			return statement(st, cfg, argv[2], NULL);
		if (argc == 5 && !strcmp(argv[3], "--html"))
			return statement(st, cfg, argv[2], argv[4]);
	}
	fputs("jifenctl: usage: household statement ID [--html FILE] | "
	      "household remove ID\n", stderr);
	return 2;
}

/* ---- phone remove ---------------------------------------------------------- */


int ctl_phone(struct store *st, int argc, char **argv)
{
	char num[PHONE_MAX];

	if (argc != 3 || strcmp(argv[1], "remove")) {
		fputs("jifenctl: usage: phone remove NUMBER\n", stderr);
		return 2;
	}
	if (phone_normalize(argv[2], num, sizeof(num))) {
		fprintf(stderr, "jifenctl: phone remove: '%s' is not a phone "
			"number\n", argv[2]);
		return 2;
	}
	return remove_one(st, &phone_removal, num);
}

/* ---- export ------------------------------------------------------------------ */

/* One CSV field (RFC 4180 quoting when needed). */
static void csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static int export_rec(const struct store_record *r, void *data)
{
	char n[32], p[32], c[40], u[40];

	(void)data;
	snprintf(n, sizeof(n), "%lld", r->no);
	snprintf(p, sizeof(p), "%lld", r->points);
	store_iso8601(r->created_at, c, sizeof(c));
	if (r->notice_until)
		store_iso8601(r->notice_until, u, sizeof(u));
	else
		u[0] = '\0';
	csv_field(n, false);
	csv_field(r->gid, false);
	csv_field(r->household, false);
	csv_field(p, false);
	csv_field(r->reason, false);
	csv_field(store_rstatus_name(r->status), false);
	csv_field(c, false);
	csv_field(r->reviewed_by, false);
	csv_field(u, true);
	return 0;
}

struct hh_export {
	struct store *st;
	int rc;
};

static int export_hh(const struct store_household *h, void *data)
{
	struct hh_export *e = data;
	struct memb_acc a = { "", false };
	struct store_balance b;
	char f[32], p[32], q[32];
	int rc;

	rc = store_household_members(e->st, h->id, memb_acc_cb, &a);
	if (!rc)
		rc = store_household_balance(e->st, h->id, &b);
	if (rc)
		return rc;
	snprintf(f, sizeof(f), "%lld", b.final_points);
	snprintf(p, sizeof(p), "%lld", b.publicity_points);
	snprintf(q, sizeof(q), "%lld", b.pending_points);
	csv_field(h->id, false);
	csv_field(h->name, false);
	csv_field(a.list, false);
	csv_field(f, false);
	csv_field(p, false);
	csv_field(q, true);
	return 0;
}

int ctl_export(struct store *st, int argc, char **argv)
{
	struct hh_export e = { st, 0 };
	bool recs;
	int rc;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--csv")) ||
	    (strcmp(argv[1], "records") && strcmp(argv[1], "households"))) {
		fputs("jifenctl: usage: export records|households [--csv]\n",
		      stderr);
		return 2;
	}
	recs = !strcmp(argv[1], "records");
	/* a BOM so that Excel reads the UTF-8 */
	fputs("\xef\xbb\xbf", stdout);
	if (recs) {
		fputs("id,gid,household,points,reason,status,created,"
		      "reviewed_by,notice_until\r\n", stdout);
		rc = store_records_list(st, NULL, export_rec, NULL);
	} else {
		fputs("household,name,phones,final_points,publicity_points,"
		      "pending_points\r\n", stdout);
		rc = store_households_list(st, export_hh, &e);
	}
	if (rc) {
		fprintf(stderr, "jifenctl: export: %s\n", strerror(-rc));
		return 1;
	}
	if (fflush(stdout)) {
		fprintf(stderr, "jifenctl: export: write failed\n");
		return 1;
	}
	return 0;
}
