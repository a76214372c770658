"""End-to-end: the USSD callback of jifen-web (SPEC section 9) over real
HTTP, with the real jifend and the simulator behind it: every menu path,
the same rules as SMS, and the 400s."""
import time
import unittest

import harness
from jifen import Village, TIMEOUT
from webfix import Web

VILLAGER = "13800000001"
COMMITTEE = "13900000009"      # household H03


class UssdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Village(conf={"ussd.enabled": True, "ussd.token": "tok"})
        cls.w = Web(cls.v)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        cls.v.close()

    def sid(self):
        UssdTest.n += 1
        return "sess-%d" % UssdTest.n

    def ussd(self, sid, phone, text, **kw):
        t0 = time.monotonic()
        r = self.w.ussd(sid, phone, text, **kw)
        self.assertLess(time.monotonic() - t0, 2.0, "answer within 2 s")
        return r

    def answer(self, sid, phone, text):
        r = self.ussd(sid, phone, text)
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        self.assertTrue(r.text.startswith(("CON ", "END ")), r.text)
        return r.text

    def test_menu_villager(self):
        t = self.answer(self.sid(), VILLAGER, "")
        self.assertTrue(t.startswith("CON "))
        for item in ("1 积分", "2 利率", "3 明细", "4 说事"):
            self.assertIn(item, t)
        self.assertNotIn("5 待审", t)

    def test_menu_committee(self):
        t = self.answer(self.sid(), COMMITTEE, "")
        self.assertIn("5 待审", t)

    def test_points(self):
        t = self.answer(self.sid(), VILLAGER, "1")
        self.assertTrue(t.startswith("END "))
        self.assertIn("583", t)

    def test_rate(self):
        sid = self.sid()
        t = self.answer(sid, VILLAGER, "2")
        self.assertTrue(t.startswith("CON "))
        t = self.answer(sid, VILLAGER, "2*30")
        self.assertTrue(t.startswith("END "))
        self.assertIn("4.42%", t)
        self.assertIn("1,740", t)
        t = self.answer(self.sid(), VILLAGER, "2*0")
        self.assertIn("4.42%", t)

    def test_log(self):
        t = self.answer(self.sid(), VILLAGER, "3")
        self.assertTrue(t.startswith("END "))
        self.assertIn("历年积分", t)

    def test_say_confirm(self):
        sid = self.sid()
        self.assertTrue(self.answer(sid, VILLAGER, "4").startswith("CON "))
        t = self.answer(sid, VILLAGER, "4*村口路灯坏了")
        self.assertTrue(t.startswith("CON "))
        self.assertIn("村口路灯坏了", t)
        t = self.answer(sid, VILLAGER, "4*村口路灯坏了*1")
        self.assertTrue(t.startswith("END "))
        rows = self.v.query("SELECT text, phone FROM matters")
        self.assertIn(("村口路灯坏了", "+86" + VILLAGER), rows)
        ticket = self.v.query("SELECT no FROM matters WHERE text = ?",
                              ("村口路灯坏了",))[0][0]
        self.assertIn(str(ticket), t)
        # the villager got no SMS: the answer was the USSD screen
        self.assertEqual(self.v.sent(VILLAGER), [])

    def test_say_cancel(self):
        sid = self.sid()
        t = self.answer(sid, VILLAGER, "4*取消的事*2")
        self.assertTrue(t.startswith("END "))
        rows = self.v.query("SELECT count(*) FROM matters WHERE text = ?",
                            ("取消的事",))
        self.assertEqual(rows[0][0], 0)

    def add_pending(self, hh, pts, why):
        r = self.v.ctl("record", "add", hh, str(pts), why, check=True)
        return int(r.stdout.strip().split()[-1])

    def test_review_approve(self):
        no = self.add_pending("H02", 10, "帮助邻居秋收")
        sid = self.sid()
        t = self.answer(sid, COMMITTEE, "5")
        self.assertTrue(t.startswith("CON "))
        self.assertIn(str(no), t)
        t = self.answer(sid, COMMITTEE, "5*%d" % no)
        self.assertIn("1 确认", t)
        before = len(self.v.sent("13800000002"))
        t = self.answer(sid, COMMITTEE, "5*%d*1" % no)
        self.assertTrue(t.startswith("END "))
        st = self.v.query("SELECT status, reviewed_by FROM records "
                          "WHERE no = ?", (no,))[0]
        self.assertEqual(st, ("approved", "+86" + COMMITTEE))
        # the household is notified by SMS through jifend
        self.v.wait_sent("13800000002", before + 1)
        # repeating it is harmless
        t = self.answer(self.sid(), COMMITTEE, "5*%d*1" % no)
        self.assertTrue(t.startswith("END "))
        self.assertEqual(self.v.query("SELECT count(*) FROM reviews WHERE "
                                      "record_no = ?", (no,))[0][0], 1)

    def test_review_reject_with_reason(self):
        no = self.add_pending("H04", -5, "焚烧秸秆")
        sid = self.sid()
        t = self.answer(sid, COMMITTEE, "5*%d*2" % no)
        self.assertTrue(t.startswith("CON "))
        t = self.answer(sid, COMMITTEE, "5*%d*2*不属实" % no)
        self.assertTrue(t.startswith("END "))
        st = self.v.query("SELECT status, review_reason FROM records "
                          "WHERE no = ?", (no,))[0]
        self.assertEqual(st, ("rejected", "不属实"))

    def test_review_own_household_refused(self):
        no = self.add_pending("H03", 5, "自家的记录")
        t = self.answer(self.sid(), COMMITTEE, "5*%d*1" % no)
        self.assertTrue(t.startswith("END "))
        self.assertEqual(self.v.query("SELECT status FROM records WHERE "
                                      "no = ?", (no,))[0][0], "pending")

    def test_review_by_villager_refused(self):
        no = self.add_pending("H02", 3, "村民不能审")
        t = self.answer(self.sid(), VILLAGER, "5")
        self.assertTrue(t.startswith("END "))
        t = self.answer(self.sid(), VILLAGER, "5*%d*1" % no)
        self.assertTrue(t.startswith("END "))
        self.assertEqual(self.v.query("SELECT status FROM records WHERE "
                                      "no = ?", (no,))[0][0], "pending")

    def test_unknown_number(self):
        t = self.answer(self.sid(), "13700000077", "1")
        self.assertTrue(t.startswith("END "))
        self.assertNotIn("583", t)

    def test_bad_choice(self):
        t = self.answer(self.sid(), VILLAGER, "9")
        self.assertTrue(t.startswith("END "))
        t = self.answer(self.sid(), VILLAGER, "2*abc")
        self.assertTrue(t.startswith("END "))

    def test_session_belongs_to_its_phone(self):
        sid = self.sid()
        self.answer(sid, VILLAGER, "")
        r = self.ussd(sid, "13800000002", "1")
        self.assertEqual(r.status, 400)

    # --- refused requests ---------------------------------------------
    def test_bad_token(self):
        r = self.ussd(self.sid(), VILLAGER, "1", token="wrong")
        self.assertEqual(r.status, 403)
        r = self.w.post("/ussd", {"sessionId": "x", "phoneNumber": VILLAGER,
                                  "text": ""}, keep_cookies=False)
        self.assertEqual(r.status, 403)

    def test_bearer_token(self):
        r = self.w.post("/ussd", {"sessionId": self.sid(),
                                  "serviceCode": "*384#",
                                  "phoneNumber": VILLAGER, "text": ""},
                        headers={"Authorization": "Bearer tok"},
                        keep_cookies=False)
        self.assertEqual(r.status, 200)

    def test_400s(self):
        bad = [
            {"serviceCode": "*384#", "phoneNumber": VILLAGER, "text": ""},
            {"sessionId": "", "phoneNumber": VILLAGER, "text": ""},
            {"sessionId": "a b", "phoneNumber": VILLAGER, "text": ""},
            {"sessionId": "x" * 80, "phoneNumber": VILLAGER, "text": ""},
            {"sessionId": "s", "text": "1"},
            {"sessionId": "s", "phoneNumber": "abc", "text": "1"},
            {"sessionId": "s", "phoneNumber": "10086", "text": "1"},
            {"sessionId": "s", "serviceCode": "<b>", "phoneNumber": VILLAGER},
            {"sessionId": "s", "phoneNumber": VILLAGER, "text": "1\n2"},
            {"sessionId": "s", "phoneNumber": VILLAGER, "text": "4*" + "长" * 400},
        ]
        for form in bad:
            r = self.w.post("/ussd?token=tok", form, keep_cookies=False)
            self.assertEqual(r.status, 400, form)
        raw = [
            b"sessionId=s&phoneNumber=13800000001&text=%ff%fe",   # not UTF-8
            b"sessionId=s&phoneNumber=13800000001&text=%zz",      # bad escape
            b"sessionId=s&sessionId=t&phoneNumber=13800000001",   # twice
            b"sessionId=s&phoneNumber=13800000001&text=%00",      # NUL
            b"sessionId=s&phoneNumber=13800000001&text=" + b"1" * 5000,
        ]
        for body in raw:
            r = self.w.request("POST", "/ussd?token=tok", raw=body, headers={
                "Content-Type": "application/x-www-form-urlencoded"},
                keep_cookies=False)
            self.assertEqual(r.status, 400, body[:60])
        r = self.w.get("/ussd?token=tok", keep_cookies=False)
        self.assertEqual(r.status, 405)
        # still alive and answering
        self.assertTrue(self.answer(self.sid(), VILLAGER, "1")
                        .startswith("END "))

    def test_disabled(self):
        v = Village(conf={"ussd.enabled": False}, start=False)
        w = Web(v)
        try:
            r = w.ussd("s1", VILLAGER, "1")
            self.assertEqual(r.status, 404)
        finally:
            w.close()
            v.close()


if __name__ == "__main__":
    harness.main()
