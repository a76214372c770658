/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim - a GSM/4G modem simulator on a pseudo-terminal.
 *
 * The daemon under test opens the pty like a serial modem and talks
 * AT (27.007, 27.005 PDU mode) to it.  Tests drive the "network" side
 * through a Unix control socket (PATH.ctl, one JSON object per line).
 * Everything runs in one ppoll() loop with deadline timers; the only
 * waits are deadlines.  See docs/SIMULATOR.md for the behaviour and
 * every quirk of the profiles.
 *
 * This file: arguments, the pty, deadline events, line output, the modem
 * life cycle and the loop.  modemsim_priv.h maps the other files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "modemsim_priv.h"
#include "util/cli.h"

static volatile sig_atomic_t quit_flag;

/* ------------------------------------------------------------------ */
/* small helpers                                                        */

int64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Next pseudo-random number: xorshift64*, reproducible with --seed. */
uint32_t sim_rand(struct sim *s)
{
	/* xorshift64*: reproducible with --seed */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 2685821657736338717ULL) >> 32);
}

/* With --trace: one line of modem traffic on stderr, escaped. */
void sim_trace(struct sim *s, char dir, const char *p, size_t n)
{
	size_t i;

	if (!s->trace)
		return;
	fprintf(stderr, "modemsim %c ", dir);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\n')
			fputs("\\n", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('\n', stderr);
}

/* True when @s starts with @prefix, ignoring case. */
bool sim_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* strdup that exits on out-of-memory (a test tool may). */
char *sim_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		fputs("jifen-modemsim: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* Parse a whole decimal integer; false on anything else. */
bool sim_parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/*
 * Normalise a phone number for matching: 11-digit Chinese mobile
 * numbers and 86-prefixed ones become +86...; others stay as they are.
 */
void sim_norm_number(const char *in, char *out, size_t size)
{
	if (phone_normalize(in, out, size) < 0)
		snprintf(out, size, "%s", in);
}

/* True when the @n characters of @s are all hex digits. */
bool sim_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* TPDU length of a hex PDU that starts with the SMSC field. */
size_t sim_tpdu_len(const char *hex)
{
	size_t octets = strlen(hex) / 2;
	size_t sc;

	if (octets < 1)
		return 0;
	sc = hex_val(hex[0]) * 16 + hex_val(hex[1]);
	if (1 + sc > octets)
		return octets;
	return octets - 1 - sc;
}

/* ------------------------------------------------------------------ */
/* events (deadline timers)                                             */

struct event *sim_ev_add(struct sim *s, int64_t due, enum ev_kind kind)
{
	struct event *e, **pp;

	if (s->n_events >= MAX_EVENTS)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->due = due;
	e->kind = kind;
	e->seq = s->ev_seq++;
	e->gen = s->gen;
	/* stable: after every event due at the same time or earlier */
	for (pp = &s->events; *pp && (*pp)->due <= due; pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	s->n_events++;
	return e;
}

static void sim_ev_free(struct event *e)
{
	free(e->data);
	free(e);
}

/* True when an event of @kind is queued. */
bool sim_ev_pending(struct sim *s, enum ev_kind kind)
{
	struct event *e;

	for (e = s->events; e; e = e->next)
		if (e->kind == kind)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* modem line output                                                    */

void sim_out_raw(struct sim *s, const char *p, size_t n)
{
	if (s->master < 0)
		return;
	if (!buf_add(&s->outq, p, n, MAX_OUTQ))
		s->out_dropped++;
}

/* Queue @b for the line now, or after @delay ms keeping reply order. */
void sim_out_later(struct sim *s, struct buf *b, int delay)
{
	int64_t now = sim_now_ms();
	int64_t due = now + (delay > 0 ? delay : 0);
	struct event *e;

	if (!b->len)
		return;
	if (due < s->last_reply_due)
		due = s->last_reply_due;
	if (due <= now && !sim_ev_pending(s, EV_OUT)) {
		sim_out_raw(s, b->p, b->len);
		return;
	}
	s->last_reply_due = due;
	e = sim_ev_add(s, due, EV_OUT);
	if (!e)
		return;
	e->data = malloc(b->len);
	if (!e->data)
		return;
	memcpy(e->data, b->p, b->len);
	e->len = b->len;
}

/* An unsolicited line goes out at once, even before a delayed reply. */
void sim_urc(struct sim *s, const char *line)
{
	struct buf b = { 0 };

	buf_printf(&b, "\r\n%s\r\n", line);
	sim_out_raw(s, b.p, b.len);
	buf_free(&b);
}

/* An unsolicited line caused by a command: after that command's reply. */
void sim_urc_after_reply(struct sim *s, const char *line)
{
	struct buf b = { 0 };

	buf_printf(&b, "\r\n%s\r\n", line);
	sim_out_later(s, &b, 0);
	buf_free(&b);
}
/* ------------------------------------------------------------------ */
/* modem life cycle                                                     */

void sim_settings_reset(struct sim *s)
{
	s->echo = true;
	s->cmee = 0;
	s->cmgf = 0;
	snprintf(s->cscs, sizeof(s->cscs), "%s", s->prof->cscs_default);
	memset(s->cnmi, 0, sizeof(s->cnmi));
	s->creg_n = 0;
	s->cops_format = 0;
	s->curc = true;
	s->ctzu = 0;
	s->cmt_unacked = false;
	s->entry = false;
	s->line_len = 0;
	s->line_overflow = false;
}

static void sim_emit_lines(struct sim *s, const char *const *lines, int delay)
{
	struct buf b = { 0 };

	for (; *lines; lines++) {
		if (!strcmp(*lines, "@CPIN"))
			buf_printf(&b, "\r\n+CPIN: %s\r\n",
				   s->pin_state == PIN_READY ? "READY" :
				   s->pin_state == PIN_NEED_PIN ? "SIM PIN" :
				   s->pin_state == PIN_NEED_PUK ? "SIM PUK" :
				   "NOT READY");
		else
			buf_printf(&b, "\r\n%s\r\n", *lines);
	}
	sim_out_later(s, &b, delay);
	buf_free(&b);
}

/* The SIM was just unlocked: ready lines, +CREG, deliver what waits. */
void sim_became_ready(struct sim *s)
{
	sim_emit_lines(s, s->prof->ready, 0);
	if (s->creg_n >= 1 && net_up(s))
		sim_urc_after_reply(s, s->creg_n == 2 ?
				"+CREG: 1,\"2A3B\",\"01C4F5E\"" : "+CREG: 1");
	net_schedule_flush(s);
}

/* Power-up: settings lost, SIM locked again if it has a PIN. */
void sim_boot(struct sim *s)
{
	sim_settings_reset(s);
	if (s->pin_state == PIN_READY && s->has_pin)
		s->pin_state = PIN_NEED_PIN;
	sim_emit_lines(s, s->prof->boot, 100);
	if (net_sim_ready(s))
		sim_emit_lines(s, s->prof->ready, 200);
	net_schedule_flush(s);
}

static int sim_pty_open(struct sim *s, const char *avoid)
{
	int m, sl, m2 = -1;
	struct termios tio;
	const char *name;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) || unlockpt(m) || !(name = ptsname(m)))
		goto fail;
	if (avoid && !strcmp(name, avoid)) {
		/* hold this one so the next gets another number */
		m2 = m;
		m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (m < 0) {
			m = m2;
			m2 = -1;
			goto fail;
		}
		if (grantpt(m) || unlockpt(m) || !(name = ptsname(m)))
			goto fail;
	}
	snprintf(s->pts, sizeof(s->pts), "%s", name);
	sl = open(s->pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (sl < 0)
		goto fail;
	if (tcgetattr(sl, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tio.c_cflag |= CLOCAL | CREAD;
		tcsetattr(sl, TCSANOW, &tio);
	}
	if (m2 >= 0)
		close(m2);
	s->master = m;
	s->slave = sl;
	s->gen++;
	return 0;
fail:
	{
		int e = errno ? errno : EIO;

		close(m);
		if (m2 >= 0)
			close(m2);
		return -e;
	}
}

static int sim_link_point(struct sim *s)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", s->link, (long)getpid());
	unlink(tmp);
	if (symlink(s->pts, tmp) < 0)
		return -errno;
	if (rename(tmp, s->link) < 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

static void sim_pty_close(struct sim *s)
{
	if (s->master >= 0)
		close(s->master);
	if (s->slave >= 0)
		close(s->slave);
	s->master = s->slave = -1;
	s->outq.len = 0;
}

/* USB re-plug: the line goes away, comes back later under a new name. */
void sim_hangup(struct sim *s, int delay)
{
	struct event **pp = &s->events;
	struct event *e;
	char old[64];

	snprintf(old, sizeof(old), "%s", s->pts);
	/* drop queued output of the old line */
	while ((e = *pp)) {
		if (e->kind == EV_OUT || e->kind == EV_REBOOT) {
			*pp = e->next;
			sim_ev_free(e);
			s->n_events--;
		} else {
			pp = &e->next;
		}
	}
	s->last_reply_due = 0;
	sim_pty_close(s);
	unlink(s->link);
	if (s->trace)
		fprintf(stderr, "modemsim: hang-up of %s\n", old);
	e = sim_ev_add(s, sim_now_ms() + (delay > 0 ? delay : 0), EV_REOPEN);
	if (e)
		e->data = sim_strdup(old);
}

static void sim_reopen(struct sim *s, const char *old)
{
	int r = sim_pty_open(s, old);

	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: reopen pty: %s\n",
			strerror(-r));
		sim_ev_add(s, sim_now_ms() + 1000, EV_REOPEN);
		return;
	}
	r = sim_link_point(s);
	if (r < 0)
		fprintf(stderr, "jifen-modemsim: link %s: %s\n", s->link,
			strerror(-r));
	if (s->trace)
		fprintf(stderr, "modemsim: back as %s\n", s->pts);
	sim_boot(s);
}

/* ------------------------------------------------------------------ */
/* the loop                                                             */

static void sim_run_event(struct sim *s, struct event *e)
{
	switch (e->kind) {
	case EV_OUT:
		if (e->gen == s->gen)
			sim_out_raw(s, e->data, e->len);
		break;
	case EV_FLUSH_PENDING:
		net_flush(s);
		break;
	case EV_STATUS_REPORT:
		net_status_report(s, e->data, e->arg);
		break;
	case EV_REOPEN:
		sim_reopen(s, e->data);
		break;
	case EV_REBOOT:
		sim_boot(s);
		break;
	case EV_NOISE:
		if (s->master >= 0 && s->curc) {
			char line[64];

			switch (sim_rand(s) % 4) {
			case 0:
				snprintf(line, sizeof(line), "^RSSI: %d",
					 s->signal);
				break;
			case 1:
				snprintf(line, sizeof(line), "^MODE: 5,4");
				break;
			case 2:
				snprintf(line, sizeof(line),
					 "^BOOT:%u,0,0,0,72",
					 10000000 + sim_rand(s) % 89999999);
				break;
			default:
				snprintf(line, sizeof(line), "^SRVST: %d",
					 net_up(s) ? 2 : 0);
				break;
			}
			sim_urc(s, line);
		}
		sim_ev_add(s, sim_now_ms() + 2000 + sim_rand(s) % 8000, EV_NOISE);
		break;
	case EV_CTL_TIMEOUT:
		ctl_wait_timeout(s, (unsigned)e->arg);
		break;
	}
}

static void sim_run_due_events(struct sim *s)
{
	int64_t now = sim_now_ms();

	while (s->events && s->events->due <= now) {
		struct event *e = s->events;

		s->events = e->next;
		s->n_events--;
		sim_run_event(s, e);
		sim_ev_free(e);
	}
	if (s->last_reply_due <= now && !sim_ev_pending(s, EV_OUT))
		s->last_reply_due = 0;
}

static void sim_master_write(struct sim *s)
{
	while (s->outq.len && s->master >= 0) {
		ssize_t w = write(s->master, s->outq.p, s->outq.len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				s->outq.len = 0;	/* EIO: nobody there */
			return;
		}
		sim_trace(s, '<', s->outq.p, (size_t)w);
		buf_consume(&s->outq, (size_t)w);
	}
}

static void sim_master_read(struct sim *s)
{
	char tmp[4096];

	for (;;) {
		ssize_t n = read(s->master, tmp, sizeof(tmp));

		if (n > 0) {
			cmd_input(s, tmp, (size_t)n);
			if (s->master < 0)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return;		/* EAGAIN, or EIO: never fatal */
	}
}

static void sim_on_signal(int sig)
{
	(void)sig;
	quit_flag = 1;
}

static int sim_loop(struct sim *s)
{
	struct pollfd pfd[2 + MAX_CLIENTS];
	int map[MAX_CLIENTS];
	sigset_t empty;

	sigemptyset(&empty);
	while (!quit_flag) {
		struct timespec ts, *tp = NULL;
		int nfd = 0, i, nc = 0, r;
		int master_i = -1;

		sim_run_due_events(s);
		sim_master_write(s);
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];

			if (!c)
				continue;
			ctl_client_flush(c);
			if (c->closing && !c->out.len && !c->waiting)
				ctl_client_close(s, i);
		}
		if (s->events) {
			int64_t d = s->events->due - sim_now_ms();

			if (d < 0)
				d = 0;
			ts.tv_sec = d / 1000;
			ts.tv_nsec = (d % 1000) * 1000000;
			tp = &ts;
		}
		pfd[nfd].fd = s->listen_fd;
		pfd[nfd++].events = POLLIN;
		if (s->master >= 0) {
			master_i = nfd;
			pfd[nfd].fd = s->master;
			pfd[nfd++].events = POLLIN | (s->outq.len ? POLLOUT : 0);
		}
		for (i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = s->clients[i];

			/* a half-closed client waiting for wait_sent is not
			 * polled: its POLLHUP would wake the loop forever */
			if (!c || (c->closing && !c->out.len))
				continue;
			map[nc++] = i;
			pfd[nfd].fd = c->fd;
			pfd[nfd++].events = (c->closing ? 0 : POLLIN) |
					    (c->out.len ? POLLOUT : 0);
		}
		r = ppoll(pfd, nfd, tp, &empty);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			perror("jifen-modemsim: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			ctl_accept(s);
		if (master_i >= 0 && s->master >= 0) {
			if (pfd[master_i].revents & (POLLIN | POLLHUP | POLLERR))
				sim_master_read(s);
			if (s->master >= 0 && (pfd[master_i].revents & POLLOUT))
				sim_master_write(s);
		}
		for (i = 0; i < nc; i++) {
			struct pollfd *pf = &pfd[(master_i >= 0 ? 2 : 1) + i];
			struct client *c = s->clients[map[i]];

			if (!c || c->fd != pf->fd)
				continue;
			if (!c->closing &&
			    (pf->revents & (POLLIN | POLLHUP | POLLERR)))
				ctl_client_read(s, c);
			if (pf->revents & (POLLOUT | POLLHUP | POLLERR))
				ctl_client_flush(c);
		}
	}
	return 0;
}

static void sim_usage(FILE *f)
{
	fputs("usage: jifen-modemsim --link PATH [--profile generic|huawei|"
	      "simcom|quectel]\n"
	      "       [--capacity N] [--pin 1234] [--puk 12345678]\n"
	      "       [--own-number +8613900000000] [--delay-ms N] [--seed N]"
	      " [--trace]\n"
	      "       jifen-modemsim --help | --version\n", f);
}

static void sim_cleanup(struct sim *s)
{
	if (s->link)
		unlink(s->link);
	ctl_fini(s);
	sim_pty_close(s);
	while (s->events) {
		struct event *e = s->events;

		s->events = e->next;
		sim_ev_free(e);
	}
	net_fini(s);
	buf_free(&s->outq);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "link", required_argument, NULL, 'l' },
		{ "profile", required_argument, NULL, 'p' },
		{ "capacity", required_argument, NULL, 'c' },
		{ "pin", required_argument, NULL, 'P' },
		{ "puk", required_argument, NULL, 'K' },
		{ "own-number", required_argument, NULL, 'o' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "trace", no_argument, NULL, 't' },
		CLI_STD_LONGOPTS
	};
	static struct sim sim;
	struct sim *s = &sim;
	struct sigaction sa = { 0 };
	sigset_t block;
	int opt, seed = 1, r;

	s->prof = prof_default();
	s->capacity = 20;
	s->master = s->slave = s->listen_fd = -1;
	snprintf(s->puk, sizeof(s->puk), "12345678");
	snprintf(s->smsc, sizeof(s->smsc), DEFAULT_SMSC);
	snprintf(s->balance, sizeof(s->balance), "12.50");
	s->signal = 20;
	s->registered = true;
	s->radio_on = true;
	s->pin_left = 3;
	s->puk_left = 10;
	s->mr_next = 1;

	while ((opt = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			s->link = optarg;
			break;
		case 'p':
			s->prof = prof_find(optarg);
			if (!s->prof) {
				fprintf(stderr, "jifen-modemsim: unknown profile "
					"'%s'\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (!sim_parse_int(optarg, 1, MAX_SLOTS, &s->capacity)) {
				fprintf(stderr, "jifen-modemsim: --capacity "
					"must be 1..%d\n", MAX_SLOTS);
				return 2;
			}
			break;
		case 'P':
			if (!*optarg || strlen(optarg) > 8) {
				fputs("jifen-modemsim: bad --pin\n", stderr);
				return 2;
			}
			snprintf(s->pin, sizeof(s->pin), "%s", optarg);
			s->has_pin = true;
			break;
		case 'K':
			if (!*optarg || strlen(optarg) > 8) {
				fputs("jifen-modemsim: bad --puk\n", stderr);
				return 2;
			}
			snprintf(s->puk, sizeof(s->puk), "%s", optarg);
			break;
		case 'o':
			snprintf(s->own_number, sizeof(s->own_number), "%s",
				 optarg);
			break;
		case 'd':
			if (!sim_parse_int(optarg, 0, 600000, &s->base_delay)) {
				fputs("jifen-modemsim: bad --delay-ms\n", stderr);
				return 2;
			}
			break;
		case 's':
			if (!sim_parse_int(optarg, 0, INT_MAX, &seed)) {
				fputs("jifen-modemsim: bad --seed\n", stderr);
				return 2;
			}
			break;
		case 't':
			s->trace = true;
			break;
		default:	/* -h, -V, a bad option */
			return cli_std_option(opt, "jifen-modemsim "
					      JIFEN_VERSION, sim_usage);
		}
	}
	if (!s->link || optind != argc)
		return cli_std_option('?', NULL, sim_usage);
	s->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)seed * 0xbf58476d1ce4e5b9ULL;
	if (!s->rng)
		s->rng = 1;
	s->concat_ref = (uint16_t)(sim_rand(s) & 0xff);
	if (s->has_pin)
		s->pin_state = PIN_NEED_PIN;

	sa.sa_handler = sim_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);

	r = sim_pty_open(s, NULL);
	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: pty: %s\n", strerror(-r));
		return 1;
	}
	r = sim_link_point(s);
	if (r < 0) {
		fprintf(stderr, "jifen-modemsim: link %s: %s\n", s->link,
			strerror(-r));
		sim_pty_close(s);
		return 1;
	}
	if (ctl_listen(s) < 0) {
		unlink(s->link);
		sim_pty_close(s);
		return 1;
	}
	sim_boot(s);
	if (s->prof->periodic_noise)
		sim_ev_add(s, sim_now_ms() + 2000 + sim_rand(s) % 8000, EV_NOISE);
	if (s->trace)
		fprintf(stderr, "modemsim: %s -> %s (%s)\n", s->link, s->pts,
			s->prof->name);
	printf("ready %s\n", s->link);
	fflush(stdout);

	r = sim_loop(s);
	sim_cleanup(s);
	return r;
}
