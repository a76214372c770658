"""End-to-end: the modem engine's duties (issue 3) against the simulator's
vendor profiles and faults, through the real jifend."""
import json
import os
import time
import unittest

import harness
from jifen import Village, TIMEOUT

VILLAGER = "13800000001"      # H01, 583 final points
OTHER = "13800000002"         # H02
MEMBER = "13900000009"        # committee, H03


class Profiles(unittest.TestCase):
    """Every vendor profile: bring-up with its CNMI quirks, then a reply."""

    def run_profile(self, profile):
        v = Village(profile=profile)
        try:
            self.assertIn("583", v.sms(VILLAGER, "积分"))
            cnmi = [c for c in v.at_log() if c.startswith("AT+CNMI=")
                    and c != "AT+CNMI=?"]
            self.assertTrue(cnmi, "no AT+CNMI sent")
            # store-and-notify (mt=1), never direct delivery (mt=2)
            self.assertEqual(v.sim_state()["cnmi"][1], 1)
            for c in v.at_log():
                self.assertFalse(c.startswith("AT+CNMI=") and
                                 c.split("=")[1].split(",")[1:2] == ["2"],
                                 "direct delivery requested: " + c)
        finally:
            v.close()

    def test_generic(self):
        self.run_profile("generic")

    def test_huawei(self):
        self.run_profile("huawei")

    def test_simcom(self):
        self.run_profile("simcom")

    def test_quectel(self):
        self.run_profile("quectel")

    def test_pdu_mode_and_charset_pinned(self):
        v = Village()
        try:
            log = v.at_log()
            self.assertIn("AT+CMGF=0", log)
            self.assertTrue(any(c.startswith("AT+CSCS=") for c in log))
            self.assertIn("ATE0", log)
        finally:
            v.close()


class Pin(unittest.TestCase):
    def test_sim_pin_from_config(self):
        v = Village(sim_args=["--pin", "4321"], conf={"modem.pin": "4321"})
        try:
            self.assertIn("583", v.sms(VILLAGER, "积分"))
            pins = [c for c in v.at_log() if c.startswith('AT+CPIN="')]
            self.assertEqual(len(pins), 1)
        finally:
            v.close()

    def test_wrong_pin_never_retried(self):
        v = Village(sim_args=["--pin", "4321"], conf={"modem.pin": "1111"},
                    start=False)
        try:
            v.start_daemon(wait_ready=False)
            v.wait_for(lambda: v.status("modem.state") == "SIM_ERROR",
                       "SIM_ERROR")
            # a hang-up and re-plug must not make it try again
            v.fault("hangup", delay_ms=200)
            v.wait_for(lambda: int(v.status("modem.reopens") or 0) >= 1 or
                       any(c.startswith("AT+CPIN?") for c in
                           v.at_log()[-5:]), "reopen")
            st = v.sim_state()
            self.assertGreaterEqual(st["pin_left"], 2)
            pins = [c for c in v.at_log() if c.startswith('AT+CPIN="')]
            self.assertLessEqual(len(pins), 1)
        finally:
            v.close()


class Receive(unittest.TestCase):
    def setUp(self):
        self.v = Village(conf={"sms.per_number_per_hour": 1000})

    def tearDown(self):
        self.v.close()

    def test_interleaved_long_messages_from_two_senders(self):
        a = "说事 " + "东头水渠堵了，下雨就淹到田里，" * 5
        b = "说事 " + "西头桥栏杆松动，孩子上学经过很危险，" * 5
        self.v.deliver(VILLAGER, a, order="shuffle")
        self.v.deliver(OTHER, b, order="reverse")
        self.v.wait_sent(VILLAGER, 1)
        self.v.wait_sent(OTHER, 1)
        rows = dict(self.v.query("SELECT phone, text FROM matters"))
        self.assertEqual(rows["+8613800000001"], a[3:])
        self.assertEqual(rows["+8613800000002"], b[3:])

    def test_sim_full_messages_wait_on_network_then_arrive(self):
        # five bound phones, five texts each (the loop guard stops at 20
        # messages to one number in 5 minutes)
        phones = [VILLAGER, "13800000011", OTHER, "13800000004", MEMBER]
        self.v.stop_daemon()
        # capacity 20: 20 stored while the daemon is down, 5 wait on the
        # network and are announced (+CMTI) once slots free up
        for i in range(25):
            self.v.deliver(phones[i % 5], "利率 %d" % (i + 1),
                           via="silent" if i < 20 else "cmti")
        self.assertEqual(self.v.sim_state()["used"], 20)
        self.assertEqual(self.v.sim_state()["pending"], 5)
        self.v.start_daemon()
        for p in phones:
            self.v.wait_sent(p, 5, timeout=TIMEOUT * 2)
        self.v.wait_for(self.v.idle, "idle")
        n = self.v.query("SELECT count(*) FROM inbox")[0][0]
        self.assertEqual(n, 25)

    def test_loop_guard_stops_at_20_in_5_minutes(self):
        for i in range(22):
            self.v.deliver(VILLAGER, "利率 %d" % (i + 1))
        self.v.wait_sent(VILLAGER, 20)
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM inbox WHERE processed_at IS NULL"
        )[0][0] == 0 and self.v.query("SELECT count(*) FROM inbox")[0][0]
            == 22, "all 22 handled")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(len(self.v.sent(VILLAGER)), 20)

    def test_non_text_pdu_deleted_without_reply(self):
        # WAP push: 8-bit data with an application port IE (2948)
        wap = ("0891683108200505F0440D91683110000000F100F5621182514590230A"
               "0605040B8423F0000102")
        r = self.v.simctl({"cmd": "deliver_pdu", "pdu": wap})
        self.assertTrue(r["ok"], r)
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "WAP push deleted")
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM audit WHERE action = 'sms.non_text'"
        )[0][0] == 1, "audit row")
        self.assertEqual(self.v.sent(), [])

    def test_delivery_report_recorded(self):
        self.v.sms(VILLAGER, "积分")
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM outbox_parts WHERE delivered = 0"
        )[0][0] == 1, "delivery report matched")
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "stored report deleted")


class Send(unittest.TestCase):
    def setUp(self):
        self.v = Village(conf={"sms.per_number_per_hour": 1000})

    def tearDown(self):
        self.v.close()

    def test_long_reply_is_concatenated_with_one_reference(self):
        v = self.v
        for i in range(4):
            v.ctl("record", "add", "H01", str(i + 1), "参加村民大会讨论修路方案第%d次" % i,
                  check=True)
        text = v.sms(MEMBER, "待审")
        sent = v.sent(MEMBER)[-1]
        self.assertLessEqual(sent["parts"], 2)
        self.assertTrue(sent["complete"])
        self.assertIn("#2", text)

    def test_send_failing_for_good_is_visible(self):
        self.v.fault("cms_error", code=500, count=10)
        self.v.deliver(VILLAGER, "积分")
        self.v.wait_for(lambda: json.loads(self.v.ctl(
            "status", "--json").stdout)["queues"]["outbox_failed"] == 1,
            "failed message in status", timeout=TIMEOUT * 2)
        self.assertEqual(self.v.sent(VILLAGER), [])

    def test_no_busy_loop_while_modem_lost_with_queued_reply(self):
        def cpu_ticks():
            with open("/proc/%d/stat" % self.v.daemon.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])     # utime + stime
        # the reply's first try fails (retry in 2 s), then the modem is
        # unplugged for 5 s: the reply is due while there is no modem
        self.v.fault("cms_error", code=38, count=1)
        self.v.deliver(VILLAGER, "积分")
        self.v.wait_for(lambda: any(c.startswith("AT+CMGS")
                                    for c in self.v.at_log()), "first try")
        self.v.fault("hangup", delay_ms=5000)
        self.v.wait_for(lambda: self.v.status("modem.state") != "READY",
                        "modem lost")
        c0 = cpu_ticks()
        time.sleep(3)      # a CPU measurement window, not a wait for an event
        ticks = cpu_ticks() - c0
        # a busy loop would burn ~3 s of CPU here; a sleeping daemon ~0
        self.assertLess(ticks / os.sysconf("SC_CLK_TCK"), 0.5,
                        "CPU while the modem is gone and a reply is due")
        self.assertIn("583", self.v.wait_sent(VILLAGER, 1,
                                              timeout=TIMEOUT * 2)[0]["text"])

    def test_console_review_notifies_at_once(self):
        self.v.ctl("record", "add", "H01", "3", "打扫村道", check=True)
        self.v.ctl("review", "2", "approve", check=True)
        # jifenctl wakes the daemon: not at the next health check (300 s)
        told = self.v.wait_sent(VILLAGER, 1)[0]["text"]
        self.assertIn("公示", told)

    def test_consecutive_timeouts_reopen_the_port(self):
        self.v.fault("noanswer", count=4)
        self.v.deliver(VILLAGER, "积分")
        sent = self.v.wait_sent(VILLAGER, 1, timeout=TIMEOUT + 90)
        self.assertIn("583", sent[0]["text"])


class Reboot(unittest.TestCase):
    def check_reboot(self, profile, conf):
        v = Village(profile=profile, conf=conf)
        try:
            v.simctl({"cmd": "reboot"})
            v.wait_for(lambda: v.sim_state()["cnmi"][1] == 1,
                       "CNMI set again after the reboot", timeout=TIMEOUT * 2)
            self.assertIn("583", v.sms(VILLAGER, "积分"))
        finally:
            v.close()

    def test_reboot_noise_triggers_reinit(self):
        self.check_reboot("quectel", {})

    def test_silent_reboot_caught_by_health_check(self):
        self.check_reboot("generic", {"modem.health_interval": 10})


if __name__ == "__main__":
    harness.main()
