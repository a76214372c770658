/* SPDX-License-Identifier: MIT */
/*
 * jifen-web - the USSD callback (SPEC section 9) and the operator
 * console (SPEC section 12) over HTTP, on libmicrohttpd.
 *
 *   jifen-web -c FILE            socket-activated by systemd: takes the
 *                                listening socket from LISTEN_FDS and
 *                                exits after web.idle_exit idle seconds
 *   jifen-web -c FILE -l ADDR    resident on ADDR ("127.0.0.1:8380",
 *                                "[::1]:8380", or a port alone, which
 *                                means the loopback)
 *
 * One thread, one poll() loop: libmicrohttpd runs in epoll mode without
 * its own threads, and the loop sleeps on its epoll descriptor and a
 * signalfd until a request, a signal or the idle deadline.  Requests are
 * answered one at a time on one SQLite handle.  This program links
 * libmicrohttpd; jifend does not, so a fault in the HTTP stack can
 * never stop SMS handling.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "gateway/clockview.h"
#include "gateway/log.h"
#include "gateway/prog.h"
#include "util/cli.h"
#include "gateway/wake.h"
#include "jifen-web/console.h"
#include "jifen-web/form.h"
#include "storage/store.h"

#ifndef JIFEN_VERSION
#define JIFEN_VERSION "0.1"
#endif

#define BODY_MAX	(512 * 1024)	/* a CSV upload fits */
#define USSD_BODY_MAX	4096
#define PATH_MAX_LEN	128

struct web {
	struct config cfg;
	const char *config_path;
	struct store *st;
	struct console *con;
	struct MHD_Daemon *mhd;
	int open_conns;
	int64_t last_activity;		/* monotonic seconds */
	bool idle_exit;
};

/* Per-request state between libmicrohttpd's calls. */
struct conn {
	char *body;
	size_t len;
	bool too_big;
};

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void usage(FILE *f)
{
	fputs("usage: jifen-web [-c FILE] [-l ADDR] [-s]\n"
	      "  -c FILE  configuration (default $JIFEN_CONFIG, then "
	      CONFIG_DEFAULT_PATH ")\n"
	      "  -l ADDR  stay resident on ADDR (HOST:PORT, [V6]:PORT or PORT\n"
	      "           on the loopback); without it the listening socket\n"
	      "           comes from systemd (jifen-web.socket), or from\n"
	      "           web.listen, and the program exits after\n"
	      "           web.idle_exit seconds without requests\n"
	      "  -s       log to syslog instead of stderr\n"
	      "  --help, --version\n", f);
}

/* ---- the listening socket ---------------------------------------------- */

/* The socket systemd passed (LISTEN_PID/LISTEN_FDS), or -1. */
static int systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int acc = 0;
	socklen_t l = sizeof(acc);

	if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() ||
	    strtol(fds, NULL, 10) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) || !acc) {
		log_err("LISTEN_FDS: descriptor 3 is not a listening socket");
		return -1;
	}
	return 3;
}

/* Bind and listen on ADDR; -errno on failure. */
static int listen_on(const char *addr)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *colon, *port;
	int fd, one = 1, fam;
	socklen_t sl;
	long pn;

	memset(&ss, 0, sizeof(ss));
	if (addr[0] == '[') {
		colon = strstr(addr, "]:");
		if (!colon || (size_t)(colon - addr - 1) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 1),
			 addr + 1);
		port = colon + 2;
	} else if ((colon = strrchr(addr, ':'))) {
		if ((size_t)(colon - addr) >= sizeof(host))
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		port = colon + 1;
	} else {
		snprintf(host, sizeof(host), "127.0.0.1");
		port = addr;
	}
	pn = strtol(port, NULL, 10);
	if (!*port || strspn(port, "0123456789") != strlen(port) || pn > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr)
	    == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		fam = in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)pn);
		sl = sizeof(*in);
	} else if (inet_pton(AF_INET6, host,
			     &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		fam = in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)pn);
		sl = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 32)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Print the address actually bound ("listening on 127.0.0.1:PORT"). */
static void print_address(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	unsigned int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		printf("listening on [%s]:%u\n", host, port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		printf("listening on %s:%u\n", host, port);
	}
	fflush(stdout);
}

/* ---- requests ------------------------------------------------------------- */

/* A path the console knows how to read: [A-Za-z0-9/_.-], no "..", no
 * "//", at most PATH_MAX_LEN bytes. */
static bool path_ok(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > PATH_MAX_LEN || p[0] != '/')
		return false;
	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789/_.-") != n)
		return false;
	return !strstr(p, "..") && !strstr(p, "//");
}

static enum MHD_Result send_resp(struct MHD_Connection *c,
				 struct web_resp *r)
{
	struct MHD_Response *res;
	enum MHD_Result ret;
	size_t len;
	char *body;

	body = html_take(&r->body, &len);
	res = MHD_create_response_from_buffer(len, body ? body : (void *)"",
					      body ? MHD_RESPMEM_MUST_FREE :
					      MHD_RESPMEM_PERSISTENT);
	if (!res) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", r->ctype ? r->ctype :
				"text/html; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "X-Frame-Options", "DENY");
	MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(res, "Content-Security-Policy",
				"default-src 'none'; style-src 'unsafe-inline'; "
				"form-action 'self'; frame-ancestors 'none'");
	if (r->location[0])
		MHD_add_response_header(res, "Location", r->location);
	if (r->cookie[0][0])
		MHD_add_response_header(res, "Set-Cookie", r->cookie[0]);
	if (r->cookie[1][0])
		MHD_add_response_header(res, "Set-Cookie", r->cookie[1]);
	ret = MHD_queue_response(c, (unsigned int)(r->status ? r->status : 200),
				 res);
	MHD_destroy_response(res);
	return ret;
}

static enum MHD_Result send_plain(struct MHD_Connection *c, int status,
				  const char *text)
{
	struct web_resp r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.ctype = "text/plain; charset=utf-8";
	html_raw(&r.body, text);
	html_raw(&r.body, "\n");
	return send_resp(c, &r);
}

struct arg_walk {
	struct form *f;
	int rc;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct arg_walk *w = cls;

	(void)kind;
	if (w->rc)
		return MHD_NO;
	w->rc = form_add(w->f, key ? key : "", value ? value : "",
			 value ? strlen(value) : 0);
	return w->rc ? MHD_NO : MHD_YES;
}

static void client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(buf, len, "?");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  buf, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)len);
}

static enum MHD_Result handle(struct web *w, struct MHD_Connection *c,
			      const char *url, const char *method,
			      struct conn *cn)
{
	struct web_req req;
	struct web_resp resp;
	struct form *query = NULL, *body = NULL;
	struct arg_walk aw;
	const char *ctype;
	char client[INET6_ADDRSTRLEN];
	enum MHD_Result ret;
	bool wake = false;
	int rc = 0;

	if (!path_ok(url))
		return send_plain(c, 400, "bad path");
	if (cn->too_big)	/* SPEC 9: an oversized USSD request is a 400 */
		return send_plain(c, strcmp(url, "/ussd") ? 413 : 400,
				  "request body too large");
	query = form_new();
	body = form_new();
	if (!query || !body) {
		ret = send_plain(c, 503, "out of memory");
		goto out;
	}
	aw.f = query;
	aw.rc = 0;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &aw);
	if (aw.rc) {
		ret = send_plain(c, 400, "bad query string");
		goto out;
	}
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					    MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!strcmp(method, "POST")) {
		if (ctype && !strncasecmp(ctype, "multipart/form-data", 19))
			rc = form_parse_multipart(body, ctype, cn->body,
						  cn->len);
		else if (!ctype || !strncasecmp(ctype,
				"application/x-www-form-urlencoded", 33))
			rc = form_parse_urlencoded(body, cn->body, cn->len);
		else
			rc = -EPROTO;
		if (rc) {
			ret = send_plain(c, rc == -EPROTO ? 415 : 400,
					 "bad form encoding");
			goto out;
		}
	}
	client_addr(c, client, sizeof(client));
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.client = client;
	req.cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
						 CONSOLE_COOKIE);
	req.login_cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
						       CONSOLE_LOGIN_COOKIE);
	req.auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					       MHD_HTTP_HEADER_AUTHORIZATION);
	req.query = query;
	req.form = body;
	memset(&resp, 0, sizeof(resp));
	console_handle(w->con, &req, clockview_now(w->st), &resp, &wake);
	if (store_in_transaction(w->st))
		store_rollback(w->st);
	if (resp.body.oom) {
		html_free(&resp.body);
		ret = send_plain(c, 503, "out of memory");
		goto out;
	}
	if (wake)
		wake_jifend(w->st);
	log_info("%s %s %d", method, url, resp.status ? resp.status : 200);
	ret = send_resp(c, &resp);
out:
	form_free(query);
	form_free(body);
	return ret;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c,
				 const char *url, const char *method,
				 const char *version, const char *data,
				 size_t *data_size, void **con_cls)
{
	struct web *w = cls;
	struct conn *cn = *con_cls;
	const char *cl;
	size_t max = url && !strcmp(url, "/ussd") ? USSD_BODY_MAX : BODY_MAX;

	(void)version;
	w->last_activity = mono_now();
	if (!cn) {
		if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
		    strcmp(method, "POST"))
			return send_plain(c, 405, "method not allowed");
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return MHD_NO;
		*con_cls = cn;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > max)
			return send_plain(c, max == USSD_BODY_MAX ? 400 : 413,
					  "request body too large");
		return MHD_YES;
	}
	if (*data_size) {
		if (!cn->too_big && cn->len + *data_size <= max) {
			char *nb = realloc(cn->body, cn->len + *data_size + 1);

			if (!nb)
				return MHD_NO;
			cn->body = nb;
			memcpy(cn->body + cn->len, data, *data_size);
			cn->len += *data_size;
			cn->body[cn->len] = '\0';
		} else {
			cn->too_big = true;
		}
		*data_size = 0;
		return MHD_YES;
	}
	return handle(w, c, url, method, cn);
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cn) {
		free(cn->body);
		free(cn);
	}
	*con_cls = NULL;
}

static void conn_cb(void *cls, struct MHD_Connection *c, void **socket_ctx,
		    enum MHD_ConnectionNotificationCode toe)
{
	struct web *w = cls;

	(void)c;
	(void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		w->open_conns++;
	else if (w->open_conns > 0)
		w->open_conns--;
	w->last_activity = mono_now();
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_DEBUG, fmt, ap);
}

/* libmicrohttpd's unescape step for the path and the query arguments. */
static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return form_unescape_inplace(s);
}

/* ---- main ----------------------------------------------------------------- */

static int run(struct web *w, int sigfd)
{
	const union MHD_DaemonInfo *di;
	struct pollfd pfd[2];
	MHD_UNSIGNED_LONG_LONG mto;
	int64_t now, idle_left;
	int timeout;

	di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return -EIO;
	pfd[0].fd = di->epoll_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = sigfd;
	pfd[1].events = POLLIN;
	for (;;) {
		timeout = -1;
		if (MHD_get_timeout(w->mhd, &mto) == MHD_YES)
			timeout = mto > 60000 ? 60000 : (int)mto;
		if (w->idle_exit && w->open_conns == 0) {
			now = mono_now();
			idle_left = w->last_activity + w->cfg.web.idle_exit - now;
			if (idle_left <= 0) {
				log_info("idle for %d s: exiting",
					 w->cfg.web.idle_exit);
				return 0;
			}
			if (timeout < 0 || idle_left * 1000 < timeout)
				timeout = (int)(idle_left * 1000);
		}
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGHUP) {
				log_info("signal %u: exiting", si.ssi_signo);
				return 0;
			}
		}
		MHD_run(w->mhd);
	}
}

static int web_option(int opt, const char *arg, void *data)
{
	const char **listen_addr = data;

	if (opt == 'l')
		*listen_addr = arg;
	return -1;
}

static const struct option web_longopts[] = {
	CLI_STD_LONGOPTS
};

static const struct prog web_prog = {
	"jifen-web " JIFEN_VERSION, "c:l:sh", web_longopts, usage,
	"jifen-web: "
};

int main(int argc, char **argv)
{
	struct web w;
	const char *listen_addr = NULL;
	struct prog_args args;
	char err[512];
	sigset_t set;
	int fd = -1, sigfd = -1, e, rc = 1;

	memset(&w, 0, sizeof(w));
	e = prog_start(&web_prog, argc, argv, web_option, &listen_addr, &args,
		       &w.cfg);
	if (e >= 0)
		return e;
	w.config_path = args.config_path;
	umask(0027);
	log_init("jifen-web", args.use_syslog);
	log_set_level((int)w.cfg.log.level);
	log_set_personal(w.cfg.log.personal_data);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		fprintf(stderr, "jifen-web: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (!listen_addr) {
		fd = systemd_socket();
		if (fd >= 0)
			w.idle_exit = true;
		else if (w.cfg.web.listen[0])
			listen_addr = w.cfg.web.listen;
		else if (w.cfg.ussd.listen[0])
			listen_addr = w.cfg.ussd.listen;
	}
	if (fd < 0 && listen_addr) {
		fd = listen_on(listen_addr);
		if (fd < 0) {
			fprintf(stderr, "jifen-web: listen on %s: %s\n",
				listen_addr, strerror(-fd));
			goto out;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "jifen-web: no socket from systemd "
			"(LISTEN_FDS), no -l ADDR and no web.listen\n");
		goto out;
	}
	/* never creates a database: only jifenctl init/import does */
	w.st = store_open_flags(w.cfg.storage.path, 0, err, sizeof(err), &e);
	if (!w.st) {
		fprintf(stderr, "jifen-web: %s\n", err);
		goto out;
	}
	w.con = console_new(w.st, &w.cfg);
	if (!w.con)
		goto out;
	w.last_activity = mono_now();
	w.mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
				 NULL, access_cb, &w,
				 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, &w,
				 MHD_OPTION_LISTEN_SOCKET, fd,
				 MHD_OPTION_CONNECTION_LIMIT, 64,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16,
				 MHD_OPTION_CONNECTION_TIMEOUT, 30,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				 (size_t)(64 * 1024),
				 MHD_OPTION_NOTIFY_COMPLETED, completed_cb, &w,
				 MHD_OPTION_NOTIFY_CONNECTION, conn_cb, &w,
				 MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, &w,
				 MHD_OPTION_END);
	if (!w.mhd) {
		fprintf(stderr, "jifen-web: cannot start the HTTP server\n");
		goto out;
	}
	fd = -1;	/* libmicrohttpd owns it now */
	if (listen_addr)
		print_address(MHD_get_daemon_info(w.mhd,
				MHD_DAEMON_INFO_LISTEN_FD)->listen_fd);
	log_info("jifen-web %s ready%s", JIFEN_VERSION,
		 w.idle_exit ? " (socket-activated)" : "");
	rc = run(&w, sigfd) ? 1 : 0;
out:
	if (w.mhd)
		MHD_stop_daemon(w.mhd);
	if (fd >= 0)
		close(fd);
	console_free(w.con);
	store_close(w.st);
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}
