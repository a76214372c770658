/* SPDX-License-Identifier: MIT */
/*
 * status - reading the modem's status values.  See status.h.
 */
#include <stddef.h>

#include "storage/status.h"

int status_signal_dbm(long csq)
{
	return csq >= 0 && csq <= 31 ? -113 + 2 * (int)csq : 0;
}

const char *status_registration(long stat, const char **phrase)
{
	static const struct {
		const char *word, *phrase;
	} reg[] = {
		{ "not registered", "not registered, not searching" },
		{ "home", "registered, home network" },
		{ "searching", "searching" },
		{ "denied", "registration denied" },
		{ "unknown", "unknown" },
		{ "roaming", "registered, roaming" },
	};

	if (stat < 0 || stat >= (long)(sizeof(reg) / sizeof(reg[0])))
		return NULL;
	if (phrase)
		*phrase = reg[stat].phrase;
	return reg[stat].word;
}
