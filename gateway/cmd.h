/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the SMS command language parser (SPEC section 6).
 *
 * Pure: one SMS text in, one struct cmd out; no I/O, no allocation, no
 * globals except const tables, no logging.  The caller owns struct cmd
 * (stack or embedded); it holds no pointers into the input, and
 * cmd->word points at a static string.
 *
 * Matching works on the normalised text (gateway/text.h): full-width,
 * case, punctuation and traditional characters do not matter, and a
 * command may be glued to its argument ("QR17", "驳回17不属实",
 * "利率30万3年").  Chinese command words match as a prefix of the first
 * word ("查询积分", "说事路灯坏了"); Latin aliases must be the whole word
 * ("OK" but not "OKAY", "NO" but not "NOTE").  A lone digit (0-3) and
 * "T" are shortcuts only when they are the whole message.  Common
 * phrasings ("我的积分", "我家积分多少", "贷款利率") are a table of
 * synonyms matched the same way as the command words.  "回复" not
 * followed by a matter number ("回复2") is read as the rest of the
 * message, so villagers who answer a "回复2查利率" hint literally are
 * understood.  Free text
 * (说事 content, rejection reason) is taken from the original message,
 * keeping its wording and punctuation.
 */
#ifndef JIFEN_GATEWAY_CMD_H
#define JIFEN_GATEWAY_CMD_H

#include <stdbool.h>
#include <stddef.h>

#define CMD_TEXT_MAX	1024	/* bytes of free text kept, NUL included */
#define CMD_PIN_MAX	9	/* 4-8 digits and a NUL */
#define CMD_ID_MAX	999999999L
#define CMD_PRINCIPAL_MAX_YUAN	100000000L	/* 10000 万元 */
#define CMD_YEARS_MAX	30

enum cmd_kind {
	CMD_UNKNOWN,	/* nothing recognised (err tells EMPTY apart) */
	CMD_POINTS,	/* 积分 查询 JF CX POINTS jifen chaxun 1 */
	CMD_RATE,	/* 利率 LL RATE lilv 2 [本金万元] [年] */
	CMD_LOG,	/* 明细 MX LOG mingxi 3 */
	CMD_HELP,	/* 帮助 BZ HELP ? bangzhu 0 */
	CMD_SAY,	/* 说事 SS SAY shuoshi + text */
	CMD_TODO,	/* 待审 DS TODO daishen */
	CMD_APPROVE,	/* 确认 QR OK queren + number [PIN] */
	CMD_REJECT,	/* 驳回 BH NO bohui + number + reason */
	CMD_STOP,	/* 退订 TD STOP tuiding, T alone */
	CMD_START,	/* 订阅 DY START dingyue */
	CMD_OBJECT,	/* 异议 YY OBJECT yiyi + number + reason */
	CMD_REPLY,	/* 回复 HF REPLY huifu + M number + text */
	CMD_DONE,	/* 办结 BJ DONE banjie + M number */
	CMD_NOTICE,	/* 通知 TZ NOTICE tongzhi + text [PIN] */
	CMD_NOTICE_SEND, /* 确认发送 QRFS SEND + code */
	CMD_NOT_YET,	/* 申报 兑换 清单 记分 核销 绑定: planned */
};

/* What is wrong with a recognised command (the kind stays set). */
enum cmd_err {
	CMD_OK = 0,
	CMD_ERR_EMPTY,		/* UNKNOWN: the message has no words */
	CMD_ERR_NO_NUMBER,	/* APPROVE/REJECT without a record number */
	CMD_ERR_BAD_NUMBER,	/* record number 0, too long, or decimal */
	CMD_ERR_BAD_PIN,	/* APPROVE: PIN not 4-8 digits */
	CMD_ERR_NO_REASON,	/* REJECT without a reason */
	CMD_ERR_NO_TEXT,	/* SAY without content */
	CMD_ERR_BAD_PRINCIPAL,	/* RATE: principal not in (0, 10000] 万元 */
	CMD_ERR_BAD_YEARS,	/* RATE: years not 1..30 */
	CMD_ERR_NO_MATTER,	/* REPLY/DONE without an M number */
	CMD_ERR_NO_CODE,	/* NOTICE_SEND without its code */
};

#define CMD_IDS_MAX	30	/* record numbers in one 确认 */
#define CMD_CODE_MAX	9	/* notice code, NUL included */

struct cmd {
	enum cmd_kind kind;
	enum cmd_err err;
	const char *word;	/* canonical word ("积分", "申报"), static;
				 * "" for UNKNOWN */
	bool shortcut;		/* given as a lone digit or "T" */
	long id;		/* APPROVE/REJECT/OBJECT record number or
				 * REPLY/DONE matter number, 0 if none */
	long ids[CMD_IDS_MAX];	/* APPROVE: every number given (ids[0] ==
				 * id), in order, duplicates dropped */
	int nids;
	char pin[CMD_PIN_MAX];	/* APPROVE/NOTICE PIN, "" if none */
	bool pin_bare;		/* the PIN is a trailing 4-8 digit number
				 * without "PIN"/"密码" in front: it may
				 * also be a record number (the handler
				 * decides with the member's stored PIN) */
	char code[CMD_CODE_MAX]; /* NOTICE_SEND code */
	long principal_yuan;	/* RATE principal in yuan, 0 if none */
	int years;		/* RATE years, 0 if none */
	char text[CMD_TEXT_MAX]; /* SAY/REPLY/NOTICE text or REJECT/OBJECT
				  * reason, original wording (cleaned by
				  * text_clean), else "" */
};

/*
 * Parse one SMS text (@sms, @len bytes of UTF-8, need not be
 * NUL-terminated; invalid bytes are ignored) into *@out.  Any input
 * gives a result: UNKNOWN when nothing matches.  Returns 0, or -EINVAL
 * when @out is NULL.
 */
int cmd_parse(const char *sms, size_t len, struct cmd *out);

/* Stable English name of @kind ("POINTS", "NOT_YET"), for logs. */
const char *cmd_kind_name(enum cmd_kind kind);

/* Short English description of @err ("record number missing"). */
const char *cmd_err_str(enum cmd_err err);

#endif
