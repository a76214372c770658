/* SPDX-License-Identifier: MIT */
/*
 * ctl_sync.h - `jifenctl sync [--wait] [--rejected]`, `jifenctl bundle
 * export|import FILE` and the sync lines of `jifenctl status` (SPEC
 * sections 5 and 7).  jifenctl links no HTTP library: it runs
 * jifen-sync ($JIFEN_SYNC, else next to jifenctl, else on PATH) and
 * relays its one-line report.
 */
#ifndef JIFEN_JIFENCTL_CTL_SYNC_H
#define JIFEN_JIFENCTL_CTL_SYNC_H

#include <cjson/cJSON.h>

#include "config/config.h"
#include "storage/store.h"

/*
 * `sync`: without --wait, ask a running jifend to sync now (lifting a
 * stop after 401/403) and return; with --wait, or when no jifend runs,
 * run jifen-sync here (waiting for a run in progress) and report what
 * moved.  --rejected lists the events the platform rejected.  ARGV[0]
 * is "sync".  Returns the exit status (0, 1 runtime, 2 usage).
 */
int ctl_sync(struct store *st, const struct config *cfg,
	     const char *config_path, int argc, char **argv);

/* `bundle export FILE` / `bundle import FILE` (ARGV[0] "bundle"). */
int ctl_bundle(struct store *st, const struct config *cfg,
	       const char *config_path, int argc, char **argv);

/* The sync part of `status`: to OBJ when non-NULL (--json), else as
 * text lines. */
void ctl_sync_status(struct store *st, cJSON *obj);

#endif
