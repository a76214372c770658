/* SPDX-License-Identifier: MIT */
/*
 * console - routing, sessions, CSRF, login and the USSD callback.  See
 * console.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jifen-web/auth.h"
#include "jifen-web/console.h"
#include "jifen-web/pages.h"
#include "jifen-web/ussd.h"
#include "storage/phone.h"
#include "storage/web.h"

struct console {
	struct store *st;
	const struct config *cfg;
	struct ussd *ussd;
};

struct console *console_new(struct store *st, const struct config *cfg)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = st;
	c->cfg = cfg;
	c->ussd = ussd_new();
	if (!c->ussd) {
		free(c);
		return NULL;
	}
	return c;
}

void console_free(struct console *c)
{
	if (!c)
		return;
	ussd_free(c->ussd);
	free(c);
}

/* Constant-time equality of two tokens. */
static bool same_token(const char *a, const char *b)
{
	size_t la, lb, i;
	unsigned char d;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	d = la != lb || la == 0;
	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void text_resp(struct web_resp *r, int status, const char *text)
{
	r->status = status;
	r->ctype = "text/plain; charset=utf-8";
	html_raw(&r->body, text);
	html_raw(&r->body, "\n");
}

/* ---- USSD -------------------------------------------------------------- */

static void do_ussd(struct console *c, const struct web_req *req,
		    int64_t now, struct web_resp *resp, bool *wake)
{
	struct ussd_req u;
	char out[USSD_REPLY_MAX], bearer[CONFIG_TOKEN_SIZE + 8];
	const char *tok;
	bool queued = false;
	int rc;

	if (!c->cfg->ussd.enabled) {
		text_resp(resp, 404, "USSD is off (ussd.enabled)");
		return;
	}
	if (strcmp(req->method, "POST")) {
		text_resp(resp, 405, "POST only");
		return;
	}
	if (c->cfg->ussd.token[0]) {
		tok = form_get(req->query, "token");
		if (!tok)
			tok = form_get(req->form, "token");
		snprintf(bearer, sizeof(bearer), "Bearer %s",
			 c->cfg->ussd.token);
		if (!same_token(tok, c->cfg->ussd.token) &&
		    !same_token(req->auth, bearer)) {
			text_resp(resp, 403, "bad token");
			return;
		}
	}
	u.session_id = form_get(req->form, "sessionId");
	u.service_code = form_get(req->form, "serviceCode");
	u.phone = form_get(req->form, "phoneNumber");
	u.text = form_get(req->form, "text");
	if (!u.service_code)
		u.service_code = "";
	rc = ussd_answer(c->ussd, c->st, c->cfg, now, &u, out, sizeof(out),
			 &queued);
	if (rc == -EINVAL) {
		text_resp(resp, 400, "bad request");
		return;
	}
	if (rc) {
		text_resp(resp, 503, "END 系统忙,请稍后再拨。");
		return;
	}
	*wake = queued;
	resp->status = 200;
	resp->ctype = "text/plain; charset=utf-8";
	html_raw(&resp->body, out);
}

/* ---- login ------------------------------------------------------------- */

static void login_token(struct page_ctx *p, char *lt, size_t len)
{
	if (p->req->login_cookie && strlen(p->req->login_cookie) == 32 &&
	    strspn(p->req->login_cookie, "0123456789abcdef") == 32) {
		snprintf(lt, len, "%s", p->req->login_cookie);
		return;
	}
	if (auth_random_hex(lt, 16))
		lt[0] = '\0';
	snprintf(p->resp->cookie[1], sizeof(p->resp->cookie[1]),
		 CONSOLE_LOGIN_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict",
		 lt);
}

static void login_page(struct page_ctx *p, int status, const char *note,
		       const char *code_phone)
{
	char lt[40];

	login_token(p, lt, sizeof(lt));
	p->resp->status = status;
	page_begin(p, "登录");
	if (note)
		page_note(p, status < 400, note);
	if (code_phone) {
		html_raw(&p->resp->body, "<h2>村委成员登录 · 输入验证码</h2>"
			 "<form method=post action=/login/verify>");
		html_rawf(&p->resp->body, "<input type=hidden name=lt "
			  "value=\"%s\"><input type=hidden name=phone value=\"",
			  lt);
		html_text(&p->resp->body, code_phone);
		html_raw(&p->resp->body, "\"><label>短信验证码 <input name=code "
			 "id=code inputmode=numeric autocomplete=one-time-code "
			 "maxlength=6 required></label> <button id=verify>"
			 "登录</button></form>"
			 "<p><a href=/login>返回</a></p>");
		page_end(p);
		return;
	}
	html_rawf(&p->resp->body,
		  "<h2>文书登录</h2><form method=post action=/login/clerk>"
		  "<input type=hidden name=lt value=\"%s\">"
		  "<label>密码 <input type=password name=password id=password "
		  "required></label> <button id=clerk-login>登录</button></form>"
		  "<h2>村委成员登录</h2><form method=post action=/login/code>"
		  "<input type=hidden name=lt value=\"%s\">"
		  "<label>手机号 <input name=phone id=phone inputmode=tel "
		  "required></label> <button id=send-code>发送验证码</button>"
		  "</form><p class=small>验证码以短信发到本人手机,5分钟内有效。"
		  "</p>", lt, lt);
	page_end(p);
}

static bool login_csrf_ok(struct page_ctx *p)
{
	return same_token(form_get(p->req->form, "lt"), p->req->login_cookie);
}

static void set_session_cookie(struct page_ctx *p, const char *token)
{
	snprintf(p->resp->cookie[0], sizeof(p->resp->cookie[0]),
		 CONSOLE_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=%d", token, AUTH_SESSION_TTL);
	p->resp->status = 303;
	snprintf(p->resp->location, sizeof(p->resp->location), "/");
}

/* Too many failed logins from this client: the 429 page, *LIMITED. */
static int login_limited(struct page_ctx *p, bool *limited)
{
	int rc = auth_limited(p->st, p->req->client, p->now, limited);

	if (!rc && *limited)
		login_page(p, 429, "登录失败次数过多,请15分钟后再试。", NULL);
	return rc;
}

/* A failed login as WHO: counted against the client, audited. */
static int login_failed(struct page_ctx *p, const char *who)
{
	int rc = store_web_login_note(p->st, p->req->client, p->now);

	if (!rc)
		rc = store_audit(p->st, p->now, who, "web.login.fail",
				 p->req->client);
	return rc;
}

/* A session for WHO with ROLE, its cookie, and the way to the overview. */
static int login_done(struct page_ctx *p, const char *who,
		      enum store_web_role role)
{
	struct store_web_session s;
	char token[STORE_WEB_TOKEN_MAX];
	int rc;

	rc = auth_session_start(p->st, who, role, p->now, token, &s);
	if (!rc)
		set_session_cookie(p, token);
	return rc;
}

static int login_clerk(struct page_ctx *p)
{
	bool ok = false, limited;
	int rc;

	rc = login_limited(p, &limited);
	if (rc || limited)
		return rc;
	rc = store_web_clerk_check(p->st, form_get(p->req->form, "password"),
				   &ok);
	if (rc == -ENOENT) {
		login_page(p, 403, "尚未设置文书密码:请在网关上运行 "
			   "jifenctl web passwd。", NULL);
		return 0;
	}
	if (rc)
		return rc;
	if (!ok) {
		rc = login_failed(p, "web:clerk");
		if (!rc)
			login_page(p, 403, "密码不对。", NULL);
		return rc;
	}
	return login_done(p, "clerk", STORE_WEB_CLERK);
}

static int login_code(struct page_ctx *p)
{
	char num[PHONE_MAX];
	bool sent = false, limited;
	int rc;

	rc = login_limited(p, &limited);
	if (rc || limited)
		return rc;
	rc = auth_send_code(p->st, p->cfg, form_get(p->req->form, "phone"),
			    p->now, num, &sent);
	if (rc)
		return rc;
	if (!num[0]) {
		login_page(p, 400, "手机号不对。", NULL);
		return 0;
	}
	if (sent)
		p->wake = true;
	/* the same answer whether or not the phone is a member */
	login_page(p, 200, "如果这是村委成员的手机号,验证码已用短信发出。",
		   num);
	return 0;
}

static int login_verify(struct page_ctx *p)
{
	char num[PHONE_MAX];
	const char *phone = form_get(p->req->form, "phone");
	bool ok = false, limited;
	int rc;

	rc = login_limited(p, &limited);
	if (rc || limited)
		return rc;
	if (!phone || phone_normalize(phone, num, sizeof(num)) ||
	    !phone_is_e164(num)) {
		login_page(p, 400, "手机号不对。", NULL);
		return 0;
	}
	rc = store_web_code_check(p->st, num, form_get(p->req->form, "code"),
				  p->now, AUTH_CODE_TRIES, &ok);
	if (rc)
		return rc;
	if (!ok) {
		rc = login_failed(p, num);
		if (!rc)
			login_page(p, 403, "验证码不对或已过期(5分钟,最多试3次)。",
				   num);
		return rc;
	}
	return login_done(p, num, STORE_WEB_COMMITTEE);
}

static int logout(struct page_ctx *p)
{
	char key[64];
	int rc;

	/* an import previewed but not confirmed is dropped with the session */
	page_import_key(p->sess, key, sizeof(key));
	rc = store_state_set(p->st, key, NULL, p->now);
	if (!rc)
		rc = store_web_session_del(p->st, p->req->cookie);

	if (!rc)
		rc = store_audit(p->st, p->now, p->actor, "web.logout", "");
	snprintf(p->resp->cookie[0], sizeof(p->resp->cookie[0]),
		 CONSOLE_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=0");
	p->resp->status = 303;
	snprintf(p->resp->location, sizeof(p->resp->location), "/login");
	return rc;
}

/* ---- the request ------------------------------------------------------- */

static int route(struct console *c, struct page_ctx *p)
{
	const struct web_req *req = p->req;
	struct store_web_session s;
	bool post = !strcmp(req->method, "POST");
	int rc;

	if (!strcmp(req->path, "/login")) {
		login_page(p, 200, NULL, NULL);
		return 0;
	}
	if (post && !strncmp(req->path, "/login/", 7)) {
		if (!login_csrf_ok(p)) {
			login_page(p, 403, "表单已过期,请重新登录。", NULL);
			return 0;
		}
		if (!strcmp(req->path, "/login/clerk"))
			return login_clerk(p);
		if (!strcmp(req->path, "/login/code"))
			return login_code(p);
		if (!strcmp(req->path, "/login/verify"))
			return login_verify(p);
	}
	rc = store_web_session_get(c->st, req->cookie, p->now, &s);
	if (rc == -ENOENT) {
		/* nothing but the login page without a session */
		p->resp->status = 303;
		snprintf(p->resp->location, sizeof(p->resp->location),
			 "/login");
		return 0;
	}
	if (rc)
		return rc;
	p->sess = &s;
	snprintf(p->actor, sizeof(p->actor), "web:%s", s.who);
	if (post && !same_token(form_get(req->form, "csrf"), s.csrf)) {
		rc = store_audit(p->st, p->now, p->actor, "web.csrf",
				 req->path);
		page_error(p, 403, "表单校验失败(CSRF),请返回刷新后重试。");
		p->sess = NULL;
		return rc;
	}
	if (post && !strcmp(req->path, "/logout"))
		rc = logout(p);
	else if (!pages_route(p))
		page_error(p, 404, "没有这个页面。");
	p->sess = NULL;
	return rc;
}

void console_handle(struct console *c, const struct web_req *req,
		    int64_t now, struct web_resp *resp, bool *wake)
{
	struct page_ctx p;
	int rc;

	*wake = false;
	if (!strcmp(req->path, "/ussd")) {
		do_ussd(c, req, now, resp, wake);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.st = c->st;
	p.cfg = c->cfg;
	p.req = req;
	p.resp = resp;
	p.now = now;
	snprintf(p.actor, sizeof(p.actor), "web");
	rc = route(c, &p);
	if (rc) {
		html_free(&resp->body);
		memset(resp, 0, sizeof(*resp));
		p.sess = NULL;
		page_error(&p, 503, "数据库暂时忙或出错,请稍后再试。");
		return;
	}
	*wake = p.wake;
}
