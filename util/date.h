/* SPDX-License-Identifier: MIT */
/*
 * date.h - calendar arithmetic shared by the PDU time stamps
 * (modem/pdu.c) and the sync protocol's ISO 8601 times
 * (jifen-sync/wire.c).
 *
 * A leaf: includes nothing of the project (see util/utf8.h).
 */
#ifndef JIFEN_UTIL_DATE_H
#define JIFEN_UTIL_DATE_H

#include <stdint.h>

/*
 * Days since 1970-01-01 of the proleptic Gregorian date @y-@m-@d (month
 * 1..12, day 1..31; not checked).  Negative before 1970.
 */
static inline int64_t date_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

#endif /* JIFEN_UTIL_DATE_H */
