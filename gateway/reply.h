/* SPDX-License-Identifier: MIT */
/*
 * reply.h - the wording of every SMS the gateway sends (SPEC section 6),
 * in Chinese (default) and English.
 *
 * Pure: inputs in, text out into a caller buffer; no I/O, no
 * allocation, no globals except const tables, no logging; time is
 * passed in.  Every function returns the length of the text written
 * (NUL-terminated) or a negative errno: -EINVAL for bad arguments,
 * -ENOSPC when @buf is too small (then @buf holds "").
 *
 * Length on the air: fixed replies are worded to fit one SMS (70 UCS-2
 * units when the text holds Chinese, 160 GSM septets when it is plain
 * ASCII).  Every reply is kept within reply_max_units() for the
 * context's max_parts: lists (待审, 明细) drop whole items and say
 * "等N条" / "+N more"; free text (a rejection reason, a name) is cut at
 * a character boundary with "…".
 *
 * Strings passed in are borrowed for the call only.
 */
#ifndef JIFEN_GATEWAY_REPLY_H
#define JIFEN_GATEWAY_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/cmd.h"
#include "gateway/loan.h"

enum reply_lang {
	REPLY_ZH,
	REPLY_EN,
};

struct reply_ctx {
	enum reply_lang lang;
	unsigned max_parts;	/* sms.max_parts; 0 counts as 1 */
	int tz_minutes;		/* local offset east of UTC for dates
				 * (China: 480) */
};

/* "en" (any case) -> REPLY_EN; anything else, NULL included -> REPLY_ZH. */
enum reply_lang reply_lang_parse(const char *lang);

#define REPLY_PARTS_MAX	10	/* more parts are counted as this many */

/*
 * Units a reply may use with @max_parts parts: one part holds 70 UCS-2
 * units or 160 septets; split messages lose room to the concatenation
 * header (67 / 153 per part).
 */
size_t reply_max_units(unsigned max_parts, bool ucs2);

/* State of a point record as the household sees it. */
enum reply_state {
	REPLY_PENDING,		/* 待审 */
	REPLY_PUBLIC,		/* 公示中 (approved, in publicity) */
	REPLY_FINAL,		/* 已生效 */
	REPLY_REJECTED,		/* 已驳回 */
	REPLY_OBJECTED,		/* 有异议 (公示 stopped) */
};

struct reply_record {
	long id;			/* short per-village number */
	const char *household_name;	/* "张三"; NULL or "" to leave out */
	long points;			/* signed */
	const char *reason;		/* "清扫"; shortened in lists */
	enum reply_state state;
};

struct reply_points {
	const char *household_name;
	long final_pts;
	long publicity_pts;	/* approved, in 公示 */
	long pending_pts;	/* waiting for review */
	int rank;		/* 1-based village rank; <= 0: unknown */
	int households;		/* households ranked */
};

/* 积分: the household's total, points in 公示 and pending, rank. */
int reply_points(const struct reply_ctx *ctx, const struct reply_points *p,
		 char *buf, size_t size);

/*
 * 利率: rate, discount and (when q->principal > 0) the interest saved
 * per year, and over q->years when given; "以银行审批为准".
 */
int reply_rate(const struct reply_ctx *ctx, const struct loan_quote *q,
	       char *buf, size_t size);

/* 明细: the last records (newest first, as given; the caller passes 3). */
int reply_log(const struct reply_ctx *ctx, const struct reply_record *recs,
	      size_t n, char *buf, size_t size);

/* 帮助: the command list; @committee adds the reviewing commands. */
int reply_help(const struct reply_ctx *ctx, bool committee, char *buf,
	       size_t size);

/* 说事 taken: the ticket number. */
int reply_say(const struct reply_ctx *ctx, long ticket, char *buf,
	      size_t size);

/*
 * 待审: @items (the first @n of @total pending items this member may
 * review, oldest first), trimmed to fit, "等N条" for the rest.
 */
int reply_todo(const struct reply_ctx *ctx, const struct reply_record *items,
	       size_t n, size_t total, char *buf, size_t size);

enum reply_review_result {
	REPLY_REVIEW_DONE,		/* approved / rejected now */
	REPLY_REVIEW_ALREADY,		/* same decision was made before */
	REPLY_REVIEW_CONFLICT,		/* decided the other way already */
	REPLY_REVIEW_NOT_FOUND,		/* no such id, or not visible: one
					 * wording for both */
	REPLY_REVIEW_OWN_HOUSEHOLD,	/* the member's own household */
	REPLY_REVIEW_PIN_NEEDED,	/* committee.require_pin, no PIN */
	REPLY_REVIEW_PIN_WRONG,
	REPLY_REVIEW_NOT_COMMITTEE,	/* the sender may not review */
	REPLY_REVIEW_PIN_LOCKED,	/* committee.pin_tries wrong PINs:
					 * locked for an hour */
};

struct reply_review {
	bool approve;			/* 确认 (true) or 驳回 */
	enum reply_review_result result;
	long id;
	const struct reply_record *rec;	/* DONE: the record, else NULL */
	int64_t until;			/* DONE approve: 公示 end, UTC s */
};

/* 确认 / 驳回: the outcome, to the committee member. */
int reply_review(const struct reply_ctx *ctx, const struct reply_review *r,
		 char *buf, size_t size);

enum reply_notice_kind {
	REPLY_NOTICE_APPROVED,	/* entered 公示 until @until */
	REPLY_NOTICE_REJECTED,	/* with @reason */
	REPLY_NOTICE_FINAL,	/* 公示 ended: counts; new total @total */
	REPLY_NOTICE_RESUMED,	/* objection not upheld: 公示 resumes
				 * until @until */
};

struct reply_notice {
	enum reply_notice_kind kind;
	const struct reply_record *rec;
	int64_t until;		/* APPROVED */
	const char *reason;	/* REJECTED (cut to fit) */
	long total;		/* FINAL: the household's final points */
};

/* Notification to the household's phones. */
int reply_notice(const struct reply_ctx *ctx, const struct reply_notice *n,
		 char *buf, size_t size);

/* ---- village workflows (说事, 异议, batch review, notices, digest) ---- */

struct reply_matter {
	long no;			/* "M12" */
	const char *household_name;	/* NULL or "" to leave out */
	const char *text;
};

/*
 * 待审 in full: pending and objected items (@items, the first @n; state
 * REPLY_PENDING or REPLY_OBJECTED), @total of them, open matters (the
 * first @nm of @total_matters), and whether approvals need the PIN
 * (@pin: 0 no, 1 yes, 2 PIN locked).  Trimmed to fit.
 */
struct reply_todo_full {
	const struct reply_record *items;
	size_t n, total, objected;
	const struct reply_matter *matters;
	size_t nm, total_matters;
	int pin;
};
int reply_todo_full(const struct reply_ctx *ctx,
		    const struct reply_todo_full *t, char *buf, size_t size);

/* One id's outcome in a batch 确认 17 18 19. */
struct reply_batch_item {
	long id;
	enum reply_review_result result;
};

/* One reply summarising a batch review; @until the 公示 end of those
 * approved now. */
int reply_batch(const struct reply_ctx *ctx, bool approve,
		const struct reply_batch_item *items, size_t n, int64_t until,
		char *buf, size_t size);

/* Confirmations merged past the hourly cap: @items are short lines
 * ("确认#21") separated by '\n', @n of them; "等N条" when cut. */
int reply_merged(const struct reply_ctx *ctx, const char *items, int n,
		 char *buf, size_t size);

/* The short form of one confirmation for reply_merged ("确认#21"). */
int reply_short_ack(const struct reply_ctx *ctx, enum cmd_kind kind, long id,
		    bool ok, char *buf, size_t size);

enum reply_flow {
	REPLY_MATTER_TO_COMMITTEE,	/* .no .name (household) .text */
	REPLY_MATTER_ANSWER,		/* to the villager: .no .text */
	REPLY_MATTER_CLOSED,		/* to the villager: .no */
	REPLY_MATTER_ANSWERED_ACK,	/* to the member: .no */
	REPLY_MATTER_CLOSED_ACK,	/* .no */
	REPLY_MATTER_NOT_FOUND,		/* .no (unknown or closed) */
	REPLY_OBJECT_TAKEN,		/* to the objector: .no */
	REPLY_OBJECT_NOT_PUBLIC,	/* .no (not in 公示, or unknown) */
	REPLY_OBJECT_TO_COMMITTEE,	/* .rec .name (objector's) .text */
	REPLY_OBJECT_TO_HOUSEHOLD,	/* .rec */
	REPLY_OBJECT_OUTCOME,		/* to the objector: .no .approve */
	REPLY_PIN_LOCKED,		/* to the member: .until */
	REPLY_PIN_LOCKED_OTHERS,	/* .name (the member's household) */
	REPLY_NOTICE_DRAFT,		/* .count households .parts .code */
	REPLY_NOTICE_SENT,		/* .count .parts .held (in quiet h.) */
	REPLY_NOTICE_CAP,		/* .count (sms.broadcasts_per_day) */
	REPLY_NOTICE_NO_CODE,		/* .code */
	REPLY_NOTICE_TEXT,		/* the notice itself: .text */
	REPLY_DIGEST,			/* .count pending .held objected
					 * .parts open matters */
	REPLY_SORRY,			/* handling failed for good */
};

struct reply_flow_args {
	long no;
	const char *name;
	const char *text;
	const struct reply_record *rec;
	bool approve;
	int64_t until;
	long count, parts, held;
	const char *code;
};

/* The workflow messages above, to fit one SMS where they can. */
int reply_flow(const struct reply_ctx *ctx, enum reply_flow kind,
	       const struct reply_flow_args *a, char *buf, size_t size);

enum reply_simple {
	REPLY_STOPPED,		/* 退订 done */
	REPLY_STARTED,		/* 订阅 done */
	REPLY_REGISTER_HINT,	/* unknown number */
	REPLY_UNKNOWN_CMD,	/* not understood */
	REPLY_RATE_LIMITED,	/* too many queries */
	REPLY_COMMITTEE_ONLY,	/* 待审/确认/驳回 from a villager */
	REPLY_TRY_LATER,	/* internal error: store busy and the like */
};

/* The fixed replies. */
int reply_simple(const struct reply_ctx *ctx, enum reply_simple what,
		 char *buf, size_t size);

/* A planned command (cmd->kind == CMD_NOT_YET): "coming later". */
int reply_not_yet(const struct reply_ctx *ctx, const char *word, char *buf,
		  size_t size);

/*
 * A recognised command with an argument problem (cmd->err != CMD_OK):
 * what is missing and an example.  -EINVAL when c->err is CMD_OK.
 */
int reply_cmd_error(const struct reply_ctx *ctx, const struct cmd *c,
		    char *buf, size_t size);

#endif
