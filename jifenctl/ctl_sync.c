/* SPDX-License-Identifier: MIT */
/*
 * ctl_sync - jifenctl's sync and bundle commands.  See ctl_sync.h.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/wake.h"
#include "jifenctl/ctl_sync.h"
#include "storage/sync.h"

/* Run jifen-sync with ARGS (NULL-terminated, after "-c PATH"); its
 * output goes to ours.  Returns its exit status, or -1. */
static int run_sync_program(const char *config_path, const char *const *args)
{
	char self[PATH_MAX], prog[PATH_MAX + 16];
	const char *argv[12];
	const char *env = getenv("JIFEN_SYNC");
	int i = 0, status;
	ssize_t n;
	pid_t pid;

	prog[0] = '\0';
	if (env && *env) {
		snprintf(prog, sizeof(prog), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			snprintf(prog, sizeof(prog), "%s/jifen-sync",
				 dirname(self));
			if (access(prog, X_OK) != 0)
				prog[0] = '\0';
		}
	}
	argv[i++] = "jifen-sync";
	argv[i++] = "-c";
	argv[i++] = config_path;
	while (*args && i < 11)
		argv[i++] = *args++;
	argv[i] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (prog[0])
			execv(prog, (char *const *)argv);
		execvp("jifen-sync", (char *const *)argv);
		fprintf(stderr, "jifenctl: cannot run jifen-sync: %s\n",
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int rejected_cb(const struct store_event *e, const char *reason,
		       int64_t at, void *data)
{
	char t[32];

	(void)data;
	store_iso8601(at, t, sizeof(t));
	printf("%s %s %s %s: %s\n", t, e->type, e->id,
	       e->ref ? e->ref : "-", reason);
	return 0;
}

int ctl_sync(struct store *st, const struct config *cfg,
	     const char *config_path, int argc, char **argv)
{
	static const char *const wait_args[] = { "-w", NULL };
	bool wait = false;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait")) {
			wait = true;
		} else if (!strcmp(argv[i], "--rejected")) {
			rc = store_rejected_list(st, 0, rejected_cb, NULL);
			if (rc < 0) {
				fprintf(stderr, "jifenctl: sync: %s\n",
					strerror(-rc));
				return 1;
			}
			return 0;
		} else {
			fprintf(stderr, "jifenctl: sync: unknown option '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (!cfg->sync.url[0]) {
		fprintf(stderr, "jifenctl: sync: sync.url is empty: sync is "
			"off\n");
		return 1;
	}
	if (!wait && wake_jifend_sync(st)) {
		printf("sync: asked jifend to sync now; `jifenctl status` shows "
		       "the result (or use --wait)\n");
		return 0;
	}
	rc = run_sync_program(config_path, wait_args);
	/* a stop after 401/403 in the daemon is lifted, and it learns
	 * that the operator ran one (a second run has nothing to move) */
	if (rc == 0)
		wake_jifend_sync(st);
	return rc == 0 ? 0 : 1;
}

int ctl_bundle(struct store *st, const struct config *cfg,
	       const char *config_path, int argc, char **argv)
{
	const char *args[4] = { "-w", NULL, NULL, NULL };
	int rc;

	(void)cfg;
	if (argc != 3 || (strcmp(argv[1], "export") &&
			  strcmp(argv[1], "import"))) {
		fprintf(stderr, "jifenctl: usage: bundle export|import FILE\n");
		return 2;
	}
	args[1] = !strcmp(argv[1], "export") ? "--export" : "--import";
	args[2] = argv[2];
	rc = run_sync_program(config_path, args);
	if (rc == 0 && !strcmp(argv[1], "import"))
		wake_jifend(st);
	return rc == 0 ? 0 : 1;
}

void ctl_sync_status(struct store *st, cJSON *obj)
{
	char last_error[600], attempt[64], result[256], stopped[8];
	struct store_counts n;
	long rejected = 0;
	bool auth;

	if (store_state_get(st, "last_error", last_error,
			    sizeof(last_error)) < 0)
		last_error[0] = '\0';
	if (store_state_get(st, "last_attempt", attempt, sizeof(attempt)) < 0)
		snprintf(attempt, sizeof(attempt), "never");
	if (store_state_get(st, "last_result", result, sizeof(result)) < 0)
		result[0] = '\0';
	auth = store_state_get(st, "auth_stopped", stopped,
			       sizeof(stopped)) == 0;
	store_rejected_count(st, &rejected);
	if (store_counts(st, 0, &n) < 0)
		n.events_unsent = -1;
	if (obj) {
		cJSON *s = cJSON_AddObjectToObject(obj, "sync");

		if (!s)
			return;
		cJSON_AddStringToObject(s, "last_attempt", attempt);
		cJSON_AddStringToObject(s, "last_result", result);
		if (last_error[0])
			cJSON_AddStringToObject(s, "last_error", last_error);
		else
			cJSON_AddNullToObject(s, "last_error");
		cJSON_AddBoolToObject(s, "stopped", auth);
		cJSON_AddNumberToObject(s, "events_waiting", n.events_unsent);
		cJSON_AddNumberToObject(s, "events_rejected", rejected);
		return;
	}
	printf("%-22s %s\n", "sync.last_attempt", attempt);
	if (result[0])
		printf("%-22s %s\n", "sync.last_result", result);
	printf("%-22s %s\n", "sync.last_error",
	       last_error[0] ? last_error : "none");
	if (auth)
		printf("%-22s %s\n", "sync.stopped", "token refused: fix it, "
		       "then `jifenctl sync`");
	printf("%-22s %ld\n", "sync.events_waiting", n.events_unsent);
	printf("%-22s %ld%s\n", "sync.events_rejected", rejected,
	       rejected ? " (jifenctl sync --rejected)" : "");
}
