/* SPDX-License-Identifier: MIT */
/*
 * balance - SIM balance parsing and the low-balance alert.  See
 * balance.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/balance.h"
#include "gateway/outq.h"
#include "storage/village.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The number starting at P (sign, digits, one '.'), or false when it is
 * part of a date or a longer token ("2027-06-30", "*100#"). */
static bool number_at(const char *text, const char *p, double *out,
		      const char **end)
{
	const char *q = p;
	char buf[32];
	size_t n;

	if (*q == '-' || *q == '+')
		q++;
	if (!is_digit(*q))
		return false;
	while (is_digit(*q))
		q++;
	if (*q == '.' && is_digit(q[1])) {
		q++;
		while (is_digit(*q))
			q++;
	}
	*end = q;
	/* dates, times, codes and phone numbers are not amounts */
	if (*q == '-' || *q == '/' || *q == ':' || *q == '#' || *q == '*')
		return false;
	if (p > text && (is_digit(p[-1]) || p[-1] == '*' ||
			 ((p[-1] == '-' || p[-1] == '/' || p[-1] == ':') &&
			  p - 1 > text && is_digit(p[-2]))))
		return false;
	n = (size_t)(q - p);
	if (n >= sizeof(buf) || q - p > 12)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

/* First amount at or after P. */
static bool first_number(const char *text, const char *p, double *out)
{
	const char *end;

	while (*p) {
		if ((is_digit(*p) || ((*p == '-' || *p == '+') &&
				      is_digit(p[1]))) &&
		    number_at(text, p, out, &end))
			return true;
		if (is_digit(*p) || *p == '-' || *p == '+') {
			/* skip the whole token */
			while (is_digit(*p) || *p == '.' || *p == '-' ||
			       *p == '+' || *p == '/' || *p == ':')
				p++;
			continue;
		}
		p++;
	}
	return false;
}

int balance_parse(const char *text, double *amount)
{
	static const char *const keys[] = { "余额", "餘額", "话费", "balance",
					    "Balance", "BALANCE", "credit" };
	const char *k;
	size_t i;

	if (!text || !amount)
		return -EINVAL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = strstr(text, keys[i]);
		if (k && first_number(text, k + strlen(keys[i]), amount))
			return 0;
	}
	return first_number(text, text, amount) ? 0 : -ENOENT;
}

struct alert {
	struct store *st;
	const struct config *cfg;
	const char *text;
	int64_t now;
	int sent;
};

static int member_cb(const struct store_member *m, void *data)
{
	struct alert *a = data;
	enum outq_verdict v;
	int rc;

	if (m->role != STORE_COMMITTEE)
		return 0;
	rc = outq_allowed(a->st, m->phone, a->now, &v);
	if (rc || v != OUTQ_ALLOWED)
		return rc;
	rc = outq_add(a->st, a->cfg, m->phone, a->text, STORE_OUT_ALERT, 0,
		      a->now, NULL);
	if (!rc)
		a->sent++;
	return rc;
}

static int household_cb(const struct store_household *h, void *data)
{
	struct alert *a = data;

	return store_household_members(a->st, h->id, member_cb, a);
}

int balance_alert(struct store *st, const struct config *cfg, double amount,
		  int64_t now, int *sent)
{
	struct alert a = { st, cfg, NULL, now, 0 };
	char text[200], detail[64];
	int rc;

	snprintf(text, sizeof(text), cfg->sms.language == CONFIG_LANG_EN ?
		 "Gateway SIM balance is %.2f, below %.2f: please top up the "
		 "SIM or SMS replies will stop." :
		 "积分网关SIM卡余额%.2f元,低于%.2f元,请及时充值,以免短信中断。",
		 amount, cfg->ussd.low_balance);
	a.text = text;
	rc = store_households_list(st, household_cb, &a);
	if (!rc) {
		snprintf(detail, sizeof(detail), "%.2f < %.2f, %d alerts",
			 amount, cfg->ussd.low_balance, a.sent);
		rc = store_audit(st, now, "gateway", "balance.low", detail);
	}
	if (sent)
		*sent = a.sent;
	return rc;
}
