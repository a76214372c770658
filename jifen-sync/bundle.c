/* SPDX-License-Identifier: MIT */
/*
 * bundle - the framing of sync bundles.  See bundle.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jifen-sync/bundle.h"

#define MAGIC "JIFEN-BUNDLE/1 "

int bundle_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bundle_write(const char *path, const struct bundle *b, char *err,
		 size_t errlen)
{
	char tmp[4096], hdr[1024], sha[65];
	int fd, rc, n;

	rc = bundle_sha256_hex(b->body, b->len, sha);
	if (rc)
		return rc;
	n = snprintf(hdr, sizeof(hdr),
		     MAGIC "%s\nvillage: %s\ngateway: %s\nbundle: %s\n"
		     "%s%s%ssha256: %s\nlength: %zu\n\n", b->kind, b->village,
		     b->gateway, b->id, b->in_reply_to[0] ? "in-reply-to: " :
		     "", b->in_reply_to, b->in_reply_to[0] ? "\n" : "", sha,
		     b->len);
	if (n < 0 || (size_t)n >= sizeof(hdr) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: name too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return rc;
	}
	rc = write_all(fd, hdr, (size_t)n);
	if (!rc)
		rc = write_all(fd, b->body, b->len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	return rc;
}

/* Next header line "KEY: value" at *P (before END) into VAL. */
static int header(char **p, const char *end, const char *key, char *val,
		  size_t size, bool optional)
{
	size_t kl = strlen(key), n;
	char *nl;

	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl || (size_t)(nl - *p) <= kl + 2 || strncmp(*p, key, kl) ||
	    (*p)[kl] != ':' || (*p)[kl + 1] != ' ')
		return optional ? 1 : -EINVAL;
	n = (size_t)(nl - (*p + kl + 2));
	if (n == 0 || n >= size)
		return -EINVAL;
	memcpy(val, *p + kl + 2, n);
	val[n] = '\0';
	if (strchr(val, '\r') || strchr(val, '\0') != val + n)
		return -EINVAL;
	*p = nl + 1;
	return 0;
}

int bundle_read(const char *path, struct bundle *b, char *err,
		size_t errlen)
{
	char sha[BUNDLE_FIELD_MAX], len_s[32], got[65], *buf = NULL, *p, *end;
	unsigned long long want;
	struct stat sb;
	size_t size = 0;
	ssize_t r;
	int fd, rc = -EINVAL;

	memset(b, 0, sizeof(*b));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)BUNDLE_MAX_SIZE) {
		close(fd);
		snprintf(err, errlen, "%s: not a bundle (not a regular file "
			 "of at most %u bytes)", path, BUNDLE_MAX_SIZE);
		return -EINVAL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (size < (size_t)sb.st_size) {
		r = read(fd, buf + size, (size_t)sb.st_size - size);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size += (size_t)r;
	}
	close(fd);
	buf[size] = '\0';
	p = buf;
	end = buf + size;
	if (size < sizeof(MAGIC) || strncmp(p, MAGIC, strlen(MAGIC))) {
		snprintf(err, errlen, "%s: not a Jifen sync bundle", path);
		goto out;
	}
	p += strlen(MAGIC);
	{
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || nl - p >= (long)sizeof(b->kind) || nl == p)
			goto bad;
		memcpy(b->kind, p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (header(&p, end, "village", b->village, sizeof(b->village), false) ||
	    header(&p, end, "gateway", b->gateway, sizeof(b->gateway), false) ||
	    header(&p, end, "bundle", b->id, sizeof(b->id), false) ||
	    header(&p, end, "in-reply-to", b->in_reply_to,
		   sizeof(b->in_reply_to), true) < 0 ||
	    header(&p, end, "sha256", sha, sizeof(sha), false) ||
	    header(&p, end, "length", len_s, sizeof(len_s), false) ||
	    p >= end || *p != '\n')
		goto bad;
	p++;
	want = strtoull(len_s, NULL, 10);
	if ((size_t)(end - p) != want) {
		snprintf(err, errlen, "%s: truncated or padded (%zu body bytes, "
			 "the header says %llu)", path, (size_t)(end - p),
			 want);
		goto out;
	}
	rc = bundle_sha256_hex(p, want, got);
	if (rc)
		goto out;
	rc = -EINVAL;
	if (strcmp(got, sha)) {
		snprintf(err, errlen, "%s: altered (SHA-256 does not match)",
			 path);
		goto out;
	}
	b->len = want;
	memmove(buf, p, want);
	buf[want] = '\0';
	b->body = buf;
	buf = NULL;
	rc = 0;
	goto out;
bad:
	snprintf(err, errlen, "%s: damaged bundle header", path);
out:
	free(buf);
	return rc;
}

void bundle_free(struct bundle *b)
{
	free(b->body);
	b->body = NULL;
}
