/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim: a byte buffer with a hard cap.  The caps keep a
 * misbehaving peer from growing the simulator without bound.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "modemsim_priv.h"

/* Append @n bytes unless the buffer would pass @limit; false then. */
bool buf_add(struct buf *b, const void *data, size_t n, size_t limit)
{
	if (b->len + n > limit)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		np = realloc(b->p, nc);
		if (!np)
			return false;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

/* Append a C string (capped at MAX_OUTQ). */
void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s), MAX_OUTQ);
}

/* Append formatted text, at most 2 KiB per call (capped at MAX_OUTQ). */
void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	buf_add(b, tmp, n, MAX_OUTQ);
}

/* Drop the first @n bytes (what was written or parsed). */
void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->p, b->p + n, b->len - n);
		b->len -= n;
	}
	if (b->p)
		b->p[b->len] = '\0';
}

/* Free the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
