/* SPDX-License-Identifier: MIT */
/* Unit tests for gateway/reply.c: reply wording and length limits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/cmd.h"
#include "gateway/loan.h"
#include "gateway/reply.h"
#include "gateway/text.h"
#include "util/utf8.h"

static const struct reply_ctx zh1 = { REPLY_ZH, 1, 480 };
static const struct reply_ctx zh2 = { REPLY_ZH, 2, 480 };
static const struct reply_ctx en1 = { REPLY_EN, 1, 480 };
static const struct reply_ctx en2 = { REPLY_EN, 2, 480 };

/* 2026-12-05 09:30 +08:00 */
#define DEC5	1796434200LL
/* 2027-01-01 02:00 +08:00 (still 2026-12-31 in UTC) */
#define JAN1	1798740000LL

static const struct reply_record recs[] = {
	{ 17, "张三", 5, "清扫房前屋后", REPLY_PENDING },
	{ 15, "李四", -5, "焚烧秸秆", REPLY_FINAL },
	{ 12, "王老五", 10, "好人好事", REPLY_PUBLIC },
	{ 11, "赵六", 3, "参加村民大会", REPLY_REJECTED },
	{ 10, "陈七", 2, "义务劳动", REPLY_PENDING },
	{ 9, "刘八", 5, "环境卫生", REPLY_PENDING },
	{ 8, "周九", 5, "孝老爱亲", REPLY_PENDING },
	{ 7, "吴十", -10, "违规建房", REPLY_PENDING },
	{ 6, "郑十一", 4, "清扫", REPLY_PENDING },
	{ 5, "冯十二", 6, "调解纠纷", REPLY_PENDING },
	{ 4, "欧阳大伟", 8, "抗洪救灾", REPLY_PENDING },
	{ 3, "钱多多", 1, "垃圾分类", REPLY_PENDING },
};
#define NRECS	(sizeof(recs) / sizeof(recs[0]))

static bool valid_utf8(const char *s)
{
	size_t len = strlen(s), pos = 0, c;
	uint32_t cp;

	while (pos < len) {
		c = utf8_decode(s + pos, len - pos, &cp);
		if (c == 0)
			return false;
		pos += c;
	}
	return true;
}

/* One SMS: 70 UCS-2 units with Chinese, 160 septets in plain ASCII. */
static void assert_one_sms(const char *s)
{
	bool ucs2;
	size_t u = text_sms_units(s, &ucs2);

	if (u > (ucs2 ? 70u : 160u))
		print_message("# too long (%zu): %s\n", u, s);
	assert_true(u <= (ucs2 ? 70u : 160u));
	assert_true(valid_utf8(s));
	assert_true(s[0] != '\0');
}

static void test_lang_and_budget(void **state)
{
	(void)state;
	assert_int_equal(reply_lang_parse("en"), REPLY_EN);
	assert_int_equal(reply_lang_parse("EN"), REPLY_EN);
	assert_int_equal(reply_lang_parse("en_US"), REPLY_EN);
	assert_int_equal(reply_lang_parse("zh"), REPLY_ZH);
	assert_int_equal(reply_lang_parse(NULL), REPLY_ZH);
	assert_int_equal(reply_lang_parse("eng"), REPLY_ZH);
	assert_int_equal(reply_max_units(1, true), 70);
	assert_int_equal(reply_max_units(0, true), 70);
	assert_int_equal(reply_max_units(2, true), 134);
	assert_int_equal(reply_max_units(1, false), 160);
	assert_int_equal(reply_max_units(3, false), 459);
}

static void test_points(void **state)
{
	const struct reply_points p = { "张三", 583, 10, 5, 3, 120 };
	const struct reply_points neg = { "李四家", -15, 0, -5, 0, 0 };
	const struct reply_points longname = {
		"欧阳诸葛司马上官慕容长名户", 123456, -20, 35, 118, 120
	};
	char buf[512];
	int n;

	(void)state;
	n = reply_points(&zh1, &p, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "张三户积分583分，公示中+10分，待审+5分，"
			    "全村第3名/共120户。回复2查贷款利率");
	assert_one_sms(buf);

	reply_points(&zh1, &neg, buf, sizeof(buf));
	assert_string_equal(buf, "李四家积分-15分，待审-5分。回复2查贷款利率");
	assert_one_sms(buf);

	reply_points(&zh1, &longname, buf, sizeof(buf));
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "123456分"));
	assert_non_null(strstr(buf, "第118名/共120户"));

	reply_points(&en1, &p, buf, sizeof(buf));
	assert_non_null(strstr(buf, "583 points"));
	assert_non_null(strstr(buf, "+10 in publicity"));
	assert_non_null(strstr(buf, "+5 pending"));
	assert_non_null(strstr(buf, "rank 3/120"));
	assert_one_sms(buf);
	reply_points(&en1, &longname, buf, sizeof(buf));
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "rank 118/120."));
}

/* The SPEC's example: 583 points, "利率 30". */
static void test_rate_spec_example(void **state)
{
	struct loan_policy pol;
	struct loan_quote q;
	char buf[512];

	(void)state;
	loan_policy_default(&pol);
	assert_int_equal(loan_quote(&pol, 583, 300000, 0, &q), 0);
	assert_true(reply_rate(&zh1, &q, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "积分583分，利率4.42%（优惠0.58个百分点）。"
			    "贷30万元约省1,740元/年，以银行审批为准");
	assert_one_sms(buf);

	assert_true(reply_rate(&en1, &q, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "4.42%"));
	assert_non_null(strstr(buf, "1,740"));
	assert_non_null(strstr(buf, "300,000 yuan"));
	assert_one_sms(buf);
}

static void test_rate_variants(void **state)
{
	struct loan_policy pol;
	struct loan_quote q;
	char buf[512];

	(void)state;
	loan_policy_default(&pol);
	loan_quote(&pol, 583, 0, 0, &q);
	reply_rate(&zh1, &q, buf, sizeof(buf));
	assert_non_null(strstr(buf, "4.42%"));
	assert_non_null(strstr(buf, "基准5.00%"));
	assert_non_null(strstr(buf, "以银行审批为准"));
	assert_one_sms(buf);

	loan_quote(&pol, 583, 125000, 3, &q);
	reply_rate(&zh1, &q, buf, sizeof(buf));
	assert_non_null(strstr(buf, "贷12.5万元3年约省2,175元（725元/年）"));
	assert_one_sms(buf);

	/* thousands separators on big figures, still one SMS */
	loan_quote(&pol, 99999, 100000000, 30, &q);
	reply_rate(&zh1, &q, buf, sizeof(buf));
	assert_non_null(strstr(buf, "3.00%"));
	assert_non_null(strstr(buf, "60,000,000元"));
	assert_one_sms(buf);

	loan_quote(&pol, -40, 0, 0, &q);
	reply_rate(&en1, &q, buf, sizeof(buf));
	assert_non_null(strstr(buf, "5.00%"));
	assert_one_sms(buf);
}

static void test_log(void **state)
{
	char buf[512];

	(void)state;
	reply_log(&zh1, recs, 3, buf, sizeof(buf));
	assert_string_equal(buf, "最近明细：#17 +5 清扫房前屋后 待审；#15 -5 "
			    "焚烧秸秆 已生效；#12 +10 好人好事 公示中");
	assert_one_sms(buf);
	reply_log(&zh1, recs + 3, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "#11 +3 参加村民大会 已驳回"));
	reply_log(&zh1, NULL, 0, buf, sizeof(buf));
	assert_non_null(strstr(buf, "暂无"));
	assert_one_sms(buf);
	reply_log(&en2, recs, 3, buf, sizeof(buf));
	assert_non_null(strstr(buf, "#17 +5"));
	assert_non_null(strstr(buf, "(pending)"));
	assert_non_null(strstr(buf, "(final)"));
	assert_non_null(strstr(buf, "(public)"));
}

/* Long reasons in the log are shortened; the list trims whole items. */
static void test_log_trims(void **state)
{
	const struct reply_record longr[] = {
		{ 123456, NULL, 100, "参加全村环境卫生整治并主动清理河道垃圾",
		  REPLY_PUBLIC },
		{ 123455, NULL, -100, "违规焚烧秸秆造成严重空气污染被举报",
		  REPLY_FINAL },
		{ 123454, NULL, 50, "积极参加村民议事会讨论村规民约修订",
		  REPLY_PENDING },
	};
	char buf[512];

	(void)state;
	reply_log(&zh1, longr, 3, buf, sizeof(buf));
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "参加全村环境…"));
}

static void test_help(void **state)
{
	char buf[512];

	(void)state;
	reply_help(&zh1, true, buf, sizeof(buf));
	assert_string_equal(buf, "回复：1积分 2利率 3明细 0帮助；说事+内容；"
			    "委员：待审 确认/驳回+编号 回复/办结+M编号 "
			    "通知+内容");
	assert_one_sms(buf);
	reply_help(&zh1, false, buf, sizeof(buf));
	assert_non_null(strstr(buf, "1积分 2利率 3明细 0帮助"));
	assert_null(strstr(buf, "驳回"));
	assert_non_null(strstr(buf, "异议+编号+理由"));
	assert_one_sms(buf);
	reply_help(&en1, true, buf, sizeof(buf));
	assert_true(text_is_ascii(buf));
	assert_non_null(strstr(buf, "OK n.. [PIN]"));
	assert_one_sms(buf);
	reply_help(&en1, false, buf, sizeof(buf));
	assert_null(strstr(buf, "TODO"));
	assert_one_sms(buf);
}

static void test_say(void **state)
{
	char buf[256];

	(void)state;
	reply_say(&zh1, 23, buf, sizeof(buf));
	assert_non_null(strstr(buf, "编号M23"));
	assert_one_sms(buf);
	reply_say(&en1, 23, buf, sizeof(buf));
	assert_non_null(strstr(buf, "matter M23"));
	assert_one_sms(buf);
}

static void test_todo(void **state)
{
	char buf[1024];

	(void)state;
	reply_todo(&zh1, recs, 2, 2, buf, sizeof(buf));
	assert_string_equal(buf, "待审2条：#17 张三户 +5 清扫房前屋后；#15 李四户"
			    " -5 焚烧秸秆。回复确认/驳回+编号");
	assert_one_sms(buf);

	reply_todo(&zh1, NULL, 0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "暂无待审事项。");

	reply_todo(&en1, recs, 1, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "#17 张三 +5"));
	assert_non_null(strstr(buf, "1 pending"));
}

/* Many items: whole items are dropped, "等N条" says how many. */
static void test_todo_trimmed(void **state)
{
	char buf[1024], want[32];
	const char *p;
	size_t shown = 0;
	int n;

	(void)state;
	n = reply_todo(&zh1, recs, NRECS, 40, buf, sizeof(buf));
	assert_true(n > 0);
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "待审40条："));
	for (p = buf; (p = strchr(p, '#')); p++)
		shown++;
	assert_true(shown >= 1 && shown < NRECS);
	snprintf(want, sizeof(want), "等%zu条", 40 - shown);
	assert_non_null(strstr(buf, want));
	/* a dropped item leaves no trace */
	assert_null(strstr(buf, "#3 "));

	/* two parts hold more, and stay within 134 units */
	n = reply_todo(&zh2, recs, NRECS, NRECS, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(text_ucs2_units(buf) <= 134);
	assert_true(valid_utf8(buf));
	for (p = buf, n = 0; (p = strchr(p, '#')); p++)
		n++;
	assert_true((size_t)n > shown);
}

static void test_review(void **state)
{
	static const enum reply_review_result res[] = {
		REPLY_REVIEW_DONE, REPLY_REVIEW_ALREADY, REPLY_REVIEW_CONFLICT,
		REPLY_REVIEW_NOT_FOUND, REPLY_REVIEW_OWN_HOUSEHOLD,
		REPLY_REVIEW_PIN_NEEDED, REPLY_REVIEW_PIN_WRONG,
		REPLY_REVIEW_NOT_COMMITTEE,
	};
	struct reply_review r = { true, REPLY_REVIEW_DONE, 17, &recs[0], DEC5 };
	char buf[512];
	size_t i;
	int a;

	(void)state;
	assert_true(reply_review(&zh1, &r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "已确认#17 张三户 +5 清扫房前屋后，公示至12月5日，"
			    "已通知该户。");
	r.approve = false;
	reply_review(&zh1, &r, buf, sizeof(buf));
	assert_string_equal(buf, "已驳回#17 张三户 +5 清扫房前屋后，已通知该户。");
	r.result = REPLY_REVIEW_ALREADY;
	reply_review(&zh1, &r, buf, sizeof(buf));
	assert_string_equal(buf, "#17已驳回过，无需重复。");
	r.approve = true;
	r.result = REPLY_REVIEW_DONE;
	r.until = JAN1;
	reply_review(&en1, &r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "until Jan 1"));

	for (a = 0; a < 2; a++) {
		for (i = 0; i < sizeof(res) / sizeof(res[0]); i++) {
			r.approve = a;
			r.result = res[i];
			assert_true(reply_review(&zh1, &r, buf,
						 sizeof(buf)) > 0);
			assert_one_sms(buf);
			assert_true(reply_review(&en1, &r, buf,
						 sizeof(buf)) > 0);
			assert_one_sms(buf);
		}
	}
	r.result = (enum reply_review_result)99;
	assert_int_equal(reply_review(&zh1, &r, buf, sizeof(buf)), -EINVAL);
}

/* A missing id and a forbidden id read the same: no data leaks. */
static void test_review_not_found_same_words(void **state)
{
	struct reply_review r = {
		true, REPLY_REVIEW_NOT_FOUND, 99, NULL, 0
	};
	char a[256], b[256];

	(void)state;
	reply_review(&zh1, &r, a, sizeof(a));
	r.rec = &recs[0];	/* even if the caller passes the record */
	reply_review(&zh1, &r, b, sizeof(b));
	assert_string_equal(a, b);
	assert_null(strstr(b, "张三"));
}

static void test_notices(void **state)
{
	struct reply_notice n = {
		REPLY_NOTICE_APPROVED, &recs[0], DEC5, NULL, 0
	};
	char buf[512], reason[600];
	size_t i;

	(void)state;
	reply_notice(&zh1, &n, buf, sizeof(buf));
	assert_string_equal(buf, "您家#17 +5分（清扫房前屋后）已审核通过，公示至"
			    "12月5日，无异议后生效。");
	assert_one_sms(buf);
	n.until = JAN1;
	reply_notice(&zh1, &n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "公示至1月1日"));

	n.kind = REPLY_NOTICE_REJECTED;
	n.reason = "照片不是本户门前";
	reply_notice(&zh1, &n, buf, sizeof(buf));
	assert_string_equal(buf, "您家#17 +5分（清扫房前屋后）未通过审核。理由："
			    "照片不是本户门前");
	assert_one_sms(buf);

	/* a long reason is cut to the budget, never mid-character */
	reason[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(reason, "理由");
	n.reason = reason;
	reply_notice(&zh1, &n, buf, sizeof(buf));
	assert_int_equal(text_ucs2_units(buf), 70);
	assert_true(valid_utf8(buf));
	assert_non_null(strstr(buf, "…"));
	reply_notice(&zh2, &n, buf, sizeof(buf));
	assert_int_equal(text_ucs2_units(buf), 134);

	n.kind = REPLY_NOTICE_FINAL;
	n.total = 588;
	reply_notice(&zh1, &n, buf, sizeof(buf));
	assert_string_equal(buf, "您家#17 +5分（清扫房前屋后）公示期满，已生效，"
			    "现有积分588分。");
	assert_one_sms(buf);
	reply_notice(&en1, &n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "588 points"));
	n.kind = REPLY_NOTICE_APPROVED;
	reply_notice(&en1, &n, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Jan 1"));
}

static void test_simple(void **state)
{
	char buf[512];
	int w;

	(void)state;
	for (w = REPLY_STOPPED; w <= REPLY_TRY_LATER; w++) {
		assert_true(reply_simple(&zh1, w, buf, sizeof(buf)) > 0);
		assert_one_sms(buf);
		assert_false(text_is_ascii(buf));
		assert_true(reply_simple(&en1, w, buf, sizeof(buf)) > 0);
		assert_one_sms(buf);
		assert_true(text_is_ascii(buf));
	}
	reply_simple(&zh1, REPLY_STOPPED, buf, sizeof(buf));
	assert_non_null(strstr(buf, "已退订"));
	reply_simple(&zh1, REPLY_REGISTER_HINT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "登记"));
	reply_simple(&zh1, REPLY_UNKNOWN_CMD, buf, sizeof(buf));
	assert_non_null(strstr(buf, "回复0"));
	assert_int_equal(reply_simple(&zh1, (enum reply_simple)50, buf,
				      sizeof(buf)), -EINVAL);
}

static void test_not_yet(void **state)
{
	char buf[256];

	(void)state;
	reply_not_yet(&zh1, "申报", buf, sizeof(buf));
	assert_string_equal(buf, "“申报”功能即将开通，敬请期待。回复0查看帮助");
	assert_one_sms(buf);
	reply_not_yet(&en1, "兑换", buf, sizeof(buf));
	assert_string_equal(buf, "Exchanging points is coming later. Reply HELP "
			    "for the commands.");
	reply_not_yet(&zh1, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, "即将开通"));
}

/* Every parse error gets specific words, in one SMS, both languages. */
static void test_cmd_errors(void **state)
{
	static const char *const msgs[] = {
		"确认", "确认 0", "确认 17 PIN 12", "驳回 17", "驳回", "说事",
		"利率 0", "利率 30 50年", "", "QR", "BH 17", "异议 17",
		"回复 M12", "办结", "通知", "确认发送",
	};
	char buf[256];
	struct cmd c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		cmd_parse(msgs[i], strlen(msgs[i]), &c);
		assert_int_not_equal(c.err, CMD_OK);
		assert_true(reply_cmd_error(&zh1, &c, buf, sizeof(buf)) > 0);
		assert_one_sms(buf);
		assert_true(reply_cmd_error(&en1, &c, buf, sizeof(buf)) > 0);
		assert_one_sms(buf);
	}
	cmd_parse("驳回 17", strlen("驳回 17"), &c);
	reply_cmd_error(&zh1, &c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "理由"));
	cmd_parse("确认", strlen("确认"), &c);
	reply_cmd_error(&zh1, &c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "确认 17"));
	cmd_parse("积分", strlen("积分"), &c);
	assert_int_equal(reply_cmd_error(&zh1, &c, buf, sizeof(buf)), -EINVAL);
}

static void test_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(reply_say(&zh1, 23, buf, sizeof(buf)), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(reply_say(&zh1, 23, buf, 0), -EINVAL);
	assert_int_equal(reply_say(NULL, 23, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(reply_points(&zh1, NULL, buf, sizeof(buf)), -EINVAL);
}

/* Within max_parts parts (UCS-2 or GSM 7-bit). */
static void assert_within(const struct reply_ctx *c, const char *s)
{
	bool ucs2;
	size_t u = text_sms_units(s, &ucs2);

	if (u > reply_max_units(c->max_parts, ucs2))
		print_message("# too long (%zu): %s\n", u, s);
	assert_true(u <= reply_max_units(c->max_parts, ucs2));
	assert_true(valid_utf8(s));
}

/*
 * Every workflow message: one SMS (70 UCS-2 units) with ordinary input,
 * within max_parts with hostile input (very long free text).
 */
static void test_flow_messages_fit(void **state)
{
	static const char long_text[] =
		"村口的路灯已经坏了三个多星期了，晚上出门非常不方便，老人孩子"
		"走夜路很危险，希望村委会尽快安排电工来修理，谢谢！再补充一下"
		"具体位置是在老槐树旁边第二根电线杆上面那一盏灯，一直不亮。";
	const struct reply_ctx *ctxs[] = { &zh1, &zh2, &en1, &en2 };
	struct reply_flow_args a = { 0 };
	char buf[1024];
	size_t c;
	int k;

	(void)state;
	for (c = 0; c < 4; c++) {
		for (k = REPLY_MATTER_TO_COMMITTEE; k <= REPLY_SORRY; k++) {
			memset(&a, 0, sizeof(a));
			a.no = 123;
			a.name = "欧阳大伟";
			a.text = "路灯坏了";
			a.rec = &recs[0];
			a.until = 1795831200LL;
			a.count = 312;
			a.parts = 624;
			a.held = 17;
			a.code = "4821";
			assert_true(reply_flow(ctxs[c], (enum reply_flow)k, &a,
					       buf, sizeof(buf)) > 0);
			assert_within(ctxs[c], buf);
			/* short inputs: one SMS, except the free-text ones
			 * that carry a matter or a notice in full */
			if (ctxs[c]->max_parts == 1)
				assert_one_sms(buf);
			a.text = long_text;
			a.name = "这是一个非常非常长的户主名字测试";
			assert_true(reply_flow(ctxs[c], (enum reply_flow)k, &a,
					       buf, sizeof(buf)) > 0);
			assert_within(ctxs[c], buf);
		}
	}
	a.text = "路灯坏了";
	assert_true(reply_flow(&zh1, REPLY_MATTER_TO_COMMITTEE, &a, buf,
			       sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "M123"));
	assert_null(strstr(buf, "138"));
	assert_int_equal(reply_flow(&zh1, (enum reply_flow)99, &a, buf,
				    sizeof(buf)), -EINVAL);
	assert_int_equal(reply_flow(&zh1, REPLY_MATTER_ANSWER, NULL, buf,
				    sizeof(buf)), -EINVAL);
}

static void test_batch_summary(void **state)
{
	struct reply_batch_item it[30];
	char buf[1024];
	int i;

	(void)state;
	it[0] = (struct reply_batch_item){ 17, REPLY_REVIEW_DONE };
	it[1] = (struct reply_batch_item){ 18, REPLY_REVIEW_DONE };
	it[2] = (struct reply_batch_item){ 19, REPLY_REVIEW_ALREADY };
	it[3] = (struct reply_batch_item){ 20, REPLY_REVIEW_NOT_COMMITTEE };
	it[4] = (struct reply_batch_item){ 21, REPLY_REVIEW_OWN_HOUSEHOLD };
	assert_true(reply_batch(&zh1, true, it, 5, 1795831200LL, buf,
				sizeof(buf)) > 0);
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "已确认#17、#18"));
	assert_non_null(strstr(buf, "#20"));
	assert_non_null(strstr(buf, "公示至"));
	for (i = 0; i < 30; i++)
		it[i] = (struct reply_batch_item){ 1000 + i,
						   REPLY_REVIEW_DONE };
	assert_true(reply_batch(&zh2, true, it, 30, 1795831200LL, buf,
				sizeof(buf)) > 0);
	assert_within(&zh2, buf);
	assert_true(reply_batch(&en1, true, it, 30, 0, buf, sizeof(buf)) > 0);
	assert_within(&en1, buf);
	assert_int_equal(reply_batch(&zh1, true, it, 0, 0, buf, sizeof(buf)),
			 -EINVAL);
}

static void test_merged_and_todo_full(void **state)
{
	struct reply_matter m[2] = { { 3, "张三", "村口路灯坏了很久了" },
				     { 4, NULL, "垃圾没人收" } };
	struct reply_todo_full t = { 0 };
	char items[2048] = "", one[32], buf[1024];
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		assert_true(reply_short_ack(&zh1, CMD_APPROVE, 100 + i, true,
					    one, sizeof(one)) > 0);
		if (i)
			strcat(items, "\n");
		strcat(items, one);
	}
	assert_true(reply_merged(&zh1, items, 40, buf, sizeof(buf)) > 0);
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "确认#100"));
	assert_non_null(strstr(buf, "等"));
	assert_true(reply_merged(&zh2, items, 40, buf, sizeof(buf)) > 0);
	assert_within(&zh2, buf);
	t.items = recs;
	t.n = NRECS;
	t.total = 25;
	t.objected = 2;
	t.matters = m;
	t.nm = 2;
	t.total_matters = 2;
	t.pin = 1;
	assert_true(reply_todo_full(&zh1, &t, buf, sizeof(buf)) > 0);
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "待审25条"));
	assert_non_null(strstr(buf, "PIN"));
	assert_true(reply_todo_full(&zh2, &t, buf, sizeof(buf)) > 0);
	assert_within(&zh2, buf);
	assert_non_null(strstr(buf, "M3"));
	t.n = t.total = t.objected = t.nm = t.total_matters = 0;
	assert_true(reply_todo_full(&zh1, &t, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "暂无"));
}

/* 明细 uses the room one SMS has: reasons are not cut while they fit. */
static void test_log_uses_the_room(void **state)
{
	const struct reply_record r[3] = {
		{ 21, NULL, 5, "清扫房前屋后卫生", REPLY_PUBLIC },
		{ 20, NULL, 10, "帮助邻居秋收", REPLY_FINAL },
		{ 19, NULL, -5, "焚烧秸秆", REPLY_FINAL },
	};
	char buf[512];

	(void)state;
	assert_true(reply_log(&zh1, r, 3, buf, sizeof(buf)) > 0);
	assert_one_sms(buf);
	assert_non_null(strstr(buf, "清扫房前屋后卫生"));
	assert_non_null(strstr(buf, "帮助邻居秋收"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lang_and_budget),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_rate_spec_example),
		cmocka_unit_test(test_rate_variants),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_log_trims),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_say),
		cmocka_unit_test(test_todo),
		cmocka_unit_test(test_todo_trimmed),
		cmocka_unit_test(test_review),
		cmocka_unit_test(test_review_not_found_same_words),
		cmocka_unit_test(test_notices),
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_not_yet),
		cmocka_unit_test(test_cmd_errors),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_flow_messages_fit),
		cmocka_unit_test(test_log_uses_the_room),
		cmocka_unit_test(test_batch_summary),
		cmocka_unit_test(test_merged_and_todo_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
