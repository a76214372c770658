"""End-to-end fault loops: make the Nth sqlite3_step(), port read or port
write fail, or the modem misbehave, for N = 1, 2, 3 ...; every SMS is still
stored once and answered once, and the daemon keeps running.

Uses the fault-injection build (build/fault/jifend, jifend/fault.c).  The
daemon runs idle between cases; each case writes a fault list into
$JIFEN_FAULT_FILE and sends SIGUSR2, so N counts exactly from the moment
the case's text is delivered (an idle daemon makes no store steps and no
port I/O).  The number of store steps one message's whole life takes
(receive, store, delete, handle, reply, delivery report) is measured
first from the daemon's "fault: ... (store steps so far S)" lines, and the
loop covers every step of it.
"""
import os
import re
import signal
import threading
import unittest

import harness
from jifen import intl, TIMEOUT
from bigvillage import (RobustVillage, big_csv, big_records, BIG_CONF,
                        texter, say_text, N_TEXTERS)

FAULT_BIN = "fault/jifend"


class FaultVillage(RobustVillage):
    def __init__(self, **kw):
        self.fault_file = None
        super().__init__(binary=FAULT_BIN, csv=big_csv(),
                         records=big_records()[0], conf=BIG_CONF, **kw)

    def start_daemon(self, wait_ready=True):
        self.fault_file = os.path.join(self.dir, "fault")
        open(self.fault_file, "w").close()
        self.extra_env["JIFEN_FAULT_FILE"] = self.fault_file
        super().start_daemon(wait_ready)

    def arm(self, spec):
        """Arm SPEC ("" disarms nothing, just reports); returns the
        store's step count at that moment."""
        with open(self.fault_file, "w") as f:
            f.write(spec)
        before = self.log_since_start().count("fault: ")
        self.daemon.send_signal(signal.SIGUSR2)
        self.wait_for(lambda: self.log_since_start().count("fault: ")
                      > before, "fault armed")
        lines = [ln for ln in self.log_since_start().splitlines()
                 if "fault: " in ln]
        m = re.search(r"store steps so far (\d+)", lines[-1])
        if not m:
            raise AssertionError("fault not armed: %s" % lines[-1])
        return int(m.group(1))

    def disarm(self):
        return self.arm("step:0:ioerr,read:0:eio,write:0:eio")


WORKERS = 4     # villages run side by side: the cases mostly wait


class FaultLoop(unittest.TestCase):
    """Each test spreads its cases over WORKERS villages (one daemon each,
    its own temp dir and simulator) run by threads; the cases of one
    village run one after the other, each on a fresh phone number."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(harness.binpath(FAULT_BIN)):
            raise unittest.SkipTest("%s not built (make %s)" % (
                FAULT_BIN, harness.binpath(FAULT_BIN)))

    def setUp(self):
        self.villages = []

    def tearDown(self):
        for v in self.villages:
            v.close()

    def village(self):
        """A fault village that has answered one text: its bring-up
        (and the sweep after it) is over, the daemon idle."""
        v = FaultVillage()
        self.villages.append(v)
        v.phone_no = N_TEXTERS - 1
        warm = self.fresh_phone(v)
        v.phone_no = 0
        v.deliver(warm, "帮助")
        v.wait_until(lambda: len(v.sent(warm)) >= 1, "warm-up answer")
        v.wait_until(v.quiet, "warm-up")
        return v

    def fresh_phone(self, v):
        p = texter(v.phone_no)
        v.phone_no += 1
        return p

    def assert_once(self, v, phone, text, parts, what):
        """PHONE's TEXT: stored once, handled once, answered once."""
        n, unproc = v.query("SELECT count(*), sum(processed_at IS NULL) "
                            "FROM inbox WHERE sender = ?",
                            (intl(phone),))[0]
        self.assertEqual(n, parts, "%s: inbox parts" % what)
        self.assertEqual(unproc, 0, "%s: unprocessed" % what)
        msgs = v.query("SELECT count(*) FROM inbox_msgs WHERE sender = ?",
                       (intl(phone),))[0][0]
        self.assertEqual(msgs, 1, "%s: handled messages" % what)
        sent = [m for m in v.all_sent() if m["to"] == intl(phone)]
        self.assertEqual(len(sent), 1, "%s: answers %r" % (what, sent))
        self.assertTrue(sent[0]["complete"], "%s: incomplete answer" % what)
        self.assertEqual(sent[0].get("duplicates", 0), 0,
                         "%s: a part sent twice" % what)
        self.assertEqual(v.sim_state()["used"], 0, "%s: SIM" % what)
        self.assertTrue(v.alive(), "%s: jifend died" % what)
        failed = v.query("SELECT count(*) FROM outbox WHERE state = "
                         "'failed'")[0][0]
        self.assertEqual(failed, 0, "%s: a reply failed for good" % what)

    def one_case(self, v, spec, text="积分", what=None, sim_fault=None,
                 timeout=None):
        """Arm SPEC (or the simulator fault), text the gateway from a
        fresh phone, wait until all is quiet, check once-only, disarm."""
        phone = self.fresh_phone(v)
        what = what or spec
        if spec is not None:
            v.arm(spec)
        if sim_fault:
            v.fault(sim_fault[0], **sim_fault[1])
        r = v.deliver(phone, text)
        v.wait_until(lambda: len(v.sent(phone)) >= 1, "%s: answer" % what,
                     timeout=timeout)
        v.wait_until(v.quiet, "%s: all handled" % what, timeout=timeout)
        self.assert_once(v, phone, text, r["parts"], what)
        if spec is not None:
            v.disarm()

    def run_cases(self, cases, workers=WORKERS):
        """CASES: list of kwargs for one_case, spread over villages."""
        workers = min(workers, len(cases))
        errors = []
        lock = threading.Lock()

        def work(k):
            try:
                v = self.village_for(k)
                for kw in cases[k::workers]:
                    with lock:
                        if errors:
                            return
                    self.one_case(v, **kw)
            except BaseException as e:      # reported below
                with lock:
                    errors.append(e)

        self.villages_by_worker = {}
        threads = [threading.Thread(target=work, args=(k,))
                   for k in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def village_for(self, k):
        v = self.villages_by_worker.get(k)
        if v is None:
            v = self.villages_by_worker[k] = self.village()
        return v

    def steps_of(self, text):
        """Store steps one message's whole life takes (receive, store,
        delete, handle, reply, delivery report)."""
        v = self.village()
        phone = self.fresh_phone(v)
        s0 = v.arm("")
        v.deliver(phone, text)
        v.wait_until(lambda: len(v.sent(phone)) >= 1, "measure: answer")
        v.wait_until(v.quiet, "measure")
        s1 = v.arm("")
        print("# %r takes %d store steps" % (text[:8], s1 - s0),
              flush=True)
        return s1 - s0

    # --- the store: every sqlite3_step of a message's life fails once --
    def test_store_every_step_short_message(self):
        """N = 1 .. all steps of a one-part query; the error cycles
        through I/O error, disk full and busy."""
        n = self.steps_of("积分")
        self.assertGreater(n, 10)
        kinds = ["ioerr", "full", "busy"]
        self.run_cases([{"spec": "step:%d:%s" % (i, kinds[i % 3])}
                        for i in range(1, n + 2)])

    def test_store_every_step_long_message(self):
        """N = 1 .. all steps of a three-part matter (three receive
        batches, reassembly, the matter, the reply)."""
        text = say_text(7)
        n = self.steps_of(text)
        kinds = ["full", "ioerr", "busy"]
        self.run_cases([{"spec": "step:%d:%s" % (i, kinds[i % 3]),
                         "text": text} for i in range(1, n + 2)])

    # --- the serial port: the Nth read or write fails (modem "lost") ---
    def test_port_write_and_read_errors(self):
        cases = [{"spec": "write:%d:eio" % i} for i in range(1, 9)]
        cases += [{"spec": "read:%d:%s" % (i, "eio" if i % 2 else "enodev")}
                  for i in range(1, 9)]
        self.run_cases(cases)

    # --- the modem misbehaves (simulator faults) ------------------------
    def test_modem_reply_faults(self):
        faults = [
            ("garbage", {"count": 1}),
            ("garbage", {"count": 4}),
            ("cms_error", {"code": 38, "count": 1}),
            ("cms_error", {"code": 500, "count": 2}),
            ("slow", {"count": 3, "delay_ms": 400}),
            ("urc_in_prompt", {"count": 1}),
            ("hangup", {"delay_ms": 200}),
            ("error", {"match": "AT+CMGR", "count": 1}),
            ("noanswer", {"count": 1}),     # AT+CMGR: 15 s timeout
        ]
        cases = [{"spec": None, "sim_fault": f, "what": "%s %r" % f,
                  "timeout": TIMEOUT * 3} for f in faults]
        # the slow case first on its own village, the rest beside it
        self.run_cases(cases[-1:] + cases[:-1], workers=3)


if __name__ == "__main__":
    harness.main()
