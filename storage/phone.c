/* SPDX-License-Identifier: MIT */
/*
 * phone - pure phone number normalisation.  See phone.h.
 */
#include <errno.h>
#include <string.h>

#include "storage/phone.h"

#define DIGITS_MAX 20

static bool is_sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
	       c == '\t';
}

/* Strip separators; *plus set for a leading '+'.  -EINVAL on garbage. */
static int strip(const char *in, char *d, size_t dlen, bool *plus)
{
	size_t n = 0;
	const char *p = in;

	*plus = false;
	while (*p && is_sep(*p))
		p++;
	if (*p == '+') {
		*plus = true;
		p++;
	}
	for (; *p; p++) {
		if (is_sep(*p))
			continue;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (n + 1 >= dlen)
			return -EINVAL;
		d[n++] = *p;
	}
	d[n] = '\0';
	return n ? 0 : -EINVAL;
}

/* 11 digits, 1 then 3..9: a mainland mobile number. */
static bool is_cn_mobile(const char *d)
{
	return strlen(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

static int put(char *out, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > len)
		return -ENOSPC;
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return 0;
}

int phone_normalize(const char *in, char *out, size_t len)
{
	char d[DIGITS_MAX + 2];
	bool plus;
	size_t n;
	int rc;

	if (!in || !out || !len)
		return -EINVAL;
	rc = strip(in, d, sizeof(d), &plus);
	if (rc)
		return rc;
	if (!plus && d[0] == '0' && d[1] == '0') {
		plus = true;
		memmove(d, d + 2, strlen(d + 2) + 1);
	}
	n = strlen(d);
	if (plus) {
		if (n < 7 || n > 15)
			return -EINVAL;
		return put(out, len, "+", d);
	}
	if (is_cn_mobile(d))
		return put(out, len, "+86", d);
	if (n == 13 && d[0] == '8' && d[1] == '6' && is_cn_mobile(d + 2))
		return put(out, len, "+", d);
	return put(out, len, "", d);
}

bool phone_is_e164(const char *s)
{
	size_t n = 0;

	if (!s || *s++ != '+')
		return false;
	for (; *s; s++, n++)
		if (*s < '0' || *s > '9')
			return false;
	return n >= 7 && n <= 15;
}

bool phone_is_service(const char *s)
{
	char d[DIGITS_MAX + 2];
	const char *nat;
	bool plus;

	if (!s || strip(s, d, sizeof(d), &plus))
		return true;	/* not a number at all: alphanumeric sender */
	nat = d;
	if (!plus && d[0] == '0' && d[1] == '0') {
		plus = true;
		nat += 2;
	}
	if (plus) {
		if (nat[0] != '8' || nat[1] != '6')
			return strlen(nat) < 7;
		nat += 2;
	} else if (strlen(d) == 13 && d[0] == '8' && d[1] == '6' &&
		   is_cn_mobile(d + 2)) {
		nat += 2;
	}
	if (strlen(nat) < 7)
		return true;
	if (!strncmp(nat, "100", 3) || !strncmp(nat, "106", 3) ||
	    !strncmp(nat, "95", 2) || !strncmp(nat, "12", 2))
		return true;
	return false;
}
