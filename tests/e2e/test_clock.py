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
import time
import unittest

import harness
from jifen import Village, TIMEOUT, village_time

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
        v = Village(records=RECORDS, env=wrong_clock_env())
        try:
            v.wait_for(lambda: v.status("clock.source") == "system",
                       "clock.source written")
            started = int(v.status("started_at"))
            self.assertLess(started, 10 * 86400, "shim not in effect")
        finally:
            v.close()

    def test_sms_timestamps_fix_publicity_and_quiet_hours(self):
        v = Village(records=RECORDS, env=wrong_clock_env(),
                    conf={"sms.quiet_hours": quiet_around_real_now()})
        try:
            # the committee's message carries the network's timestamp
            real = time.time()
            reply = v.sms(MEMBER, "确认 2")
            self.assertIn("2", reply)
            st = self.status(v)
            self.assertEqual(st["clock.source"], "sms", st)
            offset = int(st["clock.offset"])
            # the SMS centre stamped the message within the last minutes
            self.assertAlmostEqual(offset, real - FAKE_START, delta=600)

            # 公示 ends seven days from the real date, not in 1970
            until, = v.query("SELECT notice_until FROM records "
                             "WHERE no = 2")[0]
            self.assertAlmostEqual(until, real + 7 * 86400, delta=900)

            # the household's notification waits for the real quiet
            # hours' end; the fake time and $TZ are both outside them
            rows = v.query("SELECT recipient, not_before FROM outbox "
                           "WHERE kind = 'notify'")
            self.assertTrue(rows, "no notification queued")
            for _, nb in rows:
                self.assertGreater(nb, real, rows)
                self.assertLess(nb, real + 2 * 3600, rows)
                end = village_time(nb)
                self.assertEqual(
                    "%02d:%02d" % (end.hour, end.minute),
                    quiet_around_real_now().split("-")[1])
            self.assertEqual(v.sent(VILLAGER2), [])

            # uptime comes from the monotonic clock, not the wrong one
            self.assertNotIn("not running", st["uptime"])
            self.assertTrue(st["uptime"].startswith("0d"), st["uptime"])
        finally:
            v.close()


if __name__ == "__main__":
    harness.main()
