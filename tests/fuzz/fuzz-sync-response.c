/* SPDX-License-Identifier: MIT */
/*
 * fuzz-sync-response.c - libFuzzer target: jifen-sync's response parser
 * on arbitrary bytes (a hostile platform).  Whatever the input,
 * wire_parse_response() returns 0 with a response whose counts and
 * strings respect the documented bounds, or an error with a one-line
 * message; never a crash, hang or leak.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jifen-sync/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_response *r = NULL;
	char err[256];
	int rc, i, j;

	rc = wire_parse_response((const char *)data, size, &r, err,
				 sizeof(err));
	if (rc) {
		if (r || (rc != -EPROTO && rc != -EMSGSIZE && rc != -ENOMEM) ||
		    strchr(err, '\n'))
			abort();
		return 0;
	}
	if (!r || r->naccepted > WIRE_MAX_IDS || r->nrejected > WIRE_MAX_IDS ||
	    r->nchanges > WIRE_MAX_CHANGES ||
	    strlen(r->cursor) >= WIRE_CURSOR_MAX)
		abort();
	for (i = 0; i < r->naccepted; i++)
		if (!r->accepted[i][0] || strlen(r->accepted[i]) >= WIRE_ID_MAX)
			abort();
	for (i = 0; i < r->nchanges; i++) {
		const struct wire_change *c = &r->changes[i];

		if (c->type == WIRE_RECORD &&
		    (c->status < 0 || c->status > 3 || !c->id[0] ||
		     !c->household[0]))
			abort();
		if (c->type == WIRE_HOUSEHOLD) {
			if (c->nmembers > WIRE_MAX_MEMBERS)
				abort();
			for (j = 0; j < c->nmembers; j++)
				if (!c->members[j].phone[0])
					abort();
		}
		if (c->type == WIRE_POLICY &&
		    (c->policy.base_rate < 0 || c->policy.base_rate > 100))
			abort();
	}
	wire_response_free(r);
	return 0;
}
