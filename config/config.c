/* SPDX-License-Identifier: MIT */
/*
 * config.c - load jifen.conf with libconfig, validate every key against
 * a table, and fill a plain struct config.
 *
 * The walk is driven by the file, not by the table: every setting in the
 * file must be a known group or a known key of its group, so typos are
 * caught with their line.  Values are type-checked strictly (an integer
 * is accepted where a float is expected, nothing else converts), range
 * checked, and string shapes are checked by small validators.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/hex.h"
#include "util/utf8.h"

/*
 * libconfig resolves @include relative to the include directory; one
 * that does not exist makes every include fail to open (the kernel needs
 * each path component, so "../" cannot climb out of it).  This is only
 * the second guard: include lines are refused before parsing.
 */
#define NO_INCLUDE_DIR	"/nonexistent/jifen-config-includes-are-refused"

enum kind {
	K_STR,
	K_INT,
	K_FLOAT,
	K_BOOL,
	K_ENUM,
};

struct enum_name {
	const char *name;
	int value;
};

/* Validates a string value; writes the problem to @why on failure. */
typedef bool (*str_check_fn)(const char *v, struct config *cfg, char *why,
			     size_t len);

struct key {
	const char *group;
	const char *name;
	enum kind kind;
	size_t off;
	size_t size;			/* K_STR: array size */
	double min, max;		/* K_INT, K_FLOAT */
	const struct enum_name *names;	/* K_ENUM, NULL-terminated */
	str_check_fn check;		/* K_STR, may be NULL */
	bool required;
};

static const char *const groups[] = {
	"village", "modem", "storage", "sms", "loan", "committee", "sync",
	"ussd", "daemon", "log", "web",
};

static const struct enum_name language_names[] = {
	{ "zh", CONFIG_LANG_ZH },
	{ "en", CONFIG_LANG_EN },
	{ NULL, 0 },
};

static const struct enum_name mode_names[] = {
	{ "linear", CONFIG_LOAN_LINEAR },
	{ "step", CONFIG_LOAN_STEP },
	{ NULL, 0 },
};

static const struct enum_name score_names[] = {
	{ "final", CONFIG_SCORE_FINAL },
	{ "approved", CONFIG_SCORE_APPROVED },
	{ NULL, 0 },
};

static const struct enum_name level_names[] = {
	{ "debug", CONFIG_LOG_DEBUG },
	{ "info", CONFIG_LOG_INFO },
	{ "notice", CONFIG_LOG_NOTICE },
	{ "warning", CONFIG_LOG_WARNING },
	{ "error", CONFIG_LOG_ERROR },
	{ NULL, 0 },
};

static const int standard_bauds[] = {
	1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
	921600,
};

/* --- string shape validators ------------------------------------------- */

static bool why_set(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats the problem into @why; always returns false for `return`. */
static bool why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

#define CH_LOWER	1u	/* a-z */
#define CH_UPPER	2u	/* A-Z */
#define CH_DIGIT	4u	/* 0-9 */
#define CH_ALNUM	(CH_LOWER | CH_UPPER | CH_DIGIT)

/* True when each of the @n bytes at @s is of @classes or one of @extra. */
static bool chars_in(const char *s, size_t n, unsigned int classes,
		     const char *extra)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((classes & CH_LOWER && c >= 'a' && c <= 'z') ||
		      (classes & CH_UPPER && c >= 'A' && c <= 'Z') ||
		      (classes & CH_DIGIT && is_digit(c)) ||
		      (c && strchr(extra, c))))
			return false;
	}
	return true;
}

/*
 * Parse 1..@maxdigits hex digits at *@p, stopping at @stop ('\0' or
 * ':').  Advances *@p past the digits.
 */
static bool parse_hex(const char **p, int maxdigits, char stop,
		      unsigned int *out)
{
	unsigned int v = 0;
	int n = 0;
	int d;

	while ((d = hex_val(**p)) >= 0) {
		if (++n > maxdigits)
			return false;
		v = v * 16 + (unsigned int)d;
		(*p)++;
	}
	if (n == 0 || **p != stop)
		return false;
	*out = v;
	return true;
}

/* Strict UTF-8 without control characters (C0, DEL, C1). */
static bool text_ok(const char *v, char *why, size_t len)
{
	size_t rest = strlen(v), n;

	while (rest) {
		uint32_t cp;

		n = utf8_decode(v, rest, &cp);
		if (!n)
			return why_set(why, len, "invalid UTF-8");
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return why_set(why, len,
				       "control character not allowed");
		v += n;
		rest -= n;
	}
	return true;
}

static bool check_text(const char *v, struct config *cfg, char *why,
		       size_t len)
{
	(void)cfg;
	return text_ok(v, why, len);
}

/* "CST-8", "UTC0", "<+08>-8": a zone name (or <...>), then an offset. */
static bool posix_tz(const char *tz)
{
	const char *p = tz;

	if (*p == '<') {
		p = strchr(p, '>');
		if (!p)
			return false;
		p++;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
			p++;
		if (p - tz < 3)
			return false;
	}
	if (*p == '+' || *p == '-')
		p++;
	if (!is_digit(*p))
		return false;
	return chars_in(p, strlen(p), CH_ALNUM, "+-:,./<>");
}

/*
 * village.timezone: a tz database name that exists under $TZDIR or
 * /usr/share/zoneinfo ("Asia/Shanghai"), or a POSIX TZ string ("CST-8").
 */
static bool check_timezone(const char *v, struct config *cfg, char *why,
			   size_t len)
{
	const char *dir = getenv("TZDIR");
	char path[CONFIG_PATH_SIZE + CONFIG_TZ_SIZE];
	struct stat sb;

	(void)cfg;
	if (!strchr(v, '/') && posix_tz(v))
		return true;
	if (!*v || v[0] == '/' || strstr(v, "..") ||
	    !chars_in(v, strlen(v), CH_ALNUM, "/_+-"))
		return why_set(why, len, "must be a time zone name such as "
			       "\"Asia/Shanghai\" or a POSIX TZ string such "
			       "as \"CST-8\"");
	snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir :
		 "/usr/share/zoneinfo", v);
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		return true;
	return why_set(why, len, "unknown time zone (no %s; the Debian "
		       "package tzdata has them)", path);
}

static bool check_village_id(const char *v, struct config *cfg, char *why,
			     size_t len)
{
	(void)cfg;
	if (!*v)
		return why_set(why, len, "must not be empty");
	if (!chars_in(v, strlen(v), CH_LOWER | CH_DIGIT, "-"))
		return why_set(why, len, "only a-z, 0-9 and '-' are allowed");
	return true;
}

static bool check_device(const char *v, struct config *cfg, char *why,
			 size_t len)
{
	const char *p;

	cfg->modem.usb = false;
	cfg->modem.usb_vid = 0;
	cfg->modem.usb_pid = 0;
	cfg->modem.usb_iface = 0;
	if (!*v)
		return why_set(why, len, "must not be empty");
	if (!strncmp(v, "usb:", 4)) {
		p = v + 4;
		if (!parse_hex(&p, 4, ':', &cfg->modem.usb_vid))
			goto bad_usb;
		p++;
		if (!parse_hex(&p, 4, ':', &cfg->modem.usb_pid))
			goto bad_usb;
		p++;
		if (!parse_hex(&p, 2, '\0', &cfg->modem.usb_iface))
			goto bad_usb;
		cfg->modem.usb = true;
		return true;
	}
	if (v[0] != '/')
		return why_set(why, len, "must be an absolute path or "
			       "\"usb:VID:PID:IFACE\"");
	for (p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return why_set(why, len, "space or control character "
				       "in device path");
	return true;

bad_usb:
	cfg->modem.usb_vid = 0;
	cfg->modem.usb_pid = 0;
	cfg->modem.usb_iface = 0;
	return why_set(why, len, "must be \"usb:VID:PID:IFACE\" with hex "
		       "numbers (VID, PID up to 4 digits, IFACE up to 2), "
		       "e.g. \"usb:12d1:1506:2\"");
}

static bool check_pin(const char *v, struct config *cfg, char *why,
		      size_t len)
{
	size_t i, n = strlen(v);

	(void)cfg;
	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (!is_digit(v[i]))
			return why_set(why, len, "must be 4 to 8 digits or \"\"");
	if (n < 4)
		return why_set(why, len, "must be 4 to 8 digits or \"\"");
	return true;
}

static bool check_smsc(const char *v, struct config *cfg, char *why,
		       size_t len)
{
	const char *p = v;
	size_t n;

	(void)cfg;
	if (!*v)
		return true;
	if (*p == '+')
		p++;
	for (n = 0; p[n]; n++)
		if (!is_digit(p[n]))
			break;
	if (p[n] || n < 3 || n > 20)
		return why_set(why, len,
			       "must be a phone number like \"+8613800280500\" "
			       "or \"\"");
	return true;
}

static bool check_nonempty_text(const char *v, struct config *cfg,
				char *why, size_t len)
{
	(void)cfg;
	if (!*v)
		return why_set(why, len, "must not be empty");
	return text_ok(v, why, len);
}

/* "H:MM" or "HH:MM"; on success *@p is past the minutes. */
static bool parse_hhmm(const char **p, int *minutes)
{
	const char *s = *p;
	int h, m;

	if (!is_digit(s[0]))
		return false;
	h = s[0] - '0';
	s++;
	if (is_digit(s[0])) {
		h = h * 10 + (s[0] - '0');
		s++;
	}
	if (s[0] != ':' || !is_digit(s[1]) || !is_digit(s[2]))
		return false;
	m = (s[1] - '0') * 10 + (s[2] - '0');
	if (h > 23 || m > 59)
		return false;
	*minutes = h * 60 + m;
	*p = s + 3;
	return true;
}

static bool check_quiet(const char *v, struct config *cfg, char *why,
			size_t len)
{
	const char *p = v;
	int start, end;

	cfg->sms.quiet_enabled = false;
	cfg->sms.quiet_start = 0;
	cfg->sms.quiet_end = 0;
	if (!*v)
		return true;
	if (!parse_hhmm(&p, &start) || *p++ != '-' || !parse_hhmm(&p, &end) ||
	    *p)
		return why_set(why, len, "must be \"HH:MM-HH:MM\" (00:00 to "
			       "23:59) or \"\" for none");
	if (start == end)
		return why_set(why, len, "start and end are equal; use \"\" "
			       "for no quiet hours");
	cfg->sms.quiet_enabled = true;
	cfg->sms.quiet_start = start;
	cfg->sms.quiet_end = end;
	return true;
}

/* committee.digest_time: "HH:MM" local, or "" for no digest */
static bool check_digest(const char *v, struct config *cfg, char *why,
			 size_t len)
{
	const char *p = v;
	int at;

	cfg->committee.digest_enabled = false;
	cfg->committee.digest_minute = 0;
	if (!*v)
		return true;
	if (!parse_hhmm(&p, &at) || *p)
		return why_set(why, len, "must be \"HH:MM\" (00:00 to 23:59) "
			       "or \"\" for no digest");
	cfg->committee.digest_enabled = true;
	cfg->committee.digest_minute = at;
	return true;
}

static bool check_url(const char *v, struct config *cfg, char *why,
		      size_t len)
{
	const char *p;

	(void)cfg;
	if (!*v)
		return true;
	if (!strncmp(v, "https://", 8))
		p = v + 8;
	else if (!strncmp(v, "http://", 7))
		p = v + 7;
	else
		return why_set(why, len, "must start with https:// or "
			       "http://, or be \"\" (sync off)");
	if (!*p || *p == '/')
		return why_set(why, len, "has no host");
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return why_set(why, len, "space, control or non-ASCII "
				       "character in URL");
	return true;
}

static bool check_listen(const char *v, struct config *cfg, char *why,
			 size_t len)
{
	const char *p = v, *colon;
	unsigned long port = 0;

	(void)cfg;
	if (!*v)
		return true;
	if (*p == '[') {
		p++;
		if (*p == ']')
			goto bad;
		while (*p && *p != ']') {
			if (hex_val(*p) < 0 && *p != ':' && *p != '.')
				goto bad;
			p++;
		}
		if (*p != ']' || p[1] != ':')
			goto bad;
		colon = p + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || colon == v)
			goto bad;
		if (!chars_in(p, (size_t)(colon - p), CH_ALNUM, ".-"))
			goto bad;
	}
	p = colon + 1;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (!is_digit(*p))
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			goto bad;
	}
	if (port == 0)
		goto bad;
	return true;
bad:
	return why_set(why, len, "must be \"HOST:PORT\" (e.g. "
		       "\"127.0.0.1:8380\", \"[::1]:8380\", port 1-65535) "
		       "or \"\" (off)");
}

static bool check_ussd_code(const char *v, struct config *cfg, char *why,
			    size_t len)
{
	(void)cfg;
	if (!chars_in(v, strlen(v), CH_DIGIT, "*#"))
		return why_set(why, len, "only digits, '*' and '#' are "
			       "allowed (e.g. \"*100#\")");
	return true;
}

static bool check_user(const char *v, struct config *cfg, char *why,
		       size_t len)
{
	(void)cfg;
	if (!*v || (chars_in(v, 1, CH_LOWER, "_") &&
		    chars_in(v + 1, strlen(v + 1), CH_LOWER | CH_DIGIT, "_-")))
		return true;
	return why_set(why, len, "must be a user name of [a-z_][a-z0-9_-]* "
		       "or \"\"");
}

/* --- the key table ------------------------------------------------------ */

#define OFF(field)	offsetof(struct config, field)
#define SZ(field)	sizeof(((struct config *)0)->field)

#define STR(g, k, chk, req) \
	{ #g, #k, K_STR, OFF(g.k), SZ(g.k), 0, 0, NULL, chk, req }
#define INT(g, k, lo, hi) \
	{ #g, #k, K_INT, OFF(g.k), 0, lo, hi, NULL, NULL, false }
#define FLT(g, k, lo, hi) \
	{ #g, #k, K_FLOAT, OFF(g.k), 0, lo, hi, NULL, NULL, false }
#define BOOL(g, k) \
	{ #g, #k, K_BOOL, OFF(g.k), 0, 0, 0, NULL, NULL, false }
#define ENUM(g, k, n) \
	{ #g, #k, K_ENUM, OFF(g.k), 0, 0, 0, n, NULL, false }

static const struct key keys[] = {
	STR(village, id, check_village_id, true),
	STR(village, name, check_text, false),
	INT(village, publicity_days, 0, 365),
	STR(village, timezone, check_timezone, false),
	STR(modem, device, check_device, true),
	/* baud: range here, membership of standard_bauds checked below */
	INT(modem, baud, 1200, 921600),
	STR(modem, pin, check_pin, false),
	STR(modem, smsc, check_smsc, false),
	INT(modem, health_interval, 10, 86400),
	STR(storage, path, check_nonempty_text, true),
	ENUM(sms, language, language_names),
	INT(sms, max_parts, 1, 10),
	INT(sms, per_number_per_hour, 1, 1000),
	INT(sms, unknown_replies_per_day, 0, 100),
	STR(sms, quiet_hours, check_quiet, false),
	INT(sms, broadcasts_per_day, 0, 100),
	FLT(loan, base_rate, 0, 100),
	ENUM(loan, mode, mode_names),
	INT(loan, step_points, 1, 1000000),
	FLT(loan, step_discount, 0, 100),
	FLT(loan, max_discount, 0, 100),
	FLT(loan, floor_rate, 0, 100),
	ENUM(loan, score, score_names),
	BOOL(committee, require_pin),
	INT(committee, pin_tries, 1, 100),
	STR(committee, digest_time, check_digest, false),
	STR(sync, url, check_url, false),
	STR(sync, token_file, check_text, false),
	STR(sync, ca_file, check_text, false),
	INT(sync, interval, 30, 86400),
	STR(ussd, listen, check_listen, false),
	BOOL(ussd, enabled),
	STR(ussd, token, check_text, false),
	STR(ussd, balance_code, check_ussd_code, false),
	FLT(ussd, low_balance, 0, 1000000),
	STR(daemon, user, check_user, false),
	ENUM(log, level, level_names),
	BOOL(log, personal_data),
	/* jifen-web (SPEC sections 9 and 12) */
	STR(web, listen, check_listen, false),
	INT(web, idle_exit, 10, 86400),
};

#define N_KEYS	(sizeof(keys) / sizeof(keys[0]))
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* --- loading ------------------------------------------------------------ */

struct ctx {
	const char *text;
	const char *name;
	char *err;
	size_t errlen;
	struct config *cfg;
	unsigned int line[N_KEYS];	/* 0 = not in the file */
	unsigned int group_line[N_GROUPS];
};

static int fail(struct ctx *c, unsigned int line, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes "NAME:LINE: KEY: problem" to the caller's buffer; -EINVAL. */
static int fail(struct ctx *c, unsigned int line, const char *key,
		const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen) {
		if (line)
			snprintf(c->err, c->errlen, "%s:%u: %s: %s", c->name,
				 line, key, msg);
		else
			snprintf(c->err, c->errlen, "%s: %s: %s", c->name, key,
				 msg);
	}
	return -EINVAL;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	case CONFIG_TYPE_GROUP:
		return "a group";
	default:
		return "an unknown type";
	}
}

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_INT:
		return "an integer";
	case K_FLOAT:
		return "a number";
	case K_BOOL:
		return "a boolean (true or false)";
	case K_STR:
	case K_ENUM:
	default:
		return "a string";
	}
}

static bool bad_type(const struct key *k, int type)
{
	switch (k->kind) {
	case K_INT:
		return type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64;
	case K_FLOAT:
		return type != CONFIG_TYPE_FLOAT && type != CONFIG_TYPE_INT &&
		       type != CONFIG_TYPE_INT64;
	case K_BOOL:
		return type != CONFIG_TYPE_BOOL;
	case K_STR:
	case K_ENUM:
	default:
		return type != CONFIG_TYPE_STRING;
	}
}

static bool ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       is_digit(ch) || ch == '_' || ch == '-' || ch == '*';
}

/*
 * libconfig 1.5 reads a plain integer literal into an int and silently
 * wraps the ones that do not fit ("4294968196" becomes 900).  Find the
 * literal of key @name on @line of the text and, when it is a plain
 * (not L-suffixed) integer outside the int range, copy it to @lit and
 * return true.  Values written across lines are not found (no check).
 */
static bool int_literal_wrapped(const struct ctx *c, unsigned int line,
				const char *name, char *lit, size_t litlen)
{
	const char *p = c->text, *end, *q, *d;
	size_t nlen = strlen(name);
	unsigned int l;

	for (l = 1; l < line && p; l++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p)
		return false;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	for (q = p; q + nlen <= end; q++) {
		bool hex = false;
		size_t digits = 0;

		if (strncmp(q, name, nlen) || (q > p && ident_char(q[-1])) ||
		    ident_char(q[nlen]))
			continue;
		d = q + nlen;
		while (*d == ' ' || *d == '\t')
			d++;
		if (*d != '=' && *d != ':')
			continue;
		d++;
		while (*d == ' ' || *d == '\t')
			d++;
		q = d;
		if (*d == '-' || *d == '+')
			d++;
		if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
			hex = true;
			d += 2;
		}
		while (*d == '0' && (hex ? hex_val(d[1]) >= 0 : is_digit(d[1])))
			d++;
		while (hex ? hex_val(d[digits]) >= 0 : is_digit(d[digits]))
			digits++;
		if (d[digits] == 'L' || d[digits] == '.' || d[digits] == 'e' ||
		    d[digits] == 'E' || digits == 0)
			return false;
		if (hex && digits <= 8)
			return false;
		if (!hex && (digits < 10 ||
			     (digits == 10 && strncmp(d, "2147483647", 10) <= 0)))
			return false;
		snprintf(lit, litlen, "%.*s", (int)(d + digits - q), q);
		return true;
	}
	return false;
}

static int set_value(struct ctx *c, const struct key *k,
		     const config_setting_t *s, const char *full,
		     unsigned int line)
{
	char *field = (char *)c->cfg + k->off;
	int type = config_setting_type(s);
	char why[192];

	if (bad_type(k, type))
		return fail(c, line, full, "expected %s, got %s",
			    kind_name(k->kind), type_name(type));
	if (type == CONFIG_TYPE_INT &&
	    int_literal_wrapped(c, line, k->name, why, sizeof(why))) {
		if (k->kind == K_INT)
			return fail(c, line, full, "%s is out of range (%.0f to "
				    "%.0f)", why, k->min, k->max);
		return fail(c, line, full, "%s is out of range (%g to %g)",
			    why, k->min, k->max);
	}

	switch (k->kind) {
	case K_INT: {
		long long v = config_setting_get_int64(s);
		size_t i;

		if (type == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		if (v < (long long)k->min || v > (long long)k->max)
			return fail(c, line, full, "%lld is out of range "
				    "(%.0f to %.0f)", v, k->min, k->max);
		if (!strcmp(k->group, "modem") && !strcmp(k->name, "baud")) {
			for (i = 0; i < sizeof(standard_bauds) /
				    sizeof(standard_bauds[0]); i++)
				if (standard_bauds[i] == v)
					break;
			if (i == sizeof(standard_bauds) /
				 sizeof(standard_bauds[0]))
				return fail(c, line, full, "%lld is not a "
					    "standard rate (9600, 19200, "
					    "38400, 57600, 115200, 230400, "
					    "460800, 921600, ...)", v);
		}
		*(int *)(void *)field = (int)v;
		break;
	}
	case K_FLOAT: {
		double v;

		if (type == CONFIG_TYPE_FLOAT)
			v = config_setting_get_float(s);
		else if (type == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		else
			v = (double)config_setting_get_int64(s);
		if (!(v >= k->min && v <= k->max))
			return fail(c, line, full, "%g is out of range "
				    "(%g to %g)", v, k->min, k->max);
		*(double *)(void *)field = v;
		break;
	}
	case K_BOOL:
		*(bool *)(void *)field = config_setting_get_bool(s) != 0;
		break;
	case K_ENUM: {
		const char *v = config_setting_get_string(s);
		const struct enum_name *e;
		char list[96] = "";
		size_t used = 0;

		if (!v)
			v = "";
		for (e = k->names; e->name; e++) {
			if (!strcmp(e->name, v)) {
				*(int *)(void *)field = e->value;
				return 0;
			}
			used += (size_t)snprintf(list + used,
						 sizeof(list) - used, "%s\"%s\"",
						 e == k->names ? "" : ", ",
						 e->name);
			if (used >= sizeof(list))
				used = sizeof(list) - 1;
		}
		return fail(c, line, full, "must be one of %s", list);
	}
	case K_STR: {
		const char *v = config_setting_get_string(s);
		size_t n;

		if (!v)
			v = "";
		n = strlen(v);
		if (n >= k->size)
			return fail(c, line, full, "string too long (%zu bytes, "
				    "at most %zu)", n, k->size - 1);
		if (k->check && !k->check(v, c->cfg, why, sizeof(why)))
			return fail(c, line, full, "%s", why);
		memcpy(field, v, n + 1);
		break;
	}
	}
	return 0;
}

static int load_group(struct ctx *c, const config_setting_t *g,
		      const char *gname)
{
	int i, n = config_setting_length(g);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(g, i);
		const char *kname = config_setting_name(s);
		unsigned int line = config_setting_source_line(s);
		char full[128];
		size_t k;
		int r;

		if (!kname)
			kname = "(unnamed)";
		snprintf(full, sizeof(full), "%s.%s", gname, kname);
		for (k = 0; k < N_KEYS; k++)
			if (!strcmp(keys[k].group, gname) &&
			    !strcmp(keys[k].name, kname))
				break;
		if (k == N_KEYS)
			return fail(c, line, full, "unknown key");
		r = set_value(c, &keys[k], s, full, line);
		if (r < 0)
			return r;
		c->line[k] = line ? line : 1;
	}
	return 0;
}

static unsigned int key_line(const struct ctx *c, const char *group,
			     const char *name)
{
	size_t k;

	for (k = 0; k < N_KEYS; k++)
		if (!strcmp(keys[k].group, group) &&
		    !strcmp(keys[k].name, name))
			return c->line[k];
	return 0;
}

/* Checks that involve more than one key. */
static int cross_check(struct ctx *c)
{
	const struct config *cfg = c->cfg;
	unsigned int line;

	if (cfg->loan.floor_rate > cfg->loan.base_rate) {
		line = key_line(c, "loan", "floor_rate");
		if (!line)
			line = key_line(c, "loan", "base_rate");
		return fail(c, line, "loan.floor_rate", "%g is above "
			    "loan.base_rate %g", cfg->loan.floor_rate,
			    cfg->loan.base_rate);
	}
	return 0;
}

static int check_required(struct ctx *c)
{
	size_t k, g;

	for (k = 0; k < N_KEYS; k++) {
		char full[64];
		unsigned int line = 0;

		if (!keys[k].required || c->line[k])
			continue;
		for (g = 0; g < N_GROUPS; g++)
			if (!strcmp(groups[g], keys[k].group))
				line = c->group_line[g];
		snprintf(full, sizeof(full), "%s.%s", keys[k].group,
			 keys[k].name);
		return fail(c, line, full, "required key missing");
	}
	return 0;
}

/*
 * libconfig honours "@include" at the start of any line, even inside a
 * multi-line string.  Refuse every line whose first non-blank character
 * is '@' (a few false alarms inside multi-line strings or comments are
 * fine: the message says what to change).
 */
static int refuse_directives(struct ctx *c, const char *text)
{
	const char *p = text;
	unsigned int line = 1;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' ||
		       *p == '\f')
			p++;
		if (*p == '@')
			return fail(c, line, "@include", "directives are not "
				    "supported; put everything in one file");
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
		line++;
	}
	return 0;
}

/* SPEC section 4 defaults; the required keys stay "" (see config.h). */
void config_defaults(struct config *out)
{
	memset(out, 0, sizeof(*out));
	out->village.publicity_days = 7;
	snprintf(out->village.timezone, sizeof(out->village.timezone), "%s",
		 "Asia/Shanghai");
	out->modem.baud = 115200;
	out->modem.health_interval = 300;
	out->sms.language = CONFIG_LANG_ZH;
	out->sms.max_parts = 2;
	out->sms.per_number_per_hour = 20;
	out->sms.unknown_replies_per_day = 1;
	strcpy(out->sms.quiet_hours, "21:00-08:00");
	out->sms.quiet_enabled = true;
	out->sms.quiet_start = 21 * 60;
	out->sms.quiet_end = 8 * 60;
	out->loan.base_rate = 5.0;
	out->loan.mode = CONFIG_LOAN_LINEAR;
	out->loan.step_points = 100;
	out->loan.step_discount = 0.1;
	out->loan.max_discount = 2.0;
	out->loan.floor_rate = 0.0;
	out->loan.score = CONFIG_SCORE_FINAL;
	out->committee.require_pin = false;
	out->committee.pin_tries = 5;
	strcpy(out->committee.digest_time, "08:30");
	out->committee.digest_enabled = true;
	out->committee.digest_minute = 8 * 60 + 30;
	out->sms.broadcasts_per_day = 2;
	out->sync.interval = 900;
	out->ussd.low_balance = 5.0;
	out->web.idle_exit = 300;
	out->log.level = CONFIG_LOG_INFO;
	out->log.personal_data = false;
}

/*
 * Parse @text into a scratch struct and copy it to @out only when every
 * check passed, so a failed reload leaves the running config intact.
 */
int config_load_string(const char *text, const char *name,
		       struct config *out, char *err, size_t errlen)
{
	struct config *cfg;
	struct ctx c;
	config_t lc;
	config_setting_t *root;
	int i, n, r;

	if (err && errlen)
		err[0] = '\0';
	if (!name)
		name = "(config)";
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	config_defaults(cfg);
	memset(&c, 0, sizeof(c));
	c.text = text;
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	c.cfg = cfg;

	r = refuse_directives(&c, text);
	if (r < 0)
		goto out_free;

	config_init(&lc);
	config_set_include_dir(&lc, NO_INCLUDE_DIR);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		const char *t = config_error_text(&lc);
		int line = config_error_line(&lc);

		r = fail(&c, line > 0 ? (unsigned int)line : 0, "parse error",
			 "%s", t ? t : "syntax error");
		goto out_destroy;
	}

	root = config_root_setting(&lc);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(root, i);
		const char *gname = config_setting_name(g);
		unsigned int line = config_setting_source_line(g);
		size_t k;

		if (!gname)
			gname = "(unnamed)";
		for (k = 0; k < N_GROUPS; k++)
			if (!strcmp(groups[k], gname))
				break;
		if (k == N_GROUPS) {
			r = fail(&c, line, gname, "unknown group");
			goto out_destroy;
		}
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			r = fail(&c, line, gname, "expected a group "
				 "{ ... }, got %s",
				 type_name(config_setting_type(g)));
			goto out_destroy;
		}
		c.group_line[k] = line ? line : 1;
		r = load_group(&c, g, gname);
		if (r < 0)
			goto out_destroy;
	}

	r = check_required(&c);
	if (r < 0)
		goto out_destroy;
	r = cross_check(&c);
	if (r < 0)
		goto out_destroy;

	*out = *cfg;
	r = 0;
out_destroy:
	config_destroy(&lc);
out_free:
	free(cfg);
	return r;
}

/*
 * Read the file ourselves (bounded, regular files only, no NUL bytes) so
 * libconfig never opens anything: /dev/zero or a FIFO cannot hang us.
 */
int config_load(const char *path, struct config *out, char *err,
		size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	if (err && errlen)
		err[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		goto out_close;
	}
	if (st.st_size > CONFIG_MAX_FILE_SIZE)
		goto too_big;

	buf = malloc(CONFIG_MAX_FILE_SIZE + 2);
	if (!buf) {
		r = -ENOMEM;
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto out_close;
	}
	/* Read to EOF (the file may have grown since fstat), bounded. */
	for (;;) {
		ssize_t got;

		got = read(fd, buf + len, CONFIG_MAX_FILE_SIZE + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			if (err && errlen)
				snprintf(err, errlen, "%s: read: %s", path,
					 strerror(-r));
			goto out_free;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > CONFIG_MAX_FILE_SIZE)
			goto too_big;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		unsigned int line = 1;
		const char *p;

		for (p = buf; *p; p++)
			if (*p == '\n')
				line++;
		r = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s:%u: NUL byte in the file "
				 "(binary data?)", path, line);
		goto out_free;
	}

	r = config_load_string(buf, path, out, err, errlen);
	if (r == 0 && (st.st_mode & S_IROTH))
		snprintf(out->warning, sizeof(out->warning),
			 "%s is readable by all users (mode %04o) and may "
			 "hold modem.pin and ussd.token; chmod o-r it", path,
			 (unsigned int)(st.st_mode & 07777));
	goto out_free;

too_big:
	r = -EINVAL;
	if (err && errlen)
		snprintf(err, errlen, "%s: file too large (more than %d bytes)",
			 path, CONFIG_MAX_FILE_SIZE);
out_free:
	free(buf);
out_close:
	close(fd);
	return r;
}

/* $JIFEN_CONFIG, else the packaged location. */
const char *config_default_path(void)
{
	const char *p = getenv("JIFEN_CONFIG");

	return p && *p ? p : CONFIG_DEFAULT_PATH;
}

/* Half-open window [start, end), wrapping midnight when end < start. */
bool config_in_quiet_hours(const struct config *cfg, int minute_of_day)
{
	int m = minute_of_day % 1440;
	int start = cfg->sms.quiet_start, end = cfg->sms.quiet_end;

	if (!cfg->sms.quiet_enabled)
		return false;
	if (m < 0)
		m += 1440;
	if (start < end)
		return m >= start && m < end;
	return m >= start || m < end;
}

/* Keys bound at start-up (port, database, socket, uid) need a restart. */
bool config_reload_compatible(const struct config *old,
			      const struct config *new, char *why,
			      size_t len)
{
	const char *key = NULL;

	if (strcmp(old->village.id, new->village.id))
		key = "village.id";
	else if (strcmp(old->modem.device, new->modem.device))
		key = "modem.device";
	else if (old->modem.baud != new->modem.baud)
		key = "modem.baud";
	else if (strcmp(old->storage.path, new->storage.path))
		key = "storage.path";
	else if (strcmp(old->daemon.user, new->daemon.user))
		key = "daemon.user";
	else if (strcmp(old->ussd.listen, new->ussd.listen))
		key = "ussd.listen";

	if (why && len)
		why[0] = '\0';
	if (!key)
		return true;
	if (why && len)
		snprintf(why, len, "%s changed; restart jifend to apply", key);
	return false;
}
