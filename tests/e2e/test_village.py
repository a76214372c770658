"""End-to-end: the village rules of SPEC §6 through the real daemon
(issue 4).  The handlers' unit tests (tests/unit/test-handlers.c) cover
each rule on a real store; these prove the daemon wires them up."""
import os
import signal
import time
import unittest

import harness
from jifen import Village, TIMEOUT, quiet_now

VILLAGER = "13800000001"      # H01, 583 final points
SECOND = "13800000011"        # H01's second phone
OTHER = "13800000002"         # H02
MEMBER = "13900000009"        # committee, H03, PIN 1234
RECORDS = (("H01", 583, "历年积分", True),
           ("H01", 5, "清扫房前屋后", False),     # no 2
           ("H02", 10, "帮助邻居秋收", False),    # no 3
           ("H03", 8, "自家申报", False))         # no 4


class Rules(unittest.TestCase):
    def setUp(self):
        self.v = Village(records=RECORDS)

    def tearDown(self):
        self.v.close()

    def test_log_shows_own_records_only(self):
        reply = self.v.sms(VILLAGER, "明细")
        self.assertIn("清扫", reply)
        self.assertNotIn("秋收", reply)

    def test_digit_shortcuts(self):
        self.assertIn("583", self.v.sms(VILLAGER, "1"))
        self.assertIn("4.42", self.v.sms(VILLAGER, "2"))

    def test_unknown_number_one_hint_then_silence(self):
        stranger = "13312345678"
        hint = self.v.sms(stranger, "积分")
        self.assertIn("登记", hint)
        self.v.deliver(stranger, "利率")
        self.v.deliver(stranger, "明细")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(len(self.v.sent(stranger)), 1)

    def test_help_answers_anyone(self):
        self.assertIn("积分", self.v.sms("13312345678", "帮助"))

    def test_alphanumeric_and_service_senders_never_answered(self):
        self.v.deliver("CMCC", "积分")
        self.v.deliver("10086", "帮助")
        self.v.deliver("1065912345", "积分")
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL"
        )[0][0] == 3, "handled")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(self.v.sent(), [])

    def test_same_text_again_is_answered_again(self):
        # SPEC §6 (changed): no 10-minute same-text silence.  A network
        # redelivery (same sender, timestamp and text) is handled once
        # by the inbox key; a villager asking again is answered again.
        scts = int(time.time())
        self.v.sms(VILLAGER, "积分", scts=scts)
        self.v.deliver(VILLAGER, "积分", scts=scts)          # redelivery
        self.v.deliver(VILLAGER, "积分", scts=scts + 30)     # asked again
        self.v.wait_sent(VILLAGER, 2)
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(len(self.v.sent(VILLAGER)), 2)

    def test_say_gives_ticket_and_journals_event(self):
        reply = self.v.sms(VILLAGER, "说事 村口路灯坏了")
        rows = self.v.query("SELECT no, text FROM matters")
        self.assertEqual(rows[0][1], "村口路灯坏了")
        self.assertIn(str(rows[0][0]), reply)
        ev = self.v.query("SELECT type FROM events WHERE type = 'matter.new'")
        self.assertEqual(len(ev), 1)

    def test_reject_needs_reason_then_household_told(self):
        err = self.v.sms(MEMBER, "驳回 3")
        self.assertTrue(err)
        self.assertEqual(self.v.query(
            "SELECT status FROM records WHERE no = 3")[0][0], "pending")
        self.v.sms(MEMBER, "驳回3不属实")
        self.assertEqual(self.v.query(
            "SELECT status FROM records WHERE no = 3")[0][0], "rejected")
        told = self.v.wait_sent(OTHER, 1)[0]["text"]
        self.assertIn("不属实", told)
        ev = self.v.query("SELECT state FROM events WHERE type = "
                          "'record.review'")
        self.assertIn("rejected", ev[0][0])

    def test_committee_todo_excludes_own_household(self):
        reply = self.v.sms(MEMBER, "待审")
        self.assertIn("#2", reply)
        self.assertIn("#3", reply)
        self.assertNotIn("#4", reply)

    def test_villager_todo_and_unknown_id_same_reply(self):
        a = self.v.sms(VILLAGER, "确认 3")      # exists, not allowed
        b = self.v.sms(VILLAGER, "确认 999")    # does not exist
        self.assertEqual(a.replace("3", "N"), b.replace("999", "N"))
        self.assertEqual(self.v.query(
            "SELECT status FROM records WHERE no = 3")[0][0], "pending")

    def test_stop_holds_notifications_not_answers(self):
        self.v.sms(VILLAGER, "退订")
        self.v.sms(MEMBER, "确认 2")
        self.v.wait_sent(SECOND, 1)          # the other phone is told
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        texts = [m["text"] for m in self.v.sent(VILLAGER)]
        self.assertFalse(any("公示至" in t for t in texts), texts)
        self.v.sms(VILLAGER, "订阅")


class Hourly(unittest.TestCase):
    def test_hourly_cap(self):
        v = Village(conf={"sms.per_number_per_hour": 3})
        try:
            for text in ("积分", "利率", "明细", "帮助", "利率 10"):
                v.deliver(VILLAGER, text)
            v.wait_sent(VILLAGER, 3)
            v.wait_for(lambda: v.query(
                "SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL"
            )[0][0] == 5, "all handled")
            v.wait_for(v.idle, "idle")
            self.assertEqual(len(v.sent(VILLAGER)), 3)
        finally:
            v.close()


class QuietHours(unittest.TestCase):
    def test_notifications_wait_replies_do_not(self):
        v = Village(records=RECORDS, conf={"sms.quiet_hours": quiet_now()})
        try:
            reply = v.sms(MEMBER, "确认 2")       # the reply is not held
            self.assertIn("2", reply)
            rows = v.query("SELECT recipient, not_before FROM outbox "
                           "WHERE kind = 'notify'")
            self.assertEqual(len(rows), 2)
            self.assertTrue(all(nb > time.time() for _, nb in rows), rows)
            self.assertEqual(v.sent(VILLAGER), [])
        finally:
            v.close()


class Pin(unittest.TestCase):
    def test_require_pin(self):
        v = Village(records=RECORDS, conf={"committee.require_pin": True})
        try:
            v.sms(MEMBER, "确认 2")
            self.assertEqual(v.query(
                "SELECT status FROM records WHERE no = 2")[0][0], "pending")
            v.sms(MEMBER, "确认 2 9999")
            self.assertEqual(v.query(
                "SELECT status FROM records WHERE no = 2")[0][0], "pending")
            v.sms(MEMBER, "确认 2 1234")
            self.assertEqual(v.query(
                "SELECT status FROM records WHERE no = 2")[0][0], "approved")
        finally:
            v.close()


class Publicity(unittest.TestCase):
    def test_publicity_end_makes_final_and_tells_household(self):
        v = Village(records=RECORDS, conf={"village.publicity_days": 0})
        try:
            v.sms(MEMBER, "确认 2")
            v.wait_for(lambda: v.query(
                "SELECT status FROM records WHERE no = 2")[0][0] == "final",
                "final after 公示")
            texts = [m["text"] for m in v.wait_sent(VILLAGER, 2)]
            self.assertTrue(any("生效" in t for t in texts), texts)
            self.assertIn("588", v.sms(VILLAGER, "积分"))
        finally:
            v.close()


class Language(unittest.TestCase):
    def test_english_and_reload_on_sighup(self):
        v = Village()
        try:
            self.assertIn("583", v.sms(VILLAGER, "积分"))
            v.write_config({"sms.language": "en"})
            v.daemon.send_signal(signal.SIGHUP)
            v.wait_for(lambda: "reloaded" in v.tail(), "reload logged")
            reply = v.sms(VILLAGER, "POINTS")
            self.assertIn("583", reply)
            self.assertRegex(reply, r"[Pp]oints")
        finally:
            v.close()

    def test_reload_refuses_restart_only_key(self):
        v = Village()
        try:
            v.write_config({"storage.path": v.db + ".other"})
            v.daemon.send_signal(signal.SIGHUP)
            v.wait_for(lambda: "keeping the running" in v.tail(),
                       "reload refused")
            self.assertIn("583", v.sms(VILLAGER, "积分"))
        finally:
            v.close()


if __name__ == "__main__":
    harness.main()
