/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_PAGES_H
#define JIFEN_WEB_PAGES_H
/*
 * pages - the console's pages and their actions (SPEC section 12),
 * called by console.c once the session and the CSRF token are checked.
 * Private to jifen-web.
 */
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "jifen-web/console.h"
#include "storage/store.h"
#include "storage/web.h"

struct page_ctx {
	struct store *st;
	const struct config *cfg;
	const struct web_req *req;
	struct web_resp *resp;
	const struct store_web_session *sess;	/* NULL on the login pages */
	int64_t now;
	bool wake;		/* set when SMS were queued for jifend */
	char actor[40];		/* audit "who": "web:clerk", "web:<phone>" */
};

/* Start a page: doctype, head with the inline stylesheet, and (with a
 * session) the navigation bar.  page_end closes it. */
void page_begin(struct page_ctx *p, const char *title);
void page_end(struct page_ctx *p);
/* A short notice at the top of a page: OK true for success. */
void page_note(struct page_ctx *p, bool ok, const char *text);
/* The hidden CSRF field of the session's forms. */
void page_csrf(struct page_ctx *p);
/* A whole error page with STATUS. */
void page_error(struct page_ctx *p, int status, const char *text);

/* The sync_state key holding the CSV a session previewed for import
 * (confirmed or dropped at logout). */
void page_import_key(const struct store_web_session *s, char *key,
		     size_t len);

/*
 * Route a request with a live session: GET pages and POST actions.
 * Returns false when no page has the path (the caller answers 404).
 */
bool pages_route(struct page_ctx *p);

#endif
