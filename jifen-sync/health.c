/* SPDX-License-Identifier: MIT */
/*
 * health - the health object of a sync request.  See health.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "jifen-sync/health.h"
#include "storage/status.h"

/* status key KEY as a string, or null */
static void add_status_str(cJSON *o, struct store *st, const char *name,
			   const char *key)
{
	char buf[128];

	if (store_status_get(st, key, buf, sizeof(buf)) == 0 && buf[0])
		cJSON_AddStringToObject(o, name, buf);
	else
		cJSON_AddNullToObject(o, name);
}

static bool status_long(struct store *st, const char *key, long *v)
{
	char buf[64], *end;

	if (store_status_get(st, key, buf, sizeof(buf)) < 0 || !buf[0])
		return false;
	*v = strtol(buf, &end, 10);
	return end != buf;
}

static void add_modem(cJSON *h, struct store *st)
{
	cJSON *m = cJSON_AddObjectToObject(h, "modem");
	char buf[64];
	long v;
	int used, total;

	if (!m)
		return;
	add_status_str(m, st, "state", STATUS_MODEM_STATE);
	add_status_str(m, st, "model", STATUS_MODEM_MODEL);
	if (status_long(st, STATUS_MODEM_SIGNAL_CSQ, &v) &&
	    status_signal_dbm(v))
		cJSON_AddNumberToObject(m, "signal_dbm", status_signal_dbm(v));
	else
		cJSON_AddNullToObject(m, "signal_dbm");
	if (status_long(st, STATUS_MODEM_REGISTRATION, &v) &&
	    status_registration(v, NULL))
		cJSON_AddStringToObject(m, "registration",
					status_registration(v, NULL));
	else
		cJSON_AddNullToObject(m, "registration");
	if (store_status_get(st, STATUS_MODEM_SMS_STORAGE, buf, sizeof(buf)) == 0 &&
	    sscanf(buf, "%d/%d", &used, &total) == 2 && used >= 0 &&
	    total >= 0) {
		cJSON *s = cJSON_AddObjectToObject(m, "sim_storage");

		if (s) {
			cJSON_AddNumberToObject(s, "used", used);
			cJSON_AddNumberToObject(s, "total", total);
		}
	} else {
		cJSON_AddNullToObject(m, "sim_storage");
	}
	add_status_str(m, st, "sim_balance", STATUS_MODEM_BALANCE);
}

cJSON *health_collect(struct store *st, const struct config *cfg,
		      int64_t now)
{
	struct store_counts n;
	struct statvfs vfs;
	char dir[CONFIG_PATH_SIZE], *slash;
	cJSON *h, *o;
	long v;

	h = cJSON_CreateObject();
	if (!h)
		return NULL;
	cJSON_AddStringToObject(h, "version", JIFEN_VERSION);
	if (status_long(st, STATUS_STARTED_AT, &v) && v > 0 && v <= now)
		cJSON_AddNumberToObject(h, "uptime", (double)(now - v));
	else
		cJSON_AddNullToObject(h, "uptime");
	add_modem(h, st);
	if (store_counts(st, now - 86400, &n) == 0) {
		o = cJSON_AddObjectToObject(h, "outbox");
		if (o) {
			cJSON_AddNumberToObject(o, "queued", n.outbox_queued);
			cJSON_AddNumberToObject(o, "failed", n.outbox_failed);
		}
		cJSON_AddNumberToObject(h, "events_waiting", n.events_unsent);
	}
	snprintf(dir, sizeof(dir), "%s", cfg->storage.path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	else if (slash)
		dir[1] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &vfs) == 0)
		cJSON_AddNumberToObject(h, "free_disk",
					(double)vfs.f_bavail *
					(double)vfs.f_frsize);
	else
		cJSON_AddNullToObject(h, "free_disk");
	o = cJSON_AddObjectToObject(h, "clock");
	if (o) {
		char src[64];

		if (store_status_get(st, "clock.source", src, sizeof(src)) ||
		    !src[0])
			snprintf(src, sizeof(src), "system");
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddNumberToObject(o, "offset",
					status_long(st, "clock.offset", &v) ?
					(double)v : 0);
	}
	return h;
}
