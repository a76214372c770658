/* SPDX-License-Identifier: MIT */
/*
 * hhimport - household CSV import.  See hhimport.h.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/hhimport.h"
#include "util/utf8.h"
#include "storage/phone.h"
#include "storage/village.h"

#define CSV_MAX_FIELDS 16

/* ---- CSV reader ------------------------------------------------------ */

struct csv {
	const char *p, *end;
	int line;		/* current line (1-based) */
	char *buf;		/* field storage of the current row */
	size_t cap;
};

/*
 * Read one row into FIELDS (pointers into c->buf).  Returns 1 with *NF
 * and *LINE (the row's first line), 0 at end of file, -EINVAL for an
 * unterminated quote or too many fields (the rest of the file is lost
 * only for the unterminated quote), -ENOMEM.
 */
static int csv_row(struct csv *c, char **fields, int *nf, int *line)
{
	size_t need = (size_t)(c->end - c->p) + CSV_MAX_FIELDS + 1, n = 0;
	size_t starts[CSV_MAX_FIELDS];
	bool quoted, too_many = false;
	int k = 0, i;

	/* skip blank lines */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	if (c->p >= c->end)
		return 0;
	if (need > c->cap) {
		char *nb = realloc(c->buf, need);

		if (!nb)
			return -ENOMEM;
		c->buf = nb;
		c->cap = need;
	}
	*line = c->line;
	for (;;) {
		if (k < CSV_MAX_FIELDS)
			starts[k] = n;
		else
			too_many = true;
		quoted = c->p < c->end && *c->p == '"';
		if (quoted) {
			c->p++;
			for (;;) {
				if (c->p >= c->end)
					return -EINVAL;
				if (*c->p == '"') {
					if (c->p + 1 < c->end && c->p[1] == '"') {
						c->buf[n++] = '"';
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				c->buf[n++] = *c->p++;
			}
		}
		/* unquoted part (or text after a closing quote) */
		while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
			if (*c->p != '\r')
				c->buf[n++] = *c->p;
			c->p++;
		}
		c->buf[n++] = '\0';
		k++;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end) {	/* newline */
			c->p++;
			c->line++;
		}
		break;
	}
	if (too_many) {
		*nf = k;
		return -E2BIG;
	}
	for (i = 0; i < k; i++)
		fields[i] = c->buf + starts[i];
	*nf = k;
	return 1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* ---- import -------------------------------------------------------- */

enum col { COL_HH, COL_NAME, COL_PHONE, COL_ROLE, COL_PIN, COL_MEMBER,
	   COL_N };

/* Header names per column, English and Chinese (SPEC §5). */
static const char *const col_names[COL_N][3] = {
	[COL_HH] = { "household", "户号", NULL },
	[COL_NAME] = { "name", "户主", "户名" },
	[COL_PHONE] = { "phone", "手机", "手机号" },
	[COL_ROLE] = { "role", "角色", NULL },
	[COL_PIN] = { "pin", "PIN", "密码" },
	[COL_MEMBER] = { "member", "成员", NULL },
};

/* Map header FIELDS to columns (COLS[c] = field index or -1). */
static int map_header(char **fields, int nf, int cols[COL_N])
{
	int i, c, k;

	for (c = 0; c < COL_N; c++)
		cols[c] = -1;
	for (i = 0; i < nf; i++) {
		const char *h = trim(fields[i]);

		for (c = 0; c < COL_N; c++) {
			for (k = 0; k < 3 && col_names[c][k]; k++)
				if (!strcasecmp(h, col_names[c][k]))
					break;
			if (k < 3 && col_names[c][k])
				break;
		}
		if (c == COL_N || cols[c] >= 0)
			return -EINVAL;	/* unknown or twice */
		cols[c] = i;
	}
	for (c = COL_HH; c <= COL_ROLE; c++)
		if (cols[c] < 0)
			return -EINVAL;
	return 0;
}

static int parse_role(const char *s, enum store_role *r)
{
	if (!*s || !strcasecmp(s, "villager") || !strcmp(s, "村民")) {
		*r = STORE_VILLAGER;
		return 0;
	}
	if (!strcasecmp(s, "committee") || !strcmp(s, "村委") ||
	    !strcmp(s, "委员")) {
		*r = STORE_COMMITTEE;
		return 0;
	}
	return -EINVAL;
}

static bool pin_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 4 || n > 8)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Validate and store one row; -EINVAL with WHY for a bad row. */
static int import_row(struct store *st, char **f, int nf, int ncols,
		      const int *cols, int64_t now, struct hhimport_counts *ic,
		      char *why, size_t wlen, bool *created_out)
{
	char num[PHONE_MAX];
	const char *hh, *name, *phone, *role, *pin, *member;
	enum store_role r;
	bool created = false, hcreated = false;
	int rc;

	if (nf != ncols) {
		snprintf(why, wlen, "expected %d columns, got %d", ncols, nf);
		return -EINVAL;
	}
	hh = trim(f[cols[COL_HH]]);
	name = trim(f[cols[COL_NAME]]);
	phone = trim(f[cols[COL_PHONE]]);
	role = trim(f[cols[COL_ROLE]]);
	pin = cols[COL_PIN] >= 0 ? trim(f[cols[COL_PIN]]) : "";
	member = cols[COL_MEMBER] >= 0 ? trim(f[cols[COL_MEMBER]]) : "";
	if (!*hh) {
		snprintf(why, wlen, "empty household");
		return -EINVAL;
	}
	if (strlen(hh) >= STORE_ID_MAX) {
		snprintf(why, wlen, "household id too long");
		return -EINVAL;
	}
	if (*phone && (phone_normalize(phone, num, sizeof(num)) ||
		       !phone_is_e164(num) || phone_is_service(num))) {
		snprintf(why, wlen, "bad phone '%s'", phone);
		return -EINVAL;
	}
	if (parse_role(role, &r)) {
		snprintf(why, wlen, "bad role '%s' (villager or committee)",
			 role);
		return -EINVAL;
	}
	if (*pin && !pin_ok(pin)) {
		snprintf(why, wlen, "PIN must be 4-8 digits");
		return -EINVAL;
	}
	rc = store_household_upsert(st, hh, *name ? name : NULL, now,
				    &hcreated);
	if (rc)
		return rc;
	if (*phone) {
		rc = store_phone_bind(st, num, hh, *member ? member : NULL, r,
				      pin, now, &created);
		if (rc)
			return rc;
	} else {
		created = hcreated;
	}
	if (created)
		ic->added++;
	else
		ic->updated++;
	*created_out = created;
	return 0;
}

int hhimport_csv(struct store *st, const char *data, size_t len, int64_t now,
		 const struct hhimport_ops *ops, void *ud,
		 struct hhimport_counts *ic, int *line)
{
	char *fields[CSV_MAX_FIELDS], why[160];
	int cols[COL_N];
	struct csv c;
	bool created;
	int rc, nf, ncols;

	memset(ic, 0, sizeof(*ic));
	memset(&c, 0, sizeof(c));
	*line = 1;
	if (len > HHIMPORT_MAX_BYTES)
		return -EFBIG;
	c.p = data;
	c.end = data + len;
	c.line = 1;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		c.p += 3;
	rc = csv_row(&c, fields, &nf, line);
	if (rc == -ENOMEM)
		goto out;
	if (rc <= 0 || map_header(fields, nf, cols)) {
		*line = 1;
		rc = -EBADMSG;
		goto out;
	}
	ncols = nf;
	for (;;) {
		rc = csv_row(&c, fields, &nf, line);
		if (rc == 0)
			break;
		if (rc == -E2BIG) {
			if (ops && ops->rejected)
				ops->rejected(*line, "too many columns", ud);
			ic->rejected++;
			continue;
		}
		if (rc == -EINVAL) {
			if (ops && ops->rejected)
				ops->rejected(*line,
					      "unterminated quoted field", ud);
			ic->rejected++;
			break;
		}
		if (rc < 0)
			goto out;
		why[0] = '\0';
		created = false;
		rc = import_row(st, fields, nf, ncols, cols, now, ic, why,
				sizeof(why), &created);
		if (rc == -EINVAL && why[0]) {
			if (ops && ops->rejected)
				ops->rejected(*line, why, ud);
			ic->rejected++;
			continue;
		}
		if (rc)
			goto out;
		if (ops && ops->stored)
			ops->stored(*line, trim(fields[cols[COL_HH]]),
				    trim(fields[cols[COL_NAME]]),
				    trim(fields[cols[COL_PHONE]]),
				    trim(fields[cols[COL_ROLE]]), created,
				    ud);
	}
	rc = 0;
out:
	free(c.buf);
	return rc;
}

/* ---- encodings ------------------------------------------------------ */

/* Offset of the first byte that is not valid UTF-8 (or a NUL), or LEN. */
static size_t utf8_bad_at(const char *s, size_t len)
{
	size_t pos = 0, c;
	uint32_t cp;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (!c || !cp)
			return pos;
		pos += c;
	}
	return len;
}

static int line_of(const char *s, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

int hhimport_to_utf8(char **data, size_t *len, const char **enc, int *line,
		     bool *bom)
{
	size_t bad, in_left, out_left, cap;
	char *in, *out, *conv;
	iconv_t cd;

	*enc = "UTF-8";
	*bom = false;
	*line = 0;
	if (*len >= 3 && !memcmp(*data, "\xef\xbb\xbf", 3)) {
		memmove(*data, *data + 3, *len - 3);
		*len -= 3;
		*bom = true;
		bad = utf8_bad_at(*data, *len);
		if (bad < *len) {
			*line = line_of(*data, bad);
			return -EILSEQ;
		}
		return 0;
	}
	bad = utf8_bad_at(*data, *len);
	if (bad == *len)
		return 0;
	*line = line_of(*data, bad);
	if (memchr(*data, 0, *len))
		return -EILSEQ;
	cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return -EILSEQ;
	cap = *len * 2 + 16;	/* GB18030 -> UTF-8 grows by at most 2 */
	conv = malloc(cap);
	if (!conv) {
		iconv_close(cd);
		return -ENOMEM;
	}
	in = *data;
	in_left = *len;
	out = conv;
	out_left = cap;
	if (iconv(cd, &in, &in_left, &out, &out_left) == (size_t)-1 ||
	    in_left) {
		free(conv);
		iconv_close(cd);
		return -EILSEQ;
	}
	iconv_close(cd);
	free(*data);
	*data = conv;
	*len = cap - out_left;
	*enc = "GB18030";
	*line = 0;
	return 0;
}
