/* SPDX-License-Identifier: MIT */
/*
 * test-gw - jifend/gw.c's commit-then-delete ordering (SPEC §10): the
 * messages a batch from the modem brings are deleted from the SIM only
 * after the transaction that stores them has committed, and not at all
 * when that commit (or any step before it) fails or the database file is
 * gone.  gw.c is linked with the real store and a stub modem module
 * (below) that records what the gateway asks of the modem and, at each
 * modem_delete(), looks at the store the way a crash at that moment
 * would find it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "jifend/gw.h"
#include "modem/modem.h"
#include "storage/msgq.h"
#include "storage/store.h"

/* ---- the stub modem: the boundary gw.c talks to ------------------------ */

struct modem {
	struct modem_config cfg;	/* callbacks and their data */
};

static struct {
	struct modem m;
	struct store *st;
	int deleted[8];
	size_t ndeleted;
	size_t nreleased;
	/* what the store held when the first delete was requested */
	bool in_tx_at_delete;
	long inbox_at_delete;
} M;

struct modem *modem_new(const struct modem_config *cfg)
{
	M.m.cfg = *cfg;
	return &M.m;
}

void modem_free(struct modem *m)
{
	(void)m;
}

int modem_delete(struct modem *m, int index)
{
	struct store_counts c;

	assert_ptr_equal(m, &M.m);
	if (!M.ndeleted) {
		/* a separate look at the file, as after a crash here */
		struct store *other;
		int err = 0;

		other = store_open(store_path(M.st), &err);
		assert_non_null(other);
		assert_int_equal(store_counts(other, 0, &c), 0);
		M.inbox_at_delete = c.inbox_total;
		store_close(other);
		M.in_tx_at_delete = store_in_transaction(M.st);
	}
	assert_true(M.ndeleted < sizeof(M.deleted) / sizeof(M.deleted[0]));
	M.deleted[M.ndeleted++] = index;
	return 0;
}

int modem_release(struct modem *m, int index)
{
	(void)m;
	(void)index;
	M.nreleased++;
	return 0;
}

int modem_start(struct modem *m, int64_t now_ms)
{
	(void)m;
	(void)now_ms;
	return 0;
}

int modem_set_config(struct modem *m, const struct modem_config *cfg,
		     int64_t now_ms)
{
	(void)now_ms;
	m->cfg = *cfg;
	return 0;
}

int modem_fd(const struct modem *m)
{
	(void)m;
	return -1;
}

short modem_events(const struct modem *m)
{
	(void)m;
	return 0;
}

void modem_dispatch(struct modem *m, short revents, int64_t now_ms)
{
	(void)m;
	(void)revents;
	(void)now_ms;
}

int64_t modem_deadline(const struct modem *m)
{
	(void)m;
	return -1;
}

void modem_timeout(struct modem *m, int64_t now_ms)
{
	(void)m;
	(void)now_ms;
}

void modem_get_status(const struct modem *m, struct modem_status *out)
{
	(void)m;
	memset(out, 0, sizeof(*out));
	out->state = MODEM_READY;
}

const char *modem_state_name(enum modem_state state)
{
	return state == MODEM_READY ? "READY" : "OTHER";
}

int modem_send_pdu(struct modem *m, const char *pdu_hex, size_t tpdu_len,
		   modem_send_fn done, void *data)
{
	(void)m;
	(void)pdu_hex;
	(void)tpdu_len;
	(void)done;
	(void)data;
	return -ENOTCONN;
}

int modem_ussd(struct modem *m, const char *code, modem_ussd_fn done,
	       void *data)
{
	(void)m;
	(void)code;
	(void)done;
	(void)data;
	return -ENOTCONN;
}

/* ---- fixture ---------------------------------------------------------- */

/* SMS-DELIVER from +8613900000001, "HELLO", no SMSC field content. */
static const char pdu_hello[] =
	"00040D91683109000000F1000062302121000023" "05C8329BFD06";
/* The same sender, another time stamp: a second message. */
static const char pdu_hello2[] =
	"00040D91683109000000F1000062302121000123" "05C8329BFD06";

struct fx {
	char dir[64], path[96];
	struct config cfg;
	struct gw *gw;
	struct modem_sms msgs[3];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *why;
	int err = 0;

	assert_non_null(f);
	memset(&M, 0, sizeof(M));
	strcpy(f->dir, "/tmp/test-gw.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/jifen.db", f->dir);
	M.st = store_open(f->path, &err);
	assert_non_null(M.st);
	config_defaults(&f->cfg);
	f->gw = gw_new(M.st, &f->cfg);
	assert_non_null(f->gw);
	assert_ptr_equal(M.m.cfg.data, f->gw);
	assert_non_null(M.m.cfg.sms);

	f->msgs[0].index = 3;
	f->msgs[0].pdu_hex = pdu_hello;
	f->msgs[0].kind = MODEM_SMS_TEXT;
	assert_int_equal(pdu_decode_hex(pdu_hello, true, &f->msgs[0].pdu,
					&why), 0);
	f->msgs[1].index = 7;
	f->msgs[1].pdu_hex = pdu_hello2;
	f->msgs[1].kind = MODEM_SMS_TEXT;
	assert_int_equal(pdu_decode_hex(pdu_hello2, true, &f->msgs[1].pdu,
					&why), 0);
	/* no service-centre time stamps: they would teach the gateway's
	 * clock (a status write before the batch, gateway/clock.h), and
	 * these tests count the steps of the batch's own transaction */
	f->msgs[0].pdu.scts.present = false;
	f->msgs[1].pdu.scts.present = false;
	/* a message the engine holds no SIM index for (+CMT): here a
	 * second copy of msgs[1] */
	f->msgs[2] = f->msgs[1];
	f->msgs[2].index = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	gw_free(f->gw);
	store_close(M.st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static long inbox_total(void)
{
	struct store_counts c;

	assert_int_equal(store_counts(M.st, 0, &c), 0);
	return c.inbox_total;
}

static void deliver(struct fx *f, size_t n)
{
	M.m.cfg.sms(&M.m, f->msgs, n, M.m.cfg.data);
}

/* ---- tests ------------------------------------------------------------ */

/* A committed batch: every SIM index is deleted, after the commit. */
static void test_delete_after_commit(void **state)
{
	struct fx *f = *state;

	deliver(f, 3);
	assert_int_equal(M.ndeleted, 2);	/* index -1 is not deleted */
	assert_int_equal(M.deleted[0], 3);
	assert_int_equal(M.deleted[1], 7);
	assert_false(M.in_tx_at_delete);
	/* another connection already saw the messages on disk (the +CMT
	 * copy repeats msgs[1] and is kept once) */
	assert_int_equal(M.inbox_at_delete, 2);
	assert_int_equal(inbox_total(), 2);
	assert_int_equal(M.nreleased, 0);
}

/*
 * The Nth step of the batch's transaction fails (BEGIN, the inserts,
 * COMMIT itself): nothing is deleted from the SIM and nothing is stored;
 * the first N that gets through deletes, after the commit.
 */
static void test_no_delete_when_commit_fails(void **state)
{
	struct fx *f = *state;
	long n, failures = 0;

	for (n = 1; n < 200; n++) {
		M.ndeleted = 0;
		store_fault_after(M.st, n, STORE_FAULT_IOERR);
		deliver(f, 2);
		store_fault_after(M.st, 0, STORE_FAULT_NONE);
		if (M.ndeleted)
			break;
		failures++;
		assert_int_equal(inbox_total(), 0);
		assert_false(store_in_transaction(M.st));
	}
	assert_true(n < 200);
	/* the last failing step was the COMMIT, and more failed before */
	assert_true(failures >= 3);
	assert_int_equal(M.ndeleted, 2);
	assert_false(M.in_tx_at_delete);
	assert_int_equal(M.inbox_at_delete, 2);
}

/* A busy database (another writer holds the lock): no delete. */
static void test_no_delete_when_busy(void **state)
{
	struct fx *f = *state;

	store_fault_after(M.st, 1, STORE_FAULT_BUSY);	/* BEGIN IMMEDIATE */
	deliver(f, 2);
	store_fault_after(M.st, 0, STORE_FAULT_NONE);
	assert_int_equal(M.ndeleted, 0);
	assert_int_equal(inbox_total(), 0);
}

/* The database file was deleted under the daemon: the SIM keeps all. */
static void test_no_delete_when_file_gone(void **state)
{
	struct fx *f = *state;

	assert_int_equal(unlink(f->path), 0);
	deliver(f, 2);
	assert_int_equal(M.ndeleted, 0);
	assert_true(gw_failed(f->gw));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_delete_after_commit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_delete_when_commit_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_delete_when_busy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_delete_when_file_gone,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
