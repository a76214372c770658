/* SPDX-License-Identifier: MIT */
/*
 * status.h - the names of the daemon status keys (store_status_set /
 * store_status_get in storage/store.h), defined once.
 *
 * jifend (jifend/gw.c, jifend/jifend.c) writes them; jifenctl status,
 * wake_jifend() and outq_allowed() read them.  The names are part of the
 * store's contents: `jifenctl status` and jifen-sync's health report
 * read them with the two helpers at the end.
 */
#ifndef JIFEN_STORAGE_STATUS_H
#define JIFEN_STORAGE_STATUS_H

#define STATUS_STARTED_AT		"started_at"	/* unix time, decimal */
#define STATUS_PID			"pid"		/* jifend's pid */
/* CLOCK_MONOTONIC seconds at start: uptime, blind to wall-clock jumps */
#define STATUS_STARTED_MONO		"started_mono"
/* the time jifend believes (gateway/clock.h): "system", "nitz", "sync",
 * "sms"; and that time minus the system clock, seconds */
#define STATUS_CLOCK_SOURCE		"clock.source"
#define STATUS_CLOCK_OFFSET		"clock.offset"
#define STATUS_OWN_NUMBER		"own_number"	/* E.164, "" unknown */
#define STATUS_MODEM_STATE		"modem.state"	/* modem_state_name() */
#define STATUS_MODEM_MANUFACTURER	"modem.manufacturer"
#define STATUS_MODEM_MODEL		"modem.model"
#define STATUS_MODEM_SIM		"modem.sim"
#define STATUS_MODEM_SIGNAL_CSQ		"modem.signal_csq"
#define STATUS_MODEM_REGISTRATION	"modem.registration"
#define STATUS_MODEM_SMS_STORAGE	"modem.sms_storage"	/* used/total */
#define STATUS_MODEM_LAST_ERROR		"modem.last_error"
#define STATUS_MODEM_REOPENS		"modem.reopens"

/* STATUS_MODEM_STATE once jifend has stopped (not running). */
/* the SIM balance read by USSD (jifend/gw.c, gateway/balance.c) */
#define STATUS_MODEM_BALANCE		"modem.balance"		/* "12.50" */
#define STATUS_MODEM_BALANCE_AT		"modem.balance_at"	/* unix time */
#define STATUS_MODEM_BALANCE_TEXT	"modem.balance_text"	/* operator's words */
#define STATUS_MODEM_BALANCE_ERROR	"modem.balance_error"	/* "" when fine */
#define STATUS_STOPPED			"STOPPED"

/* reliability (issue 8): the database's health, the daily backup */
#define STATUS_DATABASE			"database"	/* why jifend stopped */
#define STATUS_BACKUP_LAST		"backup.last"	/* path of the newest */
#define STATUS_BACKUP_LAST_ERROR	"backup.last_error"	/* "" when fine */

/* the platform's Date header, a time source (jifen-sync, docs/SYNC.md) */
#define STATUS_SYNC_SERVER_DATE		"sync.server_date"	/* unix time */
#define STATUS_SYNC_SERVER_OFFSET	"sync.server_offset"	/* server - local, s */

/*
 * status_signal_dbm - the dBm of a stored STATUS_MODEM_SIGNAL_CSQ value
 * (3GPP TS 27.007 8.5: <rssi> 0..31 is -113 dBm and 2 dB a step), or 0
 * when it says nothing (99, out of range).
 */
int status_signal_dbm(long csq);

/*
 * status_registration - a stored STATUS_MODEM_REGISTRATION value (+CREG
 * <stat>, TS 27.007 7.2) as the sync protocol's word ("home", "roaming",
 * "searching", "denied", "not registered", "unknown") and, when @phrase
 * is not NULL, as words for a person; NULL for a value it does not know.
 */
const char *status_registration(long stat, const char **phrase);

#endif /* JIFEN_STORAGE_STATUS_H */
