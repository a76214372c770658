/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_TRANSPORT_H
#define JIFEN_SYNC_TRANSPORT_H
/*
 * transport - one HTTP POST to the platform, behind an ops table
 * (STYLE 10): transport_curl is libcurl (HTTPS with verification,
 * sync.ca_file, proxy from the environment, timeouts); tests may plug
 * in another back end.  The run (run.c) knows nothing of libcurl.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct transport_req {
	const char *url;		/* full URL */
	const char *token;		/* Bearer token, NULL: none */
	const char *ca_file;		/* NULL or "": system CAs */
	const char *content_encoding;	/* "gzip" or NULL */
	const void *body;
	size_t len;
	long connect_timeout_s;
	long total_timeout_s;
	long low_speed_time_s;		/* abort below 1 byte/s for this */
	size_t max_response;		/* decoded bytes; more: -EMSGSIZE */
};

struct transport_resp {
	long status;			/* HTTP status */
	char *body;			/* NUL-terminated, free() */
	size_t len;
	char content_type[128];
	int64_t date;			/* server Date (Unix s), 0 if none */
	long retry_after;		/* seconds, 0 if none */
	uint64_t bytes_up, bytes_down;	/* on the wire, headers included */
};

/*
 * post: send REQ, fill RESP (the caller frees resp->body; zeroed
 * first).  Returns 0 when an HTTP answer arrived (any status), or
 * -ETIMEDOUT (connect, total or low-speed timeout), -ECONNREFUSED /
 * -ECONNRESET / -EHOSTUNREACH (no server, broken connection, truncated
 * answer), -EMSGSIZE (answer over max_response), -EKEYREJECTED (TLS or
 * certificate failure), -EINVAL (bad URL or options), -ENOMEM; ERR gets
 * one line.
 */
struct transport_ops {
	const char *name;
	int (*init)(void);
	void (*cleanup)(void);
	int (*post)(const struct transport_req *req,
		    struct transport_resp *resp, char *err, size_t errlen);
};

extern const struct transport_ops transport_curl;

#endif
