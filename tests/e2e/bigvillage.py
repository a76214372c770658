"""The big village the crash, fault-loop and power-cut tests share.

Many bound phones (so no reply is silenced by the per-number rules):
T-households text queries and matters, R-households own the records the
committee (C-households) approves.  RobustVillage runs a chosen daemon
binary (build/jifend or the fault build) and can kill it with SIGKILL;
Bursts fills a ledger with the traffic it delivers, check_invariants
asserts SPEC §10 over that ledger.  Used by test_crash.py,
test_faultloop.py and torture_powercut.py.
"""
import json
import os
import random
import subprocess
import time

import harness
from jifen import Village, intl

# --- the village: many bound phones ---------------------------------------
# T-households text queries and matters; R-households own the pending
# records the committee (C-households) approves; their phones only ever
# receive notifications.  Numbers are 11-digit mobiles.
# enough fresh phones for every fault-loop case of one village: a 说事
# reaches every committee member (SPEC §6), so a long matter's life now
# takes some 850 store steps, about 215 cases per village
N_TEXTERS = 400
N_REC_HH = 12
N_MEMBERS = 6


def texter(i):
    return "1370%07d" % i


def rec_phone(h, k):
    return "1360%05d%02d" % (h, k)


def member(i):
    return "1390%07d" % (100 + i)


def big_csv():
    rows = ["household,name,phone,role,pin"]
    for i in range(N_TEXTERS):
        rows.append("T%03d,测试户%d,%s,villager," % (i // 4, i, texter(i)))
    for h in range(N_REC_HH):
        for k in range(2):
            rows.append("R%02d,记分户%d,%s,villager," % (h, h, rec_phone(h, k)))
    for i in range(N_MEMBERS):
        rows.append("C%02d,村委%d,%s,committee,1234" % (i, i, member(i)))
    return "\n".join(rows) + "\n"


def big_records():
    """One final record per R-household, then pending ones to approve.

    Record numbers: 1..N_REC_HH are final; then the pending records in
    this order (household, points)."""
    recs = [("R%02d" % h, 100 + h, "历年积分", True) for h in range(N_REC_HH)]
    pend = []
    for h in range(N_REC_HH):
        for j in range(2):
            pend.append(("R%02d" % h, 3 + j + h % 3, "清扫门前%d" % j, False))
    return recs + pend, pend


BIG_CONF = {"sms.per_number_per_hour": 1000, "sms.max_parts": 3,
            "modem.health_interval": 300}


class RobustVillage(Village):
    """A Village whose daemon binary and environment can be chosen."""

    def __init__(self, binary="jifend", env=None, **kw):
        self.binary = binary
        self.extra_env = dict(env or {})
        self.kills = 0
        super().__init__(**kw)

    def start_daemon(self, wait_ready=True):
        argv = [harness.binpath(self.binary), "-c", self.conf]
        env = dict(os.environ)
        env.update(self.extra_env)
        self.log_mark = os.path.getsize(self.log) if os.path.exists(
            self.log) else 0
        self.logf = open(self.log, "a")
        self.daemon = subprocess.Popen(argv, stdout=self.logf,
                                       stderr=self.logf, env=env)
        if wait_ready:
            self.wait_for(lambda: " -> READY" in self.log_since_start(),
                          "modem READY")

    def log_since_start(self):
        """The log written by the running daemon (not by killed ones)."""
        with open(self.log, "rb") as f:
            f.seek(self.log_mark)
            return f.read().decode("utf-8", errors="replace")

    def kill9(self):
        """SIGKILL the daemon: no clean-up runs (a power cut)."""
        if self.daemon is None:
            return
        self.daemon.kill()
        self.daemon.wait()
        self.daemon = None
        self.logf.close()
        self.kills += 1

    def alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    def cmd_count(self, prefix):
        return sum(1 for c in self.at_log() if c.upper().startswith(prefix))

    def wait_cmd(self, prefix, after, timeout=5.0):
        """Wait until the AT log holds more than AFTER commands starting
        with PREFIX; False on timeout (the work may have finished)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.cmd_count(prefix) > after:
                return True
            time.sleep(0.002)
        return False

    def counts(self):
        return json.loads(self.ctl("status", "--json", check=True).stdout
                          )["queues"]

    def quiet(self):
        """Everything done, daemon alive: the network queue and the SIM
        empty, the inbox processed, the outbox drained, every sent part's
        delivery report recorded.  Checked in the order a message moves
        (SIM -> inbox -> outbox -> report), twice in a row, so a message
        moving between two looks cannot make it pass."""
        return self._quiet_once() and self._quiet_once()

    def _quiet_once(self):
        if not self.alive():
            raise AssertionError("jifend died:\n" + self.tail())
        st = self.sim_state()
        if st["pending"] or st["used"]:
            return False
        try:
            if self.query("SELECT count(*) FROM inbox WHERE "
                          "processed_at IS NULL")[0][0]:
                return False
        except Exception:
            return False
        if self.query("SELECT count(*) FROM outbox WHERE state IN "
                      "('queued', 'sending')")[0][0]:
            return False
        # delivery reports come ~200 ms after each +CMGS and land on
        # the SIM: wait until every sent part has its report
        return self.query("SELECT count(*) FROM outbox_parts WHERE "
                          "state = 'sent' AND delivered IS NULL")[0][0] == 0

    def wait_until(self, pred, what, timeout=None):
        """Like wait_for, polling every 20 ms (no growing delay)."""
        self.wait_for(pred, what, timeout, poll=0.02)

    def all_sent(self):
        """Every message the simulator saw, complete or not."""
        return self.simctl({"cmd": "sent"})["sent"]


def say_text(i):
    """A long matter (3 UCS-2 parts), distinct per index."""
    return ("说事 第%d号反映：" % i) + "村口的路灯坏了三个月，晚上孩子放学回家很不安全。" * 4


class Ledger:
    """What the test sent, to check against the database and the sim."""

    def __init__(self):
        self.msgs = []          # (phone, text, parts)
        self.approvals = []     # (member, record_no, household, points)

    def add(self, phone, text, parts=1):
        self.msgs.append((phone, text, parts))


def check_invariants(tc, v, ledger, extra_allowed):
    """Assert SPEC §10 over everything in LEDGER; EXTRA_ALLOWED answers
    beyond one per message may exist in total (one per kill)."""
    sent = v.all_sent()
    by_to = {}
    dup_parts = 0
    for m in sent:
        if m.get("complete"):
            by_to.setdefault(m["to"], []).append(m)
        dup_parts += m.get("duplicates", 0)
    extra = dup_parts
    # stored once, handled once, answered (at most once more per kill)
    for phone, text, parts in ledger.msgs:
        rows = v.query("SELECT count(*), sum(processed_at IS NULL) FROM inbox"
                       " WHERE sender = ?", (intl(phone),))[0]
        tc.assertEqual(rows[0], parts, "inbox parts of %s (%s)" %
                       (phone, text[:10]))
        tc.assertEqual(rows[1], 0, "unprocessed parts of %s" % phone)
        msgs = v.query("SELECT text, incomplete FROM inbox_msgs WHERE "
                       "sender = ?", (intl(phone),))
        tc.assertEqual(len(msgs), 1, "handled messages of %s" % phone)
        tc.assertEqual(msgs[0][1], 0, "incomplete message from %s" % phone)
        tc.assertEqual(msgs[0][0].replace(" ", ""), text.replace(" ", ""))
        got = len(by_to.get(intl(phone), []))
        tc.assertGreaterEqual(got, 1, "no answer to %s (%s)" %
                              (phone, text[:10]))
        extra += got - 1
    # approvals: applied once, household told
    for who, no, hh, pts in ledger.approvals:
        revs = v.query("SELECT count(*) FROM reviews WHERE record_no = ?",
                       (no,))[0][0]
        tc.assertEqual(revs, 1, "reviews of record %d" % no)
        st = v.query("SELECT status FROM records WHERE no = ?", (no,))[0][0]
        tc.assertEqual(st, "approved", "record %d" % no)
    members = {}
    for who, no, hh, pts in ledger.approvals:
        members[who] = members.get(who, 0) + 1
    for who, n in members.items():
        # SPEC §6: every 说事 is also told to each committee member; those
        # notices are not answers to the member's approvals
        got = len([m for m in by_to.get(intl(who), [])
                   if not m["text"].startswith("村民说事")])
        tc.assertGreaterEqual(got, n, "answers to member %s" % who)
        extra += got - n
    households = {}
    for who, no, hh, pts in ledger.approvals:
        households.setdefault(hh, []).append(pts)
    for hh, pts in households.items():
        pub = v.query("SELECT coalesce(sum(points), 0) FROM records WHERE "
                      "household = ? AND status = 'approved'", (hh,))[0][0]
        tc.assertEqual(pub, sum(pts), "公示 points of %s" % hh)
        nrev = v.query("SELECT count(*) FROM reviews JOIN records ON "
                       "records.no = reviews.record_no WHERE household = ?",
                       (hh,))[0][0]
        tc.assertEqual(nrev, len(pts), "reviews of %s" % hh)
        h = int(hh[1:])
        for k in range(2):
            got = len(by_to.get(intl(rec_phone(h, k)), []))
            tc.assertGreaterEqual(got, len(pts), "notices to %s" % hh)
            extra += got - len(pts)
    tc.assertLessEqual(extra, extra_allowed,
                       "%d extra answers for %d kills" % (extra,
                                                          extra_allowed))
    # nothing left anywhere
    tc.assertEqual(v.sim_state()["used"], 0, "SIM not empty")
    q = v.counts()
    tc.assertEqual(q["outbox_queued"], 0)
    tc.assertEqual(q["outbox_failed"], 0)
    tc.assertEqual(q["inbox_pending"], 0)
    return extra


def seed_from_env():
    s = os.environ.get("JIFEN_SEED")
    seed = int(s) if s else random.SystemRandom().randrange(1, 1 << 31)
    print("# seed %d" % seed, flush=True)
    return seed



class Bursts:
    """Mixin: bursts of queries, long matters and approvals into SELF.v,
    recorded in SELF.ledger (also used by torture_powercut.py)."""

    def init_bursts(self):
        self.rng = random.Random(seed_from_env())
        self.ledger = Ledger()
        self.next_texter = 0
        self.next_record = 0

    def take_texter(self):
        i = self.next_texter
        self.next_texter += 1
        return texter(i)

    def burst(self, queries, says, approvals):
        """Deliver one burst; returns nothing, fills the ledger."""
        v, rng = self.v, self.rng
        work = []
        for _ in range(queries):
            work.append(("q", self.take_texter()))
        for _ in range(says):
            work.append(("s", self.take_texter()))
        for _ in range(approvals):
            if self.next_record < len(self.pending):
                work.append(("a", self.next_record))
                self.next_record += 1
        rng.shuffle(work)
        for kind, arg in work:
            if kind == "q":
                text = rng.choice(["积分", "利率 %d" % rng.randrange(1, 50),
                                   "明细", "帮助", "JF"])
                v.deliver(arg, text)
                self.ledger.add(arg, text)
            elif kind == "s":
                text = say_text(self.next_texter)
                r = v.deliver(arg, text,
                              order=rng.choice(["normal", "reverse",
                                                "shuffle"]))
                self.ledger.add(arg, text, r["parts"])
            else:
                hh, pts, _, _ = self.pending[arg]
                no = N_REC_HH + 1 + arg
                who = member(arg % N_MEMBERS)
                v.deliver(who, "确认 %d" % no)
                self.ledger.approvals.append((who, no, hh, pts))
