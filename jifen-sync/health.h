/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_HEALTH_H
#define JIFEN_SYNC_HEALTH_H
/*
 * health - the "health" object every request carries (SPEC section 7):
 * version, uptime, modem state, signal, registration, SIM storage, SIM
 * balance when known, outbox queued/failed, events waiting, free disk,
 * clock source and offset.  Read from the store's status key/values that
 * jifend writes, the store's counts and statvfs() of the database's
 * directory.  A value jifend has not written is null.
 */
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "storage/store.h"

#ifndef JIFEN_VERSION
#define JIFEN_VERSION "0.1.0"
#endif

/* A new object (cJSON_Delete), NULL on out of memory. */
cJSON *health_collect(struct store *st, const struct config *cfg,
		      int64_t now);

#endif
