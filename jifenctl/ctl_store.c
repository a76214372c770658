/* SPDX-License-Identifier: MIT */
/*
 * ctl_store - jifenctl import / record / household.  See ctl_store.h.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jifenctl/ctl_store.h"
#include "storage/phone.h"
#include "storage/village.h"

#define CSV_MAX_BYTES (16 << 20)
#define CSV_MAX_FIELDS 16

static FILE *g_out;
static FILE *g_err;

#define OUT (g_out ? g_out : stdout)
#define ERR (g_err ? g_err : stderr)

void ctl_store_streams(FILE *out, FILE *err)
{
	g_out = out;
	g_err = err;
}

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

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0, got;
	char *buf = NULL, *nb;

	if (!f)
		return -errno;
	for (;;) {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > CSV_MAX_BYTES + 65536) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*len = n;
	return 0;
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

struct import_counts {
	long added, updated, rejected;
};

/* Validate and store one row; -EINVAL with WHY for a bad row. */
static int import_row(struct store *st, char **f, int nf, int ncols,
		      int64_t now, struct import_counts *ic, char *why,
		      size_t wlen)
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
	return 0;
}

static int import_usage(void)
{
	fputs("jifenctl: usage: import FILE.csv\n", ERR);
	return 2;
}

int ctl_import(struct store *st, int argc, char **argv)
{
	struct import_counts ic = { 0, 0, 0 };
	char *fields[CSV_MAX_FIELDS], why[160];
	const char *path;
	struct csv c;
	char *data = NULL;
	size_t len = 0;
	int64_t now = ctl_now(st);
	int rc, nf, line, ncols, i;

	if (argc != 2 || argv[1][0] == '-')
		return import_usage();
	path = argv[1];
	rc = read_file(path, &data, &len);
	if (rc) {
		fprintf(ERR, "jifenctl: import: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.p = data;
	c.end = data + len;
	c.line = 1;
	if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3))
		c.p += 3;
	rc = csv_row(&c, fields, &nf, &line);
	if (rc <= 0 || nf < 4 || nf > 5) {
		fprintf(ERR, "jifenctl: import: %s:1: expected header "
			"household,name,phone,role,pin\n", path);
		rc = 1;
		goto out;
	}
	for (i = 0; i < nf; i++) {
		if (strcasecmp(trim(fields[i]), header[i])) {
			fprintf(ERR, "jifenctl: import: %s:%d: expected header "
				"household,name,phone,role,pin\n", path, line);
			rc = 1;
			goto out;
		}
	}
	ncols = nf;
	rc = store_begin(st);
	if (rc) {
		fprintf(ERR, "jifenctl: import: database: %s\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	for (;;) {
		rc = csv_row(&c, fields, &nf, &line);
		if (rc == 0)
			break;
		if (rc == -E2BIG) {
			fprintf(ERR, "%s:%d: too many columns\n", path, line);
			ic.rejected++;
			continue;
		}
		if (rc == -EINVAL) {
			fprintf(ERR, "%s:%d: unterminated quoted field\n", path,
				line);
			ic.rejected++;
			break;
		}
		if (rc < 0)
			goto fail;
		why[0] = '\0';
		rc = import_row(st, fields, nf, ncols, now, &ic, why,
				sizeof(why));
		if (rc == -EINVAL && why[0]) {
			fprintf(ERR, "%s:%d: %s\n", path, line, why);
			ic.rejected++;
			continue;
		}
		if (rc)
			goto fail;
	}
	rc = store_commit(st);
	if (rc) {
		fprintf(ERR, "jifenctl: import: commit failed: %s; nothing "
			"imported\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	fprintf(OUT, "added %ld, updated %ld, rejected %ld\n", ic.added,
		ic.updated, ic.rejected);
	rc = ic.rejected ? 1 : 0;
	goto out;
fail:
	store_rollback(st);
	fprintf(ERR, "jifenctl: import: %s:%d: %s; nothing imported\n", path,
		line, strerror(-rc));
	rc = 1;
out:
	free(c.buf);
	free(data);
	return rc;
}

/* ---- records -------------------------------------------------------- */

static void iso(int64_t t, char *buf, size_t len)
{
	store_iso8601(t, buf, len);
}

static cJSON *record_json(const struct store_record *r)
{
	cJSON *o = cJSON_CreateObject();
	char ts[32];

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)r->no);
	cJSON_AddStringToObject(o, "gid", r->gid);
	cJSON_AddStringToObject(o, "household", r->household);
	cJSON_AddNumberToObject(o, "points", (double)r->points);
	cJSON_AddStringToObject(o, "reason", r->reason);
	cJSON_AddStringToObject(o, "status", store_rstatus_name(r->status));
	if (r->reviewed_by[0])
		cJSON_AddStringToObject(o, "reviewed_by", r->reviewed_by);
	else
		cJSON_AddNullToObject(o, "reviewed_by");
	iso(r->created_at, ts, sizeof(ts));
	cJSON_AddStringToObject(o, "created", ts);
	if (r->notice_until) {
		iso(r->notice_until, ts, sizeof(ts));
		cJSON_AddStringToObject(o, "notice_until", ts);
	} else {
		cJSON_AddNullToObject(o, "notice_until");
	}
	return o;
}

static int print_json(cJSON *o)
{
	char *s;

	if (!o)
		return -ENOMEM;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	fprintf(OUT, "%s\n", s);
	cJSON_free(s);
	return 0;
}

struct list_ctx {
	bool json;
	long n;
};

static int list_cb(const struct store_record *r, void *data)
{
	struct list_ctx *lc = data;

	lc->n++;
	if (lc->json)
		return print_json(record_json(r));
	fprintf(OUT, "%6lld  %-12s %+7lld  %-8s  %-16s %s\n", r->no,
		r->household, r->points, store_rstatus_name(r->status),
		r->reviewed_by[0] ? r->reviewed_by : "-", r->reason);
	return 0;
}

static int record_usage(void)
{
	fputs("jifenctl: usage: record add HOUSEHOLD POINTS REASON [--final]"
	      " | record list [--pending] [--json]\n", ERR);
	return 2;
}

static int record_add(struct store *st, int argc, char **argv)
{
	struct store_record_new rn;
	const char *pos[3];
	bool final = false;
	long long no, pts;
	char *end;
	int i, np = 0, rc;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--final"))
			final = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return record_usage();
		else if (np < 3)
			pos[np++] = argv[i];
		else
			return record_usage();
	}
	if (np != 3)
		return record_usage();
	errno = 0;
	pts = strtoll(pos[1], &end, 10);
	if (errno || end == pos[1] || *end || pts < -1000000 ||
	    pts > 1000000) {
		fprintf(ERR, "jifenctl: record add: bad points '%s' "
			"(an integer, may be negative)\n", pos[1]);
		return 2;
	}
	if (!*pos[2]) {
		fputs("jifenctl: record add: empty reason\n", ERR);
		return 2;
	}
	memset(&rn, 0, sizeof(rn));
	rn.household = pos[0];
	rn.points = pts;
	rn.reason = pos[2];
	rn.status = final ? STORE_FINAL : STORE_PENDING;
	rn.by = "console";
	rn.origin = "console";
	rn.now = ctl_now(st);
	rc = store_record_add(st, &rn, &no, NULL);
	if (rc == -ENOENT) {
		fprintf(ERR, "jifenctl: record add: no such household '%s'\n",
			pos[0]);
		return 1;
	}
	if (rc) {
		fprintf(ERR, "jifenctl: record add: %s\n", strerror(-rc));
		return 1;
	}
	fprintf(OUT, "%lld\n", no);
	return 0;
}

static int record_list(struct store *st, int argc, char **argv)
{
	struct store_record_filter f = { NULL, -1, false, 0 };
	struct list_ctx lc = { false, 0 };
	int i, rc;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pending"))
			f.status = STORE_PENDING;
		else if (!strcmp(argv[i], "--json"))
			lc.json = true;
		else
			return record_usage();
	}
	if (!lc.json)
		fprintf(OUT, "%6s  %-12s %7s  %-8s  %-16s %s\n", "ID",
			"HOUSEHOLD", "POINTS", "STATUS", "REVIEWED_BY",
			"REASON");
	rc = store_records_list(st, &f, list_cb, &lc);
	if (rc) {
		fprintf(ERR, "jifenctl: record list: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

int ctl_record(struct store *st, int argc, char **argv)
{
	if (argc < 2)
		return record_usage();
	if (!strcmp(argv[1], "add"))
		return record_add(st, argc, argv);
	if (!strcmp(argv[1], "list"))
		return record_list(st, argc, argv);
	return record_usage();
}

/* ---- household show ---------------------------------------------------- */

struct show_ctx {
	cJSON *phones, *members, *recent;
	bool json;
};

static int member_cb(const struct store_member *m, void *data)
{
	struct show_ctx *sc = data;
	cJSON *o;

	if (!sc->json) {
		fprintf(OUT, "  phone    %s  %s%s\n", m->phone,
			m->role == STORE_COMMITTEE ? "committee" : "villager",
			m->has_pin ? " (PIN set)" : "");
		return 0;
	}
	cJSON_AddItemToArray(sc->phones, cJSON_CreateString(m->phone));
	o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "phone", m->phone);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "role", m->role == STORE_COMMITTEE ?
						   "committee" : "villager");
	cJSON_AddItemToArray(sc->members, o);
	return 0;
}

static int recent_cb(const struct store_record *r, void *data)
{
	struct show_ctx *sc = data;

	if (!sc->json) {
		fprintf(OUT, "  record %4lld %+6lld  %-8s  %s\n", r->no,
			r->points, store_rstatus_name(r->status), r->reason);
		return 0;
	}
	cJSON_AddItemToArray(sc->recent, record_json(r));
	return 0;
}

int ctl_household(struct store *st, int argc, char **argv)
{
	struct store_record_filter f = { NULL, -1, true, 10 };
	struct show_ctx sc = { NULL, NULL, NULL, false };
	struct store_household h;
	struct store_balance b;
	const char *id = NULL;
	cJSON *o = NULL;
	int i, rc;

	if (argc < 3 || strcmp(argv[1], "show"))
		goto usage;
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			sc.json = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			goto usage;
		else if (!id)
			id = argv[i];
		else
			goto usage;
	}
	if (!id)
		goto usage;
	rc = store_household_get(st, id, &h);
	if (!rc && h.deleted)
		rc = -ENOENT;
	if (!rc)
		rc = store_household_balance(st, id, &b);
	if (rc == -ENOENT) {
		fprintf(ERR, "jifenctl: household show: no such household "
			"'%s'\n", id);
		return 1;
	}
	if (rc)
		goto fail;
	f.household = id;
	if (sc.json) {
		o = cJSON_CreateObject();
		sc.phones = cJSON_CreateArray();
		sc.members = cJSON_CreateArray();
		sc.recent = cJSON_CreateArray();
		if (!o || !sc.phones || !sc.members || !sc.recent) {
			cJSON_Delete(o);
			cJSON_Delete(sc.phones);
			cJSON_Delete(sc.members);
			cJSON_Delete(sc.recent);
			rc = -ENOMEM;
			goto fail;
		}
		cJSON_AddStringToObject(o, "id", h.id);
		cJSON_AddStringToObject(o, "name", h.name);
		cJSON_AddItemToObject(o, "phones", sc.phones);
		cJSON_AddItemToObject(o, "members", sc.members);
		cJSON_AddNumberToObject(o, "final_points",
					(double)b.final_points);
		cJSON_AddNumberToObject(o, "publicity_points",
					(double)b.publicity_points);
		cJSON_AddNumberToObject(o, "pending_points",
					(double)b.pending_points);
		cJSON_AddNumberToObject(o, "rank", b.rank);
		cJSON_AddItemToObject(o, "recent", sc.recent);
	} else {
		fprintf(OUT, "household %s  %s\n", h.id, h.name);
		fprintf(OUT, "  points   final %lld, in publicity %lld, "
			"pending %lld; rank %d of %d\n", b.final_points,
			b.publicity_points, b.pending_points, b.rank,
			b.households);
	}
	rc = store_household_members(st, id, member_cb, &sc);
	if (!rc)
		rc = store_records_list(st, &f, recent_cb, &sc);
	if (rc) {
		cJSON_Delete(o);
		goto fail;
	}
	if (sc.json && print_json(o))
		return 1;
	return 0;
fail:
	fprintf(ERR, "jifenctl: household show: %s\n", strerror(-rc));
	return 1;
usage:
	fputs("jifenctl: usage: household show ID [--json]\n", ERR);
	return 2;
}

int64_t ctl_now(struct store *st)
{
	char src[16], off[32];
	int64_t now = (int64_t)time(NULL);
	char *end;
	long long o;

	if (store_status_get(st, "clock.source", src, sizeof(src)) < 0 ||
	    !strcmp(src, "system") ||
	    store_status_get(st, "clock.offset", off, sizeof(off)) < 0)
		return now;
	o = strtoll(off, &end, 10);
	return end == off || *end ? now : now + o;
}
