/* SPDX-License-Identifier: MIT */
/*
 * jifenctl - the operator's tool (SPEC section 5).
 *
 *   jifenctl [-c FILE] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 runtime error, 2 usage error; every error
 * is one line on stderr.  Works while jifend runs (SQLite WAL).
 *
 * Configuration: -c FILE, else $JIFEN_CONFIG, else /etc/jifen/jifen.conf;
 * when none of these exists, the demo configuration that `make run`
 * writes next to the binary (build/demo/jifen.conf) is used, so the
 * README's `build/jifenctl sim send ...` works without options.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "gateway/clock.h"
#include "gateway/clockview.h"
#include "jifenctl/ctl_pdu.h"
#include "jifenctl/ctl_review.h"
#include "jifenctl/ctl_sim.h"
#include "jifenctl/ctl_store.h"
#include "jifenctl/ctl_village.h"
#include "jifenctl/ctl_sync.h"
#include "jifenctl/ctl_web.h"
#include "gateway/wake.h"
#include "storage/status.h"
#include "storage/store.h"
#include "storage/village.h"

static void usage(FILE *f)
{
	fputs("usage: jifenctl [-c FILE] COMMAND [ARGS]\n"
	      "options:\n"
	      "  -c, --config FILE  configuration (default $JIFEN_CONFIG, then "
	      CONFIG_DEFAULT_PATH ")\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version and exit\n"
	      "commands:\n"
	      "  import FILE.csv                      upsert households and phones\n"
	      "  record add HOUSEHOLD POINTS REASON [--final]\n"
	      "  record list [--pending] [--json]\n"
	      "  household show ID [--json]\n"
	      "  review ID approve|reject [REASON]\n"
	      "  status [--json]\n"
	      "  pdu decode [--no-smsc] HEX\n"
	      "  pdu encode [--ucs2] NUMBER TEXT\n"
	      "  sim send [--wait SECONDS] NUMBER TEXT\n"
	      "  sim status\n"
	      "  matter list [--open] | matter answer ID TEXT | matter close ID\n"
	      "  message list [--in|--out] [--failed] [--number N]\n"
	      "  message retry ID\n"
	      "  send NUMBER TEXT\n"
	      "  notice --all|--committee TEXT [--yes]\n"
	      "  publicity list [--html FILE]\n"
	      "  household statement ID [--html FILE]\n"
	      "  household remove ID | phone remove NUMBER\n"
	      "  export records|households [--csv]\n"
	      "  init                                 create the database (storage.path)\n"
	      "  backup FILE                          consistent copy of the database\n"
	      "  sync [--wait] [--rejected]           sync with the platform now\n"
	      "  bundle export|import FILE            sync by USB stick\n"
	      "  web passwd                           set the console's clerk password\n", f);
}

/* The configuration file to use (see the comment at the top). */
static const char *pick_config(const char *given, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;

	if (given)
		return given;
	if (getenv("JIFEN_CONFIG") && getenv("JIFEN_CONFIG")[0])
		return getenv("JIFEN_CONFIG");
	if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		return CONFIG_DEFAULT_PATH;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(buf, len, "%s/demo/jifen.conf", dirname(self));
		if (access(buf, F_OK) == 0)
			return buf;
	}
	return CONFIG_DEFAULT_PATH;
}

struct status_ctx {
	bool json;
	cJSON *obj;
};

/* How a key of the status table reads (SPEC section 5: human units). */
enum status_kind {
	STK_TEXT,	/* as stored; "" reads "none" */
	STK_INT,	/* a count */
	STK_TIME,	/* unix time: a date in the village's zone */
	STK_OFFSET,	/* seconds, signed */
	STK_CSQ,	/* AT+CSQ <rssi>: dBm */
	STK_REG,	/* +CREG <stat>: words */
	STK_STORAGE,	/* "used/total" SIM slots */
	STK_MONEY,	/* "12.50" */
	STK_CLOCK,	/* clock_source_name() */
	STK_HIDDEN,	/* jifend's own bookkeeping */
};

static const struct status_field {
	const char *key;
	enum status_kind kind;
} status_fields[] = {
	{ STATUS_STARTED_AT,		STK_TIME },
	{ STATUS_PID,			STK_INT },
	{ STATUS_STARTED_MONO,		STK_HIDDEN },
	{ STATUS_CLOCK_OFFSET,		STK_OFFSET },
	{ STATUS_CLOCK_SOURCE,		STK_CLOCK },
	{ STATUS_MODEM_SIGNAL_CSQ,	STK_CSQ },
	{ STATUS_MODEM_REGISTRATION,	STK_REG },
	{ STATUS_MODEM_SMS_STORAGE,	STK_STORAGE },
	{ STATUS_MODEM_REOPENS,		STK_INT },
	{ STATUS_MODEM_BALANCE,		STK_MONEY },
	{ STATUS_MODEM_BALANCE_AT,	STK_TIME },
	{ STATUS_SYNC_SERVER_DATE,	STK_TIME },
	{ STATUS_SYNC_SERVER_OFFSET,	STK_OFFSET },
};

static enum status_kind status_kind_of(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(status_fields) / sizeof(status_fields[0]); i++)
		if (!strcmp(status_fields[i].key, key))
			return status_fields[i].kind;
	return STK_TEXT;
}

static bool parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s && !*end && !errno;
}

static void status_json(cJSON *o, const char *key, enum status_kind k,
			const char *value)
{
	long n, used, total;

	if (k == STK_TEXT || k == STK_CLOCK || (k == STK_MONEY && !*value)) {
		cJSON_AddStringToObject(o, key, value);
		return;
	}
	if (k == STK_MONEY) {
		cJSON_AddNumberToObject(o, key, strtod(value, NULL));
		return;
	}
	if (k == STK_STORAGE) {
		if (sscanf(value, "%ld/%ld", &used, &total) != 2 || used < 0 ||
		    total <= 0)
			used = total = -1;
		if (used < 0) {
			cJSON_AddNullToObject(o, "modem.sms_used");
			cJSON_AddNullToObject(o, "modem.sms_total");
		} else {
			cJSON_AddNumberToObject(o, "modem.sms_used", used);
			cJSON_AddNumberToObject(o, "modem.sms_total", total);
		}
		return;
	}
	if (!parse_long(value, &n)) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	if (k == STK_REG) {
		cJSON_AddNumberToObject(o, "modem.registration_code", n);
		if (status_registration(n, NULL))
			cJSON_AddStringToObject(o, key,
						status_registration(n, NULL));
		else
			cJSON_AddNullToObject(o, key);
		return;
	}
	cJSON_AddNumberToObject(o, key, n);
	if (k == STK_CSQ) {
		if (status_signal_dbm(n))
			cJSON_AddNumberToObject(o, "modem.signal_dbm",
						status_signal_dbm(n));
		else
			cJSON_AddNullToObject(o, "modem.signal_dbm");
	}
}

/* VALUE of a KIND for a person: "-73 dBm (CSQ 20)", "3 of 20 used"... */
static void status_human(enum status_kind k, const char *value, char *out,
			 size_t len)
{
	const char *phrase;
	long n, used, total;
	struct tm tm;
	time_t t;

	if (!*value) {
		snprintf(out, len, "none");
		return;
	}
	if (k == STK_STORAGE) {
		if (sscanf(value, "%ld/%ld", &used, &total) == 2 && used >= 0 &&
		    total > 0)
			snprintf(out, len, "%ld of %ld used", used, total);
		else
			snprintf(out, len, "unknown");
		return;
	}
	if (k == STK_CLOCK) {
		snprintf(out, len, "%s", !strcmp(value, "nitz") ?
			 "network time (NITZ)" : !strcmp(value, "sms") ?
			 "SMS centre time stamps" : !strcmp(value, "sync") ?
			 "the platform's clock (sync)" : !strcmp(value, "system") ?
			 "system clock" : value);
		return;
	}
	if (k == STK_TEXT || k == STK_MONEY || !parse_long(value, &n)) {
		snprintf(out, len, "%s", value);
		return;
	}
	switch (k) {
	case STK_TIME:
		t = (time_t)n;
		if (n > 0 && localtime_r(&t, &tm) &&
		    strftime(out, len, "%Y-%m-%d %H:%M:%S %Z", &tm))
			break;
		snprintf(out, len, "%s", value);
		break;
	case STK_OFFSET:
		snprintf(out, len, "%+ld s", n);
		break;
	case STK_CSQ:
		if (status_signal_dbm(n))
			snprintf(out, len, "%d dBm (CSQ %ld)",
				 status_signal_dbm(n), n);
		else
			snprintf(out, len, "unknown (CSQ %ld)", n);
		break;
	case STK_REG:
		if (!status_registration(n, &phrase))
			phrase = "unknown";
		snprintf(out, len, "%s", phrase);
		break;
	default:
		snprintf(out, len, "%ld", n);
		break;
	}
}

static int status_kv(const char *key, const char *value, int64_t at,
		     void *data)
{
	struct status_ctx *c = data;
	enum status_kind k = status_kind_of(key);
	char buf[256];

	(void)at;
	if (k == STK_HIDDEN)
		return 0;
	if (c->json) {
		status_json(c->obj, key, k, value);
		return 0;
	}
	status_human(k, value, buf, sizeof(buf));
	printf("%-22s %s\n", k == STK_CSQ ? "modem.signal" : key, buf);
	return 0;
}

/*
 * "3d 04:05:06" since jifend started, or "not running"; the seconds, or
 * -1 when not running.  From the
 * monotonic clock jifend recorded at start (shared by every process of
 * the machine, blind to wall-clock jumps); a value from before the
 * last boot means the daemon is gone.
 */
static long long uptime(struct store *st, char *out, size_t len)
{
	char state[32], started[32];
	struct timespec ts;
	long long t, d;

	if (store_status_get(st, STATUS_MODEM_STATE, state, sizeof(state)) < 0 ||
	    !strcmp(state, STATUS_STOPPED) ||
	    store_status_get(st, STATUS_STARTED_MONO, started,
			     sizeof(started)) < 0 ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) < 0 ||
	    (t = (long long)ts.tv_sec - strtoll(started, NULL, 10)) < 0) {
		snprintf(out, len, "not running");
		return -1;
	}
	d = t / 86400;
	snprintf(out, len, "%lldd %02lld:%02lld:%02lld", d, t % 86400 / 3600,
		 t % 3600 / 60, t % 60);
	return t;
}

static int ctl_status(struct store *st, int argc, char **argv)
{
	struct status_ctx c = { false, NULL };
	struct store_counts n;
	long gave_up = 0;
	char buf[128], up[64];
	long long up_s;
	int64_t now = clockview_now(st), day = now - 86400;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c.json = true;
		} else {
			fprintf(stderr, "jifenctl: status: unknown option '%s'\n",
				argv[i]);
			return 2;
		}
	}
	err = store_counts(st, day, &n);
	if (!err)	/* messages whose handling failed for good */
		err = store_inbox_gave_up_count(st, &gave_up);
	if (err < 0) {
		fprintf(stderr, "jifenctl: status: %s\n", strerror(-err));
		return 1;
	}
	if (c.json) {
		c.obj = cJSON_CreateObject();
		if (!c.obj)
			return 1;
	}
	err = store_status_list(st, status_kv, &c);
	if (err < 0) {
		fprintf(stderr, "jifenctl: status: %s\n", strerror(-err));
		cJSON_Delete(c.obj);
		return 1;
	}
	if (store_state_get(st, "last_sync", buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "never");
	up_s = uptime(st, up, sizeof(up));
	if (c.json) {
		cJSON *q = cJSON_AddObjectToObject(c.obj, "queues");
		char *s;

		cJSON_AddNumberToObject(q, "inbox_pending", n.inbox_pending);
		cJSON_AddNumberToObject(q, "inbox_failed", gave_up);
		cJSON_AddNumberToObject(q, "outbox_queued", n.outbox_queued);
		cJSON_AddNumberToObject(q, "outbox_failed", n.outbox_failed);
		cJSON_AddNumberToObject(q, "sent_24h", n.outbox_sent_since);
		cJSON_AddNumberToObject(q, "events_unsent", n.events_unsent);
		cJSON_AddNumberToObject(c.obj, "households", n.households);
		cJSON_AddNumberToObject(c.obj, "records_pending",
					n.records_pending);
		cJSON_AddStringToObject(c.obj, "last_sync", buf);
		cJSON_AddStringToObject(c.obj, "uptime", up);
		if (up_s >= 0)
			cJSON_AddNumberToObject(c.obj, "uptime_s", (double)up_s);
		else
			cJSON_AddNullToObject(c.obj, "uptime_s");
		ctl_sync_status(st, c.obj);
		s = cJSON_PrintUnformatted(c.obj);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(c.obj);
	} else {
		printf("%-22s %ld\n", "inbox.pending", n.inbox_pending);
		printf("%-22s %ld%s\n", "inbox.failed", gave_up, gave_up ?
		       "  (apologised; see message list --in --failed)" : "");
		printf("%-22s %ld\n", "outbox.queued", n.outbox_queued);
		printf("%-22s %ld\n", "outbox.failed", n.outbox_failed);
		printf("%-22s %ld\n", "outbox.sent_24h", n.outbox_sent_since);
		printf("%-22s %ld\n", "events.unsent", n.events_unsent);
		printf("%-22s %ld\n", "households", n.households);
		printf("%-22s %ld\n", "records.pending", n.records_pending);
		printf("%-22s %s\n", "sync.last", buf);
		printf("%-22s %s\n", "uptime", up);
		ctl_sync_status(st, NULL);
	}
	return 0;
}

/* The village workflow commands; those that queue SMS wake jifend. */
static int ctl_village(struct store *st, const struct config *cfg,
		       const char *cmd, int argc, char **argv)
{
	bool queued = false;
	int rc;

	if (!strcmp(cmd, "matter"))
		rc = ctl_matter(st, cfg, argc, argv, &queued);
	else if (!strcmp(cmd, "message"))
		rc = ctl_message(st, cfg, argc, argv, &queued);
	else if (!strcmp(cmd, "send"))
		rc = ctl_send(st, cfg, argc, argv, &queued);
	else if (!strcmp(cmd, "notice"))
		rc = ctl_notice(st, cfg, argc, argv, &queued);
	else if (!strcmp(cmd, "publicity"))
		rc = ctl_publicity(st, cfg, argc, argv);
	else if (!strcmp(cmd, "phone"))
		rc = ctl_phone(st, argc, argv);
	else
		rc = ctl_export(st, argc, argv);
	if (queued)
		wake_jifend(st);
	return rc;
}

/* --- reliability (issue 8): explicit creation, backups ------------------ */

/*
 * Only `init` and `import` may create the database: every other command
 * refuses a missing one (a deleted database must not come back empty),
 * and `status` also runs quick_check so it names a corrupt one.
 */
static unsigned ctl_open_flags(const char *cmd)
{
	if (!strcmp(cmd, "init") || !strcmp(cmd, "import"))
		return STORE_CREATE;
	if (!strcmp(cmd, "status"))
		return STORE_CHECK;
	return 0;
}

static int ctl_init(struct store *st, int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "jifenctl: usage: init\n");
		return 2;
	}
	printf("database %s ready (schema %d)\n", store_path(st),
	       store_schema_version(st));
	return 0;
}

static int ctl_backup(struct store *st, int argc, char **argv)
{
	int err;

	if (argc != 2 || !argv[1][0]) {
		fprintf(stderr, "jifenctl: usage: backup FILE\n");
		return 2;
	}
	err = store_backup(st, argv[1]);
	if (err == -EUCLEAN) {
		fprintf(stderr, "jifenctl: backup: database is corrupt: not "
			"backed up (restore an older backup, docs/"
			"OPERATIONS.md)\n");
		return 1;
	}
	if (err < 0) {
		fprintf(stderr, "jifenctl: backup %s: %s\n", argv[1],
			strerror(-err));
		return 1;
	}
	printf("backup of %s written to %s\n", store_path(st), argv[1]);
	return 0;
}

/* --- end of the reliability block ------------------------------------------ */

int main(int argc, char **argv)
{
	const char *given = NULL, *path, *cmd;
	char pathbuf[PATH_MAX + 32], err[512];
	struct config cfg;
	struct store *st;
	int i = 1, rc, e;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			puts("jifenctl " JIFEN_VERSION);
			return 0;
		}
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc) {
			given = argv[i + 1];
			i += 2;
			continue;
		}
		fprintf(stderr, "jifenctl: unknown option '%s'\n", argv[i]);
		return 2;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i];
	/* the PDU codec needs no configuration */
	if (!strcmp(cmd, "pdu"))
		return ctl_pdu(argc - i, argv + i);
	if (strcmp(cmd, "import") && strcmp(cmd, "record") &&
	    strcmp(cmd, "household") && strcmp(cmd, "review") &&
	    strcmp(cmd, "status") && strcmp(cmd, "sim") &&
	    strcmp(cmd, "sync") &&
	    /* village workflows (ctl_village.c) */
	    strcmp(cmd, "matter") && strcmp(cmd, "message") &&
	    strcmp(cmd, "send") && strcmp(cmd, "notice") &&
	    strcmp(cmd, "publicity") && strcmp(cmd, "phone") &&
	    strcmp(cmd, "export") && strcmp(cmd, "bundle") &&
	    strcmp(cmd, "web") && strcmp(cmd, "init") &&
	    strcmp(cmd, "backup")) {
		fprintf(stderr, "jifenctl: unknown command '%s'\n", cmd);
		return 2;
	}
	path = pick_config(given, pathbuf, sizeof(pathbuf));
	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "jifenctl: %s\n", err);
		return 1;
	}
	/* local dates (公示 ends, statements) in village.timezone */
	clock_use_zone(cfg.village.timezone);
	if (!strcmp(cmd, "sim"))
		return ctl_sim(cfg.modem.device, argc - i, argv + i);
	st = store_open_flags(cfg.storage.path, ctl_open_flags(cmd), err,
			      sizeof(err), &e);
	if (!st) {
		fprintf(stderr, "jifenctl: %s\n", err);
		return 1;
	}
	if (!strcmp(cmd, "init"))
		rc = ctl_init(st, argc - i, argv + i);
	else if (!strcmp(cmd, "backup"))
		rc = ctl_backup(st, argc - i, argv + i);
	else if (!strcmp(cmd, "import"))
		rc = ctl_import(st, argc - i, argv + i);
	else if (!strcmp(cmd, "record"))
		rc = ctl_record(st, argc - i, argv + i);
	else if (!strcmp(cmd, "household") && argc - i >= 2 &&
		 (!strcmp(argv[i + 1], "statement") ||
		  !strcmp(argv[i + 1], "remove")))
		rc = ctl_household_more(st, &cfg, argc - i, argv + i);
	else if (!strcmp(cmd, "household"))
		rc = ctl_household(st, argc - i, argv + i);
	else if (!strcmp(cmd, "sync"))
		rc = ctl_sync(st, &cfg, path, argc - i, argv + i);
	else if (!strcmp(cmd, "bundle"))
		rc = ctl_bundle(st, &cfg, path, argc - i, argv + i);
	else if (!strcmp(cmd, "web"))		/* jifen-web (issue 12) */
		rc = ctl_web(st, argc - i, argv + i);
	else if (!strcmp(cmd, "review")) {
		rc = ctl_review(st, &cfg, argc - i, argv + i);
		if (rc == 0)
			wake_jifend(st);
	}
	else if (!strcmp(cmd, "status"))
		rc = ctl_status(st, argc - i, argv + i);
	else
		rc = ctl_village(st, &cfg, cmd, argc - i, argv + i);
	store_close(st);
	return rc;
}
