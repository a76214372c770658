/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_STORE_PRIV_H
#define JIFEN_STORAGE_STORE_PRIV_H
/*
 * Private to the storage files: the handle, the statement cache and the
 * step/transaction helpers shared by the store's files.  Not part of the
 * public API; nothing outside storage/ includes it.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"
#include "storage/sync.h"
#include "storage/village.h"
#include "storage/web.h"

#define STORE_STMT_MAX 160

struct store_stmt_slot {
	const char *sql;	/* pointer identity of a static string */
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	bool in_tx;		/* store_begin active */
	bool durable;		/* synchronous=FULL (else NORMAL) */
	int sp_depth;		/* internal savepoints open */
	long fault_n;		/* steps until the injected fault, 0 off */
	int fault_err;		/* SQLite code of the injected fault */
	long steps;
	/* reliability (store_open_flags): the file behind the handle */
	char *path;
	int file_fd;		/* O_RDONLY on the database, for fstat */
	int lock_fd;		/* flock(PATH.lock) with STORE_LOCK, or -1 */
	bool corrupt;		/* SQLITE_CORRUPT/NOTADB seen */
	int nstmt;
	struct store_stmt_slot stmts[STORE_STMT_MAX];
};

/* Map an SQLite result code to -errno (0 for OK/ROW/DONE). */
int store_errno(int sqlite_rc);

/* Run SQL, a parameterless query of one nullable integer (a MIN() over
 * times): *OUT gets it, -ENOENT when it is NULL, else -errno. */
int store_query_int64(struct store *st, const char *sql, int64_t *out);

/* Cached prepared statement for SQL (a static string), reset and with
 * bindings cleared; NULL on failure (*RC = -errno). */
sqlite3_stmt *store_stmt(struct store *st, const char *sql, int *rc);

/* sqlite3_step through the fault hook; returns the SQLite code. */
int store_step(struct store *st, sqlite3_stmt *s);

/* Run the N statements SQLS (no rows, one int64 parameter ?1 = ARG) in
 * one atomic unit; *CHANGES (may be NULL) gets the rows they changed. */
int store_exec_all(struct store *st, const char *const *sqls, size_t n,
		   int64_t arg, long *changes);

/* Internal atomic unit: BEGIN IMMEDIATE, or a SAVEPOINT inside a
 * transaction.  store_tx_end commits/releases when RC == 0, else rolls
 * back; returns RC, or the commit error. */
int store_tx_begin(struct store *st);
int store_tx_end(struct store *st, int rc);

/*
 * store_query - the prepare-bind-step-read-reset sequence in one call.
 * Takes SQL (a static string) from the statement cache, binds the
 * parameters ?1, ?2, ... in the order FMT names them, one letter each:
 *   'i' int64_t (pass an int64_t or long long, never a bare int)
 *   'd' int
 *   'f' double
 *   't' const char * (NULL binds NULL)
 * then steps through the rows, calling ROW (may be NULL: rows are
 * ignored) on each; a nonzero return from ROW stops the walk and is
 * returned.  The statement is reset before return.  0 when the rows are
 * done, else -errno.  ROW may call other store functions, but none that
 * runs the same SQL (its statement is in use).
 */
typedef int (*store_row_fn)(sqlite3_stmt *s, void *data);
#define store_query(st, sql, row, data, ...) \
	store_run(st, sql, row, data, false, __VA_ARGS__)

/*
 * store_query_one - store_query for a query of one row: ROW reads the
 * first row, -ENOENT when there is none.
 */
#define store_query_one(st, sql, row, data, ...) \
	store_run(st, sql, row, data, true, __VA_ARGS__)

/* The function behind both: ONE as store_query_one. */
int store_run(struct store *st, const char *sql, store_row_fn row,
	      void *data, bool one, const char *fmt, ...);

/*
 * store_get - store_query_one for a row read straight into variables.
 * Binds the parameters IN names as store_query does, then reads columns
 * 0, 1, ... of the first row into the pointers OUT names, one letter
 * each:
 *   'i' int64_t *   'l' long long *   'd' int *   'b' bool *
 *   'f' double *    't' char *BUF then its size_t size (cut at a UTF-8
 *                       boundary; NULL reads as "")
 * The variable arguments are IN's values, then OUT's pointers.  0;
 * -ENOENT when there is no row (nothing is written); else -errno.
 */
int store_get(struct store *st, const char *sql, const char *in,
	      const char *out, ...);

/*
 * store_exec - store_query's write side: the prepare-bind-step-reset
 * sequence of a statement that returns no rows (INSERT, UPDATE, DELETE,
 * an upsert, BEGIN/COMMIT) in one call.  SQL and the parameters as for
 * store_query (FMT NULL: none).  The statement is stepped once, through
 * the fault hook, and reset.  0 or -errno (a UNIQUE or PRIMARY KEY
 * conflict is -EEXIST, see store_errno).  It opens no transaction: a
 * caller that writes more than one row frames them with store_tx_begin
 * and store_tx_end.  The new row's id is sqlite3_last_insert_rowid(st->db)
 * right after.
 */
#define store_exec(st, sql, ...) store_write(st, sql, NULL, __VA_ARGS__)

/*
 * store_exec_changes - store_exec that also stores in *CHANGES the
 * number of rows the statement inserted, updated or deleted (only on
 * success), for callers that answer -ENOENT/-EALREADY when it is 0.
 */
#define store_exec_changes(st, sql, changes, ...) \
	store_write(st, sql, changes, __VA_ARGS__)

/* The function behind both: CHANGES may be NULL. */
int store_write(struct store *st, const char *sql, long *changes,
		const char *fmt, ...);

/* store_row_fn: column 0 into the long at V (a COUNT; the caller
 * zeroes it when no row must read as 0). */
int store_read_long(sqlite3_stmt *s, void *v);

/*
 * What a listing hands store_query as DATA: the caller's callback (one
 * member of the union, by the listing's type), its data, and the buffer
 * a row is read into.  The listing's store_row_fn reads the row into
 * ITEM and calls the callback.
 */
struct store_walk {
	union {
		store_kv_cb kv;
		store_household_cb household;
		store_record_cb record;
		store_matter_cb matter;
		store_phone_cb phone;
		store_event_cb event;
		store_rejected_cb rejected;
		store_member_cb member;
		store_objection_cb objection;
		store_web_household_cb web_household;
		store_web_out_cb web_out;
		store_web_in_cb web_in;
	} cb;
	void *data;
	void *item;
};

/* Bind helpers (text NULL binds NULL). */
int store_bind_text(sqlite3_stmt *s, int i, const char *v);

/* Copy column I into BUF (LEN), cutting at a UTF-8 boundary. */
void store_col_text(sqlite3_stmt *s, int i, char *buf, size_t len);

/* Copy SRC into BUF (LEN), cutting at a UTF-8 boundary. */
void store_copy(char *buf, size_t len, const char *src);

/* Normalise a number if it is one, else copy as is (alphanumeric). */
void store_norm_sender(const char *in, char *out, size_t len);

struct store_event;
/* Read the 9 event columns id, type, at, ref, household, points, state,
 * actor, text starting at column COL into E (borrowed strings). */
void store_event_read(sqlite3_stmt *s, int col, struct store_event *e);

/* store_query over SQL, a listing of events with ?1 the LIMIT (<= 0:
 * all), calling ROW with W (callback and data set by the caller; its
 * item becomes an event buffer ROW reads into). */
int store_events_walk(struct store *st, const char *sql, store_row_fn row,
		      struct store_walk *w, int limit);

#endif
