/* SPDX-License-Identifier: MIT */
/*
 * fault.c - fault lists from the environment (and from a file on
 * SIGUSR2) armed on the store's and the port's fault hooks.  Only in
 * the fault build of jifend (-DJIFEN_FAULTS); see fault.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "jifend/fault.h"
#include "gateway/log.h"
#include "jifend/gw.h"
#include "modem/port.h"

#define FAULT_MAX_ITEMS	8
#define FAULT_FILE_MAX	1024

enum fault_hook { FAULT_STEP, FAULT_READ, FAULT_WRITE, FAULT_CLOCK };

struct fault_item {
	enum fault_hook hook;
	long n;
	int err;		/* enum store_fault for steps, errno for the port */
};

struct fault_name {
	const char *name;
	int value;
};

static const struct fault_name fault_sqlite_errs[] = {
	{ "ioerr", STORE_FAULT_IOERR },
	{ "busy", STORE_FAULT_BUSY },
	{ "full", STORE_FAULT_FULL },
	{ "locked", STORE_FAULT_LOCKED },
	{ "nomem", STORE_FAULT_NOMEM },
	{ "corrupt", STORE_FAULT_CORRUPT },
};

static const struct fault_name fault_port_errs[] = {
	{ "eio", EIO },
	{ "enodev", ENODEV },
	{ "epipe", EPIPE },
};

/* The SIGUSR2 source: one per process. */
static struct {
	struct store *st;
	int sigfd;
} fault_src = { NULL, -1 };

static bool fault_lookup(const struct fault_name *tab, size_t n,
			 const char *name, size_t len, int *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(tab[i].name) == len &&
		    strncmp(tab[i].name, name, len) == 0) {
			*out = tab[i].value;
			return true;
		}
	}
	return false;
}

/* One item "KIND:N:ERR" of @len bytes at @s. */
static int fault_parse_item(const char *s, size_t len, struct fault_item *it)
{
	const char *c1, *c2, *end = s + len;
	char num[24];
	char *stop;
	long n;

	c1 = memchr(s, ':', len);
	if (!c1)
		return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (!c2 || c2 == c1 + 1 || (size_t)(c2 - c1 - 1) >= sizeof(num) ||
	    memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
		return -EINVAL;
	memcpy(num, c1 + 1, (size_t)(c2 - c1 - 1));
	num[c2 - c1 - 1] = '\0';
	errno = 0;
	n = strtol(num, &stop, 10);
	if (errno || *stop || num[0] == '-' || num[0] == '+' || n < 0)
		return -EINVAL;
	it->n = n;
	if ((size_t)(c1 - s) == 4 && strncmp(s, "step", 4) == 0) {
		it->hook = FAULT_STEP;
		return fault_lookup(fault_sqlite_errs,
				    sizeof(fault_sqlite_errs) /
				    sizeof(fault_sqlite_errs[0]),
				    c2 + 1, (size_t)(end - c2 - 1),
				    &it->err) ? 0 : -EINVAL;
	}
	if ((size_t)(c1 - s) == 5 && strncmp(s, "clock", 5) == 0) {
		/* clock:SECONDS:ahead - the wall clock SECONDS ahead */
		it->hook = FAULT_CLOCK;
		return (size_t)(end - c2 - 1) == 5 &&
		       strncmp(c2 + 1, "ahead", 5) == 0 ? 0 : -EINVAL;
	}
	if ((size_t)(c1 - s) == 4 && strncmp(s, "read", 4) == 0)
		it->hook = FAULT_READ;
	else if ((size_t)(c1 - s) == 5 && strncmp(s, "write", 5) == 0)
		it->hook = FAULT_WRITE;
	else
		return -EINVAL;
	return fault_lookup(fault_port_errs,
			    sizeof(fault_port_errs) / sizeof(fault_port_errs[0]),
			    c2 + 1, (size_t)(end - c2 - 1), &it->err) ?
	       0 : -EINVAL;
}

/*
 * Parse and arm one fault list (the syntax in fault.h): every item is
 * parsed first, then all are armed.  0 or -EINVAL.
 */
static int fault_arm(struct store *st, const char *spec)
{
	struct fault_item items[FAULT_MAX_ITEMS];
	const char *p = spec, *comma;
	size_t n = 0, i, len;
	int rc;

	while (*p) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (n == FAULT_MAX_ITEMS) {
			log_err("fault: more than %d items in \"%s\"",
				FAULT_MAX_ITEMS, spec);
			return -EINVAL;
		}
		rc = fault_parse_item(p, len, &items[n]);
		if (rc) {
			log_err("fault: malformed item \"%.*s\" (want "
				"step|read|write:N:ERR or clock:N:ahead); "
				"nothing armed",
				(int)len, p);
			return rc;
		}
		n++;
		p += len;
		if (*p == ',')
			p++;
	}
	for (i = 0; i < n; i++) {
		switch (items[i].hook) {
		case FAULT_STEP:
			store_fault_after(st, items[i].n,
					  (enum store_fault)items[i].err);
			break;
		case FAULT_READ:
			port_fault_after(PORT_FAULT_READ, items[i].n,
					 items[i].err);
			break;
		case FAULT_WRITE:
			port_fault_after(PORT_FAULT_WRITE, items[i].n,
					 items[i].err);
			break;
		case FAULT_CLOCK:
			gw_fault_clock(items[i].n);
			break;
		}
	}
	if (n)
		log_notice("fault: armed %s (store steps so far %ld)", spec,
			   store_step_count(st));
	else
		log_notice("fault: nothing armed (store steps so far %ld)",
			   store_step_count(st));
	return 0;
}

/* Read $JIFEN_FAULT_FILE (whitespace trimmed) and arm it. */
static void fault_arm_file(void)
{
	const char *path = getenv("JIFEN_FAULT_FILE");
	char buf[FAULT_FILE_MAX];
	ssize_t n;
	size_t len;
	char *s;
	int fd;

	if (!path || !*path) {
		log_warn("fault: SIGUSR2 but JIFEN_FAULT_FILE is not set");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("fault: %s: %s", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_err("fault: %s: %s", path, strerror(errno));
		return;
	}
	buf[n] = '\0';
	s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
		       s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	fault_arm(fault_src.st, s);
}

static int fault_src_fd(void *data)
{
	(void)data;
	return fault_src.sigfd;
}

static short fault_src_events(void *data)
{
	(void)data;
	return POLLIN;
}

static void fault_src_dispatch(void *data, short revents, int64_t now)
{
	struct signalfd_siginfo si;
	bool got = false;

	(void)data;
	(void)revents;
	(void)now;
	while (read(fault_src.sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		got = true;
	if (got)
		fault_arm_file();
}

static const struct loop_source_ops fault_src_ops = {
	.fd = fault_src_fd,
	.events = fault_src_events,
	.dispatch = fault_src_dispatch,
};

/*
 * fault_init - arm $JIFEN_FAULT, then listen for SIGUSR2; see fault.h.
 */
int fault_init(struct store *st, struct loop *loop)
{
	const char *env = getenv("JIFEN_FAULT");
	sigset_t set;
	int rc = 0;

	fault_src.st = st;
	log_warn("fault: fault-injection build: not for production use");
	if (env && *env)
		rc = fault_arm(st, env);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fault_src.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fault_src.sigfd < 0) {
		rc = -errno;
		log_err("fault: signalfd: %s", strerror(-rc));
		return rc;
	}
	if (loop_add(loop, &fault_src_ops, NULL) < 0)
		return -ENOMEM;
	return rc;
}
