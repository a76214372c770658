/* SPDX-License-Identifier: MIT */
/*
 * auth - tokens, sessions, one-time codes, rate limit.  See auth.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "gateway/outq.h"
#include "jifen-web/auth.h"
#include "storage/phone.h"
#include "storage/village.h"

int auth_random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	size_t i;
	ssize_t n;

	if (nbytes > sizeof(r))
		return -EINVAL;
	n = getrandom(r, nbytes, 0);
	if (n < 0 || (size_t)n != nbytes)
		return n < 0 ? -errno : -EIO;
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
	out[2 * nbytes] = '\0';
	return 0;
}

int auth_limited(struct store *st, const char *key, int64_t now,
		 bool *limited)
{
	long n = 0;
	int rc;

	rc = store_web_login_count(st, key, now - AUTH_FAIL_WINDOW, &n);
	*limited = n >= AUTH_FAIL_MAX;
	return rc;
}

int auth_session_start(struct store *st, const char *who,
		       enum store_web_role role, int64_t now, char *token,
		       struct store_web_session *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->who, sizeof(s->who), "%s", who);
	s->role = role;
	s->expires_at = now + AUTH_SESSION_TTL;
	rc = auth_random_hex(token, 32);
	if (!rc)
		rc = auth_random_hex(s->csrf, 32);
	if (!rc)
		rc = store_web_session_add(st, token, s, now);
	if (!rc)
		rc = store_audit(st, now, who, "web.login",
				 role == STORE_WEB_CLERK ? "clerk" :
				 "committee");
	return rc;
}

static int committee_cb(const struct store_member *m, void *data)
{
	if (m->role == STORE_COMMITTEE)
		*(bool *)data = true;
	return 0;
}

int auth_send_code(struct store *st, const struct config *cfg,
		   const char *phone, int64_t now, char *num, bool *sent)
{
	char code[8], rnd[9], text[160], key[PHONE_MAX + 8];
	enum outq_verdict v;
	bool committee = false;
	unsigned long x;
	long n = 0;
	int rc;

	*sent = false;
	num[0] = '\0';
	if (!phone || phone_normalize(phone, num, PHONE_MAX) ||
	    !phone_is_e164(num)) {
		num[0] = '\0';
		return 0;
	}
	rc = store_phone_memberships(st, num, committee_cb, &committee);
	if (rc || !committee)
		return rc;
	snprintf(key, sizeof(key), "code:%s", num);
	rc = store_web_login_count(st, key, now - AUTH_FAIL_WINDOW, &n);
	if (rc || n >= AUTH_CODES_MAX)
		return rc;
	rc = outq_allowed(st, num, now, &v);
	if (rc || v != OUTQ_ALLOWED)
		return rc;
	rc = auth_random_hex(rnd, 4);
	if (rc)
		return rc;
	sscanf(rnd, "%8lx", &x);
	snprintf(code, sizeof(code), "%06lu", x % 1000000);
	snprintf(text, sizeof(text), cfg->sms.language == CONFIG_LANG_EN ?
		 "Console login code: %s (5 minutes). Never tell anyone." :
		 "村务网页登录验证码: %s,5分钟内有效,请勿告诉他人。", code);
	rc = store_begin(st);
	if (rc)
		return rc;
	rc = store_web_code_set(st, num, code, now + AUTH_CODE_TTL);
	if (!rc)
		rc = store_web_login_note(st, key, now);
	if (!rc)
		rc = outq_add(st, cfg, num, text, STORE_OUT_ALERT, 0, now, NULL);
	if (!rc)
		rc = store_audit(st, now, num, "web.code", "login code sent");
	if (rc) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st);
	*sent = rc == 0;
	return rc;
}
