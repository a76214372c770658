"""End-to-end: Reliability II (issue 8) against the real jifend.

A poison PDU, a second daemon, a deleted or corrupt database, backups, a
clock jump, a concatenated message with a repeated part number, lenient
decoding, and the modem-engine faults (failing AT+CMGD, AT+CMGR answered
with another index's PDU, raw bytes in log lines).  Each test fails
without its fix: nothing lost, nothing stuck, nothing said twice.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import unittest

import harness
from jifen import Village, intl, TIMEOUT
from smspdu import deliver_pdu, concat_ie, _addr

VILLAGER = "13800000001"      # H01, 583 final points
OTHER = "13800000002"         # H02
FOURTH = "13800000004"        # H04
MEMBER = "13900000009"        # committee, H03

# issue 8, item 1: an SMS-DELIVER with an empty sender address
EMPTY_SENDER = "0891683108200805F00400810008621182900300230479EF5206"


def status_report(recipient_hex_addr, mr=7, status=0):
    """SMS-STATUS-REPORT hex (empty SMSC) for a raw TP-RA field."""
    scts = "62118290030023"
    return "0006%02X%s%s%s%02X" % (mr, recipient_hex_addr, scts, scts, status)


class Base(unittest.TestCase):
    def setUp(self):
        self.v = None

    def tearDown(self):
        if self.v is not None:
            self.v.close()

    def raw(self, pdu, via="cmti"):
        r = self.v.simctl({"cmd": "deliver_pdu", "pdu": pdu, "via": via})
        self.assertTrue(r.get("ok"), r)

    def cmd_count(self, prefix):
        return sum(1 for c in self.v.at_log() if c.upper().startswith(prefix))

    def audit(self, action):
        return self.v.query("SELECT detail FROM audit WHERE action = ?",
                            (action,))

    def answered(self, number):
        return len(self.v.sent(number))


# --- 1: one bad member never fails a batch -----------------------------------

class PoisonPdu(Base):
    def test_empty_sender_does_not_block_the_sweep(self):
        self.v = Village(start=False)
        self.raw(EMPTY_SENDER, via="silent")
        for who in (VILLAGER, OTHER, FOURTH):
            self.raw(deliver_pdu(intl(who), "积分", alphabet="ucs2"),
                     via="silent")
        self.assertEqual(self.v.sim_state()["used"], 4)
        self.v.start_daemon()
        for who in (VILLAGER, OTHER, FOURTH):
            self.v.wait_sent(who, 1)
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "the SIM emptied, the bad PDU too")
        bad = self.audit("sms.undecodable")
        self.assertEqual(len(bad), 1, bad)
        self.assertIn("no sender", bad[0][0])
        self.assertIn(EMPTY_SENDER[-20:], bad[0][0])   # the PDU is kept
        self.assertNotIn("cannot store", self.v.tail(200))
        # no sweep loop: with nothing on the SIM nothing lists it again
        n = self.cmd_count("AT+CMGL")
        self.v.sms(VILLAGER, "明细")
        self.assertLessEqual(self.cmd_count("AT+CMGL"), n + 1)

    def test_status_report_with_empty_recipient(self):
        self.v = Village()
        self.raw(status_report("0081"))
        self.raw(deliver_pdu(intl(OTHER), "积分", alphabet="ucs2"))
        self.v.wait_sent(OTHER, 1)
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "the SIM emptied")
        bad = self.audit("sms.undecodable")
        self.assertEqual(len(bad), 1, bad)
        self.assertIn("status report", bad[0][0])
        self.assertNotIn("cannot store", self.v.tail(200))


# --- 2: one daemon per database and per modem ----------------------------------

class SecondDaemon(Base):
    def run_second(self, conf):
        return subprocess.run([harness.binpath("jifend"), "-c", conf],
                              capture_output=True, text=True,
                              timeout=TIMEOUT)

    def test_second_jifend_on_the_same_config_refused(self):
        self.v = Village()
        r = self.run_second(self.v.conf)
        self.assertNotEqual(r.returncode, 0)
        lines = [ln for ln in r.stderr.splitlines() if "in use" in ln]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(str(self.v.daemon.pid), lines[0])
        self.assertNotIn("started:", r.stderr)
        # the first one is unharmed
        for i in range(5):
            self.assertIn("583", self.v.sms(VILLAGER, "积分%s" % ("?" * i)))

    def test_second_jifend_on_the_same_modem_refused(self):
        self.v = Village()
        other = Village(start=False)
        try:
            # another database, the first village's modem
            other.write_config({"modem.device": self.v.link})
            r = self.run_second(other.conf)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("in use by another program", r.stderr)
            self.assertNotIn("started:", r.stderr)
            self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        finally:
            other.close()


# --- 3: the database deleted while running; no implicit creation ---------------

class DeletedDatabase(Base):
    def test_deleted_database_stops_deletes_and_daemon(self):
        self.v = Village()
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        # the reply's delivery report is in too: the SIM stays empty
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM outbox_parts WHERE state = 'sent'"
            " AND delivered IS NULL")[0][0] == 0, "delivery report")
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0, "SIM empty")
        deletes = self.cmd_count("AT+CMGD")
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.v.db + suffix)
            except FileNotFoundError:
                pass
        self.v.deliver(OTHER, "积分")
        end = time.monotonic() + TIMEOUT
        while self.v.daemon.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        rc = self.v.daemon.poll()
        self.assertIsNotNone(rc, "jifend kept running on a deleted database")
        self.assertNotEqual(rc, 0)
        self.assertIn("deleted or replaced", self.v.tail())
        # the message stays on the SIM for a restored database
        self.assertEqual(self.v.sim_state()["used"], 1)
        self.assertEqual(self.cmd_count("AT+CMGD"), deletes)
        self.v.daemon = None
        self.v.logf.close()
        # nothing creates a new empty database implicitly
        r = self.v.ctl("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no database", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(self.v.db))
        r = subprocess.run([harness.binpath("jifend"), "-c", self.v.conf],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no database", r.stderr)
        self.assertFalse(os.path.exists(self.v.db))

    def test_init_creates_and_import_creates_a_new_path(self):
        self.v = Village(csv=None, records=(), start=False)
        r = self.v.ctl("init")
        self.assertEqual(r.returncode, 0, r.stderr)     # idempotent
        os.unlink(self.v.db)
        for p in (self.v.db + "-wal", self.v.db + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
        for args in (("record", "list"), ("household", "show", "H01"),
                     ("review", "1", "approve"), ("backup", "/dev/null")):
            r = self.v.ctl(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn("no database", r.stderr)
            self.assertFalse(os.path.exists(self.v.db), args)
        path = os.path.join(self.v.dir, "v.csv")
        with open(path, "w") as f:
            f.write("household,name,phone,role,pin\nH01,x,13800000001,"
                    "villager,\n")
        r = self.v.ctl("import", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.v.db))

    def test_truncated_to_empty_is_refused(self):
        self.v = Village(start=False)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.v.db + suffix):
                os.unlink(self.v.db + suffix)
        open(self.v.db, "w").close()
        r = self.v.ctl("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("empty", r.stderr)
        self.assertEqual(os.path.getsize(self.v.db), 0)


# --- 4: a corrupt database is refused before anything leaves the SIM ------------

def corrupt_pages(db, seed=7):
    """Overwrite the start (b-tree page header and cell pointers) of
    every page after the first two: any read of such a page fails, even
    of a page with no cells, whose cell pointers SQLite never reads."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        for off in range(2 * page, size, page):
            f.seek(off)
            f.write(bytes((seed * (i + 13) + off) & 0xFF for i in range(64)))


class CorruptDatabase(Base):
    def test_random_bytes_in_pages(self):
        self.v = Village(start=False)
        corrupt_pages(self.v.db)
        self.raw(deliver_pdu(intl(VILLAGER), "积分", alphabet="ucs2"),
                 via="silent")
        r = subprocess.run([harness.binpath("jifend"), "-c", self.v.conf],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("database is corrupt:", r.stderr)
        self.assertEqual(self.v.sim_state()["used"], 1)
        self.assertFalse(any(c.upper().startswith(("AT+CMGL", "AT+CMGD"))
                             for c in self.v.at_log()))
        r = self.v.ctl("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("database is corrupt:", r.stderr)

    def test_corrupted_while_running(self):
        self.v = Village()
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        corrupt_pages(self.v.db)
        # The daemon's page cache may still hold the pages just damaged
        # (nothing else changed the database), and a cached page is never
        # read again.  A write to the header page by another connection
        # (application_id, unused by Jifen) makes every other connection
        # drop its cache at its next transaction, so the daemon reads the
        # damage from the disk as it would after a real disk fault.
        con = sqlite3.connect(self.v.db)
        con.execute("PRAGMA application_id = 1")
        con.close()
        self.v.deliver(OTHER, "积分")
        end = time.monotonic() + TIMEOUT
        while self.v.daemon.poll() is None and time.monotonic() < end:
            time.sleep(0.05)
        self.assertEqual(self.v.daemon.poll(), 1, self.v.tail())
        self.assertIn("database is corrupt:", self.v.tail())
        self.v.daemon = None
        self.v.logf.close()
        # a restart refuses it, and so does a backup
        r = subprocess.run([harness.binpath("jifend"), "-c", self.v.conf],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1)
        self.assertIn("database is corrupt:", r.stderr)
        r = self.v.ctl("backup", os.path.join(self.v.dir, "copy.db"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("database is corrupt", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.v.dir, "copy.db")))

    def test_truncated_file(self):
        self.v = Village(start=False)
        con = sqlite3.connect(self.v.db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        size = os.path.getsize(self.v.db)
        with open(self.v.db, "r+b") as f:
            f.truncate(size // 2)
        r = subprocess.run([harness.binpath("jifend"), "-c", self.v.conf],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("database is corrupt:", r.stderr)

    def test_not_a_database(self):
        self.v = Village(start=False)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.v.db + suffix):
                os.unlink(self.v.db + suffix)
        with open(self.v.db, "wb") as f:
            f.write(os.urandom(8192))
        r = subprocess.run([harness.binpath("jifend"), "-c", self.v.conf],
                           capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("database is corrupt:", r.stderr)


# --- 5: backups ---------------------------------------------------------------

class Backups(Base):
    def test_jifenctl_backup_while_running_and_restore(self):
        self.v = Village()
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        dest = os.path.join(self.v.dir, "copy.db")
        r = self.v.ctl("backup", dest)
        self.assertEqual(r.returncode, 0, r.stderr)
        con = sqlite3.connect("file:%s?mode=ro" % dest, uri=True)
        try:
            self.assertEqual(con.execute("PRAGMA quick_check").fetchone()[0],
                             "ok")
            self.assertEqual(con.execute(
                "SELECT count(*) FROM households").fetchone()[0], 4)
            self.assertGreaterEqual(con.execute(
                "SELECT count(*) FROM inbox").fetchone()[0], 1)
        finally:
            con.close()
        self.assertFalse(os.path.exists(dest + ".tmp"))
        # the remedy of item 4: corrupt, restore the copy, answer again
        self.v.stop_daemon()
        corrupt_pages(self.v.db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(self.v.db + suffix):
                os.unlink(self.v.db + suffix)
        os.replace(dest, self.v.db)
        self.v.start_daemon()
        self.assertIn("583", self.v.sms(VILLAGER, "查询"))

    def test_backup_usage_errors(self):
        self.v = Village(start=False)
        r = self.v.ctl("backup")
        self.assertEqual(r.returncode, 2)
        r = self.v.ctl("backup", os.path.join(self.v.dir, "no", "such",
                                              "dir.db"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_daily_backup_next_to_the_database_keeps_seven(self):
        self.v = Village(start=False)
        old = []
        for day in range(1, 10):        # nine old daily backups
            p = "%s.backup-202601%02d" % (self.v.db, day)
            with open(p, "w") as f:
                f.write("old")
            old.append(p)
        self.v.start_daemon()
        today = time.strftime("%Y%m%d", time.gmtime())
        path = "%s.backup-%s" % (self.v.db, today)
        self.v.wait_for(lambda: os.path.exists(path), "today's backup")
        self.v.wait_for(lambda: self.v.status("backup.last") == path,
                        "backup.last in status")
        left = sorted(n for n in os.listdir(self.v.dir)
                      if ".backup-" in n)
        self.assertEqual(len(left), 7, left)
        self.assertIn(os.path.basename(path), left)
        self.assertNotIn(os.path.basename(old[0]), left)
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
        try:
            self.assertEqual(con.execute(
                "SELECT count(*) FROM households").fetchone()[0], 4)
        finally:
            con.close()
        # driven by a deadline: the daemon then sleeps until tomorrow
        st = os.stat(path)
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        self.assertEqual(os.stat(path).st_mtime, st.st_mtime)


# --- 6: a clock jump never mutes or stalls anyone ---------------------------------

TWO_YEARS = 2 * 365 * 86400


class ClockVillage(Village):
    """The fault build: its wall clock can be moved (clock:N:ahead) by
    writing $JIFEN_FAULT_FILE and sending SIGUSR2 - the machine's clock
    is never touched."""

    def __init__(self, ahead=TWO_YEARS, **kw):
        self.ahead = ahead
        super().__init__(start=False, **kw)
        # a network that sends no time (NITZ): the wrong system clock is
        # all the daemon has (with NITZ it would date by the network,
        # gateway/clock.h, and the jump back would never show)
        r = self.simctl({"cmd": "set", "nitz": False})
        if not r.get("ok"):
            raise AssertionError("simulator: %r" % r)
        self.start_daemon()

    def start_daemon(self, wait_ready=True):
        self.fault_file = os.path.join(self.dir, "fault")
        with open(self.fault_file, "w") as f:
            f.write("clock:%d:ahead" % self.ahead)
        argv = [harness.binpath("fault/jifend"), "-c", self.conf]
        env = dict(os.environ, JIFEN_FAULT="clock:%d:ahead" % self.ahead,
                   JIFEN_FAULT_FILE=self.fault_file)
        self.logf = open(self.log, "a")
        self.daemon = subprocess.Popen(argv, stdout=self.logf,
                                       stderr=self.logf, env=env)
        if wait_ready:
            self.wait_for(self.modem_ready, "modem READY")

    def set_clock(self, ahead):
        with open(self.fault_file, "w") as f:
            f.write("clock:%d:ahead" % ahead)
        with open(self.log, encoding="utf-8", errors="replace") as f:
            before = f.read().count("fault: armed clock:%d:" % ahead)
        self.daemon.send_signal(signal.SIGUSR2)
        self.wait_for(lambda: self.tail(400).count(
            "fault: armed clock:%d:" % ahead) > before, "clock set")


class ClockJump(Base):
    def test_clock_two_years_ahead_then_corrected(self):
        self.v = ClockVillage(conf={"sms.per_number_per_hour": 2})
        # two years ahead: a question, and OTHER at the hourly cap
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        self.v.sms(OTHER, "积分")
        self.v.sms(OTHER, "明细")
        self.v.deliver(OTHER, "帮助")
        self.v.wait_for(lambda: self.v.query(
            "SELECT count(*) FROM inbox_msgs WHERE sender = ?",
            (intl(OTHER),))[0][0] == 3, "the capped message handled")
        self.assertEqual(self.answered(OTHER), 2)
        # the clock is corrected (jumps back two years) ...
        self.v.set_clock(0)
        self.v.sms(FOURTH, "积分")          # some work after the jump
        # ... and two hours pass: the same question is answered again
        # and OTHER is no longer capped
        self.v.set_clock(7200)
        later = int(time.time()) + 7200     # the network's stamp too
        self.assertIn("583", self.v.sms(VILLAGER, "积分", scts=later))
        self.assertTrue(self.v.sms(OTHER, "积分", scts=later))
        future = self.v.query(
            "SELECT count(*) FROM inbox WHERE received_at > ?",
            (int(time.time()) + 7200 + 600,))[0][0]
        self.assertEqual(future, 0)
        self.assertIn("went back", self.v.tail(400))


# --- 8, 9: the modem engine deletes what was stored, and keeps trying ---------------

class EngineDeletes(Base):
    def test_failed_cmgd_is_retried_soon(self):
        self.v = Village()          # health check every 300 s
        self.v.fault("error", match="AT+CMGD", count=3)
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        # without a retry the SIM slot stays used until a health check
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "the SIM emptied after the failed deletes")
        self.assertGreaterEqual(self.cmd_count("AT+CMGD"), 4)
        self.assertLessEqual(self.cmd_count("AT+CMGD"), 8)   # backoff
        self.assertEqual(self.answered(VILLAGER), 1)

    def test_cmgr_answered_with_another_index(self):
        self.v = Village()
        # A waits on the SIM unannounced; B is announced (+CMTI) and the
        # modem answers AT+CMGR for B's index with A's PDU
        self.raw(deliver_pdu(intl(OTHER), "积分", alphabet="ucs2"),
                 via="silent")
        self.v.fault("cmgr_other", count=1)
        self.raw(deliver_pdu(intl(VILLAGER), "查询", alphabet="ucs2"))
        self.assertIn("583", self.v.wait_sent(VILLAGER, 1)[0]["text"])
        self.v.wait_sent(OTHER, 1)
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0,
                        "the SIM emptied")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(self.answered(VILLAGER), 1)
        self.assertEqual(self.answered(OTHER), 1)
        self.assertIn("another", self.v.tail(200))


# --- 10: a part number seen twice in one concatenated message ----------------------

class RepeatedPart(Base):
    def test_two_different_parts_numbered_one_get_one_answer(self):
        self.v = ClockVillage(ahead=0)
        v = intl(VILLAGER)
        self.raw(deliver_pdu(v, "积", alphabet="ucs2",
                             udh=concat_ie(9, 2, 1)))
        self.raw(deliver_pdu(v, "明", alphabet="ucs2",
                             udh=concat_ie(9, 2, 1)))
        self.raw(deliver_pdu(v, "分", alphabet="ucs2",
                             udh=concat_ie(9, 2, 2)))
        self.assertIn("583", self.v.wait_sent(VILLAGER, 1)[0]["text"])
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0, "SIM empty")
        # past the reassembly deadline (10 minutes): the copy of part 1
        # must not come up as a message of its own
        self.v.set_clock(700)
        self.v.sms(OTHER, "积分")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(self.answered(VILLAGER), 1,
                         [m["text"] for m in self.v.sent(VILLAGER)])
        rows = self.v.query("SELECT text, processed_at IS NOT NULL FROM inbox"
                            " WHERE sender = ? ORDER BY id", (v,))
        self.assertEqual(rows, [("积", 1), ("明", 1), ("分", 1)])
        self.assertEqual(self.v.query(
            "SELECT text FROM inbox_msgs WHERE sender = ?", (v,)),
            [("积分",)])


# --- 12: lenient decoding where the text can be read ------------------------------

class Lenient(Base):
    def test_recoverable_pdus_are_answered(self):
        self.v = Village(conf={"sms.per_number_per_hour": 100})
        v = intl(VILLAGER)
        scts_at = 8 + len(_addr(v))         # SMSC, first octet, PID, DCS

        def ucs2(text):
            return deliver_pdu(v, text, alphabet="ucs2")

        def odd(text):
            body = text.encode("utf-16-be") + b"\x41"
            p = ucs2(text)
            return p[:scts_at + 14] + "%02X" % len(body) + body.hex().upper()

        # every spelling of POINTS once: a repeated text is answered once
        cases = [
            ("non-BCD timestamp",
             ucs2("积分")[:scts_at] + "A" + ucs2("积分")[scts_at + 1:]),
            ("timestamp out of range (month 13)",
             ucs2("查询")[:scts_at + 2] + "31" + ucs2("查询")[scts_at + 4:]),
            ("odd UCS-2 length", odd("JF")),
            ("UDL past the end (UCS-2)",
             deliver_pdu(v, "CX", alphabet="ucs2", udl=140)),
            ("UDL past the end (GSM 7-bit)", deliver_pdu(v, "POINTS",
                                                         udl=150)),
        ]
        for n, (name, pdu) in enumerate(cases):
            self.raw(pdu)
            reply = self.v.wait_sent(VILLAGER, n + 1)[n]["text"]
            self.assertIn("583", reply, name)
        self.v.wait_for(lambda: self.v.sim_state()["used"] == 0, "SIM empty")
        self.assertEqual(len(self.audit("sms.repaired")), len(cases))
        self.assertEqual(len(self.audit("sms.undecodable")), 0)
        self.assertEqual(self.v.query(
            "SELECT count(*) FROM inbox WHERE sender = ?", (v,))[0][0],
            len(cases))
        # what cannot be read stays audited and unanswered
        self.raw(deliver_pdu(v, "Hello", udl=200))
        self.v.wait_for(lambda: len(self.audit("sms.undecodable")) == 1,
                        "the unreadable PDU audited")
        self.v.wait_for(self.v.idle, "idle")
        self.assertEqual(self.answered(VILLAGER), len(cases))


# --- 11: raw modem bytes never reach the log unescaped ------------------------------

class TraceVillage(Village):
    """jifend with the raw AT trace (-T) on: every modem line is logged."""

    def start_daemon(self, wait_ready=True):
        self.logf = open(self.log, "a")
        self.daemon = subprocess.Popen(
            [harness.binpath("jifend"), "-T", "-c", self.conf],
            stdout=self.logf, stderr=self.logf)
        if wait_ready:
            self.wait_for(self.modem_ready, "modem READY")


class LogEscaping(Base):
    def test_garbage_from_the_modem_is_escaped_in_the_log(self):
        self.v = TraceVillage()
        # NUL, 0xFF, stray CR/LF and FF FE 00 00 FF before each reply
        self.v.fault("garbage", count=4)
        self.assertIn("583", self.v.sms(VILLAGER, "积分"))
        self.v.stop_daemon()
        with open(self.v.log, "rb") as f:
            data = f.read()
        text = data.decode("utf-8")       # raises on a raw 0xFF
        for line in text.split("\n"):
            self.assertIsNone(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line),
                              repr(line[:200]))
        self.assertIn("\\xff", text)     # the bytes are there, escaped
        self.assertIn("积分", text)        # UTF-8 text is kept as is


if __name__ == "__main__":
    harness.main()
