/* SPDX-License-Identifier: MIT */
/*
 * modem.h - the modem engine: drives one GSM/4G modem unattended.
 *
 * Sits on port.h (the serial line), at.h (the AT chat) and pdu.h (the
 * SMS codec).  It opens the port, brings the modem up (probe, echo off,
 * identification, SIM/PIN, registration, PDU mode, character set,
 * own number, storage, new-message indications with fallbacks), sweeps
 * SIM storage, reads pushed messages (+CMTI/+CDSI), sends PDUs, runs
 * USSD requests, runs a health check every health_interval seconds and
 * reopens the port with backoff when the modem is lost.  See docs/MODEM.md.
 *
 * It knows nothing of storage or of the gateway: received messages go
 * up through the sms callback and are deleted from the SIM only when
 * the owner calls modem_delete() after committing them.
 *
 * Event loop: the owner polls modem_fd() for modem_events(), calls
 * modem_dispatch() with the revents, and calls modem_timeout() when
 * modem_deadline() has passed.  No call sleeps.  Every time is a
 * CLOCK_MONOTONIC millisecond count given by the caller.
 *
 * Privacy: the log callback never receives phone numbers, SMS text or
 * USSD text.  The raw AT trace (trace callback) does: the owner masks
 * or drops it.
 *
 * Callbacks must not call modem_free().  They may call every other
 * modem_* function (modem_delete() from inside the sms callback is the
 * usual case).
 */
#ifndef JIFEN_MODEM_MODEM_H
#define JIFEN_MODEM_MODEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modem/at.h"
#include "modem/pdu.h"

struct modem;

enum modem_state {
	MODEM_CLOSED,		/* not started, or freed */
	MODEM_OPENING,		/* port_open() in progress */
	MODEM_INITIALISING,	/* bring-up commands running */
	MODEM_SIM_ERROR,	/* SIM missing/locked/PIN refused: stays */
	MODEM_REGISTERING,	/* waiting for (or lost) the network */
	MODEM_READY,		/* registered and configured: can send */
	MODEM_LOST,		/* port closed; reopen timer armed */
};

/* Log levels: the syslog numbers. */
#define MODEM_LOG_ERR		3
#define MODEM_LOG_WARNING	4
#define MODEM_LOG_NOTICE	5
#define MODEM_LOG_INFO		6
#define MODEM_LOG_DEBUG		7

/* What a received PDU is; the owner stores every kind, then deletes. */
enum modem_sms_kind {
	MODEM_SMS_TEXT,			/* SMS-DELIVER with text */
	MODEM_SMS_STATUS_REPORT,	/* SMS-STATUS-REPORT (+CDS/+CDSI) */
	MODEM_SMS_NON_TEXT,		/* WAP push, MMS notification, 8-bit
					 * data, a stored SUBMIT */
	MODEM_SMS_UNDECODABLE,		/* pdu_decode_hex() failed: @why */
};

/*
 * One received message, borrowed for the duration of the sms callback.
 * @index is the storage index to pass to modem_delete(), or -1 for a
 * message delivered directly (+CMT/+CDS), which is not stored.
 * @stat: 0 unread, 1 read, 2 stored unsent, 3 stored sent, -1 unknown.
 */
struct modem_sms {
	int index;
	const char *storage;		/* "SM", "ME", "MT", or "" */
	const char *pdu_hex;		/* as read from the modem */
	struct sms_pdu pdu;		/* valid unless UNDECODABLE */
	int stat;
	enum modem_sms_kind kind;
	const char *why;		/* UNDECODABLE/NON_TEXT reason, or NULL */
};

struct modem_status {
	enum modem_state state;
	char manufacturer[32];
	char model[48];
	char revision[48];
	char imsi[20];
	/*
	 * The SIM's own number from AT+CNUM at bring-up: "+" and digits
	 * when the SIM gives type 145, plain digits for 129, "" when
	 * unknown (many SIMs do not store it).  Personal data: never
	 * logged by the engine.  Kept across re-initialisations of the
	 * same SIM when AT+CNUM has nothing; forgotten when the IMSI
	 * changes.  The gateway must never answer this number.
	 */
	char own_number[24];
	int signal_csq;			/* 0..31, 99 unknown */
	int rssi_dbm;			/* -113..-51, 0 unknown */
	int reg_stat;			/* +CREG stat: 1 home, 5 roaming, -1 */
	int sms_used;			/* -1 unknown */
	int sms_total;			/* -1 unknown */
	char storage[4];		/* selected storage, "" if default */
	char sim_state[32];		/* "READY", "SIM PIN", "SIM PUK", ... */
	char last_error[96];
	unsigned reopens;		/* successful reopens after a loss */
	bool pin_blocked;		/* PIN refused: never retried */
	int cnmi[5];			/* accepted AT+CNMI values, -1 none */
};

struct modem_config {
	const char *device;		/* "/dev/ttyUSB2", by-id path, usb:V:P:I */
	int baud;			/* 0 -> 115200 */
	const char *pin;		/* NULL or "" = none */
	const char *smsc;		/* NULL or "" = the SIM's */
	unsigned health_interval_s;	/* 0 -> 300 */
	unsigned max_timeouts;		/* 0 -> 3 consecutive AT timeouts */
	/*
	 * Start every bring-up with ESC before the first "AT": cancels a
	 * text entry (AT+CMGS "> ") left open by a process that died or a
	 * port that was lost mid-send, which would swallow the probe
	 * forever.  jifend sets it; false keeps the plain transcript.
	 */
	bool cancel_entry;

	/* All callbacks are optional and get @data. */
	void (*log)(int level, const char *fmt, va_list ap, void *data);
	/* Raw AT lines, dir '<' from / '>' to the modem: personal data. */
	void (*trace)(char dir, const char *text, size_t len, void *data);
	void (*state_changed)(struct modem *m, enum modem_state old,
			      enum modem_state state, void *data);
	/*
	 * A batch of received messages (one whole sweep is one batch).
	 * Commit them, then call modem_delete() for each index >= 0, of
	 * every kind, duplicates included.  Borrowed: copy what you keep.
	 */
	void (*sms)(struct modem *m, const struct modem_sms *msgs, size_t n,
		    void *data);
	/*
	 * The network's time (NITZ via AT+CTZU, +CTZV, AT+CCLK?), Unix
	 * seconds UTC: at bring-up and whenever the network sends it.  May
	 * be a modem clock that was never set: judge plausibility.
	 */
	void (*network_time)(struct modem *m, int64_t utc, void *data);
	/* SMS storage at or above 80% full (each health check). */
	void (*storage_low)(struct modem *m, int used, int total, void *data);
	void *data;
};

/* Send completion: err 0 with the TP-MR, or -errno (see modem_send_pdu). */
typedef void (*modem_send_fn)(int err, int mr, const struct at_error *e,
			      void *data);
/* USSD completion: err 0 and the reply text (UTF-8, borrowed), or -errno. */
typedef void (*modem_ussd_fn)(int err, const char *text, void *data);

/*
 * modem_new - an engine for @cfg (copied; strings too).  Does not open
 * the port: call modem_start().  NULL on allocation failure or when
 * cfg->device is missing.
 */
struct modem *modem_new(const struct modem_config *cfg);

/*
 * modem_free - close the port and free the engine.  Pending sends and
 * a pending USSD complete with -ECANCELED first.  NULL is ignored.
 */
void modem_free(struct modem *m);

/*
 * modem_start - open the port and begin the bring-up.  A port that
 * cannot be opened is not fatal: the engine goes LOST, logs why and
 * retries with backoff (1 s, 2 s ... 60 s), because USB modems come and
 * go.  Returns 0, or -EALREADY when already started, or -EBUSY when
 * another program holds the port (port_open() locks it): the engine
 * retries as for any failed open, but a daemon starting up may rather
 * stop with a clear line.
 */
int modem_start(struct modem *m, int64_t now_ms);

/*
 * modem_set_config - apply a reloaded configuration (SIGHUP): health
 * interval (re-armed from @now_ms), max_timeouts, callbacks, SMSC
 * (AT+CSCA at once when configured), PIN (a changed PIN clears the
 * "PIN refused" block and, in SIM_ERROR, retries the SIM step once).
 * Device and baud are used from the next reopen on.  0 or -ENOMEM.
 */
int modem_set_config(struct modem *m, const struct modem_config *cfg,
		     int64_t now_ms);

/* modem_fd - the port's fd to poll, -1 while closed. */
int modem_fd(const struct modem *m);

/* modem_events - POLLIN while open, plus POLLOUT while output waits. */
short modem_events(const struct modem *m);

/*
 * modem_dispatch - handle poll() @revents for modem_fd(): read every
 * available byte into the chat, write pending output.  EIO/ENODEV/EPIPE,
 * POLLHUP or POLLERR mean the modem is lost: the port is closed, pending
 * commands fail, the reopen timer is armed.
 */
void modem_dispatch(struct modem *m, short revents, int64_t now_ms);

/*
 * modem_deadline - when modem_timeout() wants to run (the chat's
 * command timeout, bring-up waits, the health check, the reopen
 * timer, a USSD reply), or -1.  When READY and idle this is the next
 * health check: nothing else wakes the process.
 */
int64_t modem_deadline(const struct modem *m);

/* modem_timeout - run every timer that is due at @now_ms. */
void modem_timeout(struct modem *m, int64_t now_ms);

/*
 * modem_get_status - a snapshot for `jifenctl status` and the log.
 */
void modem_get_status(const struct modem *m, struct modem_status *out);

/* modem_state_name - "READY", "LOST", ... (static). */
const char *modem_state_name(enum modem_state state);

/*
 * modem_delete - the owner committed the message at @index: queue
 * AT+CMGD=<index>.  The engine never deletes a received message on its
 * own.  0; 0 also for index -1 (direct delivery: nothing stored);
 * -EINVAL for other negative indexes; -ENOTCONN while the port is
 * closed (the message stays and comes up again with the sweep after the
 * reopen); -ENOMEM.
 */
int modem_delete(struct modem *m, int index);

/*
 * modem_release - the owner could NOT commit the message at @index
 * (database busy, full, I/O error): forget that it was handed up and
 * list the storage again in about a second, so it comes up again soon
 * rather than after two health checks.  Nothing is deleted.  0; 0 for
 * index -1 (a direct delivery: nothing to read again); -EINVAL for
 * other negative indexes.
 */
int modem_release(struct modem *m, int index);

/*
 * modem_send_pdu - send one SMS-SUBMIT: AT+CMGS=<tpdu_len>, "> ",
 * @pdu_hex (SMSC field included, as pdu_encode_submit() gives it),
 * Ctrl-Z.  @done runs exactly once, later (never from inside this call):
 *   done(0, mr, NULL)              +CMGS: <mr>
 *   done(-EIO, -1, &err)           +CMS ERROR / ERROR (at_error_text(e))
 *   done(-ETIMEDOUT, -1, &err)     no answer in time
 *   done(-ENOTCONN, -1, &err)      the modem was lost meanwhile
 *   done(-ECANCELED, -1, &err)     modem_free()
 * The engine never retries a send; the caller's outbox decides.
 * Returns 0 when queued; -EAGAIN unless READY; -EINVAL on a bad
 * argument; -ENOMEM.
 */
int modem_send_pdu(struct modem *m, const char *pdu_hex, size_t tpdu_len,
		   modem_send_fn done, void *data);

/*
 * modem_ussd - send USSD @code (digits, '*', '#') with
 * AT+CUSD=1,"code",15 and wait up to 30 s for the +CUSD: reply; UCS-2
 * hex replies (and GSM 7-bit packed hex on modems that need it) are
 * decoded to UTF-8.  @done runs exactly once, later: done(0, text),
 * or -EIO (refused), -EOPNOTSUPP (+CUSD: 4), -ETIMEDOUT, -ENOTCONN,
 * -ECANCELED.  A menu reply (+CUSD: 1) is delivered and the session
 * closed with AT+CUSD=2.  Returns 0; -EAGAIN unless READY; -EBUSY while
 * another request runs; -EINVAL on a bad code.
 */
int modem_ussd(struct modem *m, const char *code, modem_ussd_fn done,
	       void *data);

#endif
