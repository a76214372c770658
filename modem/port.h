/* SPDX-License-Identifier: MIT */
/*
 * port.h - the serial port under the AT engine, non-blocking, one fd.
 *
 * Two back ends behind one ops table:
 *   "serial"  libserialport, for real serial/USB devices (8N1, no flow
 *             control, baud from the config);
 *   "pty"     plain termios raw mode, for pseudo-terminals (the modem
 *             simulator, tests), which libserialport 0.1.1 refuses.
 * The back end is chosen from the resolved device: a pty (under
 * /dev/pts/ or with a pty major number) gets "pty", anything else
 * "serial".  A real device that libserialport cannot open is an error;
 * there is no silent fallback.
 *
 * Device names accepted by port_open():
 *   /dev/ttyUSB2                      used as is
 *   /dev/serial/by-id/usb-...-if02    symlink, resolved with realpath()
 *   usb:VID:PID:IFACE                 hex vendor/product id, interface
 *                                     number decimal or 0x-hex, e.g.
 *                                     usb:12d1:1506:2, looked up in sysfs
 *
 * Ownership: port_open() returns a port the caller frees with
 * port_close(), which closes the fd.  port_name()/port_backend() strings
 * belong to the port.  The fd from port_fd() is for poll() only; read and
 * write through port_read()/port_write().
 *
 * Errors (negative errno): -ENOENT no such device path; -ENODEV usb: id
 * not present in sysfs (or the device vanished); -EINVAL malformed name
 * or unsupported baud rate; -ENOTTY the path is not a character device;
 * -EACCES/-EBUSY etc. as reported by the OS when opening.
 */
#ifndef JIFEN_MODEM_PORT_H
#define JIFEN_MODEM_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct port;

/*
 * port_open - resolve @device, pick the back end and open it in
 * non-blocking raw mode at @baud.  0 and *@out set, or -errno.
 */
int port_open(const char *device, int baud, struct port **out);

/* port_close - close the fd and free the port; NULL is ignored. */
void port_close(struct port *port);

/* port_fd - the non-blocking fd to poll() for POLLIN/POLLOUT. */
int port_fd(const struct port *port);

/*
 * port_read - read what is available: bytes read (> 0), 0 when nothing
 * is available now (EAGAIN/EINTR), or a negative errno when the device
 * is lost: -EIO (I/O error; also a pty whose master side closed, which
 * Linux reports as end of file), -ENODEV (USB unplugged), -EPIPE (end of
 * file / hang-up on a real serial port).  After a negative return
 * the caller closes and later reopens the port.
 */
ssize_t port_read(struct port *port, void *buf, size_t len);

/*
 * port_write - write what the device accepts now: bytes written (may be
 * short), 0 when it would block, or -errno (-EIO, -ENODEV, ...) when the
 * device is lost.
 */
ssize_t port_write(struct port *port, const void *buf, size_t len);

/* port_name - the resolved device path, e.g. "/dev/ttyUSB2". */
const char *port_name(const struct port *port);

/* port_backend - "serial" (libserialport) or "pty" (termios). */
const char *port_backend(const struct port *port);

/*
 * port_resolve - turn a configured device name into a /dev path in @buf
 * (see the forms above) without opening it; @sysfs_root is normally
 * "/sys" and is a parameter so tests can use a fake tree.  0 or -errno
 * (-ENOENT, -ENODEV, -EINVAL, -ENAMETOOLONG).
 */
int port_resolve(const char *device, const char *sysfs_root, char *buf,
		 size_t size);

/* port_is_pty - true when the character device @path is a pseudo-tty. */
bool port_is_pty(const char *path);

/*
 * Fault injection for tests (the fault build of jifend): the @n-th
 * port_read() (@which PORT_FAULT_READ) or port_write() (PORT_FAULT_WRITE)
 * from now, counted over every port of the process, returns -@err
 * instead of touching the device, once; the caller then treats the
 * modem as lost.  @n = 0 disarms.  Always compiled in: it costs one
 * counter test per call.  Not thread-safe (one daemon thread).
 */
#define PORT_FAULT_READ		0
#define PORT_FAULT_WRITE	1
void port_fault_after(int which, long n, int err);

#endif
