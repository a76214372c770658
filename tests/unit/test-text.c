/* SPDX-License-Identifier: MIT */
/* Unit tests for gateway/text.c: UTF-8 helpers and normalisation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/text.h"

static const struct {
	const char *in;
	const char *out;
} norm_rows[] = {
	{ "积分", "积分" },
	{ "  JF  ", "jf" },
	{ "ＱＲ１７", "qr17" },
	{ "ＱＲ　１７", "qr 17" },
	{ "確認 17", "确认 17" },
	{ "積分 查詢 利率 明細 幫助", "积分 查询 利率 明细 帮助" },
	{ "說事 待審 確認 駁回 退訂 訂閱", "说事 待审 确认 驳回 退订 订阅" },
	{ "驳回17，不属实。", "驳回17 不属实" },
	{ "BH 17,不属实", "bh 17 不属实" },
	{ "【积分】《说明》“你好”‘好’（一）", "积分 说明 你好 好 一" },
	{ "a、b；c：d！e？f…g—h·i", "a b c d e f g h i" },
	{ "a,b.c;d:e!f?g(h)i[j]k\"l'm/n", "a b c d e f g h i j k l m n" },
	{ "利率 12.5", "利率 12.5" },
	{ "利率 １２．５万", "利率 12.5万" },
	{ "end. 1.", "end 1" },
	{ "1..5", "1 5" },
	{ ".5", "5" },
	{ "a\t\r\nb", "a b" },
	{ "a\xc2\xa0\xe2\x80\x83" "b", "a b" },	/* NBSP, em space */
	{ "积\xe2\x80\x8b分", "积分" },			/* zero width */
	{ "\xef\xbb\xbf" "HELP", "help" },		/* BOM */
	{ "ÀÉÜ", "àéü" },
	{ "①②⑨", "129" },
	{ "bad\xff\xfe" "bytes", "badbytes" },
	{ "\xe7\xa7", "" },				/* truncated sequence */
	{ "\xc0\xaf" "x", "x" },			/* overlong '/' */
	{ "\xed\xa0\x80" "y", "y" },			/* surrogate */
	{ "😀积分", "😀积分" },
	{ "。。。", "" },
	{ "", "" },
};

static void test_normalize_table(void **state)
{
	char out[256];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(norm_rows) / sizeof(norm_rows[0]); i++) {
		n = text_normalize(norm_rows[i].in, strlen(norm_rows[i].in),
				   out, sizeof(out), NULL);
		if (strcmp(out, norm_rows[i].out))
			print_message("# \"%s\" -> \"%s\", want \"%s\"\n",
				      norm_rows[i].in, out, norm_rows[i].out);
		assert_string_equal(out, norm_rows[i].out);
		assert_int_equal(n, (int)strlen(out));
	}
}

/* The map leads from normalised bytes back to the original text. */
static void test_normalize_map(void **state)
{
	const char in[] = "ＢＨ１７，  不属实！";
	char out[64];
	uint32_t map[64];
	int n;

	(void)state;
	n = text_normalize(in, strlen(in), out, sizeof(out), map);
	assert_string_equal(out, "bh17 不属实");
	assert_int_equal(map[0], 0);		/* Ｂ */
	assert_int_equal(map[2], 6);		/* １ */
	assert_int_equal(map[4], 12);		/* the ， */
	assert_string_equal(in + map[5], "不属实！");
	assert_int_equal(map[n], strlen(in) - 3);	/* before ！ */
}

static void test_normalize_small_buffer(void **state)
{
	char out[8];
	uint32_t map[8];
	int n;

	(void)state;
	/* 3 Chinese characters need 9 bytes: only 2 fit in 7 */
	n = text_normalize("积分帮助", strlen("积分帮助"), out, sizeof(out),
			   map);
	assert_int_equal(n, 6);
	assert_string_equal(out, "积分");
	assert_int_equal(map[6], 6);
	n = text_normalize("abc", 3, out, 1, NULL);
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	assert_int_equal(text_normalize("abc", 3, out, 0, NULL), -EINVAL);
	assert_int_equal(text_normalize("abc", 3, NULL, 8, NULL), -EINVAL);
	/* length bounds the input: no NUL needed */
	n = text_normalize("QRXYZ", 2, out, sizeof(out), NULL);
	assert_string_equal(out, "qr");
}

static void test_lengths(void **state)
{
	(void)state;
	assert_int_equal(text_utf8_len(""), 0);
	assert_int_equal(text_utf8_len("abc"), 3);
	assert_int_equal(text_utf8_len("积分583"), 5);
	assert_int_equal(text_utf8_len("a\xffz"), 2);
	assert_int_equal(text_utf8_len("😀"), 1);
	assert_int_equal(text_ucs2_units("积分583"), 5);
	assert_int_equal(text_ucs2_units("😀a"), 3);
	assert_true(text_is_ascii("HELP 1,740"));
	assert_false(text_is_ascii("帮助"));
}

static void test_sms_units(void **state)
{
	bool ucs2 = true;

	(void)state;
	assert_int_equal(text_sms_units("Reply HELP", &ucs2), 10);
	assert_false(ucs2);
	assert_int_equal(text_sms_units("a[b]", &ucs2), 6);
	assert_false(ucs2);
	assert_int_equal(text_sms_units("`", &ucs2), 1);
	assert_true(ucs2);
	assert_int_equal(text_sms_units("积分 1", &ucs2), 4);
	assert_true(ucs2);
	assert_int_equal(text_sms_units("😀", NULL), 2);
}

static void test_truncate(void **state)
{
	char s[64];

	(void)state;
	strcpy(s, "积分583分");
	assert_int_equal(text_truncate_units(s, 3), 3);
	assert_string_equal(s, "积分5");
	strcpy(s, "a😀b");
	assert_int_equal(text_truncate_units(s, 2), 1);	/* no half pair */
	assert_string_equal(s, "a");
	strcpy(s, "abc");
	assert_int_equal(text_truncate_units(s, 10), 3);
	assert_string_equal(s, "abc");
	strcpy(s, "abc");
	assert_int_equal(text_truncate_units(s, 0), 0);
	assert_string_equal(s, "");
}

static void test_copy(void **state)
{
	char d[8];

	(void)state;
	assert_int_equal(text_copy(d, sizeof(d), "积分帮助"), 6);
	assert_string_equal(d, "积分");
	assert_int_equal(text_copy(d, sizeof(d), "ok"), 2);
	assert_string_equal(d, "ok");
	assert_int_equal(text_copy(d, 0, "ok"), 0);
}

static void test_clean(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "：村口路灯坏了，请修理。", "村口路灯坏了，请修理。" },
		{ " , - 不属实  ", "不属实" },
		{ "第一行\r\n第二行", "第一行 第二行" },
		{ "“低保”名单", "“低保”名单" },
		{ "ＡＢＣ", "ＡＢＣ" },
		{ "x\xff y", "x y" },
		{ "。", "" },
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		text_clean(rows[i].in, strlen(rows[i].in), out, sizeof(out));
		assert_string_equal(out, rows[i].out);
	}
	assert_int_equal(text_clean("路灯坏了", strlen("路灯坏了"), out, 8), 6);
	assert_string_equal(out, "路灯");
	assert_int_equal(text_clean("x", 1, out, 0), -EINVAL);
}

static void test_fix_utf8(void **state)
{
	char s[] = "\xd5\xc5\xc8\xfd张三\xff";

	(void)state;
	assert_int_equal(text_fix_utf8(s), 5);
	assert_string_equal(s, "????张三?");
	assert_int_equal(text_fix_utf8(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_utf8),
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_normalize_map),
		cmocka_unit_test(test_normalize_small_buffer),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_sms_units),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
