/* SPDX-License-Identifier: MIT */
/*
 * ctl_review - jifenctl review.  See ctl_review.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/clockview.h"
#include "jifenctl/ctl_review.h"
#include "jifenctl/ctl_store.h"
#include "jifenctl/ctl_village.h"
#include "gateway/handlers.h"
#include "storage/village.h"

#define REASON_MAX 1024

static int usage(const char *why)
{
	fprintf(stderr, "jifenctl: review: %s (usage: review ID "
		"approve|reject [REASON])\n", why);
	return 2;
}

static void local_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "?");
}

int ctl_review(struct store *st, const struct config *cfg, int argc,
	       char **argv)
{
	struct handler_review_result *r = NULL;
	struct handler_ctx ctx;
	char reason[REASON_MAX] = "", until[40];
	enum store_decision d;
	long long no;
	size_t len = 0, l;
	int i, rc, ret = 1;

	if (argc < 3)
		return usage("ID and decision required");
	if (ctl_parse_no(argv[1], "#", &no))
		return usage("ID must be a record number");
	if (!strcmp(argv[2], "approve"))
		d = STORE_APPROVE;
	else if (!strcmp(argv[2], "reject"))
		d = STORE_REJECT;
	else
		return usage("decision must be approve or reject");
	for (i = 3; i < argc; i++) {
		l = strlen(argv[i]);
		if (len + l + 2 > sizeof(reason))
			return usage("reason too long");
		if (len)
			reason[len++] = ' ';
		memcpy(reason + len, argv[i], l);
		len += l;
		reason[len] = '\0';
	}
	if (d == STORE_REJECT && !reason[0])
		return usage("reject needs a reason");
	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "jifenctl: review: out of memory\n");
		return 1;
	}
	ctx.st = st;
	ctx.cfg = cfg;
	ctx.now = clockview_now(st);
	rc = store_begin(st);
	if (!rc) {
		rc = handler_review(&ctx, HANDLER_BY_CONSOLE, no, d,
				    reason[0] ? reason : NULL, NULL, r);
		if (rc)
			store_rollback(st);
		else
			rc = store_commit(st);
	}
	if (rc) {
		fprintf(stderr, "jifenctl: review #%lld: store error: %s\n",
			no, strerror(-rc));
		goto out;
	}
	switch (r->result) {
	case REPLY_REVIEW_DONE:
		if (d == STORE_APPROVE) {
			local_date(r->rec.notice_until, until, sizeof(until));
			printf("#%lld approved, in public notice until %s; "
			       "%d phone(s) notified\n", no, until,
			       r->notified);
		} else {
			printf("#%lld rejected; %d phone(s) notified\n", no,
			       r->notified);
		}
		ret = 0;
		break;
	case REPLY_REVIEW_ALREADY:
		printf("#%lld was already %s; nothing changed\n", no,
		       d == STORE_APPROVE ? "approved" : "rejected");
		ret = 0;
		break;
	case REPLY_REVIEW_CONFLICT:
		fprintf(stderr, "jifenctl: review #%lld: already %s, cannot "
			"be %s\n", no, store_rstatus_name(r->rec.status),
			d == STORE_APPROVE ? "approved" : "rejected");
		break;
	case REPLY_REVIEW_NOT_FOUND:
	default:
		fprintf(stderr, "jifenctl: review: no record #%lld\n", no);
		break;
	}
out:
	free(r);
	return ret;
}
