/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_BUNDLE_H
#define JIFEN_SYNC_BUNDLE_H
/*
 * bundle - the file framing of sync by USB stick (SPEC section 7,
 * docs/SYNC.md): a few "key: value" header lines and the JSON body,
 *
 *   JIFEN-BUNDLE/1 request|response
 *   village: 510681-sanshui-youyi
 *   gateway: 1b4e28ba-2fa1-11d2-883f-0016d3cca427
 *   bundle: <a fresh UUID>
 *   in-reply-to: <the request's bundle id>      (responses)
 *   sha256: <hex SHA-256 of the body bytes>
 *   length: <body length in bytes>
 *   <empty line>
 *   <body: a sync request or response, JSON>
 *
 * so a truncated or altered file is detected before anything is read
 * from its body.  Reading checks the framing, the length and the hash;
 * the caller checks the village, gateway and bundle id.
 */
#include <stddef.h>

#define BUNDLE_MAX_SIZE (16u << 20)
#define BUNDLE_FIELD_MAX 128

struct bundle {
	char kind[16];				/* request, response */
	char village[BUNDLE_FIELD_MAX];
	char gateway[BUNDLE_FIELD_MAX];
	char id[BUNDLE_FIELD_MAX];
	char in_reply_to[BUNDLE_FIELD_MAX];	/* "" if none */
	char *body;				/* NUL-terminated, owned */
	size_t len;
};

/* Lower-case hex SHA-256 of DATA (OUT: 65 bytes).  0 or -ENOMEM. */
int bundle_sha256_hex(const void *data, size_t len, char out[65]);

/*
 * Write B (body B->body, B->len) to PATH atomically (a temporary file,
 * fsync, rename).  0 or -errno with ERR set.
 */
int bundle_write(const char *path, const struct bundle *b, char *err,
		 size_t errlen);

/*
 * Read and check PATH: framing, every header present, length exact,
 * SHA-256 matching.  0 with *B filled (bundle_free), or -EINVAL
 * (refused: ERR says why in one line) or another -errno.
 */
int bundle_read(const char *path, struct bundle *b, char *err,
		size_t errlen);
void bundle_free(struct bundle *b);

#endif
