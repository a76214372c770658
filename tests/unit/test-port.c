// SPDX-License-Identifier: MIT
/*
 * test-port.c - serial port layer: pty back end through openpty() pairs,
 * usb:VID:PID:IFACE lookup in a fake sysfs tree, by-id symlinks, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "modem/port.h"

struct pair {
	int master;
	int slave;
	char path[PATH_MAX];
};

static void pair_open(struct pair *p)
{
	assert_int_equal(openpty(&p->master, &p->slave, p->path, NULL, NULL),
			 0);
	/* port_open opens the slave again by path; drop our handle. */
	close(p->slave);
	p->slave = -1;
}

static void pair_close(struct pair *p)
{
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
}

/* Read from the port until @want bytes came (the pty may split). */
static size_t port_read_all(struct port *port, char *buf, size_t want)
{
	size_t got = 0;
	int spins = 0;

	while (got < want && spins++ < 1000) {
		ssize_t n = port_read(port, buf + got, want - got);

		assert_true(n >= 0);
		if (n == 0)
			usleep(1000);
		got += (size_t)n;
	}
	return got;
}

static void test_pty_open_backend(void **state)
{
	struct pair p;
	struct port *port = NULL;
	int fl;

	(void)state;
	pair_open(&p);
	assert_int_equal(port_open(p.path, 115200, &port), 0);
	assert_non_null(port);
	assert_string_equal(port_backend(port), "pty");
	assert_string_equal(port_name(port), p.path);
	assert_true(port_fd(port) >= 0);
	fl = fcntl(port_fd(port), F_GETFL);
	assert_true(fl & O_NONBLOCK);
	fl = fcntl(port_fd(port), F_GETFD);
	assert_true(fl & FD_CLOEXEC);
	assert_true(port_is_pty(p.path));
	port_close(port);
	pair_close(&p);
}

static void test_pty_both_ways(void **state)
{
	static const char to_modem[] = "AT+CMGS=23\r";
	static const char from_modem[] = "\r\n> ";
	static const char binary[] = { 0x00, 0x1a, 0x1b, '\r', '\n',
				       (char)0xff, 0x11, 0x13 };
	struct pair p;
	struct port *port;
	char buf[64];
	ssize_t n;

	(void)state;
	pair_open(&p);
	assert_int_equal(port_open(p.path, 115200, &port), 0);

	n = port_write(port, to_modem, strlen(to_modem));
	assert_int_equal(n, (ssize_t)strlen(to_modem));
	n = read(p.master, buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen(to_modem));
	assert_memory_equal(buf, to_modem, strlen(to_modem));	/* raw: CR kept */

	assert_int_equal(write(p.master, from_modem, strlen(from_modem)),
			 (ssize_t)strlen(from_modem));
	assert_int_equal(port_read_all(port, buf, strlen(from_modem)),
			 strlen(from_modem));
	assert_memory_equal(buf, from_modem, strlen(from_modem));

	/* Raw mode: control bytes (Ctrl-Z, ESC, XON/XOFF) pass untouched. */
	assert_int_equal(write(p.master, binary, sizeof(binary)),
			 (ssize_t)sizeof(binary));
	assert_int_equal(port_read_all(port, buf, sizeof(binary)),
			 sizeof(binary));
	assert_memory_equal(buf, binary, sizeof(binary));

	port_close(port);
	pair_close(&p);
}

static void test_pty_read_empty_returns_zero(void **state)
{
	struct pair p;
	struct port *port;
	char buf[16];

	(void)state;
	pair_open(&p);
	assert_int_equal(port_open(p.path, 9600, &port), 0);
	assert_int_equal(port_read(port, buf, sizeof(buf)), 0);
	assert_int_equal(port_read(port, buf, 0), 0);
	assert_int_equal(port_write(port, buf, 0), 0);
	port_close(port);
	pair_close(&p);
}

static void test_pty_write_would_block(void **state)
{
	struct pair p;
	struct port *port;
	char buf[4096];
	ssize_t n = 1;
	size_t total = 0;
	int i;

	(void)state;
	memset(buf, 'A', sizeof(buf));
	pair_open(&p);
	assert_int_equal(port_open(p.path, 115200, &port), 0);
	/* Nobody reads the master: the pty fills up, writes return 0. */
	for (i = 0; i < 10000 && n > 0; i++) {
		n = port_write(port, buf, sizeof(buf));
		assert_true(n >= 0);
		total += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_true(total > 0);
	port_close(port);
	pair_close(&p);
}

static void test_pty_hangup_reports_eio(void **state)
{
	struct pair p;
	struct port *port;
	char buf[16];

	(void)state;
	pair_open(&p);
	assert_int_equal(port_open(p.path, 115200, &port), 0);
	pair_close(&p);
	assert_int_equal(port_read(port, buf, sizeof(buf)), -EIO);
	port_close(port);
}

static void test_bad_baud(void **state)
{
	struct pair p;
	struct port *port = (struct port *)&p;

	(void)state;
	pair_open(&p);
	assert_int_equal(port_open(p.path, 12345, &port), -EINVAL);
	assert_null(port);
	pair_close(&p);
}

static void test_bad_names(void **state)
{
	static const struct {
		const char *name;
		int err;
	} cases[] = {
		{ "", -EINVAL },
		{ "ttyUSB2", -EINVAL },
		{ "/dev/jifen-no-such-modem", -ENOENT },
		{ "/dev/serial/by-id/usb-nothing-if02-port0", -ENOENT },
		{ "usb:12d1:1506", -EINVAL },
		{ "usb:zz:1506:2", -EINVAL },
		{ "usb:12d1:1506:2:3", -EINVAL },
		{ "usb:123456:1506:2", -EINVAL },
		{ "usb:12d1:1506:x", -EINVAL },
		{ "usb:12d1:1506:", -EINVAL },
		{ "usb:ffff:fffe:0", -ENODEV },
	};
	struct port *port;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		port = (struct port *)cases;
		assert_int_equal(port_open(cases[i].name, 115200, &port),
				 cases[i].err);
		assert_null(port);
	}
}

static void test_not_a_tty(void **state)
{
	char path[] = "/tmp/jifen-port-XXXXXX";
	struct port *port;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(port_open(path, 115200, &port), -ENOTTY);
	assert_null(port);
	unlink(path);
}

static void test_real_device_no_fallback(void **state)
{
	struct port *port;
	int rc;

	(void)state;
	/* /dev/null is a character device but no serial port: the serial
	 * back end must refuse it, not fall back to termios. */
	assert_false(port_is_pty("/dev/null"));
	rc = port_open("/dev/null", 115200, &port);
	assert_true(rc < 0);
	assert_null(port);
}

/* ------------------------------------------------------------------ */
/* Fake sysfs                                                           */

struct tree {
	char root[128];
};

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	char *p;

	assert_true(n < sizeof(buf));
	memcpy(buf, path, n + 1);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void put(const struct tree *t, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	mkdirs(path);
}

static void link_tty(const struct tree *t, const char *tty, const char *target)
{
	char path[PATH_MAX], to[PATH_MAX];

	assert_true(strlen(tty) < 64 && strlen(target) < 512);

	snprintf(path, sizeof(path), "%s/class/tty/%s", t->root, tty);
	mkdirs(path);
	snprintf(path, sizeof(path), "%s/class/tty/%s/device", t->root, tty);
	snprintf(to, sizeof(to), "../../../%s", target);
	assert_int_equal(symlink(to, path), 0);
}

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/*
 * Huawei E3372 (12d1:1506) with option ports ttyUSB0..2 (device link to
 * the usb-serial port below the interface), a Quectel EC25 (2c7c:0125)
 * with ttyUSB3 on interface 2, a cdc-acm modem (1e0e:9001) whose
 * ttyACM0 links straight to the interface, and a console ttyS0.
 */
static int setup_sysfs(void **state)
{
	static const char usb1[] = "devices/pci0000:00/0000:00:14.0/usb1";
	struct tree *t = calloc(1, sizeof(*t));
	char rel[512];
	int i;

	assert_non_null(t);
	snprintf(t->root, sizeof(t->root), "/tmp/jifen-sysfs-XXXXXX");
	assert_non_null(mkdtemp(t->root));

	snprintf(rel, sizeof(rel), "%s/1-1", usb1);
	dir(t, rel);
	snprintf(rel, sizeof(rel), "%s/1-1/idVendor", usb1);
	put(t, rel, "12d1\n");
	snprintf(rel, sizeof(rel), "%s/1-1/idProduct", usb1);
	put(t, rel, "1506\n");
	for (i = 0; i < 3; i++) {
		char tty[16];

		snprintf(tty, sizeof(tty), "ttyUSB%d", i);
		snprintf(rel, sizeof(rel), "%s/1-1/1-1:1.%d/%s", usb1, i, tty);
		dir(t, rel);
		snprintf(rel, sizeof(rel), "%s/1-1/1-1:1.%d/bInterfaceNumber",
			 usb1, i);
		put(t, rel, i == 2 ? "02\n" : i == 1 ? "01\n" : "00\n");
		snprintf(rel, sizeof(rel), "%s/1-1/1-1:1.%d/%s", usb1, i, tty);
		link_tty(t, tty, rel);
	}

	snprintf(rel, sizeof(rel), "%s/1-2/1-2:1.2/ttyUSB3", usb1);
	dir(t, rel);
	snprintf(rel, sizeof(rel), "%s/1-2/idVendor", usb1);
	put(t, rel, "2c7c\n");
	snprintf(rel, sizeof(rel), "%s/1-2/idProduct", usb1);
	put(t, rel, "0125\n");
	snprintf(rel, sizeof(rel), "%s/1-2/1-2:1.2/bInterfaceNumber", usb1);
	put(t, rel, "02\n");
	snprintf(rel, sizeof(rel), "%s/1-2/1-2:1.2/ttyUSB3", usb1);
	link_tty(t, "ttyUSB3", rel);

	snprintf(rel, sizeof(rel), "%s/1-3/1-3:1.10", usb1);
	dir(t, rel);
	snprintf(rel, sizeof(rel), "%s/1-3/idVendor", usb1);
	put(t, rel, "1e0e\n");
	snprintf(rel, sizeof(rel), "%s/1-3/idProduct", usb1);
	put(t, rel, "9001\n");
	snprintf(rel, sizeof(rel), "%s/1-3/1-3:1.10/bInterfaceNumber", usb1);
	put(t, rel, "0a\n");
	snprintf(rel, sizeof(rel), "%s/1-3/1-3:1.10", usb1);
	link_tty(t, "ttyACM0", rel);

	dir(t, "devices/platform/serial8250/tty/ttyS0");
	link_tty(t, "ttyS0", "devices/platform/serial8250/tty/ttyS0");
	dir(t, "class/tty/tty0");	/* virtual console: no device link */

	*state = t;
	return 0;
}

static int teardown_sysfs(void **state)
{
	struct tree *t = *state;

	rm_rf(t->root);
	free(t);
	return 0;
}

static void test_usb_lookup(void **state)
{
	static const struct {
		const char *spec;
		int err;
		const char *dev;
	} cases[] = {
		{ "usb:12d1:1506:2", 0, "/dev/ttyUSB2" },
		{ "usb:12d1:1506:0", 0, "/dev/ttyUSB0" },
		{ "usb:12D1:1506:0x01", 0, "/dev/ttyUSB1" },
		{ "usb:2c7c:0125:2", 0, "/dev/ttyUSB3" },
		{ "usb:2C7C:125:02", 0, "/dev/ttyUSB3" },
		{ "usb:1e0e:9001:10", 0, "/dev/ttyACM0" },
		{ "usb:1e0e:9001:0xa", 0, "/dev/ttyACM0" },
		{ "usb:12d1:1506:3", -ENODEV, NULL },
		{ "usb:12d1:1001:2", -ENODEV, NULL },
		{ "usb:2c7c:0125:0", -ENODEV, NULL },
		{ "usb:12d1", -EINVAL, NULL },
		{ "usb:12d1:1506:0x", -EINVAL, NULL },
		{ "usb:12d1:1506:256", -EINVAL, NULL },
	};
	struct tree *t = *state;
	char buf[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = port_resolve(cases[i].spec, t->root, buf, sizeof(buf));

		assert_int_equal(rc, cases[i].err);
		if (!rc)
			assert_string_equal(buf, cases[i].dev);
	}
	/* The answer must fit the caller's buffer. */
	assert_int_equal(port_resolve("usb:12d1:1506:2", t->root, buf, 8),
			 -ENAMETOOLONG);
}

static void test_usb_lookup_missing_sysfs(void **state)
{
	char buf[PATH_MAX];

	(void)state;
	assert_int_equal(port_resolve("usb:12d1:1506:2", "/tmp/jifen-no-sysfs",
				      buf, sizeof(buf)), -ENODEV);
}

static void test_by_id_symlink(void **state)
{
	char d[] = "/tmp/jifen-byid-XXXXXX";
	char link[PATH_MAX], buf[PATH_MAX];
	struct port *port;
	struct pair p;

	(void)state;
	pair_open(&p);
	assert_non_null(mkdtemp(d));
	snprintf(link, sizeof(link),
		 "%s/usb-HUAWEI_MOBILE_HUAWEI_MOBILE-if02-port0", d);
	assert_int_equal(symlink(p.path, link), 0);

	assert_int_equal(port_resolve(link, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, p.path);
	assert_int_equal(port_open(link, 115200, &port), 0);
	assert_string_equal(port_name(port), p.path);
	assert_string_equal(port_backend(port), "pty");
	assert_int_equal(port_write(port, "AT\r", 3), 3);
	assert_int_equal(read(p.master, buf, sizeof(buf)), 3);
	port_close(port);

	/* A dangling by-id link (modem unplugged) is "no such device". */
	pair_close(&p);
	unlink(link);
	assert_int_equal(symlink("/dev/jifen-gone-ttyUSB9", link), 0);
	assert_int_equal(port_open(link, 115200, &port), -ENOENT);
	unlink(link);
	rmdir(d);
	port_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pty_open_backend),
		cmocka_unit_test(test_pty_both_ways),
		cmocka_unit_test(test_pty_read_empty_returns_zero),
		cmocka_unit_test(test_pty_write_would_block),
		cmocka_unit_test(test_pty_hangup_reports_eio),
		cmocka_unit_test(test_bad_baud),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_not_a_tty),
		cmocka_unit_test(test_real_device_no_fallback),
		cmocka_unit_test_setup_teardown(test_usb_lookup, setup_sysfs,
						teardown_sysfs),
		cmocka_unit_test(test_usb_lookup_missing_sysfs),
		cmocka_unit_test(test_by_id_symlink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
