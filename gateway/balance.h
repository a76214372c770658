/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_GATEWAY_BALANCE_H
#define JIFEN_GATEWAY_BALANCE_H
/*
 * balance - the SIM's prepaid balance (SPEC section 9): the amount read
 * from the operator's answer to ussd.balance_code, and the SMS alert to
 * the committee when it is below ussd.low_balance.
 *
 * jifend asks the modem (modem_ussd) once a day; the answer's text is
 * free-form ("Dear customer, your balance 12.50 yuan, valid until
 * 2027-06-30.", "您的账户余额为5.20元"), so balance_parse looks for the
 * number after a balance keyword, else the first plain number.
 */
#include <stdint.h>

#include "config/config.h"
#include "storage/store.h"

/* jifend writes the result under the STATUS_MODEM_BALANCE* keys of
 * storage/status.h; jifenctl status and the console read them. */

/* Seconds between two balance checks. */
#define BALANCE_INTERVAL	86400

/*
 * The amount in TEXT (UTF-8) into *AMOUNT (pure).  0, or -ENOENT when
 * the text holds no amount (numbers that are part of a date do not
 * count).
 */
int balance_parse(const char *text, double *amount);

/*
 * Queue "SIM balance AMOUNT is below LOW" as an alert SMS to every
 * committee phone (loop guard applied), inside the caller's transaction,
 * with an audit row.  *SENT (may be NULL) gets the number queued.
 * 0 or -errno from the store.
 */
int balance_alert(struct store *st, const struct config *cfg, double amount,
		  int64_t now, int *sent);

#endif
