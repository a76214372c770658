/* SPDX-License-Identifier: MIT */
/*
 * syncrun - start jifen-sync when due, one at a time.  See syncrun.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/log.h"
#include "jifend/syncrun.h"
#include "storage/sync.h"

/* jifen-sync's exit statuses (jifen-sync/run.h, docs/SYNC.md) */
#define EXIT_OK		0
#define EXIT_AUTH	77
#define EXIT_CONFIG	78

struct syncrun {
	struct store *st;
	const struct config *cfg;
	char config_path[PATH_MAX];
	char prog[PATH_MAX];
	pid_t pid;		/* running child, 0 if none */
	int fd;			/* read end of the child's pipe, -1 */
	int64_t kill_at;	/* ms, while running */
	int64_t due;		/* ms of the next run, -1 none */
	int64_t limit_ms;
	int64_t debounce_ms;
	unsigned failures;	/* in a row: backoff exponent */
	bool stopped;		/* 401/403 or config: wait for a change */
	struct timespec token_mtime;	/* of the token file at the stop */
	bool requested;		/* jifenctl sync while a run was going */
	int64_t seq;		/* newest journal seq seen */
	bool grew;		/* journal grew during the run */
};

static bool enabled(const struct syncrun *sr)
{
	return sr->cfg->sync.url[0] != '\0';
}

static void token_mtime(const struct syncrun *sr, struct timespec *ts)
{
	struct stat sb;

	memset(ts, 0, sizeof(*ts));
	if (sr->cfg->sync.token_file[0] &&
	    stat(sr->cfg->sync.token_file, &sb) == 0)
		*ts = sb.st_mtim;
}

static void find_program(struct syncrun *sr)
{
	char self[PATH_MAX], *dir;
	const char *env = getenv("JIFEN_SYNC");
	ssize_t n;

	if (env && *env) {
		snprintf(sr->prog, sizeof(sr->prog), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		snprintf(sr->prog, sizeof(sr->prog), "%.*s/jifen-sync",
			 PATH_MAX - 16, dir);
		if (access(sr->prog, X_OK) == 0)
			return;
		snprintf(sr->prog, sizeof(sr->prog), "%.*s/../bin/jifen-sync",
			 PATH_MAX - 32, dir);
		if (access(sr->prog, X_OK) == 0)
			return;
	}
	snprintf(sr->prog, sizeof(sr->prog), "jifen-sync");
}

struct syncrun *syncrun_new(struct store *st, const struct config *cfg,
			    const char *config_path)
{
	struct syncrun *sr = calloc(1, sizeof(*sr));
	const char *lim = getenv("JIFEN_SYNC_LIMIT");

	if (!sr)
		return NULL;
	sr->st = st;
	sr->cfg = cfg;
	sr->fd = -1;
	sr->due = -1;
	sr->kill_at = -1;
	sr->limit_ms = (int64_t)SYNC_RUN_LIMIT_S * 1000;
	if (lim && atol(lim) > 0)
		sr->limit_ms = (int64_t)atol(lim) * 1000;
	lim = getenv("JIFEN_SYNC_DEBOUNCE");	/* tests: a shorter debounce */
	sr->debounce_ms = (int64_t)SYNC_DEBOUNCE_S * 1000;
	if (lim && atol(lim) > 0)
		sr->debounce_ms = (int64_t)atol(lim) * 1000;
	snprintf(sr->config_path, sizeof(sr->config_path), "%s", config_path);
	find_program(sr);
	if (store_events_last_seq(st, &sr->seq) < 0)
		sr->seq = 0;
	return sr;
}

static void reap(struct syncrun *sr, int *status)
{
	pid_t r;

	do {
		r = waitpid(sr->pid, status, 0);
	} while (r < 0 && errno == EINTR);
	if (sr->fd >= 0)
		close(sr->fd);
	sr->fd = -1;
	sr->pid = 0;
	sr->kill_at = -1;
}

void syncrun_free(struct syncrun *sr)
{
	int status;

	if (!sr)
		return;
	if (sr->pid > 0) {
		kill(sr->pid, SIGTERM);
		reap(sr, &status);
	}
	free(sr);
}

static void schedule(struct syncrun *sr, int64_t when)
{
	if (sr->due < 0 || when < sr->due)
		sr->due = when;
}

static void spawn(struct syncrun *sr, int64_t now)
{
	sigset_t all;
	int p[2];
	pid_t pid;

	sr->due = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_err("sync: pipe: %s", strerror(errno));
		schedule(sr, now + (int64_t)sr->cfg->sync.interval * 1000);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("sync: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		schedule(sr, now + (int64_t)sr->cfg->sync.interval * 1000);
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* the daemon blocks its signals (signalfd): not the child */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		/* the write end stays open in the child until it exits */
		fcntl(p[1], F_SETFD, 0);
		execl(sr->prog, "jifen-sync", "-c", sr->config_path, "-q",
		      (char *)NULL);
		execlp("jifen-sync", "jifen-sync", "-c", sr->config_path, "-q",
		       (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	sr->pid = pid;
	sr->fd = p[0];
	sr->kill_at = now + sr->limit_ms;
	sr->grew = false;
	log_info("sync: started %s (pid %ld)", sr->prog, (long)pid);
}

/* Full jitter: uniform in [1 s, min(interval, 5 s x 2^(failures-1))],
 * at least the server's Retry-After (capped at the interval). */
static int64_t backoff_ms(struct syncrun *sr)
{
	int64_t cap = SYNC_BACKOFF_MIN_S, ivl = sr->cfg->sync.interval, d;
	unsigned i, r = 0;
	char buf[32];

	for (i = 1; i < sr->failures && cap < ivl; i++)
		cap *= 2;
	if (cap > ivl)
		cap = ivl;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)time(NULL) ^ (unsigned)getpid();
	d = (int64_t)(r % (unsigned)(cap * 1000 + 1));
	if (d < 1000)
		d = 1000;
	if (store_state_get(sr->st, "retry_after", buf, sizeof(buf)) == 0) {
		int64_t ra = atoll(buf);

		if (ra > ivl)
			ra = ivl;
		if (ra * 1000 > d)
			d = ra * 1000;
	}
	return d;
}

static void finished(struct syncrun *sr, int status, bool killed,
		     int64_t now)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int64_t ivl = (int64_t)sr->cfg->sync.interval * 1000, d;

	if (killed)
		code = -1;
	if (code == EXIT_OK) {
		sr->failures = 0;
		sr->stopped = false;
		log_info("sync: done");
		schedule(sr, now + ivl);
		if (sr->grew)
			schedule(sr, now + sr->debounce_ms);
	} else if (code == EXIT_AUTH || code == EXIT_CONFIG) {
		sr->stopped = true;
		sr->failures = 0;
		token_mtime(sr, &sr->token_mtime);
		log_err("sync: %s; stopped until the token file or the "
			"configuration changes, or `jifenctl sync`",
			code == EXIT_AUTH ? "the platform refused the token" :
			"configuration error");
		schedule(sr, now + ivl);	/* look at the token file */
	} else {
		sr->failures++;
		d = backoff_ms(sr);
		log_warn("sync: %s (exit %d); next try in %lld s",
			 killed ? "run killed after the time limit" : "failed",
			 code, (long long)(d / 1000));
		schedule(sr, now + d);
	}
	if (sr->requested) {
		sr->requested = false;
		sr->stopped = false;
		sr->due = now;
	}
}

void syncrun_start(struct syncrun *sr)
{
	if (enabled(sr))
		schedule(sr, loop_now());
}

void syncrun_request(struct syncrun *sr)
{
	if (!enabled(sr)) {
		log_notice("sync: requested, but sync.url is empty");
		return;
	}
	sr->failures = 0;
	store_state_set(sr->st, "retry_after", NULL, (int64_t)time(NULL));
	if (sr->pid > 0) {
		sr->requested = true;
		return;
	}
	sr->stopped = false;
	sr->due = loop_now();
}

void syncrun_reconfigure(struct syncrun *sr)
{
	sr->stopped = false;
	sr->failures = 0;
	sr->due = -1;
	if (enabled(sr) && sr->pid <= 0)
		schedule(sr, loop_now());
}

void syncrun_journal_hook(void *data)
{
	struct syncrun *sr = data;
	int64_t seq;

	if (!enabled(sr) || store_events_last_seq(sr->st, &seq) < 0 ||
	    seq <= sr->seq)
		return;
	sr->seq = seq;
	if (sr->pid > 0) {
		sr->grew = true;
		return;
	}
	/* while stopped or backing off, the schedule already says when */
	if (!sr->stopped && !sr->failures)
		schedule(sr, loop_now() + sr->debounce_ms);
}

/* ---- loop source -------------------------------------------------------- */

static int sr_fd(void *data)
{
	return ((struct syncrun *)data)->fd;
}

static short sr_events(void *data)
{
	(void)data;
	return POLLIN;
}

static void sr_dispatch(void *data, short revents, int64_t now)
{
	struct syncrun *sr = data;
	char buf[256];
	int status = 0;

	if (revents & POLLIN) {
		/* the child writes nothing here; drain whatever comes */
		if (read(sr->fd, buf, sizeof(buf)) > 0)
			return;
	}
	reap(sr, &status);
	finished(sr, status, false, now);
}

static int64_t sr_deadline(void *data)
{
	struct syncrun *sr = data;

	if (sr->pid > 0)
		return sr->kill_at;
	return enabled(sr) ? sr->due : -1;
}

static void sr_timeout(void *data, int64_t now)
{
	struct syncrun *sr = data;
	struct timespec ts;
	int status = 0;

	if (sr->pid > 0) {
		if (now < sr->kill_at)
			return;
		log_err("sync: run %ld still going after %lld s: killed",
			(long)sr->pid, (long long)(sr->limit_ms / 1000));
		kill(sr->pid, SIGKILL);
		reap(sr, &status);
		finished(sr, status, true, now);
		return;
	}
	if (sr->due < 0 || now < sr->due)
		return;
	if (sr->stopped) {
		token_mtime(sr, &ts);
		if (ts.tv_sec == sr->token_mtime.tv_sec &&
		    ts.tv_nsec == sr->token_mtime.tv_nsec) {
			sr->due = now + (int64_t)sr->cfg->sync.interval * 1000;
			return;
		}
		log_notice("sync: the token file changed: trying again");
		sr->stopped = false;
	}
	spawn(sr, now);
}

const struct loop_source_ops syncrun_source_ops = {
	.fd = sr_fd,
	.events = sr_events,
	.dispatch = sr_dispatch,
	.deadline = sr_deadline,
	.timeout = sr_timeout,
};
