"""End-to-end: privilege drop, secrets at rest and log masking.

See docs/SECURITY.md.  The privilege tests need root (CI runs as root)
and create the system user ``jifen-test`` when it is missing; as any
other user they are skipped with a TAP skip comment.
"""
import atexit
import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import harness
from jifen import Village, TIMEOUT

VILLAGER = "13800000001"      # H01, 583 final points
MEMBER = "13900000009"        # committee, H03, PIN 1234
STRANGER = "13912345678"      # not in the village
TEST_USER = "jifen-test"
IS_ROOT = os.geteuid() == 0


def unprivileged_user():
    """The unprivileged user, created on first use (root only)."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", TEST_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(TEST_USER)


_user_bin = None


def user_binpath(name):
    """NAME's binary where the unprivileged user can execute it.  The
    checkout may sit in a directory the user cannot enter (a clone under
    a 0700 temporary directory, as root), so the simulator is run from a
    copy in a world-readable temporary directory."""
    global _user_bin
    if _user_bin is None:
        _user_bin = tempfile.mkdtemp(prefix="jifen-userbin.")
        os.chmod(_user_bin, 0o755)
        atexit.register(shutil.rmtree, _user_bin, True)
    dst = os.path.join(_user_bin, name)
    if not os.path.exists(dst):
        shutil.copy2(harness.binpath(name), dst)
        os.chmod(dst, 0o755)
    return dst


def proc_ids(pid):
    """{'Uid': [real, effective, saved, fs], 'Gid': [...], 'Groups': [...],
    'CapEff': int} from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(x) for x in val.split()]
            elif key == "CapEff":
                out[key] = int(val.strip(), 16)
    return out


class UserVillage(Village):
    """The simulator runs as the unprivileged user, so its pty belongs to
    that user, like /dev/ttyUSB2 belongs to group dialout on a real board
    (see docs/SECURITY.md).  daemon.user is set to the same user."""

    def __init__(self, user, sim_as_user=True, **kw):
        self.pw = user
        self.sim_as_user = sim_as_user
        conf = dict(kw.pop("conf", {}))
        conf["daemon.user"] = user.pw_name
        super().__init__(conf=conf, **kw)

    def start_sim(self):
        if not self.sim_as_user:
            return super().start_sim()
        os.chown(self.dir, self.pw.pw_uid, self.pw.pw_gid)
        argv = [user_binpath("jifen-modemsim"), "--link", self.link,
                "--profile", self.profile] + self.sim_args
        self.sim_err = open(os.path.join(self.dir, "modemsim.log"), "w")
        self.sim = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                    stderr=self.sim_err, text=True,
                                    user=self.pw.pw_uid,
                                    group=self.pw.pw_gid, extra_groups=[])
        line = self.sim.stdout.readline()
        if not line.startswith("ready"):
            raise AssertionError("simulator did not start: %r" % line)


@unittest.skipUnless(IS_ROOT, "privilege drop needs root")
class PrivilegeDrop(unittest.TestCase):
    def setUp(self):
        self.pw = unprivileged_user()

    def assert_dropped(self, v):
        ids = proc_ids(v.daemon.pid)
        self.assertEqual(ids["Uid"], [self.pw.pw_uid] * 4)
        self.assertEqual(ids["Gid"], [self.pw.pw_gid] * 4)
        self.assertNotIn(0, ids["Groups"])
        self.assertEqual(ids["CapEff"], 0)

    def test_runs_as_user_answers_and_reopens(self):
        v = UserVillage(self.pw)
        try:
            self.assert_dropped(v)
            self.assertIn("583", v.sms(VILLAGER, "积分"))
            # the database files belong to the user (it writes -wal/-shm)
            for sfx in ("", "-wal", "-shm"):
                st = os.stat(v.db + sfx)
                self.assertEqual(st.st_uid, self.pw.pw_uid, v.db + sfx)
                self.assertEqual(stat.S_IMODE(st.st_mode) & 0o037, 0,
                                 "%s mode %o" % (v.db + sfx, st.st_mode))
            # a USB re-plug: reopened as the user, still answering
            v.fault("hangup", delay_ms=300)
            v.wait_for(lambda: v.status("modem.state") != "READY",
                       "modem lost")
            v.wait_for(v.modem_ready, "modem back")
            self.assertGreaterEqual(int(v.status("modem.reopens")), 1)
            self.assertIn("583", v.sms(VILLAGER, "查询"))
            self.assert_dropped(v)
            self.assertIn("running as %s" % TEST_USER, v.tail(200))
        finally:
            v.close()

    def test_port_and_database_opened_before_the_drop(self):
        # a root-owned pty (0620 root:tty) the user could not open itself
        v = UserVillage(self.pw, sim_as_user=False)
        try:
            dev = os.stat(v.simctl({"cmd": "ping"})["device"])
            self.assertEqual(dev.st_uid, 0)
            self.assert_dropped(v)
            self.assertIn("583", v.sms(VILLAGER, "积分"))
        finally:
            v.close()

    def test_shared_directory_is_not_taken_over(self):
        # storage.path in a /tmp-like directory (1777): the daemon hands
        # the database files to the user but never the directory itself
        class SharedDir(UserVillage):
            def write_config(self, extra):
                shared = os.path.join(self.dir, "shared")
                os.mkdir(shared)
                os.chmod(shared, 0o1777)
                self.db = os.path.join(shared, "jifen.db")
                extra = dict(extra, **{"storage.path": self.db})
                super().write_config(extra)
        v = SharedDir(self.pw)
        try:
            self.assert_dropped(v)
            self.assertIn("583", v.sms(VILLAGER, "积分"))
            shared = os.stat(os.path.dirname(v.db))
            self.assertEqual(shared.st_uid, 0)
            self.assertEqual(stat.S_IMODE(shared.st_mode), 0o1777)
            self.assertEqual(os.stat(v.db).st_uid, self.pw.pw_uid)
            self.assertIn("shared directory", v.tail(200))
        finally:
            v.close()

    def test_unknown_user_is_fatal(self):
        v = Village(start=False, conf={"daemon.user": "jifen-no-such-user"})
        try:
            v.start_daemon(wait_ready=False)
            rc = v.daemon.wait(timeout=TIMEOUT)
            v.daemon = None
            v.logf.close()
            self.assertNotEqual(rc, 0)
            self.assertIn("jifen-no-such-user", v.tail())
        finally:
            v.close()


class Secrets(unittest.TestCase):
    def jifend_check(self, conf):
        return subprocess.run([harness.binpath("jifend"), "-n", "-c", conf],
                              capture_output=True, text=True, timeout=TIMEOUT)

    def test_config_readable_by_others_warns(self):
        v = Village(start=False, conf={"modem.pin": "1234"})
        try:
            r = self.jifend_check(v.conf)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("warning", r.stderr)
            os.chmod(v.conf, 0o644)
            r = self.jifend_check(v.conf)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration OK", r.stdout)
            self.assertRegex(r.stderr, r"warning: .*readable by all")
            self.assertNotIn("1234", r.stderr + r.stdout)
            # the running daemon says it too
            v.start_daemon(wait_ready=False)
            v.wait_for(lambda: "readable by all" in v.tail(), "warning logged")
        finally:
            v.close()

    def test_pin_hashes_are_not_pins(self):
        v = Village(start=False)
        try:
            rows = v.query("SELECT phone, pin_hash FROM phones")
            hashes = {p: h for p, h in rows}
            h = hashes["+86" + MEMBER]
            self.assertRegex(h, r"^\$(y|6)\$[./0-9A-Za-z$]+$")
            self.assertNotIn("1234", h)
            for phone, h in hashes.items():
                if phone != "+86" + MEMBER:
                    self.assertFalse(h, phone)     # no PIN given: none kept
        finally:
            v.close()

    def assert_private(self, path):
        for sfx in ("", "-wal", "-shm"):
            if not os.path.exists(path + sfx):
                self.assertNotEqual(sfx, "", path)
                continue
            mode = stat.S_IMODE(os.stat(path + sfx).st_mode)
            self.assertEqual(mode & 0o037, 0, "%s is %04o" % (path + sfx,
                                                               mode))

    def test_database_not_world_readable(self):
        v = Village()
        try:
            v.sms(VILLAGER, "积分")
            self.assert_private(v.db)
        finally:
            v.close()

    def test_database_made_by_init_is_private(self):
        old = os.umask(0)       # even from a careless parent
        try:
            v = Village(csv=None, records=())
        finally:
            os.umask(old)
        try:
            self.assertIsNone(v.daemon.poll())
            self.assert_private(v.db)
        finally:
            v.close()


class LogMasking(unittest.TestCase):
    SAY = "村口的路灯坏了三个月了"
    HELLO = "你好世界我想问问积分"

    def run_village(self, personal):
        v = Village(conf={"log.personal_data": personal,
                          "log.level": "debug"})
        try:
            v.sms(VILLAGER, "积分")
            v.sms(VILLAGER, "说事 " + self.SAY)
            v.sms(STRANGER, self.HELLO)
            v.sms(MEMBER, "待审")
            v.deliver("CMCC", "您的话费余额为12.50元")
            v.wait_for(v.idle, "idle")
            self.assertEqual(v.stop_daemon(), 0)
            with open(v.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        finally:
            v.close()

    def test_masked_by_default(self):
        log = self.run_village(False)
        self.assertRegex(log, r"message \d+ from \+86138\*\*\*\*0001")
        for secret in (VILLAGER, STRANGER, MEMBER, "13800000",
                       self.SAY, self.HELLO, "路灯", "您的话费", "12.50"):
            self.assertNotIn(secret, log)
        self.assertNotRegex(log, r"\d{9,}")      # no long digit runs at all

    def test_personal_data_on(self):
        log = self.run_village(True)
        self.assertIn("+86" + VILLAGER, log)
        self.assertIn("+86" + STRANGER, log)
        self.assertIn(self.SAY, log)
        self.assertIn(self.HELLO, log)


if __name__ == "__main__":
    harness.main()
