/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr or syslog logging with personal-data masking.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/log.h"

static struct {
	bool syslog;
	bool personal;
	bool at_trace;
	int level;
	const char *ident;
} lg = { false, false, false, LOG_INFO, "jifen" };

void log_init(const char *ident, bool use_syslog)
{
	lg.ident = ident;
	lg.syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	lg.level = level;
}

void log_set_personal(bool personal)
{
	lg.personal = personal;
}

void log_set_at_trace(bool on)
{
	lg.at_trace = on;
}

bool log_at_trace(void)
{
	return lg.at_trace;
}

bool log_enabled(int level)
{
	return level <= lg.level;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice",
		"info", "debug",
	};
	int saved = errno;	/* callers log, then return -errno */

	if (!log_enabled(level))
		return;
	if (lg.syslog) {
		vsyslog(level, fmt, ap);
	} else {
		fprintf(stderr, "%s: %s: ", lg.ident, names[level & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

const char *log_phone(const char *phone, char *buf, size_t len)
{
	size_t n;

	if (!len)
		return "";
	if (!phone)
		phone = "";
	n = strlen(phone);
	if (lg.personal || n < 9) {
		snprintf(buf, len, "%s", phone);
		return buf;
	}
	/* keep the prefix and the last four digits: "+86138****0001" */
	snprintf(buf, len, "%.*s****%s", (int)(n - 8), phone, phone + n - 4);
	return buf;
}

const char *log_text(const char *text, char *buf, size_t len)
{
	size_t chars = 0;
	const unsigned char *p;

	if (!len)
		return "";
	if (!text)
		text = "";
	if (lg.personal) {
		size_t n = strlen(text);

		if (n >= len) {
			/* cut at a character boundary: the log stays UTF-8 */
			n = len - 1;
			while (n && (text[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(buf, text, n);
		buf[n] = '\0';
		return buf;
	}
	for (p = (const unsigned char *)text; *p; p++)
		if ((*p & 0xc0) != 0x80)
			chars++;
	snprintf(buf, len, "[%zu chars]", chars);
	return buf;
}

int log_level_from_name(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} map[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "notice", LOG_NOTICE }, { "warning", LOG_WARNING },
		{ "error", LOG_ERR },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, name))
			return map[i].level;
	return -1;
}
