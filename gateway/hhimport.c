/* SPDX-License-Identifier: MIT */
/*
 * hhimport - household CSV import.  See hhimport.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/hhimport.h"
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

static const char *const header[] = { "household", "name", "phone", "role",
				      "pin" };

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
		      int64_t now, struct hhimport_counts *ic, char *why,
		      size_t wlen, bool *created_out)
{
	char num[PHONE_MAX];
	const char *hh, *name, *phone, *role, *pin;
	enum store_role r;
	bool created = false, hcreated = false;
	int rc;

	if (nf != ncols) {
		snprintf(why, wlen, "expected %d columns, got %d", ncols, nf);
		return -EINVAL;
	}
	hh = trim(f[0]);
	name = trim(f[1]);
	phone = trim(f[2]);
	role = trim(f[3]);
	pin = ncols > 4 ? trim(f[4]) : "";
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
		rc = store_phone_bind(st, num, hh, NULL, r, pin, now, &created);
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
	struct csv c;
	bool created;
	int rc, nf, ncols, i;

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
	if (rc <= 0 || nf < 4 || nf > 5) {
		*line = 1;
		rc = -EBADMSG;
		goto out;
	}
	for (i = 0; i < nf; i++) {
		if (strcasecmp(trim(fields[i]), header[i])) {
			rc = -EBADMSG;
			goto out;
		}
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
		rc = import_row(st, fields, nf, ncols, now, ic, why,
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
			ops->stored(*line, trim(fields[0]), trim(fields[1]),
				    trim(fields[2]), trim(fields[3]), created,
				    ud);
	}
	rc = 0;
out:
	free(c.buf);
	return rc;
}
