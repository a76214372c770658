"""End-to-end: the real jifend against the modem simulator.

Each test builds a small village (tests/e2e/jifen.py), texts the gateway
through the simulator and checks the replies, the SIM and the database.
"""
import json
import os
import subprocess
import unittest

import harness
from jifen import Village, intl, TIMEOUT

VILLAGER = "13800000001"      # H01, 583 final points
OTHER = "13800000002"         # H02
MEMBER = "13900000009"        # committee, H03


class Basics(unittest.TestCase):
    def setUp(self):
        self.v = Village(profile="huawei")

    def tearDown(self):
        self.v.close()

    def test_points_reply(self):
        reply = self.v.sms(VILLAGER, "积分")
        self.assertIn("583", reply)

    def test_rate_quote_spec_example(self):
        reply = self.v.sms(VILLAGER, "利率 30")
        self.assertIn("4.42", reply)
        self.assertIn("1,740", reply)

    def test_help_for_unknown_and_fullwidth(self):
        reply = self.v.sms(VILLAGER, "ＪＦ")
        self.assertIn("583", reply)

    def test_message_committed_before_delete_and_sim_emptied(self):
        self.v.sms(VILLAGER, "积分")
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "SIM emptied")
        rows = self.v.query("SELECT text FROM inbox")
        self.assertEqual([r[0] for r in rows], ["积分"])
        # the AT log shows the read came before the delete
        log = self.v.at_log()
        reads = [i for i, c in enumerate(log)
                 if c.startswith("AT+CMGR") or c.startswith("AT+CMGL")]
        dels = [i for i, c in enumerate(log) if c.startswith("AT+CMGD")]
        self.assertTrue(dels and reads and min(reads) < min(dels))

    def test_reply_is_ucs2_single_part(self):
        self.v.sms(VILLAGER, "积分")
        sent = self.v.sent(VILLAGER)
        self.assertEqual(sent[0]["parts"], 1)
        self.assertEqual(sent[0]["alphabet"], "ucs2")

    def test_duplicate_network_delivery_answered_once(self):
        self.v.deliver(VILLAGER, "明细", duplicate=True)
        self.v.wait_sent(VILLAGER, 1)
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(len(self.v.sent(VILLAGER)), 1)
        n = self.v.query("SELECT count(*) FROM inbox")[0][0]
        self.assertEqual(n, 1)

    def test_long_message_parts_reversed(self):
        text = "村口的路灯坏了三个月了，晚上孩子放学回家很不安全，" * 4
        reply = self.v.sms(VILLAGER, "说事 " + text, order="reverse")
        rows = self.v.query("SELECT text FROM matters")
        self.assertEqual(len(rows), 1)
        self.assertIn("路灯", rows[0][0])
        self.assertTrue(rows[0][0].endswith("很不安全，"))
        self.assertRegex(reply, r"\d")

    def test_jifenctl_sim_send(self):
        r = subprocess.run([harness.binpath("jifenctl"), "-c", self.v.conf,
                            "sim", "send", VILLAGER, "积分"],
                           capture_output=True, text=True, timeout=TIMEOUT * 2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("583", r.stdout)

    def test_status_json(self):
        self.v.sms(VILLAGER, "积分")
        r = self.v.ctl("status", "--json", check=True)
        st = json.loads(r.stdout)
        self.assertEqual(st["modem.state"], "READY")
        self.assertEqual(st["queues"]["outbox_failed"], 0)

    def test_sigterm_stops_cleanly(self):
        self.assertEqual(self.v.stop_daemon(), 0)


class StatusUnits(unittest.TestCase):
    """jifenctl status speaks human units; --json has typed values
    (SPEC section 5)."""

    def test_signal_in_dbm_registration_in_words(self):
        v = Village(conf={"modem.health_interval": 10})
        try:
            v.simctl({"cmd": "set", "signal": 20})
            # the next health check reads AT+CSQ: 20
            v.wait_for(lambda: v.status("modem.signal_csq") == "20",
                       "a health check's signal", timeout=TIMEOUT * 2)
            out = v.ctl("status", check=True).stdout
            lines = dict(l.split(None, 1) for l in out.splitlines()
                         if len(l.split(None, 1)) == 2)
            self.assertEqual(lines["modem.signal"], "-73 dBm (CSQ 20)")
            self.assertEqual(lines["modem.registration"],
                             "registered, home network")
            self.assertRegex(lines["modem.sms_storage"], r"^\d+ of \d+ used$")
            self.assertRegex(lines["started_at"],
                             r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
            self.assertRegex(lines["clock.offset"], r"^[+-]\d+ s$")
            self.assertNotIn("started_mono", out)
            st = json.loads(v.ctl("status", "--json", check=True).stdout)
            self.assertEqual(st["modem.signal_csq"], 20)
            self.assertEqual(st["modem.signal_dbm"], -73)
            self.assertEqual(st["modem.registration"], "home")
            self.assertEqual(st["modem.registration_code"], 1)
            self.assertIsInstance(st["modem.sms_used"], int)
            self.assertIsInstance(st["modem.sms_total"], int)
            self.assertIsInstance(st["pid"], int)
            self.assertIsInstance(st["started_at"], int)
            self.assertIsInstance(st["clock.offset"], int)
            self.assertIsInstance(st["uptime_s"], int)
        finally:
            v.close()


class StartupSweep(unittest.TestCase):
    def test_messages_stored_while_down_are_answered(self):
        v = Village(start=False)
        try:
            v.deliver(VILLAGER, "积分", via="silent")
            v.deliver(OTHER, "帮助", via="silent")
            v.start_daemon()
            self.assertIn("583", v.wait_sent(VILLAGER, 1)[0]["text"])
            v.wait_sent(OTHER, 1)
            v.wait_for(lambda: v.sim_state()["used"] == 0, "SIM emptied")
        finally:
            v.close()

    def test_announced_elsewhere_found_by_sweep_on_restart(self):
        v = Village()
        try:
            v.stop_daemon()
            v.deliver(VILLAGER, "积分", via="silent")
            v.start_daemon()
            self.assertIn("583", v.wait_sent(VILLAGER, 1)[0]["text"])
        finally:
            v.close()


class Faults(unittest.TestCase):
    def setUp(self):
        self.v = Village()

    def tearDown(self):
        self.v.close()

    def test_hangup_reopen_and_answer(self):
        self.v.fault("hangup", delay_ms=300)
        self.v.wait_for(lambda: self.v.status("modem.state") != "READY",
                        "modem lost")
        self.v.wait_for(self.v.modem_ready, "modem back")
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        self.assertGreaterEqual(int(self.v.status("modem.reopens")), 1)

    def test_cms_error_on_send_is_retried(self):
        self.v.fault("cms_error", code=38, count=1)
        reply = self.v.sms(VILLAGER, "积分")
        self.assertIn("583", reply)
        self.assertEqual(len(self.v.sent(VILLAGER)), 1)

    def test_no_answer_then_recover(self):
        # the unanswered AT+CMGR times out (15 s), the chat resyncs and
        # the engine sweeps the SIM instead of waiting for the health check
        self.v.fault("noanswer", count=1)
        self.v.deliver(VILLAGER, "积分")
        sent = self.v.wait_sent(VILLAGER, 1, timeout=TIMEOUT + 40)
        self.assertIn("583", sent[0]["text"])

    def test_garbage_on_the_line(self):
        self.v.fault("garbage", count=3)
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))

    def test_urc_between_cmgs_and_prompt(self):
        self.v.fault("urc_in_prompt", count=2)
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))


class Committee(unittest.TestCase):
    def setUp(self):
        self.v = Village(records=(("H01", 583, "历年积分", True),
                                  ("H01", 5, "清扫房前屋后", False),
                                  ("H03", 8, "自家申报", False)))

    def tearDown(self):
        self.v.close()

    def test_approve_notifies_household(self):
        reply = self.v.sms(MEMBER, "确认 2")
        self.assertIn("2", reply)
        st = self.v.query("SELECT status FROM records WHERE no = 2")[0][0]
        self.assertEqual(st, "approved")   # in 公示
        self.v.wait_sent(VILLAGER, 1)
        self.v.wait_sent("13800000011", 1)

    def test_repeat_approval_harmless(self):
        self.v.sms(MEMBER, "QR2")
        again = self.v.sms(MEMBER, "确认2 ")
        self.assertTrue(again)
        n = self.v.query("SELECT count(*) FROM reviews")[0][0]
        self.assertEqual(n, 1)

    def test_villager_cannot_approve(self):
        self.v.sms(VILLAGER, "确认 2")
        st = self.v.query("SELECT status FROM records WHERE no = 2")[0][0]
        self.assertEqual(st, "pending")

    def test_own_household_refused(self):
        self.v.sms(MEMBER, "确认 3")
        st = self.v.query("SELECT status FROM records WHERE no = 3")[0][0]
        self.assertEqual(st, "pending")


class ConfigCheck(unittest.TestCase):
    def test_dash_n_ok_and_error_line(self):
        v = Village(start=False)
        try:
            r = subprocess.run([harness.binpath("jifend"), "-n", "-c",
                                v.conf], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("configuration OK", r.stdout)
            with open(v.conf, "a") as f:
                f.write("sms = { max_part = 3; };\n")
            r = subprocess.run([harness.binpath("jifend"), "-n", "-c",
                                v.conf], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(v.conf + ":", r.stderr)
        finally:
            v.close()


if __name__ == "__main__":
    harness.main()
