/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_WIRE_H
#define JIFEN_SYNC_WIRE_H
/*
 * wire - the JSON of protocol v1 (SPEC section 7, docs/SYNC.md): the
 * request body and a defensive parser for the response.
 *
 * Pure: text in, structs out; no I/O, no logging, no globals, so the
 * parser can be fuzzed (tests/fuzz/fuzz-sync-response.c).  The server is
 * not trusted: sizes are bounded, every value's type is checked, and any
 * violation refuses the whole response with one line naming the field
 * ("changes[3].points: not an integer").  Unknown keys are ignored;
 * unknown change types are counted and skipped (a newer platform).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define WIRE_MAX_EVENTS		200		/* per request (SPEC) */
#define WIRE_MAX_RESPONSE	(8u << 20)	/* bytes, decoded */
#define WIRE_MAX_IDS		20000		/* accepted / rejected (bundles) */
#define WIRE_MAX_CHANGES	5000		/* per response */
#define WIRE_MAX_MEMBERS	100		/* per household */
#define WIRE_ID_MAX		64		/* ids, incl. NUL */
#define WIRE_CURSOR_MAX		256
#define WIRE_NAME_MAX		96
#define WIRE_TEXT_MAX		512
#define WIRE_PHONE_MAX		32

enum wire_change_type {
	WIRE_HOUSEHOLD,
	WIRE_RECORD,
	WIRE_POLICY,
};

struct wire_member {
	char phone[WIRE_PHONE_MAX];
	char name[WIRE_NAME_MAX];
	bool committee;			/* role "committee" (else villager) */
};

/* Which policy keys were sent (the rest keep their current value). */
enum {
	WIRE_POL_BASE = 1 << 0, WIRE_POL_MODE = 1 << 1,
	WIRE_POL_STEP_POINTS = 1 << 2, WIRE_POL_STEP_DISCOUNT = 1 << 3,
	WIRE_POL_MAX_DISCOUNT = 1 << 4, WIRE_POL_FLOOR = 1 << 5,
	WIRE_POL_SCORE = 1 << 6,
};

struct wire_policy {
	unsigned has;			/* WIRE_POL_* bits */
	double base_rate;		/* 0..100 */
	int mode;			/* 0 linear, 1 step */
	int step_points;		/* 1..1000000 */
	double step_discount;		/* 0..100 */
	double max_discount;		/* 0..100 */
	double floor_rate;		/* 0..100 */
	int score;			/* 0 final, 1 approved */
};

struct wire_change {
	enum wire_change_type type;
	/* household and record */
	char id[WIRE_ID_MAX];
	/* household */
	char name[WIRE_NAME_MAX];
	bool deleted;
	struct wire_member *members;	/* owned by the response */
	int nmembers;
	/* record */
	char household[WIRE_ID_MAX];
	long long points;
	char reason[WIRE_TEXT_MAX];
	int status;			/* enum store_rstatus values */
	int64_t created;		/* Unix seconds, 0 if absent/null */
	int64_t notice_until;		/* Unix seconds, 0 if absent/null */
	/* policy */
	struct wire_policy policy;
};

struct wire_reject {
	char id[WIRE_ID_MAX];
	char reason[WIRE_TEXT_MAX];
};

struct wire_response {
	char (*accepted)[WIRE_ID_MAX];
	int naccepted;
	struct wire_reject *rejected;
	int nrejected;
	struct wire_change *changes;
	int nchanges;
	int ignored;			/* changes of unknown types */
	char cursor[WIRE_CURSOR_MAX];
	bool has_cursor;		/* false: "cursor" null */
	bool more;
};

/*
 * Parse the LEN bytes of BUF (not NUL-terminated; at most
 * WIRE_MAX_RESPONSE).  On success returns 0 and *OUT (free with
 * wire_response_free); else -EMSGSIZE (too large), -EPROTO (not the
 * protocol: message in ERR, ERRLEN bytes) or -ENOMEM.
 */
int wire_parse_response(const char *buf, size_t len,
			struct wire_response **out, char *err, size_t errlen);
void wire_response_free(struct wire_response *r);

/*
 * The request body {"village","gateway","cursor","events","health"} as
 * compact JSON text (caller frees with free()).  EVENTS (an array) and
 * HEALTH (an object) are consumed; CURSOR NULL sends null.  NULL on
 * out of memory.
 */
char *wire_build_request(const char *village, const char *gateway,
			 const char *cursor, cJSON *events, cJSON *health);

/*
 * ISO 8601 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" to Unix seconds.
 * 0 or -EINVAL.
 */
int wire_parse_time(const char *s, int64_t *out);

/* Whether cursor B is before cursor A: only decidable when both are
 * decimal integers (the test platform's); otherwise false. */
bool wire_cursor_backwards(const char *a, const char *b);

#endif
