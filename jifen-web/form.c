/* SPDX-License-Identifier: MIT */
/*
 * form - urlencoded and multipart/form-data parser.  See form.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jifen-web/form.h"
#include "util/hex.h"
#include "util/utf8.h"

struct form_field {
	char *name;
	char *value;
};

struct form {
	int n;
	struct form_field f[FORM_MAX_FIELDS];
};

struct form *form_new(void)
{
	return calloc(1, sizeof(struct form));
}

void form_free(struct form *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->f[i].name);
		free(f->f[i].value);
	}
	free(f);
}

bool form_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' &&
		    p[i] != '\n')
			return false;
		if (p[i] == 0x7f)
			return false;
		l = utf8_decode(s + i, n - i, &cp);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

static bool name_ok(const char *name)
{
	const char *p;

	if (!*name || strlen(name) >= FORM_NAME_MAX)
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

int form_add(struct form *f, const char *name, const char *value,
	     size_t len)
{
	struct form_field *fl;

	if (!f || !name || !value)
		return -EINVAL;
	if (!name_ok(name) || f->n >= FORM_MAX_FIELDS || form_get(f, name))
		return -EINVAL;
	if (memchr(value, '\0', len) || !form_text_ok(value, len))
		return -EILSEQ;
	fl = &f->f[f->n];
	fl->name = strdup(name);
	fl->value = malloc(len + 1);
	if (!fl->name || !fl->value) {
		free(fl->name);
		free(fl->value);
		fl->name = fl->value = NULL;
		return -ENOMEM;
	}
	memcpy(fl->value, value, len);
	fl->value[len] = '\0';
	f->n++;
	return 0;
}

const char *form_get(const struct form *f, const char *name)
{
	int i;

	if (!f || !name)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].name, name))
			return f->f[i].value;
	return NULL;
}

/* Percent-decode LEN bytes of IN into OUT (at least LEN bytes); '+' is a
 * space.  *OLEN gets the decoded length.  -EILSEQ for a bad escape. */
static int unescape(const char *in, size_t len, char *out, size_t *olen)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (in[i] == '+') {
			out[o++] = ' ';
		} else if (in[i] == '%') {
			if (i + 2 >= len)
				return -EILSEQ;
			h = hex_val(in[i + 1]);
			l = hex_val(in[i + 2]);
			if (h < 0 || l < 0)
				return -EILSEQ;
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	*olen = o;
	return 0;
}

size_t form_unescape_inplace(char *s)
{
	char *in = s, *out = s;
	int h, l;

	while (*in) {
		if (*in == '%') {
			h = in[1] ? hex_val(in[1]) : -1;
			l = h >= 0 && in[2] ? hex_val(in[2]) : -1;
			if (h < 0 || l < 0)
				goto bad;
			*out++ = (char)(h << 4 | l);
			in += 3;
		} else {
			*out++ = *in++;
		}
		if ((unsigned char)out[-1] < 0x20 || out[-1] == 0x7f)
			goto bad;
	}
	*out = '\0';
	return (size_t)(out - s);
bad:
	s[0] = '\x01';
	s[1] = '\0';
	return 1;
}

int form_parse_urlencoded(struct form *f, const char *data, size_t len)
{
	const char *p = data, *end = data + len, *amp, *eq;
	char *name = NULL, *val = NULL;
	size_t nl, vl;
	int rc = 0;

	if (!f || (!data && len))
		return -EINVAL;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (!amp)
			amp = end;
		if (amp == p) {		/* empty pair: "a=1&&b=2" */
			p++;
			continue;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (!eq)
			eq = amp;
		name = malloc((size_t)(eq - p) + 1);
		val = malloc((size_t)(amp - eq) + 1);
		if (!name || !val) {
			rc = -ENOMEM;
			goto out;
		}
		rc = unescape(p, (size_t)(eq - p), name, &nl);
		if (rc)
			goto out;
		if (memchr(name, '\0', nl)) {
			rc = -EILSEQ;
			goto out;
		}
		name[nl] = '\0';
		vl = 0;
		if (eq < amp) {
			rc = unescape(eq + 1, (size_t)(amp - eq - 1), val, &vl);
			if (rc)
				goto out;
		}
		val[vl] = '\0';
		rc = form_add(f, name, val, vl);
		if (rc)
			goto out;
		free(name);
		free(val);
		name = val = NULL;
		p = amp < end ? amp + 1 : end;
	}
out:
	free(name);
	free(val);
	return rc;
}

/* Find NEEDLE (NL bytes) in the LEN bytes at HAY. */
static const char *memmem_c(const char *hay, size_t len, const char *needle,
			    size_t nl)
{
	return memmem(hay, len, needle, nl);
}

/* The boundary parameter of a multipart Content-Type into B (LEN). */
static int boundary_of(const char *ctype, char *b, size_t len)
{
	const char *p, *e;
	size_t n;

	if (!ctype || strncasecmp(ctype, "multipart/form-data", 19))
		return -EINVAL;
	p = strcasestr(ctype, "boundary=");
	if (!p)
		return -EINVAL;
	p += 9;
	if (*p == '"') {
		p++;
		e = strchr(p, '"');
		if (!e)
			return -EINVAL;
	} else {
		e = p + strcspn(p, "; \t");
	}
	n = (size_t)(e - p);
	if (n == 0 || n > 70 || n + 1 > len)
		return -EINVAL;
	memcpy(b, p, n);
	b[n] = '\0';
	return 0;
}

/* The name="..." of a part's headers H (HL bytes) into NAME. */
static int part_name(const char *h, size_t hl, char *name, size_t len)
{
	const char *p = h, *end = h + hl, *line_end, *q, *e;

	while (p < end) {
		line_end = memmem_c(p, (size_t)(end - p), "\r\n", 2);
		if (!line_end)
			line_end = end;
		if ((size_t)(line_end - p) > 20 &&
		    !strncasecmp(p, "content-disposition:", 20)) {
			for (q = p + 20; q + 6 <= line_end; q++) {
				if (strncmp(q, "name=\"", 6) ||
				    (q > p && q[-1] != ' ' && q[-1] != ';'))
					continue;
				q += 6;
				e = memchr(q, '"', (size_t)(line_end - q));
				if (!e || (size_t)(e - q) + 1 > len)
					return -EINVAL;
				memcpy(name, q, (size_t)(e - q));
				name[e - q] = '\0';
				return 0;
			}
		}
		p = line_end + 2;
	}
	return -EINVAL;
}

int form_parse_multipart(struct form *f, const char *ctype,
			 const char *data, size_t len)
{
	char b[80], delim[84], name[FORM_NAME_MAX];
	const char *p, *end = data + len, *hend, *next;
	size_t dl;
	int rc;

	if (!f || (!data && len))
		return -EINVAL;
	rc = boundary_of(ctype, b, sizeof(b));
	if (rc)
		return rc;
	dl = (size_t)snprintf(delim, sizeof(delim), "--%s", b);
	if (len < dl || memcmp(data, delim, dl))
		return -EINVAL;
	p = data + dl;
	for (;;) {
		if ((size_t)(end - p) >= 2 && !memcmp(p, "--", 2))
			return 0;	/* closing delimiter */
		if ((size_t)(end - p) < 2 || memcmp(p, "\r\n", 2))
			return -EINVAL;
		p += 2;
		hend = memmem_c(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			return -EINVAL;
		if (part_name(p, (size_t)(hend - p) + 2, name, sizeof(name)))
			return -EINVAL;
		p = hend + 4;
		/* the body ends at CRLF + delimiter */
		next = p;
		for (;;) {
			next = memmem_c(next, (size_t)(end - next), delim, dl);
			if (!next)
				return -EINVAL;
			if (next - p >= 2 && next[-2] == '\r' &&
			    next[-1] == '\n')
				break;
			next++;
		}
		rc = form_add(f, name, p, (size_t)(next - 2 - p));
		if (rc)
			return rc;
		p = next + dl;
	}
}
