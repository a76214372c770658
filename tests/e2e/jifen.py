"""End-to-end fixture: the real jifend against the modem simulator.

A ``Village`` owns a temp directory with a simulator (build/jifen-modemsim
on a pty), a config file, a database made with ``jifenctl import`` and a
running ``build/jifend``.  Tests talk to the simulator's control socket
(JSON lines, see docs/SIMULATOR.md) and read the database read-only.
Nothing here sleeps for a fixed time: every wait is for an event, with a
generous timeout so a busy CI machine stays green.
"""
import datetime
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import zoneinfo

import harness

DEMO_CSV = """household,name,phone,role,pin
H01,文培理家,13800000001,villager,
H01,文培理家,13800000011,villager,
H02,谢丰强家,13800000002,villager,
H03,曾晓鸥家,13900000009,committee,1234
H04,李秀英家,13800000004,villager,
"""

VALGRIND = os.environ.get("JIFEN_VALGRIND") == "1"
# make asan runs the same tests against sanitizer builds: slower, and
# their resident memory is mostly shadow memory
SANITIZED = bool(os.environ.get("JIFEN_SANITIZER"))
TIMEOUT = 60 if VALGRIND else 40 if SANITIZED else 20
# resident-memory bounds only mean something for the plain build
RSS_MEANINGFUL = not (VALGRIND or SANITIZED)


# every local date of the daemon is in village.timezone (SPEC §13), never
# in the zone of the machine that runs the tests
VILLAGE_TZ = "Asia/Shanghai"


def village_time(t=None):
    """Unix time T (default now) as a datetime in the village's zone."""
    return datetime.datetime.fromtimestamp(
        time.time() if t is None else t, zoneinfo.ZoneInfo(VILLAGE_TZ))


def quiet_now():
    """A quiet-hours window around the village's current local time."""
    t = village_time()
    start = (t.hour * 60 + t.minute - 60) % 1440
    end = (t.hour * 60 + t.minute + 120) % 1440
    return "%02d:%02d-%02d:%02d" % (start // 60, start % 60,
                                     end // 60, end % 60)


def intl(number):
    """11-digit Chinese mobile -> +86..., as the daemon stores it."""
    if len(number) == 11 and number.startswith("1"):
        return "+86" + number
    return number


class Village:
    def __init__(self, profile="generic", sim_args=(), conf=None, csv=DEMO_CSV,
                 records=(("H01", 583, "历年积分", True),), start=True,
                 env=None):
        self.dir = tempfile.mkdtemp(prefix="jifen-e2e-")
        self.link = os.path.join(self.dir, "modem")
        self.db = os.path.join(self.dir, "jifen.db")
        self.conf = os.path.join(self.dir, "jifen.conf")
        self.log = os.path.join(self.dir, "jifend.log")
        self.sim = None
        self.daemon = None
        self.profile = profile
        self.sim_args = list(sim_args)
        # extra environment of the daemon (tests/e2e/test_clock.py)
        self.env = dict(env or {})
        self.write_config(conf or {})
        if csv:
            path = os.path.join(self.dir, "village.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(csv)
            self.ctl("import", path, check=True)
        else:
            # only an explicit step creates a database (issue 8)
            self.ctl("init", check=True)
        for hh, pts, why, final in records:
            args = ["record", "add", hh, str(pts), why]
            if final:
                args.append("--final")
            self.ctl(*args, check=True)
        self.start_sim()
        if start:
            self.start_daemon()

    # --- set-up ---------------------------------------------------------
    def write_config(self, extra):
        groups = {
            "village": {"id": "510681-sanshui-youyi", "name": "友谊村",
                        "publicity_days": 7, "timezone": VILLAGE_TZ},
            "modem": {"device": self.link, "health_interval": 300},
            "storage": {"path": self.db},
            "sms": {"quiet_hours": ""},
            # no morning digest unless a test asks for one: it would
            # add SMS to the committee member at an arbitrary moment
            "committee": {"digest_time": ""},
            "log": {"level": "debug", "personal_data": True},
        }
        for key, value in extra.items():
            group, name = key.split(".", 1)
            groups.setdefault(group, {})[name] = value
        lines = []
        for group, kv in groups.items():
            items = []
            for k, v in kv.items():
                if isinstance(v, bool):
                    items.append("%s = %s;" % (k, "true" if v else "false"))
                elif isinstance(v, (int, float)):
                    items.append("%s = %s;" % (k, v))
                else:
                    items.append('%s = "%s";' % (k, v))
            lines.append("%s = { %s };" % (group, " ".join(items)))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.conf, 0o600)

    def ctl(self, *args, check=False, input=None, env=None):
        """Run jifenctl on this village; @env: extra environment (for
        example the daemon's, self.env, in tests/e2e/test_clock.py)."""
        r = subprocess.run([harness.binpath("jifenctl"), "-c", self.conf]
                           + list(args), capture_output=True, text=True,
                           timeout=TIMEOUT * 3, input=input,
                           env=dict(os.environ, **env) if env else None)
        if check and r.returncode != 0:
            raise AssertionError("jifenctl %s: %d %s" % (
                " ".join(args), r.returncode, r.stderr))
        return r

    def start_sim(self):
        argv = [harness.binpath("jifen-modemsim"), "--link", self.link,
                "--profile", self.profile] + self.sim_args
        self.sim_err = open(os.path.join(self.dir, "modemsim.log"), "w")
        self.sim = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                    stderr=self.sim_err, text=True)
        line = self.sim.stdout.readline()
        if not line.startswith("ready"):
            raise AssertionError("simulator did not start: %r" % line)

    def start_daemon(self, wait_ready=True):
        argv = [harness.binpath("jifend"), "-c", self.conf]
        if VALGRIND:
            # a forked child (jifend's jifen-sync runs) only execs; one
            # killed before its exec (the daemon stopped meanwhile) would
            # report the parent's heap as its own leaks
            argv = ["valgrind", "-q", "--error-exitcode=99", "--vgdb=no",
                    "--child-silent-after-fork=yes",
                    "--leak-check=full", "--errors-for-leak-kinds=definite",
                    "--log-file=" + os.path.join(self.dir, "valgrind.%p")
                    ] + argv
        elif os.environ.get("JIFEN_DAEMON_WRAP"):
            # a profiler in front of the daemon, e.g. "valgrind
            # --tool=massif" (docs/PERFORMANCE.md)
            argv = os.environ["JIFEN_DAEMON_WRAP"].split() + argv
        self.logf = open(self.log, "a")
        env = None
        if self.env:
            env = dict(os.environ)
            env.update(self.env)
        self.daemon = subprocess.Popen(argv, stdout=self.logf,
                                       stderr=self.logf, env=env)
        if wait_ready:
            self.wait_for(self.modem_ready, "modem READY")

    # --- observation ----------------------------------------------------
    def query(self, sql, args=()):
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True,
                              timeout=30)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def status(self, key):
        rows = self.query("SELECT value FROM status WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def modem_ready(self):
        try:
            return self.status("modem.state") == "READY"
        except sqlite3.Error:
            return False

    def wait_for(self, pred, what, timeout=None, poll=None):
        """Wait until PRED() is true, failing when the daemon exits or
        after TIMEOUT.  Polls with a growing delay (20 ms up to 250 ms),
        or every POLL seconds when given."""
        end = time.monotonic() + (timeout or TIMEOUT)
        delay = poll or 0.02
        while time.monotonic() < end:
            if self.daemon is not None and self.daemon.poll() is not None:
                raise AssertionError("jifend exited (%s) waiting for %s:\n%s"
                                     % (self.daemon.returncode, what,
                                        self.tail()))
            if pred():
                return
            time.sleep(delay)
            if not poll:
                delay = min(delay * 2, 0.25)
        raise AssertionError("timed out waiting for %s\n%s" % (what,
                                                              self.tail()))

    def tail(self, n=40):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # --- simulator control ----------------------------------------------
    def simctl(self, req, timeout=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout((timeout or TIMEOUT) + 10)
        s.connect(self.link + ".ctl")
        try:
            s.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        return json.loads(buf.decode())

    def deliver(self, frm, text, **kw):
        req = {"cmd": "deliver", "from": intl(frm), "text": text}
        req.update(kw)
        r = self.simctl(req)
        if not r.get("ok"):
            raise AssertionError("deliver failed: %r" % r)
        return r

    def sent(self, to=None):
        req = {"cmd": "sent"}
        if to:
            req["to"] = intl(to)
        return [m for m in self.simctl(req)["sent"] if m.get("complete")]

    def wait_sent(self, to, count, timeout=None):
        t = timeout or TIMEOUT
        r = self.simctl({"cmd": "wait_sent", "to": intl(to), "count": count,
                         "timeout_ms": int(t * 1000)}, timeout=t)
        if not r.get("ok"):
            raise AssertionError("no message #%d to %s within %ss\n%s" % (
                count, to, t, self.tail()))
        return [m for m in r["sent"] if m.get("complete")]

    def sms(self, frm, text, **kw):
        """Text the gateway from FRM and return the reply text."""
        before = len(self.sent(frm))
        self.deliver(frm, text, **kw)
        return self.wait_sent(frm, before + 1)[before]["text"]

    def sim_state(self):
        return self.simctl({"cmd": "sim"})

    def at_log(self):
        return self.simctl({"cmd": "log"})["commands"]

    def fault(self, kind, **kw):
        req = {"cmd": "fault", "kind": kind}
        req.update(kw)
        r = self.simctl(req)
        if not r.get("ok"):
            raise AssertionError("fault failed: %r" % r)

    def idle(self):
        """Inbox processed, outbox drained, SIM empty."""
        try:
            pend = self.query("SELECT count(*) FROM inbox WHERE "
                              "processed_at IS NULL")[0][0]
        except sqlite3.Error:
            return False
        return pend == 0 and self.outbox_busy() == 0 and \
            self.sim_state()["used"] == 0

    def outbox_busy(self):
        r = self.ctl("status", "--json")
        if r.returncode:
            return -1
        return json.loads(r.stdout)["queues"]["outbox_queued"]

    # --- tear-down --------------------------------------------------------
    def stop_daemon(self, sig=signal.SIGTERM):
        if self.daemon is None:
            return None
        self.daemon.send_signal(sig)
        try:
            rc = self.daemon.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            rc = self.daemon.wait()
        self.daemon = None
        self.logf.close()
        return rc

    def close(self):
        rc = self.stop_daemon()
        if self.sim is not None:
            self.sim.terminate()
            try:
                self.sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.sim.kill()
            self.sim.stdout.close()
            self.sim_err.close()
        if VALGRIND:
            for name in os.listdir(self.dir):
                if name.startswith("valgrind.") and os.path.getsize(
                        os.path.join(self.dir, name)):
                    with open(os.path.join(self.dir, name)) as f:
                        raise AssertionError("valgrind:\n" + f.read())
        if os.environ.get("JIFEN_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        return rc
