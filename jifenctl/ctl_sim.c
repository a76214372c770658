/* SPDX-License-Identifier: MIT */
/*
 * ctl_sim.c - "jifenctl sim send|status": a client of the simulator's
 * control socket (one JSON object per line each way, see
 * docs/SIMULATOR.md).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "jifenctl/ctl_sim.h"
#include "storage/phone.h"

#define SIM_DEFAULT_WAIT	20
#define SIM_MAX_REPLY		(64 * 1024 * 1024)
#define SIM_IO_TIMEOUT_MS	10000

struct sim_conn {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sim_connect(struct sim_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

static void sim_close(struct sim_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

/*
 * Send @req (consumed) and wait up to @timeout_ms for one reply line.
 * Returns the parsed reply (caller frees) or NULL with *@err set.
 */
static cJSON *sim_call(struct sim_conn *c, cJSON *req, int timeout_ms,
		       const char **err)
{
	char *txt = cJSON_PrintUnformatted(req);
	long long end = mono_ms() + timeout_ms;
	size_t off = 0, n;
	char *nl;
	cJSON *reply;

	cJSON_Delete(req);
	if (!txt) {
		*err = "out of memory";
		return NULL;
	}
	n = strlen(txt);
	txt[n++] = '\n';	/* replaces the NUL; length tracked */
	while (off < n) {
		ssize_t w = send(c->fd, txt + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			free(txt);
			*err = strerror(errno);
			return NULL;
		}
		off += (size_t)w;
	}
	free(txt);
	while (!(nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL)) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left = end - mono_ms();
		ssize_t r;

		if (left <= 0) {
			*err = "simulator did not answer";
			return NULL;
		}
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			*err = strerror(errno);
			return NULL;
		}
		if (!pfd.revents)
			continue;
		if (c->len + 65536 + 1 > c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 65536 * 2;
			char *nb;

			if (nc > SIM_MAX_REPLY) {
				*err = "reply too long";
				return NULL;
			}
			nb = realloc(c->buf, nc);
			if (!nb) {
				*err = "out of memory";
				return NULL;
			}
			c->buf = nb;
			c->cap = nc;
		}
		r = recv(c->fd, c->buf + c->len, 65536, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*err = r < 0 ? strerror(errno) : "simulator closed the "
							 "connection";
			return NULL;
		}
		c->len += (size_t)r;
	}
	reply = cJSON_ParseWithLength(c->buf, (size_t)(nl - c->buf));
	n = (size_t)(nl - c->buf) + 1;
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	if (!reply || !cJSON_IsObject(reply)) {
		cJSON_Delete(reply);
		*err = "malformed reply from the simulator";
		return NULL;
	}
	return reply;
}

static bool reply_ok(cJSON *reply, const char **err)
{
	cJSON *e;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")))
		return true;
	e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	*err = cJSON_IsString(e) ? e->valuestring : "request failed";
	return false;
}

/*
 * 13800000001 -> +8613800000001 (phone_normalize, as the daemon does);
 * the daemon answers the number as sent.
 */
static void norm_number(const char *in, char *out, size_t size)
{
	if (phone_normalize(in, out, size) < 0)
		snprintf(out, size, "%s", in);
}

static bool valid_number(const char *s)
{
	if (*s == '+')
		s++;
	if (!*s || strlen(s) > 20)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int open_sim(const char *device, const char *what, struct sim_conn *c)
{
	char path[4096];
	int r;

	if (!device || !*device) {
		fprintf(stderr, "jifenctl: sim %s: no modem.device configured\n",
			what);
		return 1;
	}
	snprintf(path, sizeof(path), "%s.ctl", device);
	r = sim_connect(c, path);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "jifenctl: sim %s: simulator not running "
			"(no %s)\n", what, path);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "jifenctl: sim %s: %s: %s\n", what, path,
			strerror(-r));
		return 1;
	}
	return 0;
}

static void sim_usage(FILE *f)
{
	fputs("usage: jifenctl sim send [--wait SECONDS] NUMBER TEXT\n"
	      "       jifenctl sim status\n", f);
}

static int sim_send(const char *device, int argc, char **argv)
{
	struct sim_conn c;
	char number[64];
	const char *err = NULL, *text;
	long wait_s = SIM_DEFAULT_WAIT;
	int i = 1, rc = 1;
	double have;
	cJSON *req, *reply = NULL, *v, *list, *msg;

	while (i < argc && !strncmp(argv[i], "--", 2)) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--wait") && i + 1 < argc) {
			char *end;

			errno = 0;
			wait_s = strtol(argv[i + 1], &end, 10);
			if (errno || *end || end == argv[i + 1] || wait_s < 1 ||
			    wait_s > 3600) {
				fprintf(stderr, "jifenctl: sim send: --wait "
					"needs 1..3600 seconds\n");
				return 2;
			}
			i += 2;
			continue;
		}
		fprintf(stderr, "jifenctl: sim send: unknown option '%s'\n",
			argv[i]);
		sim_usage(stderr);
		return 2;
	}
	if (argc - i != 2) {
		sim_usage(stderr);
		return 2;
	}
	if (!valid_number(argv[i])) {
		fprintf(stderr, "jifenctl: sim send: bad number '%s'\n",
			argv[i]);
		return 2;
	}
	norm_number(argv[i], number, sizeof(number));
	text = argv[i + 1];
	if (open_sim(device, "send", &c))
		return 1;

	/* how many replies to this number exist already */
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "sent");
	cJSON_AddStringToObject(req, "to", number);
	reply = sim_call(&c, req, SIM_IO_TIMEOUT_MS, &err);
	if (!reply || !reply_ok(reply, &err))
		goto fail;
	v = cJSON_GetObjectItemCaseSensitive(reply, "complete");
	have = cJSON_IsNumber(v) ? v->valuedouble : 0;
	cJSON_Delete(reply);

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "deliver");
	cJSON_AddStringToObject(req, "from", number);
	cJSON_AddStringToObject(req, "text", text);
	reply = sim_call(&c, req, SIM_IO_TIMEOUT_MS, &err);
	if (!reply || !reply_ok(reply, &err))
		goto fail;
	cJSON_Delete(reply);

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "wait_sent");
	cJSON_AddStringToObject(req, "to", number);
	cJSON_AddNumberToObject(req, "count", have + 1);
	cJSON_AddNumberToObject(req, "timeout_ms", wait_s * 1000.0);
	reply = sim_call(&c, req, (int)wait_s * 1000 + SIM_IO_TIMEOUT_MS,
			 &err);
	if (!reply)
		goto fail;
	if (!reply_ok(reply, &err)) {
		if (!strcmp(err, "timeout"))
			fprintf(stderr, "jifenctl: sim send: no reply within "
				"%ld s\n", wait_s);
		else
			fprintf(stderr, "jifenctl: sim send: %s\n", err);
		goto out;
	}
	list = cJSON_GetObjectItemCaseSensitive(reply, "sent");
	msg = cJSON_GetArrayItem(list, (int)have);
	v = cJSON_GetObjectItemCaseSensitive(msg, "text");
	if (!cJSON_IsString(v)) {
		err = "malformed reply from the simulator";
		goto fail;
	}
	printf("%s\n", v->valuestring);
	rc = fflush(stdout) ? 1 : 0;
	goto out;
fail:
	fprintf(stderr, "jifenctl: sim send: %s\n", err ? err : "failed");
out:
	cJSON_Delete(reply);
	sim_close(&c);
	return rc;
}

static const char *str_or(cJSON *obj, const char *key)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(obj, key));

	return v ? v : "?";
}

static int sim_status(const char *device, int argc)
{
	static const char *const stat_names[] = { "unread", "read", "unsent",
						  "sent" };
	struct sim_conn c;
	const char *err = NULL;
	cJSON *req, *reply, *slots, *sl;
	int rc = 1;

	if (argc != 2) {
		sim_usage(stderr);
		return 2;
	}
	if (open_sim(device, "status", &c))
		return 1;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "sim");
	reply = sim_call(&c, req, SIM_IO_TIMEOUT_MS, &err);
	if (!reply || !reply_ok(reply, &err)) {
		fprintf(stderr, "jifenctl: sim status: %s\n", err);
		goto out;
	}
	printf("sim %s device %s pin %s: %d/%d used, %d pending, slots",
	       str_or(reply, "profile"), str_or(reply, "device"),
	       str_or(reply, "pin_state"),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(reply, "used")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(reply, "capacity")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(reply, "pending")));
	slots = cJSON_GetObjectItemCaseSensitive(reply, "slots");
	if (!cJSON_GetArraySize(slots))
		fputs(" none", stdout);
	cJSON_ArrayForEach(sl, slots) {
		int idx = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sl, "index"));
		int st = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(sl, "stat"));

		printf(" %d:%s", idx, st >= 0 && st <= 3 ? stat_names[st] : "?");
	}
	putchar('\n');
	rc = fflush(stdout) ? 1 : 0;
out:
	cJSON_Delete(reply);
	sim_close(&c);
	return rc;
}

/* See ctl_sim.h. */
int ctl_sim(const char *device, int argc, char **argv)
{
	if (argc < 2) {
		sim_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		sim_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "send"))
		return sim_send(device, argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return sim_status(device, argc);
	fprintf(stderr, "jifenctl: sim: unknown subcommand '%s'\n", argv[1]);
	sim_usage(stderr);
	return 2;
}
