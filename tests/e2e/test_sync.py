"""End-to-end: sync with the platform (SPEC section 7, issue 10).

The real jifend (which starts the real jifen-sync) and the simulator,
against the test platform tests/platform/server.py with its own state.
Exactly-once is checked on the platform: every event id is in its event
table once, whatever faults and kills happened on the way (its delivery
counter shows the repeats it absorbed).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import harness
from jifen import Village, TIMEOUT, intl

SERVER = os.path.join(harness.TOP, "tests", "platform", "server.py")
VILLAGER = "13800000001"      # H01, 583 final points
MEMBER = "13900000009"        # committee, H03
RECORDS = (("H01", 583, "历年积分", True),
           ("H01", 5, "清扫房前屋后", False),     # no 2
           ("H02", 10, "帮助邻居秋收", False),    # no 3
           ("H02", 7, "义务修路", False))         # no 4
FAULTS = ("close_before_read", "close_after_commit", "slow", "http500",
          "http503", "http401", "malformed", "truncated", "huge",
          "wrong_type", "more_forever", "cursor_backwards")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Platform:
    """The test platform server in a temp dir."""

    def __init__(self, token="sekret", port=0, page=100):
        self.dir = tempfile.mkdtemp(prefix="jifen-platform-")
        self.token = token
        self.page = page
        self.start(port)

    def start(self, port=0):
        self.log = open(os.path.join(self.dir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--state",
             os.path.join(self.dir, "platform.db"), "--port", str(port),
             "--token", self.token, "--page", str(self.page)],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            raise AssertionError("platform did not start: %r" % line)
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=TIMEOUT)
            self.proc.stdout.close()
            self.log.close()
            self.proc = None

    def close(self):
        self.stop()
        if os.environ.get("JIFEN_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def control(self, **kw):
        req = urllib.request.Request(self.url + "/control",
                                     data=json.dumps(kw).encode(),
                                     method="POST")
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return json.loads(r.read())

    def state(self):
        with urllib.request.urlopen(self.url + "/control",
                                    timeout=TIMEOUT) as r:
            return json.loads(r.read())

    def bundle(self, data):
        req = urllib.request.Request(self.url + "/v1/bundle", data=data,
                                     method="POST")
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.read()

    def events(self, type_=None):
        return [e for e in self.state()["events"]
                if type_ is None or e["type"] == type_]


class SyncCase(unittest.TestCase):
    env = {}

    def setUp(self):
        self.saved = dict(os.environ)
        os.environ.update(self.env)
        os.environ["JIFEN_SYNC"] = harness.binpath("jifen-sync")
        self.p = Platform()
        self.v = None

    def village(self, url=None, start=True, interval=30, **conf):
        tok = tempfile.NamedTemporaryFile("w", delete=False,
                                          dir=self.p.dir, suffix=".token")
        tok.write("sekret\n")
        tok.close()
        self.token_file = tok.name
        c = {"sync.url": self.p.url if url is None else url,
             "sync.token_file": tok.name, "sync.interval": interval}
        c.update(conf)
        self.v = Village(records=RECORDS, conf=c, start=start)
        return self.v

    def tearDown(self):
        if self.v:
            self.v.close()
        self.p.close()
        os.environ.clear()
        os.environ.update(self.saved)

    # --- helpers --------------------------------------------------------
    def journal(self):
        return self.v.query("SELECT id, type FROM events")

    def sync_wait(self, env=None):
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.run([harness.binpath("jifenctl"), "-c",
                               self.v.conf, "sync", "--wait"],
                              capture_output=True, text=True, env=e,
                              timeout=TIMEOUT * 4)

    def approve(self, no):
        """Approve record NO by SMS; the id of its record.review event
        (from the journal, or from the platform when jifend synced it
        already)."""
        gid = self.v.query("SELECT gid FROM records WHERE no = ?",
                           (no,))[0][0]
        reply = self.v.sms(MEMBER, "确认%d" % no)
        self.assertIn(str(no), reply)
        found = []

        def look():
            ev = self.v.query("SELECT id FROM events WHERE type = "
                              "'record.review' AND ref = ?", (gid,))
            ev += [(e["id"],) for e in self.p.events("record.review")
                   if e["record"] == gid] if self.p.proc else []
            found[:] = [e for (e,) in ev]
            return bool(found)
        self.v.wait_for(look, "the review event of #%d" % no)
        return found[0]

    def assert_once(self, event_id):
        st = self.p.state()
        ids = [e["id"] for e in st["events"]]
        self.assertEqual(ids.count(event_id), 1, st)
        self.assertGreaterEqual(st["deliveries"].get(event_id, 0), 1)

    def wait_on_platform(self, event_id, timeout=None):
        self.v.wait_for(lambda: event_id in [e["id"] for e in
                                             self.p.state()["events"]],
                        "event %s on the platform" % event_id,
                        timeout=timeout or TIMEOUT * 3)


class Online(SyncCase):
    env = {"JIFEN_SYNC_DEBOUNCE": "1"}

    def test_journal_drains_and_health_arrives(self):
        self.village()
        self.v.wait_for(lambda: not self.journal(), "journal drained")
        # the first run may start while the modem is still being brought
        # up (slow under valgrind): its report says so, truthfully; a run
        # once the modem is ready must report READY
        self.v.wait_for(self.v.modem_ready, "modem ready")
        r = self.sync_wait()
        self.assertEqual(r.returncode, 0, r.stderr)
        st = self.p.state()
        self.assertEqual(len(st["events"]), len(RECORDS))
        health = list(st["health"].values())[0]
        for key in ("version", "uptime", "modem", "outbox",
                    "events_waiting", "free_disk", "clock"):
            self.assertIn(key, health)
        self.assertEqual(health["modem"]["state"], "READY")
        self.assertIn("registration", health["modem"])
        r = self.v.ctl("status", "--json", check=True)
        s = json.loads(r.stdout)["sync"]
        self.assertEqual(s["events_waiting"], 0)
        self.assertIsNone(s["last_error"])
        # the server's Date is kept as a time source
        self.assertIsNotNone(self.v.status("sync.server_date"))

    def test_approval_while_down_arrives_once_after_return(self):
        port = free_port()
        self.p.stop()
        self.village(url="http://127.0.0.1:%d" % port)
        ev = self.approve(2)
        self.v.wait_for(lambda: "sync: failed" in self.v.tail(200),
                        "a failed sync while the platform is down")
        self.assertIn(ev, [e for (e, _) in self.journal()])
        self.p.start(port)
        self.wait_on_platform(ev)
        self.v.wait_for(lambda: not self.journal(), "journal drained")
        self.assert_once(ev)
        self.assertEqual(self.p.events("record.review")[0]["decision"],
                         "approved")

    def test_local_change_syncs_after_debounce(self):
        self.village()
        self.v.wait_for(lambda: not self.journal(), "first sync")
        ev = self.approve(3)
        self.wait_on_platform(ev)
        self.assert_once(ev)

    def test_platform_changes_reach_villagers_by_sms(self):
        self.village()
        newcomer = "13800000099"
        self.assertIn("登记", self.v.sms(newcomer, "积分"))
        self.p.control(household={"id": "H09", "name": "新户家",
                                  "members": [{"phone": newcomer,
                                               "name": "王五",
                                               "role": "villager"}]})
        self.p.control(record={"id": "plat-rec-1", "household": "H09",
                               "points": 120, "reason": "平台录入",
                               "status": "final"})
        self.p.control(policy={"base_rate": 4.0, "step_discount": 0.2})
        r = self.sync_wait()      # jifend may have run one meanwhile
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("applied", r.stdout)
        self.assertIn("120", self.v.sms(newcomer, "查询"))
        # 583 points x 0.2 / 100 = 1.166 pp off 4.0%
        self.assertIn("2.83", self.v.sms(VILLAGER, "利率"))
        self.v.stop_daemon()
        self.v.start_daemon()
        self.assertIn("2.83", self.v.sms(VILLAGER, "2"))    # kept
        # a deleted household's phones are unbound
        self.p.control(household={"id": "H09", "deleted": True})
        self.assertEqual(self.sync_wait().returncode, 0)
        self.assertEqual(self.v.query(
            "SELECT COUNT(*) FROM phones WHERE household = 'H09'")[0][0], 0)
        self.assertEqual(self.v.query(
            "SELECT deleted FROM households WHERE id = 'H09'")[0][0], 1)

    def test_platform_decision_wins_and_member_is_told(self):
        self.village()
        self.v.wait_for(lambda: not self.journal(), "first sync")
        rec = self.v.query("SELECT gid FROM records WHERE no = 4")[0][0]
        # decided on the platform, not yet synced; approved by SMS
        self.p.control(decide={"record": rec, "status": "rejected"})
        os.environ["JIFEN_SYNC_DEBOUNCE"] = "1"
        before = len(self.v.sent(MEMBER))
        ev = self.approve(4)
        self.wait_on_platform(ev)
        self.v.wait_for(lambda: self.v.query(
            "SELECT status FROM records WHERE no = 4")[0][0] == "rejected",
            "platform state applied")
        told = self.v.wait_sent(MEMBER, before + 2)[-1]["text"]
        self.assertIn("未生效", told)
        self.assertIn("4", told)
        self.v.wait_for(lambda: not self.journal(), "journal drained")
        r = self.v.ctl("sync", "--rejected", check=True)
        self.assertIn(ev, r.stdout)
        self.assertIn("decided otherwise", r.stdout)
        st = json.loads(self.v.ctl("status", "--json").stdout)["sync"]
        self.assertEqual(st["events_rejected"], 1)

    def test_empty_url_never_syncs(self):
        self.village(url="")
        self.approve(2)
        r = self.v.ctl("sync")
        self.assertEqual(r.returncode, 1)
        self.assertIn("sync is off", r.stderr)
        self.assertNotIn("sync:", self.v.tail(500))
        self.assertEqual(self.p.state()["requests"], 0)
        self.assertEqual(len(self.journal()), len(RECORDS) + 1)


class Debounce(SyncCase):
    env = {"JIFEN_SYNC_DEBOUNCE": "5"}

    def runs(self):
        return self.v.tail(100000).count("sync: started")

    def test_a_burst_of_changes_makes_one_run(self):
        self.village()
        self.v.wait_for(lambda: not self.journal(), "first sync")
        n0 = self.runs()
        t = time.monotonic()
        evs = [self.approve(2), self.approve(3), self.approve(4)]
        burst = time.monotonic() - t
        for ev in evs:
            self.wait_on_platform(ev)
            self.assert_once(ev)
        if burst < 4:       # all three inside one debounce window
            self.assertEqual(self.runs() - n0, 1, self.v.tail(40))
        else:               # a slow machine: still far fewer than 3
            self.assertLessEqual(self.runs() - n0, 2, self.v.tail(40))


class Faults(SyncCase):
    """Every fault mode: the approval reaches the platform exactly once."""
    env = {"JIFEN_SYNC_DEBOUNCE": "100000"}

    def test_every_fault_mode(self):
        self.village(start=False, interval=3600)
        self.v.start_daemon()
        env = {"JIFEN_SYNC_TIMEOUT": "4"}
        # a platform change first, so the gateway holds a cursor
        self.p.control(household={"id": "H07", "name": "七户"})
        self.assertEqual(self.sync_wait().returncode, 0)
        cursor = self.v.query("SELECT value FROM sync_state WHERE key = "
                              "'cursor'")[0][0]
        for i, fault in enumerate(FAULTS):
            ev = self.approve(2 + i) if 2 + i <= 4 else None
            if ev is None:
                no = self.v.ctl("record", "add", "H02", "1", "扫雪",
                                check=True).stdout.strip()
                no = int("".join(c for c in no if c.isdigit()))
                ev = self.approve(no)
            self.p.control(fault=fault, count=1, delay=10,
                           retry_after=1)
            # jifend may run one itself meanwhile: whoever meets the
            # fault, the outcome must be the same
            r = self.sync_wait(env)
            if r.returncode != 0:
                self.assertEqual(len(r.stderr.strip().splitlines()), 1,
                                 r.stderr)
                self.assertIn("jifen-sync: ", r.stderr)
            self.v.wait_for(lambda: self.p.state()["fault_left"] == 0,
                            "fault %s met" % fault)
            # nothing lost: what was not acknowledged is still here
            st = self.p.state()
            if ev not in [e["id"] for e in st["events"]]:
                self.assertIn(ev, [e for (e, _) in self.journal()])
            for _ in range(5):
                r = self.sync_wait(env)
                if r.returncode == 0 and not self.journal():
                    break
            self.assertEqual(r.returncode, 0, "%s: %s" % (fault,
                                                          r.stderr))
            self.assertEqual(self.journal(), [], fault)
            self.assert_once(ev)
        # the cursor never went backwards, the platform state holds
        cur = self.v.query("SELECT value FROM sync_state WHERE key = "
                           "'cursor'")
        self.assertEqual(cur[0][0], cursor)
        errs = self.v.ctl("status").stdout
        self.assertIn("sync.last_error", errs)

    def test_401_stops_until_jifenctl_sync(self):
        self.p.control(token="other")
        self.village()
        self.v.wait_for(lambda: "refused the token" in self.v.tail(200),
                        "jifend saw the 401")
        st = json.loads(self.v.ctl("status", "--json").stdout)["sync"]
        self.assertTrue(st["stopped"])
        self.assertIn("401", st["last_error"])
        self.p.control(token="sekret")
        n = self.p.state()["requests"]
        ev = self.approve(2)      # the journal grows: still stopped
        time.sleep(3)             # bounded negative check: no run
        self.assertEqual(self.p.state()["requests"], n)
        r = self.v.ctl("sync")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_on_platform(ev)
        self.assert_once(ev)
        st = json.loads(self.v.ctl("status", "--json").stdout)["sync"]
        self.v.wait_for(lambda: not json.loads(self.v.ctl(
            "status", "--json").stdout)["sync"]["stopped"], "stop lifted")

    def test_retry_after_is_honoured(self):
        self.p.control(fault="http503", count=1, retry_after=25)
        self.village(interval=60)
        self.v.wait_for(lambda: "next try in" in self.v.tail(200),
                        "the daemon's back-off")
        line = [ln for ln in self.v.tail(200).splitlines()
                if "next try in" in ln][0]
        secs = int(line.split("next try in ")[1].split()[0])
        self.assertGreaterEqual(secs, 25, line)
        self.assertLessEqual(secs, 60, line)
        st = json.loads(self.v.ctl("status", "--json").stdout)["sync"]
        self.assertIn("503", st["last_error"])
        # an operator does not wait for it
        r = self.v.ctl("sync")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.v.wait_for(lambda: not self.journal(), "journal drained")

    def test_hung_run_is_killed(self):
        os.environ["JIFEN_SYNC_LIMIT"] = "2"
        self.p.control(fault="slow", count=1, delay=8)
        self.village()
        self.v.wait_for(lambda: "killed" in self.v.tail(200),
                        "the hung run killed")
        self.v.wait_for(lambda: not self.journal(), "journal drained",
                        timeout=TIMEOUT * 3)
        for e in self.p.state()["events"]:
            self.assert_once(e["id"])


class Kills(SyncCase):
    """kill -9 of jifen-sync or jifend at any point of a run."""

    def test_kill_sync_at_any_point(self):
        self.village(start=False, interval=3600)
        made = []
        for k in range(40):
            self.v.ctl("record", "add", "H02", str(k + 1), "批量%d" % k,
                       check=True)
        for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4):
            made.append(self.v.ctl("record", "add", "H01", "1", "kill",
                                   check=True))
            p = subprocess.Popen([harness.binpath("jifen-sync"), "-c",
                                  self.v.conf, "-q"],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(delay)     # the point of the run to kill at
            p.kill()
            p.wait()
        r = subprocess.run([harness.binpath("jifen-sync"), "-c",
                            self.v.conf], capture_output=True, text=True,
                           timeout=TIMEOUT * 3)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.journal(), [])
        st = self.p.state()
        ids = [e["id"] for e in st["events"]]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(len(ids), len(RECORDS) + 40 + 7)

    def test_kill_jifend_during_a_run(self):
        self.p.control(fault="slow", count=1, delay=3)
        self.village()
        ev = self.approve(2)
        self.v.wait_for(lambda: "sync: started" in self.v.tail(200),
                        "a run started")
        self.v.stop_daemon(signal.SIGKILL)
        self.v.start_daemon()
        self.wait_on_platform(ev)
        self.v.wait_for(lambda: not self.journal(), "journal drained",
                        timeout=TIMEOUT * 3)
        self.assert_once(ev)


class Bundles(SyncCase):
    def test_export_import_and_refusals(self):
        self.village(url="")
        ev = self.approve(2)
        path = os.path.join(self.v.dir, "out.bundle")
        r = self.v.ctl("bundle", "export", path, check=True)
        self.assertIn("%d events" % (len(RECORDS) + 1), r.stdout)
        with open(path, "rb") as f:
            req = f.read()
        self.assertTrue(req.startswith(b"JIFEN-BUNDLE/1 request\n"))
        resp = self.p.bundle(req)
        answer = os.path.join(self.v.dir, "in.bundle")

        def write(data, name="x.bundle"):
            p = os.path.join(self.v.dir, name)
            with open(p, "wb") as f:
                f.write(data)
            return p

        before = self.journal()
        # truncated, altered, another village: refused, nothing changed
        head, body = resp.split(b"\n\n", 1)
        bad = {
            "truncated": resp[:-10],
            "altered": head + b"\n\n" + body.replace(b'"more": false',
                                                    b'"more": fals3'),
            "for village": head.replace(b"village: 510681-sanshui-youyi",
                                        b"village: 510681-other") +
            b"\n\n" + body,
            "not a Jifen": b"hello",
        }
        for why, data in bad.items():
            r = self.v.ctl("bundle", "import", write(data))
            self.assertEqual(r.returncode, 1, why)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1,
                             r.stderr)
            self.assertIn(why, r.stderr)
            self.assertEqual(self.journal(), before)
        write(resp, "in.bundle")
        r = self.v.ctl("bundle", "import", answer, check=True)
        self.assertIn("accepted %d" % (len(RECORDS) + 1), r.stdout)
        self.assertEqual(self.journal(), [])
        self.assert_once(ev)
        r = self.v.ctl("bundle", "import", answer)
        self.assertEqual(r.returncode, 1)
        self.assertIn("imported already", r.stderr)


class Conformance(unittest.TestCase):
    def test_reference_platform_passes_the_vendor_check(self):
        p = Platform()
        try:
            r = subprocess.run([sys.executable, os.path.join(
                harness.TOP, "tests", "platform", "conformance.py"),
                p.url, "sekret"], capture_output=True, text=True,
                timeout=TIMEOUT * 3)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("12 passed, 0 failed", r.stdout)
        finally:
            p.close()


if __name__ == "__main__":
    harness.main()
