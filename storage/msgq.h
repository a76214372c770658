/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_MSGQ_H
#define JIFEN_STORAGE_MSGQ_H
/*
 * Message queues in the store (part of the store module, see store.h for
 * the conventions): the inbox of received SMS parts, deduplicated and
 * reassembled, and the outbox of messages to send, part by part, with
 * retries and delivery reports.
 *
 * Inbound life cycle (SPEC §8, §10): the modem layer decodes PDUs, the
 * gateway calls store_inbox_add() for a batch (one transaction, duplicates
 * ignored by key), and only after it returned 0 deletes them from the SIM.
 * Then store_inbox_next_ready() hands out complete messages; the gateway
 * runs the handler and, inside ONE store_begin/store_commit, applies the
 * handler's effects, enqueues the reply (store_outbox_add) and calls
 * store_inbox_done(): each SMS gets exactly one answer across crashes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"

#define STORE_SENDER_MAX 64	/* numbers or alphanumeric UTF-8 senders */
#define STORE_CONCAT_MAX 255	/* concat total is one octet */

/* ---- inbox ---------------------------------------------------------- */

/* One received PDU part.  All strings are borrowed for the call only. */
struct store_inbox_part {
	const char *sender;	/* normalised if it is a number */
	const char *scts;	/* service-centre time stamp, ISO 8601 */
	int64_t scts_epoch;
	int ref, total, seq;	/* concat info, 0/0/0 (or total 1) single */
	const char *text;	/* UTF-8 (8-bit data: hex) */
	const char *alphabet;	/* "gsm7", "8bit", "ucs2" */
	int msg_class;		/* 0..3, -1 none */
	const char *pdu;	/* raw PDU hex, for diagnosis */
};

enum store_inbox_result { STORE_INBOX_DUP = 0, STORE_INBOX_NEW = 1 };

/*
 * Store N parts in one transaction (a SAVEPOINT inside a caller's).
 * Each part is INSERT OR IGNOREd on its dedup key (sender, scts, concat
 * ref, total, seq, text); RESULTS[i] (may be NULL) says new or
 * duplicate.  Inconsistent concat info (total > 255, seq 0 or > total)
 * is stored as a single part.  After 0 the parts are durable and may be
 * deleted from the SIM; on error nothing was stored.
 */
int store_inbox_add(struct store *st, const struct store_inbox_part *parts,
		    size_t n, int64_t now, enum store_inbox_result *results);

/* A message ready to handle.  TEXT is heap memory owned by the struct:
 * release with store_inbox_msg_release(). */
struct store_inbox_msg {
	long long id;		/* first part's id: in_reply_to for replies */
	char sender[STORE_SENDER_MAX];
	char scts[40];
	int64_t scts_epoch;
	int64_t received_at;	/* of the earliest part */
	int ref, total;		/* 0, 0 for a single part */
	bool incomplete;	/* deadline passed with parts missing */
	int nparts;
	long long part_ids[STORE_CONCAT_MAX];
	int part_seqs[STORE_CONCAT_MAX];
	char alphabet[8];
	int msg_class;
	char *text;		/* parts joined in seq order (NUL-ended) */
};

/*
 * Fill *OUT with the oldest unprocessed message that is ready: a single
 * part; a concat group (sender, ref, total) holding every seq; or a group
 * whose earliest part arrived DEADLINE_S or more seconds before NOW
 * (incomplete, missing parts absent from the text).  Several groups may
 * be in flight; parts arrive in any order.  A late part of a group that
 * was already processed forms a new group on its own and so is handed
 * out, incomplete, after the deadline, never reprocessed with the rest.
 * A second copy of a part NUMBER (same sender, ref, total and seq,
 * another text or time stamp, within an hour) is stored processed by
 * store_inbox_add(): never answered on its own.
 * -ENOENT: nothing ready.  On 0 the caller must release *OUT.
 */
int store_inbox_next_ready(struct store *st, int64_t now, int deadline_s,
			   struct store_inbox_msg *out);

/* Free OUT's text (safe twice, safe on a zeroed struct). */
void store_inbox_msg_release(struct store_inbox_msg *m);

/*
 * Earliest time an incomplete group becomes ready by deadline (-ENOENT if
 * no group is waiting), so the daemon can arm a one-shot timer.
 */
int store_inbox_next_deadline(struct store *st, int deadline_s,
			      int64_t *t);

/*
 * Mark every part of M processed at NOW and remember the message (sender,
 * joined text) for duplicate suppression.  Call it inside the caller's
 * transaction together with the handler's effects and the reply.
 * -EALREADY if any part was already processed (nothing changed).
 */
int store_inbox_done(struct store *st, const struct store_inbox_msg *m,
		     int64_t now);

/* True in *SEEN when a message from SENDER with exactly TEXT, received
 * at or after SINCE, was already processed (10-minute duplicate rule). */
int store_inbox_seen_recently(struct store *st, const char *sender,
			      const char *text, int64_t since, bool *seen);

/* Processed messages (not parts) from SENDER with exactly TEXT (NULL:
 * any text) received at or after SINCE: the loop guard's "the same text
 * again and again" and "dozens of messages a minute". */
int store_inbox_count_same(struct store *st, const char *sender,
			   const char *text, int64_t since, long *n);

/* Number of parts received from SENDER at or after SINCE (flood view). */
int store_inbox_count_from(struct store *st, const char *sender,
			   int64_t since, long *n);

/*
 * Unknown-number hint budget: if fewer than LIMIT hints were given to
 * PHONE on DAY (e.g. "2026-11-28", the gateway's local day), count one
 * more and set *GRANTED; else *GRANTED false and nothing changes.
 */
int store_hint_take(struct store *st, const char *phone, const char *day,
		    int limit, bool *granted);

/* ---- outbox --------------------------------------------------------- */

enum store_out_kind { STORE_OUT_REPLY = 0, STORE_OUT_NOTIFY = 1,
		      STORE_OUT_ALERT = 2 };

enum store_out_state { STORE_OUT_QUEUED = 0, STORE_OUT_SENDING = 1,
		       STORE_OUT_SENT = 2, STORE_OUT_FAILED = 3,
		       STORE_OUT_CANCELLED = 4 };

/* One encoded part as the gateway made it (same PDU on every retry, so
 * the concat reference stays the same).  Borrowed for the call. */
struct store_out_pdu {
	const char *pdu;	/* hex, with the SMSC prefix the modem wants */
	int tpdu_len;		/* the AT+CMGS length */
};

struct store_out_msg {
	const char *to;		/* normalised if it is a number */
	const char *text;	/* for the record and for status */
	enum store_out_kind kind;
	long long in_reply_to;	/* inbox message id or 0 */
	int64_t not_before;	/* quiet hours: 0 = at once */
};

/*
 * Queue message M with its N (1..255) parts, numbered 1..N in order.
 * *ID (may be NULL) gets the message id.  At most one reply per inbound
 * message: a second STORE_OUT_REPLY with the same non-zero in_reply_to
 * is -EEXIST.
 */
int store_outbox_add(struct store *st, const struct store_out_msg *m,
		     const struct store_out_pdu *parts, size_t n, int64_t now,
		     long long *id);

#define STORE_PDU_HEX_MAX 512

struct store_out_part {
	long long id;		/* part id for _sent/_failed */
	long long msg_id;
	int seq, total;
	char to[STORE_SENDER_MAX];
	enum store_out_kind kind;
	char pdu[STORE_PDU_HEX_MAX];
	int tpdu_len;
	int attempts;		/* failed attempts so far */
};

/*
 * The oldest part that is due: part queued with next_attempt_at <= NOW,
 * its message queued or sending with not_before <= NOW.  -ENOENT if
 * none.  Does not change anything: call _sent or _failed afterwards.
 */
int store_outbox_next_due(struct store *st, int64_t now,
			  struct store_out_part *out);

/* Part PART_ID went out with message reference MR; the message becomes
 * sending, or sent when it was the last part. */
int store_outbox_part_sent(struct store *st, long long part_id, int mr,
			   int64_t now);

/*
 * Part PART_ID failed with ERR (e.g. "+CMS ERROR: 38"): attempts + 1,
 * last_error kept.  NEXT_ATTEMPT_AT > 0: retry then (the gateway picks
 * the backoff).  0: final, the part and its message become failed (the
 * message's other queued parts are no longer sent), visible in counts.
 */
int store_outbox_part_failed(struct store *st, long long part_id,
			     const char *err, int64_t now,
			     int64_t next_attempt_at);

/* Cancel a queued message (its unsent parts will not go). */
int store_outbox_cancel(struct store *st, long long msg_id, int64_t now);

/*
 * A delivery report: match the most recently sent part to TO with
 * message reference MR and record STATUS (TP-ST, 0 = delivered) at NOW.
 * *MSG_ID (may be NULL) gets its message.  -ENOENT if nothing matches.
 */
int store_outbox_report(struct store *st, const char *to, int mr,
			int status, int64_t now, long long *msg_id);

/*
 * Earliest time a queued part becomes due: max(next_attempt_at,
 * not_before) over queued parts of queued/sending messages.  May be <=
 * now (something is due at once).  -ENOENT when the outbox is idle.
 */
int store_outbox_next_wakeup(struct store *st, int64_t *t);

/*
 * Messages to TO created at or after SINCE; KIND < 0 counts every kind
 * (loop guard: 20 in 5 minutes), STORE_OUT_REPLY only replies (hourly
 * cap).  Queued, sent and failed messages all count, cancelled do not.
 */
int store_outbox_count_to(struct store *st, const char *to, int64_t since,
			  int kind, long *n);

/* State of message ID and of its parts (for tests and status). */
struct store_out_info {
	enum store_out_state state;
	int nparts, parts_sent, parts_failed;
	int attempts;		/* sum over parts */
	int delivered;		/* parts with a delivery report status 0 */
	char last_error[128];
};
int store_outbox_info(struct store *st, long long id,
		      struct store_out_info *out);

/* ---- message history (jifenctl message) ------------------------------ */

enum store_msg_dir { STORE_MSG_BOTH = 0, STORE_MSG_IN = 1, STORE_MSG_OUT = 2 };

struct store_msg_filter {
	enum store_msg_dir dir;
	bool failed_only;	/* out: failed; in: given up (apologised) */
	const char *number;	/* NULL or "": every number */
	int limit;		/* per direction; <= 0: all */
};

struct store_msg_row {
	bool out;
	long long id;			/* inbox message or outbox id */
	char number[STORE_SENDER_MAX];
	char text[1024];
	char kind[8];			/* reply, notify, alert; "in" */
	char state[16];			/* queued, sending, sent, failed,
					 * cancelled; in: handled,
					 * incomplete, failed */
	int64_t at;
	int nparts, parts_sent, parts_failed;
	int delivered, undelivered;	/* parts with a delivery report */
	char last_error[128];
};
typedef int (*store_msg_cb)(const struct store_msg_row *m, void *data);

/* Messages newest first: inbound (handled) then outbound, as F says. */
int store_messages_list(struct store *st, const struct store_msg_filter *f,
			store_msg_cb cb, void *data);

/* Queue failed outbox message ID again (its failed parts at once).
 * -ENOENT: no such message; -EALREADY: it is not failed. */
int store_outbox_retry(struct store *st, long long id, int64_t now);
/*
 * store_clamp_future - SPEC §13: after the wall clock was set back, set
 * every stored time that is still ahead of NOW to NOW: inbox and
 * handled-message arrival times (the "seen since" and "count from"
 * queries), outbox creation times (caps, loop guard), and outbox retry
 * and quiet-hour times more than a day ahead.  *CHANGED (may be NULL)
 * gets the number of rows changed.  0 or -errno.
 */
int store_clamp_future(struct store *st, int64_t now, long *changed);

#endif
