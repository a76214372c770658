/* SPDX-License-Identifier: MIT */
/*
 * jifen-sync - one sync with the central platform (SPEC section 7), or a
 * sync bundle export/import for a village without data coverage.
 *
 *   jifen-sync [-c FILE] [-w] [-q]          one online sync
 *   jifen-sync [-c FILE] --export FILE      write the request bundle
 *   jifen-sync [-c FILE] --import FILE      apply a response bundle
 *
 * Started by jifend when due (jifend/syncrun.c) and by jifenctl (sync,
 * bundle).  Exit status: see jifen-sync/run.h and docs/SYNC.md.  One
 * line on stdout says what moved; errors are one line on stderr.
 * Never more than one run at a time: a lock file next to the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config/config.h"
#include "jifen-sync/health.h"
#include "jifen-sync/run.h"
#include "storage/store.h"

static void usage(FILE *f)
{
	fputs("usage: jifen-sync [-c FILE] [-w] [-q] [--export FILE | "
	      "--import FILE]\n"
	      "  -c FILE          configuration (default $JIFEN_CONFIG, then "
	      CONFIG_DEFAULT_PATH ")\n"
	      "  -w               wait for a sync that is running instead of "
	      "giving up\n"
	      "  -q               print nothing on success\n"
	      "  --export FILE    write the waiting events and health as a "
	      "bundle\n"
	      "  --import FILE    apply the platform's response bundle\n"
	      "exit: 0 ok, 65 bundle refused, 75 retry later, 77 token "
	      "refused, 78 configuration\n", f);
}

/* The run lock: "<database>.sync.lock".  -EWOULDBLOCK when busy. */
static int take_lock(const char *db, bool wait, int *fd_out)
{
	char path[CONFIG_PATH_SIZE + 16];
	int fd;

	snprintf(path, sizeof(path), "%s.sync.lock", db);
	/* read-only and 0644: an operator's run as root and the daemon's as
	 * daemon.user share the lock (flock needs no write access) */
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return -errno;
	}
	*fd_out = fd;
	return 0;
}

static void print_report(const char *what, const struct run_report *r)
{
	printf("%s: sent %ld events (accepted %ld, rejected %ld), applied %ld "
	       "changes", what, r->sent, r->accepted, r->rejected, r->changes);
	if (r->skipped)
		printf(" (%ld skipped: %s)", r->skipped, r->warning);
	if (r->ignored)
		printf(" (%ld of unknown types ignored)", r->ignored);
	if (r->told)
		printf(", %ld members told by SMS", r->told);
	if (r->rounds)
		printf(", %d requests, %llu bytes up, %llu bytes down",
		       r->rounds, (unsigned long long)r->bytes_up,
		       (unsigned long long)r->bytes_down);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *config_path = NULL, *export_path = NULL,
		   *import_path = NULL;
	struct run_report rep;
	struct run_ctx ctx;
	struct config cfg;
	struct store *st = NULL;
	bool wait = false, quiet = false;
	char err[512];
	int i, code, lockfd = -1, e;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			config_path = argv[++i];
		} else if (!strcmp(argv[i], "-w")) {
			wait = true;
		} else if (!strcmp(argv[i], "-q")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--export") && i + 1 < argc) {
			export_path = argv[++i];
		} else if (!strcmp(argv[i], "--import") && i + 1 < argc) {
			import_path = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			puts("jifen-sync " JIFEN_VERSION " (sync protocol v1)");
			return 0;
		} else {
			usage(stderr);
			return SYNC_EXIT_USAGE;
		}
	}
	if (export_path && import_path) {
		usage(stderr);
		return SYNC_EXIT_USAGE;
	}
	if (!config_path)
		config_path = config_default_path();
	if (config_load(config_path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "jifen-sync: %s\n", err);
		return SYNC_EXIT_CONFIG;
	}
	memset(&rep, 0, sizeof(rep));
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.tr = &transport_curl;
	ctx.max_rounds = RUN_MAX_ROUNDS;
	ctx.timeout_s = 120;
	/* tests: a shorter total timeout per request */
	if (getenv("JIFEN_SYNC_TIMEOUT") && atol(getenv("JIFEN_SYNC_TIMEOUT")) > 0)
		ctx.timeout_s = atol(getenv("JIFEN_SYNC_TIMEOUT"));
	e = take_lock(cfg.storage.path, wait, &lockfd);
	if (e < 0) {
		fprintf(stderr, "jifen-sync: %s\n", e == -EWOULDBLOCK ?
			"another sync is running" : strerror(-e));
		return SYNC_EXIT_RETRY;
	}
	/* never creates a database: only jifenctl init/import does */
	st = store_open_flags(cfg.storage.path, 0, err, sizeof(err), &e);
	if (!st) {
		fprintf(stderr, "jifen-sync: %s\n", err);
		code = SYNC_EXIT_FAIL;
		goto out;
	}
	ctx.st = st;
	if (run_gateway_id(st, ctx.gateway) < 0) {
		fprintf(stderr, "jifen-sync: cannot store the gateway id\n");
		code = SYNC_EXIT_FAIL;
		goto out;
	}
	if (export_path) {
		code = run_export(&ctx, export_path, &rep);
		if (code == SYNC_EXIT_OK && !quiet)
			printf("bundle export: %ld events and health written to "
			       "%s (%llu bytes)\n", rep.sent, export_path,
			       (unsigned long long)rep.body_bytes);
	} else if (import_path) {
		code = run_import(&ctx, import_path, &rep);
		if (code == SYNC_EXIT_OK) {
			run_record(&ctx, code, &rep);
			if (!quiet)
				print_report("bundle import", &rep);
		}
	} else {
		if (run_load_token(&ctx, &rep) < 0) {
			code = SYNC_EXIT_CONFIG;
		} else if (transport_curl.init() < 0) {
			snprintf(rep.error, sizeof(rep.error), "libcurl: "
				 "cannot start");
			code = SYNC_EXIT_FAIL;
		} else {
			code = run_online(&ctx, &rep);
			transport_curl.cleanup();
		}
		run_record(&ctx, code, &rep);
		if (!quiet || code != SYNC_EXIT_OK)
			print_report("sync", &rep);
	}
	if (code != SYNC_EXIT_OK)
		fprintf(stderr, "jifen-sync: %s\n", rep.error[0] ? rep.error :
			"failed");
out:
	store_close(st);
	if (lockfd >= 0)
		close(lockfd);
	return code;
}
