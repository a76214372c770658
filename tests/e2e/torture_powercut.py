"""Power cuts (make torture): the database on a loop-mounted ext4 image
whose file system is shut down without flushing, then remounted.

Each round delivers a burst (queries, long matters, approvals), freezes
jifend (SIGSTOP) at a seeded random moment, shuts the file system down
with EXT4_IOC_SHUTDOWN / EXT4_GOING_FLAGS_NOLOGFLUSH - everything not yet
synced to the device is lost, exactly as in a power cut - kills the
daemon, unmounts, remounts (the journal is replayed) and restarts it.
The simulator (the modem and its SIM) lives on.  After each round:
nothing lost (every SMS stored once, handled, answered; every approval
applied once) and at most one extra answer for that cut (the part in
flight when the power went).

Needs root, loop devices and mkfs.ext4: otherwise the suite reports one
skipped case (TAP "# SKIP" with the reason) and passes.  Not part of
`make check`; see docs/ROBUSTNESS.md.  JIFEN_SEED=N replays a run,
JIFEN_CUTS=N sets the number of cuts (default 8).
"""
import fcntl
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import harness
from jifen import TIMEOUT
from bigvillage import (RobustVillage, Bursts, check_invariants, big_csv,
                        big_records, BIG_CONF)

EXT4_IOC_SHUTDOWN = 0x8004587D          # _IOR('X', 125, __u32)
EXT4_GOING_FLAGS_NOLOGFLUSH = 0x2
IMAGE_MB = 64


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def unavailable():
    """Why power cuts cannot be simulated here, or None."""
    if os.geteuid() != 0:
        return "needs root (loop devices, mount, EXT4_IOC_SHUTDOWN)"
    for tool in ("mkfs.ext4", "mount", "umount", "losetup"):
        if not shutil.which(tool):
            return "%s not installed" % tool
    if not os.path.exists("/dev/loop-control"):
        return "no loop devices (/dev/loop-control)"
    return None


class Ext4Image:
    """A small ext4 file system in a file, loop-mounted."""

    def __init__(self, top):
        self.image = os.path.join(top, "disk.img")
        self.mnt = os.path.join(top, "mnt")
        os.mkdir(self.mnt)
        with open(self.image, "wb") as f:
            f.truncate(IMAGE_MB << 20)
        r = run("mkfs.ext4", "-q", "-F", self.image)
        if r.returncode:
            raise unittest.SkipTest("mkfs.ext4: %s" % r.stderr.strip())
        self.mounted = False
        self.mount()

    def mount(self):
        r = run("mount", "-o", "loop", self.image, self.mnt)
        if r.returncode:
            raise unittest.SkipTest("cannot loop-mount ext4: %s" %
                                    r.stderr.strip())
        self.mounted = True

    def shutdown(self):
        """The power goes: nothing unsynced reaches the disk."""
        fd = os.open(self.mnt, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN,
                        struct.pack("I", EXT4_GOING_FLAGS_NOLOGFLUSH))
        finally:
            os.close(fd)

    def umount(self):
        if not self.mounted:
            return
        for _ in range(50):
            if run("umount", self.mnt).returncode == 0:
                self.mounted = False
                return
            time.sleep(0.1)
        raise AssertionError("cannot unmount %s" % self.mnt)


class PowerVillage(RobustVillage):
    """A RobustVillage whose database lives on the ext4 image."""

    def __init__(self, disk, **kw):
        self.disk = disk
        super().__init__(**kw)

    def write_config(self, extra):
        self.db = os.path.join(self.disk.mnt, "jifen", "jifen.db")
        extra = dict(extra)
        extra["storage.path"] = self.db
        super().write_config(extra)

    def power_cut(self):
        """Freeze the daemon, cut the disk, kill it, replay the journal."""
        self.daemon.send_signal(signal.SIGSTOP)
        self.disk.shutdown()
        self.kill9()
        self.disk.umount()
        self.disk.mount()


@unittest.skipIf(unavailable(), unavailable() or "")
class PowerCuts(Bursts, unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="jifen-power-")
        self.disk = Ext4Image(self.top)
        recs, self.pending = big_records()
        # the village's own files (log, config, simulator link) under
        # this test's directory too: one place to clean up
        old, tempfile.tempdir = tempfile.tempdir, self.top
        try:
            self.v = PowerVillage(self.disk, csv=big_csv(), records=recs,
                                  conf=BIG_CONF,
                                  sim_args=["--capacity", "200"])
        finally:
            tempfile.tempdir = old
        self.init_bursts()

    def tearDown(self):
        try:
            self.v.close()
        finally:
            self.disk.umount()
            shutil.rmtree(self.top, ignore_errors=True)

    def test_power_cuts_lose_nothing(self):
        v = self.v
        cuts = int(os.environ.get("JIFEN_CUTS", "8"))
        prev = 0
        per_cut = []
        for r in range(cuts):
            self.burst(queries=self.rng.randrange(4, 10),
                       says=self.rng.randrange(0, 2),
                       approvals=self.rng.randrange(1, 3))
            # the cut: after some replies went out, mid-stream
            sent_before = len(v.all_sent())
            want = sent_before + self.rng.randrange(1, 6)
            end = time.monotonic() + TIMEOUT
            while len(v.all_sent()) < want and time.monotonic() < end:
                time.sleep(0.002)
            time.sleep(self.rng.choice([0, 0.001, 0.004, 0.01]))
            v.power_cut()
            v.start_daemon()
            v.wait_until(v.quiet, "cut %d handled" % r, timeout=TIMEOUT * 3)
            extra = check_invariants(self, v, self.ledger, v.kills)
            per_cut.append(extra - prev)
            print("# cut %d: %d extra answers" % (r, extra - prev),
                  flush=True)
            self.assertLessEqual(extra - prev, 1, "cut %d: %d extra "
                                 "answers" % (r, extra - prev))
            prev = extra
        print("# %d cuts, %d messages, %d extra answers in all (per cut %s)"
              % (cuts, len(self.ledger.msgs) + len(self.ledger.approvals),
                 prev, per_cut), flush=True)


if __name__ == "__main__":
    why = unavailable()
    if why:
        # TAP: one skipped case, with the reason
        print("ok 1 # SKIP power-cut torture: %s" % why, flush=True)
        sys.exit(0)
    harness.main()
