/* SPDX-License-Identifier: MIT */
/*
 * pages - the console's pages and actions.  See pages.h.
 *
 * Server-rendered HTML, Chinese first, no JavaScript; one inline
 * stylesheet (with a print part for A4) so a page is one request.  Every
 * change runs in one store transaction with its audit row naming the
 * person logged in; reviews go through handler_review(), the same rules
 * as by SMS.  Lists are cut to keep each page well under 30 KB.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway/handlers.h"
#include "gateway/hhimport.h"
#include "gateway/loan.h"
#include "gateway/outq.h"
#include "jifen-web/pages.h"
#include "storage/msgq.h"
#include "storage/phone.h"
#include "storage/status.h"
#include "storage/village.h"
#include "storage/web.h"
#include "util/array.h"

#define PAGE_ROWS	50	/* households per page */
#define LIST_ROWS	60	/* records, messages per page */
#define IMPORT_MAX	(256 * 1024)
#define IMPORT_SHOW	80	/* preview rows shown */

#define B (&p->resp->body)

static const char css[] =
	"body{font:16px/1.5 sans-serif;margin:0;color:#222}"
	"header{background:#b22;color:#fff;padding:6px 10px}"
	"header a{color:#fff;margin-right:10px}header form{display:inline}"
	"main{padding:8px 10px;max-width:60em}"
	"table{border-collapse:collapse;margin:6px 0}"
	"td,th{border:1px solid #bbb;padding:3px 6px;text-align:left}"
	"th{background:#eee}.num{text-align:right}"
	".ok{background:#dfd;padding:6px}.err{background:#fdd;padding:6px}"
	".small{font-size:13px;color:#555}form.inline{display:inline}"
	"input,select,button,textarea{font-size:16px}"
	"fieldset{margin:8px 0}"
	"@media print{header,form,.noprint{display:none}"
	"main{max-width:none;padding:0}body{font-size:12pt}}"
	"@page{size:A4;margin:15mm}";

/* ---- small helpers ------------------------------------------------------ */

static const char *q(struct page_ctx *p, const char *name)
{
	return form_get(p->req->query, name);
}

static const char *f(struct page_ctx *p, const char *name)
{
	const char *v = form_get(p->req->form, name);

	return v ? v : "";
}

static bool is_clerk(struct page_ctx *p)
{
	return p->sess && p->sess->role == STORE_WEB_CLERK;
}

#define WHEN	"%Y-%m-%d %H:%M"
#define DAY	"%Y-%m-%d"

/* T in local time as FMT (WHEN, DAY); "-" when there is no time. */
static void local(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) || !strftime(buf, len, fmt, &tm))
		snprintf(buf, len, "-");
}

static bool parse_ll(const char *s, long long lo, long long hi,
		     long long *out)
{
	char *e;
	long long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno || *e || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static const char *status_zh(enum store_rstatus s)
{
	switch (s) {
	case STORE_PENDING: return "待审";
	case STORE_APPROVED: return "公示中";
	case STORE_REJECTED: return "已驳回";
	case STORE_FINAL: return "已生效";
	case STORE_OBJECTED: return "有异议";	/* issue 11 */
	}
	return "?";
}

static int tx_end(struct page_ctx *p, int rc)
{
	if (rc) {
		store_rollback(p->st);
		return rc;
	}
	return store_commit(p->st);
}

/* tx_end() after the audit row ACTION DETAIL naming who did it (none
 * for a NULL ACTION), written if RC is 0. */
static int audit_end(struct page_ctx *p, int rc, const char *action,
		     const char *detail)
{
	if (!rc && action)
		rc = store_audit(p->st, p->now, p->actor, action, detail);
	return tx_end(p, rc);
}

/*
 * The end of a change (RC) to what the clerk named: -ENOENT (it is not
 * there) rolls back and answers 404 with GONE; otherwise audit_end().
 * *DONE tells whether the change was committed.
 */
static int change_end(struct page_ctx *p, int rc, const char *gone,
		      const char *action, const char *detail, bool *done)
{
	*done = false;
	if (rc == -ENOENT) {
		store_rollback(p->st);
		page_error(p, 404, gone);
		return 0;
	}
	rc = audit_end(p, rc, action, detail);
	*done = !rc;
	return rc;
}

static const char *village_name(struct page_ctx *p)
{
	return p->cfg->village.name[0] ? p->cfg->village.name : "本村";
}

/*
 * Table cells, one per character of COLS, each from the next argument:
 *   'h'  const char *, escaped		<td>text</td>
 *   'i'  long long			<td>N</td>
 *   'n'  long long			<td class=num>N</td>
 *   'p'  long long, signed (points)	<td class=num>+N</td>
 *   't'  int64_t, local time		<td>2026-11-28 09:30</td>
 *   'd'  int64_t, local date		<td>2026-11-28</td>
 * Every list's row is written through it, so a column looks the same
 * on every page.
 */
static void cells(struct page_ctx *p, const char *cols, ...)
{
	char t[32];
	va_list ap;

	va_start(ap, cols);
	for (; *cols; cols++) {
		switch (*cols) {
		case 'h':
			html_raw(B, "<td>");
			html_text(B, va_arg(ap, const char *));
			html_raw(B, "</td>");
			break;
		case 'i':
			html_rawf(B, "<td>%lld</td>", va_arg(ap, long long));
			break;
		case 'n':
			html_rawf(B, "<td class=num>%lld</td>",
				  va_arg(ap, long long));
			break;
		case 'p':
			html_rawf(B, "<td class=num>%+lld</td>",
				  va_arg(ap, long long));
			break;
		case 't':
		case 'd':
			local(va_arg(ap, int64_t), *cols == 't' ? WHEN : DAY,
			      t, sizeof(t));
			html_raw(B, "<td>");
			html_text(B, t);
			html_raw(B, "</td>");
			break;
		}
	}
	va_end(ap);
}

/* " <span class=small>TEXT</span>" after a cell's text, if TEXT is not
 * empty. */
static void aside(struct page_ctx *p, const char *text)
{
	if (!text[0])
		return;
	html_raw(B, " <span class=small>");
	html_text(B, text);
	html_raw(B, "</span>");
}

/* ---- layout ------------------------------------------------------------- */

void page_begin(struct page_ctx *p, const char *title)
{
	html_raw(B, "<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8>"
		 "<meta name=viewport content=\"width=device-width,"
		 "initial-scale=1\"><title>");
	html_text(B, title);
	html_raw(B, " - ");
	html_text(B, village_name(p));
	html_raw(B, "积分</title><style>");
	html_raw(B, css);
	html_raw(B, "</style></head><body><header><b>");
	html_text(B, village_name(p));
	html_raw(B, " 积分网关</b> ");
	if (p->sess) {
		html_raw(B, "<nav><a href=/>总览</a><a href=/households>农户</a>"
			 "<a href=/records>记录</a><a href=/publicity>公示</a>"
			 "<a href=/matters>说事</a><a href=/messages>短信</a>");
		html_raw(B, "<form method=post action=/logout>");
		page_csrf(p);
		html_raw(B, "<button id=logout>退出 ");
		html_text(B, is_clerk(p) ? "文书" : p->sess->who);
		html_raw(B, "</button></form></nav>");
	}
	html_raw(B, "</header><main><h1>");
	html_text(B, title);
	html_raw(B, "</h1>");
}

void page_end(struct page_ctx *p)
{
	html_raw(B, "</main></body></html>\n");
}

void page_note(struct page_ctx *p, bool ok, const char *text)
{
	html_raw(B, ok ? "<p class=ok id=note>" : "<p class=err id=note>");
	html_text(B, text);
	html_raw(B, "</p>");
}

void page_csrf(struct page_ctx *p)
{
	if (!p->sess)
		return;
	html_rawf(B, "<input type=hidden name=csrf value=\"%s\">",
		  p->sess->csrf);
}

void page_error(struct page_ctx *p, int status, const char *text)
{
	html_free(B);
	p->resp->status = status;
	page_begin(p, status == 404 ? "没有这个页面" : "出错了");
	page_note(p, false, text);
	page_end(p);
}

static bool need_clerk(struct page_ctx *p)
{
	if (is_clerk(p))
		return true;
	page_error(p, 403, "只有文书可以做这件事。");
	return false;
}

/* ---- overview ------------------------------------------------------------ */

static const struct {
	const char *key, *label;
} status_labels[] = {
	{ STATUS_MODEM_STATE, "模块状态" },
	{ STATUS_MODEM_SIGNAL_CSQ, "信号" },
	{ STATUS_MODEM_MANUFACTURER, "模块厂商" },
	{ STATUS_MODEM_MODEL, "模块型号" },
	{ STATUS_MODEM_SIM, "SIM卡" },
	{ STATUS_MODEM_REGISTRATION, "网络注册" },
	{ STATUS_MODEM_SMS_STORAGE, "SIM短信存储" },
	{ STATUS_MODEM_BALANCE, "SIM余额" },
	{ STATUS_MODEM_BALANCE_AT, "余额查询时间" },
	{ STATUS_MODEM_BALANCE_ERROR, "余额查询错误" },
	{ STATUS_MODEM_LAST_ERROR, "最近错误" },
	{ STATUS_MODEM_REOPENS, "重新打开次数" },
	{ STATUS_OWN_NUMBER, "本机号码" },
	{ "clock.source", "时钟来源" },
	{ "clock.offset", "时钟偏差" },
};

/* A status value in words: signal in dBm, registration spelled out. */
static void status_value(const char *key, const char *v, char *out,
			 size_t len)
{
	static const char *const reg[] = { "未注册", "已注册(本地)", "搜索网络中",
					   "注册被拒绝", "未知", "已注册(漫游)" };
	long n = strtol(v, NULL, 10);

	if (!strcmp(key, STATUS_MODEM_SIGNAL_CSQ) && *v) {
		if (*v && status_signal_dbm(n))
			snprintf(out, len, "%d dBm (CSQ %ld)",
				 status_signal_dbm(n), n);
		else
			snprintf(out, len, "未知 (CSQ %s)", v);
	} else if (!strcmp(key, STATUS_MODEM_REGISTRATION) && *v && n >= 0 &&
		   n <= 5) {
		snprintf(out, len, "%s", reg[n]);
	} else if (!strcmp(key, STATUS_MODEM_BALANCE) && *v) {
		snprintf(out, len, "%s 元", v);
	} else if (!strcmp(key, STATUS_MODEM_BALANCE_AT) && n > 0) {
		local(n, WHEN, out, len);
	} else {
		snprintf(out, len, "%s", *v ? v : "-");
	}
}

static int status_rows(struct page_ctx *p)
{
	char v[256], w[300];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(status_labels); i++) {
		rc = store_status_get(p->st, status_labels[i].key, v, sizeof(v));
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		status_value(status_labels[i].key, v, w, sizeof(w));
		html_raw(B, "<tr><th>");
		html_text(B, status_labels[i].label);
		html_raw(B, "</th><td>");
		html_text(B, w);
		html_raw(B, "</td></tr>");
	}
	return 0;
}

static int page_overview(struct page_ctx *p)
{
	struct store_counts n;
	char buf[128], t[32];
	int rc;

	rc = store_counts(p->st, p->now - 86400, &n);
	if (rc)
		return rc;
	page_begin(p, "总览");
	html_raw(B, "<h2>模块与SIM卡</h2><table id=status>");
	rc = status_rows(p);
	if (rc)
		return rc;
	html_raw(B, "</table><h2>队列</h2><table>");
	html_rawf(B, "<tr><th>待处理短信</th><td class=num>%ld</td></tr>"
		  "<tr><th>待发短信</th><td class=num>%ld</td></tr>"
		  "<tr><th>发送失败</th><td class=num>%ld</td></tr>"
		  "<tr><th>24小时已发</th><td class=num>%ld</td></tr>"
		  "<tr><th>待同步事件</th><td class=num>%ld</td></tr>"
		  "<tr><th>农户</th><td class=num>%ld</td></tr>"
		  "<tr><th>待审记录</th><td class=num>%ld</td></tr></table>",
		  n.inbox_pending, n.outbox_queued, n.outbox_failed,
		  n.outbox_sent_since, n.events_unsent, n.households,
		  n.records_pending);
	html_raw(B, "<h2>同步与时钟</h2><table>");
	if (store_state_get(p->st, "last_sync", buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "从未");
	html_raw(B, "<tr><th>上次同步</th><td>");
	html_text(B, buf);
	if (store_state_get(p->st, "last_error", buf, sizeof(buf)) >= 0) {
		html_raw(B, "</td></tr><tr><th>同步错误</th><td>");
		html_text(B, buf);
	}
	local(p->now, WHEN, t, sizeof(t));
	html_raw(B, "</td></tr><tr><th>网关时间</th><td>");
	html_text(B, t);
	html_raw(B, "</td></tr></table>");
	page_end(p);
	return 0;
}

/* ---- households ----------------------------------------------------------- */

struct hh_list {
	struct page_ctx *p;
	const char *filter;
	long skip, shown, total;
};

static int hh_row(const struct store_web_household *h, void *data)
{
	struct hh_list *l = data;
	struct page_ctx *p = l->p;

	if (l->filter && *l->filter && !strstr(h->id, l->filter) &&
	    !strstr(h->name, l->filter))
		return 0;
	l->total++;
	if (l->total <= l->skip || l->shown >= PAGE_ROWS)
		return 0;
	l->shown++;
	html_raw(B, "<tr><td><a href=\"/household?id=");
	html_text(B, h->id);
	html_raw(B, "\">");
	html_text(B, h->id);
	html_raw(B, "</a></td>");
	cells(p, "hnnnn", h->name, (long long)h->phones, h->final_points,
	      h->publicity_points, h->pending_points);
	html_raw(B, "</tr>");
	return 0;
}

static int page_households(struct page_ctx *p)
{
	struct hh_list l = { p, q(p, "q"), 0, 0, 0 };
	long long pg = 1;
	int rc;

	if (q(p, "page") && !parse_ll(q(p, "page"), 1, 100000, &pg))
		pg = 1;
	l.skip = (long)(pg - 1) * PAGE_ROWS;
	page_begin(p, "农户");
	html_raw(B, "<form method=get action=/households>"
		 "<input name=q placeholder=户号或户主 value=\"");
	html_text(B, l.filter ? l.filter : "");
	html_raw(B, "\"> <button>查找</button></form>");
	if (is_clerk(p))
		html_raw(B, "<p><a href=/import id=import-link>导入农户表(CSV)"
			 "</a></p>");
	html_raw(B, "<table id=households><tr><th>户号</th><th>户主</th>"
		 "<th>手机</th><th>积分</th><th>公示中</th><th>待审</th></tr>");
	rc = store_web_households(p->st, hh_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table>");
	html_rawf(B, "<p class=small>共 %ld 户, 第 %lld 页", l.total, pg);
	if (pg > 1) {
		html_rawf(B, " <a href=\"/households?page=%lld&amp;q=", pg - 1);
		html_text(B, l.filter ? l.filter : "");
		html_raw(B, "\">上一页</a>");
	}
	if (l.skip + l.shown < l.total) {
		html_rawf(B, " <a href=\"/households?page=%lld&amp;q=", pg + 1);
		html_text(B, l.filter ? l.filter : "");
		html_raw(B, "\">下一页</a>");
	}
	html_raw(B, "</p>");
	page_end(p);
	return 0;
}

/* A phone of the household (DATA is the page). */
static int member_row(const struct store_member *m, void *data)
{
	struct page_ctx *p = data;

	html_raw(B, "<tr>");
	cells(p, "hhh", m->phone, m->name,
	      m->role == STORE_COMMITTEE ? "村委" : "村民");
	if (is_clerk(p)) {
		html_raw(B, "<td><form class=inline method=post "
			 "action=/household/phone/remove>");
		page_csrf(p);
		html_raw(B, "<input type=hidden name=id value=\"");
		html_text(B, m->household);
		html_raw(B, "\"><input type=hidden name=phone value=\"");
		html_text(B, m->phone);
		html_raw(B, "\"><button>移除</button></form></td>");
	}
	html_raw(B, "</tr>");
	return 0;
}

/* Household ID (not removed) into H and its balance into BAL; a 404
 * page and *FOUND false when there is none. */
static int household_find(struct page_ctx *p, const char *id,
			  struct store_household *h, struct store_balance *bal,
			  bool *found)
{
	*found = id && !store_household_get(p->st, id, h) && !h->deleted;
	if (!*found) {
		page_error(p, 404, "没有这一户。");
		return 0;
	}
	return store_household_balance(p->st, id, bal);
}

static int page_household(struct page_ctx *p, const char *id)
{
	struct store_household h;
	struct store_balance bal;
	bool found;
	int rc;

	rc = household_find(p, id, &h, &bal, &found);
	if (rc || !found)
		return rc;
	page_begin(p, "农户");
	html_raw(B, "<p><b>");
	html_text(B, h.id);
	html_raw(B, " ");
	html_text(B, h.name);
	html_rawf(B, "</b>: 积分 %lld, 公示中 %lld, 待审 %lld, 全村第 %d 名"
		  "</p>", bal.final_points, bal.publicity_points,
		  bal.pending_points, bal.rank);
	html_raw(B, "<p><a href=\"/statement?id=");
	html_text(B, h.id);
	html_raw(B, "\">积分证明(打印)</a> · <a href=\"/records?household=");
	html_text(B, h.id);
	html_raw(B, "\">积分记录</a></p><h2>手机</h2><table id=phones><tr>"
		 "<th>手机</th><th>姓名</th><th>角色</th>");
	html_raw(B, is_clerk(p) ? "<th></th></tr>" : "</tr>");
	rc = store_household_members(p->st, id, member_row, p);
	if (rc)
		return rc;
	html_raw(B, "</table>");
	if (is_clerk(p)) {
		html_raw(B, "<form method=post action=/household/phone>"
			 "<fieldset><legend>添加或修改手机</legend>");
		page_csrf(p);
		html_raw(B, "<input type=hidden name=id value=\"");
		html_text(B, h.id);
		html_raw(B, "\"><label>手机 <input name=phone required></label> "
			 "<label>姓名 <input name=name></label> <label>角色 "
			 "<select name=role><option value=villager>村民</option>"
			 "<option value=committee>村委</option></select>"
			 "</label> <button>保存</button></fieldset></form>"
			 "<form method=post action=/household/remove>"
			 "<fieldset><legend>移除这一户</legend>");
		page_csrf(p);
		html_raw(B, "<input type=hidden name=id value=\"");
		html_text(B, h.id);
		html_raw(B, "\"><label><input type=checkbox name=confirm "
			 "value=yes required> 确认移除(记录保留)</label> "
			 "<button>移除</button></fieldset></form>");
	}
	page_end(p);
	return 0;
}

static int act_phone(struct page_ctx *p)
{
	const char *id = f(p, "id"), *role = f(p, "role");
	char num[PHONE_MAX], detail[200];
	bool created, done;
	int rc;

	if (!need_clerk(p))
		return 0;
	if (phone_normalize(f(p, "phone"), num, sizeof(num)) ||
	    !phone_is_e164(num) || phone_is_service(num)) {
		page_error(p, 400, "手机号不对。");
		return 0;
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = store_phone_bind(p->st, num, id, *f(p, "name") ? f(p, "name") :
			      NULL, strcmp(role, "committee") ?
			      STORE_VILLAGER : STORE_COMMITTEE, NULL, p->now,
			      &created);
	snprintf(detail, sizeof(detail), "%s %s %s", id, num, role);
	rc = change_end(p, rc, "没有这一户。", "phone.bind", detail, &done);
	if (rc || !done)
		return rc;
	return page_household(p, id);
}

static int act_phone_remove(struct page_ctx *p)
{
	const char *id = f(p, "id");
	char num[PHONE_MAX], detail[200];
	bool done;
	int rc;

	if (!need_clerk(p))
		return 0;
	if (phone_normalize(f(p, "phone"), num, sizeof(num))) {
		page_error(p, 400, "手机号不对。");
		return 0;
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = store_phone_unbind(p->st, num, id);
	snprintf(detail, sizeof(detail), "%s %s", id, num);
	rc = change_end(p, rc, "这一户没有这个手机。", "phone.remove", detail,
			&done);
	if (rc || !done)
		return rc;
	return page_household(p, id);
}

static int act_household_remove(struct page_ctx *p)
{
	const char *id = f(p, "id");
	bool done;
	int rc;

	if (!need_clerk(p))
		return 0;
	if (strcmp(f(p, "confirm"), "yes")) {
		page_error(p, 400, "请勾选确认。");
		return 0;
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = store_household_delete(p->st, id, p->now);
	rc = change_end(p, rc, "没有这一户。", "household.remove", id, &done);
	if (rc || !done)
		return rc;
	page_begin(p, "农户");
	page_note(p, true, "已移除,积分记录保留在审计日志中。");
	html_raw(B, "<p><a href=/households>返回农户列表</a></p>");
	page_end(p);
	return 0;
}

/* ---- import ---------------------------------------------------------------- */

static void import_form(struct page_ctx *p)
{
	html_raw(B, "<form method=post action=/import "
		 "enctype=multipart/form-data>");
	page_csrf(p);
	html_raw(B, "<p>表头: <code>household,name,phone,role,pin</code>"
		 " (UTF-8 或 GBK)</p><input type=file name=csv id=csv "
		 "accept=\".csv,text/csv\" required> <button id=preview>预览"
		 "</button></form>");
}

static int page_import(struct page_ctx *p)
{
	if (!need_clerk(p))
		return 0;
	page_begin(p, "导入农户");
	import_form(p);
	page_end(p);
	return 0;
}

struct preview {
	struct page_ctx *p;
	int shown;
	long more;
	struct html_buf rej;
};

static void pv_rejected(int line, const char *why, void *data)
{
	struct preview *pv = data;

	html_rawf(&pv->rej, "<li>第 %d 行: ", line);
	html_text(&pv->rej, why);
	html_raw(&pv->rej, "</li>");
}

static void pv_stored(int line, const char *hh, const char *name,
		      const char *phone, const char *role, bool created,
		      void *data)
{
	struct preview *pv = data;
	struct page_ctx *p = pv->p;

	if (pv->shown >= IMPORT_SHOW) {
		pv->more++;
		return;
	}
	pv->shown++;
	html_raw(B, "<tr>");
	cells(p, "nhhhhh", (long long)line, hh, name, phone,
	      !strcasecmp(role, "committee") || !strcmp(role, "村委") ||
	      !strcmp(role, "委员") ? "村委" : "村民", created ? "新增" : "更新");
	html_raw(B, "</tr>");
}

void page_import_key(const struct store_web_session *s, char *key,
		     size_t len)
{
	snprintf(key, len, "web.import.%.16s", s->csrf);
}

/* Preview (APPLY false: rolled back) or import the CSV DATA (UTF-8;
 * ENC names the encoding it was converted from, NULL if none). */
static int run_import(struct page_ctx *p, const char *data,
		      const char *enc, bool apply)
{
	struct hhimport_counts ic;
	struct preview pv;
	char key[64], detail[96];
	int rc, line = 1;

	memset(&pv, 0, sizeof(pv));
	pv.p = p;
	page_import_key(p->sess, key, sizeof(key));
	rc = store_begin(p->st);
	if (rc)
		return rc;
	page_begin(p, apply ? "导入完成" : "导入预览");
	if (enc)
		html_rawf(B, "<p id=encoding>文件按 %s (GBK) 编码读取。</p>",
			  enc);
	html_raw(B, "<table id=preview-rows><tr><th>行</th><th>户号</th>"
		 "<th>户主</th><th>手机</th><th>角色</th><th></th></tr>");
	{
		struct hhimport_ops ops = { pv_rejected, pv_stored };

		rc = hhimport_csv(p->st, data, strlen(data), p->now, &ops, &pv,
				  &ic, &line);
	}
	if (rc == -EBADMSG) {
		store_rollback(p->st);
		html_free(&pv.rej);
		html_free(B);
		p->resp->status = 400;
		page_begin(p, "导入预览");
		page_note(p, false, "表头应为 household,name,phone,role,pin");
		import_form(p);
		page_end(p);
		return 0;
	}
	if (!rc && apply) {
		snprintf(detail, sizeof(detail), "added %ld, updated %ld, "
			 "rejected %ld", ic.added, ic.updated, ic.rejected);
		rc = store_audit(p->st, p->now, p->actor, "household.import",
				 detail);
		if (!rc)
			rc = store_state_set(p->st, key, NULL, p->now);
		if (!rc)
			rc = store_commit(p->st);
		else
			store_rollback(p->st);
	} else {
		/* a preview writes nothing but the upload kept for confirm */
		store_rollback(p->st);
		if (!rc)
			rc = store_state_set(p->st, key, data, p->now);
	}
	if (rc) {
		html_free(&pv.rej);
		return rc;
	}
	html_raw(B, "</table>");
	if (pv.more)
		html_rawf(B, "<p class=small>其余 %ld 行未列出。</p>", pv.more);
	html_rawf(B, "<p id=counts>%s %ld 户/手机, 更新 %ld, 拒绝 %ld</p>",
		  apply ? "已新增" : "将新增", ic.added, ic.updated,
		  ic.rejected);
	if (pv.rej.len) {
		html_raw(B, "<ul id=rejected>");
		html_raw(B, pv.rej.p);
		html_raw(B, "</ul>");
	}
	html_free(&pv.rej);
	if (!apply) {
		html_raw(B, "<form method=post action=/import/confirm>");
		page_csrf(p);
		html_raw(B, "<button id=confirm-import>确认导入</button> "
			 "<a href=/import>重新选择文件</a></form>");
	} else {
		html_raw(B, "<p><a href=/households>查看农户</a></p>");
	}
	page_end(p);
	return 0;
}

/*
 * The uploaded file goes through hhimport_to_utf8 like `jifenctl import`:
 * UTF-8 (a BOM dropped) stays, GB18030/GBK (Excel on Chinese Windows) is
 * converted, anything else is refused naming the line.
 */
static int act_import(struct page_ctx *p)
{
	const char *csv, *enc = "UTF-8";
	char *data, note[160];
	size_t len = 0;
	bool bom = false;
	int rc, line = 0;

	if (!need_clerk(p))
		return 0;
	csv = form_file(p->req->form, "csv", &len);
	if (!csv || !len || len > IMPORT_MAX) {
		page_error(p, 400, "请选择一个不超过256KB的CSV文件。");
		return 0;
	}
	data = malloc(len + 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, csv, len);
	rc = hhimport_to_utf8(&data, &len, &enc, &line, &bom);
	if (rc == -EILSEQ) {
		free(data);
		snprintf(note, sizeof(note), bom ? "第 %d 行不是有效的UTF-8"
			 "(文件以UTF-8 BOM开头)。" : "第 %d 行既不是UTF-8也不是"
			 "GB18030/GBK编码,请另存为UTF-8 CSV。", line);
		p->resp->status = 400;
		page_begin(p, "导入预览");
		page_note(p, false, note);
		import_form(p);
		page_end(p);
		return 0;
	}
	if (rc) {
		free(data);
		return rc;
	}
	data[len] = '\0';	/* converted or not, room for the NUL */
	rc = run_import(p, data, strcmp(enc, "UTF-8") ? enc : NULL, false);
	free(data);
	return rc;
}

static int act_import_confirm(struct page_ctx *p)
{
	char key[64], *data;
	int rc;

	if (!need_clerk(p))
		return 0;
	page_import_key(p->sess, key, sizeof(key));
	data = malloc(IMPORT_MAX + 1);
	if (!data)
		return -ENOMEM;
	rc = store_state_get(p->st, key, data, IMPORT_MAX + 1);
	if (rc == -ENOENT) {
		free(data);
		page_error(p, 409, "没有待导入的文件,请重新上传。");
		return 0;
	}
	if (!rc)
		rc = run_import(p, data, NULL, true);
	free(data);
	return rc;
}

/* ---- records ---------------------------------------------------------------- */

struct rec_list {
	struct page_ctx *p;
	int n;
};

static void review_forms(struct page_ctx *p, long long no)
{
	bool pin = p->cfg->committee.require_pin && !is_clerk(p);

	html_raw(B, "<form class=inline method=post action=/records/review>");
	page_csrf(p);
	html_rawf(B, "<input type=hidden name=no value=%lld>"
		  "<input type=hidden name=decision value=approve>", no);
	if (pin)
		html_raw(B, "<input name=pin size=6 placeholder=PIN "
			 "inputmode=numeric> ");
	html_rawf(B, "<button id=approve-%lld>确认</button></form> "
		  "<form class=inline method=post action=/records/review>",
		  no);
	page_csrf(p);
	html_rawf(B, "<input type=hidden name=no value=%lld>"
		  "<input type=hidden name=decision value=reject>"
		  "<input name=reason size=8 placeholder=驳回理由 required> "
		  "<button id=reject-%lld>驳回</button></form>", no, no);
}

static int rec_row(const struct store_record *r, void *data)
{
	struct rec_list *l = data;
	struct page_ctx *p = l->p;

	l->n++;
	html_rawf(B, "<tr id=rec-%lld>", r->no);
	cells(p, "nhph", r->no, r->household, r->points, r->reason);
	html_raw(B, "<td>");
	html_text(B, status_zh(r->status));
	aside(p, r->reviewed_by);
	html_raw(B, "</td>");
	cells(p, "t", r->created_at);
	html_raw(B, "<td>");
	if (r->status == STORE_PENDING)
		review_forms(p, r->no);
	html_raw(B, "</td></tr>");
	return 0;
}

static int page_records(struct page_ctx *p, const char *note, bool ok)
{
	struct store_record_filter flt = { NULL, -1, true, LIST_ROWS };
	struct rec_list l = { p, 0 };
	enum store_rstatus s;
	const char *st = q(p, "status");
	int rc;

	flt.household = q(p, "household");
	if (flt.household && !*flt.household)
		flt.household = NULL;
	if (st && !store_rstatus_parse(st, &s))
		flt.status = (int)s;
	page_begin(p, "积分记录");
	if (note)
		page_note(p, ok, note);
	html_raw(B, "<form method=get action=/records>户号 <input name=household"
		 " size=8 value=\"");
	html_text(B, flt.household ? flt.household : "");
	html_raw(B, "\"> <select name=status><option value=\"\">全部</option>"
		 "<option value=pending>待审</option><option value=approved>"
		 "公示中</option><option value=final>已生效</option>"
		 "<option value=rejected>已驳回</option></select> "
		 "<button>筛选</button></form>");
	if (is_clerk(p)) {
		html_raw(B, "<form method=post action=/records/add><fieldset>"
			 "<legend>新增记录</legend>");
		page_csrf(p);
		html_raw(B, "<label>户号 <input name=household id=rec-household "
			 "size=8 required></label> <label>分值 <input "
			 "name=points id=rec-points size=5 required></label> "
			 "<label>事由 <input name=reason id=rec-reason "
			 "required></label> <label><input type=checkbox "
			 "name=final value=yes> 直接生效(期初余额)</label> "
			 "<button id=rec-add>新增</button></fieldset></form>");
	}
	html_raw(B, "<table id=records><tr><th>编号</th><th>户号</th><th>分值"
		 "</th><th>事由</th><th>状态</th><th>时间</th><th>审核</th>"
		 "</tr>");
	rc = store_records_list(p->st, &flt, rec_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table>");
	if (l.n >= LIST_ROWS)
		html_rawf(B, "<p class=small>只列出最新 %d 条,请用筛选。</p>",
			  LIST_ROWS);
	page_end(p);
	return 0;
}

static int act_record_add(struct page_ctx *p)
{
	struct store_record_new r;
	long long pts, no = 0;
	char msg[80];
	int rc;

	if (!need_clerk(p))
		return 0;
	memset(&r, 0, sizeof(r));
	if (!parse_ll(f(p, "points"), -100000, 100000, &pts) ||
	    !*f(p, "reason") || strlen(f(p, "reason")) >= STORE_TEXT_MAX) {
		p->resp->status = 400;
		return page_records(p, "分值应为整数,事由不能为空。", false);
	}
	r.household = f(p, "household");
	r.points = pts;
	r.reason = f(p, "reason");
	r.status = strcmp(f(p, "final"), "yes") ? STORE_PENDING : STORE_FINAL;
	r.by = p->actor;
	r.origin = "console";
	r.now = p->now;
	rc = store_record_add(p->st, &r, &no, NULL);
	if (rc == -ENOENT) {
		p->resp->status = 404;
		return page_records(p, "没有这一户。", false);
	}
	if (rc)
		return rc;
	snprintf(msg, sizeof(msg), "已新增记录 %lld%s。", no,
		 r.status == STORE_PENDING ? ",等待村委审核" : "");
	return page_records(p, msg, true);
}

static int act_review(struct page_ctx *p)
{
	struct handler_ctx hc = { .st = p->st, .cfg = p->cfg, .now = p->now };
	struct handler_review_result res;
	enum store_decision d;
	const char *by, *dec = f(p, "decision"), *text;
	char detail[STORE_TEXT_MAX + 40], msg[120];
	long long no;
	int rc;

	if (!parse_ll(f(p, "no"), 1, 1LL << 53, &no) ||
	    (strcmp(dec, "approve") && strcmp(dec, "reject"))) {
		p->resp->status = 400;
		return page_records(p, "请求不对。", false);
	}
	d = strcmp(dec, "approve") ? STORE_REJECT : STORE_APPROVE;
	if (d == STORE_REJECT && !*f(p, "reason")) {
		p->resp->status = 400;
		return page_records(p, "驳回需要理由。", false);
	}
	by = is_clerk(p) ? HANDLER_BY_CONSOLE : p->sess->who;
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = handler_review(&hc, by, no, d, f(p, "reason"), f(p, "pin"), &res);
	if (!rc && res.result == REPLY_REVIEW_DONE) {
		snprintf(detail, sizeof(detail), "%lld %s %s", no, dec,
			 f(p, "reason"));
		rc = store_audit(p->st, p->now, p->actor, "web.review",
				 detail);
	}
	rc = tx_end(p, rc);
	if (rc)
		return rc;
	switch (res.result) {
	case REPLY_REVIEW_DONE:
		text = d == STORE_APPROVE ? "已确认,进入公示。" : "已驳回。";
		if (res.notified > 0)
			p->wake = true;
		break;
	case REPLY_REVIEW_ALREADY:
		text = "已经审核过了。";
		break;
	case REPLY_REVIEW_CONFLICT:
		text = "这条记录已有别的审核结果。";
		p->resp->status = 409;
		break;
	case REPLY_REVIEW_OWN_HOUSEHOLD:
		text = "这是您自家的记录,须由其他村委成员审核。";
		p->resp->status = 403;
		break;
	case REPLY_REVIEW_PIN_NEEDED:
	case REPLY_REVIEW_PIN_WRONG:
		text = "确认需要正确的PIN。";
		p->resp->status = 403;
		break;
	default:
		text = "没有这条记录,或您无权审核。";
		p->resp->status = 404;
		break;
	}
	snprintf(msg, sizeof(msg), "记录 %lld: %s", no, text);
	return page_records(p, msg, p->resp->status < 400);
}

/* ---- 公示 ------------------------------------------------------------------- */

#define PUB_ROWS	100	/* 公示 rows per printed page */

struct pub_list {
	struct page_ctx *p;
	long n, skip;
};

static int pub_row(const struct store_record *r, void *data)
{
	struct pub_list *l = data;
	struct page_ctx *p = l->p;
	char name[STORE_NAME_MAX] = "";
	struct store_household h;

	l->n++;
	if (l->n <= l->skip || l->n > l->skip + PUB_ROWS)
		return 0;
	if (!store_household_get(p->st, r->household, &h))
		snprintf(name, sizeof(name), "%s", h.name);
	html_raw(B, "<tr>");
	cells(p, "n", r->no);
	html_raw(B, "<td>");
	html_textf(B, "%s %s", r->household, name);
	html_raw(B, "</td>");
	cells(p, "phd", r->points, r->reason, r->notice_until);
	html_raw(B, "</tr>");
	return 0;
}

static int page_publicity(struct page_ctx *p)
{
	struct store_record_filter flt = { NULL, STORE_APPROVED, false, 0 };
	struct pub_list l = { p, 0, 0 };
	long long pg = 1;
	char today[16];
	int rc;

	if (q(p, "page") && !parse_ll(q(p, "page"), 1, 100000, &pg))
		pg = 1;
	l.skip = (long)(pg - 1) * PUB_ROWS;
	local(p->now, DAY, today, sizeof(today));
	page_begin(p, "积分公示");
	html_raw(B, "<p>");
	html_text(B, village_name(p));
	html_rawf(B, "村民积分公示 · %s · 公示期 %d 天。如有异议,请在公示期内"
		  "发短信「异议 编号 理由」或向村委会反映。</p>", today,
		  p->cfg->village.publicity_days);
	html_raw(B, "<table id=publicity><tr><th>编号</th><th>农户</th>"
		 "<th>分值</th><th>事由</th><th>公示截止</th></tr>");
	rc = store_records_list(p->st, &flt, pub_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table>");
	if (!l.n)
		html_raw(B, "<p>目前没有公示中的记录。</p>");
	if (l.n > PUB_ROWS)
		html_rawf(B, "<p>共 %ld 条, 第 %lld/%ld 页</p>", l.n, pg,
			  (l.n + PUB_ROWS - 1) / PUB_ROWS);
	html_raw(B, "<p>村民委员会(盖章)</p><p class=\"noprint small\">"
		 "用浏览器的“打印”即可打印A4公示单。");
	if (l.skip + PUB_ROWS < l.n)
		html_rawf(B, " <a href=\"/publicity?page=%lld\">下一页</a>",
			  pg + 1);
	html_raw(B, "</p>");
	page_end(p);
	return 0;
}

/* ---- matters ----------------------------------------------------------------- */

/*
 * The matters page reads the matters table through store_matters_list
 * and acts through handler_matter(), as `jifenctl matter` does: the
 * state lives in the store, the villager is told by SMS, the store
 * writes the audit row naming who (the session's actor).
 */

/* The newest LIST_ROWS matters (store_matters_list walks oldest first). */
struct mring {
	struct store_matter *m;
	long n;
};

static int mring_cb(const struct store_matter *m, void *data)
{
	struct mring *r = data;

	r->m[r->n % LIST_ROWS] = *m;
	r->n++;
	return 0;
}

static const char *matter_state_zh(enum store_matter_state s)
{
	switch (s) {
	case STORE_MATTER_OPEN: return "办理中";
	case STORE_MATTER_ANSWERED: return "已回复";
	case STORE_MATTER_CLOSED: return "已办结";
	}
	return "?";
}

static void matter_row(struct page_ctx *p, const struct store_matter *m)
{
	html_rawf(B, "<tr id=m%lld><td>M%lld</td><td>", m->no, m->no);
	html_textf(B, "%s %s", m->household, m->phone);
	html_raw(B, "</td><td>");
	html_text(B, m->text);
	if (m->answer[0]) {
		html_raw(B, "<br><span class=small>回复: ");
		html_text(B, m->answer);
		html_raw(B, "</span>");
	}
	html_raw(B, "</td>");
	cells(p, "t", m->created_at);
	html_rawf(B, "<td class=state>%s</td><td>",
		  matter_state_zh(m->state));
	if (m->state != STORE_MATTER_CLOSED) {
		html_raw(B, "<form class=inline method=post "
			 "action=/matters/answer>");
		page_csrf(p);
		html_rawf(B, "<input type=hidden name=no value=%lld>"
			  "<input name=text size=12 required placeholder=回复>"
			  " <button>回复</button></form> <form class=inline "
			  "method=post action=/matters/close>", m->no);
		page_csrf(p);
		html_rawf(B, "<input type=hidden name=no value=%lld>"
			  "<button>办结</button></form>", m->no);
	}
	html_raw(B, "</td></tr>");
}

static int page_matters(struct page_ctx *p, const char *note, bool ok)
{
	struct mring r = { NULL, 0 };
	bool open_only = !(q(p, "all") && !strcmp(q(p, "all"), "1"));
	long i, first;
	int rc;

	r.m = malloc(LIST_ROWS * sizeof(*r.m));
	if (!r.m)
		return -ENOMEM;
	rc = store_matters_list(p->st, open_only, mring_cb, &r);
	if (rc) {
		free(r.m);
		return rc;
	}
	page_begin(p, "村民说事");
	if (note)
		page_note(p, ok, note);
	html_raw(B, open_only ? "<p>未办结的 · <a href=\"/matters?all=1\">"
		 "全部</a></p>" : "<p><a href=/matters>未办结的</a> · 全部</p>");
	html_raw(B, "<table id=matters><tr><th>编号</th><th>农户</th><th>内容"
		 "</th><th>时间</th><th>状态</th><th></th></tr>");
	first = r.n > LIST_ROWS ? r.n - LIST_ROWS : 0;
	for (i = r.n - 1; i >= first; i--)	/* newest first */
		matter_row(p, &r.m[i % LIST_ROWS]);
	html_raw(B, "</table>");
	if (!r.n)
		html_raw(B, "<p>没有说事。</p>");
	else if (first)
		html_rawf(B, "<p class=small>较早的 %ld 件未列出。</p>", first);
	free(r.m);
	page_end(p);
	return 0;
}

/* Queue TEXT to TO as an SMS from the console (loop guard applied). */
static int queue_sms(struct page_ctx *p, const char *to, const char *text,
		     enum store_out_kind kind, bool *queued)
{
	enum outq_verdict v;
	int rc;

	*queued = false;
	rc = outq_allowed(p->st, to, p->now, &v);
	if (rc || v != OUTQ_ALLOWED)
		return rc;
	rc = outq_add(p->st, p->cfg, to, text, kind, 0, p->now, NULL);
	*queued = rc == 0;
	if (*queued)
		p->wake = true;
	return rc;
}

static int act_matter(struct page_ctx *p, bool close)
{
	struct handler_ctx hc = { .st = p->st, .cfg = p->cfg, .now = p->now };
	const char *text = f(p, "text");
	long long no;
	bool found = false;
	int rc;

	if (!parse_ll(f(p, "no"), 1, 1LL << 53, &no)) {
		p->resp->status = 404;
		return page_matters(p, "没有这件事。", false);
	}
	if (!close && (!*text || strlen(text) > 300)) {
		p->resp->status = 400;
		return page_matters(p, "回复不能为空,不超过300字节。", false);
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = handler_matter(&hc, p->actor, no, close ? NULL : text, &found);
	rc = tx_end(p, rc);
	if (rc)
		return rc;
	if (!found) {
		struct store_matter *m = malloc(sizeof(*m));

		if (!m)
			return -ENOMEM;
		rc = store_matter_get(p->st, no, m);
		free(m);
		if (rc && rc != -ENOENT)
			return rc;
		p->resp->status = rc ? 404 : 409;
		return page_matters(p, rc ? "没有这件事。" : "这件事已办结。",
				    false);
	}
	p->wake = true;
	return page_matters(p, close ? "已办结,已短信告知村民。" :
			    "已回复,短信已排队发送。", true);
}

/* ---- messages ---------------------------------------------------------------- */

/* Chinese for the outbox's kinds and states (unknown words as they are). */
static const char *zh_word(const char *w)
{
	static const char *const map[][2] = {
		{ "reply", "回复" }, { "notify", "通知" }, { "alert", "提醒" },
		{ "queued", "排队中" }, { "sending", "发送中" },
		{ "sent", "已发出" }, { "failed", "失败" },
		{ "cancelled", "已取消" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(w, map[i][0]))
			return map[i][1];
	return w;
}

static int out_row(const struct store_web_out *m, void *data)
{
	struct rec_list *l = data;
	struct page_ctx *p = l->p;

	l->n++;
	html_raw(B, "<tr>");
	cells(p, "ihh", m->id, m->to, m->text);
	html_raw(B, "<td>");
	html_textf(B, "%s %s", zh_word(m->kind), zh_word(m->state));
	html_rawf(B, "</td><td>%d/%d 发出, %d 失败, %d 送达", m->parts_sent,
		  m->nparts, m->parts_failed, m->delivered);
	aside(p, m->last_error);
	html_raw(B, "</td>");
	cells(p, "t", m->created_at);
	html_raw(B, "<td>");
	if (!strcmp(m->state, "failed") && is_clerk(p)) {
		html_raw(B, "<form class=inline method=post "
			 "action=/messages/retry>");
		page_csrf(p);
		html_rawf(B, "<input type=hidden name=id value=%lld>"
			  "<button>重发</button></form>", m->id);
	}
	html_raw(B, "</td></tr>");
	return 0;
}

static int in_row(long long id, const char *sender, const char *text,
		  int nparts, bool incomplete, int64_t at, void *data)
{
	struct rec_list *l = data;
	struct page_ctx *p = l->p;

	l->n++;
	html_raw(B, "<tr>");
	cells(p, "ihh", id, sender, text);
	html_rawf(B, "<td>%d%s</td>", nparts, incomplete ? " 不完整" : "");
	cells(p, "t", at);
	html_raw(B, "</tr>");
	return 0;
}

static int page_messages(struct page_ctx *p, const char *note, bool ok)
{
	struct rec_list l = { p, 0 };
	bool failed = q(p, "failed") && !strcmp(q(p, "failed"), "1");
	int rc;

	page_begin(p, "短信");
	if (note)
		page_note(p, ok, note);
	if (is_clerk(p)) {
		html_raw(B, "<form method=post action=/messages/send><fieldset>"
			 "<legend>发一条短信</legend>");
		page_csrf(p);
		html_raw(B, "<label>手机 <input name=to required></label> "
			 "<label>内容 <input name=text required size=30>"
			 "</label> <button>发送</button></fieldset></form>"
			 "<form method=post action=/notice><fieldset><legend>"
			 "通知全村(先显示费用)</legend>");
		page_csrf(p);
		html_raw(B, "<textarea name=text id=notice-text rows=2 cols=30 "
			 "required></textarea> <button id=notice-preview>"
			 "计算费用</button></fieldset></form>");
	}
	html_rawf(B, "<h2>发出</h2><p><a href=/messages>全部</a> · "
		  "<a href=\"/messages?failed=1\">只看失败</a></p>"
		  "<table id=outbox><tr><th>#</th><th>发给</th><th>内容</th>"
		  "<th>类别</th><th>分段状态</th><th>时间</th><th></th></tr>");
	rc = store_web_outbox(p->st, LIST_ROWS / 2, failed, out_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table><h2>收到</h2><table id=inbox><tr><th>#</th>"
		 "<th>来自</th><th>内容</th><th>段数</th><th>时间</th></tr>");
	rc = store_web_inbox(p->st, LIST_ROWS / 2, in_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table>");
	page_end(p);
	return 0;
}

static int act_retry(struct page_ctx *p)
{
	long long id;
	char detail[32];
	int rc;

	if (!need_clerk(p))
		return 0;
	if (!parse_ll(f(p, "id"), 1, 1LL << 53, &id)) {
		p->resp->status = 400;
		return page_messages(p, "请求不对。", false);
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = store_web_outbox_retry(p->st, id, p->now);
	if (rc == -ENOENT) {
		store_rollback(p->st);
		p->resp->status = 404;
		return page_messages(p, "没有这条失败的短信。", false);
	}
	snprintf(detail, sizeof(detail), "%lld", id);
	rc = audit_end(p, rc, "message.retry", detail);
	if (rc)
		return rc;
	p->wake = true;
	return page_messages(p, "已重新排队发送。", true);
}

static int act_send(struct page_ctx *p)
{
	char num[PHONE_MAX], detail[PHONE_MAX + 16];
	bool queued = false;
	int rc;

	if (!need_clerk(p))
		return 0;
	if (phone_normalize(f(p, "to"), num, sizeof(num)) ||
	    !phone_is_e164(num) || !*f(p, "text") ||
	    strlen(f(p, "text")) > 600) {
		p->resp->status = 400;
		return page_messages(p, "手机号或内容不对。", false);
	}
	rc = store_begin(p->st);
	if (rc)
		return rc;
	rc = queue_sms(p, num, f(p, "text"), STORE_OUT_ALERT, &queued);
	snprintf(detail, sizeof(detail), "to %s", num);
	rc = audit_end(p, rc, queued ? "message.send" : NULL, detail);
	if (rc)
		return rc;
	if (!queued)
		p->resp->status = 409;
	return page_messages(p, queued ? "已排队发送。" :
			     "不能发给这个号码(服务号、本机号或发送过多)。",
			     queued);
}

/*
 * A notice to every household: counted (the cost page) with
 * handler_notice_count and sent with handler_notice, the same code as
 * `jifenctl notice --all` and 通知 by SMS: one phone per household,
 * 退订, quiet hours, the loop guard and sms.broadcasts_per_day.
 */
static int act_notice(struct page_ctx *p, bool send)
{
	struct handler_ctx hc = { .st = p->st, .cfg = p->cfg, .now = p->now };
	const char *text = f(p, "text");
	long hh = 0, sms = 0, held = 0;
	char note[160];
	int rc;

	if (!need_clerk(p))
		return 0;
	if (!*text || strlen(text) >= STORE_TEXT_MAX) {
		p->resp->status = 400;
		return page_messages(p, "通知为空或太长。", false);
	}
	if (send) {
		rc = store_begin(p->st);
		if (rc)
			return rc;
		rc = handler_notice(&hc, p->actor, false, text, &hh, &sms,
				    &held);
		if (!rc) {	/* the console audits every change with who */
			snprintf(note, sizeof(note), "to %ld households, %ld "
				 "SMS", hh, sms);
			rc = store_audit(p->st, p->now, p->actor,
					 "notice.send", note);
		}
		if (rc == -EDQUOT) {
			store_rollback(p->st);
			p->resp->status = 409;
			snprintf(note, sizeof(note), "今天已发出 %d 条通知,达到"
				 "每日上限(sms.broadcasts_per_day),未发送。",
				 p->cfg->sms.broadcasts_per_day);
			return page_messages(p, note, false);
		}
		rc = tx_end(p, rc);
		if (rc)
			return rc;
		p->wake = true;
		snprintf(note, sizeof(note), "通知已排队: %ld 户, %ld 条短信"
			 "%s。", hh, sms, held ? ",夜间免打扰时段结束后发出" :
			 "");
		return page_messages(p, note, true);
	}
	rc = handler_notice_count(&hc, false, text, &hh, &sms);
	if (rc)
		return rc;
	page_begin(p, "通知全村");
	html_raw(B, "<blockquote id=notice-body>");
	html_text(B, text);
	html_rawf(B, "</blockquote><p id=notice-cost>将发给 <b>%ld</b> 户"
		  "(每户一部手机,已退订的不发),共 <b>%ld</b> 条短信,约 "
		  "<b>%ld.%ld</b> 元(按每条0.1元估算)。夜间免打扰时段的通知"
		  "会在早上发出;每天最多发 %d 条通知。</p>", hh, sms, sms / 10,
		  sms % 10, p->cfg->sms.broadcasts_per_day);
	if (!hh) {
		html_raw(B, "<p class=err>没有可发送的农户。</p>");
		page_end(p);
		return 0;
	}
	html_raw(B, "<form method=post action=/notice/send>");
	page_csrf(p);
	html_raw(B, "<input type=hidden name=text value=\"");
	html_text(B, text);
	html_raw(B, "\"><button id=notice-send>确认发送</button> "
		 "<a href=/messages>取消</a></form>");
	page_end(p);
	return 0;
}

/* ---- statement (积分证明) ------------------------------------------------------- */

static int stmt_row(const struct store_record *r, void *data)
{
	struct rec_list *l = data;
	struct page_ctx *p = l->p;

	l->n++;
	html_raw(B, "<tr>");
	cells(p, "dphh", r->created_at, r->points, r->reason,
	      status_zh(r->status));
	html_raw(B, "</tr>");
	return 0;
}

static int page_statement(struct page_ctx *p, const char *id)
{
	struct store_record_filter flt = { NULL, -1, true, 100 };
	struct rec_list l = { p, 0 };
	struct store_household h;
	struct store_balance bal;
	struct loan_policy pol;
	struct loan_quote lq;
	char today[16];
	bool found;
	long score;
	int rc;

	rc = household_find(p, id, &h, &bal, &found);
	if (rc || !found)
		return rc;
	handler_loan_policy(p->cfg, &pol);
	score = (long)bal.final_points;
	if (p->cfg->loan.score == CONFIG_SCORE_APPROVED)
		score += (long)bal.publicity_points;
	if (loan_quote(&pol, score, 0, 0, &lq))
		memset(&lq, 0, sizeof(lq));
	local(p->now, DAY, today, sizeof(today));
	page_begin(p, "积分证明");
	html_raw(B, "<p id=statement>兹证明 <b>");
	html_text(B, h.name);
	html_raw(B, "</b> 户(户号 ");
	html_text(B, h.id);
	html_raw(B, ")为");
	html_text(B, village_name(p));
	html_rawf(B, "村民。截至 %s,该户有效积分 <b>%lld</b> 分(另有公示中 "
		  "%lld 分,待审 %lld 分),全村 %d 户中排第 %d 名。</p>",
		  today, bal.final_points, bal.publicity_points,
		  bal.pending_points, bal.households, bal.rank);
	html_rawf(B, "<p>按本村积分贷政策,基准利率 %d.%02d%%,可优惠 %d.%02d "
		  "个百分点,执行利率约 %d.%02d%%(以银行审批为准)。</p>",
		  lq.base_centi / 100, lq.base_centi % 100,
		  lq.discount_centi / 100, lq.discount_centi % 100,
		  lq.rate_centi / 100, lq.rate_centi % 100);
	html_raw(B, "<h2>家庭成员手机</h2><table><tr><th>手机</th><th>姓名"
		 "</th><th>角色</th></tr>");
	{
		struct page_ctx pc = *p;

		pc.sess = NULL;	/* no remove buttons on a statement */
		rc = store_household_members(p->st, id, member_row, &pc);
	}
	if (rc)
		return rc;
	html_raw(B, "</table><h2>积分明细(最近100条)</h2><table id=history>"
		 "<tr><th>日期</th><th>分值</th><th>事由</th><th>状态</th>"
		 "</tr>");
	flt.household = id;
	rc = store_records_list(p->st, &flt, stmt_row, &l);
	if (rc)
		return rc;
	html_raw(B, "</table><p>村民委员会(盖章)&nbsp;&nbsp;&nbsp;&nbsp;"
		 "经办人:&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;日期:");
	html_text(B, today);
	html_raw(B, "</p>");
	page_end(p);
	return 0;
}

/* ---- routing ------------------------------------------------------------------- */

/* The pages and actions that take nothing but the request. */
static int get_household(struct page_ctx *p)
{
	return page_household(p, q(p, "id"));
}

static int get_records(struct page_ctx *p)
{
	return page_records(p, NULL, true);
}

static int post_matter_answer(struct page_ctx *p)
{
	return act_matter(p, false);
}

static int get_matters(struct page_ctx *p)
{
	return page_matters(p, NULL, true);
}

static int post_matter_close(struct page_ctx *p)
{
	return act_matter(p, true);
}

static int get_messages(struct page_ctx *p)
{
	return page_messages(p, NULL, true);
}

static int post_notice_preview(struct page_ctx *p)
{
	return act_notice(p, false);
}

static int get_statement(struct page_ctx *p)
{
	return page_statement(p, q(p, "id"));
}

static int post_notice_send(struct page_ctx *p)
{
	return act_notice(p, true);
}

struct route {
	const char *path;
	int (*fn)(struct page_ctx *p);
};

static const struct route gets[] = {
	{ "/", page_overview },
	{ "/households", page_households },
	{ "/household", get_household },
	{ "/import", page_import },
	{ "/records", get_records },
	{ "/publicity", page_publicity },
	{ "/matters", get_matters },
	{ "/messages", get_messages },
	{ "/statement", get_statement },
};

static const struct route posts[] = {
	{ "/household/phone", act_phone },
	{ "/household/phone/remove", act_phone_remove },
	{ "/household/remove", act_household_remove },
	{ "/import", act_import },
	{ "/import/confirm", act_import_confirm },
	{ "/records/add", act_record_add },
	{ "/records/review", act_review },
	{ "/matters/answer", post_matter_answer },
	{ "/matters/close", post_matter_close },
	{ "/messages/retry", act_retry },
	{ "/messages/send", act_send },
	{ "/notice", post_notice_preview },
	{ "/notice/send", post_notice_send },
};

bool pages_route(struct page_ctx *p)
{
	bool post = !strcmp(p->req->method, "POST");
	const struct route *r = post ? posts : gets;
	size_t i, n = post ? ARRAY_SIZE(posts) : ARRAY_SIZE(gets);
	int rc;

	for (i = 0; i < n && strcmp(p->req->path, r[i].path); i++)
		;
	if (i == n)
		return false;
	rc = r[i].fn(p);
	if (rc) {
		if (store_in_transaction(p->st))
			store_rollback(p->st);
		page_error(p, 503, "数据库暂时忙或出错,请稍后再试。");
	}
	return true;
}
