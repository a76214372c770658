/* SPDX-License-Identifier: MIT */
/*
 * html - output buffer with escaping.  See html.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jifen-web/html.h"

static void put(struct html_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > HTML_MAX || !(np = realloc(b->p, cap))) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void html_raw(struct html_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void vraw(struct html_buf *b, bool esc, const char *fmt, va_list ap)
{
	char small[512], *big = NULL;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		big = malloc((size_t)n + 1);
		if (!big) {
			b->oom = true;
			return;
		}
		vsnprintf(big, (size_t)n + 1, fmt, ap);
	}
	if (esc)
		html_text(b, big ? big : small);
	else
		put(b, big ? big : small, (size_t)n);
	free(big);
}

void html_rawf(struct html_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vraw(b, false, fmt, ap);
	va_end(ap);
}

void html_textf(struct html_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vraw(b, true, fmt, ap);
	va_end(ap);
}

void html_text(struct html_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		put(b, run, (size_t)(s - run));
		put(b, rep, strlen(rep));
		run = s + 1;
	}
	put(b, run, (size_t)(s - run));
}

void html_free(struct html_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

char *html_take(struct html_buf *b, size_t *len)
{
	char *p = b->p;

	*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}
