/* SPDX-License-Identifier: MIT */
/* Unit tests for gateway/cmd.c: the SMS command language parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/cmd.h"

struct row {
	const char *sms;
	enum cmd_kind kind;
	enum cmd_err err;
	long id;
	const char *pin;	/* NULL: "" */
	long principal;		/* yuan */
	int years;
	const char *text;	/* NULL: "" */
};

#define K(s, k)			{ s, k, CMD_OK, 0, NULL, 0, 0, NULL }
#define KE(s, k, e)		{ s, k, e, 0, NULL, 0, 0, NULL }
#define ID(s, k, i)		{ s, k, CMD_OK, i, NULL, 0, 0, NULL }
#define PIN(s, i, p)		{ s, CMD_APPROVE, CMD_OK, i, p, 0, 0, NULL }
#define REJ(s, i, t)		{ s, CMD_REJECT, CMD_OK, i, NULL, 0, 0, t }
#define SAY(s, t)		{ s, CMD_SAY, CMD_OK, 0, NULL, 0, 0, t }
#define RATE(s, p, y)		{ s, CMD_RATE, CMD_OK, 0, NULL, p, y, NULL }
#define RATEE(s, e)		{ s, CMD_RATE, e, 0, NULL, 0, 0, NULL }

static const struct row rows[] = {
	/* POINTS */
	K("积分", CMD_POINTS),
	K("查询", CMD_POINTS),
	K("JF", CMD_POINTS),
	K("jf", CMD_POINTS),
	K("CX", CMD_POINTS),
	K("POINTS", CMD_POINTS),
	K("jifen", CMD_POINTS),
	K("JiFen", CMD_POINTS),
	K("chaxun", CMD_POINTS),
	K("1", CMD_POINTS),
	K("１", CMD_POINTS),
	K(" 1 ", CMD_POINTS),
	K("1。", CMD_POINTS),
	K("①", CMD_POINTS),
	K("積分", CMD_POINTS),
	K("查詢", CMD_POINTS),
	K("ＪＦ", CMD_POINTS),
	K("积分？", CMD_POINTS),
	K("查询积分", CMD_POINTS),
	K("积分多少", CMD_POINTS),
	K("【积分】", CMD_POINTS),
	K("\xef\xbb\xbf积分", CMD_POINTS),	/* BOM */
	K("积\xe2\x80\x8b分", CMD_POINTS),	/* zero-width space inside */
	/* RATE */
	K("利率", CMD_RATE),
	K("LL", CMD_RATE),
	K("rate", CMD_RATE),
	K("lilv", CMD_RATE),
	K("2", CMD_RATE),
	RATE("利率 30", 300000, 0),
	RATE("LL30", 300000, 0),
	RATE("ll 30", 300000, 0),
	RATE("利率30万", 300000, 0),
	RATE("利率30万元", 300000, 0),
	RATE("利率 30 3年", 300000, 3),
	RATE("利率30万3年", 300000, 3),
	RATE("利率 30 3", 300000, 3),
	RATE("利率 12.5", 125000, 0),
	RATE("利率 １２．５万", 125000, 0),
	RATE("RATE 30 5", 300000, 5),
	RATE("rate 30w 5y", 300000, 5),
	RATE("利率 3年", 0, 3),
	RATE("利率 10000", 100000000, 0),
	RATE("利率 0.5", 5000, 0),
	RATE("利率 50000元", 50000, 0),
	RATE("利率是多少", 0, 0),
	RATE("利率 30万 30年", 300000, 30),
	RATE("積分貸 30", 300000, 0),
	RATE("查询利率 30", 300000, 0),
	RATE("贷款30万", 300000, 0),
	K("利息", CMD_RATE),
	K("查询明细", CMD_LOG),
	RATEE("利率 0", CMD_ERR_BAD_PRINCIPAL),
	RATEE("利率 20000", CMD_ERR_BAD_PRINCIPAL),
	RATEE("利率 10000.5", CMD_ERR_BAD_PRINCIPAL),
	RATEE("利率 12.34567", CMD_ERR_BAD_PRINCIPAL),
	{ "利率 30 31年", CMD_RATE, CMD_ERR_BAD_YEARS, 0, NULL, 300000, 0,
	  NULL },
	{ "利率 30 0", CMD_RATE, CMD_ERR_BAD_YEARS, 0, NULL, 300000, 0,
	  NULL },
	{ "利率 30 2.5年", CMD_RATE, CMD_ERR_BAD_YEARS, 0, NULL, 300000, 0,
	  NULL },
	RATEE("利率 9999999999", CMD_ERR_BAD_PRINCIPAL),
	/* LOG, HELP */
	K("明细", CMD_LOG),
	K("明細", CMD_LOG),
	K("MX", CMD_LOG),
	K("log", CMD_LOG),
	K("mingxi", CMD_LOG),
	K("3", CMD_LOG),
	K("帮助", CMD_HELP),
	K("幫助", CMD_HELP),
	K("BZ", CMD_HELP),
	K("help", CMD_HELP),
	K("HELP!", CMD_HELP),
	K("?", CMD_HELP),
	K("？", CMD_HELP),
	K(" ?? ", CMD_HELP),
	K("0", CMD_HELP),
	K("bangzhu", CMD_HELP),
	/* SAY */
	SAY("说事 路灯坏了", "路灯坏了"),
	SAY("说事：村口路灯坏了，请修理。", "村口路灯坏了，请修理。"),
	SAY("说事路灯坏了", "路灯坏了"),
	SAY("說事 水渠堵了！", "水渠堵了！"),
	SAY("SS 水渠堵了", "水渠堵了"),
	SAY("ss,ABC road", "ABC road"),
	SAY("say The bridge is broken.", "The bridge is broken."),
	SAY("shuoshi 垃圾没人收", "垃圾没人收"),
	SAY("说事 “低保”名单有误", "“低保”名单有误"),
	SAY("说事 第一行\n第二行", "第一行 第二行"),
	KE("说事", CMD_SAY, CMD_ERR_NO_TEXT),
	KE("说事：。", CMD_SAY, CMD_ERR_NO_TEXT),
	KE("SS", CMD_SAY, CMD_ERR_NO_TEXT),
	/* TODO */
	K("待审", CMD_TODO),
	K("待審", CMD_TODO),
	K("DS", CMD_TODO),
	K("todo", CMD_TODO),
	K("daishen", CMD_TODO),
	/* APPROVE */
	ID("确认 17", CMD_APPROVE, 17),
	ID("QR17", CMD_APPROVE, 17),
	ID("qr 17", CMD_APPROVE, 17),
	ID("确认17", CMD_APPROVE, 17),
	ID("确认：17", CMD_APPROVE, 17),
	ID("确认#17", CMD_APPROVE, 17),
	ID("确认+17", CMD_APPROVE, 17),
	ID("ＱＲ１７", CMD_APPROVE, 17),
	ID("確認 17", CMD_APPROVE, 17),
	ID("OK 17", CMD_APPROVE, 17),
	ID("ok17", CMD_APPROVE, 17),
	ID("queren 17", CMD_APPROVE, 17),
	ID("确认17号", CMD_APPROVE, 17),
	ID("确认 编号17", CMD_APPROVE, 17),
	ID("确认第17", CMD_APPROVE, 17),
	PIN("确认 17 1234", 17, "1234"),
	PIN("QR17 12345678", 17, "12345678"),
	PIN("确认17，PIN 4321", 17, "4321"),
	PIN("确认17 密码4321", 17, "4321"),
	KE("确认", CMD_APPROVE, CMD_ERR_NO_NUMBER),
	KE("OK", CMD_APPROVE, CMD_ERR_NO_NUMBER),
	KE("确认 张三", CMD_APPROVE, CMD_ERR_NO_NUMBER),
	KE("确认 0", CMD_APPROVE, CMD_ERR_BAD_NUMBER),
	KE("确认 12345678901", CMD_APPROVE, CMD_ERR_BAD_NUMBER),
	KE("确认 1.5", CMD_APPROVE, CMD_ERR_BAD_NUMBER),
	/* SPEC §6 batch review: a short trailing number is one more item
	 * (it was a malformed PIN before), a bad PIN needs "PIN" in front */
	ID("确认 17 12", CMD_APPROVE, 17),
	{ "确认 17 PIN 12", CMD_APPROVE, CMD_ERR_BAD_PIN, 17, NULL, 0, 0,
	  NULL },
	ID("确认 17 123456789", CMD_APPROVE, 17),	/* two items */
	{ "确认 17 pin", CMD_APPROVE, CMD_ERR_BAD_PIN, 17, NULL, 0, 0, NULL },
	/* REJECT */
	REJ("驳回17不属实", 17, "不属实"),
	REJ("驳回 17 不属实", 17, "不属实"),
	REJ("BH 17,不属实", 17, "不属实"),
	REJ("bh17，不属实，照片不对", 17, "不属实，照片不对"),
	REJ("駁回 17 重複申報", 17, "重複申報"),
	REJ("NO 17 not true", 17, "not true"),
	REJ("驳回17号 重复", 17, "重复"),
	REJ("驳回 17 理由：重复", 17, "重复"),
	REJ("驳回 17 “没有照片”", 17, "“没有照片”"),
	REJ("ＢＨ１７　ＡＢＣ", 17, "ＡＢＣ"),
	REJ("bohui 9 wrong house", 9, "wrong house"),
	{ "驳回17", CMD_REJECT, CMD_ERR_NO_REASON, 17, NULL, 0, 0, NULL },
	{ "驳回 17 。", CMD_REJECT, CMD_ERR_NO_REASON, 17, NULL, 0, 0, NULL },
	{ "驳回 17 理由", CMD_REJECT, CMD_ERR_NO_REASON, 17, NULL, 0, 0,
	  NULL },
	KE("驳回", CMD_REJECT, CMD_ERR_NO_NUMBER),
	KE("驳回 不属实", CMD_REJECT, CMD_ERR_NO_NUMBER),
	KE("NO", CMD_REJECT, CMD_ERR_NO_NUMBER),
	KE("驳回 0 不属实", CMD_REJECT, CMD_ERR_BAD_NUMBER),
	/* STOP, START */
	K("退订", CMD_STOP),
	K("退訂", CMD_STOP),
	K("TD", CMD_STOP),
	K("td", CMD_STOP),
	K("STOP", CMD_STOP),
	K("T", CMD_STOP),
	K("tuiding", CMD_STOP),
	K("订阅", CMD_START),
	K("訂閱", CMD_START),
	K("DY", CMD_START),
	K("START", CMD_START),
	/* later commands */
	K("申报 清扫", CMD_NOT_YET),
	K("SB", CMD_NOT_YET),
	{ "异议 17 没有参加", CMD_OBJECT, CMD_OK, 17, NULL, 0, 0, "没有参加" },
	{ "YY17 不属实", CMD_OBJECT, CMD_OK, 17, NULL, 0, 0, "不属实" },
	{ "異議 17 理由：没去", CMD_OBJECT, CMD_OK, 17, NULL, 0, 0, "没去" },
	{ "异议 17", CMD_OBJECT, CMD_ERR_NO_REASON, 17, NULL, 0, 0, NULL },
	KE("异议", CMD_OBJECT, CMD_ERR_NO_NUMBER),
	{ "回复 M12 已安排维修", CMD_REPLY, CMD_OK, 12, NULL, 0, 0,
	  "已安排维修" },
	{ "HF m3 ok", CMD_REPLY, CMD_OK, 3, NULL, 0, 0, "ok" },
	{ "回复 M12", CMD_REPLY, CMD_ERR_NO_TEXT, 12, NULL, 0, 0, NULL },
	KE("回复 M", CMD_REPLY, CMD_ERR_NO_MATTER),
	K("回复2", CMD_RATE),		/* answering our "回复2查利率" hint */
	K("回复 积分", CMD_POINTS),
	/* one level of "回复 ..." only (bounded stack) */
	{ "回复 回复 2", CMD_REPLY, CMD_ERR_NO_TEXT, 2, NULL, 0, 0, NULL },
	ID("办结 M12", CMD_DONE, 12),
	ID("BJ M7", CMD_DONE, 7),
	ID("办结12", CMD_DONE, 12),
	KE("办结", CMD_DONE, CMD_ERR_NO_MATTER),
	{ "通知 周五上午开会", CMD_NOTICE, CMD_OK, 0, NULL, 0, 0,
	  "周五上午开会" },
	{ "通知 周五开会 1234", CMD_NOTICE, CMD_OK, 0, "1234", 0, 0,
	  "周五开会 1234" },
	KE("通知", CMD_NOTICE, CMD_ERR_NO_TEXT),
	K("确认发送 4821", CMD_NOTICE_SEND),
	KE("确认发送", CMD_NOTICE_SEND, CMD_ERR_NO_CODE),
	/* the synonym table */
	K("我的积分", CMD_POINTS),
	K("我家积分多少", CMD_POINTS),
	K("我家积分多少？", CMD_POINTS),
	K("我有多少积分", CMD_POINTS),
	K("查利率", CMD_RATE),
	K("贷款利率", CMD_RATE),
	K("积分明细", CMD_LOG),
	K("怎么用", CMD_HELP),
	{ "反映 路灯坏了", CMD_SAY, CMD_OK, 0, NULL, 0, 0, "路灯坏了" },
	K("兑换", CMD_NOT_YET),
	K("DH", CMD_NOT_YET),
	K("清单", CMD_NOT_YET),
	K("记分", CMD_NOT_YET),
	K("JL", CMD_NOT_YET),
	K("核销", CMD_NOT_YET),
	K("绑定 13800000001", CMD_NOT_YET),
	K("BD", CMD_NOT_YET),
	/* unknown: whole words only, digits only alone */
	K("OKAY", CMD_UNKNOWN),
	K("NOTE 17", CMD_UNKNOWN),
	K("TODAY", CMD_UNKNOWN),
	K("T 17", CMD_UNKNOWN),
	K("thanks", CMD_UNKNOWN),
	K("12", CMD_UNKNOWN),
	K("4", CMD_UNKNOWN),
	K("2 30", CMD_UNKNOWN),
	K("1 2", CMD_UNKNOWN),
	K("你好", CMD_UNKNOWN),
	K("谢谢", CMD_UNKNOWN),
	K("jfx", CMD_UNKNOWN),
	KE("\xff\xfe\x80", CMD_UNKNOWN, CMD_ERR_EMPTY),
	KE("", CMD_UNKNOWN, CMD_ERR_EMPTY),
	KE("  \r\n ", CMD_UNKNOWN, CMD_ERR_EMPTY),
	KE("。。，", CMD_UNKNOWN, CMD_ERR_EMPTY),
};

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a, b ? b : "");
}

/* Compare one row; print every mismatch so a failing table shows all. */
static bool check_row(const struct row *r)
{
	struct cmd c;

	if (cmd_parse(r->sms, strlen(r->sms), &c) != 0)
		return false;
	if (c.kind == r->kind && c.err == r->err && c.id == r->id &&
	    str_eq(c.pin, r->pin) && c.principal_yuan == r->principal &&
	    c.years == r->years && str_eq(c.text, r->text) && c.word)
		return true;
	print_message("# FAIL \"%s\": got %s/%s id=%ld pin=%s p=%ld y=%d "
		      "text=\"%s\"; want %s/%s id=%ld pin=%s p=%ld y=%d "
		      "text=\"%s\"\n", r->sms, cmd_kind_name(c.kind),
		      cmd_err_str(c.err), c.id, c.pin, c.principal_yuan,
		      c.years, c.text, cmd_kind_name(r->kind),
		      cmd_err_str(r->err), r->id, r->pin ? r->pin : "",
		      r->principal, r->years, r->text ? r->text : "");
	return false;
}

static void test_table(void **state)
{
	size_t i, bad = 0, n = sizeof(rows) / sizeof(rows[0]);

	(void)state;
	assert_true(n >= 80);
	for (i = 0; i < n; i++)
		bad += !check_row(&rows[i]);
	assert_int_equal(bad, 0);
}

static void test_canonical_word(void **state)
{
	struct cmd c;

	(void)state;
	cmd_parse("SB 清扫", 10, &c);
	assert_int_equal(c.kind, CMD_NOT_YET);
	assert_string_equal(c.word, "申报");
	cmd_parse("DH", 2, &c);
	assert_string_equal(c.word, "兑换");
	cmd_parse("1", 1, &c);
	assert_true(c.shortcut);
	assert_string_equal(c.word, "积分");
	cmd_parse("积分", strlen("积分"), &c);
	assert_false(c.shortcut);
	cmd_parse("hello", 5, &c);
	assert_string_equal(c.word, "");
}

/* The length given is honoured: no NUL needed, nothing read past it. */
static void test_length_bound(void **state)
{
	static const char buf[] = { 'Q', 'R', '1', '7', '9', '9' };
	struct cmd c;

	(void)state;
	assert_int_equal(cmd_parse(buf, 4, &c), 0);
	assert_int_equal(c.kind, CMD_APPROVE);
	assert_int_equal(c.id, 17);
	assert_int_equal(cmd_parse(NULL, 0, &c), 0);
	assert_int_equal(c.err, CMD_ERR_EMPTY);
	assert_int_equal(cmd_parse("x", 1, NULL), -EINVAL);
}

/* A long 说事 keeps whole characters and stays NUL-terminated. */
static void test_long_text(void **state)
{
	char sms[4000];
	struct cmd c;
	size_t i, n;

	(void)state;
	strcpy(sms, "说事 ");
	n = strlen(sms);
	for (i = 0; i < 1200; i++) {
		memcpy(sms + n, "路", 3);
		n += 3;
	}
	sms[n] = '\0';
	assert_int_equal(cmd_parse(sms, n, &c), 0);
	assert_int_equal(c.kind, CMD_SAY);
	assert_int_equal(c.err, CMD_OK);
	assert_true(strlen(c.text) < CMD_TEXT_MAX);
	assert_int_equal(strlen(c.text) % 3, 0);
	assert_int_equal(memcmp(c.text, "路路路", 9), 0);
}

/* Invalid UTF-8 inside free text is dropped, the rest kept. */
static void test_invalid_bytes_in_text(void **state)
{
	const char sms[] = "驳回 17 不\xff属\xc3实";
	struct cmd c;

	(void)state;
	assert_int_equal(cmd_parse(sms, strlen(sms), &c), 0);
	assert_int_equal(c.kind, CMD_REJECT);
	assert_string_equal(c.text, "不属实");
}

/* 确认 17 18 19 [PIN]: every number, then the PIN. */
static void test_batch_approve(void **state)
{
	struct cmd c;
	const char *s;

	(void)state;
	s = "确认 17 18 19 1234";
	assert_int_equal(cmd_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.kind, CMD_APPROVE);
	assert_int_equal(c.err, CMD_OK);
	assert_int_equal(c.nids, 3);
	assert_int_equal(c.ids[0], 17);
	assert_int_equal(c.ids[2], 19);
	assert_string_equal(c.pin, "1234");
	assert_true(c.pin_bare);
	s = "QR 17,18、19，20 PIN 0042";
	assert_int_equal(cmd_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.nids, 4);
	assert_string_equal(c.pin, "0042");
	assert_false(c.pin_bare);
	s = "确认 17 17 18";	/* duplicates dropped */
	assert_int_equal(cmd_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.nids, 2);
	assert_string_equal(c.pin, "");
	s = "确认 1001 1002";	/* the handler decides: PIN or record */
	assert_int_equal(cmd_parse(s, strlen(s), &c), 0);
	assert_int_equal(c.nids, 1);
	assert_string_equal(c.pin, "1002");
	assert_true(c.pin_bare);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cmd_kind_name(CMD_NOT_YET), "NOT_YET");
	assert_string_equal(cmd_kind_name(CMD_APPROVE), "APPROVE");
	assert_string_equal(cmd_err_str(CMD_ERR_NO_REASON),
			    "rejection reason missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_canonical_word),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_invalid_bytes_in_text),
		cmocka_unit_test(test_batch_approve),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
