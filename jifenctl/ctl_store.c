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

#include "gateway/clockview.h"
#include "gateway/hhimport.h"
#include "jifenctl/ctl_store.h"
#include "storage/phone.h"
#include "storage/village.h"


static FILE *g_out;
static FILE *g_err;

#define OUT (g_out ? g_out : stdout)
#define ERR (g_err ? g_err : stderr)

void ctl_store_streams(FILE *out, FILE *err)
{
	g_out = out;
	g_err = err;
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
			if (cap > HHIMPORT_MAX_BYTES + 65536) {
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

static int import_usage(void)
{
	fputs("jifenctl: usage: import FILE.csv\n", ERR);
	return 2;
}

struct import_report {
	const char *path;
};

static void import_rejected(int line, const char *why, void *data)
{
	struct import_report *r = data;

	fprintf(ERR, "%s:%d: %s\n", r->path, line, why);
}

int ctl_import(struct store *st, int argc, char **argv)
{
	struct hhimport_ops ops = { .rejected = import_rejected };
	struct hhimport_counts ic;
	struct import_report rep;
	const char *path, *enc = "UTF-8";
	char *data = NULL;
	size_t len = 0;
	int64_t now = clockview_now(st);
	int rc, line = 1;
	bool bom;

	if (argc != 2 || argv[1][0] == '-')
		return import_usage();
	path = argv[1];
	rep.path = path;
	rc = read_file(path, &data, &len);
	if (rc) {
		fprintf(ERR, "jifenctl: import: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	rc = hhimport_to_utf8(&data, &len, &enc, &line, &bom);
	if (rc == -EILSEQ && bom) {
		fprintf(ERR, "jifenctl: import: %s:%d: not valid UTF-8 (the "
			"file starts with a UTF-8 BOM)\n", path, line);
		rc = 1;
		goto out;
	}
	if (rc == -EILSEQ) {
		fprintf(ERR, "jifenctl: import: %s:%d: neither UTF-8 nor "
			"GB18030/GBK; save the file as UTF-8 CSV\n", path,
			line);
		rc = 1;
		goto out;
	}
	if (rc) {
		fprintf(ERR, "jifenctl: import: %s: %s\n", path, strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = store_begin(st);
	if (rc) {
		fprintf(ERR, "jifenctl: import: database: %s\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = hhimport_csv(st, data, len, now, &ops, &rep, &ic, &line);
	if (rc == -EBADMSG) {
		store_rollback(st);
		fprintf(ERR, "jifenctl: import: %s:%d: expected header "
			"household,name,phone,role[,pin][,member] (or "
			"户号,户主,手机,角色[,PIN][,成员])\n", path, line);
		rc = 1;
		goto out;
	}
	if (rc)
		goto fail;
	rc = store_commit(st);
	if (rc) {
		fprintf(ERR, "jifenctl: import: commit failed: %s; nothing "
			"imported\n", strerror(-rc));
		rc = 1;
		goto out;
	}
	fprintf(OUT, "added %ld, updated %ld, rejected %ld%s\n", ic.added,
		ic.updated, ic.rejected, strcmp(enc, "UTF-8") ?
		" (read as GB18030)" : "");
	rc = ic.rejected ? 1 : 0;
	goto out;
fail:
	store_rollback(st);
	fprintf(ERR, "jifenctl: import: %s:%d: %s; nothing imported\n", path,
		line, strerror(-rc));
	rc = 1;
out:
	free(data);
	return rc;
}

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
	rn.now = clockview_now(st);
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
	if (ctl_household_find(st, "household show", id, &h, &b))
		return 1;
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

int ctl_household_find(struct store *st, const char *what, const char *id,
		       struct store_household *h, struct store_balance *b)
{
	int rc;

	rc = store_household_get(st, id, h);
	if (!rc && h->deleted)
		rc = -ENOENT;
	if (!rc)
		rc = store_household_balance(st, id, b);
	if (rc == -ENOENT)
		fprintf(ERR, "jifenctl: %s: no such household '%s'\n", what,
			id);
	else if (rc)
		fprintf(ERR, "jifenctl: %s: %s\n", what, strerror(-rc));
	return rc ? 1 : 0;
}
