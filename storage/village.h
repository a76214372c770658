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
 * (record.new, record.review, matter.new) and an audit row in the same
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
};

/* "pending", "approved", "rejected", "final". */
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
 *
 * A new event type uses the same columns (e.g. record.objection: ref,
 * actor, text) and adds one row to the table in jifen-sync/event.c.
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
