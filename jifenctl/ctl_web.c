/* SPDX-License-Identifier: MIT */
/*
 * ctl_web - jifenctl web passwd.  See ctl_web.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gateway/clockview.h"
#include "jifenctl/ctl_web.h"
#include "storage/web.h"

/* One line from standard input into BUF without its newline; no echo
 * on a terminal.  -EINVAL for an over-long line, -EIO at end of input. */
static int read_line(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	size_t n;
	int rc = 0;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else {
			tty = false;
		}
	}
	if (!fgets(buf, (int)len, stdin))
		rc = -EIO;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc)
		return rc;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(stdin))
		return -EINVAL;
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

int ctl_web(struct store *st, int argc, char **argv)
{
	char a[STORE_WEB_PASSWORD_MAX + 2], b[STORE_WEB_PASSWORD_MAX + 2];
	int rc;

	if (argc != 2 || strcmp(argv[1], "passwd")) {
		fputs("jifenctl: usage: web passwd\n", stderr);
		return 2;
	}
	if (read_line("New console password: ", a, sizeof(a)) ||
	    read_line("Again: ", b, sizeof(b))) {
		fputs("jifenctl: web passwd: no password given\n", stderr);
		return 1;
	}
	if (strcmp(a, b)) {
		explicit_bzero(a, sizeof(a));
		explicit_bzero(b, sizeof(b));
		fputs("jifenctl: web passwd: the two passwords differ\n",
		      stderr);
		return 1;
	}
	rc = store_web_clerk_set(st, a, "console", clockview_now(st));
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	if (rc == -EINVAL) {
		fprintf(stderr, "jifenctl: web passwd: the password must have "
			"%d to %d characters\n", STORE_WEB_PASSWORD_MIN,
			STORE_WEB_PASSWORD_MAX);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "jifenctl: web passwd: %s\n", strerror(-rc));
		return 1;
	}
	puts("console password set");
	return 0;
}
