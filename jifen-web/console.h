/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_CONSOLE_H
#define JIFEN_WEB_CONSOLE_H
/*
 * console - what jifen-web answers to one HTTP request, independent of
 * the HTTP library: routing, the session check, CSRF, login, the USSD
 * callback and the console's pages (SPEC sections 9 and 12).
 *
 * web.c turns a libmicrohttpd request into a struct web_req (the path
 * already checked, the query and the body parsed with form.c) and sends
 * back the struct web_resp this module fills.  Nothing but the login
 * page (and the USSD callback, which has its own token) is served to a
 * client without a session.
 */
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jifen-web/form.h"
#include "jifen-web/html.h"
#include "storage/store.h"

#define CONSOLE_COOKIE		"jifen_sid"	/* session token */
#define CONSOLE_LOGIN_COOKIE	"jifen_login"	/* CSRF before login */

struct web_req {
	const char *method;		/* "GET", "HEAD" or "POST" */
	const char *path;		/* checked: [A-Za-z0-9/_.-], no ".." */
	const char *client;		/* peer address, for the rate limit */
	const char *cookie;		/* CONSOLE_COOKIE value or NULL */
	const char *login_cookie;	/* CONSOLE_LOGIN_COOKIE value or NULL */
	const char *auth;		/* Authorization header or NULL */
	const struct form *query;	/* never NULL */
	const struct form *form;	/* POST body; never NULL */
};

struct web_resp {
	int status;			/* 200 when left 0 */
	const char *ctype;		/* NULL: text/html; charset=utf-8 */
	struct html_buf body;		/* freed by the caller */
	char location[256];		/* a redirect's target, "" if none */
	char cookie[2][200];		/* Set-Cookie values, "" if none */
};

struct console;

/* A console on the open store ST with configuration CFG (both borrowed
 * for the console's life).  NULL on ENOMEM. */
struct console *console_new(struct store *st, const struct config *cfg);
void console_free(struct console *c);

/*
 * Answer REQ at NOW into RESP (zeroed by the caller).  Never fails: a
 * store error becomes a 503 page.  *WAKE is set when the request queued
 * SMS for jifend (the caller calls wake_jifend()).
 */
void console_handle(struct console *c, const struct web_req *req,
		    int64_t now, struct web_resp *resp, bool *wake);

#endif
