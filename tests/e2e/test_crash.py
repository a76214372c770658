"""End-to-end: kill -9 at random and at chosen points; nothing lost, nothing twice.

A village with many bound phones (so no reply is silenced by the per-number
rules) texts the real jifend through the simulator: bursts of inbound
queries, long (multipart) matters, committee approvals, a long (multipart)
reply.  While the bursts are in flight the daemon is killed with SIGKILL,
at a seeded random delay or right after the simulator logged a chosen AT
command (AT+CMGR, AT+CMGS, AT+CMGD, AT+CMGL), then restarted.  At the end:

  * every message that reached the SIM is stored exactly once (inbox parts,
    one handled message per text) and fully processed; none left on the SIM;
  * every one is answered, at most one extra answer per kill (the window
    between the modem's +CMGS OK and the commit that records it);
  * every approval is applied exactly once (one review row, the record in
    公示, the household's 公示 balance equal to the approved points) and
    its household told;
  * the outbox is drained, nothing failed.

The kill plan is random: JIFEN_SEED=N replays it (the seed is printed as a
TAP comment).  The village, the bursts and the checks live in
bigvillage.py (shared with test_faultloop.py and torture_powercut.py).
"""
import time
import unittest

import harness
from jifen import intl, TIMEOUT
from bigvillage import (RobustVillage, Bursts, check_invariants, big_csv,
                        big_records, BIG_CONF, member, say_text)


# --- the tests ----------------------------------------------------------------

KILL_EVENTS = ["AT+CMGR", "AT+CMGS", "AT+CMGD", "AT+CMGL", None, None]


class CrashRounds(Bursts, unittest.TestCase):
    """Bursts of traffic with a kill -9 in each round."""

    def setUp(self):
        recs, self.pending = big_records()
        self.v = RobustVillage(csv=big_csv(), records=recs, conf=BIG_CONF)
        self.init_bursts()

    def tearDown(self):
        self.v.close()

    def kill_somewhere(self, event):
        v = self.v
        if event:
            before = v.cmd_count(event)
            hit = v.wait_cmd(event, before, timeout=3.0)
            # a little further in, sometimes: between the command and its
            # answer, or after the answer before the commit
            time.sleep(self.rng.choice([0, 0, 0.001, 0.003, 0.008]))
            what = "%s %s" % ("after" if hit else "no", event)
        else:
            delay = self.rng.uniform(0.0, 0.12)
            time.sleep(delay)
            what = "after %.0f ms" % (delay * 1000)
        v.kill9()
        return what

    def restart(self):
        self.v.start_daemon()

    def finish(self):
        v = self.v
        v.wait_until(v.quiet, "everything handled", timeout=TIMEOUT * 2)
        return check_invariants(self, v, self.ledger, v.kills)

    def test_bursts_with_kills(self):
        rounds = 7
        prev = 0
        for r in range(rounds):
            event = KILL_EVENTS[self.rng.randrange(len(KILL_EVENTS))]
            self.burst(queries=self.rng.randrange(3, 8),
                       says=self.rng.randrange(0, 2),
                       approvals=self.rng.randrange(1, 4))
            what = self.kill_somewhere(event)
            print("# round %d: killed %s" % (r, what), flush=True)
            if self.rng.random() < 0.4:
                # traffic arrives while the daemon is down
                self.burst(queries=2, says=0, approvals=0)
            self.restart()
            # duplicates per kill: at most the one part in flight
            self.v.wait_until(self.v.quiet, "round %d handled" % r,
                              timeout=TIMEOUT * 2)
            extra = check_invariants(self, self.v, self.ledger,
                                     self.v.kills)
            print("# round %d: %d extra answers" % (r, extra - prev),
                  flush=True)
            self.assertLessEqual(extra - prev, 1, "kill %d: %d extra "
                                 "answers" % (r, extra - prev))
            prev = extra
        extra = self.finish()
        print("# %d kills, %d extra answers" % (self.v.kills, extra),
              flush=True)

    def test_kills_during_multipart_in_and_out(self):
        """Kill while the parts of long matters come in, and while a long
        (multipart) 待审 list goes out."""
        v = self.v
        for r in range(3):
            phone = self.take_texter()
            text = say_text(self.next_texter)
            before = v.cmd_count("AT+CMGR")
            r2 = v.deliver(phone, text, order="reverse")
            self.ledger.add(phone, text, r2["parts"])
            # after the first part was read, before the rest
            v.wait_cmd("AT+CMGR", before, timeout=3.0)
            time.sleep(self.rng.choice([0, 0.002, 0.005]))
            v.kill9()
            self.restart()
        # a long reply: the pending list for a committee member.  Each
        # matter above was also told to every member (SPEC §6): let those
        # go out first so the kills below hit the 待审 replies
        v.wait_until(v.quiet, "matter notices out")
        who = member(0)
        for r in range(3):
            before = v.cmd_count("AT+CMGS")
            v.deliver(who, ["待审", "DS", "TODO"][r])
            # kill after the first part of the reply went to the modem
            v.wait_cmd("AT+CMGS", before, timeout=3.0)
            time.sleep(self.rng.choice([0, 0.003, 0.01]))
            v.kill9()
            self.restart()
            v.wait_until(v.quiet, "reply %d out" % r)
        # every 待审 answered (complete multipart), once or once more/kill
        long_replies = [m for m in v.all_sent() if m["to"] == intl(who)
                        and not m.get("text", "").startswith("村民说事")]
        complete = [m for m in long_replies if m.get("complete")]
        self.assertGreaterEqual(len(complete), 3)
        self.assertTrue(any(m["parts"] > 1 for m in complete),
                        "待审 list should need several parts: %r" %
                        [m["parts"] for m in complete])
        self.assertEqual(len(long_replies), len(complete),
                         "a multipart reply left incomplete")
        extra = len(complete) - 3 + sum(m.get("duplicates", 0)
                                        for m in long_replies)
        self.finish()
        self.assertLessEqual(extra, 3)


if __name__ == "__main__":
    harness.main()
