"""A board whose system clock is wrong still dates things right (SPEC §13).

jifend runs with an LD_PRELOAD shim (tests/e2e/clockshift.c) that makes
its system clock read early 1970 at noon UTC, and with $TZ set to a zone
that is not the village's.  The network's time reaches it through the
simulator; the test then checks what a villager sees: the end of 公示 is
seven days from the real date in village.timezone, notifications wait
for the real quiet hours, and `jifenctl status` names the clock source
and the offset.
"""
import json
import os
import sqlite3
import time
import unittest

import harness
from jifen import Village, TIMEOUT, village_time
from webfix import Web

VILLAGER2 = "13800000002"      # H02
MEMBER = "13900000009"         # committee, H03
RECORDS = (("H01", 583, "历年积分", True),
           ("H02", 10, "帮助邻居秋收", False))   # no 2, pending
SHIM = harness.binpath("tests/libclockshift.so")
EMULATED = bool(os.environ.get("JIFEN_EMULATED"))
# the daemon's system clock: 1970-01-02 12:00 UTC at the start of the test
FAKE_START = 86400 + 12 * 3600


def quiet_around_real_now():
    """Quiet hours around the real time of day in the village's zone: the
    fake clock (12 h off) and the process's $TZ both fall outside."""
    t = village_time()
    m = t.hour * 60 + t.minute
    start, end = (m - 90) % 1440, (m + 90) % 1440
    return "%02d:%02d-%02d:%02d" % (start // 60, start % 60,
                                     end // 60, end % 60)


def wrong_clock_env():
    shift = str(FAKE_START - int(time.time()))
    env = {"JIFEN_CLOCK_SHIFT": shift, "TZ": "America/Los_Angeles"}
    if EMULATED:
        # the wrapper is a host shell: hand the armhf shim to the guest
        env["QEMU_SET_ENV"] = "LD_PRELOAD=" + SHIM
    else:
        env["LD_PRELOAD"] = SHIM
        # a sanitizer runtime must come first; the shim needs no checking
        env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") +
                               ":verify_asan_link_order=0").lstrip(":")
    return env


class WrongClock(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(SHIM):
            self.skipTest("%s not built (make unit)" % SHIM)

    def status(self, v):
        r = v.ctl("status", "--json", check=True)
        return json.loads(r.stdout)

    def test_shim_fakes_the_clock(self):
        """The premise: without the network the daemon believes 1970."""
        v = self.village(nitz=False)
        try:
            v.wait_for(lambda: v.status("clock.source") == "system",
                       "clock.source written")
            started = int(v.status("started_at"))
            self.assertLess(started, 10 * 86400, "shim not in effect")
        finally:
            v.close()

    def village(self, nitz=True, before_start=None):
        """A village whose daemon's clock is wrong; the simulated network
        sends its time (NITZ) unless @nitz is False."""
        v = Village(records=RECORDS, env=wrong_clock_env(), start=False,
                    conf={"sms.quiet_hours": quiet_around_real_now()})
        try:
            if not nitz:
                self.assertTrue(v.simctl({"cmd": "set", "nitz": False})["ok"])
            if before_start:
                before_start(v)
            v.start_daemon()
        except BaseException:
            v.close()
            raise
        return v

    def check_dates(self, v, source):
        """The committee approves no 2 by SMS: 公示 ends seven real days
        on, the household's notification waits for the real quiet hours'
        end, and status names @source and the offset."""
        real = time.time()
        reply = v.sms(MEMBER, "确认 2")
        self.assertIn("2", reply)
        st = self.status(v)
        self.assertEqual(st["clock.source"], source, st)
        self.assertAlmostEqual(int(st["clock.offset"]), real - FAKE_START,
                               delta=600)
        until, = v.query("SELECT notice_until FROM records WHERE no = 2")[0]
        self.assertAlmostEqual(until, real + 7 * 86400, delta=900)
        rows = v.query("SELECT recipient, not_before FROM outbox "
                       "WHERE kind = 'notify'")
        self.assertTrue(rows, "no notification queued")
        for _, nb in rows:
            self.assertGreater(nb, real, rows)
            self.assertLess(nb, real + 2 * 3600, rows)
            end = village_time(nb)
            self.assertEqual("%02d:%02d" % (end.hour, end.minute),
                             quiet_around_real_now().split("-")[1])
        self.assertEqual(v.sent(VILLAGER2), [])
        return st

    def test_nitz_without_any_sms(self):
        """The modem's network time alone corrects the clock at start."""
        v = self.village()
        try:
            v.wait_for(lambda: v.status("clock.source") == "nitz",
                       "clock.source nitz")
            self.assertIn("AT+CTZU=1", v.at_log())
            self.assertIn("AT+CCLK?", v.at_log())
            self.assertIn("clock: nitz", v.tail())
            st = self.check_dates(v, "nitz")
            self.assertTrue(st["uptime"].startswith("0d"), st["uptime"])
        finally:
            v.close()

    def test_nitz_update_after_start(self):
        """A network that announces its time later (+CTZV) is heard."""
        v = self.village()
        try:
            v.wait_for(lambda: v.status("clock.source") == "nitz",
                       "clock.source nitz")
            later = int(time.time()) + 3 * 86400
            self.assertTrue(v.simctl({"cmd": "nitz", "time": later})["ok"])
            v.wait_for(lambda: abs(int(v.status("clock.offset")) -
                                   (later - FAKE_START)) < 600,
                       "offset from the announced time")
        finally:
            v.close()

    def test_sync_date_is_a_source(self):
        """jifen-sync records the server's Date in status: a source."""
        def server_said(v):
            con = sqlite3.connect(v.db)
            try:
                # written by jifen-sync with the same wrong system clock
                con.execute("INSERT OR REPLACE INTO status VALUES "
                            "('sync.server_date', ?, ?)",
                            (str(int(time.time())), FAKE_START))
                con.commit()
            finally:
                con.close()
        v = self.village(nitz=False, before_start=server_said)
        try:
            v.wait_for(lambda: v.status("clock.source") == "sync",
                       "clock.source sync")
            self.check_dates(v, "sync")
        finally:
            v.close()

    def test_sms_timestamps_fix_publicity_and_quiet_hours(self):
        v = self.village(nitz=False)
        try:
            # the committee's message carries the network's timestamp,
            # stamped by the SMS centre within the last minutes
            st = self.check_dates(v, "sms")

            # uptime comes from the monotonic clock, not the wrong one
            self.assertNotIn("not running", st["uptime"])
            self.assertTrue(st["uptime"].startswith("0d"), st["uptime"])
        finally:
            v.close()

    def test_front_ends_date_with_the_learned_time(self):
        """jifenctl and jifen-web, on the same wrong system clock as the
        daemon, date what they write with the time jifend learned
        (clock.offset in status, gateway/clockview.h), not 1970."""
        v = self.village()
        w = None
        try:
            v.wait_for(lambda: v.status("clock.source") == "nitz",
                       "clock.source nitz")
            real = time.time()
            v.ctl("send", VILLAGER2, "明天停水", check=True, env=v.env)
            at, = v.query("SELECT created_at FROM outbox "
                          "WHERE kind = 'alert'")[0]
            self.assertAlmostEqual(at, real, delta=600)

            v.ctl("household", "remove", "H04", check=True, env=v.env)
            at, = v.query("SELECT at FROM audit "
                          "WHERE action = 'household.remove'")[0]
            self.assertAlmostEqual(at, real, delta=600)

            # the printed 公示 is dated today in the village, not 1970
            page = os.path.join(v.dir, "publicity.html")
            v.ctl("publicity", "list", "--html", page, check=True,
                  env=v.env)
            with open(page, encoding="utf-8") as f:
                self.assertIn(village_time().strftime("%Y年%m月%d日"),
                              f.read())

            # a record added on the console
            w = Web(v, env=dict(os.environ, **v.env))
            w.set_password()
            self.assertEqual(w.login_clerk().status, 303)
            r = w.post("/records/add", {"csrf": w.csrf("/records"),
                                        "household": "H01", "points": "3",
                                        "reason": "网页记录"})
            self.assertEqual(r.status, 200, r.text)
            at, = v.query("SELECT created_at FROM records "
                          "WHERE reason = '网页记录'")[0]
            self.assertAlmostEqual(at, real, delta=600)
        finally:
            if w:
                w.close()
            v.close()


if __name__ == "__main__":
    harness.main()
