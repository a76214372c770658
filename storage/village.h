/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_VILLAGE_H
#define JIFEN_STORAGE_VILLAGE_H
/*
 * Village data in the store (part of the store module, see store.h for
 * the conventions): households, phone memberships, PINs, point records
 * and their reviews, balances and rank, matters (村民说事), the audit
 * log and the event journal that sync sends to the platform (SPEC §7).
 *
 * Phone numbers passed in are normalised with phone_normalize() before
 * use (-EINVAL if they are not numbers).  Fixed-size text fields in the
 * structs below are truncated at a UTF-8 character boundary.
 *
 * Every change that the platform must learn about writes its event row
 * (record.new, record.review, record.objection, matter.new) and an
 * audit row in the same
 * transaction as the change itself.
 */
#include <stdbool.h>
#include <stdint.h>

#include "storage/phone.h"
#include "storage/store.h"

#define STORE_ID_MAX	 64	/* household ids, gids */
#define STORE_NAME_MAX	 96
#define STORE_TEXT_MAX	 512	/* reasons, matter text */

/* ---- households and phones ---------------------------------------- */

struct store_household {
	char id[STORE_ID_MAX];
	char name[STORE_NAME_MAX];
	bool deleted;
	int64_t created_at, updated_at;
};

enum store_role { STORE_VILLAGER = 0, STORE_COMMITTEE = 1 };

struct store_member {
	char phone[PHONE_MAX];
	char household[STORE_ID_MAX];
	char name[STORE_NAME_MAX];
	enum store_role role;
	bool has_pin;
};

/*
 * Create household ID or update its name (a NULL NAME keeps the old
 * one; an existing deleted household is undeleted).  *CREATED (may be
 * NULL) tells whether it was new.
 */
int store_household_upsert(struct store *st, const char *id,
			   const char *name, int64_t now, bool *created);

/* Mark household ID deleted (platform sync) and drop its phone
 * memberships; its records stay.  -ENOENT if unknown. */
int store_household_delete(struct store *st, const char *id, int64_t now);

/* Copy household ID into *OUT (deleted ones too). -ENOENT if unknown. */
int store_household_get(struct store *st, const char *id,
			struct store_household *out);

/*
 * Bind PHONE to HOUSEHOLD (which must exist: else -ENOENT) with NAME and
 * ROLE, or update an existing membership.  PIN: NULL or "" keeps the
 * stored PIN; otherwise 4..8 digits (else -EINVAL), stored only as a
 * crypt(3) hash (yescrypt, falling back to sha512-crypt).  *CREATED
 * (may be NULL) tells whether the membership was new.
 */
int store_phone_bind(struct store *st, const char *phone,
		     const char *household, const char *name,
		     enum store_role role, const char *pin, int64_t now,
		     bool *created);

/* Remove one membership (-ENOENT if absent), or with HOUSEHOLD NULL,
 * all of PHONE's memberships. */
int store_phone_unbind(struct store *st, const char *phone,
		       const char *household);

typedef int (*store_member_cb)(const struct store_member *m, void *data);

/* Memberships of PHONE (households of deleted households are skipped),
 * ordered by household id.  A non-zero return from CB stops the walk and
 * is returned. */
int store_phone_memberships(struct store *st, const char *phone,
			    store_member_cb cb, void *data);

/* Phones of HOUSEHOLD, ordered by phone. */
int store_household_members(struct store *st, const char *household,
			    store_member_cb cb, void *data);

/*
 * Check PIN against PHONE's stored PIN hashes (any membership).
 * *OK false when it does not match or no PIN is set.
 */
int store_check_pin(struct store *st, const char *phone, const char *pin,
		    bool *ok);

/* Notifications per phone (退订/订阅); default on, also for unknown
 * numbers. */
int store_phone_set_notify(struct store *st, const char *phone, bool on,
			   int64_t now);
int store_phone_notify(struct store *st, const char *phone, bool *on);

/* Walk non-deleted households ordered by id. */
typedef int (*store_household_cb)(const struct store_household *h,
				  void *data);
int store_households_list(struct store *st, store_household_cb cb,
			  void *data);

/* ---- point records ------------------------------------------------- */

enum store_rstatus {
	STORE_PENDING = 0,
	STORE_APPROVED = 1,	/* in 公示 until notice_until */
	STORE_REJECTED = 2,
	STORE_FINAL = 3,
	STORE_OBJECTED = 4,	/* approved, but an objection (异议) stopped
				 * its 公示 clock until a member decides */
};

/* "pending", "approved", "rejected", "final", "objected". */
const char *store_rstatus_name(enum store_rstatus s);
/* Inverse; -EINVAL for anything else. */
int store_rstatus_parse(const char *s, enum store_rstatus *out);

struct store_record {
	long long no;			/* short number villagers type */
	char gid[STORE_ID_MAX];		/* global id (UUID or platform id) */
	char household[STORE_ID_MAX];
	long long points;
	char reason[STORE_TEXT_MAX];
	enum store_rstatus status;
	int64_t created_at;
	char created_by[STORE_NAME_MAX];
	char reviewed_by[STORE_NAME_MAX];	/* "" if not reviewed */
	int64_t reviewed_at;			/* 0 if not reviewed */
	char review_reason[STORE_TEXT_MAX];
	int64_t notice_until;			/* end of 公示, 0 if none */
	char origin[16];		/* gateway, console, sms, platform */
};

struct store_record_new {
	const char *gid;	/* NULL: a fresh UUID is made */
	const char *household;	/* must exist and not be deleted */
	long long points;
	const char *reason;	/* non-empty */
	enum store_rstatus status; /* STORE_PENDING or STORE_FINAL */
	const char *by;		/* phone, "console", ... */
	const char *origin;	/* NULL: "gateway" */
	int64_t now;
};

/*
 * Add a record and its record.new event and audit row.  *NO (may be
 * NULL) gets the short number, GID_OUT (may be NULL, STORE_ID_MAX bytes)
 * the global id.  -ENOENT: no such household; -EEXIST: gid taken.
 */
int store_record_add(struct store *st, const struct store_record_new *r,
		     long long *no, char *gid_out);

/*
 * Upsert a record that came from the platform (sync change), keyed by
 * GID; keeps its short number if already known, else assigns the next
 * one.  No event is written (the platform already knows).  Idempotent.
 */
int store_record_put_remote(struct store *st, const char *gid,
			    const char *household, long long points,
			    const char *reason, enum store_rstatus status,
			    int64_t created_at, int64_t notice_until,
			    int64_t now);

int store_record_get(struct store *st, long long no,
		     struct store_record *out);

/* Filters for store_records_list. */
struct store_record_filter {
	const char *household;	/* NULL: all */
	int status;		/* -1: all, else enum store_rstatus */
	bool newest_first;	/* order by no descending */
	int limit;		/* <= 0: no limit */
};
typedef int (*store_record_cb)(const struct store_record *r, void *data);
int store_records_list(struct store *st,
		       const struct store_record_filter *f,
		       store_record_cb cb, void *data);

enum store_decision { STORE_APPROVE = 1, STORE_REJECT = 2 };

enum store_review_outcome {
	STORE_REVIEW_DONE = 0,		/* applied now */
	STORE_REVIEW_ALREADY = 1,	/* same decision earlier: no effect */
	STORE_REVIEW_CONFLICT = 2,	/* decided otherwise, or final */
	STORE_REVIEW_NOT_FOUND = 3,
};

/*
 * Apply a review to record NO: pending -> approved (notice_until = NOW +
 * PUBLICITY_DAYS days; 0 days still goes through approved and becomes
 * final at the next store_records_finalize_due) or -> rejected.  On DONE
 * writes the review row, an audit row and a record.review event in the
 * same transaction.  Repeating the same decision is ALREADY (nothing
 * written, balances change once).  Permission rules (committee member,
 * not own household, PIN) are the gateway's.  Returns 0 with *OUTCOME
 * set, or -errno.  *REC (may be NULL) gets the record after the call.
 */
int store_record_review(struct store *st, long long no,
			enum store_decision decision, const char *by,
			const char *reason, int64_t now, int publicity_days,
			enum store_review_outcome *outcome,
			struct store_record *rec);

/*
 * Close 公示: every approved record with notice_until <= NOW becomes
 * final; CB (may be NULL) is called once per record, after its update,
 * in the same transaction, so the gateway can enqueue the notification;
 * a non-zero return from CB aborts and rolls the whole call back.
 * *COUNT (may be NULL) gets the number finalised.
 */
int store_records_finalize_due(struct store *st, int64_t now,
			       store_record_cb cb, void *data, long *count);

/* Earliest notice_until among approved records (-ENOENT if none), so
 * the daemon can arm a one-shot timer instead of polling. */
int store_records_next_due(struct store *st, int64_t *t);

struct store_balance {
	long long final_points;		/* sum of final */
	long long publicity_points;	/* sum of approved (in 公示) */
	long long pending_points;	/* sum of pending */
	int rank;		/* by final points, 1 = highest, ties share */
	int households;		/* households ranked */
};

/* Balances and village rank of HOUSEHOLD (-ENOENT if unknown). */
int store_household_balance(struct store *st, const char *household,
			    struct store_balance *out);

/* ---- matters (村民说事) --------------------------------------------- */

/*
 * Record a matter raised by PHONE for HOUSEHOLD (may be NULL or "" if
 * the phone has none) with its matter.new event and audit row.  *TICKET
 * gets the short ticket number, GID_OUT (may be NULL, STORE_ID_MAX
 * bytes) the global id.
 */
int store_matter_add(struct store *st, const char *household,
		     const char *phone, const char *text, int64_t now,
		     long long *ticket, char *gid_out);

enum store_matter_state {
	STORE_MATTER_OPEN = 0,
	STORE_MATTER_ANSWERED = 1,	/* answered, still open */
	STORE_MATTER_CLOSED = 2,
};

/* "open", "answered", "closed". */
const char *store_matter_state_name(enum store_matter_state s);

struct store_matter {
	long long no;			/* ticket number ("M12" in SMS) */
	char gid[STORE_ID_MAX];
	char household[STORE_ID_MAX];	/* "" if none */
	char phone[PHONE_MAX];		/* who raised it */
	char text[STORE_TEXT_MAX];
	enum store_matter_state state;
	char answer[STORE_TEXT_MAX];	/* last answer, "" if none */
	int64_t created_at, answered_at, closed_at;	/* 0 if not */
};

/* Matter NO into *OUT; -ENOENT if unknown. */
int store_matter_get(struct store *st, long long no,
		     struct store_matter *out);

typedef int (*store_matter_cb)(const struct store_matter *m, void *data);
/* Matters oldest first; OPEN_ONLY: those not closed. */
int store_matters_list(struct store *st, bool open_only, store_matter_cb cb,
		       void *data);

/*
 * Answer matter NO (BY: phone or "console"; TEXT the answer) or close
 * it, with an audit row.  *CHANGED (may be NULL) is false when the
 * matter does not exist or is already closed (nothing written).
 */
int store_matter_answer(struct store *st, long long no, const char *by,
			const char *text, int64_t now, bool *changed);
int store_matter_close(struct store *st, long long no, const char *by,
		       int64_t now, bool *changed);

/* ---- objections (异议) during 公示 ------------------------------------ */

enum store_object_outcome {
	STORE_OBJECT_DONE = 0,		/* the record is now objected */
	STORE_OBJECT_AGAIN = 1,		/* already objected: one more */
	STORE_OBJECT_NOT_PUBLIC = 2,	/* exists, not in 公示 */
	STORE_OBJECT_NOT_FOUND = 3,
};

/*
 * PHONE (of HOUSEHOLD, may be NULL) objects to record NO with REASON:
 * an approved record becomes objected (its 公示 clock stops: it is not
 * finalised until a member decides; 确认 resumes the clock for the days
 * left, 驳回 rejects it).  Writes the objection, an audit row and a
 * record.objection event (record gid, household, by, reason) in one
 * transaction.  *REC (may be NULL) gets the record unless NOT_FOUND.
 */
int store_record_object(struct store *st, long long no, const char *phone,
			const char *household, const char *reason, int64_t now,
			enum store_object_outcome *outcome,
			struct store_record *rec);

struct store_objection {
	long long record_no;
	char phone[PHONE_MAX];
	char household[STORE_ID_MAX];
	char reason[STORE_TEXT_MAX];
	int64_t at;
};
typedef int (*store_objection_cb)(const struct store_objection *o,
				  void *data);
/* Unresolved objections to record NO, oldest first (a review of the
 * record resolves them). */
int store_objections_open(struct store *st, long long no,
			  store_objection_cb cb, void *data);

/* ---- PIN lockout ----------------------------------------------------- */

/* *UNTIL gets the end of PHONE's PIN lock, 0 when not locked at NOW. */
int store_pin_locked(struct store *st, const char *phone, int64_t now,
		     int64_t *until);
/* One wrong PIN from PHONE; the TRIES-th in a row locks PIN approvals
 * for LOCK_S seconds (*LOCKED true just then, with an audit row). */
int store_pin_failed(struct store *st, const char *phone, int64_t now,
		     int tries, int lock_s, bool *locked);
/* A right PIN: the count starts again. */
int store_pin_reset(struct store *st, const char *phone);

/* ---- committee notices (通知) ----------------------------------------- */

#define STORE_CODE_MAX	16

struct store_notice {
	char code[STORE_CODE_MAX];
	char by[PHONE_MAX];
	bool committee_only;
	char text[STORE_TEXT_MAX];
	int64_t created_at, sent_at;	/* sent_at 0: not sent yet */
	int count;			/* SMS queued when sent */
};

/* A drafted notice waiting for 确认发送 CODE. -EEXIST: code taken. */
int store_notice_add(struct store *st, const char *code, const char *by,
		     bool committee_only, const char *text, int64_t now);
int store_notice_get(struct store *st, const char *code,
		     struct store_notice *out);
/* Mark sent with COUNT messages; -EALREADY if it was sent before. */
int store_notice_mark_sent(struct store *st, const char *code, int count,
			   int64_t now);
/* Notices sent at or after SINCE (sms.broadcasts_per_day). */
int store_notices_sent_since(struct store *st, int64_t since, long *n);

/* ---- confirmations merged past the hourly cap ------------------------- */

/* The merged-confirmation message of PHONE: its outbox id, ITEMS
 * (newline-separated short confirmations, N of them) and when it is due
 * to go (before that it cannot be on its way, so it may be replaced);
 * -ENOENT if none. */
int store_merged_get(struct store *st, const char *phone, long long *out_id,
		     char *items, size_t size, int *n, int64_t *due_at);
int store_merged_put(struct store *st, const char *phone, long long out_id,
		     const char *items, int n, int64_t due_at);

/* ---- inbound messages whose handling failed --------------------------- */

/* Count one failed handling of inbox message MSG_ID (ERR for the
 * operator); *ATTEMPTS gets the count so far.  Call it outside the
 * rolled-back transaction. */
int store_inbox_failed(struct store *st, long long msg_id, const char *sender,
		       const char *err, int64_t now, int *attempts);
/* The gateway gave up on MSG_ID (apologised): shown in status. */
int store_inbox_gave_up(struct store *st, long long msg_id);
int store_inbox_gave_up_count(struct store *st, long *n);

/* ---- committee ----------------------------------------------------------- */

typedef int (*store_phone_cb)(const char *phone, void *data);
/* Every committee member's phone once (live households), by number. */
int store_committee_phones(struct store *st, store_phone_cb cb, void *data);

/* ---- audit log ------------------------------------------------------ */

/* Append an audit row: who (phone, "console", "sync"), what, details. */
int store_audit(struct store *st, int64_t now, const char *actor,
		const char *action, const char *detail);

/* ---- event journal (SPEC §7) ---------------------------------------- */

/*
 * Event rows (SPEC section 7): ID (UUID, the idempotency key), TYPE, AT
 * (ISO 8601 UTC) and the columns the sync client needs to build the
 * type's JSON fields (jifen-sync/event.c owns the wire format; the store
 * holds no JSON).  Which column means what, per type:
 *
 *   type            ref          household  points  state     actor  text
 *   record.new      record gid   household  points  status    by     reason
 *   record.review   record gid   -          -       decision  by     reason
 *   matter.new      matter gid   household  -       -         phone  text
 *   record.objection record gid  objector's -       -         by     reason
 *
 * A new event type uses the same columns and adds one row to the table
 * in jifen-sync/event.c.
 * Strings are borrowed; NULL or "" household is stored as NULL.
 */
#define STORE_EVTYPE_MAX 32

struct store_event {
	const char *id;		/* filled by the store */
	const char *type;	/* "record.new", ... (< STORE_EVTYPE_MAX) */
	const char *at;		/* filled by the store */
	const char *ref;
	const char *household;
	long long points;
	const char *state;
	const char *actor;
	const char *text;
};

/* Append event E (its id and at are ignored: a fresh UUID and NOW are
 * used); ID_OUT (may be NULL, STORE_UUID_LEN bytes) gets the id.  Events
 * are written by the functions above in their own transaction. */
int store_event_add(struct store *st, const struct store_event *e,
		    int64_t now, char *id_out);

/* CB gets a borrowed event: every string may be NULL except id, type
 * and at. */
typedef int (*store_event_cb)(const struct store_event *e, void *data);
/* Oldest MAX unsent events, oldest first. */
int store_events_unsent(struct store *st, int max, store_event_cb cb,
			void *data);
/* Delete events by id (accepted or rejected by the server); unknown ids
 * are ignored.  Atomic. */
int store_events_delete(struct store *st, const char *const *ids, size_t n);

#endif
