"""End-to-end: the SIM balance by USSD (SPEC section 9) - jifend asks
ussd.balance_code (AT+CUSD) after bring-up, records the amount for
`jifenctl status` and the console, alerts the committee by SMS below
ussd.low_balance, and does not ask again before a day has passed."""
import json
import unittest

import harness
from jifen import Village

COMMITTEE = "13900000009"


class BalanceTest(unittest.TestCase):
    def run_village(self, low, profile="generic"):
        v = Village(profile=profile, conf={"ussd.balance_code": "*100#",
                                           "ussd.low_balance": low})
        self.addCleanup(v.close)
        v.wait_for(lambda: v.status("modem.balance") is not None,
                   "the balance in the status")
        return v

    def test_balance_in_status_no_alert(self):
        v = self.run_village(5.0)
        self.assertEqual(v.status("modem.balance"), "12.50")
        self.assertIn("AT+CUSD=1,\"*100#\",15", v.at_log())
        st = json.loads(v.ctl("status", "--json", check=True).stdout)
        self.assertEqual(st["modem.balance"], 12.5)
        self.assertIn("12.50", v.ctl("status", check=True).stdout)
        self.assertEqual(v.query("SELECT count(*) FROM outbox WHERE "
                                 "kind = 'alert'")[0][0], 0)

    def test_low_balance_alerts_committee(self):
        v = self.run_village(20.0)
        msgs = v.wait_sent(COMMITTEE, 1)
        self.assertIn("12.50", msgs[-1]["text"])
        self.assertIn("余额", msgs[-1]["text"])
        # villagers are not told
        self.assertEqual(v.query(
            "SELECT count(*) FROM outbox WHERE kind = 'alert' AND "
            "recipient <> ?", ("+86" + COMMITTEE,))[0][0], 0)
        self.assertEqual(v.query("SELECT count(*) FROM audit WHERE action "
                                 "= 'balance.low'")[0][0], 1)

    def test_simulated_low_balance(self):
        # the simulator's balance answer can be changed (docs/SIMULATOR.md)
        v = Village(conf={"ussd.balance_code": "*100#",
                          "ussd.low_balance": 5.0}, start=False)
        self.addCleanup(v.close)
        self.assertTrue(v.simctl({"cmd": "set", "balance": "3.20"})["ok"])
        v.start_daemon()
        v.wait_for(lambda: v.status("modem.balance") is not None,
                   "the balance in the status")
        self.assertEqual(v.status("modem.balance"), "3.20")
        msg = v.wait_sent(COMMITTEE, 1)[-1]["text"]
        self.assertIn("3.20", msg)

    def test_packed_gsm7_answer(self):
        # the huawei profile answers AT+CUSD in packed GSM 7-bit hex
        v = self.run_village(5.0, profile="huawei")
        self.assertEqual(v.status("modem.balance"), "12.50")
        self.assertIn("balance", v.status("modem.balance_text"))

    def test_not_asked_again_within_a_day(self):
        v = self.run_village(5.0)
        n = sum(1 for c in v.at_log() if c.startswith("AT+CUSD=1"))
        self.assertEqual(n, 1)
        v.stop_daemon()
        v.start_daemon()
        # a restart finds today's check in the store: no second USSD
        v.wait_for(v.modem_ready, "modem READY again")
        self.assertEqual(v.sms("13800000001", "积分")[:2], "您家")
        n = sum(1 for c in v.at_log() if c.startswith("AT+CUSD=1"))
        self.assertEqual(n, 1)


if __name__ == "__main__":
    harness.main()
