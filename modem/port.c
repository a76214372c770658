// SPDX-License-Identifier: MIT
/*
 * port.c - serial port layer: device name resolution (by-id symlinks,
 * usb:VID:PID:IFACE through sysfs), a libserialport back end for real
 * devices and a termios back end for pseudo-terminals, both handing a
 * non-blocking fd to the daemon's poll() loop.
 */
#include "modem/port.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include "util/hex.h"

#define PTY_SLAVE_MAJOR_FIRST	136	/* UNIX98_PTY_SLAVE_MAJOR */
#define PTY_SLAVE_MAJOR_LAST	143
#define PTY_BSD_SLAVE_MAJOR	3

struct port;

struct port_ops {
	const char *name;
	int (*open)(struct port *port, int baud);
	void (*close)(struct port *port);
	int eof_err;		/* what read() == 0 means */
};

struct port {
	const struct port_ops *ops;
	int fd;
	struct sp_port *sp;	/* serial back end only */
	char name[PATH_MAX];
};

/* ------------------------------------------------------------------ */
/* Name resolution                                                      */

static int read_small_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

/*
 * Parse @len digits of base @base (16: "12d1", "02"; 10: "2"), at most
 * @maxdigits of them, into a value up to @max; false on anything else.
 */
static bool parse_num(const char *s, size_t len, unsigned int base,
		      size_t maxdigits, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;
	int d;

	if (len == 0 || len > maxdigits)
		return false;
	for (i = 0; i < len; i++) {
		d = hex_val(s[i]);
		if (d < 0 || (unsigned int)d >= base)
			return false;
		v = v * base + (unsigned long)d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_hex(const char *s, size_t len, unsigned long max,
		      unsigned long *out)
{
	return parse_num(s, len, 16, 8, max, out);
}

/* "usb:12d1:1506:2" -> vid, pid, iface. */
static int parse_usb_spec(const char *spec, unsigned long *vid,
			  unsigned long *pid, unsigned long *iface)
{
	const char *p = spec + 4, *c1, *c2;

	c1 = strchr(p, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (!c2 || strchr(c2 + 1, ':'))
		return -EINVAL;
	if (!parse_hex(p, (size_t)(c1 - p), 0xffff, vid) ||
	    !parse_hex(c1 + 1, (size_t)(c2 - c1 - 1), 0xffff, pid))
		return -EINVAL;
	p = c2 + 1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (!parse_hex(p + 2, strlen(p + 2), 0xff, iface))
			return -EINVAL;
	} else if (!parse_num(p, strlen(p), 10, 6, 0xff, iface)) {
		return -EINVAL;
	}
	return 0;
}

static bool sysfs_hex(const char *dir, const char *file, unsigned long max,
		      unsigned long *out)
{
	char path[PATH_MAX], buf[32];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    sizeof(path))
		return false;
	if (read_small_file(path, buf, sizeof(buf)))
		return false;
	return parse_hex(buf, strlen(buf), max, out);
}

/*
 * Does tty @name sit on USB interface @iface of device @vid:@pid?  The
 * tty's "device" link points at the interface (cdc-acm) or at a
 * usb-serial port below it (option, qcserial): look one level up too.
 */
static bool tty_matches(const char *root, const char *name,
			unsigned long vid, unsigned long pid,
			unsigned long iface)
{
	char link[PATH_MAX], dir[PATH_MAX];
	unsigned long v, p, i;
	char *slash;
	int level;

	if ((size_t)snprintf(link, sizeof(link), "%s/class/tty/%s/device",
			     root, name) >= sizeof(link))
		return false;
	if (!realpath(link, dir))
		return false;
	for (level = 0; level < 2; level++) {
		if (sysfs_hex(dir, "bInterfaceNumber", 0xff, &i))
			break;
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return false;
		*slash = '\0';
	}
	if (level == 2 || i != iface)
		return false;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return false;
	*slash = '\0';
	return sysfs_hex(dir, "idVendor", 0xffff, &v) && v == vid &&
	       sysfs_hex(dir, "idProduct", 0xffff, &p) && p == pid;
}

static int tty_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int resolve_usb(const char *spec, const char *root, char *buf,
		       size_t size)
{
	unsigned long vid, pid, iface;
	struct dirent **list;
	char dir[PATH_MAX];
	int n, i, rc = -ENODEV;

	rc = parse_usb_spec(spec, &vid, &pid, &iface);
	if (rc)
		return rc;
	rc = -ENODEV;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/class/tty", root) >=
	    sizeof(dir))
		return -ENAMETOOLONG;
	n = scandir(dir, &list, tty_filter, alphasort);
	if (n < 0)
		return -ENODEV;
	for (i = 0; i < n; i++) {
		if (rc == -ENODEV &&
		    tty_matches(root, list[i]->d_name, vid, pid, iface)) {
			if ((size_t)snprintf(buf, size, "/dev/%s",
					     list[i]->d_name) >= size)
				rc = -ENAMETOOLONG;
			else
				rc = 0;
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

/*
 * port_resolve - configured name to a real /dev path; see port.h.
 */
int port_resolve(const char *device, const char *sysfs_root, char *buf,
		 size_t size)
{
	char real[PATH_MAX];

	if (!device || !*device || !buf || size == 0)
		return -EINVAL;
	if (strncmp(device, "usb:", 4) == 0)
		return resolve_usb(device, sysfs_root ? sysfs_root : "/sys",
				   buf, size);
	if (device[0] != '/')
		return -EINVAL;
	if (!realpath(device, real))
		return -errno;
	if (strlen(real) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, real);
	return 0;
}

/* port_is_pty - /dev/pts/N or a character device with a pty major. */
bool port_is_pty(const char *path)
{
	struct stat st;
	unsigned int maj;

	if (strncmp(path, "/dev/pts/", 9) == 0)
		return true;
	if (stat(path, &st) || !S_ISCHR(st.st_mode))
		return false;
	maj = major(st.st_rdev);
	return (maj >= PTY_SLAVE_MAJOR_FIRST && maj <= PTY_SLAVE_MAJOR_LAST) ||
	       maj == PTY_BSD_SLAVE_MAJOR;
}

/* ------------------------------------------------------------------ */
/* Back ends                                                            */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static speed_t baud_speed(int baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 921600: return B921600;
	default: return B0;
	}
}

static int pty_open(struct port *port, int baud)
{
	struct termios tio;
	speed_t speed = baud_speed(baud);
	int rc;

	if (speed == B0)
		return -EINVAL;
	port->fd = open(port->name, O_RDWR | O_NOCTTY | O_NONBLOCK |
				    O_CLOEXEC);
	if (port->fd < 0)
		return -errno;
	if (tcgetattr(port->fd, &tio))
		goto fail_errno;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(port->fd, TCSANOW, &tio))
		goto fail_errno;
	/* stale output from before the (re)open: the sweep covers it */
	tcflush(port->fd, TCIFLUSH);
	return 0;

fail_errno:
	rc = -errno;
	close(port->fd);
	port->fd = -1;
	return rc;
}

static void pty_close(struct port *port)
{
	if (port->fd >= 0)
		close(port->fd);
	port->fd = -1;
}

/* libserialport reports SP_ERR_FAIL with the OS errno kept aside. */
static int sp_errno(enum sp_return r)
{
	int e;

	switch (r) {
	case SP_ERR_ARG:
		return -ENODEV;	/* not a port libserialport knows */
	case SP_ERR_MEM:
		return -ENOMEM;
	case SP_ERR_SUPP:
		return -ENOTSUP;
	case SP_ERR_FAIL:
		e = sp_last_error_code();
		return e > 0 ? -e : -EIO;
	case SP_OK:
		break;
	}
	return 0;
}

static int serial_open(struct port *port, int baud)
{
	enum sp_return r;
	int rc;

	if (baud_speed(baud) == B0)
		return -EINVAL;
	r = sp_get_port_by_name(port->name, &port->sp);
	if (r != SP_OK) {
		port->sp = NULL;
		return sp_errno(r);
	}
	r = sp_open(port->sp, SP_MODE_READ_WRITE);
	if (r != SP_OK)
		goto fail_free;
	if ((r = sp_set_baudrate(port->sp, baud)) != SP_OK ||
	    (r = sp_set_bits(port->sp, 8)) != SP_OK ||
	    (r = sp_set_parity(port->sp, SP_PARITY_NONE)) != SP_OK ||
	    (r = sp_set_stopbits(port->sp, 1)) != SP_OK ||
	    (r = sp_set_flowcontrol(port->sp, SP_FLOWCONTROL_NONE)) != SP_OK ||
	    (r = sp_get_port_handle(port->sp, &port->fd)) != SP_OK)
		goto fail_close;
	rc = set_nonblock(port->fd);
	if (rc)
		goto fail_close_rc;
	/* stale output from before the (re)open: the sweep covers it */
	sp_flush(port->sp, SP_BUF_INPUT);
	return 0;

fail_close:
	rc = sp_errno(r);
fail_close_rc:
	sp_close(port->sp);
	sp_free_port(port->sp);
	port->sp = NULL;
	port->fd = -1;
	return rc;

fail_free:
	rc = sp_errno(r);
	sp_free_port(port->sp);
	port->sp = NULL;
	return rc;
}

static void serial_close(struct port *port)
{
	if (port->sp) {
		sp_close(port->sp);
		sp_free_port(port->sp);
	}
	port->sp = NULL;
	port->fd = -1;
}

static const struct port_ops pty_ops = {
	.name = "pty",
	.open = pty_open,
	.close = pty_close,
	.eof_err = -EIO,	/* the other side (simulator) closed */
};

static const struct port_ops serial_ops = {
	.name = "serial",
	.open = serial_open,
	.close = serial_close,
	.eof_err = -EPIPE,	/* hang-up */
};

/* ------------------------------------------------------------------ */
/* Public API                                                           */

/*
 * One program per modem (SPEC §10): an exclusive flock() on the device
 * (advisory, among programs that ask, as jifend does; gone with the
 * process) and, on real devices, TIOCEXCL (refuses further opens by anyone without
 * CAP_SYS_ADMIN until close).  -EBUSY when another holder exists.
 */
static int port_take(struct port *port)
{
	if (flock(port->fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : 0;
	/*
	 * Real devices only: not every driver supports it (the flock is
	 * the rule), and a pty's other side may hold the slave open, which
	 * would keep it exclusive after our close.
	 */
	if (port->ops == &serial_ops)
		ioctl(port->fd, TIOCEXCL);
	return 0;
}

/* port_open - resolve, choose the back end, open; see port.h. */
int port_open(const char *device, int baud, struct port **out)
{
	struct port *port;
	struct stat st;
	int rc;

	*out = NULL;
	port = calloc(1, sizeof(*port));
	if (!port)
		return -ENOMEM;
	port->fd = -1;
	rc = port_resolve(device, "/sys", port->name, sizeof(port->name));
	if (rc)
		goto fail;
	if (stat(port->name, &st)) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISCHR(st.st_mode)) {
		rc = -ENOTTY;
		goto fail;
	}
	port->ops = port_is_pty(port->name) ? &pty_ops : &serial_ops;
	rc = port->ops->open(port, baud);
	if (rc)
		goto fail;
	rc = port_take(port);
	if (rc) {
		port->ops->close(port);
		goto fail;
	}
	*out = port;
	return 0;

fail:
	free(port);
	return rc;
}

/* port_close - see port.h. */
void port_close(struct port *port)
{
	if (!port)
		return;
	port->ops->close(port);
	free(port);
}

/* port_fd - see port.h. */
int port_fd(const struct port *port)
{
	return port->fd;
}

/* Armed faults, [PORT_FAULT_READ] and [PORT_FAULT_WRITE]: see port.h. */
static struct {
	long n;
	int err;
} port_faults[2];

/* port_fault_after - see port.h. */
void port_fault_after(int which, long n, int err)
{
	if (which != PORT_FAULT_READ && which != PORT_FAULT_WRITE)
		return;
	port_faults[which].n = n > 0 ? n : 0;
	port_faults[which].err = err > 0 ? err : EIO;
}

/* True when the armed fault of @which fires on this call. */
static bool port_fault_fires(int which)
{
	return port_faults[which].n > 0 && --port_faults[which].n == 0;
}

/* port_read - see port.h; EOF on a tty means hang-up. */
ssize_t port_read(struct port *port, void *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	if (port_fault_fires(PORT_FAULT_READ))
		return -port_faults[PORT_FAULT_READ].err;
	n = read(port->fd, buf, len);
	if (n > 0)
		return n;
	if (n == 0)
		return port->ops->eof_err;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -errno;
}

/* port_write - see port.h. */
ssize_t port_write(struct port *port, const void *buf, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	if (port_fault_fires(PORT_FAULT_WRITE))
		return -port_faults[PORT_FAULT_WRITE].err;
	n = write(port->fd, buf, len);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -errno;
}

/* port_name - see port.h. */
const char *port_name(const struct port *port)
{
	return port->name;
}

/* port_backend - see port.h. */
const char *port_backend(const struct port *port)
{
	return port->ops->name;
}
