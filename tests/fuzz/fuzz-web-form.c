/* SPDX-License-Identifier: MIT */
/*
 * fuzz-web-form - arbitrary bytes through jifen-web's form parser
 * (urlencoded and multipart bodies) and the USSD request: never crash,
 * everything parsed is valid text, and a USSD answer is always
 * "CON ..."/"END ..." inside its buffer or a refusal (400).
 *
 * Input: the first byte picks the mode; the rest is the body.
 *   0  urlencoded body, then the USSD request made from its fields
 *   1  multipart/form-data body with boundary "b"
 *   2  multipart/form-data whose Content-Type is the body's first line
 *   3  a URL path or query value through form_unescape_inplace
 * The USSD answers run against a small village in a temporary store
 * made once per process.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "jifen-web/form.h"
#include "jifen-web/ussd.h"
#include "storage/store.h"
#include "storage/village.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct store *g_st;
static struct config g_cfg;
static struct ussd *g_ussd;
static int64_t g_now = 1796000000;

static char g_dir[] = "/tmp/fuzz-web-form.XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = { "j.db", "j.db-wal", "j.db-shm" };
	char path[64];
	size_t i;

	store_close(g_st);
	ussd_free(g_ussd);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", g_dir, files[i]);
		unlink(path);
	}
	rmdir(g_dir);
}

static void setup(void)
{
	char *dir = g_dir, path[64];
	struct store_record_new r;
	int e;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/j.db", dir);
	g_st = store_open(path, &e);
	check(g_st != NULL);
	store_set_durable(g_st, false);
	config_defaults(&g_cfg);
	snprintf(g_cfg.village.id, sizeof(g_cfg.village.id), "v1");
	snprintf(g_cfg.village.name, sizeof(g_cfg.village.name), "友谊村");
	g_cfg.sms.quiet_enabled = false;
	g_cfg.sms.per_number_per_hour = 1000;
	check(!store_household_upsert(g_st, "H01", "文家", g_now, NULL));
	check(!store_household_upsert(g_st, "H03", "曾家", g_now, NULL));
	check(!store_phone_bind(g_st, "13800000001", "H01", NULL,
				STORE_VILLAGER, NULL, g_now, NULL));
	check(!store_phone_bind(g_st, "13900000009", "H03", NULL,
				STORE_COMMITTEE, NULL, g_now, NULL));
	memset(&r, 0, sizeof(r));
	r.household = "H01";
	r.points = 5;
	r.reason = "清扫";
	r.status = STORE_PENDING;
	r.by = "fuzz";
	r.now = g_now;
	check(!store_record_add(g_st, &r, NULL, NULL));
	g_ussd = ussd_new();
	check(g_ussd != NULL);
	atexit(cleanup);
}

static void check_fields(const struct form *f)
{
	static const char *const names[] = { "sessionId", "phoneNumber",
					     "text", "csv", "a", "b" };
	size_t i;
	const char *v;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = form_get(f, names[i]);
		if (v)
			check(form_text_ok(v, strlen(v)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form *f;
	const char *body;
	char ctype[200], out[USSD_REPLY_MAX];
	size_t len, n;
	int rc;

	if (size < 1 || size > 8192)
		return 0;
	if (!g_st)
		setup();
	body = (const char *)data + 1;
	len = size - 1;
	f = form_new();
	check(f != NULL);
	switch (data[0] % 4) {
	case 0: {
		struct ussd_req req;
		bool queued;

		if (form_parse_urlencoded(f, body, len))
			break;
		check_fields(f);
		req.session_id = form_get(f, "sessionId");
		req.service_code = form_get(f, "serviceCode");
		req.phone = form_get(f, "phoneNumber");
		req.text = form_get(f, "text");
		if (!req.service_code)
			req.service_code = "";
		out[0] = '\0';
		rc = ussd_answer(g_ussd, g_st, &g_cfg, g_now++, &req, out,
				 sizeof(out), &queued);
		check(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			check(strlen(out) < sizeof(out));
			check(!strncmp(out, "CON ", 4) || !strncmp(out, "END ", 4));
		}
		break;
	}
	case 1:
		if (!form_parse_multipart(f, "multipart/form-data; boundary=b",
					  body, len))
			check_fields(f);
		break;
	case 3: {
		char *u = malloc(len + 1);
		size_t orig, k;

		check(u != NULL);
		memcpy(u, body, len);
		u[len] = '\0';
		orig = strlen(u);
		n = form_unescape_inplace(u);
		check(n == strlen(u) && n <= (orig ? orig : 0) + 1);
		/* either refused as "\x01" or free of control bytes */
		if (strcmp(u, "\x01"))
			for (k = 0; k < n; k++)
				check((unsigned char)u[k] >= 0x20 &&
				      u[k] != 0x7f);
		free(u);
		break;
	}
	default:
		{
			const char *nl = memchr(body, '\n', len);

			if (!nl)
				break;
			n = (size_t)(nl - body);
		}
		if (n >= sizeof(ctype) || memchr(body, '\0', n))
			break;
		memcpy(ctype, body, n);
		ctype[n] = '\0';
		if (!form_parse_multipart(f, ctype, body + n + 1, len - n - 1))
			check_fields(f);
		break;
	}
	form_free(f);
	return 0;
}
