/* SPDX-License-Identifier: MIT */
/*
 * at.h - AT command engine: byte-fed framer, command queue with one
 * command in flight, final-result table, URC registry, field iterator.
 *
 * The chat does no I/O of its own.  The owner feeds it the bytes read
 * from the port (at_chat_feed), drains what it wants written
 * (at_chat_output / at_chat_consumed) and calls at_chat_timeout() when
 * at_chat_deadline() has passed.  Times are CLOCK_MONOTONIC milliseconds
 * given by the caller, so everything here is testable without a modem.
 *
 * Ownership: callbacks receive borrowed results, valid only during the
 * call.  The @data of a command is released with @destroy (if not NULL)
 * after its callback ran or when it is cancelled.
 */
#ifndef JIFEN_MODEM_AT_H
#define JIFEN_MODEM_AT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct at_chat;

enum at_error_type {
	AT_ERR_NONE,		/* OK */
	AT_ERR_ERROR,		/* plain ERROR */
	AT_ERR_CME,		/* +CME ERROR: n */
	AT_ERR_CMS,		/* +CMS ERROR: n */
	AT_ERR_NO_CARRIER,	/* NO CARRIER, NO DIALTONE, BUSY, NO ANSWER */
	AT_ERR_TIMEOUT,		/* no final result in time */
	AT_ERR_CANCELLED,	/* cancelled, or the chat was reset/freed */
};

struct at_error {
	enum at_error_type type;
	int code;		/* CME/CMS number; text errors are mapped to
				 * their number when known, else -1 */
};

struct at_result {
	const char *const *lines;	/* response lines, borrowed */
	size_t n_lines;
	const char *final;		/* "OK", "+CMS ERROR: 500", "" */
	struct at_error err;
};

typedef void (*at_done_fn)(const struct at_result *res, void *data);
typedef void (*at_urc_fn)(const char *line, const char *pdu, void *data);
typedef void (*at_destroy_fn)(void *data);
typedef void (*at_trace_fn)(char dir, const char *text, size_t len,
			    void *data);

/* Constructor; NULL on allocation failure. */
struct at_chat *at_chat_new(void);
/*
 * Cancels every queued command (callbacks run with AT_ERR_CANCELLED,
 * then destroy; commands they queue are refused).  Not from a callback.
 */
void at_chat_free(struct at_chat *chat);

/*
 * Queue @cmd (without "\r").  Lines of the response that start with one
 * of the NULL-terminated @prefixes (or all non-final lines when @prefixes
 * is NULL) are collected; lines that match neither the prefixes nor the
 * final table go to the URC registry.  A line following +CMGL:, +CMGR:
 * (or +CMT:/+CDS: URCs) is a PDU and is kept with its header.
 * With NULL @prefixes, lines that are unsolicited by nature (registered
 * URC prefixes, +CMTI:, +CMT:, +CDS:, +CREG:, +CUSD:, RING, "^..." vendor
 * noise) still go to the registry; commands expecting such lines must
 * name the prefix.  Echo of the command (and of the PDU) is dropped.
 * The timeout starts when the last byte of the command has been
 * consumed.  Returns a non-zero id, or 0 on allocation failure (or while
 * the chat is being freed); on 0 the caller still owns @data.
 */
unsigned at_chat_send(struct at_chat *chat, const char *cmd,
		      const char *const *prefixes, unsigned timeout_ms,
		      at_done_fn done, void *data, at_destroy_fn destroy);

/*
 * Like at_chat_send() for AT+CMGS=<len>: waits for the "> " prompt, then
 * writes @pdu_hex followed by Ctrl-Z.  If the prompt never comes, the
 * command times out and ESC is written to leave text entry.
 */
unsigned at_chat_send_pdu(struct at_chat *chat, const char *cmd,
			  const char *pdu_hex, const char *const *prefixes,
			  unsigned timeout_ms, at_done_fn done, void *data,
			  at_destroy_fn destroy);

/*
 * Cancel a queued command; false if unknown or already in flight.
 * The callback does NOT run; @destroy releases the data.  Safe to call
 * from inside any callback of this chat.
 */
bool at_chat_cancel(struct at_chat *chat, unsigned id);

/*
 * Forget the line state and cancel every command (for a port that was
 * closed and reopened).  Callbacks run with AT_ERR_CANCELLED.
 */
void at_chat_reset(struct at_chat *chat);

/* Register a handler for unsolicited lines starting with @prefix. */
int at_chat_register_urc(struct at_chat *chat, const char *prefix,
			 bool expects_pdu, at_urc_fn fn, void *data);

/* Bytes read from the modem. */
void at_chat_feed(struct at_chat *chat, const char *buf, size_t len,
		  int64_t now_ms);

/* Bytes waiting to be written (0 when none); *@buf is borrowed. */
size_t at_chat_output(struct at_chat *chat, const char **buf);
/* @n bytes of the output were written at @now_ms. */
void at_chat_consumed(struct at_chat *chat, size_t n, int64_t now_ms);

/* Earliest deadline in ms, or -1 when nothing is waiting. */
int64_t at_chat_deadline(const struct at_chat *chat);
/*
 * Handle expired deadlines; after a timeout the chat resyncs: (ESC if a
 * "> " prompt never came,) "AT" every 2 s until "OK", then 200 ms of
 * quiet in which stray final results are dropped, then the next queued
 * command is written.  Resync timeouts count in at_chat_timeouts().
 */
void at_chat_timeout(struct at_chat *chat, int64_t now_ms);
/* Timeouts in a row (reset by any final result). */
unsigned at_chat_timeouts(const struct at_chat *chat);
/* True when no command is queued or in flight. */
bool at_chat_idle(const struct at_chat *chat);

/* Raw trace of every line: dir '<' from modem, '>' to modem. */
void at_chat_set_trace(struct at_chat *chat, at_trace_fn fn, void *data);

/*
 * Field iterator over one response line: no sscanf on modem text.
 * at_iter_begin() checks and skips @prefix (and the spaces after it);
 * the next_* functions return false on a malformed or missing field.
 */
struct at_iter {
	const char *pos;
	const char *end;
};

bool at_iter_begin(struct at_iter *it, const char *line, const char *prefix);
bool at_iter_next_number(struct at_iter *it, int *out);
bool at_iter_next_string(struct at_iter *it, char *buf, size_t size);
bool at_iter_next_unquoted(struct at_iter *it, char *buf, size_t size);
bool at_iter_skip(struct at_iter *it);
/* "(0-3)" or "(0,1,2)": sets a bit per allowed value 0..31. */
bool at_iter_next_range(struct at_iter *it, uint32_t *bits);

/* Human-readable text for a CMS/CME error (static, English). */
const char *at_error_text(const struct at_error *err);

#endif
