/* SPDX-License-Identifier: MIT */
/*
 * transport - the libcurl back end.  See transport.h.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jifen-sync/transport.h"

struct sink {
	struct transport_resp *resp;
	size_t cap, max;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *data)
{
	struct sink *s = data;
	size_t add = size * n;
	char *nb;

	if (s->resp->len + add > s->max) {
		s->too_big = true;
		return 0;
	}
	if (s->resp->len + add + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;

		while (cap < s->resp->len + add + 1)
			cap *= 2;
		nb = realloc(s->resp->body, cap);
		if (!nb)
			return 0;
		s->resp->body = nb;
		s->cap = cap;
	}
	memcpy(s->resp->body + s->resp->len, p, add);
	s->resp->len += add;
	s->resp->body[s->resp->len] = '\0';
	return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *data)
{
	struct sink *s = data;
	size_t len = size * n;
	char line[256];
	char *v;

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	v = strchr(line, ':');
	if (!v)
		return len;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (!strcasecmp(line, "Date")) {
		time_t t = curl_getdate(v, NULL);

		s->resp->date = t > 0 ? (int64_t)t : 0;
	} else if (!strcasecmp(line, "Retry-After")) {
		char *end;
		long secs = strtol(v, &end, 10);

		if (end != v && secs >= 0 && secs < 86400 * 7) {
			s->resp->retry_after = secs;
		} else {
			time_t t = curl_getdate(v, NULL);

			if (t > 0 && t > time(NULL))
				s->resp->retry_after = (long)(t - time(NULL));
		}
	} else if (!strcasecmp(line, "Content-Type")) {
		snprintf(s->resp->content_type, sizeof(s->resp->content_type),
			 "%s", v);
	}
	return len;
}

static int curl_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static void curl_cleanup(void)
{
	curl_global_cleanup();
}

static int map_error(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return -EKEYREJECTED;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:	/* GOT_NOTHING, RECV_ERROR, SEND_ERROR, PARTIAL_FILE... */
		return -ECONNRESET;
	}
}

static int curl_post(const struct transport_req *req,
		     struct transport_resp *resp, char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "", auth[300], enc[64];
	struct curl_slist *h = NULL, *h2;
	struct sink s = { resp, 0, req->max_response, false };
	curl_off_t up = 0, down = 0;
	CURLcode c;
	CURL *cu;
	int rc = 0;

	memset(resp, 0, sizeof(*resp));
	cu = curl_easy_init();
	if (!cu) {
		snprintf(err, errlen, "libcurl: cannot start");
		return -ENOMEM;
	}
	h2 = curl_slist_append(h, "Content-Type: application/json");
	h = h2 ? h2 : h;
	h2 = curl_slist_append(h, "Accept: application/json");
	h = h2 ? h2 : h;
	h2 = curl_slist_append(h, "Expect:");
	h = h2 ? h2 : h;
	if (req->content_encoding) {
		snprintf(enc, sizeof(enc), "Content-Encoding: %s",
			 req->content_encoding);
		h2 = curl_slist_append(h, enc);
		h = h2 ? h2 : h;
	}
	if (req->token && *req->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
			 req->token);
		h2 = curl_slist_append(h, auth);
		h = h2 ? h2 : h;
	}
	curl_easy_setopt(cu, CURLOPT_URL, req->url);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_POST, 1L);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)req->len);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file && *req->ca_file)
		curl_easy_setopt(cu, CURLOPT_CAINFO, req->ca_file);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, req->connect_timeout_s);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, req->total_timeout_s);
	curl_easy_setopt(cu, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(cu, CURLOPT_LOW_SPEED_TIME, req->low_speed_time_s);
	curl_easy_setopt(cu, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "jifen-sync/1");
	/* the proxy comes from the environment (https_proxy, no_proxy):
	 * libcurl's default, nothing set here */
	c = curl_easy_perform(cu);
	curl_easy_getinfo(cu, CURLINFO_SIZE_UPLOAD_T, &up);
	curl_easy_getinfo(cu, CURLINFO_SIZE_DOWNLOAD_T, &down);
	{
		long hs = 0, rs = 0;

		curl_easy_getinfo(cu, CURLINFO_HEADER_SIZE, &hs);
		curl_easy_getinfo(cu, CURLINFO_REQUEST_SIZE, &rs);
		resp->bytes_up = (uint64_t)up + (uint64_t)rs;
		resp->bytes_down = (uint64_t)down + (uint64_t)hs;
	}
	if (s.too_big) {
		snprintf(err, errlen, "answer larger than %zu bytes",
			 req->max_response);
		rc = -EMSGSIZE;
	} else if (c != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf :
			 curl_easy_strerror(c));
		rc = map_error(c);
	} else {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &resp->status);
	}
	curl_easy_cleanup(cu);
	curl_slist_free_all(h);
	if (rc) {
		free(resp->body);
		resp->body = NULL;
		resp->len = 0;
	}
	return rc;
}

const struct transport_ops transport_curl = {
	.name = "libcurl",
	.init = curl_init,
	.cleanup = curl_cleanup,
	.post = curl_post,
};
