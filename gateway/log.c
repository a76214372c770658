/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr or syslog logging with personal-data masking.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway/log.h"
#include "util/utf8.h"

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

/*
 * One log line as it reaches stderr or syslog: control characters and
 * bytes that are not UTF-8 (raw modem bytes, a villager's newline) are
 * written as \xNN, so a line is always one line of valid UTF-8 that
 * cannot forge another (issue 8, item 11).  Cut at the buffer's end.
 */
static void log_escape(const char *in, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, n;

	while (*p && o + 5 < len) {
		uint32_t cp;

		n = *p >= 0x20 && *p != 0x7f ?
		    utf8_decode((const char *)p, strnlen((const char *)p,
							UTF8_MAX), &cp) : 0;
		if (n == 0) {
			snprintf(out + o, len - o, "\\x%02x", *p);
			o += 4;
			p++;
			continue;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

#define LOG_LINE_MAX	4096

void log_vmsg(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice",
		"info", "debug",
	};
	static char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	int saved = errno;	/* callers log, then return -errno */

	if (!log_enabled(level))
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(raw, line, sizeof(line));
	if (lg.syslog)
		syslog(level, "%s", line);
	else
		fprintf(stderr, "%s: %s: %s\n", lg.ident, names[level & 7],
			line);
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

