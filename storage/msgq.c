/* SPDX-License-Identifier: MIT */
/*
 * Message queues: inbox (dedup, reassembly, rate queries) and outbox
 * (parts, retries, delivery reports).  See msgq.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/msgq.h"
#include "storage/store_priv.h"

static bool empty(const char *s)
{
	return !s || !*s;
}

/* ---- inbox: add ------------------------------------------------------- */

static const char sql_in_add[] =
	"INSERT OR IGNORE INTO inbox(sender, scts, scts_epoch, concat_ref,"
	" concat_total, concat_seq, text, alphabet, class, pdu, received_at)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/*
 * A second, different copy of a part number the inbox already holds for
 * the same concatenated message (sender, reference, total) within the
 * last hour is kept (audit) but stored as processed at once: it is never
 * reassembled twice nor answered on its own (the first copy wins).
 */
static const char sql_in_copy[] =
	"UPDATE inbox SET processed_at = ?2 WHERE id = ?1 AND EXISTS("
	" SELECT 1 FROM inbox o WHERE o.sender = ?3 AND o.concat_ref = ?4"
	" AND o.concat_total = ?5 AND o.concat_seq = ?6 AND o.id != ?1"
	" AND o.received_at >= ?2 - 3600)";

static int absorb_copy(struct store *st, const char *sender, int ref,
		       int total, int seq, int64_t now)
{
	return store_exec(st, sql_in_copy, "iitddd",
			  (int64_t)sqlite3_last_insert_rowid(st->db), now,
			  sender, ref, total, seq);
}

int store_inbox_add(struct store *st, const struct store_inbox_part *parts,
		    size_t n, int64_t now, enum store_inbox_result *results)
{
	char sender[STORE_SENDER_MAX];
	const struct store_inbox_part *p;
	int ref, total, seq, rc;
	long added = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (empty(parts[i].sender))
			return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		p = &parts[i];
		store_norm_sender(p->sender, sender, sizeof(sender));
		ref = p->ref;
		total = p->total;
		seq = p->seq;
		if (total <= 1 || total > STORE_CONCAT_MAX || seq < 1 ||
		    seq > total || ref < 0 || ref > 0xffff)
			ref = total = seq = 0;
		rc = store_exec_changes(st, sql_in_add, &added, "ttidddttdti",
					sender, p->scts ? p->scts : "",
					p->scts_epoch, ref, total, seq,
					p->text ? p->text : "",
					p->alphabet ? p->alphabet : "gsm7",
					p->msg_class, p->pdu ? p->pdu : "", now);
		if (rc)
			break;
		if (results)
			results[i] = added ? STORE_INBOX_NEW : STORE_INBOX_DUP;
		if (total && added) {
			rc = absorb_copy(st, sender, ref, total, seq, now);
			if (rc)
				break;
		}
	}
	return store_tx_end(st, rc);
}

/* ---- inbox: reassembly ---------------------------------------------------- */

/* Unprocessed messages, one row per single part or per concat group,
 * oldest first, with what is needed to tell whether it is ready without
 * loading its text: distinct parts present and the earliest arrival. */
static const char sql_in_unprocessed[] =
	"SELECT MIN(id), sender, concat_ref, concat_total,"
	" COUNT(DISTINCT concat_seq), MIN(received_at) AS first FROM inbox"
	" WHERE processed_at IS NULL"
	" GROUP BY CASE WHEN concat_total = 0 THEN id ELSE 0 END,"
	"  sender, concat_ref, concat_total"
	" ORDER BY first, MIN(id)";
static const char sql_in_single[] =
	"SELECT id, sender, scts, scts_epoch, received_at, text, alphabet,"
	" class, concat_seq FROM inbox WHERE id = ?1";
static const char sql_in_group[] =
	"SELECT id, sender, scts, scts_epoch, received_at, text, alphabet,"
	" class, concat_seq FROM inbox WHERE processed_at IS NULL"
	" AND sender = ?1 AND concat_ref = ?2 AND concat_total = ?3"
	" ORDER BY concat_seq, received_at, id";

void store_inbox_msg_release(struct store_inbox_msg *m)
{
	if (!m)
		return;
	free(m->text);
	m->text = NULL;
}

/* Append TEXT to M->text (heap). */
static int msg_append(struct store_inbox_msg *m, size_t *len,
		      const char *text)
{
	size_t add = strlen(text);
	char *t = realloc(m->text, *len + add + 1);

	if (!t)
		return -ENOMEM;
	memcpy(t + *len, text, add + 1);
	m->text = t;
	*len += add;
	return 0;
}

/*
 * Load the message starting at the row of S's current query (single id
 * or group) into M.  For a group, one part per seq (the earliest).
 * Returns 0 and sets *COMPLETE, or -errno.
 */
static int load_msg(struct store *st, sqlite3_stmt *s,
		    struct store_inbox_msg *m, int total, bool *complete)
{
	size_t len = 0;
	int r, rc = 0, seq, last_seq = -1;
	long long id;
	int64_t rcv;

	m->nparts = 0;
	m->id = 0;
	m->received_at = 0;
	while ((r = store_step(st, s)) == SQLITE_ROW) {
		seq = sqlite3_column_int(s, 8);
		if (total && (seq == last_seq || m->nparts >= total))
			continue;
		last_seq = seq;
		id = sqlite3_column_int64(s, 0);
		rcv = sqlite3_column_int64(s, 4);
		if (!m->nparts) {
			store_col_text(s, 1, m->sender, sizeof(m->sender));
			store_col_text(s, 2, m->scts, sizeof(m->scts));
			m->scts_epoch = sqlite3_column_int64(s, 3);
			store_col_text(s, 6, m->alphabet, sizeof(m->alphabet));
			m->msg_class = sqlite3_column_int(s, 7);
		}
		if (!m->id || id < m->id)
			m->id = id;
		if (!m->received_at || rcv < m->received_at)
			m->received_at = rcv;
		m->part_ids[m->nparts] = id;
		m->part_seqs[m->nparts] = seq;
		m->nparts++;
		rc = msg_append(m, &len,
				(const char *)sqlite3_column_text(s, 5));
		if (rc)
			break;
		if (!total)
			break;
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(s);
	if (!rc && !m->text)
		rc = msg_append(m, &len, "");
	*complete = !total || m->nparts == total;
	return rc;
}

int store_inbox_next_ready(struct store *st, int64_t now, int deadline_s,
			   struct store_inbox_msg *out)
{
	char sender[STORE_SENDER_MAX];
	sqlite3_stmt *it, *s;
	int rc = 0, r = SQLITE_DONE, ref, total;
	long long id;
	bool complete, found = false;

	memset(out, 0, sizeof(*out));
	it = store_stmt(st, sql_in_unprocessed, &rc);
	if (!it)
		return rc;
	while (!found && (r = store_step(st, it)) == SQLITE_ROW) {
		id = sqlite3_column_int64(it, 0);
		store_col_text(it, 1, sender, sizeof(sender));
		ref = sqlite3_column_int(it, 2);
		total = sqlite3_column_int(it, 3);
		/* a group still filling up and not yet due: not loaded */
		if (total && sqlite3_column_int(it, 4) < total &&
		    now - sqlite3_column_int64(it, 5) < deadline_s)
			continue;
		if (!total) {
			s = store_stmt(st, sql_in_single, &rc);
			if (!s)
				break;
			sqlite3_bind_int64(s, 1, id);
		} else {
			s = store_stmt(st, sql_in_group, &rc);
			if (!s)
				break;
			store_bind_text(s, 1, sender);
			sqlite3_bind_int(s, 2, ref);
			sqlite3_bind_int(s, 3, total);
		}
		rc = load_msg(st, s, out, total, &complete);
		if (rc)
			break;
		if (complete || now - out->received_at >= deadline_s) {
			out->ref = total ? ref : 0;
			out->total = total;
			out->incomplete = !complete;
			found = true;
		} else {
			store_inbox_msg_release(out);
		}
	}
	if (!found && !rc && r != SQLITE_DONE)
		rc = store_errno(r);
	sqlite3_reset(it);
	if (rc) {
		store_inbox_msg_release(out);
		return rc;
	}
	return found ? 0 : -ENOENT;
}

static const char sql_in_next_deadline[] =
	"SELECT MIN(received_at) FROM inbox WHERE processed_at IS NULL"
	" AND concat_total > 0";

int store_inbox_next_deadline(struct store *st, int deadline_s, int64_t *t)
{
	int rc = store_query_int64(st, sql_in_next_deadline, t);

	if (!rc)
		*t += deadline_s;
	return rc;
}

static const char sql_in_mark[] =
	"UPDATE inbox SET processed_at = ?2, msg_id = ?3 WHERE id = ?1"
	" AND processed_at IS NULL";
static const char sql_in_msg_add[] =
	"INSERT INTO inbox_msgs(id, sender, text, nparts, incomplete,"
	" received_at, processed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";

int store_inbox_done(struct store *st, const struct store_inbox_msg *m,
		     int64_t now)
{
	long n = 0;
	int i, rc;

	if (!m || m->nparts < 1 || m->nparts > STORE_CONCAT_MAX)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	for (i = 0; i < m->nparts && !rc; i++) {
		rc = store_exec_changes(st, sql_in_mark, &n, "iii",
					(int64_t)m->part_ids[i], now,
					(int64_t)m->id);
		if (!rc && n != 1)
			rc = -EALREADY;
	}
	if (!rc) {
		rc = store_exec(st, sql_in_msg_add, "ittddii", (int64_t)m->id,
				m->sender, m->text ? m->text : "", m->nparts,
				(int)m->incomplete, m->received_at, now);
		if (rc == -EEXIST)
			rc = -EALREADY;
	}
	return store_tx_end(st, rc);
}

/* ---- inbox: rate queries ----------------------------------------------------- */

static const char sql_in_seen[] =
	"SELECT 1 FROM inbox_msgs WHERE sender = ?1 AND text = ?2"
	" AND received_at >= ?3 LIMIT 1";
static const char sql_in_count_from[] =
	"SELECT COUNT(*) FROM inbox WHERE sender = ?1 AND received_at >= ?2";
static const char sql_hint_get[] =
	"SELECT count FROM hints WHERE phone = ?1 AND day = ?2";
static const char sql_hint_put[] =
	"INSERT INTO hints(phone, day, count) VALUES(?1, ?2, 1)"
	" ON CONFLICT(phone, day) DO UPDATE SET count = count + 1";


int store_inbox_seen_recently(struct store *st, const char *sender,
			      const char *text, int64_t since, bool *seen)
{
	char num[STORE_SENDER_MAX];
	long v = 0;
	int rc;

	*seen = false;
	if (empty(sender) || !text)
		return -EINVAL;
	store_norm_sender(sender, num, sizeof(num));
	rc = store_query(st, sql_in_seen, store_read_long, &v, "tti", num, text,
			 since);
	*seen = v != 0;
	return rc;
}

static const char sql_in_count_same[] =
	"SELECT COUNT(*) FROM inbox_msgs WHERE sender = ?1"
	" AND (?2 IS NULL OR text = ?2) AND received_at >= ?3";

int store_inbox_count_same(struct store *st, const char *sender,
			   const char *text, int64_t since, long *n)
{
	char num[STORE_SENDER_MAX];

	*n = 0;
	if (empty(sender))
		return -EINVAL;
	store_norm_sender(sender, num, sizeof(num));
	return store_query(st, sql_in_count_same, store_read_long, n, "tti", num,
			   text, since);
}

int store_inbox_count_from(struct store *st, const char *sender,
			   int64_t since, long *n)
{
	char num[STORE_SENDER_MAX];

	if (empty(sender))
		return -EINVAL;
	store_norm_sender(sender, num, sizeof(num));
	*n = 0;
	return store_query(st, sql_in_count_from, store_read_long, n, "ti", num,
			   since);
}

int store_hint_take(struct store *st, const char *phone, const char *day,
		    int limit, bool *granted)
{
	char num[STORE_SENDER_MAX];
	long v = 0;
	int rc;

	*granted = false;
	if (empty(phone) || empty(day))
		return -EINVAL;
	store_norm_sender(phone, num, sizeof(num));
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_query(st, sql_hint_get, store_read_long, &v, "tt", num, day);
	if (rc || v >= limit)
		goto out;
	rc = store_exec(st, sql_hint_put, "tt", num, day);
	if (!rc)
		*granted = true;
out:
	rc = store_tx_end(st, rc);
	if (rc)
		*granted = false;
	return rc;
}

/* ---- outbox --------------------------------------------------------------- */

static const char *const kind_names[] = { "reply", "notify", "alert" };
static const char *const state_names[] = {
	"queued", "sending", "sent", "failed", "cancelled",
};

static int out_state_parse(const char *s)
{
	int i;

	for (i = 0; s && i <= STORE_OUT_CANCELLED; i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return STORE_OUT_QUEUED;
}

static const char sql_out_add[] =
	"INSERT INTO outbox(recipient, text, kind, in_reply_to, created_at,"
	" not_before) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_out_part_add[] =
	"INSERT INTO outbox_parts(msg, seq, pdu, tpdu_len) VALUES(?1, ?2, ?3,"
	" ?4)";

int store_outbox_add(struct store *st, const struct store_out_msg *m,
		     const struct store_out_pdu *parts, size_t n, int64_t now,
		     long long *id)
{
	char to[STORE_SENDER_MAX];
	long long mid = 0;
	size_t i;
	int rc;

	if (!m || empty(m->to) || !parts || n < 1 || n > STORE_CONCAT_MAX ||
	    (unsigned)m->kind > STORE_OUT_ALERT || m->in_reply_to < 0)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (empty(parts[i].pdu) ||
		    strlen(parts[i].pdu) >= STORE_PDU_HEX_MAX ||
		    parts[i].tpdu_len <= 0)
			return -EINVAL;
	store_norm_sender(m->to, to, sizeof(to));
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_exec(st, sql_out_add, "tttiii", to, m->text ? m->text : "",
			kind_names[m->kind], (int64_t)m->in_reply_to, now,
			m->not_before);
	if (!rc)
		mid = sqlite3_last_insert_rowid(st->db);
	for (i = 0; i < n && !rc; i++)
		rc = store_exec(st, sql_out_part_add, "idtd", (int64_t)mid,
				(int)i + 1, parts[i].pdu, parts[i].tpdu_len);
	rc = store_tx_end(st, rc);
	if (!rc && id)
		*id = mid;
	return rc;
}

static const char sql_out_next_due[] =
	"SELECT p.id, p.msg, p.seq,"
	" (SELECT COUNT(*) FROM outbox_parts q WHERE q.msg = p.msg),"
	" o.recipient, o.kind, p.pdu, p.tpdu_len, p.attempts"
	/* walk the queued parts in order (partial index, no sort): the
	 * first due one wins; CROSS JOIN keeps the planner to that plan */
	" FROM outbox_parts p INDEXED BY outbox_parts_queued"
	" CROSS JOIN outbox o ON o.id = p.msg"
	" WHERE p.state = 'queued' AND p.next_attempt_at <= ?1"
	" AND o.state IN ('queued', 'sending') AND o.not_before <= ?1"
	" ORDER BY p.msg, p.seq LIMIT 1";

int store_outbox_next_due(struct store *st, int64_t now,
			  struct store_out_part *out)
{
	char kind[16];
	int rc, k;

	rc = store_get(st, sql_out_next_due, "i", "llddtttdd", now, &out->id,
		       &out->msg_id, &out->seq, &out->total, out->to,
		       sizeof(out->to), kind, sizeof(kind), out->pdu,
		       sizeof(out->pdu), &out->tpdu_len, &out->attempts);
	if (rc)
		return rc;
	out->kind = STORE_OUT_REPLY;
	for (k = 0; k <= STORE_OUT_ALERT; k++)
		if (!strcmp(kind, kind_names[k]))
			out->kind = (enum store_out_kind)k;
	return 0;
}

static const char sql_part_msg[] =
	"SELECT msg, state = 'queued' FROM outbox_parts WHERE id = ?1";
static const char sql_part_sent[] =
	"UPDATE outbox_parts SET state = 'sent', mr = ?2, sent_at = ?3"
	" WHERE id = ?1 AND state = 'queued'";
static const char sql_msg_after_sent[] =
	"UPDATE outbox SET"
	" state = CASE WHEN (SELECT COUNT(*) FROM outbox_parts"
	"   WHERE msg = ?1 AND state != 'sent') = 0 THEN 'sent'"
	"   ELSE 'sending' END,"
	" done_at = CASE WHEN (SELECT COUNT(*) FROM outbox_parts"
	"   WHERE msg = ?1 AND state != 'sent') = 0 THEN ?2 ELSE NULL END"
	" WHERE id = ?1 AND state IN ('queued', 'sending')";
static const char sql_part_failed[] =
	"UPDATE outbox_parts SET attempts = attempts + 1, last_error = ?2,"
	" next_attempt_at = ?3,"
	" state = CASE WHEN ?3 = 0 THEN 'failed' ELSE 'queued' END"
	" WHERE id = ?1 AND state = 'queued'";
static const char sql_msg_failed[] =
	"UPDATE outbox SET state = 'failed', done_at = ?2"
	" WHERE id = ?1 AND state IN ('queued', 'sending')";
static const char sql_msg_cancel[] =
	"UPDATE outbox SET state = 'cancelled', done_at = ?2"
	" WHERE id = ?1 AND state IN ('queued', 'sending')";

/* The message of part ID into *MSG: 0, -EALREADY when the part is no
 * longer queued, -ENOENT when there is no such part, or -errno. */
static int part_msg(struct store *st, long long id, long long *msg)
{
	bool queued = false;
	int rc;

	*msg = 0;
	rc = store_get(st, sql_part_msg, "i", "lb", (int64_t)id, msg, &queued);
	if (!rc && !queued)
		rc = -EALREADY;
	return rc;
}

int store_outbox_part_sent(struct store *st, long long part_id, int mr,
			   int64_t now)
{
	long long msg;
	int rc;

	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = part_msg(st, part_id, &msg);
	if (!rc)
		rc = store_exec(st, sql_part_sent, "idi", (int64_t)part_id, mr,
				now);
	if (!rc)
		rc = store_exec(st, sql_msg_after_sent, "ii", (int64_t)msg, now);
	return store_tx_end(st, rc);
}

int store_outbox_part_failed(struct store *st, long long part_id,
			     const char *err, int64_t now,
			     int64_t next_attempt_at)
{
	long long msg;
	int rc;

	if (next_attempt_at < 0)
		return -EINVAL;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = part_msg(st, part_id, &msg);
	if (!rc)
		rc = store_exec(st, sql_part_failed, "iti", (int64_t)part_id,
				err ? err : "", next_attempt_at);
	if (!rc && !next_attempt_at)	/* no retry left: the message too */
		rc = store_exec(st, sql_msg_failed, "ii", (int64_t)msg, now);
	return store_tx_end(st, rc);
}

int store_outbox_cancel(struct store *st, long long msg_id, int64_t now)
{
	long n = 0;
	int rc;

	rc = store_exec_changes(st, sql_msg_cancel, &n, "ii", (int64_t)msg_id,
				now);
	if (!rc && n == 0)
		rc = -ENOENT;
	return rc;
}

static const char sql_out_report_find[] =
	"SELECT p.id, p.msg FROM outbox_parts p JOIN outbox o ON o.id = p.msg"
	" WHERE o.recipient = ?1 AND p.mr = ?2 AND p.state = 'sent'"
	" ORDER BY p.sent_at DESC, p.id DESC LIMIT 1";
static const char sql_out_report_set[] =
	"UPDATE outbox_parts SET delivered = ?2, delivered_at = ?3"
	" WHERE id = ?1";

int store_outbox_report(struct store *st, const char *to, int mr,
			int status, int64_t now, long long *msg_id)
{
	char num[STORE_SENDER_MAX];
	long long pid = 0, msg = 0;
	int rc;

	if (empty(to) || mr < 0 || mr > 255)
		return -EINVAL;
	store_norm_sender(to, num, sizeof(num));
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_get(st, sql_out_report_find, "td", "ll", num, mr, &pid, &msg);
	if (!rc)
		rc = store_exec(st, sql_out_report_set, "idi", (int64_t)pid,
				status, now);
	rc = store_tx_end(st, rc);
	if (!rc && msg_id)
		*msg_id = msg;
	return rc;
}

static const char sql_out_wakeup[] =
	"SELECT MIN(MAX(p.next_attempt_at, o.not_before))"
	" FROM outbox_parts p JOIN outbox o ON o.id = p.msg"
	" WHERE p.state = 'queued' AND o.state IN ('queued', 'sending')";

int store_outbox_next_wakeup(struct store *st, int64_t *t)
{
	return store_query_int64(st, sql_out_wakeup, t);
}

static const char sql_out_count_to[] =
	"SELECT COUNT(*) FROM outbox WHERE recipient = ?1"
	" AND created_at >= ?2 AND state != 'cancelled'"
	" AND (?3 IS NULL OR kind = ?3)";

int store_outbox_count_to(struct store *st, const char *to, int64_t since,
			  int kind, long *n)
{
	char num[STORE_SENDER_MAX];

	if (empty(to) || kind > STORE_OUT_ALERT)
		return -EINVAL;
	store_norm_sender(to, num, sizeof(num));
	*n = 0;
	return store_query(st, sql_out_count_to, store_read_long, n, "tit", num,
			   since, kind < 0 ? NULL : kind_names[kind]);
}

static const char sql_out_info[] =
	"SELECT o.state, COUNT(p.id),"
	" COALESCE(SUM(p.state = 'sent'), 0),"
	" COALESCE(SUM(p.state = 'failed'), 0),"
	" COALESCE(SUM(p.attempts), 0),"
	" COALESCE(SUM(p.delivered = 0), 0),"
	" (SELECT last_error FROM outbox_parts WHERE msg = o.id"
	"   AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1)"
	" FROM outbox o LEFT JOIN outbox_parts p ON p.msg = o.id"
	" WHERE o.id = ?1 GROUP BY o.id";

int store_outbox_info(struct store *st, long long id,
		      struct store_out_info *out)
{
	char state[16];
	int rc;

	rc = store_get(st, sql_out_info, "i", "tdddddt", (int64_t)id, state,
		       sizeof(state), &out->nparts, &out->parts_sent,
		       &out->parts_failed, &out->attempts, &out->delivered,
		       out->last_error, sizeof(out->last_error));
	if (!rc)
		out->state = (enum store_out_state)out_state_parse(state);
	return rc;
}

/* ---- message history for the operator (jifenctl message) ------------------- */

static const char sql_msgs_out[] =
	"SELECT o.id, o.recipient, o.text, o.kind, o.created_at, o.state,"
	" COUNT(p.id), COALESCE(SUM(p.state = 'sent'), 0),"
	" COALESCE(SUM(p.state = 'failed'), 0),"
	" COALESCE(SUM(p.delivered = 0), 0),"
	" COALESCE(SUM(p.delivered IS NOT NULL AND p.delivered != 0), 0),"
	" COALESCE(MAX(p.last_error), '')"
	" FROM outbox o LEFT JOIN outbox_parts p ON p.msg = o.id"
	" WHERE (?1 IS NULL OR o.recipient = ?1)"
	" AND (?2 = 0 OR o.state = 'failed')"
	" GROUP BY o.id ORDER BY o.id DESC LIMIT ?3";
static const char sql_msgs_in[] =
	"SELECT m.id, m.sender, m.text, m.received_at, m.nparts, m.incomplete,"
	" COALESCE(f.gave_up, 0), COALESCE(f.last_error, '')"
	" FROM inbox_msgs m LEFT JOIN inbox_fails f ON f.msg_id = m.id"
	" WHERE (?1 IS NULL OR m.sender = ?1)"
	" AND (?2 = 0 OR f.gave_up = 1)"
	" ORDER BY m.id DESC LIMIT ?3";
static const char sql_retry_parts[] =
	"UPDATE outbox_parts SET state = 'queued', next_attempt_at = 0"
	" WHERE msg = ?1 AND state = 'failed'";
static const char sql_retry_msg[] =
	"UPDATE outbox SET state = 'queued', done_at = NULL"
	" WHERE id = ?1 AND state = 'failed'";
static const char sql_msg_failed_q[] =
	"SELECT state = 'failed' FROM outbox WHERE id = ?1";

/* What msgs_walk hands its row function. */
struct msgs_walk {
	bool out;
	store_msg_cb cb;
	void *data;
	struct store_msg_row *m;
};

/* store_row_fn: a sql_msgs_out or sql_msgs_in row to the callback. */
static int msgs_row(sqlite3_stmt *s, void *p)
{
	struct msgs_walk *w = p;
	struct store_msg_row *m = w->m;

	memset(m, 0, sizeof(*m));
	m->out = w->out;
	m->id = sqlite3_column_int64(s, 0);
	store_col_text(s, 1, m->number, sizeof(m->number));
	store_col_text(s, 2, m->text, sizeof(m->text));
	if (w->out) {
		store_col_text(s, 3, m->kind, sizeof(m->kind));
		m->at = sqlite3_column_int64(s, 4);
		store_col_text(s, 5, m->state, sizeof(m->state));
		m->nparts = sqlite3_column_int(s, 6);
		m->parts_sent = sqlite3_column_int(s, 7);
		m->parts_failed = sqlite3_column_int(s, 8);
		m->delivered = sqlite3_column_int(s, 9);
		m->undelivered = sqlite3_column_int(s, 10);
		store_col_text(s, 11, m->last_error, sizeof(m->last_error));
	} else {
		snprintf(m->kind, sizeof(m->kind), "in");
		m->at = sqlite3_column_int64(s, 3);
		m->nparts = sqlite3_column_int(s, 4);
		snprintf(m->state, sizeof(m->state), "%s",
			 sqlite3_column_int(s, 6) ? "failed" :
			 sqlite3_column_int(s, 5) ? "incomplete" :
			 "handled");
		store_col_text(s, 7, m->last_error, sizeof(m->last_error));
	}
	return w->cb(m, w->data);
}

static int msgs_walk(struct store *st, bool out, const char *num,
		     const struct store_msg_filter *f, store_msg_cb cb,
		     void *data)
{
	struct msgs_walk w = { .out = out, .cb = cb, .data = data };
	int rc;

	w.m = malloc(sizeof(*w.m));
	if (!w.m)
		return -ENOMEM;
	rc = store_query(st, out ? sql_msgs_out : sql_msgs_in, msgs_row, &w,
			 "tdd", num, (int)f->failed_only,
			 f->limit > 0 ? f->limit : -1);
	free(w.m);
	return rc;
}

int store_messages_list(struct store *st, const struct store_msg_filter *f,
			store_msg_cb cb, void *data)
{
	char num[STORE_SENDER_MAX];
	int rc = 0;

	if (!f || !cb)
		return -EINVAL;
	if (f->number && *f->number)
		store_norm_sender(f->number, num, sizeof(num));
	if (f->dir != STORE_MSG_OUT)
		rc = msgs_walk(st, false, f->number && *f->number ? num : NULL,
			       f, cb, data);
	if (!rc && f->dir != STORE_MSG_IN)
		rc = msgs_walk(st, true, f->number && *f->number ? num : NULL,
			       f, cb, data);
	return rc;
}

int store_outbox_retry(struct store *st, long long id, int64_t now)
{
	bool failed = false;
	int rc;

	(void)now;
	rc = store_tx_begin(st);
	if (rc)
		return rc;
	rc = store_get(st, sql_msg_failed_q, "i", "b", (int64_t)id, &failed);
	if (!rc && !failed)
		rc = -EALREADY;
	if (!rc)
		rc = store_exec(st, sql_retry_parts, "i", (int64_t)id);
	if (!rc)
		rc = store_exec(st, sql_retry_msg, "i", (int64_t)id);
	return store_tx_end(st, rc);
}

/* ---- clock jumps ---------------------------------------------------------- */

static const char sql_clamp_inbox[] =
	"UPDATE inbox SET received_at = ?1 WHERE received_at > ?1";
static const char sql_clamp_msgs[] =
	"UPDATE inbox_msgs SET received_at = ?1 WHERE received_at > ?1";
static const char sql_clamp_msgs_done[] =
	"UPDATE inbox_msgs SET processed_at = ?1 WHERE processed_at > ?1";
static const char sql_clamp_outbox[] =
	"UPDATE outbox SET created_at = ?1 WHERE created_at > ?1";
static const char sql_clamp_not_before[] =
	"UPDATE outbox SET not_before = ?1 WHERE not_before > ?1 + 86400"
	" AND state IN ('queued','sending')";
static const char sql_clamp_retry[] =
	"UPDATE outbox_parts SET next_attempt_at = ?1"
	" WHERE state = 'queued' AND next_attempt_at > ?1 + 86400";

int store_clamp_future(struct store *st, int64_t now, long *changed)
{
	const char *const sqls[] = {
		sql_clamp_inbox, sql_clamp_msgs, sql_clamp_msgs_done,
		sql_clamp_outbox, sql_clamp_not_before, sql_clamp_retry,
	};

	return store_exec_all(st, sqls, sizeof(sqls) / sizeof(sqls[0]), now,
			      changed);
}
