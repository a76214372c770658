/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_STORAGE_STORE_H
#define JIFEN_STORAGE_STORE_H
/*
 * store - the SQLite store behind jifend and jifenctl (docs/STORAGE.md).
 *
 * One opaque handle, struct store, owns one SQLite connection and its
 * cache of prepared statements.  The module is split by table group:
 *   storage/store.h   open/close, transactions, fault hook, status and
 *                     sync_state key/values, counts, retention, UUIDs
 *   storage/village.h households, phones, PINs, records, reviews,
 *                     matters, audit log, event journal
 *   storage/msgq.h    inbox (dedup, reassembly) and outbox (parts,
 *                     retries, delivery reports)
 *   storage/sync.h    what sync keeps: rejected events, imported
 *                     bundles, the platform's loan policy, journal size
 * every function is prefixed store_ and takes the handle first.
 *
 * Conventions:
 *  - actions return 0 or -errno: -ENOENT not found, -EBUSY locked,
 *    -ENOSPC disk full, -EIO I/O error or corruption, -EEXIST unique
 *    constraint, -EINVAL bad argument or other constraint, -ENOMEM;
 *  - results come back through out-parameters (caller-owned buffers) or
 *    callbacks whose string/struct arguments are BORROWED: valid only
 *    during the call, copy what you keep;
 *  - callbacks may call other store functions but not the listing
 *    function that is calling them (its statement is in use);
 *  - times are Unix seconds (int64_t) passed in by the caller; the store
 *    never reads the clock except for event "at" stamps it is given.
 *  - every function that writes is atomic on its own: outside a caller's
 *    transaction it runs in its own BEGIN IMMEDIATE ... COMMIT, inside
 *    one (store_begin) it uses a SAVEPOINT, so a failure undoes only its
 *    own writes and leaves the caller's transaction usable.
 *  - a handle is used by one thread.  Several processes (jifend and
 *    jifenctl) may open the same file at once (WAL mode).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Current schema version (PRAGMA user_version after open). */
#define STORE_SCHEMA_VERSION 6

/*
 * Open (creating if needed) the database at PATH, creating a missing
 * parent directory with mode 0700 and the file with mode 0600.  Sets WAL,
 * foreign_keys=ON, busy_timeout=5000 ms, synchronous=FULL, then applies
 * the pending migrations, each in its own transaction.  Returns the
 * handle (free with store_close) or NULL with *ERR = -errno; -EPROTO
 * means the file's schema is newer than this code (refused, untouched).
 */
struct store *store_open(const char *path, int *err);

/* --- reliability: explicit creation, one daemon, integrity, backups --- */

/* store_open_flags() flags. */
#define STORE_CREATE	0x1	/* create a missing (or empty) database */
#define STORE_LOCK	0x2	/* one daemon per database: flock(PATH.lock) */
#define STORE_CHECK	0x4	/* PRAGMA quick_check before use */

/*
 * store_open_flags - open PATH with FLAGS (above).  store_open() is
 * store_open_flags(PATH, STORE_CREATE, ...).  Without STORE_CREATE a
 * missing or empty file is -ENOENT (never silently replaced by a new
 * empty database).  -EBUSY: STORE_LOCK and another process holds the
 * lock (WHY names its pid).  -EUCLEAN: the file is not a database or
 * quick_check failed (WHY says what SQLite found).  WHY (may be NULL)
 * gets one line for every error.
 */
struct store *store_open_flags(const char *path, unsigned flags, char *why,
			       size_t why_len, int *err);

/*
 * store_file_gone - the database file was deleted or replaced under the
 * open handle (its link count is 0 or PATH is now another file): every
 * commit from now on goes to a file nobody will open again.  jifend
 * checks this before deleting anything from the SIM.
 */
bool store_file_gone(struct store *st);

/*
 * store_corruption_seen - an SQLite call returned SQLITE_CORRUPT or
 * SQLITE_NOTADB since the open (or the last store_quick_check).
 */
bool store_corruption_seen(struct store *st);

/*
 * store_quick_check - PRAGMA quick_check.  0 when it says "ok",
 * -EUCLEAN with its first finding in WHY, or -errno when it cannot run
 * (a corrupt header also gives -EUCLEAN).  Clears the corruption flag
 * when the check passes.
 */
int store_quick_check(struct store *st, char *why, size_t why_len);

/*
 * store_backup - a consistent copy of the open database into DEST with
 * SQLite's online backup API (other processes may write meanwhile):
 * quick_check first (-EUCLEAN: corrupt, nothing written), then written
 * to DEST.tmp, fsynced, renamed over DEST.  0 or -errno.
 */
int store_backup(struct store *st, const char *dest);

/*
 * store_backup_rotate - the daily automatic backup: copy into
 * DIR/BASE.backup-YYYYMMDD (the database's directory and name, DAY the
 * UTC date of NOW) unless it exists, then delete all but the newest
 * KEEP such files.  0 or -errno; the written path in OUT (may be NULL).
 */
int store_backup_rotate(struct store *st, int64_t now, int keep, char *out,
			size_t out_len);

/*
 * store_data_version - into *@out a number that changes when another
 * connection (jifenctl, jifen-web, jifen-sync) has committed to the
 * database since this connection last asked; this connection's own
 * commits leave it alone (SQLite's PRAGMA data_version).  One small
 * read: the daemon's health check uses it to look for work others
 * queued only when they did queue some.  0 or -errno.
 */
int store_data_version(struct store *st, int64_t *out);

/* The path the store was opened with (borrowed). */
const char *store_path(const struct store *st);

/*
 * store_memory_limit - keep SQLite's heap (page caches, statements,
 * schema) of this process near @kib KiB: SQLite recycles cached pages
 * rather than grow past it (sqlite3_soft_heap_limit64).  The daemon
 * keeps it small: its queries walk indexes and the OS page cache holds
 * the file anyway, while the resident memory budget is 4 MiB (SPEC §11).
 * Process-wide; call before opening.  0.
 */
int store_memory_limit(int kib);

/* Finalize the cached statements and close.  NULL is allowed.  An open
 * transaction is rolled back. */
void store_close(struct store *st);

/* Schema version of the open database. */
int store_schema_version(struct store *st);

/*
 * Caller transactions: store_begin starts BEGIN IMMEDIATE (the write
 * lock is taken at once, so a busy database fails here, with -EBUSY after
 * the busy timeout, and not half way through).  Every store function
 * called between begin and commit joins this transaction, so "handler
 * effects + reply enqueue + inbound marked processed" commit together.
 * store_commit makes it durable (synchronous=FULL); if COMMIT fails the
 * transaction is rolled back and the error returned.  store_rollback
 * undoes everything since store_begin.  Nesting store_begin is -EBUSY.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);
bool store_in_transaction(struct store *st);

/*
 * Durability of the following commits.  true (the default after
 * store_open): every commit syncs the disk (synchronous=FULL) and
 * survives a power cut.  false: commits reach the WAL file but the sync
 * waits for the next durable commit or checkpoint (synchronous=NORMAL);
 * a power cut may lose the last such commits, never corrupts the file,
 * and a process crash (kill -9) loses nothing.  jifend commits received
 * messages durably (they are deleted from the SIM after the commit) and
 * its own follow-up work lazily: see docs/STORAGE.md.  0 or -errno.
 */
int store_set_durable(struct store *st, bool durable);

/* The errors store_fault_after can inject (storage maps each to the
 * SQLite result code a real failure of that kind returns). */
enum store_fault {
	STORE_FAULT_NONE,	/* disarm */
	STORE_FAULT_IOERR,	/* I/O error: the caller sees -EIO */
	STORE_FAULT_BUSY,	/* database busy: -EBUSY */
	STORE_FAULT_FULL,	/* disk full: -ENOSPC */
	STORE_FAULT_LOCKED,	/* table locked: -EBUSY */
	STORE_FAULT_NOMEM,	/* out of memory: -ENOMEM */
	STORE_FAULT_CORRUPT,	/* corruption: -EIO, store_corruption_seen */
};

/*
 * Fault injection for tests: the Nth sqlite3_step() from now (N >= 1,
 * counting every step the store makes, BEGIN/COMMIT included, ROLLBACK
 * excluded) fails with ERR instead of running, once.  N = 0 or
 * STORE_FAULT_NONE disarms.  Compiled in always: it costs one counter
 * decrement per step.
 */
void store_fault_after(struct store *st, long n, enum store_fault err);

/* Number of sqlite3_step() calls made so far (for fault-loop tests). */
long store_step_count(struct store *st);

/* A fresh random (version 4) UUID in lower-case text form, from
 * getrandom().  OUT must hold STORE_UUID_LEN bytes.  0 or -errno. */
#define STORE_UUID_LEN 37
int store_uuid(char out[STORE_UUID_LEN]);

/* UTC ISO 8601 "2026-11-28T01:30:00Z" for T into OUT (>= 21 bytes). */
void store_iso8601(int64_t t, char *out, size_t len);

/*
 * Daemon status key/values (modem model, signal, registration, SIM
 * state, last sync, started_at ...) written by jifend, read by
 * `jifenctl status`.  set replaces; get copies into BUF (truncated to
 * LEN-1), -ENOENT if unset; list calls CB per key in key order with
 * borrowed strings.
 */
int store_status_set(struct store *st, const char *key, const char *value,
		     int64_t now);
int store_status_get(struct store *st, const char *key, char *buf,
		     size_t len);
typedef int (*store_kv_cb)(const char *key, const char *value,
			   int64_t updated_at, void *data);
int store_status_list(struct store *st, store_kv_cb cb, void *data);

/*
 * Sync state key/values (cursor, last_sync, last_error, policy ...):
 * same contract as the status functions.  A NULL VALUE deletes the key.
 */
int store_state_set(struct store *st, const char *key, const char *value,
		    int64_t now);
int store_state_get(struct store *st, const char *key, char *buf,
		    size_t len);

/* Queue and table sizes for `jifenctl status`. */
struct store_counts {
	long inbox_total;	/* parts stored */
	long inbox_pending;	/* parts not yet processed */
	long outbox_queued;	/* messages queued or sending */
	long outbox_failed;	/* messages that finally failed */
	long outbox_sent_since;	/* messages sent at or after SINCE */
	long events_unsent;	/* event journal rows not yet synced */
	long households;	/* not deleted */
	long records_pending;
};
int store_counts(struct store *st, int64_t since, struct store_counts *out);

/*
 * Retention: delete processed inbox parts and messages, finished
 * (sent/failed/cancelled) outbox messages with their parts, and
 * unknown-number hint rows older than KEEP_DAYS days before NOW.  Keeps
 * records, reviews, matters, audit and unsent events.  *DELETED (may be
 * NULL) gets the number of rows removed.
 */
int store_prune(struct store *st, int64_t now, int keep_days, long *deleted);

#endif
