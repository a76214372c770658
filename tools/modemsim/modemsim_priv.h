/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim private header: the simulator state shared by its files.
 *
 *   main.c      sim_   arguments, pty, deadline events, line output, loop
 *   commands.c  cmd_   AT framer, the command table and its handlers
 *   ctl.c       ctl_   the JSON control socket (PATH.ctl)
 *   net.c       net_   network side: incoming queue, SIM storage,
 *                      delivery, and what the daemon sent
 *   profiles.c  prof_  vendor profiles (quirks are data)
 *   buf.c       buf_   byte buffer with a hard cap
 *
 * Nothing outside tools/modemsim/ includes this file.  All state lives in
 * one struct sim owned by main(); every function borrows it.
 */
#ifndef JIFEN_MODEMSIM_PRIV_H
#define JIFEN_MODEMSIM_PRIV_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/un.h>

#include <cjson/cJSON.h>

#include "modem/pdu.h"
#include "storage/phone.h"
#include "util/hex.h"

/* ------------------------------------------------------------------ */
/* limits                                                               */

#define MAX_SLOTS	1000
#define MAX_PENDING	2000
#define MAX_SENT	10000
#define MAX_LOG		10000
#define MAX_CLIENTS	64
#define MAX_CTL_LINE	(256 * 1024)
#define MAX_CTL_OUT	(64 * 1024 * 1024)
#define MAX_OUTQ	(1024 * 1024)
#define MAX_AT_LINE	1024
#define MAX_PDU_HEX	(2 * 255)
#define MAX_EVENTS	10000
#define MAX_DELIVER_PARTS 16
#define DEFAULT_SMSC	"+8613800270500"

/* ------------------------------------------------------------------ */
/* byte buffer with a hard cap (buf.c)                                  */

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

/* Append @n bytes unless the buffer would exceed @limit; false then. */
bool buf_add(struct buf *b, const void *data, size_t n, size_t limit);
/* Append a C string (capped at MAX_OUTQ). */
void buf_str(struct buf *b, const char *s);
/* Append formatted text (at most 2 KiB per call, capped at MAX_OUTQ). */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop the first @n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Free the storage; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

/* ------------------------------------------------------------------ */
/* vendor profiles (profiles.c)                                         */

struct profile {
	const char *name;
	const char *manufacturer;
	const char *model;
	const char *revision;
	const char *imei;
	const char *ati;		/* lines of ATI, "\n"-separated */
	int first_index;		/* SM storage index base: 0 or 1 */
	const char *cnmi_test;		/* AT+CNMI=? answer */
	bool reject_mt1_ds2;		/* simcom: mt=1 with ds=2 -> 303 */
	bool empty_read_ok;		/* AT+CMGR on empty slot -> OK */
	bool periodic_noise;		/* huawei ^RSSI/^MODE/^BOOT/^SRVST */
	bool ussd_packed;		/* huawei: USSD as packed 7-bit hex */
	const char *pin_query;		/* command telling PIN/PUK retries */
	const char *const *vendor_cmds;	/* commands only this vendor has */
	const char *const *boot;	/* lines at power-up */
	const char *const *ready;	/* lines once the SIM is unlocked */
	const char *cscs_default;
};

/* The profile called @name, or NULL. */
const struct profile *prof_find(const char *name);
/* The profile used without --profile ("generic"). */
const struct profile *prof_default(void);
/* True when @cmd (upper case, e.g. "+CCID") is one of @p's own commands. */
bool prof_has_cmd(const struct profile *p, const char *cmd);
/* True when @p takes @value for AT+CNMI parameter @field (0..4), as
 * its cnmi_test answer lists. */
bool prof_cnmi_accepts(const struct profile *p, int field, int value);

/* ------------------------------------------------------------------ */
/* state                                                                */

enum via { VIA_CMTI, VIA_SILENT, VIA_CMT };
enum pin_state { PIN_READY, PIN_NEED_PIN, PIN_NEED_PUK, PIN_BLOCKED };

struct slot {
	bool used;
	int stat;		/* 0 unread, 1 read, 2 unsent, 3 sent */
	char *hex;		/* with SMSC field */
	size_t tpdu_len;
};

struct netmsg {			/* waiting on the network side */
	char *hex;
	size_t tpdu_len;
	enum via via;
	bool status_report;
};

struct sent_msg {
	char to[PDU_ADDR_MAX];
	bool concat;
	uint16_t ref;
	unsigned total;
	unsigned have;
	char **text;		/* [total] */
	char **hex;		/* [total] */
	int *mr;		/* [total] */
	bool srr;
	enum pdu_alphabet alphabet;
	bool complete;
	unsigned duplicates;
};

enum ev_kind {
	EV_OUT,			/* write bytes to the modem line */
	EV_FLUSH_PENDING,	/* network retries pending messages */
	EV_STATUS_REPORT,
	EV_REOPEN,		/* after a hang-up: new pty */
	EV_NOISE,		/* huawei periodic noise */
	EV_REBOOT,
	EV_CTL_TIMEOUT,		/* wait_sent timeout */
};

struct event {
	struct event *next;
	int64_t due;
	uint64_t seq;
	enum ev_kind kind;
	char *data;		/* EV_OUT bytes; EV_STATUS_REPORT recipient */
	size_t len;
	int arg;		/* EV_STATUS_REPORT mr; EV_CTL_TIMEOUT client id */
	unsigned gen;		/* pty generation for EV_OUT */
};

struct client {
	int fd;
	unsigned id;
	struct buf in;
	struct buf out;
	bool closing;
	/* a wait_sent in progress blocks further requests of this client */
	bool waiting;
	char wait_to[PDU_ADDR_MAX];
	unsigned wait_count;
	int64_t wait_deadline;
};

struct fault {
	unsigned count;
	int code;
	int delay_ms;
	char match[64];
};

enum fault_kind {
	F_NOANSWER, F_GARBAGE, F_CMS_ERROR, F_NOPROMPT, F_URC_IN_PROMPT,
	F_HANGUP, F_SLOW, F_ERROR, F_URC_IN_LIST, F_CMGR_OTHER, F_COUNT
};

struct sim {
	const struct profile *prof;
	const char *link;
	char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool trace;
	int base_delay;
	uint64_t rng;

	/* pty */
	int master;
	int slave;
	char pts[64];
	unsigned gen;
	struct buf outq;
	unsigned out_dropped;

	/* line framer */
	char line[MAX_AT_LINE + 1];
	size_t line_len;
	bool line_overflow;
	bool entry;		/* after AT+CMGS: collecting PDU hex */
	size_t cmgs_len;
	char pdu[MAX_PDU_HEX + 1];
	size_t pdu_len;
	bool pdu_overflow;

	/* modem settings (lost on reboot) */
	bool echo;
	int cmee;
	int cmgf;
	char cscs[8];
	int cnmi[5];
	int creg_n;
	int cops_format;
	bool curc;
	int ctzu;		/* AT+CTZU=1: network time zone updates */
	bool cmt_unacked;
	bool memfull_said;

	/* SIM and network (persist across reboot) */
	enum pin_state pin_state;
	char pin[16];
	char puk[16];
	int pin_left;
	int puk_left;
	bool has_pin;
	char own_number[PDU_ADDR_MAX];
	char smsc[PDU_ADDR_MAX];
	int signal;
	bool registered;
	bool radio_on;
	char balance[32];
	/* the network's clock: the host's plus this (ctl "set"
	 * network_time); nitz_off: the network sends no NITZ */
	int64_t net_clock_offset;
	bool nitz_off;
	int mr_next;
	uint16_t concat_ref;

	struct slot slots[MAX_SLOTS];
	int capacity;
	struct netmsg pending[MAX_PENDING];
	int n_pending;
	unsigned net_dropped;

	struct sent_msg *sent[MAX_SENT];
	int n_sent;

	char *log[MAX_LOG];
	int n_log;
	unsigned log_dropped;

	struct fault faults[F_COUNT];

	struct event *events;
	int n_events;
	uint64_t ev_seq;
	int64_t last_reply_due;

	int listen_fd;
	struct client *clients[MAX_CLIENTS];
	unsigned next_client_id;
};

/* ------------------------------------------------------------------ */
/* main.c: helpers, events, line output, modem life cycle               */

int64_t sim_now_ms(void);
/* Next pseudo-random number (xorshift64*, reproducible with --seed). */
uint32_t sim_rand(struct sim *s);
/* With --trace: one line of modem traffic on stderr, escaped. */
void sim_trace(struct sim *s, char dir, const char *p, size_t n);
bool sim_prefix_ci(const char *s, const char *prefix);
/* strdup that exits on out-of-memory (the simulator is a test tool). */
char *sim_strdup(const char *s);
/* Parse a whole decimal integer in [lo,hi]; false on anything else. */
bool sim_parse_int(const char *s, long lo, long hi, int *out);
/* Normalise a phone number for matching as the daemon does
 * (phone_normalize); anything else (letters, "+") is copied as is. */
void sim_norm_number(const char *in, char *out, size_t size);
bool sim_is_hex(const char *s, size_t n);
/* TPDU length of a hex PDU that starts with the SMSC field. */
size_t sim_tpdu_len(const char *hex);

/* Add a deadline event (kept in due order); NULL when too many. */
struct event *sim_ev_add(struct sim *s, int64_t due, enum ev_kind kind);
bool sim_ev_pending(struct sim *s, enum ev_kind kind);

/* Queue bytes for the modem line now (dropped while unplugged). */
void sim_out_raw(struct sim *s, const char *p, size_t n);
/* Queue @b for the line now, or after @delay ms keeping reply order. */
void sim_out_later(struct sim *s, struct buf *b, int delay);
/* An unsolicited line goes out at once, even before a delayed reply. */
void sim_urc(struct sim *s, const char *line);
/* An unsolicited line caused by a command: after that command's reply. */
void sim_urc_after_reply(struct sim *s, const char *line);

/* Settings a reboot or ATZ loses go back to the profile's defaults. */
void sim_settings_reset(struct sim *s);
/* The SIM was just unlocked: ready lines, +CREG, deliver what waits. */
void sim_became_ready(struct sim *s);
/* Power-up: settings lost, SIM locked again if it has a PIN. */
void sim_boot(struct sim *s);
/* USB re-plug: the line goes away, comes back after @delay ms renamed. */
void sim_hangup(struct sim *s, int delay);

/* ------------------------------------------------------------------ */
/* commands.c: the modem side of the line                               */

/* Bytes written by the daemon to the modem: frame and answer them. */
void cmd_input(struct sim *s, const char *p, size_t n);

/* ------------------------------------------------------------------ */
/* net.c: the network side                                              */

/* The SIM is unlocked. */
bool net_sim_ready(const struct sim *s);
/* Registered and plugged in: only then does the network deliver. */
bool net_up(const struct sim *s);
int net_slots_used(const struct sim *s);
void net_slot_clear(struct slot *sl);
/* Let the network retry its pending queue after the current reply. */
void net_schedule_flush(struct sim *s);
/* The network retries the pending queue, oldest first. */
void net_flush(struct sim *s);
/*
 * A new message from the network; takes ownership of @hex (malloc'd).
 * 0 when the modem took it, 1 when it waits, -ENOSPC when dropped.
 */
int net_deliver(struct sim *s, char *hex, size_t tpdu_len, enum via via,
		bool status_report);
/* The status report for message reference @mr sent to @to. */
void net_status_report(struct sim *s, const char *to, int mr);
/* The +CREG stat value: 1 registered, 2 searching, 0 not. */
int net_creg_stat(const struct sim *s);
/* Tell a registration change, if AT+CREG asked for it. */
void net_creg_urc(struct sim *s, bool after_reply);
/* Record one SUBMIT the daemon sent; parts are joined by concat ref. */
void net_sent_record(struct sim *s, const struct sms_pdu *p, const char *hex,
		     int mr);
/* Completed then incomplete sent messages (to @to, or all); caller owns. */
cJSON *net_sent_list(const struct sim *s, const char *to, bool only_complete,
		     unsigned *n_complete);
/* Number of complete sent messages to @to. */
unsigned net_count_complete(const struct sim *s, const char *to);
/* Forget the sent messages and the AT command log. */
void net_clear_sent_log(struct sim *s);
/* The network's time, Unix seconds (SCTS, NITZ). */
int64_t net_time(const struct sim *s);
/* @t as the modem writes it, "yy/MM/dd,hh:mm:ss+32" (China, UTC+8). */
void net_time_text(int64_t t, char *buf, size_t size);
/* NITZ: "+CTZV: <time>" when AT+CTZU=1, registered and not nitz_off. */
void net_nitz_urc(struct sim *s, bool after_reply);
/* Free SIM storage, the pending queue and the sent log at exit. */
void net_fini(struct sim *s);

/* ------------------------------------------------------------------ */
/* ctl.c: control socket                                                */

/* Listen on PATH.ctl; 0 or -1 (the reason is printed). */
int ctl_listen(struct sim *s);
/* Close every client and the socket, remove PATH.ctl. */
void ctl_fini(struct sim *s);
void ctl_accept(struct sim *s);
void ctl_client_read(struct sim *s, struct client *c);
void ctl_client_flush(struct client *c);
void ctl_client_close(struct sim *s, int i);
/* A sent message completed: answer the wait_sent requests it satisfies. */
void ctl_check_waiters(struct sim *s);
/* The wait_sent deadline of client @id has passed. */
void ctl_wait_timeout(struct sim *s, unsigned id);

#endif
