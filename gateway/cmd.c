/* SPDX-License-Identifier: MIT */
/*
 * cmd.c - the SMS command language parser.
 *
 * The message is normalised (text_normalize) into a string of words
 * with a map back to the original bytes.  The parser walks the
 * normalised string with a cursor, splitting words further where the
 * script changes (Latin letters, digits, anything else), so "qr17",
 * "确认17" and "利率30万3年" fall apart into their pieces.  Free text is
 * cut from the original message at the cursor's mapped position.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/cmd.h"
#include "gateway/text.h"
#include "util/array.h"
#include "util/utf8.h"

#define NORM_MAX	1024

enum tok_class {
	TOK_LATIN,
	TOK_DIGIT,
	TOK_OTHER,
};

struct tok {
	size_t start;
	size_t end;
	enum tok_class cls;
};

struct word {
	const char *w;
	enum cmd_kind kind;
	const char *canon;
};

/*
 * Every word that starts a command.  A word matches a token of its own
 * kind of characters (cp_class) only, so one table serves all:
 *  - Chinese words: a prefix of the first word, longest wins;
 *  - Latin aliases and pinyin (lower case): whole words only;
 *  - lone digits: menu shortcuts, the whole message.
 */
static const struct word words[] = {
	{ "积分", CMD_POINTS, "积分" },
	{ "查询", CMD_POINTS, "查询" },
	{ "查积分", CMD_POINTS, "积分" },
	{ "利率", CMD_RATE, "利率" },
	{ "查利率", CMD_RATE, "利率" },
	{ "积分贷", CMD_RATE, "利率" },
	{ "贷款利率", CMD_RATE, "利率" },
	{ "贷款", CMD_RATE, "利率" },
	{ "利息", CMD_RATE, "利率" },
	{ "查询利率", CMD_RATE, "利率" },
	{ "查询明细", CMD_LOG, "明细" },
	{ "明细", CMD_LOG, "明细" },
	{ "查明细", CMD_LOG, "明细" },
	{ "帮助", CMD_HELP, "帮助" },
	{ "说事", CMD_SAY, "说事" },
	{ "待审", CMD_TODO, "待审" },
	{ "确认", CMD_APPROVE, "确认" },
	{ "驳回", CMD_REJECT, "驳回" },
	{ "退订", CMD_STOP, "退订" },
	{ "订阅", CMD_START, "订阅" },
	{ "异议", CMD_OBJECT, "异议" },
	{ "回复", CMD_REPLY, "回复" },
	{ "办结", CMD_DONE, "办结" },
	{ "通知", CMD_NOTICE, "通知" },
	{ "确认发送", CMD_NOTICE_SEND, "确认发送" },
	{ "申报", CMD_NOT_YET, "申报" },
	{ "兑换", CMD_NOT_YET, "兑换" },
	{ "清单", CMD_NOT_YET, "清单" },
	{ "记分", CMD_NOT_YET, "记分" },
	{ "核销", CMD_NOT_YET, "核销" },
	{ "绑定", CMD_NOT_YET, "绑定" },
	/*
	 * Synonyms: common phrasings of the commands (SPEC §6), matched
	 * like the command words.  Add phrasings here, not in code.
	 */
	{ "我的积分", CMD_POINTS, "积分" },
	{ "我家积分", CMD_POINTS, "积分" },
	{ "我家的积分", CMD_POINTS, "积分" },
	{ "查我的积分", CMD_POINTS, "积分" },
	{ "查一下积分", CMD_POINTS, "积分" },
	{ "我有多少积分", CMD_POINTS, "积分" },
	{ "我家有多少积分", CMD_POINTS, "积分" },
	{ "多少积分", CMD_POINTS, "积分" },
	{ "余额", CMD_POINTS, "积分" },
	{ "积分明细", CMD_LOG, "明细" },
	{ "我的明细", CMD_LOG, "明细" },
	{ "积分记录", CMD_LOG, "明细" },
	{ "记录", CMD_LOG, "明细" },
	{ "贷款多少利息", CMD_RATE, "利率" },
	{ "我的利率", CMD_RATE, "利率" },
	{ "能贷多少", CMD_RATE, "利率" },
	{ "怎么用", CMD_HELP, "帮助" },
	{ "菜单", CMD_HELP, "帮助" },
	{ "反映", CMD_SAY, "说事" },
	{ "我要说事", CMD_SAY, "说事" },
	{ "我要反映", CMD_SAY, "说事" },
	{ "不同意", CMD_OBJECT, "异议" },
	{ "有异议", CMD_OBJECT, "异议" },
	{ "待审核", CMD_TODO, "待审" },
	{ "审核", CMD_TODO, "待审" },
	{ "同意", CMD_APPROVE, "确认" },
	{ "通过", CMD_APPROVE, "确认" },
	{ "取消订阅", CMD_STOP, "退订" },
	{ "不要通知", CMD_STOP, "退订" },
	/* Latin aliases and pinyin */
	{ "jf", CMD_POINTS, "积分" },
	{ "cx", CMD_POINTS, "查询" },
	{ "points", CMD_POINTS, "积分" },
	{ "point", CMD_POINTS, "积分" },
	{ "jifen", CMD_POINTS, "积分" },
	{ "chaxun", CMD_POINTS, "查询" },
	{ "ll", CMD_RATE, "利率" },
	{ "rate", CMD_RATE, "利率" },
	{ "lilv", CMD_RATE, "利率" },
	{ "mx", CMD_LOG, "明细" },
	{ "log", CMD_LOG, "明细" },
	{ "mingxi", CMD_LOG, "明细" },
	{ "bz", CMD_HELP, "帮助" },
	{ "help", CMD_HELP, "帮助" },
	{ "bangzhu", CMD_HELP, "帮助" },
	{ "ss", CMD_SAY, "说事" },
	{ "say", CMD_SAY, "说事" },
	{ "shuoshi", CMD_SAY, "说事" },
	{ "ds", CMD_TODO, "待审" },
	{ "todo", CMD_TODO, "待审" },
	{ "daishen", CMD_TODO, "待审" },
	{ "qr", CMD_APPROVE, "确认" },
	{ "ok", CMD_APPROVE, "确认" },
	{ "approve", CMD_APPROVE, "确认" },
	{ "queren", CMD_APPROVE, "确认" },
	{ "bh", CMD_REJECT, "驳回" },
	{ "no", CMD_REJECT, "驳回" },
	{ "reject", CMD_REJECT, "驳回" },
	{ "bohui", CMD_REJECT, "驳回" },
	{ "td", CMD_STOP, "退订" },
	{ "stop", CMD_STOP, "退订" },
	{ "unsubscribe", CMD_STOP, "退订" },
	{ "tuiding", CMD_STOP, "退订" },
	{ "dy", CMD_START, "订阅" },
	{ "start", CMD_START, "订阅" },
	{ "subscribe", CMD_START, "订阅" },
	{ "dingyue", CMD_START, "订阅" },
	{ "sb", CMD_NOT_YET, "申报" },
	{ "shenbao", CMD_NOT_YET, "申报" },
	{ "yy", CMD_OBJECT, "异议" },
	{ "yiyi", CMD_OBJECT, "异议" },
	{ "object", CMD_OBJECT, "异议" },
	{ "hf", CMD_REPLY, "回复" },
	{ "reply", CMD_REPLY, "回复" },
	{ "huifu", CMD_REPLY, "回复" },
	{ "bj", CMD_DONE, "办结" },
	{ "done", CMD_DONE, "办结" },
	{ "banjie", CMD_DONE, "办结" },
	{ "qrfs", CMD_NOTICE_SEND, "确认发送" },
	{ "send", CMD_NOTICE_SEND, "确认发送" },
	{ "dh", CMD_NOT_YET, "兑换" },
	{ "duihuan", CMD_NOT_YET, "兑换" },
	{ "qd", CMD_NOT_YET, "清单" },
	{ "qingdan", CMD_NOT_YET, "清单" },
	{ "tz", CMD_NOTICE, "通知" },
	{ "tongzhi", CMD_NOTICE, "通知" },
	{ "notice", CMD_NOTICE, "通知" },
	{ "jl", CMD_NOT_YET, "记分" },
	{ "hx", CMD_NOT_YET, "核销" },
	{ "hexiao", CMD_NOT_YET, "核销" },
	{ "bd", CMD_NOT_YET, "绑定" },
	{ "bangding", CMD_NOT_YET, "绑定" },
	/* Lone digits: menu shortcuts */
	{ "0", CMD_HELP, "帮助" },
	{ "1", CMD_POINTS, "积分" },
	{ "2", CMD_RATE, "利率" },
	{ "3", CMD_LOG, "明细" },
};

static enum tok_class cp_class(uint32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 0xDF && cp <= 0xFF && cp != 0xF7))
		return TOK_LATIN;
	if ((cp >= '0' && cp <= '9') || cp == '.')
		return TOK_DIGIT;
	return TOK_OTHER;
}

/* Next run of one class from *@pos in the normalised string @s. */
static bool next_tok(const char *s, size_t n, size_t *pos, struct tok *t)
{
	size_t p = *pos, c;
	uint32_t cp;
	enum tok_class cls;

	while (p < n && s[p] == ' ')
		p++;
	if (p >= n)
		return false;
	t->start = p;
	c = utf8_decode(s + p, n - p, &cp);
	if (c == 0)
		c = 1;	/* cannot happen in normalised text */
	cls = cp_class(cp);
	p += c;
	while (p < n && s[p] != ' ') {
		c = utf8_decode(s + p, n - p, &cp);
		if (c == 0 || cp_class(cp) != cls)
			break;
		p += c;
	}
	t->end = p;
	t->cls = cls;
	*pos = p;
	return true;
}

/* Peek at the next token without moving the cursor. */
static bool peek_tok(const char *s, size_t n, size_t pos, struct tok *t)
{
	return next_tok(s, n, &pos, t);
}

static size_t tok_len(const struct tok *t)
{
	return t->end - t->start;
}

static bool tok_is(const char *s, const struct tok *t, const char *w)
{
	return tok_len(t) == strlen(w) && !memcmp(s + t->start, w, tok_len(t));
}

/* strlen(@w) when token @t starts with @w, else 0. */
static size_t tok_prefix(const char *s, const struct tok *t, const char *w)
{
	size_t l = strlen(w);

	return l <= tok_len(t) && !memcmp(s + t->start, w, l) ? l : 0;
}

/* Skip @w at the start of the next Chinese word, if there. */
static bool skip_prefix(const char *s, size_t n, size_t *pos, const char *w)
{
	struct tok t;
	size_t l;

	if (!peek_tok(s, n, *pos, &t) || t.cls != TOK_OTHER)
		return false;
	l = tok_prefix(s, &t, w);
	if (!l)
		return false;
	*pos = t.start + l;
	return true;
}

/* Whole message made only of '?' (ASCII or full-width) and spaces. */
static bool question_only(const char *s, size_t len)
{
	size_t pos = 0;
	bool seen = false;
	uint32_t cp;

	while (utf8_next(s, len, &pos, &cp)) {
		if (cp == '?' || cp == 0xFF1F)
			seen = true;
		else if (!(cp == ' ' || cp == '\t' || cp == '\r' ||
			   cp == '\n' || cp == 0x3000))
			return false;
	}
	return seen;
}

static void set_kind(struct cmd *out, const struct word *w)
{
	out->kind = w->kind;
	out->word = w->canon;
}

static bool digits_only(const char *s, const struct tok *t)
{
	size_t i;

	for (i = t->start; i < t->end; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Record number: optional "编号"/"第" before, optional "号" after.
 * Moves the cursor past it on success.
 */
static enum cmd_err parse_id(const char *s, size_t n, size_t *pos, long *id)
{
	size_t p = *pos, i;
	struct tok t;
	long v = 0;

	if (!skip_prefix(s, n, &p, "编号"))
		skip_prefix(s, n, &p, "第");
	if (!next_tok(s, n, &p, &t) || t.cls != TOK_DIGIT)
		return CMD_ERR_NO_NUMBER;
	if (!digits_only(s, &t) || tok_len(&t) > 9)
		return CMD_ERR_BAD_NUMBER;
	for (i = t.start; i < t.end; i++)
		v = v * 10 + (s[i] - '0');
	if (v <= 0 || v > CMD_ID_MAX)
		return CMD_ERR_BAD_NUMBER;
	skip_prefix(s, n, &p, "号");
	*id = v;
	*pos = p;
	return CMD_OK;
}

static enum cmd_err parse_pin(const char *s, size_t n, size_t pos,
			      char pin[CMD_PIN_MAX])
{
	bool keyword = false;
	struct tok t;

	if (!peek_tok(s, n, pos, &t))
		return CMD_OK;
	if ((t.cls == TOK_LATIN && tok_is(s, &t, "pin"))) {
		keyword = true;
		pos = t.end;
	} else if (skip_prefix(s, n, &pos, "密码")) {
		keyword = true;
	}
	if (!peek_tok(s, n, pos, &t) || t.cls != TOK_DIGIT)
		return keyword ? CMD_ERR_BAD_PIN : CMD_OK;
	if (!digits_only(s, &t) || tok_len(&t) < 4 || tok_len(&t) > 8)
		return CMD_ERR_BAD_PIN;
	memcpy(pin, s + t.start, tok_len(&t));
	pin[tok_len(&t)] = '\0';
	return CMD_OK;
}

/* Free text from normalised position @pos on, in the original wording. */
static void take_text(const char *sms, size_t len, const uint32_t *map,
		      size_t pos, char *text, size_t size)
{
	size_t off = map[pos];

	if (off > len)
		off = len;
	text_clean(sms + off, len - off, text, size);
}

/* A leading "理由" (reason:) is not part of the reason itself. */
static void strip_reason_label(char *text, size_t size)
{
	static const char label[] = "理由";
	size_t l = sizeof(label) - 1;
	char tmp[CMD_TEXT_MAX];
	int n;

	if (strncmp(text, label, l))
		return;
	n = text_clean(text + l, strlen(text + l), tmp, sizeof(tmp));
	if (n < 0)
		return;
	/* only when the label stands alone ("理由：不属实", "理由 不属实") */
	if (text[l] != '\0' && text[l] != ' ' && text[l] != ':' &&
	    strncmp(text + l, "：", 3) && strncmp(text + l, "，", 3) &&
	    text[l] != ',')
		return;
	text_copy(text, size, tmp);
}

/*
 * 确认 17 18 19 [PIN]: every record number (duplicates dropped), then an
 * optional "PIN 1234"/"密码1234"; a trailing bare 4-8 digit number after
 * at least one record number is taken as the PIN (pin_bare).
 */
static enum cmd_err parse_ids(const char *s, size_t n, size_t pos,
			      struct cmd *out)
{
	struct tok t, last = { 0, 0, TOK_DIGIT };
	bool last_added = false;
	enum cmd_err e;
	long id;
	int i;

	for (;;) {
		if (out->nids && (!peek_tok(s, n, pos, &t) ||
		    (t.cls != TOK_DIGIT && !(t.cls == TOK_OTHER &&
		     (tok_prefix(s, &t, "编号") || tok_prefix(s, &t, "第"))))))
			break;
		if (out->nids && t.cls == TOK_DIGIT)
			last = t;
		e = parse_id(s, n, &pos, &id);
		if (e != CMD_OK)
			return e;
		if (!out->nids) {
			/* the first number can never be the PIN */
			out->ids[out->nids++] = id;
			continue;
		}
		for (i = 0; i < out->nids && out->ids[i] != id; i++)
			;
		last_added = i == out->nids;
		if (!last_added)
			continue;
		if (out->nids == CMD_IDS_MAX)
			return CMD_ERR_BAD_NUMBER;
		out->ids[out->nids++] = id;
	}
	e = parse_pin(s, n, pos, out->pin);
	if (e != CMD_OK || out->pin[0])
		return e;
	/* "确认 17 18 1234": a trailing bare PIN candidate */
	if (last_added && last.end == pos && tok_len(&last) >= 4 &&
	    tok_len(&last) <= 8) {
		memcpy(out->pin, s + last.start, tok_len(&last));
		out->pin[tok_len(&last)] = '\0';
		out->pin_bare = true;
		out->nids--;
	}
	return CMD_OK;
}

/* Matter number: "M12", "m 12", "#12", "编号12" or a bare "12". */
static enum cmd_err parse_matter(const char *s, size_t n, size_t *pos,
				 long *id)
{
	struct tok t;
	size_t p = *pos;
	enum cmd_err e;

	if (peek_tok(s, n, p, &t) && t.cls == TOK_LATIN && tok_is(s, &t, "m"))
		p = t.end;
	e = parse_id(s, n, &p, id);
	if (e != CMD_OK)
		return CMD_ERR_NO_MATTER;
	*pos = p;
	return CMD_OK;
}

/* Notice code: the next word of digits or Latin letters, 4-8 long. */
static enum cmd_err parse_code(const char *s, size_t n, size_t pos,
			       char code[CMD_CODE_MAX])
{
	struct tok t;

	if (!next_tok(s, n, &pos, &t) || t.cls == TOK_OTHER ||
	    tok_len(&t) < 4 || tok_len(&t) >= CMD_CODE_MAX)
		return CMD_ERR_NO_CODE;
	memcpy(code, s + t.start, tok_len(&t));
	code[tok_len(&t)] = '\0';
	return CMD_OK;
}

/* 通知 text 1234: a last word of 4-8 digits is the PIN candidate. */
static void trailing_pin(const char *s, size_t n, char pin[CMD_PIN_MAX])
{
	size_t e = n, b;

	while (e > 0 && s[e - 1] == ' ')
		e--;
	b = e;
	while (b > 0 && s[b - 1] >= '0' && s[b - 1] <= '9')
		b--;
	if (e - b < 4 || e - b > 8 || (b > 0 && s[b - 1] != ' '))
		return;
	memcpy(pin, s + b, e - b);
	pin[e - b] = '\0';
}

enum unit {
	UNIT_NONE,
	UNIT_WAN,
	UNIT_YUAN,
	UNIT_YEAR,
};

static enum unit parse_unit(const char *s, size_t n, size_t *pos)
{
	static const char *const years_latin[] = {
		"y", "yr", "yrs", "year", "years", "nian",
	};
	struct tok t;
	size_t i;

	if (!peek_tok(s, n, *pos, &t))
		return UNIT_NONE;
	if (t.cls == TOK_LATIN) {
		if (tok_is(s, &t, "w") || tok_is(s, &t, "wan")) {
			*pos = t.end;
			return UNIT_WAN;
		}
		for (i = 0; i < ARRAY_SIZE(years_latin); i++) {
			if (tok_is(s, &t, years_latin[i])) {
				*pos = t.end;
				return UNIT_YEAR;
			}
		}
		return UNIT_NONE;
	}
	if (t.cls != TOK_OTHER)
		return UNIT_NONE;
	if (skip_prefix(s, n, pos, "万元") || skip_prefix(s, n, pos, "万"))
		return UNIT_WAN;
	if (skip_prefix(s, n, pos, "元") || skip_prefix(s, n, pos, "块"))
		return UNIT_YUAN;
	if (skip_prefix(s, n, pos, "年"))
		return UNIT_YEAR;
	return UNIT_NONE;
}

/*
 * A decimal number token: integer part (at most 9 digits) and up to 4
 * decimals scaled to ten-thousandths.  Returns false when malformed.
 */
static bool parse_decimal(const char *s, const struct tok *t, long *ip,
			  long *frac4, int *ndec)
{
	size_t i;
	int nint = 0, nd = 0;
	bool dot = false;
	long a = 0, f = 0;

	for (i = t->start; i < t->end; i++) {
		if (s[i] == '.') {
			if (dot || nint == 0)
				return false;
			dot = true;
			continue;
		}
		if (!dot) {
			if (++nint > 9)
				return false;
			a = a * 10 + (s[i] - '0');
		} else {
			if (++nd > 4)
				return false;
			f = f * 10 + (s[i] - '0');
		}
	}
	if (nint == 0 || (dot && nd == 0))
		return false;
	for (i = (size_t)nd; i < 4; i++)
		f *= 10;
	*ip = a;
	*frac4 = f;
	*ndec = nd;
	return true;
}

static enum cmd_err parse_rate(const char *s, size_t n, size_t pos,
			       struct cmd *out)
{
	bool have_p = false, have_y = false;
	struct tok t;

	while (next_tok(s, n, &pos, &t)) {
		long ip, f4;
		int nd;
		enum unit u;

		if (t.cls != TOK_DIGIT)
			continue;	/* words like "多少" are ignored */
		if (!parse_decimal(s, &t, &ip, &f4, &nd))
			return have_p ? CMD_ERR_BAD_YEARS : CMD_ERR_BAD_PRINCIPAL;
		u = parse_unit(s, n, &pos);
		if (u == UNIT_NONE)
			u = !have_p ? UNIT_WAN : !have_y ? UNIT_YEAR : UNIT_NONE;
		switch (u) {
		case UNIT_WAN:
			if (have_p)
				break;
			if (ip > CMD_PRINCIPAL_MAX_YUAN / 10000 ||
			    (ip == CMD_PRINCIPAL_MAX_YUAN / 10000 && f4))
				return CMD_ERR_BAD_PRINCIPAL;
			out->principal_yuan = ip * 10000 + f4;
			if (out->principal_yuan <= 0)
				return CMD_ERR_BAD_PRINCIPAL;
			have_p = true;
			break;
		case UNIT_YUAN:
			if (have_p)
				break;
			if (ip <= 0 || ip > CMD_PRINCIPAL_MAX_YUAN)
				return CMD_ERR_BAD_PRINCIPAL;
			out->principal_yuan = ip;
			have_p = true;
			break;
		case UNIT_YEAR:
			if (have_y)
				break;
			if (nd || ip < 1 || ip > CMD_YEARS_MAX)
				return CMD_ERR_BAD_YEARS;
			out->years = (int)ip;
			have_y = true;
			break;
		case UNIT_NONE:
			break;
		}
	}
	return CMD_OK;
}

/* The word that token @t is, whole. */
static const struct word *word_is(const char *s, const struct tok *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (tok_is(s, t, words[i].w))
			return &words[i];
	return NULL;
}

static const struct word *match_first(const char *s, size_t n, size_t *pos,
				      bool *shortcut)
{
	const struct word *best = NULL;
	size_t i, l, bestlen = 0;
	struct tok t;

	*shortcut = false;
	if (!next_tok(s, n, pos, &t))
		return NULL;
	switch (t.cls) {
	case TOK_DIGIT:
		if (t.start != 0 || t.end != n)
			return NULL;
		best = word_is(s, &t);
		*shortcut = best != NULL;
		return best;
	case TOK_LATIN:
		if (tok_is(s, &t, "t") && t.start == 0 && t.end == n) {
			static const struct word stop_t = {
				"t", CMD_STOP, "退订"
			};

			*shortcut = true;
			return &stop_t;
		}
		return word_is(s, &t);
	case TOK_OTHER:
		for (i = 0; i < ARRAY_SIZE(words); i++) {
			l = tok_prefix(s, &t, words[i].w);
			if (l > bestlen) {
				bestlen = l;
				best = &words[i];
			}
		}
		if (best)
			*pos = t.start + bestlen;
		return best;
	}
	return NULL;
}

/* NESTED: already inside a "回复 ..." re-read (at most one level). */
static int parse(const char *sms, size_t len, struct cmd *out, bool nested)
{
	char norm[NORM_MAX];
	uint32_t map[NORM_MAX];
	const struct word *w;
	size_t pos = 0, n;
	int r;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->kind = CMD_UNKNOWN;
	out->word = "";
	if (!sms)
		len = 0;
	if (question_only(sms, len)) {
		out->kind = CMD_HELP;
		out->word = "帮助";
		out->shortcut = true;
		return 0;
	}
	r = text_normalize(sms, len, norm, sizeof(norm), map);
	if (r <= 0) {
		out->err = CMD_ERR_EMPTY;
		return 0;
	}
	n = (size_t)r;
	w = match_first(norm, n, &pos, &out->shortcut);
	if (!w)
		return 0;
	set_kind(out, w);
	switch (out->kind) {
	case CMD_RATE:
		out->err = parse_rate(norm, n, pos, out);
		break;
	case CMD_SAY:
		take_text(sms, len, map, pos, out->text, sizeof(out->text));
		if (!out->text[0])
			out->err = CMD_ERR_NO_TEXT;
		break;
	case CMD_APPROVE:
		out->err = parse_ids(norm, n, pos, out);
		out->id = out->nids ? out->ids[0] : 0;
		break;
	case CMD_OBJECT:
	case CMD_REJECT:	/* a record number, then the reason */
		out->err = parse_id(norm, n, &pos, &out->id);
		if (out->err != CMD_OK)
			break;
		take_text(sms, len, map, pos, out->text, sizeof(out->text));
		strip_reason_label(out->text, sizeof(out->text));
		if (!out->text[0])
			out->err = CMD_ERR_NO_REASON;
		break;
	case CMD_REPLY:
	case CMD_DONE: {
		struct tok t;

		/* "回复2" / "回复 积分": an answer to one of our hints */
		if (out->kind == CMD_REPLY && !nested &&
		    (!peek_tok(norm, n, pos, &t) ||
		     !(t.cls == TOK_LATIN && tok_is(norm, &t, "m")))) {
			size_t off = pos < n ? map[pos] : len;

			if (off < len && off > 0)
				return parse(sms + off, len - off, out, true);
		}
		out->err = parse_matter(norm, n, &pos, &out->id);
		if (out->err != CMD_OK || out->kind == CMD_DONE)
			break;
		take_text(sms, len, map, pos, out->text, sizeof(out->text));
		if (!out->text[0])
			out->err = CMD_ERR_NO_TEXT;
		break;
	}
	case CMD_NOTICE:
		take_text(sms, len, map, pos, out->text, sizeof(out->text));
		if (!out->text[0])
			out->err = CMD_ERR_NO_TEXT;
		else
			trailing_pin(norm, n, out->pin);
		break;
	case CMD_NOTICE_SEND:
		out->err = parse_code(norm, n, pos, out->code);
		break;
	default:
		break;	/* the rest of the message does not matter */
	}
	return 0;
}

int cmd_parse(const char *sms, size_t len, struct cmd *out)
{
	return parse(sms, len, out, false);
}

const char *cmd_kind_name(enum cmd_kind kind)
{
	switch (kind) {
	case CMD_UNKNOWN:	return "UNKNOWN";
	case CMD_POINTS:	return "POINTS";
	case CMD_RATE:		return "RATE";
	case CMD_LOG:		return "LOG";
	case CMD_HELP:		return "HELP";
	case CMD_SAY:		return "SAY";
	case CMD_TODO:		return "TODO";
	case CMD_APPROVE:	return "APPROVE";
	case CMD_REJECT:	return "REJECT";
	case CMD_STOP:		return "STOP";
	case CMD_START:		return "START";
	case CMD_OBJECT:	return "OBJECT";
	case CMD_REPLY:		return "REPLY";
	case CMD_DONE:		return "DONE";
	case CMD_NOTICE:	return "NOTICE";
	case CMD_NOTICE_SEND:	return "NOTICE_SEND";
	case CMD_NOT_YET:	return "NOT_YET";
	}
	return "?";
}

const char *cmd_err_str(enum cmd_err err)
{
	switch (err) {
	case CMD_OK:			return "ok";
	case CMD_ERR_EMPTY:		return "empty message";
	case CMD_ERR_NO_NUMBER:		return "record number missing";
	case CMD_ERR_BAD_NUMBER:	return "bad record number";
	case CMD_ERR_BAD_PIN:		return "PIN must be 4-8 digits";
	case CMD_ERR_NO_REASON:		return "rejection reason missing";
	case CMD_ERR_NO_TEXT:		return "message text missing";
	case CMD_ERR_BAD_PRINCIPAL:	return "principal must be 0-10000 (10k yuan)";
	case CMD_ERR_BAD_YEARS:		return "years must be 1-30";
	case CMD_ERR_NO_MATTER:		return "matter number missing";
	case CMD_ERR_NO_CODE:		return "notice code missing";
	}
	return "?";
}
