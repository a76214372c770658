/* SPDX-License-Identifier: MIT */
/*
 * run - one sync with the platform, online or by bundle.  See run.h and
 * docs/SYNC.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "gateway/wake.h"
#include "jifen-sync/apply.h"
#include "jifen-sync/bundle.h"
#include "jifen-sync/event.h"
#include "gateway/clockview.h"
#include "jifen-sync/health.h"
#include "jifen-sync/run.h"
#include "jifen-sync/wire.h"
#include "storage/status.h"
#include "storage/sync.h"

#define CONNECT_TIMEOUT_S	20
#define LOW_SPEED_TIME_S	30

/* The time to date things with: what jifend learned (gateway/clockview.h),
 * so records and marks agree with the daemon's on a board whose system
 * clock is wrong. */
static int64_t wall(struct store *st)
{
	return clockview_now(st);
}

int run_gateway_id(struct store *st, char out[64])
{
	char id[STORE_UUID_LEN];
	int rc;

	if (store_state_get(st, "gateway_id", out, 64) == 0 && out[0])
		return 0;
	rc = store_uuid(id);
	if (!rc)
		rc = store_state_set(st, "gateway_id", id, wall(st));
	if (!rc)
		snprintf(out, 64, "%s", id);
	return rc;
}

int run_load_token(struct run_ctx *ctx, struct run_report *rep)
{
	const char *path = ctx->cfg->sync.token_file;
	size_t n;
	FILE *f;
	char *p;

	ctx->token[0] = '\0';
	if (!path[0])
		return 0;
	f = fopen(path, "re");
	if (!f) {
		snprintf(rep->error, sizeof(rep->error), "sync.token_file %s: "
			 "%s", path, strerror(errno));
		return -errno;
	}
	n = fread(ctx->token, 1, sizeof(ctx->token) - 1, f);
	fclose(f);
	ctx->token[n] = '\0';
	while (n && isspace((unsigned char)ctx->token[n - 1]))
		ctx->token[--n] = '\0';
	p = ctx->token;
	while (isspace((unsigned char)*p))
		p++;
	memmove(ctx->token, p, strlen(p) + 1);
	for (p = ctx->token; *p; p++) {
		if (*p < 0x21 || *p > 0x7e) {
			snprintf(rep->error, sizeof(rep->error),
				 "sync.token_file %s: not one token of "
				 "printable ASCII", path);
			return -EINVAL;
		}
	}
	if (!ctx->token[0]) {
		snprintf(rep->error, sizeof(rep->error),
			 "sync.token_file %s: empty", path);
		return -EINVAL;
	}
	return 0;
}

/* ---- building the request ------------------------------------------ */

struct collect {
	struct store *st;
	cJSON *arr;
	char (*ids)[STORE_UUID_LEN + 8];
	char (*unknown)[STORE_UUID_LEN + 8];
	int n, nunknown, max;
	int err;
};

static int collect_cb(const struct store_event *e, void *data)
{
	struct collect *c = data;
	cJSON *o;

	if (!event_type_known(e->type)) {
		if (c->nunknown < c->max)
			snprintf(c->unknown[c->nunknown++], STORE_UUID_LEN + 8,
				 "%s", e->id);
		return 0;
	}
	o = event_to_json(e);
	if (!o || !cJSON_AddItemToArray(c->arr, o)) {
		cJSON_Delete(o);
		c->err = -ENOMEM;
		return -ENOMEM;
	}
	snprintf(c->ids[c->n++], STORE_UUID_LEN + 8, "%s", e->id);
	return 0;
}

/*
 * The request body with the oldest MAX waiting events.  Events of a type
 * this program cannot send are left out, and with SET_ASIDE moved to the
 * rejected list (an online run; an export changes nothing).  *N gets the
 * number of events in the body.
 */
static char *build_body(struct run_ctx *ctx, int max, bool set_aside, int *n,
			struct run_report *rep)
{
	struct collect c = { .st = ctx->st, .max = max };
	char cursor[WIRE_CURSOR_MAX];
	bool has_cursor;
	cJSON *health;
	char *body = NULL;
	int i, rc;

	*n = 0;
	c.ids = calloc((size_t)max, sizeof(*c.ids));
	c.unknown = calloc((size_t)max, sizeof(*c.unknown));
	c.arr = cJSON_CreateArray();
	if (!c.ids || !c.unknown || !c.arr)
		goto out;
	rc = store_events_unsent(ctx->st, max, collect_cb, &c);
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "reading the event "
			 "journal: %s", strerror(-rc));
		goto out;
	}
	for (i = 0; set_aside && i < c.nunknown; i++)
		store_event_reject(ctx->st, c.unknown[i], "unknown event type: "
				   "this jifen-sync cannot send it", wall(ctx->st));
	has_cursor = store_state_get(ctx->st, "cursor", cursor,
				     sizeof(cursor)) == 0 && cursor[0];
	health = health_collect(ctx->st, ctx->cfg, wall(ctx->st));
	body = wire_build_request(ctx->cfg->village.id, ctx->gateway,
				  has_cursor ? cursor : NULL, c.arr, health);
	c.arr = NULL;
	*n = c.n;
out:
	if (!body && !rep->error[0])
		snprintf(rep->error, sizeof(rep->error), "out of memory");
	cJSON_Delete(c.arr);
	free(c.ids);
	free(c.unknown);
	return body;
}

/* gzip TEXT (LEN) into a new buffer (*OUT, *OUTLEN).  0 or -ENOMEM. */
static int gzip_body(const char *text, size_t len, unsigned char **out,
		     size_t *outlen)
{
	z_stream z;
	size_t cap;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)len) + 32;
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)text;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- the online exchange ------------------------------------------------ */

static void note_date(struct run_ctx *ctx, int64_t date, int64_t now)
{
	char buf[32];

	if (date <= 0)
		return;
	/* a time source for jifend's clock (SPEC section 13) */
	snprintf(buf, sizeof(buf), "%lld", (long long)date);
	store_status_set(ctx->st, STATUS_SYNC_SERVER_DATE, buf, now);
	snprintf(buf, sizeof(buf), "%lld", (long long)(date - now));
	store_status_set(ctx->st, STATUS_SYNC_SERVER_OFFSET, buf, now);
}

static bool json_type(const char *ct)
{
	size_t n = strlen("application/json");

	return !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void add_stats(struct run_report *rep, const struct apply_stats *s)
{
	rep->accepted += s->accepted;
	rep->rejected += s->rejected;
	rep->changes += s->changes;
	rep->skipped += s->skipped;
	rep->told += s->told;
	if (s->warning[0])
		snprintf(rep->warning, sizeof(rep->warning), "%s", s->warning);
}

/* One request/response.  Returns SYNC_EXIT_OK with *MORE set, or the
 * exit status of the failure. */
static int round_trip(struct run_ctx *ctx, struct run_report *rep,
		      bool *more)
{
	struct transport_req req = { 0 };
	struct transport_resp resp;
	struct wire_response *r = NULL;
	struct apply_stats s;
	char url[CONFIG_URL_SIZE + 16], err[256], old[WIRE_CURSOR_MAX];
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	char *body;
	int n, rc, code = SYNC_EXIT_RETRY;
	bool had_cursor;

	*more = false;
	body = build_body(ctx, WIRE_MAX_EVENTS, true, &n, rep);
	if (!body)
		return SYNC_EXIT_FAIL;
	rep->body_bytes += strlen(body);
	rc = gzip_body(body, strlen(body), &gz, &gzlen);
	free(body);
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "gzip: out of memory");
		return SYNC_EXIT_FAIL;
	}
	snprintf(url, sizeof(url), "%s%sv1/sync", ctx->cfg->sync.url,
		 ctx->cfg->sync.url[strlen(ctx->cfg->sync.url) - 1] == '/' ?
		 "" : "/");
	req.url = url;
	req.token = ctx->token;
	req.ca_file = ctx->cfg->sync.ca_file;
	req.content_encoding = "gzip";
	req.body = gz;
	req.len = gzlen;
	req.connect_timeout_s = CONNECT_TIMEOUT_S;
	req.total_timeout_s = ctx->timeout_s;
	req.low_speed_time_s = LOW_SPEED_TIME_S;
	req.max_response = WIRE_MAX_RESPONSE;
	err[0] = '\0';
	rc = ctx->tr->post(&req, &resp, err, sizeof(err));
	free(gz);
	rep->rounds++;
	rep->bytes_up += resp.bytes_up;
	rep->bytes_down += resp.bytes_down;
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "%s: %s",
			 rc == -ETIMEDOUT ? "timeout" :
			 rc == -EMSGSIZE ? "answer too large" :
			 rc == -EKEYREJECTED ? "TLS" :
			 rc == -EINVAL ? "bad sync.url" : "connection", err);
		free(resp.body);
		return rc == -EINVAL ? SYNC_EXIT_CONFIG : SYNC_EXIT_RETRY;
	}
	rep->sent += n;
	/* the server's Date against the system clock: jifend learns from it */
	note_date(ctx, resp.date, (int64_t)time(NULL));
	if (resp.status == 401 || resp.status == 403) {
		snprintf(rep->error, sizeof(rep->error), "the platform refused "
			 "the token (HTTP %ld): sync stopped until the token "
			 "or the configuration changes, or `jifenctl sync`",
			 resp.status);
		code = SYNC_EXIT_AUTH;
		goto out;
	}
	if (resp.status != 200) {
		rep->retry_after = resp.retry_after;
		snprintf(rep->error, sizeof(rep->error), "HTTP %ld from the "
			 "platform%s", resp.status, resp.status >= 500 ?
			 " (server error): retrying later" : "");
		goto out;
	}
	if (!json_type(resp.content_type)) {
		snprintf(rep->error, sizeof(rep->error), "answer is not JSON "
			 "(Content-Type '%.100s')", resp.content_type);
		goto out;
	}
	rc = wire_parse_response(resp.body ? resp.body : "", resp.len, &r,
				 err, sizeof(err));
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "bad answer: %s",
			 rc == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	had_cursor = store_state_get(ctx->st, "cursor", old, sizeof(old)) == 0;
	if (had_cursor && r->has_cursor &&
	    wire_cursor_backwards(old, r->cursor)) {
		snprintf(rep->error, sizeof(rep->error), "bad answer: cursor "
			 "went backwards (%.40s after %.40s); nothing applied",
			 r->cursor, old);
		goto out;
	}
	rc = apply_response(ctx->st, ctx->cfg, r, wall(ctx->st), NULL, &s);
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "storing the answer: "
			 "%s", strerror(-rc));
		code = SYNC_EXIT_FAIL;
		goto out;
	}
	add_stats(rep, &s);
	rep->ignored += r->ignored;
	/* an SMS to send, or records whose 公示 end jifend must time */
	if (s.told || s.changes)
		wake_jifend(ctx->st);
	if (n > 0 && s.accepted + s.rejected == 0 && !r->more) {
		snprintf(rep->error, sizeof(rep->error), "the platform "
			 "acknowledged none of %d events", n);
		goto out;
	}
	/* go on while the platform has more, or a full batch moved */
	*more = r->more || (n == WIRE_MAX_EVENTS && s.accepted + s.rejected);
	if (r->more && !s.changes && !s.skipped && !r->ignored &&
	    !(s.accepted + s.rejected) && (!r->has_cursor ||
	    (had_cursor && !strcmp(old, r->cursor)))) {
		snprintf(rep->error, sizeof(rep->error), "bad answer: 'more' "
			 "without any progress");
		*more = false;
		goto out;
	}
	code = SYNC_EXIT_OK;
out:
	wire_response_free(r);
	free(resp.body);
	return code;
}

int run_online(struct run_ctx *ctx, struct run_report *rep)
{
	bool more = true;
	int code = SYNC_EXIT_OK;

	if (!ctx->cfg->sync.url[0]) {
		snprintf(rep->error, sizeof(rep->error), "sync.url is empty: "
			 "sync is off");
		return SYNC_EXIT_CONFIG;
	}
	while (more) {
		if (rep->rounds >= ctx->max_rounds) {
			snprintf(rep->error, sizeof(rep->error), "still more "
				 "after %d requests: continuing later",
				 rep->rounds);
			return SYNC_EXIT_RETRY;
		}
		code = round_trip(ctx, rep, &more);
		if (code != SYNC_EXIT_OK)
			break;
	}
	return code;
}

/* ---- bundles ------------------------------------------------------------ */

int run_export(struct run_ctx *ctx, const char *path,
	       struct run_report *rep)
{
	struct bundle b;
	char id[STORE_UUID_LEN], err[512];
	int n, rc;

	memset(&b, 0, sizeof(b));
	b.body = build_body(ctx, WIRE_MAX_IDS, false, &n, rep);
	if (!b.body)
		return SYNC_EXIT_FAIL;
	rc = store_uuid(id);
	snprintf(b.kind, sizeof(b.kind), "request");
	snprintf(b.village, sizeof(b.village), "%s", ctx->cfg->village.id);
	snprintf(b.gateway, sizeof(b.gateway), "%s", ctx->gateway);
	snprintf(b.id, sizeof(b.id), "%s", id);
	b.len = strlen(b.body);
	if (!rc)
		rc = bundle_write(path, &b, err, sizeof(err));
	free(b.body);
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "%.900s", err);
		return SYNC_EXIT_FAIL;
	}
	rep->sent = n;
	rep->body_bytes = b.len;
	store_state_set(ctx->st, "bundle.last_export", id, wall(ctx->st));
	return SYNC_EXIT_OK;
}

int run_import(struct run_ctx *ctx, const char *path,
	       struct run_report *rep)
{
	struct wire_response *r = NULL;
	struct apply_stats s;
	struct bundle b;
	char err[512];
	bool seen = false;
	int rc, code = SYNC_EXIT_REFUSED;

	rc = bundle_read(path, &b, err, sizeof(err));
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "refused: %.900s", err);
		return rc == -EINVAL ? SYNC_EXIT_REFUSED : SYNC_EXIT_FAIL;
	}
	if (strcmp(b.kind, "response")) {
		snprintf(rep->error, sizeof(rep->error), "refused: %s is a %s "
			 "bundle, not the platform's response", path, b.kind);
		goto out;
	}
	if (strcmp(b.village, ctx->cfg->village.id)) {
		snprintf(rep->error, sizeof(rep->error), "refused: %s is for "
			 "village %s, this is %s", path, b.village,
			 ctx->cfg->village.id);
		goto out;
	}
	if (strcmp(b.gateway, ctx->gateway)) {
		snprintf(rep->error, sizeof(rep->error), "refused: %s is for "
			 "another gateway (%s)", path, b.gateway);
		goto out;
	}
	rc = store_bundle_seen(ctx->st, b.id, &seen);
	if (rc || seen) {
		snprintf(rep->error, sizeof(rep->error), rc ? "refused: "
			 "cannot read the store" : "refused: %s was imported "
			 "already (bundle %s)", path, b.id);
		code = rc ? SYNC_EXIT_FAIL : SYNC_EXIT_REFUSED;
		goto out;
	}
	rc = wire_parse_response(b.body, b.len, &r, err, sizeof(err));
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), "refused: %.300s: %.500s",
			 path, err);
		goto out;
	}
	rc = apply_response(ctx->st, ctx->cfg, r, wall(ctx->st), b.id, &s);
	if (rc) {
		snprintf(rep->error, sizeof(rep->error), rc == -EEXIST ?
			 "refused: %s was imported already" :
			 "storing the bundle: %s", rc == -EEXIST ? path :
			 strerror(-rc));
		code = rc == -EEXIST ? SYNC_EXIT_REFUSED : SYNC_EXIT_FAIL;
		goto out;
	}
	add_stats(rep, &s);
	rep->ignored += r->ignored;
	if (s.told || s.changes)
		wake_jifend(ctx->st);
	code = SYNC_EXIT_OK;
out:
	wire_response_free(r);
	bundle_free(&b);
	return code;
}

void run_record(struct run_ctx *ctx, int code, const struct run_report *rep)
{
	int64_t now = wall(ctx->st);
	char t[32], buf[1100];

	store_iso8601(now, t, sizeof(t));
	store_state_set(ctx->st, "last_attempt", t, now);
	snprintf(buf, sizeof(buf), "sent %ld, accepted %ld, rejected %ld, "
		 "changes %ld, skipped %ld", rep->sent, rep->accepted,
		 rep->rejected, rep->changes, rep->skipped);
	store_state_set(ctx->st, "last_result", buf, now);
	if (code == SYNC_EXIT_OK) {
		store_state_set(ctx->st, "last_sync", t, now);
		store_state_set(ctx->st, "last_error", NULL, now);
		store_state_set(ctx->st, "auth_stopped", NULL, now);
	} else {
		snprintf(buf, sizeof(buf), "%s %s", t, rep->error);
		store_state_set(ctx->st, "last_error", buf, now);
		store_state_set(ctx->st, "auth_stopped",
				code == SYNC_EXIT_AUTH ? "1" : NULL, now);
	}
	if (rep->warning[0])
		store_state_set(ctx->st, "last_warning", rep->warning, now);
	snprintf(buf, sizeof(buf), "%ld", rep->retry_after);
	store_state_set(ctx->st, "retry_after", rep->retry_after > 0 ? buf :
			NULL, now);
}
