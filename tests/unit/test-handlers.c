/* SPDX-License-Identifier: MIT */
/*
 * test-handlers - the SMS handlers and the rules of SPEC section 6,
 * against a real store in a temporary file, through the same steps the
 * daemon takes: store_inbox_add -> store_inbox_next_ready -> store_begin
 * -> handler_sms -> store_inbox_done -> store_commit; the replies and
 * notifications are read back from the outbox and their PDUs decoded.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "gateway/handlers.h"
#include "gateway/outq.h"
#include "gateway/reply.h"
#include "modem/pdu.h"
#include "storage/msgq.h"
#include "storage/store.h"
#include "storage/sync.h"
#include "storage/village.h"

/* 2026-11-28 10:00 Asia/Shanghai */
#define T0		1795831200LL
#define T_22H		1795874400LL	/* 2026-11-28 22:00 */
#define T_NEXT_8H	1795910400LL	/* 2026-11-29 08:00 */
#define T_0759		1795823940LL	/* 2026-11-28 07:59 */
#define DAY		86400LL

/* The village */
#define ZHANG	"+8613800000001"	/* 张三户 (h1), villager */
#define ZHANG2	"+8613800000011"	/* 张三户 (h1), second phone */
#define LI	"+8613800000002"	/* 李四户 (h2), villager */
#define WANG	"+8613900000009"	/* 王五户 (h3), committee, PIN 1234 */
#define ZHAO	"+8613900000008"	/* 赵六户 (h4), committee, no PIN */
#define BOTH	"+8613700000007"	/* bound to h1 and h2 */
#define STRANGER "+8613600000000"	/* not registered */

struct env {
	char dir[64], path[96];
	struct store *st;
	struct config cfg;
	int64_t now;
	long long rec_h1_pending;	/* +5 清扫门前 */
	long long rec_h2_pending;	/* +10 好人好事 */
	long long rec_h3_pending;	/* +3 参加会议 (Wang's own) */
	long long rec_h1_old;		/* final +500 */
	int scts;			/* makes every inbound part unique */
};

#define MAX_SENT 64
struct sent {
	long long msg_id;
	char to[STORE_SENDER_MAX];
	enum store_out_kind kind;
	int nparts;
	int ref;		/* concatenation reference, -1 single */
	char text[2048];
};

static struct env *E;

/* ---- fixture ------------------------------------------------------- */

static long long add_rec(const char *hh, long long pts, const char *why,
			 enum store_rstatus s)
{
	struct store_record_new r = { 0 };
	long long no = 0;

	r.household = hh;
	r.points = pts;
	r.reason = why;
	r.status = s;
	r.by = "console";
	r.now = E->now - DAY;
	assert_int_equal(store_record_add(E->st, &r, &no, NULL), 0);
	return no;
}

static int setup(void **state)
{
	struct store *st;
	int err = 0;

	E = calloc(1, sizeof(*E));
	assert_non_null(E);
	strcpy(E->dir, "/tmp/test-handlers-XXXXXX");
	assert_non_null(mkdtemp(E->dir));
	snprintf(E->path, sizeof(E->path), "%s/jifen.db", E->dir);
	st = store_open(E->path, &err);
	assert_non_null(st);
	E->st = st;
	E->now = T0;
	config_defaults(&E->cfg);
	strcpy(E->cfg.village.id, "510681-sanshui-youyi");
	strcpy(E->cfg.modem.device, "/dev/null");
	strcpy(E->cfg.storage.path, E->path);

	assert_int_equal(store_household_upsert(st, "h1", "张三", T0 - 9 * DAY, NULL), 0);
	assert_int_equal(store_household_upsert(st, "h2", "李四", T0 - 9 * DAY, NULL), 0);
	assert_int_equal(store_household_upsert(st, "h3", "王五", T0 - 9 * DAY, NULL), 0);
	assert_int_equal(store_household_upsert(st, "h4", "赵六", T0 - 9 * DAY, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13800000001", "h1", "张三", STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13800000011", "h1", "张小三", STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13800000002", "h2", "李四", STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13900000009", "h3", "王五", STORE_COMMITTEE, "1234", T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13900000008", "h4", "赵六", STORE_COMMITTEE, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13700000007", "h1", "张三", STORE_VILLAGER, NULL, T0, NULL), 0);
	assert_int_equal(store_phone_bind(st, "13700000007", "h2", "李四", STORE_VILLAGER, NULL, T0, NULL), 0);

	E->rec_h1_old = add_rec("h1", 500, "年初结转", STORE_FINAL);
	add_rec("h1", 83, "环境整治", STORE_FINAL);
	add_rec("h2", 120, "年初结转", STORE_FINAL);
	add_rec("h3", 90, "年初结转", STORE_FINAL);
	E->rec_h1_pending = add_rec("h1", 5, "清扫门前", STORE_PENDING);
	E->rec_h2_pending = add_rec("h2", 10, "好人好事", STORE_PENDING);
	E->rec_h3_pending = add_rec("h3", 3, "参加会议", STORE_PENDING);
	if (state)
		*state = E;
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	store_close(E->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", E->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", E->dir);
	free(E);
	E = NULL;
	return 0;
}

/* ---- driving the pipeline ------------------------------------------ */

static struct handler_ctx ctx(void)
{
	struct handler_ctx c = { E->st, &E->cfg, E->now };

	return c;
}

/* Deliver TEXT from SENDER with ALPHABET, handle it like jifend does. */
static int sms_alpha(const char *sender, const char *text, const char *alpha,
		     struct handler_result *res)
{
	struct store_inbox_part p = { 0 };
	struct store_inbox_msg m = { 0 };
	struct handler_ctx c = ctx();
	char scts[40];
	int rc;

	snprintf(scts, sizeof(scts), "2026-11-28T10:%02d:%02d+08:00",
		 (E->scts / 60) % 60, E->scts % 60);
	E->scts++;
	p.sender = sender;
	p.scts = scts;
	p.scts_epoch = E->now;
	p.text = text;
	p.alphabet = alpha;
	p.msg_class = -1;
	p.pdu = "00";
	assert_int_equal(store_inbox_add(E->st, &p, 1, E->now, NULL), 0);
	assert_int_equal(store_inbox_next_ready(E->st, E->now, 600, &m), 0);
	assert_int_equal(store_begin(E->st), 0);
	rc = handler_sms(&c, &m, res);
	if (rc) {
		store_rollback(E->st);
	} else {
		assert_int_equal(store_inbox_done(E->st, &m, E->now), 0);
		assert_int_equal(store_commit(E->st), 0);
	}
	store_inbox_msg_release(&m);
	return rc;
}

static enum handler_outcome sms(const char *sender, const char *text)
{
	struct handler_result r;

	assert_int_equal(sms_alpha(sender, text, "ucs2", &r), 0);
	return r.outcome;
}

/*
 * Take every message due at AT out of the outbox (marking its parts
 * sent), decoding and joining the parts.  Returns the count.
 */
static int drain(int64_t at, struct sent *out, int max)
{
	struct store_out_part p;
	struct sms_pdu *pdu = malloc(sizeof(*pdu));
	const char *why;
	int n = 0, i, rc;

	assert_non_null(pdu);
	for (;;) {
		rc = store_outbox_next_due(E->st, at, &p);
		if (rc == -ENOENT)
			break;
		assert_int_equal(rc, 0);
		assert_int_equal(pdu_decode_hex(p.pdu, true, pdu, &why), 0);
		assert_int_equal(pdu->type, PDU_TYPE_SUBMIT);
		assert_true(pdu->srr);
		for (i = 0; i < n; i++)
			if (out[i].msg_id == p.msg_id)
				break;
		if (i == n) {
			assert_true(n < max);
			memset(&out[n], 0, sizeof(out[n]));
			out[n].msg_id = p.msg_id;
			strcpy(out[n].to, p.to);
			out[n].kind = p.kind;
			out[n].ref = pdu->concat.present ? pdu->concat.ref : -1;
			n++;
		}
		/* parts come in seq order */
		strcat(out[i].text, pdu->text);
		out[i].nparts++;
		if (getenv("TEST_HANDLERS_SHOW"))
			fprintf(stderr, "# -> %s [%d/%d] %s\n", p.to, p.seq,
				p.total, pdu->text);
		assert_true(p.total <= E->cfg.sms.max_parts);
		assert_int_equal(p.seq, out[i].nparts);
		assert_int_equal(store_outbox_part_sent(E->st, p.id, p.seq, at), 0);
	}
	free(pdu);
	return n;
}

static struct sent S[MAX_SENT];

/* Exactly one message due now, to TO, of KIND: its text. */
static const char *only(const char *to, enum store_out_kind kind)
{
	int n = drain(E->now, S, MAX_SENT);

	if (n != 1) {
		int i;

		for (i = 0; i < n; i++)
			fprintf(stderr, "  sent to %s: %s\n", S[i].to, S[i].text);
	}
	assert_int_equal(n, 1);
	assert_string_equal(S[0].to, to);
	assert_int_equal(S[0].kind, kind);
	return S[0].text;
}

/* The single reply to TO for the last message (nothing else due). */
static const char *reply_to(const char *to)
{
	return only(to, STORE_OUT_REPLY);
}

/* The message to TO of KIND among the last drain (S), or fail. */
static const char *sent_to(const char *to, enum store_out_kind kind)
{
	int i;

	for (i = 0; i < MAX_SENT && S[i].msg_id; i++)
		if (!strcmp(S[i].to, to) && S[i].kind == kind)
			return S[i].text;
	fail_msg("nothing of kind %d to %s", kind, to);
	return "";
}

static void nothing_due(int64_t at)
{
	struct store_out_part p;

	assert_int_equal(store_outbox_next_due(E->st, at, &p), -ENOENT);
}

#define assert_has(hay, needle) do {					\
	const char *h_ = (hay);						\
	if (!strstr(h_, (needle)))					\
		fail_msg("\"%s\" lacks \"%s\"", h_, (needle));		\
} while (0)
#define assert_lacks(hay, needle) do {					\
	const char *h_ = (hay);						\
	if (strstr(h_, (needle)))					\
		fail_msg("\"%s\" has \"%s\"", h_, (needle));		\
} while (0)

static struct store_balance balance(const char *hh)
{
	struct store_balance b;

	assert_int_equal(store_household_balance(E->st, hh, &b), 0);
	return b;
}

static enum store_rstatus status_of(long long no)
{
	struct store_record r;

	assert_int_equal(store_record_get(E->st, no, &r), 0);
	return r.status;
}

struct evcount {
	const char *type;
	int n;
	char last_body[1024];
};

/* The event's columns, space-separated, stand for its body. */
static int ev_cb(const struct store_event *e, void *data)
{
	struct evcount *c = data;

	if (!strcmp(e->type, c->type)) {
		c->n++;
		snprintf(c->last_body, sizeof(c->last_body),
			 "%s %s %lld %s %s %s", e->ref ? e->ref : "",
			 e->household ? e->household : "", e->points,
			 e->state ? e->state : "", e->actor ? e->actor : "",
			 e->text ? e->text : "");
	}
	return 0;
}

static int events(const char *type, char *body, size_t len)
{
	struct evcount c = { .type = type };

	assert_int_equal(store_events_unsent(E->st, 1000, ev_cb, &c), 0);
	if (body)
		snprintf(body, len, "%s", c.last_body);
	return c.n;
}

static char num[32];
static const char *no_str(const char *fmt, long long no)
{
	snprintf(num, sizeof(num), fmt, no);
	return num;
}

/* ---- 积分 / 利率 / 明细 / 帮助 / 说事 ------------------------------------ */

static void test_points_single_household(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, "583");
	assert_has(t, "待审+5");
	assert_has(t, "第1名");
	assert_lacks(t, "李四");
}

static void test_points_digit_and_raw_number(void **state)
{
	(void)state;
	/* the sender as the modem gives it, not normalised */
	assert_int_equal(sms("13800000001", "1"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "583");
}

static void test_points_only_own_household(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(LI, "积分"), HANDLER_REPLIED);
	t = reply_to(LI);
	assert_has(t, "120");
	assert_lacks(t, "583");
}

static void test_points_multi_household(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(BOTH, "JF"), HANDLER_REPLIED);
	t = reply_to(BOTH);
	assert_has(t, "张三");
	assert_has(t, "583");
	assert_has(t, "李四");
	assert_has(t, "120");
	assert_true(S[0].nparts <= E->cfg.sms.max_parts);
}

static void test_rate_and_log_multi_household(void **state)
{
	struct handler_result r;
	const char *t;

	(void)state;
	assert_int_equal(sms_alpha(BOTH, "利率", "ucs2", &r), 0);
	assert_true(r.known);
	assert_false(r.committee);
	t = reply_to(BOTH);
	assert_has(t, "张三：积分583分");
	assert_has(t, "李四：积分120分");
	assert_has(t, "4.42%");
	assert_has(t, "4.88%");		/* 120 points: 0.12 pp off */
	assert_int_equal(sms(BOTH, "明细"), HANDLER_REPLIED);
	t = reply_to(BOTH);
	assert_has(t, no_str("#%lld", E->rec_h2_pending));
	assert_has(t, no_str("#%lld", E->rec_h1_pending));
	assert_lacks(t, "参加会议");	/* h3's */
}

static void test_points_show_publicity(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "公示中+5");
}

static void test_rate_30_wan(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "利率 30"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, "4.42%");
	assert_has(t, "1,740");
	assert_has(t, "以银行审批为准");
	assert_int_equal(S[0].nparts, 1);
}

static void test_rate_without_principal(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "2"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, "4.42%");
	assert_has(t, "0.58");
	assert_lacks(t, "1,740");
}

static void test_rate_score_approved(void **state)
{
	(void)state;
	/* +5 in 公示 counts with loan.score = approved: 588 -> 4.41% */
	E->cfg.loan.score = CONFIG_SCORE_APPROVED;
	assert_int_equal(sms(ZHAO, no_str("QR%lld", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_int_equal(sms(ZHANG, "利率"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "4.41%");
	E->cfg.loan.score = CONFIG_SCORE_FINAL;
	assert_int_equal(sms(ZHANG, "利率 10"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "4.42%");
}

/* The platform's loan policy (sync) replaces the config's loan keys. */
static void test_rate_platform_policy(void **state)
{
	struct store_loan_policy p = {
		.base_rate = 4.0, .mode = 0, .step_points = 100,
		.step_discount = 0.2, .max_discount = 2.0, .floor_rate = 0.0,
		.score = 0,
	};

	(void)state;
	assert_int_equal(store_policy_set(E->st, &p, E->now), 0);
	/* 583 x 0.2 / 100 = 1.166 pp off 4.0% */
	assert_int_equal(sms(ZHANG, "利率"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "2.83%");
	E->cfg.loan.base_rate = 9.0;	/* the config no longer counts */
	assert_int_equal(sms(ZHANG, "利率 10"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "2.83%");
	E->cfg.loan.base_rate = 5.0;
}

static void test_log_last_three(void **state)
{
	const char *t;

	(void)state;
	add_rec("h1", 2, "修路帮工", STORE_PENDING);
	assert_int_equal(sms(ZHANG, "明细"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, no_str("#%lld", E->rec_h1_pending));
	assert_lacks(t, no_str("#%lld", E->rec_h1_old));	/* 4th newest */
	assert_lacks(t, "好人好事");				/* h2's */
}

static void test_help_villager_and_committee(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "帮助"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, "1积分");
	assert_lacks(t, "待审");
	assert_int_equal(sms(WANG, "?"), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "待审");
}

static void test_say_files_matter(void **state)
{
	char body[1024];
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "说事 村口路灯坏了"), HANDLER_REPLIED);
	/* the villager's ticket, and every committee member is told: the
	 * household named, the number not shown */
	assert_int_equal(drain(E->now, S, MAX_SENT), 3);
	t = sent_to(ZHANG, STORE_OUT_REPLY);
	assert_has(t, "M1");
	assert_has(sent_to(WANG, STORE_OUT_NOTIFY), "张三户");
	t = sent_to(ZHAO, STORE_OUT_NOTIFY);
	assert_has(t, "村口路灯坏了");
	assert_has(t, "M1");
	assert_lacks(t, "13800000001");
	assert_int_equal(events("matter.new", body, sizeof(body)), 1);
	assert_has(body, "村口路灯坏了");
	assert_has(body, "h1");
}

/* A member's answer reaches the villager; 办结 closes and tells. */
static void test_matter_reply_and_close(void **state)
{
	struct store_matter m;
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "说事 村口路灯坏了"), HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	E->now += 60;
	/* a villager cannot answer */
	assert_int_equal(sms(LI, "回复 M1 我来修"), HANDLER_REPLIED);
	assert_has(reply_to(LI), "委员");
	assert_int_equal(sms(WANG, "回复 M1 明天派电工来修"), HANDLER_REPLIED);
	assert_int_equal(drain(E->now, S, MAX_SENT), 2);
	assert_has(sent_to(WANG, STORE_OUT_REPLY), "M1");
	t = sent_to(ZHANG, STORE_OUT_NOTIFY);
	assert_has(t, "村委会");
	assert_has(t, "明天派电工来修");
	assert_int_equal(store_matter_get(E->st, 1, &m), 0);
	assert_int_equal(m.state, STORE_MATTER_ANSWERED);
	/* 待审 lists the open matter */
	assert_int_equal(sms(ZHAO, "待审"), HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "M1");
	assert_int_equal(sms(ZHAO, "办结 M1"), HANDLER_REPLIED);
	assert_int_equal(drain(E->now, S, MAX_SENT), 2);
	assert_has(sent_to(ZHANG, STORE_OUT_NOTIFY), "办结");
	assert_int_equal(store_matter_get(E->st, 1, &m), 0);
	assert_int_equal(m.state, STORE_MATTER_CLOSED);
	/* closed: no more answers; unknown ones alike */
	assert_int_equal(sms(ZHAO, "回复 M1 再看看"), HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "没有未办结的M1");
	assert_int_equal(sms(ZHAO, "办结 M99"), HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "M99");
}

/* Put record NO in 公示 (approved by ZHAO), notifications drained. */
static void approve_now(long long no)
{
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", no)), HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
}

static void test_objection_stops_publicity_then_upheld(void **state)
{
	char body[1024];
	const char *t;
	long n;

	(void)state;
	E->cfg.village.publicity_days = 1;
	approve_now(E->rec_h2_pending);
	E->now += 3600;
	/* 张三 objects to 李四's item */
	assert_int_equal(sms(ZHANG, no_str("异议 %lld 那天他不在村里",
					   E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_OBJECTED);
	/* objector, both committee members, and 李四's phones (LI, BOTH) */
	assert_int_equal(drain(E->now, S, MAX_SENT), 5);
	assert_has(sent_to(ZHANG, STORE_OUT_REPLY), "异议");
	t = sent_to(WANG, STORE_OUT_NOTIFY);
	assert_has(t, "那天他不在村里");
	assert_has(t, "张三户");
	assert_has(sent_to(LI, STORE_OUT_NOTIFY), "暂停");
	assert_int_equal(events("record.objection", body, sizeof(body)), 1);
	assert_has(body, "那天他不在村里");
	assert_has(body, " h1 ");	/* the objector's household column */
	assert_has(body, ZHANG);
	/* the 公示 clock is stopped: nothing finalises past its end */
	E->now += 2 * DAY;
	{
		struct handler_ctx c = ctx();

		assert_int_equal(store_begin(E->st), 0);
		assert_int_equal(handler_finalize_due(&c, &n), 0);
		assert_int_equal(store_commit(E->st), 0);
	}
	assert_int_equal(n, 0);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_OBJECTED);
	/* 待审 shows it to the committee */
	assert_int_equal(sms(WANG, "待审"), HANDLER_REPLIED);
	t = reply_to(WANG);
	assert_has(t, "异议");
	assert_has(t, no_str("#%lld", E->rec_h2_pending));
	/* upheld: 驳回; household and objector are told */
	assert_int_equal(sms(WANG, no_str("驳回 %lld 核实不在村",
					  E->rec_h2_pending)), HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_REJECTED);
	drain(E->now, S, MAX_SENT);
	assert_has(sent_to(ZHANG, STORE_OUT_NOTIFY), "已采纳");
	assert_has(sent_to(LI, STORE_OUT_NOTIFY), "核实不在村");
	assert_int_equal(balance("h2").publicity_points, 0);
}

static void test_objection_not_upheld_resumes_publicity(void **state)
{
	struct store_record r;
	int64_t until;

	(void)state;
	E->cfg.village.publicity_days = 7;
	approve_now(E->rec_h2_pending);
	assert_int_equal(store_record_get(E->st, E->rec_h2_pending, &r), 0);
	until = r.notice_until;
	E->now += DAY;
	assert_int_equal(sms(ZHANG, no_str("异议 %lld 不属实",
					   E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	E->now += 2 * DAY;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_has(sent_to(ZHANG, STORE_OUT_NOTIFY), "未采纳");
	assert_has(sent_to(LI, STORE_OUT_NOTIFY), "恢复公示");
	assert_int_equal(store_record_get(E->st, E->rec_h2_pending, &r), 0);
	assert_int_equal(r.status, STORE_APPROVED);
	/* the two days on hold do not count */
	assert_int_equal(r.notice_until, until + 2 * DAY);
	/* objecting to an item not in 公示 is refused like an unknown id */
	assert_int_equal(sms(ZHANG, no_str("异议 %lld 不对",
					   E->rec_h3_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "没有公示中");
	assert_int_equal(status_of(E->rec_h3_pending), STORE_PENDING);
}

/* 确认 17 18 19: one reply with each id's outcome. */
static void test_batch_approve_one_reply(void **state)
{
	const char *t;
	char msg[96];

	(void)state;
	snprintf(msg, sizeof(msg), "确认 %lld %lld %lld 999", E->rec_h1_pending,
		 E->rec_h2_pending, E->rec_h3_pending);
	assert_int_equal(sms(WANG, msg), HANDLER_REPLIED);
	/* h3 is WANG's own household: refused; 999 does not exist */
	assert_int_equal(status_of(E->rec_h1_pending), STORE_APPROVED);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_APPROVED);
	assert_int_equal(status_of(E->rec_h3_pending), STORE_PENDING);
	drain(E->now, S, MAX_SENT);
	t = sent_to(WANG, STORE_OUT_REPLY);
	assert_has(t, "已确认");
	assert_has(t, "本户");
	assert_has(t, "#999");
}

/* SPEC §6: a member reviewing dozens of items in an hour: every one
 * takes effect; past the cap the confirmations share one SMS. */
static void test_review_never_dropped_by_cap(void **state)
{
	long long nos[30];
	char hh[8];
	int i, replies = 0, merged = 0, n;

	(void)state;
	for (i = 0; i < 30; i++) {
		snprintf(hh, sizeof(hh), "x%d", i % 10);
		assert_int_equal(store_household_upsert(E->st, hh, hh, E->now,
							NULL), 0);
		nos[i] = add_rec(hh, 1, "清扫", STORE_PENDING);
	}
	for (i = 0; i < 30; i++) {
		assert_int_equal(sms(ZHAO, no_str("确认 %lld", nos[i])),
				 HANDLER_REPLIED);
		E->now += 20;	/* 30 in 10 minutes */
	}
	for (i = 0; i < 30; i++)
		assert_int_equal(status_of(nos[i]), STORE_APPROVED);
	n = drain(E->now + HANDLER_MERGE_DELAY, S, MAX_SENT);
	for (i = 0; i < n; i++) {
		if (strcmp(S[i].to, ZHAO))
			continue;
		replies++;
		if (strstr(S[i].text, "合并"))
			merged++;
	}
	assert_int_equal(replies, E->cfg.sms.per_number_per_hour + 1);
	assert_int_equal(merged, 1);
	for (i = 0; i < n; i++)
		if (strstr(S[i].text, "合并"))
			assert_has(S[i].text, no_str("#%lld", nos[29]));
	/* a villager past the cap still gets nothing */
	E->cfg.sms.per_number_per_hour = 1;
	assert_int_equal(sms(LI, "积分"), HANDLER_REPLIED);
	assert_int_equal(sms(LI, "明细"), HANDLER_SILENT_RATE);
}

static void test_pin_lockout(void **state)
{
	int i;
	const char *t;

	(void)state;
	E->cfg.committee.require_pin = true;
	E->cfg.committee.pin_tries = 3;
	for (i = 0; i < 2; i++) {
		assert_int_equal(sms(WANG, no_str("确认 %lld 9999",
						  E->rec_h1_pending)),
				 HANDLER_REPLIED);
		assert_has(reply_to(WANG), "PIN不正确");
	}
	assert_int_equal(sms(WANG, no_str("确认 %lld 9999", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_has(sent_to(WANG, STORE_OUT_ALERT), "锁定");
	t = sent_to(ZHAO, STORE_OUT_NOTIFY);
	assert_has(t, "王五户");
	assert_lacks(t, "13900000009");
	/* locked: even the right PIN does nothing for an hour */
	assert_int_equal(sms(WANG, no_str("确认 %lld 1234", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(WANG), "锁定");
	assert_int_equal(status_of(E->rec_h1_pending), STORE_PENDING);
	assert_int_equal(sms(WANG, "待审"), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "PIN已锁定");
	E->now += HANDLER_PIN_LOCK_S + 1;
	assert_int_equal(sms(WANG, "待审"), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "须带PIN");
	assert_int_equal(sms(WANG, no_str("确认 %lld 1234", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h1_pending), STORE_APPROVED);
}

static void test_notice_count_code_and_send(void **state)
{
	const char *t;
	char code[8], msg[32];
	const char *p;
	int n, i, to_h1 = 0;

	(void)state;
	assert_int_equal(sms(LI, "通知 周五开会"), HANDLER_REPLIED);
	assert_has(reply_to(LI), "委员");
	assert_int_equal(sms(LI, "退订"), HANDLER_REPLIED);
	reply_to(LI);
	assert_int_equal(sms(ZHAO, "通知 周五上午九点开村民大会"),
			 HANDLER_REPLIED);
	t = reply_to(ZHAO);
	/* h1..h4 in 3 SMS: BOTH (h1 and h2) gets one, LI stopped them */
	assert_has(t, "4户");
	assert_has(t, "3条");
	p = strstr(t, "确认发送 ");
	assert_non_null(p);
	snprintf(code, sizeof(code), "%.4s", p + strlen("确认发送 "));
	/* another member cannot send it */
	snprintf(msg, sizeof(msg), "确认发送 %s", code);
	assert_int_equal(sms(WANG, msg), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "没有待发送");
	assert_int_equal(sms(ZHAO, msg), HANDLER_REPLIED);
	n = drain(E->now, S, MAX_SENT);
	assert_int_equal(n, 4);		/* 3 notices + the confirmation */
	for (i = 0; i < n; i++) {
		assert_true(strcmp(S[i].to, LI) != 0);
		if (!strcmp(S[i].to, ZHANG) || !strcmp(S[i].to, ZHANG2) ||
		    !strcmp(S[i].to, BOTH))
			to_h1++;
	}
	assert_int_equal(to_h1, 1);	/* one phone per household */
	/* once only */
	assert_int_equal(sms(ZHAO, msg), HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "没有待发送");
	/* sms.broadcasts_per_day */
	E->cfg.sms.broadcasts_per_day = 1;
	assert_int_equal(sms(ZHAO, "通知 再通知一次"), HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "上限");
}

/* With committee.require_pin the PIN ends the notice and is not sent. */
static void test_notice_with_pin(void **state)
{
	const char *t;
	struct store_notice nt;
	char code[8];

	(void)state;
	E->cfg.committee.require_pin = true;
	assert_int_equal(sms(WANG, "通知 周五开会"), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "PIN");
	assert_int_equal(sms(WANG, "通知 1234"), HANDLER_REPLIED);
	assert_has(reply_to(WANG), "通知内容");	/* only a PIN */
	assert_int_equal(sms(WANG, "通知 周五开会 1234"), HANDLER_REPLIED);
	t = reply_to(WANG);
	assert_non_null(strstr(t, "确认发送 "));
	snprintf(code, sizeof(code), "%.4s",
		 strstr(t, "确认发送 ") + strlen("确认发送 "));
	assert_int_equal(store_notice_get(E->st, code, &nt), 0);
	assert_string_equal(nt.text, "周五开会");
}

static void test_notice_held_in_quiet_hours(void **state)
{
	struct handler_ctx c;
	long hh = 0, n = 0, held = 0;

	(void)state;
	E->now = T_22H;
	c = ctx();
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_notice(&c, HANDLER_BY_CONSOLE, false, "明早停水",
					&hh, &n, &held), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(hh, 4);
	assert_int_equal(n, 3);
	assert_int_equal(held, 3);
	nothing_due(E->now);
	assert_int_equal(drain(T_NEXT_8H, S, MAX_SENT), 3);
}

static void test_digest(void **state)
{
	struct handler_ctx c;
	int64_t next = 0;
	int sent = 0;

	(void)state;
	E->now = T0;	/* 10:00, digest at 09:55 */
	E->cfg.committee.digest_minute = 9 * 60 + 55;
	c = ctx();
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_digest(&c, &sent, &next), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(sent, 2);	/* both members have items */
	assert_int_equal(next, T0 - 5 * 60 + DAY);
	assert_int_equal(drain(E->now, S, MAX_SENT), 2);
	assert_has(S[0].text, "待审");
	/* once a day */
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_digest(&c, &sent, &next), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(sent, 0);
	E->cfg.committee.digest_enabled = false;
	assert_int_equal(handler_digest(&c, &sent, &next), 0);
	assert_int_equal(next, -1);
}

/* SPEC §6 last rule: a message whose handling fails is retried, never
 * marked done silently; after HANDLER_FAIL_MAX an apology. */
static void test_failure_apology(void **state)
{
	struct store_inbox_part p = { 0 };
	struct store_inbox_msg m = { 0 };
	struct handler_ctx c = ctx();
	bool gave_up = true;
	long n = 0;
	int i;

	(void)state;
	p.sender = ZHANG;
	p.scts = "2026-11-28T10:00:00+08:00";
	p.scts_epoch = E->now;
	p.text = "积分";
	p.alphabet = "ucs2";
	p.msg_class = -1;
	p.pdu = "00";
	assert_int_equal(store_inbox_add(E->st, &p, 1, E->now, NULL), 0);
	assert_int_equal(store_inbox_next_ready(E->st, E->now, 600, &m), 0);
	for (i = 1; i <= HANDLER_FAIL_MAX; i++) {
		assert_int_equal(store_begin(E->st), 0);
		assert_int_equal(handler_failed(&c, &m, -EIO, &gave_up), 0);
		assert_int_equal(store_commit(E->st), 0);
		assert_int_equal(gave_up, i == HANDLER_FAIL_MAX);
		if (i < HANDLER_FAIL_MAX)
			nothing_due(E->now);
	}
	assert_has(reply_to(ZHANG), "抱歉");
	assert_int_equal(store_inbox_gave_up_count(E->st, &n), 0);
	assert_int_equal(n, 1);
	store_inbox_msg_release(&m);
}

/*
 * Issue 11: a household imported from a GBK file before the import
 * checked encodings has a broken name in an old database; 确认 of its
 * item still works and is answered (the name shows '?').
 */
static void test_broken_name_in_old_database(void **state)
{
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(E->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE households SET name = "
				      "CAST(X'D5C5C8FD' AS TEXT) WHERE id = 'h2'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sms(ZHAO, no_str("确认 %lld 5678", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_APPROVED);
	drain(E->now, S, MAX_SENT);
	assert_has(sent_to(ZHAO, STORE_OUT_REPLY), "已确认");
}

/* Text that is not UTF-8 never reaches the store. */
static void test_store_refuses_invalid_utf8(void **state)
{
	long long t = 0;

	(void)state;
	assert_int_equal(store_household_upsert(E->st, "h9", "\xd5\xc5\xc8\xfd",
						 E->now, NULL), -EILSEQ);
	assert_int_equal(store_matter_add(E->st, "h1", ZHANG, "ab\xff", E->now,
					  &t, NULL), -EILSEQ);
	assert_int_equal(store_household_upsert(E->st, "h9", "张三", E->now,
						 NULL), 0);
}

static void test_say_without_text_explains(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHANG, "说事"), HANDLER_REPLIED);
	reply_to(ZHANG);
	assert_int_equal(events("matter.new", NULL, 0), 0);
}

/* ---- committee ------------------------------------------------------ */

static void test_todo_excludes_own_household(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(WANG, "待审"), HANDLER_REPLIED);
	t = reply_to(WANG);
	assert_has(t, no_str("#%lld", E->rec_h1_pending));
	assert_has(t, no_str("#%lld", E->rec_h2_pending));
	assert_lacks(t, no_str("#%lld", E->rec_h3_pending));
}

static void test_todo_villager_refused(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(sms(ZHANG, "待审"), HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_lacks(t, "好人好事");
	assert_has(t, "委员");
}

static void test_approve_notifies_household(void **state)
{
	struct handler_result r;
	char tx[2048];
	int n, i, to_li = 0;

	(void)state;
	assert_int_equal(sms_alpha(WANG, no_str("确认 %lld 1234", E->rec_h2_pending),
				   "ucs2", &r), 0);
	assert_int_equal(r.kind, CMD_APPROVE);
	assert_int_equal(r.outcome, HANDLER_REPLIED);
	assert_int_equal(r.notified, 2);	/* Li and the shared phone */
	assert_true(r.reply_id > 0);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_APPROVED);
	n = drain(E->now, S, MAX_SENT);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		if (S[i].kind == STORE_OUT_REPLY) {
			assert_string_equal(S[i].to, WANG);
			assert_has(S[i].text, "已确认");
			assert_has(S[i].text, "12月5日");
		} else {
			assert_int_equal(S[i].kind, STORE_OUT_NOTIFY);
			assert_true(!strcmp(S[i].to, LI) || !strcmp(S[i].to, BOTH));
			to_li += !strcmp(S[i].to, LI);
			snprintf(tx, sizeof(tx), "%s", S[i].text);
			assert_has(tx, "公示至12月5日");
		}
	}
	assert_int_equal(to_li, 1);
	assert_int_equal(balance("h2").publicity_points, 10);
	assert_int_equal(balance("h2").pending_points, 0);
}

static void test_approve_repeat_harmless(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	/* same command, other spelling (an identical text would be a dup) */
	assert_int_equal(sms(ZHAO, no_str("QR %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "已确认过");	/* no notification again */
	assert_int_equal(balance("h2").publicity_points, 10);
	assert_int_equal(events("record.review", NULL, 0), 1);
}

static void test_approve_own_household_refused(void **state)
{
	(void)state;
	assert_int_equal(sms(WANG, no_str("确认 %lld 1234", E->rec_h3_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(WANG), "本户");
	assert_int_equal(status_of(E->rec_h3_pending), STORE_PENDING);
	assert_int_equal(events("record.review", NULL, 0), 0);
}

static void test_approve_by_villager_like_unknown_id(void **state)
{
	struct reply_ctx rc = { REPLY_ZH, 2, 480 };
	struct reply_review rv = { 0 };
	char want[512], want_missing[512];

	(void)state;
	rv.approve = true;
	rv.result = REPLY_REVIEW_NOT_FOUND;
	rv.id = (long)E->rec_h2_pending;
	assert_true(reply_review(&rc, &rv, want, sizeof(want)) > 0);
	rv.id = 99999;
	assert_true(reply_review(&rc, &rv, want_missing, sizeof(want_missing)) > 0);

	/* a villager approving an existing item ... */
	assert_int_equal(sms(ZHANG, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_string_equal(reply_to(ZHANG), want);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
	/* ... hears what a committee member hears for a missing one */
	assert_int_equal(sms(ZHAO, "确认 99999"), HANDLER_REPLIED);
	assert_string_equal(reply_to(ZHAO), want_missing);
	/* and a villager rejecting likewise changes nothing */
	assert_int_equal(sms(LI, no_str("驳回 %lld 不行", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	reply_to(LI);
	assert_int_equal(status_of(E->rec_h1_pending), STORE_PENDING);
}

static void test_reject_needs_reason(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHAO, no_str("驳回 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "理由");
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
}

static void test_reject_notifies_with_reason(void **state)
{
	int n, i, notes = 0;

	(void)state;
	assert_int_equal(sms(ZHAO, no_str("驳回%lld情况不属实", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h1_pending), STORE_REJECTED);
	n = drain(E->now, S, MAX_SENT);
	for (i = 0; i < n; i++) {
		if (S[i].kind != STORE_OUT_NOTIFY) {
			assert_has(S[i].text, "已驳回");
			continue;
		}
		notes++;
		assert_has(S[i].text, "情况不属实");
	}
	assert_int_equal(notes, 3);	/* ZHANG, ZHANG2, BOTH */
	assert_int_equal(balance("h1").pending_points, 0);
	assert_int_equal(balance("h1").final_points, 583);
}

static void test_reject_after_approve_conflict(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_int_equal(sms(ZHAO, no_str("驳回 %lld 弄错了", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "已被确认");
	assert_int_equal(status_of(E->rec_h2_pending), STORE_APPROVED);
}

static void test_pin_missing(void **state)
{
	(void)state;
	E->cfg.committee.require_pin = true;
	assert_int_equal(sms(WANG, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(WANG), "PIN");
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
}

static void test_pin_wrong(void **state)
{
	(void)state;
	E->cfg.committee.require_pin = true;
	assert_int_equal(sms(WANG, no_str("确认 %lld 9999", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(WANG), "PIN不正确");
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
	assert_int_equal(events("record.review", NULL, 0), 0);
	/* a member without a PIN cannot approve at all */
	assert_int_equal(sms(ZHAO, no_str("确认 %lld 1234", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "PIN不正确");
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
}

static void test_pin_right(void **state)
{
	(void)state;
	E->cfg.committee.require_pin = true;
	assert_int_equal(sms(WANG, no_str("确认 %lld 1234", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_APPROVED);
	/* rejections need no PIN */
	assert_int_equal(sms(WANG, no_str("驳回 %lld 重复", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(status_of(E->rec_h1_pending), STORE_REJECTED);
}

/* ---- quiet hours ---------------------------------------------------- */

static void test_quiet_hours_hold_notices_not_replies(void **state)
{
	int n, i;

	(void)state;
	E->now = T_22H;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	/* at 22:00 only the reply is due */
	n = drain(E->now, S, MAX_SENT);
	assert_int_equal(n, 1);
	assert_int_equal(S[0].kind, STORE_OUT_REPLY);
	assert_string_equal(S[0].to, ZHAO);
	nothing_due(T_NEXT_8H - 1);
	/* at 08:00 the notices go */
	n = drain(T_NEXT_8H, S, MAX_SENT);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		assert_int_equal(S[i].kind, STORE_OUT_NOTIFY);
}

static void test_quiet_hours_off(void **state)
{
	(void)state;
	E->now = T_22H;
	E->cfg.sms.quiet_enabled = false;
	E->cfg.sms.quiet_hours[0] = '\0';
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_int_equal(drain(E->now, S, MAX_SENT), 3);
}

static void test_outq_not_before(void **state)
{
	(void)state;
	assert_int_equal(outq_not_before(&E->cfg, T0), T0);
	assert_int_equal(outq_not_before(&E->cfg, T_22H), T_NEXT_8H);
	assert_int_equal(outq_not_before(&E->cfg, T_0759), T_NEXT_8H - DAY);
	assert_int_equal(outq_not_before(&E->cfg, T_NEXT_8H), T_NEXT_8H);
	/* 21:00 sharp is quiet (start inclusive) */
	assert_int_equal(outq_not_before(&E->cfg, T_22H - 3600), T_NEXT_8H);
	/* a period that does not wrap: 12:00-13:30 */
	E->cfg.sms.quiet_start = 12 * 60;
	E->cfg.sms.quiet_end = 13 * 60 + 30;
	assert_int_equal(outq_not_before(&E->cfg, T0 + 2 * 3600 + 59),
			 T0 + 3 * 3600 + 1800);
	assert_int_equal(outq_not_before(&E->cfg, T_22H), T_22H);
	E->cfg.sms.quiet_enabled = false;
	assert_int_equal(outq_not_before(&E->cfg, T0 + 2 * 3600), T0 + 2 * 3600);
}

/* ---- 退订 / 订阅 ---------------------------------------------------- */

static void test_stop_stops_notices_not_answers(void **state)
{
	struct handler_result r;
	int n, i;

	(void)state;
	assert_int_equal(sms(LI, "退订"), HANDLER_REPLIED);
	assert_has(reply_to(LI), "已退订");
	assert_int_equal(sms_alpha(ZHAO, no_str("确认 %lld", E->rec_h2_pending),
				   "ucs2", &r), 0);
	assert_int_equal(r.notified, 1);	/* only the shared phone */
	n = drain(E->now, S, MAX_SENT);
	for (i = 0; i < n; i++)
		assert_string_not_equal(S[i].to, LI);
	/* answers to own queries still come */
	assert_int_equal(sms(LI, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(LI), "120");
}

static void test_start_resumes_notices(void **state)
{
	struct handler_result r;

	(void)state;
	assert_int_equal(sms(LI, "TD"), HANDLER_REPLIED);
	reply_to(LI);
	assert_int_equal(sms(LI, "订阅"), HANDLER_REPLIED);
	assert_has(reply_to(LI), "已订阅");
	assert_int_equal(sms_alpha(ZHAO, no_str("确认 %lld", E->rec_h2_pending),
				   "ucs2", &r), 0);
	assert_int_equal(r.notified, 2);
}

/* ---- unknown numbers ------------------------------------------------ */

static void test_unknown_hint_once_a_day(void **state)
{
	struct handler_result r;

	(void)state;
	assert_int_equal(sms(STRANGER, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(STRANGER), "尚未登记");
	assert_int_equal(sms_alpha(STRANGER, "明细", "ucs2", &r), 0);
	assert_int_equal(r.outcome, HANDLER_SILENT_UNKNOWN);
	assert_false(r.known);
	nothing_due(E->now + DAY);
	/* 确认 from an unknown number: nothing, not even a hint */
	assert_int_equal(sms(STRANGER, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_SILENT_UNKNOWN);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
	/* the next local day: one hint again */
	E->now += DAY;
	assert_int_equal(sms(STRANGER, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(STRANGER), "尚未登记");
}

static void test_unknown_hint_budget_zero(void **state)
{
	(void)state;
	E->cfg.sms.unknown_replies_per_day = 0;
	assert_int_equal(sms(STRANGER, "积分"), HANDLER_SILENT_UNKNOWN);
	nothing_due(E->now);
}

static void test_unknown_help_and_stop_work(void **state)
{
	(void)state;
	assert_int_equal(sms(STRANGER, "积分"), HANDLER_REPLIED);
	reply_to(STRANGER);
	assert_int_equal(sms(STRANGER, "帮助"), HANDLER_REPLIED);
	assert_has(reply_to(STRANGER), "1积分");
	assert_int_equal(sms(STRANGER, "退订"), HANDLER_REPLIED);
	assert_has(reply_to(STRANGER), "已退订");
	{
		bool on = true;

		assert_int_equal(store_phone_notify(E->st, STRANGER, &on), 0);
		assert_false(on);
	}
}

/* ---- silences -------------------------------------------------------- */

static void test_alphanumeric_sender_silent(void **state)
{
	(void)state;
	assert_int_equal(sms("China Mobile", "积分"), HANDLER_SILENT_ALNUM);
	assert_int_equal(sms("10086", "帮助"), HANDLER_SILENT_SERVICE);
	nothing_due(E->now + DAY);
}

static void test_service_numbers_silent(void **state)
{
	static const char *const nums[] = {
		"10086", "+8610086", "1065812345678", "95588", "12345", "123456",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		assert_int_equal(sms(nums[i], "积分"), HANDLER_SILENT_SERVICE);
	nothing_due(E->now + DAY);
}

static void test_own_number_silent(void **state)
{
	(void)state;
	assert_int_equal(store_status_set(E->st, "own_number", "13800000099",
					  E->now), 0);
	assert_int_equal(sms("+8613800000099", "帮助"), HANDLER_SILENT_OWN);
	nothing_due(E->now + DAY);
	/* the guard also refuses notifications to it */
	{
		enum outq_verdict v;

		assert_int_equal(outq_allowed(E->st, "13800000099", E->now, &v), 0);
		assert_int_equal(v, OUTQ_BLOCK_OWN);
	}
}

static void test_binary_message_silent(void **state)
{
	struct handler_result r;

	(void)state;
	assert_int_equal(sms_alpha(ZHANG, "0B05040B8423F0", "8bit", &r), 0);
	assert_int_equal(r.outcome, HANDLER_SILENT_BINARY);
	nothing_due(E->now + DAY);
}

static void test_hourly_cap(void **state)
{
	static const char *const msgs[] = { "1", "2", "3", "说事 路灯", "帮助" };
	enum handler_outcome o;
	size_t i;

	(void)state;
	E->cfg.sms.per_number_per_hour = 3;
	for (i = 0; i < 5; i++) {
		o = sms(ZHANG, msgs[i]);
		assert_int_equal(o, i < 3 ? HANDLER_REPLIED : HANDLER_SILENT_RATE);
		E->now += 60;
	}
	assert_int_equal(drain(E->now, S, MAX_SENT), 3);
	/* beyond the cap nothing is done either */
	assert_int_equal(events("matter.new", NULL, 0), 0);
	/* other numbers are not affected */
	assert_int_equal(sms(LI, "1"), HANDLER_REPLIED);
	/* an hour after the first reply, one more is allowed */
	E->now = T0 + 3599;
	assert_int_equal(sms(ZHANG, "明细"), HANDLER_SILENT_RATE);
	E->now = T0 + 3601;
	assert_int_equal(sms(ZHANG, "LOG"), HANDLER_REPLIED);
}

/*
 * SPEC §6 changed: the 10-minute same-text silence is gone (network
 * duplicates are handled once by the inbox key).  A villager who asks
 * again is answered again, with the new figures after a change.
 */
static void test_repeat_question_answered_with_new_figure(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "583");
	E->now += 60;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h1_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	E->now += 60;
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "公示中+5");
	assert_int_equal(sms(ZHANG, "积分 "), HANDLER_REPLIED);
	reply_to(ZHANG);
}

/* The same text again and again is a machine: the loop guard trips. */
static void test_same_text_again_and_again_is_a_loop(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < HANDLER_SAME_MAX - 1; i++) {
		assert_int_equal(sms(ZHANG, "自动回复：我现在不方便"),
				 HANDLER_REPLIED);
		E->now += 20;
	}
	drain(E->now, S, MAX_SENT);
	assert_int_equal(sms(ZHANG, "自动回复：我现在不方便"),
			 HANDLER_SILENT_LOOP);
	nothing_due(E->now);
	/* a person's different question still gets through */
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_REPLIED);
}

static void test_duplicate_approval_applied_once(void **state)
{
	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	assert_has(reply_to(ZHAO), "无需重复");
	assert_int_equal(events("record.review", NULL, 0), 1);
	assert_int_equal(balance("h2").publicity_points, 10);
}

static void test_loop_guard(void **state)
{
	char t[32];
	int i;
	enum outq_verdict v;

	(void)state;
	E->cfg.sms.per_number_per_hour = 1000;
	for (i = 0; i < OUTQ_LOOP_LIMIT; i++) {
		snprintf(t, sizeof(t), "说事 第%d件", i);
		assert_int_equal(sms(ZHANG, t), HANDLER_REPLIED);
		E->now += 10;
	}
	assert_int_equal(sms(ZHANG, "积分"), HANDLER_SILENT_LOOP);
	assert_int_equal(outq_allowed(E->st, ZHANG, E->now, &v), 0);
	assert_int_equal(v, OUTQ_BLOCK_LOOP);
	/* five minutes after the first messages, the window has moved */
	E->now = T0 + OUTQ_LOOP_WINDOW + 5;
	assert_int_equal(outq_allowed(E->st, ZHANG, E->now, &v), 0);
	assert_int_equal(v, OUTQ_ALLOWED);
}

/* ---- other replies --------------------------------------------------- */

static void test_not_yet_command(void **state)
{
	struct handler_result r;

	(void)state;
	assert_int_equal(sms_alpha(ZHANG, "申报 5 清扫", "ucs2", &r), 0);
	assert_int_equal(r.kind, CMD_NOT_YET);
	assert_has(reply_to(ZHANG), "申报");
	assert_int_equal(events("record.new", NULL, 0), 7);	/* fixture */
}

static void test_unknown_command_hint(void **state)
{
	struct handler_result r;
	const char *t;

	(void)state;
	assert_int_equal(sms_alpha(ZHANG, "你好在吗", "ucs2", &r), 0);
	assert_int_equal(r.kind, CMD_UNKNOWN);
	assert_int_equal(r.outcome, HANDLER_REPLIED);
	t = reply_to(ZHANG);
	assert_has(t, "0");
	assert_int_equal(S[0].nparts, 1);
}

static void test_english_replies(void **state)
{
	(void)state;
	E->cfg.sms.language = CONFIG_LANG_EN;
	assert_int_equal(sms(ZHANG, "POINTS"), HANDLER_REPLIED);
	assert_has(reply_to(ZHANG), "583 points");
}

static void test_replies_within_max_parts(void **state)
{
	char reason[400];
	int i;

	(void)state;
	E->cfg.sms.max_parts = 1;
	for (i = 0; i < 8; i++) {
		snprintf(reason, sizeof(reason),
			 "参加村里组织的环境卫生整治活动第%d次并清理河道垃圾", i);
		add_rec(i % 2 ? "h1" : "h2", i, reason, STORE_PENDING);
	}
	assert_int_equal(sms(ZHAO, "待审"), HANDLER_REPLIED);
	reply_to(ZHAO);
	assert_int_equal(S[0].nparts, 1);
	assert_int_equal(sms(BOTH, "明细"), HANDLER_REPLIED);
	reply_to(BOTH);
	assert_int_equal(S[0].nparts, 1);
}

static void test_outq_truncates_to_max_parts(void **state)
{
	char text[1300] = "";
	long long id = 0;
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		strcat(text, "积分制好");	/* 400 UCS-2 units */
	assert_int_equal(outq_add(E->st, &E->cfg, ZHANG, text, STORE_OUT_REPLY,
				  0, E->now, &id), 0);
	assert_true(id > 0);
	assert_int_equal(drain(E->now, S, MAX_SENT), 1);
	assert_int_equal(S[0].nparts, 2);
	assert_int_equal(strlen(S[0].text), 134 * 3);	/* 2 x 67 units */
	/* plain ASCII goes as GSM 7-bit: 2 x 153 septets */
	memset(text, 'a', 500);
	text[500] = '\0';
	assert_int_equal(outq_add(E->st, &E->cfg, ZHANG, text, STORE_OUT_ALERT,
				  0, E->now, &id), 0);
	assert_int_equal(drain(E->now, S, MAX_SENT), 1);
	assert_int_equal(strlen(S[0].text), 306);
	/* bad numbers and empty texts are refused */
	assert_int_equal(outq_add(E->st, &E->cfg, "China Mobile", "x",
				  STORE_OUT_REPLY, 0, E->now, NULL), -EINVAL);
	assert_int_equal(outq_add(E->st, &E->cfg, ZHANG, "", STORE_OUT_REPLY,
				  0, E->now, NULL), -EINVAL);
}

/*
 * A phone joins long SMS by sender and reference: long messages to one
 * phone one after another never share a reference (random 8-bit ones
 * collided about once in 256: two 待审 lists joined into one).
 */
static void test_outq_long_messages_to_one_phone_differ(void **state)
{
	char text[700] = "";
	int i, j, n;

	(void)state;
	for (i = 0; i < 25; i++)
		strcat(text, "积分制好");	/* 100 UCS-2 units: 2 parts */
	for (i = 0; i < 40; i++)
		assert_int_equal(outq_add(E->st, &E->cfg, ZHANG, text,
					  STORE_OUT_REPLY, 0, E->now, NULL), 0);
	n = drain(E->now, S, MAX_SENT);
	assert_int_equal(n, 40);
	for (i = 0; i < n; i++) {
		assert_int_equal(S[i].nparts, 2);
		assert_true(S[i].ref >= 0);
		for (j = 0; j < i; j++)
			assert_int_not_equal(S[i].ref, S[j].ref);
	}
}

static void test_one_reply_per_inbound(void **state)
{
	struct store_inbox_part p = { 0 };
	struct store_inbox_msg m = { 0 };
	struct handler_result r;
	struct handler_ctx c = ctx();

	(void)state;
	p.sender = ZHANG;
	p.scts = "2026-11-28T10:00:00+08:00";
	p.text = "积分";
	p.alphabet = "ucs2";
	p.msg_class = -1;
	p.pdu = "00";
	assert_int_equal(store_inbox_add(E->st, &p, 1, E->now, NULL), 0);
	assert_int_equal(store_inbox_next_ready(E->st, E->now, 600, &m), 0);
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_sms(&c, &m, &r), 0);
	/* a second run of the same message (a bug upstream) cannot queue a
	 * second reply */
	assert_int_equal(handler_sms(&c, &m, &r), -EEXIST);
	assert_int_equal(store_rollback(E->st), 0);
	store_inbox_msg_release(&m);
	nothing_due(E->now);
}

/* ---- handler_review from the console, handler_finalize_due ----------- */

static void test_console_review(void **state)
{
	struct handler_review_result r;
	struct handler_ctx c = ctx();

	(void)state;
	assert_int_equal(handler_review(&c, HANDLER_BY_CONSOLE, E->rec_h3_pending,
					STORE_APPROVE, NULL, NULL, &r), 0);
	assert_int_equal(r.result, REPLY_REVIEW_DONE);
	assert_int_equal(r.notified, 1);	/* Wang's own phone */
	assert_string_equal(r.rec.reviewed_by, "console");
	assert_int_equal(handler_review(&c, HANDLER_BY_CONSOLE, E->rec_h3_pending,
					STORE_APPROVE, NULL, NULL, &r), 0);
	assert_int_equal(r.result, REPLY_REVIEW_ALREADY);
	assert_int_equal(r.notified, 0);
	assert_int_equal(handler_review(&c, HANDLER_BY_CONSOLE, 424242,
					STORE_APPROVE, NULL, NULL, &r), 0);
	assert_int_equal(r.result, REPLY_REVIEW_NOT_FOUND);
	assert_int_equal(handler_review(&c, HANDLER_BY_CONSOLE, E->rec_h2_pending,
					STORE_REJECT, "", NULL, &r), -EINVAL);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
	assert_int_equal(drain(E->now, S, MAX_SENT), 1);
	assert_int_equal(S[0].kind, STORE_OUT_NOTIFY);
	assert_string_equal(S[0].to, WANG);
}

static void test_review_not_committee_result(void **state)
{
	struct handler_review_result r;
	struct handler_ctx c = ctx();

	(void)state;
	assert_int_equal(handler_review(&c, ZHANG, E->rec_h2_pending,
					STORE_APPROVE, NULL, NULL, &r), 0);
	assert_int_equal(r.result, REPLY_REVIEW_NOT_COMMITTEE);
	assert_int_equal(r.rec.no, 0);		/* nothing revealed */
	assert_int_equal(handler_review(&c, STRANGER, E->rec_h2_pending,
					STORE_APPROVE, NULL, NULL, &r), 0);
	assert_int_equal(r.result, REPLY_REVIEW_NOT_COMMITTEE);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_PENDING);
}

static void test_finalize_due_notifies(void **state)
{
	struct handler_ctx c;
	long count = -1;
	int n, i;

	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	/* not due yet */
	c = ctx();
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_finalize_due(&c, &count), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(count, 0);
	nothing_due(E->now);
	/* 7 days later, at 10:00 */
	E->now += 7 * DAY;
	c = ctx();
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_finalize_due(&c, &count), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(count, 1);
	assert_int_equal(status_of(E->rec_h2_pending), STORE_FINAL);
	assert_int_equal(balance("h2").final_points, 130);
	n = drain(E->now, S, MAX_SENT);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(S[i].kind, STORE_OUT_NOTIFY);
		assert_has(S[i].text, "130");
		assert_has(S[i].text, "已生效");
	}
}

static void test_finalize_in_quiet_hours_held(void **state)
{
	struct handler_ctx c;
	long count = 0;

	(void)state;
	assert_int_equal(sms(ZHAO, no_str("确认 %lld", E->rec_h2_pending)),
			 HANDLER_REPLIED);
	drain(E->now, S, MAX_SENT);
	E->now = T_22H + 7 * DAY;
	c = ctx();
	assert_int_equal(store_begin(E->st), 0);
	assert_int_equal(handler_finalize_due(&c, &count), 0);
	assert_int_equal(store_commit(E->st), 0);
	assert_int_equal(count, 1);
	nothing_due(E->now);
	assert_int_equal(drain(T_NEXT_8H + 7 * DAY, S, MAX_SENT), 2);
}

/* ---- fault injection (STYLE 13) -------------------------------------- */

/* One pass of the daemon's pipeline over the next ready message. */
static int process_one(void)
{
	struct store_inbox_msg m = { 0 };
	struct handler_ctx c = ctx();
	int rc;

	rc = store_inbox_next_ready(E->st, E->now, 600, &m);
	if (rc)
		return rc;
	rc = store_begin(E->st);
	if (!rc) {
		rc = handler_sms(&c, &m, NULL);
		if (!rc)
			rc = store_inbox_done(E->st, &m, E->now);
		if (!rc)
			rc = store_commit(E->st);	/* rolls back on failure */
		else
			store_rollback(E->st);
	}
	store_inbox_msg_release(&m);
	return rc;
}

/* The Nth sqlite3_step fails, N = 1, 2, ...: the approval SMS is still
 * handled exactly once, answered once, and the balance moves once. */
static void test_fault_injection_answered_once(void **state)
{
	struct store_inbox_part p = { 0 };
	long n, before;
	int rc, i, replies, notes;
	bool fired;

	(void)state;
	for (n = 1; n < 500; n++) {
		if (n > 1) {
			teardown(NULL);
			setup(NULL);
		}
		p.sender = ZHAO;
		p.scts = "2026-11-28T10:00:00+08:00";
		p.text = no_str("确认 %lld", E->rec_h2_pending);
		p.alphabet = "ucs2";
		p.msg_class = -1;
		p.pdu = "00";
		assert_int_equal(store_inbox_add(E->st, &p, 1, E->now, NULL), 0);
		before = store_step_count(E->st);
		store_fault_after(E->st, n, STORE_FAULT_IOERR);
		rc = process_one();
		fired = store_step_count(E->st) - before >= n;
		store_fault_after(E->st, 0, STORE_FAULT_NONE);
		if (rc)
			assert_int_equal(process_one(), 0);	/* retry */
		assert_int_equal(process_one(), -ENOENT);	/* all done */
		assert_int_equal(drain(E->now, S, MAX_SENT), 3);
		for (i = 0, replies = 0, notes = 0; i < 3; i++) {
			replies += S[i].kind == STORE_OUT_REPLY;
			notes += S[i].kind == STORE_OUT_NOTIFY;
		}
		assert_int_equal(replies, 1);
		assert_int_equal(notes, 2);
		assert_int_equal(events("record.review", NULL, 0), 1);
		assert_int_equal(balance("h2").publicity_points, 10);
		if (!fired)
			break;
	}
	assert_true(n > 20);	/* the pipeline really was exercised */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_points_single_household),
		T(test_points_digit_and_raw_number),
		T(test_points_only_own_household),
		T(test_points_multi_household),
		T(test_rate_and_log_multi_household),
		T(test_points_show_publicity),
		T(test_rate_30_wan),
		T(test_rate_platform_policy),
		T(test_rate_without_principal),
		T(test_rate_score_approved),
		T(test_log_last_three),
		T(test_help_villager_and_committee),
		T(test_say_files_matter),
		T(test_say_without_text_explains),
		T(test_todo_excludes_own_household),
		T(test_todo_villager_refused),
		T(test_approve_notifies_household),
		T(test_approve_repeat_harmless),
		T(test_approve_own_household_refused),
		T(test_approve_by_villager_like_unknown_id),
		T(test_reject_needs_reason),
		T(test_reject_notifies_with_reason),
		T(test_reject_after_approve_conflict),
		T(test_pin_missing),
		T(test_pin_wrong),
		T(test_pin_right),
		T(test_quiet_hours_hold_notices_not_replies),
		T(test_quiet_hours_off),
		T(test_outq_not_before),
		T(test_stop_stops_notices_not_answers),
		T(test_start_resumes_notices),
		T(test_unknown_hint_once_a_day),
		T(test_unknown_hint_budget_zero),
		T(test_unknown_help_and_stop_work),
		T(test_alphanumeric_sender_silent),
		T(test_service_numbers_silent),
		T(test_own_number_silent),
		T(test_binary_message_silent),
		T(test_hourly_cap),
		T(test_matter_reply_and_close),
		T(test_objection_stops_publicity_then_upheld),
		T(test_objection_not_upheld_resumes_publicity),
		T(test_batch_approve_one_reply),
		T(test_review_never_dropped_by_cap),
		T(test_pin_lockout),
		T(test_notice_count_code_and_send),
		T(test_notice_with_pin),
		T(test_notice_held_in_quiet_hours),
		T(test_digest),
		T(test_failure_apology),
		T(test_store_refuses_invalid_utf8),
		T(test_broken_name_in_old_database),
		T(test_repeat_question_answered_with_new_figure),
		T(test_same_text_again_and_again_is_a_loop),
		T(test_duplicate_approval_applied_once),
		T(test_loop_guard),
		T(test_not_yet_command),
		T(test_unknown_command_hint),
		T(test_english_replies),
		T(test_replies_within_max_parts),
		T(test_outq_truncates_to_max_parts),
		T(test_outq_long_messages_to_one_phone_differ),
		T(test_one_reply_per_inbound),
		T(test_console_review),
		T(test_review_not_committee_result),
		T(test_finalize_due_notifies),
		T(test_finalize_in_quiet_hours_held),
		T(test_fault_injection_answered_once),
	};

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
