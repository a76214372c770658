/* SPDX-License-Identifier: MIT */
/*
 * config.h - the jifen.conf file (SPEC section 4), loaded once into a
 * range-checked, plain struct.
 *
 * This module is the only place that knows libconfig: nothing outside
 * config/ includes <libconfig.h>.  The rest of the program receives a
 * `const struct config *` and treats it as read-only; on SIGHUP the
 * daemon loads a fresh struct, asks config_reload_compatible() whether
 * it can be applied in place, and swaps it in (or keeps the old one and
 * logs why).
 *
 * Every string below is NUL-terminated and lives inside the struct, so
 * a struct config can be copied with `=` and needs no freeing.  A value
 * too long for its array is an error, never silently truncated.
 *
 * Error messages are one line, `FILE:LINE: key: problem`, e.g.
 *   /etc/jifen/jifen.conf:7: sms.max_part: unknown key
 * (a missing required key names the line of its group, or no line when
 * the whole group is missing: `FILE: village.id: required key missing`).
 *
 * @include directives are refused: a configuration is one file.
 */
#ifndef JIFEN_CONFIG_CONFIG_H
#define JIFEN_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_DEFAULT_PATH	"/etc/jifen/jifen.conf"
#define CONFIG_MAX_FILE_SIZE	(256 * 1024)	/* larger files are refused */

/* Sizes of the string fields (including the terminating NUL). */
#define CONFIG_ID_SIZE		65	/* village.id: 1..64 of [a-z0-9-] */
#define CONFIG_NAME_SIZE	128	/* village.name: UTF-8 bytes */
#define CONFIG_TZ_SIZE		65	/* village.timezone */
#define CONFIG_PATH_SIZE	256	/* device, storage, token/CA files */
#define CONFIG_PIN_SIZE		9	/* 4..8 digits */
#define CONFIG_SMSC_SIZE	24	/* [+]digits */
#define CONFIG_QUIET_SIZE	12	/* "HH:MM-HH:MM" */
#define CONFIG_URL_SIZE		512
#define CONFIG_LISTEN_SIZE	64	/* "host:port", "[v6]:port" */
#define CONFIG_TOKEN_SIZE	128
#define CONFIG_USSD_CODE_SIZE	32	/* e.g. "*100#" */
#define CONFIG_USER_SIZE	33	/* POSIX user name, 32 max */
#define CONFIG_WARN_SIZE	320

enum config_language {
	CONFIG_LANG_ZH,		/* "zh" (default) */
	CONFIG_LANG_EN,		/* "en" */
};

enum config_loan_mode {
	CONFIG_LOAN_LINEAR,	/* "linear": discount per point (default) */
	CONFIG_LOAN_STEP,	/* "step": discount per whole step_points */
};

enum config_loan_score {
	CONFIG_SCORE_FINAL,	/* "final": only records past publicity */
	CONFIG_SCORE_APPROVED,	/* "approved": final + in publicity */
};

/* Values equal the syslog(3) priorities, so they can be passed as is. */
enum config_log_level {
	CONFIG_LOG_ERROR = 3,	/* "error"   = LOG_ERR */
	CONFIG_LOG_WARNING = 4,	/* "warning" = LOG_WARNING */
	CONFIG_LOG_NOTICE = 5,	/* "notice"  = LOG_NOTICE */
	CONFIG_LOG_INFO = 6,	/* "info"    = LOG_INFO (default) */
	CONFIG_LOG_DEBUG = 7,	/* "debug"   = LOG_DEBUG */
};

struct config {
	struct {
		char id[CONFIG_ID_SIZE];		/* required */
		char name[CONFIG_NAME_SIZE];		/* "" */
		int publicity_days;			/* 7, 0..365 */
		char timezone[CONFIG_TZ_SIZE];		/* "Asia/Shanghai" */
	} village;
	struct {
		char device[CONFIG_PATH_SIZE];		/* required */
		/* Set when device is "usb:VID:PID:IFACE" (hex numbers). */
		bool usb;
		unsigned int usb_vid;			/* 0..0xffff */
		unsigned int usb_pid;			/* 0..0xffff */
		unsigned int usb_iface;			/* 0..0xff */
		int baud;				/* 115200 */
		char pin[CONFIG_PIN_SIZE];		/* "" = none */
		char smsc[CONFIG_SMSC_SIZE];		/* "" = SIM's */
		int health_interval;			/* 300 s, 10..86400 */
	} modem;
	struct {
		char path[CONFIG_PATH_SIZE];		/* required */
	} storage;
	struct {
		enum config_language language;		/* zh */
		int max_parts;				/* 2, 1..10 */
		int per_number_per_hour;		/* 20, 1..1000 */
		int unknown_replies_per_day;		/* 1, 0..100 */
		char quiet_hours[CONFIG_QUIET_SIZE];	/* "21:00-08:00" */
		bool quiet_enabled;			/* false when "" */
		int quiet_start;			/* minute, 0..1439 */
		int quiet_end;				/* exclusive, may wrap */
		int broadcasts_per_day;			/* 2, 0..100 (通知) */
	} sms;
	struct {
		double base_rate;			/* 5.0 %, 0..100 */
		enum config_loan_mode mode;		/* linear */
		int step_points;			/* 100, >= 1 */
		double step_discount;			/* 0.1 pp, 0..100 */
		double max_discount;			/* 2.0 pp, 0..100 */
		double floor_rate;			/* 0.0, <= base */
		enum config_loan_score score;		/* final */
	} loan;
	struct {
		bool require_pin;			/* false */
		int pin_tries;				/* 5, 1..100 */
		char digest_time[CONFIG_QUIET_SIZE];	/* "08:30", "" = off */
		bool digest_enabled;			/* false when "" */
		int digest_minute;			/* local, 0..1439 */
	} committee;
	struct {
		char url[CONFIG_URL_SIZE];		/* "" = sync off */
		char token_file[CONFIG_PATH_SIZE];	/* "" */
		char ca_file[CONFIG_PATH_SIZE];		/* "" = system CAs */
		int interval;				/* 900 s, 30..86400 */
	} sync;
	struct {
		char listen[CONFIG_LISTEN_SIZE];	/* "" = off */
		bool enabled;				/* false: jifen-web
							 * refuses POST /ussd */
		char token[CONFIG_TOKEN_SIZE];		/* "" */
		char balance_code[CONFIG_USSD_CODE_SIZE]; /* "" = no check */
		double low_balance;			/* 5.0 */
	} ussd;
	struct {
		char user[CONFIG_USER_SIZE];		/* "" = stay root */
	} daemon;
	struct {
		enum config_log_level level;		/* info */
		bool personal_data;			/* false: mask */
	} log;
	struct {
		/* jifen-web: "HOST:PORT" when resident without -l; "" =
		 * socket activation only (or ussd.listen). */
		char listen[CONFIG_LISTEN_SIZE];
		int idle_exit;				/* 300 s, 10..86400:
							 * a socket-activated
							 * jifen-web exits after
							 * this long unused */
	} web;
	/*
	 * Set by config_load() when the file is readable by other users
	 * (it may hold modem.pin and ussd.token); "" otherwise.  Not an
	 * error: the caller logs it.
	 */
	char warning[CONFIG_WARN_SIZE];
};

/*
 * Fill @out with every default of SPEC section 4.  The three required
 * keys (village.id, modem.device, storage.path) are left "" - a
 * defaults-only struct is not a valid configuration.
 */
void config_defaults(struct config *out);

/*
 * Parse and validate the configuration text @text (NUL-terminated);
 * @name is the file name used in error messages.  For tests, fuzzing
 * and config_load().  On success fills *@out and returns 0; on failure
 * returns -EINVAL, writes a one-line message to @err (@errlen bytes,
 * may be 0) and leaves *@out untouched - a failed SIGHUP reload keeps
 * the running configuration.
 */
int config_load_string(const char *text, const char *name,
		       struct config *out, char *err, size_t errlen);

/*
 * Read and validate the file @path.  Returns 0, -ENOENT when it does not
 * exist, another -errno when it cannot be read, or -EINVAL when it is
 * not a regular file, is larger than CONFIG_MAX_FILE_SIZE, holds a NUL
 * byte or is invalid.  @err and @out as for config_load_string().  On
 * success out->warning says if the file is readable by others.
 */
int config_load(const char *path, struct config *out, char *err,
		size_t errlen);

/*
 * The file to load when none is given: $JIFEN_CONFIG when set and
 * non-empty, else CONFIG_DEFAULT_PATH.  The pointer is borrowed (the
 * environment or a constant).
 */
const char *config_default_path(void);

/*
 * Whether @minute_of_day (0..1439; other values are reduced modulo a
 * day) falls inside sms.quiet_hours.  The start is inclusive, the end
 * exclusive; "21:00-08:00" wraps midnight.  Always false when off.
 */
bool config_in_quiet_hours(const struct config *cfg, int minute_of_day);

/*
 * Whether @new can replace @old in a running daemon (SIGHUP).  The
 * keys village.id, modem.device, modem.baud, storage.path, daemon.user
 * and ussd.listen are bound at start-up (open port, database, socket,
 * dropped privileges): if one differs, returns false and writes e.g.
 * "storage.path changed; restart jifend to apply" to @why (@len bytes,
 * may be 0).  Everything else may change live.
 */
bool config_reload_compatible(const struct config *old,
			      const struct config *new, char *why,
			      size_t len);

#endif /* JIFEN_CONFIG_CONFIG_H */
