/* SPDX-License-Identifier: MIT */
/*
 * log.h - the daemon's one logging module: stderr or syslog, syslog
 * levels, printf-checked, and masking of personal data (phone numbers,
 * SMS text) unless the operator turned log.personal_data on.
 * Process-wide state by nature (like syslog itself); set once by main().
 */
#ifndef JIFEN_GATEWAY_LOG_H
#define JIFEN_GATEWAY_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* Start logging as @ident; @use_syslog false logs to stderr. */
void log_init(const char *ident, bool use_syslog);
/* Messages above @level (a LOG_* priority) are dropped. */
void log_set_level(int level);
/* Whether phone numbers and SMS text appear unmasked. */
void log_set_personal(bool personal);
/* Whether the raw AT trace is written (at debug level). */
void log_set_at_trace(bool on);
bool log_at_trace(void);
/* True when a message at @level would be written. */
bool log_enabled(int level);

void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Masked forms for the log: "+86138****0001" and "[5 chars]" unless
 * personal data is allowed.  Return @buf (caller's, always terminated).
 */
const char *log_phone(const char *phone, char *buf, size_t len);
const char *log_text(const char *text, char *buf, size_t len);

#endif
