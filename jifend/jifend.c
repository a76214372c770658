/* SPDX-License-Identifier: MIT */
/*
 * jifend - the Jifen SMS gateway daemon (SPEC section 3).
 *
 *   jifend [-c FILE] [-s] [-T]        run in the foreground
 *   jifend -n [-c FILE]               check the configuration only
 *
 * Start-up order: config -> log -> store -> gateway (modem) -> drop
 * root -> loop; shutdown in reverse.  Fatal errors happen only here, at
 * start-up; at run time everything is logged and recovered.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "gateway/clock.h"
#include "jifend/gw.h"
#include "gateway/wake.h"
#include "gateway/log.h"
#include "gateway/prog.h"
#include "util/cli.h"
#include "jifend/loop.h"
#include "jifend/notify.h"
#include "jifend/syncrun.h"
#include "storage/status.h"
#include "storage/store.h"
#ifdef JIFEN_FAULTS
#include "jifend/fault.h"
#endif

/*
 * SQLite's heap in the daemon (page cache, statements, schema), KiB.  Its
 * queries walk indexes and the kernel caches the file anyway; the whole
 * process must stay under 4 MiB resident on the board (SPEC §11,
 * docs/PERFORMANCE.md has the measurements).
 */
#define JIFEND_SQLITE_HEAP_KIB	512

/*
 * The systemd watchdog: "WATCHDOG=1" at least every half interval, as a
 * deadline of the loop.  A ping also rides on any wakeup that happens
 * after a quarter interval (a health check, an SMS), so with the unit's
 * WatchdogSec=15min and health checks every 300 s the watchdog never
 * adds a wakeup of its own.
 */
struct watchdog {
	int64_t interval_ms;	/* 0: not under a watchdog */
	int64_t last_ms;
};


struct daemon {
	const char *config_path;
	struct watchdog wd;
	struct config cfg;
	struct loop *loop;
	struct gw *gw;
	struct syncrun *sync;
	int sigfd;
};

static void usage(FILE *f)
{
	fputs("usage: jifend [-c FILE] [-n] [-s] [-T] [-h] [-V]\n"
	      "  -c, --config FILE  configuration (default $JIFEN_CONFIG, then "
	      CONFIG_DEFAULT_PATH ")\n"
	      "  -n, --check        check the configuration and exit\n"
	      "  -s, --syslog       log to syslog instead of stderr\n"
	      "  -T, --trace        log the raw AT trace (debug level; "
	      "personal data)\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version and exit\n",
	      f);
}

static void apply_log_config(const struct config *cfg)
{
	log_set_level((int)cfg->log.level);
	log_set_personal(cfg->log.personal_data);
	/* every local date in village.timezone, never the system's zone */
	if (clock_use_zone(cfg->village.timezone) < 0)
		log_err("village.timezone %s: cannot be set",
			cfg->village.timezone);
}

static void reload(struct daemon *d)
{
	struct config next;
	char err[512], why[256];

	if (config_load(d->config_path, &next, err, sizeof(err)) < 0) {
		log_err("reload: %s; keeping the running configuration", err);
		return;
	}
	if (!config_reload_compatible(&d->cfg, &next, why, sizeof(why))) {
		log_err("reload: %s; keeping the running configuration", why);
		return;
	}
	d->cfg = next;
	apply_log_config(&d->cfg);
	gw_reconfigure(d->gw);
	syncrun_reconfigure(d->sync);
	log_notice("configuration reloaded from %s", d->config_path);
}

/* --- signals through a signalfd: handled in the loop, not in a handler */

static int sig_fd(void *data)
{
	return ((struct daemon *)data)->sigfd;
}

static short sig_events(void *data)
{
	(void)data;
	return POLLIN;
}

static void sig_dispatch(void *data, short revents, int64_t now)
{
	struct daemon *d = data;
	struct signalfd_siginfo si;

	(void)revents;
	(void)now;
	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			notify_send("RELOADING=1");
			reload(d);
			notify_send("READY=1");
			break;
		case SIGUSR1:
			log_set_at_trace(!log_at_trace());
			log_notice("AT trace %s", log_at_trace() ? "on" : "off");
			break;
		default:
			if ((int)si.ssi_signo == WAKE_SIGNAL) {
				gw_kick(d->gw);
				break;
			}
			if ((int)si.ssi_signo == SYNC_SIGNAL) {
				syncrun_request(d->sync);
				break;
			}
			log_notice("signal %u: stopping", si.ssi_signo);
			notify_send("STOPPING=1");
			loop_quit(d->loop);
		}
	}
}

static const struct loop_source_ops sig_ops = {
	.fd = sig_fd,
	.events = sig_events,
	.dispatch = sig_dispatch,
};

static void wd_ping(struct watchdog *wd, int64_t now)
{
	notify_send("WATCHDOG=1");
	wd->last_ms = now;
}

static int64_t wd_deadline(void *data)
{
	struct watchdog *wd = data;

	return wd->interval_ms ? wd->last_ms + wd->interval_ms / 2 : -1;
}

static void wd_timeout(void *data, int64_t now)
{
	wd_ping(data, now);
}

static void wd_after_wake(void *data, int64_t now)
{
	struct watchdog *wd = data;

	if (wd->interval_ms && now - wd->last_ms >= wd->interval_ms / 4)
		wd_ping(wd, now);
}

static const struct loop_source_ops wd_ops = {
	.deadline = wd_deadline,
	.timeout = wd_timeout,
	.after_wake = wd_after_wake,
};

static void daemon_sigset(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, WAKE_SIGNAL);
	sigaddset(set, SYNC_SIGNAL);
}

/*
 * Blocked from the first instruction of main(): a SIGTERM during
 * start-up (opening the database, say) waits and stops the daemon
 * cleanly from the loop instead of killing it half way.
 */
static int block_signals(void)
{
	sigset_t set;

	daemon_sigset(&set);
	signal(SIGPIPE, SIG_IGN);
	return sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	daemon_sigset(&set);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return d->sigfd < 0 ? -errno : 0;
}

/* True when @dir holds nothing but the database @base and its -wal/-shm. */
static bool dir_holds_only_db(const char *dir, const char *base)
{
	size_t n = strlen(base);
	struct dirent *e;
	bool only = true;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (only && (e = readdir(d))) {
		const char *name = e->d_name;

		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (strncmp(name, base, n) != 0 ||
		    (name[n] && strcmp(name + n, "-wal") &&
		     strcmp(name + n, "-shm") && strcmp(name + n, "-journal") &&
		     strcmp(name + n, ".lock") &&
		     strncmp(name + n, ".backup-", 8)))
			only = false;
	}
	closedir(d);
	return only;
}

/*
 * Drop root to daemon.user after the port and the database are open.
 * The database files are handed to the user first: SQLite creates the
 * -wal and -shm files next to the database and must write them later.
 */
static int drop_privileges(const char *user, const char *db)
{
	static const char *const sfx[] = { "", "-wal", "-shm", ".lock" };
	struct passwd *pw;
	struct stat sb;
	char path[CONFIG_PATH_SIZE + 8], dir[CONFIG_PATH_SIZE];
	char *slash;
	size_t i;

	if (!user[0])
		return 0;
	if (geteuid() != 0) {
		log_warn("daemon.user '%s' ignored: not running as root", user);
		return 0;
	}
	pw = getpwnam(user);
	if (!pw) {
		log_err("daemon.user '%s': no such user", user);
		return -ENOENT;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, sfx[i]);
		if (chown(path, pw->pw_uid, pw->pw_gid) < 0 && errno != ENOENT)
			log_warn("chown %s: %s", path, strerror(errno));
	}
	snprintf(dir, sizeof(dir), "%s", db);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* never take over a shared directory such as /tmp or /var/lib */
		if (!dir_holds_only_db(dir, slash + 1) ||
		    (stat(dir, &sb) == 0 && (sb.st_mode & (S_ISVTX | S_IWOTH))))
			log_warn("%s is a shared directory: not handed to %s; "
				 "keep the database in a directory of its own",
				 dir, user);
		else if (chown(dir, pw->pw_uid, pw->pw_gid) < 0)
			log_warn("chown %s: %s", dir, strerror(errno));
	}
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_err("cannot drop privileges to %s: %s", user,
			strerror(errno));
		return -errno;
	}
	if (setuid(0) == 0) {
		log_err("privilege drop to %s did not stick", user);
		return -EPERM;
	}
	log_info("running as %s", user);
	return 0;
}

/* jifend's own options, besides prog_start()'s -c, -s, -h and -V. */
struct jifend_opts {
	bool check_only;
	bool trace;
};

static int jifend_option(int opt, const char *arg, void *data)
{
	struct jifend_opts *o = data;

	(void)arg;
	if (opt == 'n')
		o->check_only = true;
	else if (opt == 'T')
		o->trace = true;
	return -1;
}

static const struct option jifend_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check", no_argument, NULL, 'n' },
	{ "syslog", no_argument, NULL, 's' },
	{ "trace", no_argument, NULL, 'T' },
	CLI_STD_LONGOPTS
};

static const struct prog jifend_prog = {
	"jifend " JIFEN_VERSION, "c:nsThV", jifend_longopts, usage, ""
};

int main(int argc, char **argv)
{
	struct daemon d;
	struct store *st = NULL;
	struct jifend_opts o = { false, false };
	struct prog_args args;
	char err[512];
	int rc = 1, e;

	memset(&d, 0, sizeof(d));
	d.sigfd = -1;
	block_signals();
	e = prog_start(&jifend_prog, argc, argv, jifend_option, &o, &args,
		       &d.cfg);
	if (e >= 0)
		return e;
	d.config_path = args.config_path;
	if (o.check_only) {
		if (d.cfg.warning[0])
			fprintf(stderr, "warning: %s\n", d.cfg.warning);
		puts("configuration OK");
		return 0;
	}
	umask(0027);
	log_init("jifend", args.use_syslog);
	apply_log_config(&d.cfg);
	log_set_at_trace(o.trace);
	if (d.cfg.warning[0])
		log_warn("%s", d.cfg.warning);

	/*
	 * Never create a database here (a deleted one would come back
	 * empty), one daemon per database, and a corrupt one is refused
	 * before anything is taken off the SIM (docs/ROBUSTNESS.md).
	 */

	store_memory_limit(JIFEND_SQLITE_HEAP_KIB);
	st = store_open_flags(d.cfg.storage.path, STORE_LOCK | STORE_CHECK,
			      err, sizeof(err), &e);
	if (!st) {
		log_err("%s", err);
		goto out;
	}
	d.loop = loop_new();
	d.gw = gw_new(st, &d.cfg);
	d.sync = syncrun_new(st, &d.cfg, d.config_path);
	if (!d.loop || !d.gw || !d.sync) {
		log_err("out of memory");
		goto out;
	}
	e = setup_signals(&d);
	if (e < 0) {
		log_err("signals: %s", strerror(-e));
		goto out;
	}
	loop_add(d.loop, &sig_ops, &d);
	loop_add(d.loop, &gw_source_ops, d.gw);
	gw_set_loop(d.gw, d.loop);
	loop_add(d.loop, &syncrun_source_ops, d.sync);
	gw_set_work_hook(d.gw, syncrun_journal_hook, d.sync);
	d.wd.interval_ms = notify_watchdog_ms();
	d.wd.last_ms = loop_now();
	loop_add(d.loop, &wd_ops, &d.wd);
#ifdef JIFEN_FAULTS
	/* test build only (make build/fault/jifend): see jifend/fault.h */
	if (fault_init(st, d.loop) < 0)
		goto out;
#endif
	if (gw_start(d.gw) == -EBUSY) {
		log_err("modem %s is in use by another program (another "
			"jifend?): not started", d.cfg.modem.device);
		goto out;
	}
	syncrun_start(d.sync);
	if (drop_privileges(d.cfg.daemon.user, d.cfg.storage.path) < 0)
		goto out;
	log_notice("started: village %s, modem %s, database %s",
		   d.cfg.village.id, d.cfg.modem.device, d.cfg.storage.path);
	notify_send("READY=1");
	e = loop_run(d.loop);
	if (e < 0)
		log_err("event loop: %s", strerror(-e));
	else if (!gw_failed(d.gw))
		rc = 0;
	if (!store_file_gone(st)) {
		gw_write_status(d.gw);
		store_status_set(st, STATUS_MODEM_STATE, STATUS_STOPPED,
				 (int64_t)time(NULL));
	}
out:
	syncrun_free(d.sync);
	gw_free(d.gw);
	loop_free(d.loop);
	store_close(st);
	if (d.sigfd >= 0)
		close(d.sigfd);
	log_notice("stopped");
	return rc;
}
