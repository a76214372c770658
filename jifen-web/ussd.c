/* SPDX-License-Identifier: MIT */
/*
 * ussd - the USSD menu driven through the SMS handlers.  See ussd.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/handlers.h"
#include "jifen-web/form.h"
#include "jifen-web/ussd.h"
#include "storage/phone.h"
#include "storage/village.h"

#define USSD_SESSIONS	256
#define SID_MAX		65

struct ussd_session {
	char id[SID_MAX];
	char phone[PHONE_MAX];
	int64_t first;
};

struct ussd {
	struct ussd_session s[USSD_SESSIONS];
};

struct ussd *ussd_new(void)
{
	return calloc(1, sizeof(struct ussd));
}

void ussd_free(struct ussd *u)
{
	free(u);
}

static bool sid_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n == 0 || n >= SID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}

static bool code_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n <= 32 && strspn(s ? s : "", "0123456789*#") == n;
}

/* Find or open the session; -EINVAL when another phone holds it,
 * -ETIMEDOUT when it is older than USSD_SESSION_TTL (then forgotten). */
static int session(struct ussd *u, const char *id, const char *phone,
		   int64_t now)
{
	struct ussd_session *oldest = &u->s[0];
	int i;

	for (i = 0; i < USSD_SESSIONS; i++) {
		struct ussd_session *s = &u->s[i];

		if (!s->id[0] || now - s->first > USSD_SESSION_TTL * 4) {
			s->id[0] = '\0';	/* long dead: reuse */
			if (oldest->id[0])
				oldest = s;
			continue;
		}
		if (!strcmp(s->id, id)) {
			if (strcmp(s->phone, phone))
				return -EINVAL;
			if (now - s->first > USSD_SESSION_TTL) {
				s->id[0] = '\0';
				return -ETIMEDOUT;
			}
			return 0;
		}
		if (oldest->id[0] && s->first < oldest->first)
			oldest = s;
	}
	snprintf(oldest->id, sizeof(oldest->id), "%s", id);
	snprintf(oldest->phone, sizeof(oldest->phone), "%s", phone);
	oldest->first = now;
	return 0;
}

/* Run TEXT as if PHONE had sent it by SMS; the reply into OUT. */
static int run(struct store *st, const struct config *cfg, int64_t now,
	       const char *phone, const char *text, char *out, size_t len,
	       bool *queued)
{
	struct handler_ctx ctx = { .st = st, .cfg = cfg, .now = now };
	struct store_inbox_msg msg;
	struct handler_result res;
	char reply[USSD_REPLY_MAX - 8];
	int rc;

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.sender, sizeof(msg.sender), "%s", phone);
	snprintf(msg.alphabet, sizeof(msg.alphabet), "ucs2");
	msg.msg_class = -1;
	msg.received_at = now;
	msg.text = (char *)text;
	reply[0] = '\0';
	rc = store_begin(st);
	if (rc)
		return rc;
	rc = handler_sms_capture(&ctx, &msg, &res, reply, sizeof(reply));
	if (rc) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st);
	if (rc)
		return rc;
	if (res.notified > 0 || res.kind == CMD_SAY)
		*queued = true;
	if (res.outcome != HANDLER_REPLIED || !reply[0])
		snprintf(reply, sizeof(reply), "%s",
			 cfg->sms.language == CONFIG_LANG_EN ?
			 "Not available for this number now." :
			 "本号码暂不能使用此服务,请联系村委会。");
	snprintf(out, len, "END %s", reply);
	return 0;
}

static int is_committee_cb(const struct store_member *m, void *data)
{
	if (m->role == STORE_COMMITTEE)
		*(bool *)data = true;
	return 0;
}

/* Pending items PHONE may review (not of its own households). */
struct reviewable {
	char own[8][STORE_ID_MAX];
	int nown;
	long n;
};

static int own_cb(const struct store_member *m, void *data)
{
	struct reviewable *r = data;

	if (r->nown < 8)
		snprintf(r->own[r->nown++], STORE_ID_MAX, "%s", m->household);
	return 0;
}

static int pending_cb(const struct store_record *rec, void *data)
{
	struct reviewable *r = data;
	int i;

	for (i = 0; i < r->nown; i++)
		if (!strcmp(r->own[i], rec->household))
			return 0;
	r->n++;
	return 0;
}

static int count_reviewable(struct store *st, const char *phone, long *n)
{
	struct store_record_filter f = { NULL, STORE_PENDING, false, 0 };
	struct reviewable r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = store_phone_memberships(st, phone, own_cb, &r);
	if (!rc)
		rc = store_records_list(st, &f, pending_cb, &r);
	*n = r.n;
	return rc;
}

static bool all_digits(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

int ussd_answer(struct ussd *u, struct store *st, const struct config *cfg,
		int64_t now, const struct ussd_req *req, char *out,
		size_t len, bool *queued)
{
	bool en = cfg->sms.language == CONFIG_LANG_EN, committee = false;
	bool q = false;
	char phone[PHONE_MAX], buf[USSD_TEXT_MAX + 1], cmd[USSD_TEXT_MAX + 64];
	char *f[4] = { NULL, NULL, NULL, NULL }, *p, *last;
	const char *text;
	int nf = 0, rc;

	if (queued)
		*queued = false;
	if (!u || !req || !sid_ok(req->session_id) ||
	    !code_ok(req->service_code) || !req->phone ||
	    phone_normalize(req->phone, phone, sizeof(phone)) ||
	    !phone_is_e164(phone))
		return -EINVAL;
	text = req->text ? req->text : "";
	if (strlen(text) > USSD_TEXT_MAX ||
	    !form_text_ok(text, strlen(text)) || strpbrk(text, "\r\n\t"))
		return -EINVAL;
	rc = session(u, req->session_id, phone, now);
	if (rc == -ETIMEDOUT) {
		snprintf(out, len, "END %s", en ?
			 "Session timed out, please dial again." :
			 "会话已超时,请重新拨打。");
		return 0;
	}
	if (rc)
		return rc;
	rc = store_phone_memberships(st, phone, is_committee_cb, &committee);
	if (rc)
		return rc;
	/* split "a*b*c": the 说事 text and a reason may hold '*' */
	snprintf(buf, sizeof(buf), "%s", text);
	p = buf;
	while (*p && nf < 4) {
		f[nf++] = p;
		if (nf == 4)
			break;
		last = strchr(p, '*');
		if (!last)
			break;
		*last = '\0';
		p = last + 1;
		if (!*p) {		/* trailing '*': an empty answer */
			f[nf++] = p;
			break;
		}
	}
	if (nf == 0) {
		snprintf(out, len, "CON %s%s\n%s%s",
			 cfg->village.name, en ? " points" : "积分",
			 en ? "1 Points\n2 Loan rate\n3 Records\n4 Raise a matter"
			    : "1 积分\n2 利率\n3 明细\n4 说事",
			 committee ? (en ? "\n5 To review" : "\n5 待审") : "");
		return 0;
	}
	if (!strcmp(f[0], "1") && nf == 1)
		return run(st, cfg, now, phone, "积分", out, len, queued);
	if (!strcmp(f[0], "3") && nf == 1)
		return run(st, cfg, now, phone, "明细", out, len, queued);
	if (!strcmp(f[0], "2")) {
		if (nf == 1) {
			snprintf(out, len, "CON %s", en ?
				 "Loan amount in 10,000 yuan (0: rate only):" :
				 "请输入贷款金额(万元),只查利率输入0:");
			return 0;
		}
		if (nf == 2 && all_digits(f[1], 4)) {
			if (atoi(f[1]) == 0)
				snprintf(cmd, sizeof(cmd), "利率");
			else
				snprintf(cmd, sizeof(cmd), "利率 %d",
					 atoi(f[1]));
			return run(st, cfg, now, phone, cmd, out, len, queued);
		}
		goto bad_choice;
	}
	if (!strcmp(f[0], "4")) {
		if (nf == 1) {
			snprintf(out, len, "CON %s", en ?
				 "Type your matter:" : "请输入要说的事:");
			return 0;
		}
		/* the text is everything between "4*" and a final "*1" */
		if (nf >= 2 && !*f[1])
			goto bad_choice;
		{
			const char *t = text + 2, *star = strrchr(text, '*');
			size_t tl;

			if (star == text + 1) {		/* "4*TEXT" */
				snprintf(out, len, "CON %s%s\n%s", en ?
					 "You say: " : "您要说:", t, en ?
					 "1 Send\n2 Cancel" : "1 确认提交\n2 取消");
				return 0;
			}
			tl = (size_t)(star - t);
			if (!strcmp(star + 1, "1")) {
				snprintf(cmd, sizeof(cmd), "说事 %.*s",
					 (int)tl, t);
				rc = run(st, cfg, now, phone, cmd, out, len, &q);
				if (queued)
					*queued = q;
				return rc;
			}
			if (!strcmp(star + 1, "2")) {
				snprintf(out, len, "END %s", en ?
					 "Cancelled." : "已取消。");
				return 0;
			}
			/* "4*a*b": a text holding '*' not yet confirmed */
			snprintf(out, len, "CON %s%s\n%s", en ? "You say: " :
				 "您要说:", t, en ? "1 Send\n2 Cancel" :
				 "1 确认提交\n2 取消");
			return 0;
		}
	}
	if (!strcmp(f[0], "5")) {
		if (nf == 1 || !committee) {
			if (nf > 1)
				goto bad_choice;
			long n = 0;

			rc = run(st, cfg, now, phone, "待审", out, len, queued);
			if (rc || !committee)
				return rc;
			rc = count_reviewable(st, phone, &n);
			if (rc || n == 0)	/* nothing to review: the end */
				return rc;
			/* keep the session: ask for a number */
			memcpy(out, "CON", 3);
			snprintf(out + strlen(out), len - strlen(out), "\n%s",
				 en ? "Number to review:" : "输入编号审核:");
			return 0;
		}
		if (!all_digits(f[1], 9))
			goto bad_choice;
		if (nf == 2) {
			snprintf(out, len, "CON %s%s\n%s", en ? "Item " :
				 "编号", f[1], en ? "1 Approve\n2 Reject" :
				 "1 确认\n2 驳回");
			return 0;
		}
		if (!strcmp(f[2], "1")) {
			if (nf == 3 && cfg->committee.require_pin) {
				snprintf(out, len, "CON %s", en ?
					 "Your PIN:" : "请输入PIN:");
				return 0;
			}
			if (nf == 3)
				snprintf(cmd, sizeof(cmd), "确认 %s", f[1]);
			else if (nf == 4 && all_digits(f[3], 8))
				snprintf(cmd, sizeof(cmd), "确认 %s %s", f[1],
					 f[3]);
			else
				goto bad_choice;
			return run(st, cfg, now, phone, cmd, out, len, queued);
		}
		if (!strcmp(f[2], "2")) {
			const char *reason;

			if (nf == 3) {
				snprintf(out, len, "CON %s", en ?
					 "Reason for rejecting:" :
					 "请输入驳回理由:");
				return 0;
			}
			/* the reason is everything after "5*N*2*" */
			reason = text + strlen(f[0]) + strlen(f[1]) + 4;
			if (!*reason)
				goto bad_choice;
			snprintf(cmd, sizeof(cmd), "驳回 %s %s", f[1], reason);
			return run(st, cfg, now, phone, cmd, out, len, queued);
		}
		goto bad_choice;
	}
bad_choice:
	snprintf(out, len, "END %s", en ? "Invalid choice, please dial again." :
		 "输入有误,请重新拨打。");
	return 0;
}
