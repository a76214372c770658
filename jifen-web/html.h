/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_HTML_H
#define JIFEN_WEB_HTML_H
/*
 * html - a growing output buffer for jifen-web's pages, with escaping.
 *
 * Every text that comes from the store or the request goes through
 * html_text()/the "%h" helper html_textf(); markup is written with
 * html_raw()/html_rawf().  An allocation failure is remembered
 * (struct html_buf.oom) and later writes are dropped, so page code
 * checks once at the end.  The buffer is capped at HTML_MAX bytes.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define HTML_MAX	(4 << 20)

struct html_buf {
	char *p;		/* NUL-terminated, owned; NULL while empty */
	size_t len, cap;
	bool oom;
};

/* Append markup as is. */
void html_raw(struct html_buf *b, const char *s);
void html_rawf(struct html_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append text, escaping & < > " '. */
void html_text(struct html_buf *b, const char *s);
/* printf, then escape the result. */
void html_textf(struct html_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Free the storage (the struct may be reused). */
void html_free(struct html_buf *b);
/* Take the storage (caller frees); the buffer is empty afterwards. */
char *html_take(struct html_buf *b, size_t *len);

#endif
