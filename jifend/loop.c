/* SPDX-License-Identifier: MIT */
/*
 * loop.c - one poll() loop over a handful of sources, deadline driven.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "jifend/loop.h"

#define LOOP_MAX_SOURCES 16

struct loop_source {
	const struct loop_source_ops *ops;
	void *data;
};

struct loop {
	struct loop_source src[LOOP_MAX_SOURCES];
	unsigned n;
	bool quit;
};

int64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	return calloc(1, sizeof(struct loop));
}

void loop_free(struct loop *loop)
{
	free(loop);
}

int loop_add(struct loop *loop, const struct loop_source_ops *ops,
	     void *data)
{
	if (loop->n == LOOP_MAX_SOURCES)
		return -ENOSPC;
	loop->src[loop->n].ops = ops;
	loop->src[loop->n].data = data;
	loop->n++;
	return 0;
}

void loop_quit(struct loop *loop)
{
	loop->quit = true;
}

/* Earliest deadline over all sources, or -1. */
static int64_t loop_deadline(const struct loop *loop)
{
	int64_t best = -1;
	unsigned i;

	for (i = 0; i < loop->n; i++) {
		const struct loop_source *s = &loop->src[i];
		int64_t d;

		if (!s->ops->deadline)
			continue;
		d = s->ops->deadline(s->data);
		if (d >= 0 && (best < 0 || d < best))
			best = d;
	}
	return best;
}

static void loop_run_timeouts(struct loop *loop, int64_t now)
{
	unsigned i;

	for (i = 0; i < loop->n && !loop->quit; i++) {
		const struct loop_source *s = &loop->src[i];
		int64_t d;

		if (!s->ops->deadline || !s->ops->timeout)
			continue;
		d = s->ops->deadline(s->data);
		if (d >= 0 && d <= now)
			s->ops->timeout(s->data, now);
	}
}

int loop_run(struct loop *loop)
{
	struct pollfd pfd[LOOP_MAX_SOURCES];
	int which[LOOP_MAX_SOURCES];

	loop->quit = false;
	while (!loop->quit) {
		int64_t deadline, now;
		int timeout, nfds = 0, rc, i;
		unsigned k;

		for (k = 0; k < loop->n; k++) {
			const struct loop_source *s = &loop->src[k];
			int fd = s->ops->fd ? s->ops->fd(s->data) : -1;

			if (fd < 0)
				continue;
			pfd[nfds].fd = fd;
			pfd[nfds].events = s->ops->events ?
				s->ops->events(s->data) : POLLIN;
			pfd[nfds].revents = 0;
			which[nfds++] = (int)k;
		}
		deadline = loop_deadline(loop);
		if (deadline < 0) {
			timeout = -1;
		} else {
			now = loop_now();
			if (deadline <= now)
				timeout = 0;
			else if (deadline - now > 86400000)
				timeout = 86400000;
			else
				timeout = (int)(deadline - now);
		}
		rc = poll(pfd, (nfds_t)nfds, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		now = loop_now();
		for (i = 0; i < nfds && !loop->quit; i++) {
			const struct loop_source *s = &loop->src[which[i]];

			if (pfd[i].revents && s->ops->dispatch)
				s->ops->dispatch(s->data, pfd[i].revents, now);
		}
		loop_run_timeouts(loop, loop_now());
		for (k = 0; k < loop->n && !loop->quit; k++) {
			const struct loop_source *s = &loop->src[k];

			if (s->ops->after_wake)
				s->ops->after_wake(s->data, now);
		}
	}
	return 0;
}
