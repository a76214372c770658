/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_MODEM_MODEM_PRIV_H
#define JIFEN_MODEM_MODEM_PRIV_H
/*
 * Private to the modem engine's files: the handle, the command
 * contexts and the helpers the files share.  Not part of the public
 * API; nothing outside modem/ includes it.
 *
 *   modem.c       life cycle: new/free/start/config, open, loss and
 *                 reopen, dispatch, deadlines, health check, URCs of
 *                 registration and vendor noise
 *   modem_init.c  the bring-up table (one row per AT command)
 *   modem_sms.c   SIM storage sweep, +CMTI/+CDSI reads, +CMT/+CDS,
 *                 delete, release, send
 *   modem_ussd.c  USSD request and +CUSD replies
 *
 * Every AT command goes through one at_chat with its own completion
 * function (modem_cmd()).  Things that must not happen inside a chat
 * callback (closing the port, resetting the chat) are requested with
 * modem_request_lost() and done when the public entry point returns.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "modem/at.h"
#include "modem/modem.h"
#include "util/array.h"

struct port;

#define DEFAULT_BAUD		115200
#define DEFAULT_HEALTH_S	300
#define DEFAULT_MAX_TIMEOUTS	3

#define T_CMD			5000	/* ordinary command */
#define T_PROBE			3000	/* "AT" while the modem may boot */
#define T_PIN			20000	/* AT+CPIN="...": SIM work */
#define T_LIST			60000	/* AT+CMGL on a full SIM is slow */
#define T_READ			15000	/* AT+CMGR */
#define T_SEND			60000	/* AT+CMGS: network round trip */
#define T_USSD_CMD		10000	/* OK to AT+CUSD=1 */
#define USSD_WAIT_MS		30000	/* the +CUSD: reply */

#define PROBE_MAX_TIMEOUTS	10	/* a booting modem gets longer */
#define REG_POLL_MS		5000	/* AT+CREG? during bring-up */
#define REG_POLLS		24	/* then carry on unregistered */
#define REG_SLOW_POLL_MS	30000	/* while configured, unregistered */
#define RETRY_MS		2000	/* SIM busy, mandatory step retry */
#define RESWEEP_MS		1000	/* after the owner could not commit */
#define STEP_RETRIES		5
#define SIM_BUSY_RETRIES	10
#define PIN_SETTLE_MS		2000	/* SIM work after a PIN */
#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		60000
#define REBOOT_CHECK_MS		60000	/* at most one AT+CNMI? a minute */
#define STORAGE_WARN_PCT	80


/* Bring-up steps, in order: the rows of the table in modem_init.c. */
enum step {
	ST_PROBE,
	ST_ECHO,
	ST_CMEE,
	ST_CGMI,
	ST_CGMM,
	ST_CGMR,
	ST_CPIN,
	ST_CPINR,
	ST_PIN,
	ST_CIMI,
	ST_QUIRK,
	ST_CREG_SET,
	ST_CREG,
	ST_CMGF,
	ST_CSCS,
	ST_CSCA,
	ST_CNUM,
	ST_CTZU,
	ST_CCLK,
	ST_CPMS,
	ST_CSMS,
	ST_CNMI_TEST,
	ST_CNMI,
	ST_DONE,
};

/* A storage index handed up (or being read) and not yet deleted. */
struct held {
	int index;
	bool reading;
	bool renotified;	/* +CMTI for it while its delete ran */
	int64_t handed_ms;
	/* deleting only what was stored (modem_sms.c, issue 8) */
	uint64_t pdu_hash;	/* of the PDU handed up for this index */
	bool confirm;		/* read by AT+CMGR: a listing must show it */
	bool committed;		/* the owner asked for the delete */
	bool deleting;		/* AT+CMGD in flight */
	bool listed;		/* seen by the sweep being processed */
};

/*
 * Vendor quirks are data: matched on +CGMI (case-insensitive
 * substring).  @init commands run after the SIM step, errors ignored.
 */
struct quirk {
	const char *match;
	const char *const *init;
	bool ussd_packed;	/* AT+CUSD wants/gives packed GSM 7-bit hex */
};

struct modem_cmd;

/*
 * Completion of one AT command: @res is borrowed; @c is the command's
 * context (its argument, the generation it was queued in), freed after
 * the call.  Runs for every outcome, AT_ERR_CANCELLED included.
 */
typedef void (*modem_cmd_fn)(struct modem *m, const struct at_result *res,
			     const struct modem_cmd *c);

struct modem_cmd {
	struct modem *m;
	unsigned gen;		/* m->gen when queued */
	int arg;		/* step, storage index... */
	modem_cmd_fn done;
	modem_send_fn send_done;	/* modem_send_pdu() only */
	void *send_data;
};

struct modem {
	struct modem_config cfg;	/* strings point at the copies below */
	char *device;
	char *pin;
	char *smsc;

	struct at_chat *chat;
	struct port *port;
	bool started;
	bool freeing;
	bool was_lost;
	int64_t now;

	/* Bumped by each bring-up and each loss: older results are stale. */
	unsigned gen;
	bool configured;		/* bring-up finished */
	bool registered;
	bool pin_blocked;		/* PIN refused: not retried */
	const struct quirk *quirk;

	/* bring-up (modem_init.c) */
	struct {
		enum step step;
		int step_arg;		/* storage, CNMI candidate, quirk line */
		unsigned step_tries;
		int64_t step_at;	/* run the step again, -1 off */
		unsigned reg_polls;
		bool pin_entered;	/* this bring-up */
		bool cnmi_ranges;
		uint32_t cnmi_bits[5];
		int csms_service;	/* 1: +CMT/+CDS need AT+CNMA */
		bool cscs_gsm;		/* AT+CSCS="GSM" accepted */
		bool ctzu;		/* AT+CTZU=1 accepted: NITZ */
	} init;

	/* timers of the life cycle, -1 when off */
	int64_t health_at;
	int64_t reg_poll_at;
	int64_t reopen_at;
	int64_t prev_health;
	int64_t last_reboot_check;
	unsigned backoff_ms;

	/* received messages (modem_sms.c) */
	struct {
		struct held *held;
		size_t n_held;
		size_t cap_held;
		bool sweeping;
		int64_t redeliver_before;
		int64_t resweep_at;	/* modem_release(): sweep again */
		bool resweep_after;	/* sweep again when this one ends */
		bool count_used;	/* the health check's: its listing
					 * counts the store (no AT+CPMS?) */
		unsigned del_backoff_ms; /* after a failed AT+CMGD */
	} rx;

	/* the one USSD request (modem_ussd.c) */
	struct {
		bool active;
		modem_ussd_fn done;
		void *data;
		int64_t at;		/* reply deadline, -1 off */
	} ussd;

	/* close-and-reopen requested from inside a callback */
	struct {
		bool pending;
		char reason[96];
	} lost;

	struct modem_status st;
};

/* ---- shared helpers (modem.c) ------------------------------------ */

static inline bool modem_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline void modem_copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* True when @s is a non-empty run of hex digits; *@len its length. */
bool modem_is_hex(const char *s, size_t *len);
/* The first line of @res that starts with @prefix, or NULL. */
const char *modem_find_line(const struct at_result *res, const char *prefix);
/* The health interval in ms (the configured one or the default). */
unsigned modem_health_ms(const struct modem *m);

__attribute__((format(printf, 3, 4)))
void modem_log(struct modem *m, int level, const char *fmt, ...);
/* Set st.last_error. */
__attribute__((format(printf, 2, 3)))
void modem_set_error(struct modem *m, const char *fmt, ...);
/* Change state, log it, tell the owner. */
void modem_set_state(struct modem *m, enum modem_state s);
/* Ask for close-and-reopen once the current entry point unwinds. */
__attribute__((format(printf, 2, 3)))
void modem_request_lost(struct modem *m, const char *fmt, ...);
/*
 * The SIM's message store holds @used of its messages (the bring-up's
 * AT+CPMS, or a full AT+CMGL=4 listing since): record it and warn the
 * owner when it is nearly full.
 */
void modem_storage_used(struct modem *m, int used);
/* Past the consecutive timeout limit: request the reopen. */
void modem_check_timeouts(struct modem *m);
/* "+CREG: <n>,<stat>[,...]" (response); one number is read as stat. */
bool modem_parse_creg(const char *line, int *stat);

/*
 * Queue @text with its own completion @done and argument @arg.
 * 0, or -ENOMEM (logged).
 */
int modem_cmd(struct modem *m, modem_cmd_fn done, int arg, const char *text,
	      const char *const *prefixes, unsigned timeout_ms);
/*
 * The common start of a completion that has nothing to do on a
 * cancellation: true when @res is one (return then); counts a timeout
 * towards the reopen limit.
 */
bool modem_cmd_cancelled(struct modem *m, const struct at_result *res);
/* The chat's completion for every modem_cmd(): calls c->done. */
void modem_cmd_result(const struct at_result *res, void *data);

/* ---- bring-up (modem_init.c) ------------------------------------- */

/* Start the bring-up from the probe (new generation, INITIALISING). */
void modem_init_begin(struct modem *m);
/* Run the current step (again): its timer fired. */
void modem_init_step_run(struct modem *m);
/* An SMSC number modem.smsc may hold: '+' and up to 21 digits. */
bool modem_smsc_valid(const char *s);

/* ---- SMS (modem_sms.c) ------------------------------------------- */

/* Register +CMTI/+CDSI/+CMT/+CDS; 0 or -errno. */
int modem_sms_register_urcs(struct modem *m);
/* List the storage (AT+CMGL=4) unless a listing runs already. */
void modem_sms_sweep(struct modem *m);

/* ---- network time (modem_nitz.c) --------------------------------- */

/* Register +CTZV/+NITZ/+CTZE; 0 or -errno. */
int modem_nitz_register_urcs(struct modem *m);
/* Pass a "yy/MM/dd,hh:mm:ss+zz" text (@what: where it came from, for
 * the debug log) to cfg.network_time; false when it is not one. */
bool modem_nitz_report(struct modem *m, const char *text, const char *what);
/* Read the modem's clock (AT+CCLK?) and pass it to cfg.network_time. */
void modem_nitz_query(struct modem *m);

/* ---- USSD (modem_ussd.c) ----------------------------------------- */

/* Register +CUSD; 0 or -errno. */
int modem_ussd_register_urcs(struct modem *m);
/* Complete the pending request (if any) with @err / @text. */
void modem_ussd_finish(struct modem *m, int err, const char *text);
/* The reply deadline passed: close the session, fail the request. */
void modem_ussd_timeout(struct modem *m);

#endif
