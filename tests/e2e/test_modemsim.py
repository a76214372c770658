"""End-to-end tests of the modem simulator (build/jifen-modemsim) itself.

The tests start the simulator in a temporary directory, open its pty like a
serial modem (raw termios) and drive the network side through the control
socket.  No fixed sleeps: every wait is for data, with a generous deadline.
"""
import json
import re
import os
import select
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from smspdu import (GSM7_SAFE, _pack7, _unpack7, submit_pdus,  # noqa: E402,F401
                    decode_deliver)

SIM = harness.binpath("jifen-modemsim")
TIMEOUT = 10.0

# --- simulator process, control socket, serial side -----------------------

class Sim:
    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="jifen-sim-")
        self.link = os.path.join(self.dir.name, "modem")
        self.proc = subprocess.Popen([SIM, "--link", self.link] + list(args),
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self._readline_stdout(TIMEOUT)
        if line != "ready %s" % self.link:
            self.stop()
            raise AssertionError("simulator did not start: %r" % line)
        self.port = None

    def _readline_stdout(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        end = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                break
            chunk = os.read(fd, 1)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace").strip()

    def ctl(self, req, timeout=TIMEOUT):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.link + ".ctl")
            s.sendall((json.dumps(req) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
        finally:
            s.close()
        return json.loads(buf)

    def open_port(self):
        self.port = Port(self.link)
        return self.port

    def stop(self):
        if self.port:
            self.port.close()
            self.port = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.dir.cleanup()
        # a clean exit on SIGTERM, and nothing from the sanitizers
        if self.proc.returncode != 0 or b"Sanitizer" in err:
            raise AssertionError("simulator exit %s: %s" % (
                self.proc.returncode, err.decode(errors="replace")[-2000:]))


class Port:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        self.buf = b""

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        end = time.monotonic() + TIMEOUT
        while data:
            try:
                n = os.write(self.fd, data)
            except BlockingIOError:
                n = 0
            data = data[n:]
            if data:
                if time.monotonic() > end:
                    raise AssertionError("port not writable")
                select.select([], [self.fd], [], 0.5)

    def fill(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            raise
        if not chunk:
            raise EOFError("port closed")
        self.buf += chunk
        return True

    def read_until(self, pred, timeout=TIMEOUT):
        """Wait until pred(buf) is true; return and consume the buffer."""
        end = time.monotonic() + timeout
        while not pred(self.buf):
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout; got %r" % self.buf)
            self.fill(left)
        out, self.buf = self.buf, b""
        return out

    def expect(self, needle, timeout=TIMEOUT):
        if isinstance(needle, str):
            needle = needle.encode()
        return self.read_until(lambda b: needle in b, timeout)

    def read_final(self, timeout=TIMEOUT):
        """Everything up to the first final result; the rest stays."""
        end = time.monotonic() + timeout
        while True:
            m = FINAL_RE.search(self.buf)
            if m:
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out.decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("timeout; got %r" % self.buf)
            self.fill(left)

    def cmd(self, line, timeout=TIMEOUT):
        """Send one command; return everything up to its final result."""
        self.write(line + "\r")
        return self.read_final(timeout)

    def quiet(self, timeout=0.3):
        """True when nothing arrives for @timeout (used only for negatives)."""
        got = self.fill(timeout)
        return not got


FINAL_RE = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r\n]*)\r\n")


class SimCase(unittest.TestCase):
    args = ()

    def setUp(self):
        if not os.access(SIM, os.X_OK):
            self.skipTest("%s not built" % SIM)
        self.sim = Sim(*self.args)
        self.port = self.sim.open_port()
        self.port.cmd("ATE0")
        self.port.cmd("AT+CMEE=1")

    def tearDown(self):
        self.sim.stop()

    def cmgs(self, pdu, tlen):
        self.port.write("AT+CMGS=%d\r" % tlen)
        self.port.expect("> ")
        self.port.write(pdu + "\x1a")
        return self.port.read_final()


# --- the tests --------------------------------------------------------------

class TestBasics(SimCase):
    def test_echo_then_ate0(self):
        self.sim.stop()
        self.sim = Sim()
        p = self.port = self.sim.open_port()
        out = p.cmd("AT")
        self.assertIn("AT\r", out)      # echo on at power-up
        out = p.cmd("ATE0")
        self.assertTrue(out.startswith("ATE0\r"))
        self.assertEqual(p.cmd("AT"), "\r\nOK\r\n")
        self.assertEqual(p.cmd("AT+NOSUCH"), "\r\nERROR\r\n")

    def test_identity_and_cmee_formats(self):
        p = self.port
        self.assertIn("+CSQ: 20,99", p.cmd("AT+CSQ"))
        self.assertIn("+CREG: 0,1", p.cmd("AT+CREG?"))
        self.assertIn('+COPS: 0,0,"CHINA MOBILE"', p.cmd("AT+COPS?"))
        self.assertIn("JIFEN-SIM-GSM", p.cmd("AT+CGMM"))
        self.assertIn('+CSCA: "+8613800270500",145', p.cmd("AT+CSCA?"))
        p.cmd('AT+CSCS="UCS2"')
        self.assertIn('+CSCA: "002B0038', p.cmd("AT+CSCA?"))
        p.cmd('AT+CSCS="GSM"')
        self.assertIn("+CME ERROR: 3", p.cmd("AT+CPIN=\"1111\""))
        p.cmd("AT+CMEE=2")
        self.assertIn("+CME ERROR: operation not allowed",
                      p.cmd("AT+CPIN=\"1111\""))
        p.cmd("AT+CMEE=0")
        self.assertEqual(p.cmd("AT+CPIN=\"1111\""), "\r\nERROR\r\n")
        self.assertIn("+CPINR: SIM PIN,3,3\r\n", p.cmd('AT+CPINR="SIM PIN"'))

    def test_creg_urc_and_cusd_balance(self):
        p = self.port
        p.cmd("AT+CREG=1")
        self.assertTrue(self.sim.ctl({"cmd": "set", "registered": False})["ok"])
        p.expect("+CREG: 2")
        self.sim.ctl({"cmd": "set", "registered": True, "balance": "3.20"})
        p.expect("+CREG: 1\r\n")
        out = p.cmd('AT+CUSD=1,"*100#",15')
        self.assertTrue(out.endswith("OK\r\n"))
        out = p.expect(",15\r\n").decode()
        self.assertIn("+CUSD: 0,", out)
        self.assertIn("balance 3.20", out)


class TestIncoming(SimCase):
    def test_silent_storage_before_cnmi_found_by_cmgl(self):
        r = self.sim.ctl({"cmd": "deliver", "from": "13800000001",
                          "text": "JF"})
        self.assertEqual(r, {"ok": True, "parts": 1, "pending": 0})
        self.assertTrue(self.port.quiet())     # no +CMTI before AT+CNMI
        out = self.port.cmd("AT+CMGL=4")
        lines = out.split("\r\n")
        i = [n for n, ln in enumerate(lines) if ln.startswith("+CMGL:")]
        self.assertEqual(len(i), 1)
        hdr = lines[i[0]]
        self.assertTrue(hdr.startswith("+CMGL: 1,0,,"))
        pdu = lines[i[0] + 1]
        self.assertEqual(int(hdr.rsplit(",", 1)[1]), len(pdu) // 2 - 9)
        d = decode_deliver(pdu)
        self.assertEqual(d["sender"], "+8613800000001")
        self.assertEqual(d["text"], "JF")
        self.assertEqual(d["smsc"], "+8613800270500")
        # listing marks it read
        self.assertIn("+CMGL: 1,1,,", self.port.cmd("AT+CMGL=4"))

    def test_cmti_only_after_cnmi(self):
        p = self.port
        self.assertIn("+CMS ERROR: 303", p.cmd("AT+CNMI=2,1,0,0,7"))
        self.assertTrue(p.cmd("AT+CNMI=2,1,0,1,0").endswith("OK\r\n"))
        self.sim.ctl({"cmd": "deliver", "from": "+8613800000002",
                      "text": "积分", "ucs2": True})
        p.expect('+CMTI: "SM",1\r\n')
        out = p.cmd("AT+CMGR=1")
        pdu = out.split("\r\n")[2]
        self.assertEqual(decode_deliver(pdu)["text"], "积分")
        self.sim.ctl({"cmd": "deliver", "from": "10086", "text": "x",
                      "via": "silent"})
        self.assertTrue(p.quiet())
        self.assertEqual(self.sim.ctl({"cmd": "sim"})["used"], 2)

    def test_multipart_reverse_and_duplicate(self):
        p = self.port
        p.cmd("AT+CNMI=2,1,0,0,0")
        text = "".join(chr(ord("a") + i % 26) for i in range(200))
        r = self.sim.ctl({"cmd": "deliver", "from": "CMCC", "text": text,
                          "order": "reverse", "duplicate": True})
        self.assertEqual(r["parts"], 2)
        p.read_until(lambda b: b.count(b"+CMTI:") == 4)
        out = p.cmd("AT+CMGL=4")
        pdus = [ln for ln in out.split("\r\n") if ln and not ln.startswith("+")
                and ln != "OK"]
        ds = [decode_deliver(x) for x in pdus]
        self.assertEqual([d["concat"][2] for d in ds], [2, 1, 2, 1])
        self.assertEqual(ds[0]["sender"], "CMCC")
        self.assertEqual(ds[1]["text"] + ds[0]["text"], text)

    def test_cmt_direct_delivery_not_stored(self):
        p = self.port
        p.cmd("AT+CNMI=2,2,0,0,0")
        self.sim.ctl({"cmd": "deliver", "from": "13800000003", "text": "hi"})
        out = p.read_until(lambda b: b"+CMT: ," in b and
                           b.endswith(b"\r\n") and b.count(b"\r\n") >= 3)
        pdu = out.split(b"\r\n")[2].decode()
        self.assertEqual(decode_deliver(pdu)["text"], "hi")
        self.assertEqual(self.sim.ctl({"cmd": "sim"})["used"], 0)
        self.assertTrue(p.cmd("AT+CNMA").endswith("OK\r\n"))
        self.assertIn("+CMS ERROR: 340", p.cmd("AT+CNMA"))

    def test_capacity_limit_and_pending_after_cmgd(self):
        self.sim.stop()
        self.sim = Sim("--capacity", "3")
        p = self.port = self.sim.open_port()
        p.cmd("ATE0")
        p.cmd("AT+CNMI=2,1,0,0,0")
        for i in range(5):
            self.sim.ctl({"cmd": "deliver", "from": "1380000000%d" % i,
                          "text": "m%d" % i})
        p.read_until(lambda b: b.count(b"+CMTI:") == 3)
        st = self.sim.ctl({"cmd": "sim"})
        self.assertEqual((st["used"], st["capacity"], st["pending"]), (3, 3, 2))
        self.assertIn('+CPMS: "SM",3,3', p.cmd("AT+CPMS?"))
        self.assertTrue(p.quiet())
        out = p.cmd("AT+CMGD=2")
        if "+CMTI" not in out:
            out += p.expect('+CMTI: "SM",2').decode()
        self.assertIn('+CMTI: "SM",2', out)
        out = p.cmd("AT+CMGR=2")
        self.assertEqual(decode_deliver(out.split("\r\n")[2])["text"], "m3")
        p.cmd("AT+CMGD=1,4")
        p.expect('+CMTI: "SM",1')
        st = self.sim.ctl({"cmd": "sim"})
        self.assertEqual((st["used"], st["pending"]), (1, 0))
        self.assertIn("+CMS ERROR: 321", p.cmd("AT+CMGR=9"))

    def test_deliver_pdu_raw(self):
        raw = "0891683108200705F0" + "040D91683108000000F10004" + \
            "62119270433023" + "03" + "DEADBE"
        r = self.sim.ctl({"cmd": "deliver_pdu", "pdu": raw})
        self.assertTrue(r["ok"])
        out = self.port.cmd("AT+CMGL=4")
        self.assertIn(raw, out)
        self.assertFalse(self.sim.ctl({"cmd": "deliver_pdu",
                                       "pdu": "XYZ"})["ok"])


class TestSending(SimCase):
    def test_cmgs_records_sent_message(self):
        p = self.port
        (pdu, tlen), = submit_pdus("+8613800000001", "Points: 583")
        out = self.cmgs(pdu, tlen)
        self.assertIn("+CMGS: 1\r\n", out)
        self.assertTrue(out.endswith("OK\r\n"))
        (pdu, tlen), = submit_pdus("+8613800000001", "again")
        self.assertIn("+CMGS: 2\r\n", self.cmgs(pdu, tlen))
        sent = self.sim.ctl({"cmd": "sent", "to": "13800000001"})["sent"]
        self.assertEqual([m["text"] for m in sent], ["Points: 583", "again"])
        self.assertTrue(sent[0]["complete"])
        self.assertEqual(sent[0]["alphabet"], "gsm7")
        self.assertEqual(sent[0]["mrs"], [1])
        log = self.sim.ctl({"cmd": "log"})["commands"]
        self.assertEqual(log[-1], "AT+CMGS=%d" % tlen)
        self.assertNotIn(p.buf, (None,))

    def test_multipart_ucs2_with_status_report(self):
        p = self.port
        p.cmd("AT+CNMI=2,1,0,1,0")
        text = "您的积分为583分，在公示中的积分为20分，待审核的积分为5分。" * 3
        parts = submit_pdus("+8613800000009", text, srr=True)
        self.assertEqual(len(parts), 2)
        self.cmgs(*parts[0])
        sent = self.sim.ctl({"cmd": "sent"})["sent"]
        self.assertFalse(sent[0]["complete"])
        self.cmgs(*parts[1])
        m = self.sim.ctl({"cmd": "sent"})["sent"][0]
        self.assertTrue(m["complete"])
        self.assertEqual((m["text"], m["parts"], m["alphabet"], m["srr"]),
                         (text, 2, "ucs2", True))
        out = p.read_until(lambda b: b.count(b"+CDS:") == 2 and
                           b.endswith(b"\r\n") and b.count(b"\r\n") >= 6)
        lines = out.decode().split("\r\n")
        mrs = [decode_deliver(lines[i + 1])["mr"]
               for i, ln in enumerate(lines) if ln.startswith("+CDS:")]
        self.assertEqual(mrs, m["mrs"])

    def test_wrong_length_and_garbage_pdu_304(self):
        (pdu, tlen), = submit_pdus("+8613800000001", "hello")
        self.assertIn("+CMS ERROR: 304", self.cmgs(pdu, tlen + 1))
        self.assertIn("+CMS ERROR: 304", self.cmgs("00FFFF", 2))
        self.assertEqual(self.sim.ctl({"cmd": "sent"})["sent"], [])
        # ESC cancels: no result, next command works
        self.port.write("AT+CMGS=%d\r" % tlen)
        self.port.expect("> ")
        self.port.write(pdu[:10] + "\x1b")
        self.assertEqual(self.port.cmd("AT"), "\r\nOK\r\n")

    def test_jifenctl_pdu_encode_accepted(self):
        ctl = harness.binpath("jifenctl")
        if not os.access(ctl, os.X_OK):
            self.skipTest("jifenctl not built")
        res = subprocess.run([ctl, "pdu", "encode", "+8613800000001",
                              "积分 583"], capture_output=True, text=True,
                             timeout=TIMEOUT)
        if res.returncode != 0:
            self.skipTest("jifenctl pdu encode failed: %s" % res.stderr)
        for hx in res.stdout.split():
            sc = int(hx[:2], 16)
            out = self.cmgs(hx, len(hx) // 2 - 1 - sc)
            self.assertIn("+CMGS:", out)
        m = self.sim.ctl({"cmd": "sent"})["sent"][0]
        self.assertEqual(m["text"], "积分 583")


class TestFaults(SimCase):
    def fault(self, **kw):
        kw["cmd"] = "fault"
        self.assertTrue(self.sim.ctl(kw)["ok"])

    def test_noanswer_and_error_match(self):
        p = self.port
        self.fault(kind="noanswer")
        p.write("AT+CSQ\r")
        self.assertTrue(p.quiet(0.5))
        self.assertEqual(p.cmd("AT"), "\r\nOK\r\n")
        self.fault(kind="error", match="AT+CPMS", count=2)
        self.assertEqual(p.cmd("AT+CSQ").count("+CSQ"), 1)
        self.assertEqual(p.cmd("AT+CPMS?"), "\r\nERROR\r\n")
        self.assertEqual(p.cmd("AT+CPMS?"), "\r\nERROR\r\n")
        self.assertIn("+CPMS:", p.cmd("AT+CPMS?"))
        self.assertIn("AT+CSQ", self.sim.ctl({"cmd": "log"})["commands"])

    def test_garbage_before_reply(self):
        self.fault(kind="garbage")
        out = self.port.write("AT\r")
        out = self.port.read_until(lambda b: b.endswith(b"\r\nOK\r\n"))
        self.assertIn(b"\x00", out)
        self.assertIn(b"\xff", out)
        self.assertGreater(len(out), 2000)

    def test_cms_error_then_success(self):
        self.fault(kind="cms_error", code=331)
        (pdu, tlen), = submit_pdus("+8613800000001", "x")
        self.assertIn("+CMS ERROR: 331", self.cmgs(pdu, tlen))
        self.assertIn("+CMGS:", self.cmgs(pdu, tlen))
        self.assertEqual(len(self.sim.ctl({"cmd": "sent"})["sent"]), 1)

    def test_noprompt_and_urc_in_prompt(self):
        p = self.port
        p.cmd("AT+CNMI=2,1,0,0,0")
        self.sim.ctl({"cmd": "deliver", "from": "13800000001", "text": "a"})
        p.expect("+CMTI")
        self.fault(kind="cmgs_noprompt")
        p.write("AT+CMGS=10\r")
        self.assertTrue(p.quiet(0.5))
        p.write("\x1b")
        self.assertEqual(p.cmd("AT"), "\r\nOK\r\n")
        self.fault(kind="urc_in_prompt")
        p.write("AT+CMGS=10\r")
        out = p.expect("> ")
        self.assertIn(b'+CMTI: "SM",1\r\n', out)
        self.assertIn(b"^RSSI:", out)
        self.assertLess(out.index(b"+CMTI"), out.index(b"> "))
        p.write("\x1b")

    def test_urc_in_list(self):
        p = self.port
        p.cmd("AT+CNMI=2,1,0,0,0")
        for i in range(3):
            self.sim.ctl({"cmd": "deliver", "from": "13800000001",
                          "text": "n%d" % i, "via": "silent"})
        self.fault(kind="urc_in_list")
        out = p.cmd("AT+CMGL=4")
        lines = out.split("\r\n")
        self.assertEqual(sum(ln.startswith("+CMGL:") for ln in lines), 3)
        k = [n for n, ln in enumerate(lines) if ln.startswith("+CMTI")][0]
        self.assertTrue(lines[k - 2].startswith("+CMGL: 1"))
        self.assertTrue(lines[k + 2].startswith("+CMGL: 2"))

    def test_slow_replies(self):
        self.fault(kind="slow", delay_ms=400, count=1)
        t0 = time.monotonic()
        self.assertEqual(self.port.cmd("AT"), "\r\nOK\r\n")
        self.assertGreaterEqual(time.monotonic() - t0, 0.35)
        t0 = time.monotonic()
        self.port.cmd("AT")
        self.assertLess(time.monotonic() - t0, 0.35)

    def test_hangup_new_pty(self):
        old = os.readlink(self.sim.link)
        r = self.sim.ctl({"cmd": "fault", "kind": "hangup", "delay_ms": 300})
        self.assertEqual(r["old"], old)
        # the open port sees hang-up: EOF or EIO
        with self.assertRaises((EOFError, OSError)):
            end = time.monotonic() + TIMEOUT
            while time.monotonic() < end:
                self.port.fill(0.5)
        self.port.close()
        end = time.monotonic() + TIMEOUT
        new = None
        while time.monotonic() < end:
            try:
                new = os.readlink(self.sim.link)
            except OSError:
                new = None
            if new and new != old:
                break
            select.select([], [], [], 0.05)
        self.assertIsNotNone(new)
        self.assertNotEqual(new, old)
        p = self.port = self.sim.open_port()
        p.write("ATE0\r")
        p.expect("OK\r\n")
        self.assertEqual(p.cmd("AT"), "\r\nOK\r\n")
        self.sim.port = p

    def test_unplugged_modem_gets_messages_after_replug(self):
        old = os.readlink(self.sim.link)
        self.sim.ctl({"cmd": "fault", "kind": "hangup", "delay_ms": 200})
        r = self.sim.ctl({"cmd": "deliver", "from": "13800000001",
                          "text": "while away"})
        self.assertEqual(r["pending"], 1)
        self.port.close()
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            if os.path.lexists(self.sim.link) and \
                    os.readlink(self.sim.link) != old:
                break
            select.select([], [], [], 0.05)
        p = self.port = self.sim.port = self.sim.open_port()
        p.write("ATE0\r")
        p.expect("OK\r\n")
        end = time.monotonic() + TIMEOUT
        while self.sim.ctl({"cmd": "sim"})["used"] != 1:
            self.assertLess(time.monotonic(), end)
            select.select([], [], [], 0.05)
        self.assertIn("+CMGL: 1,0,,", p.cmd("AT+CMGL=4"))


class FakeDaemon(threading.Thread):
    """Answers each +CMTI like the gateway would: read, reply, delete."""

    def __init__(self, port, replies=1):
        super().__init__(daemon=True)
        self.port = port
        self.replies = replies
        self.error = None

    def run(self):
        try:
            p = self.port
            for _ in range(self.replies):
                out = p.read_until(lambda b: b"+CMTI" in b and
                                   b.endswith(b"\r\n"), 30).decode()
                idx = out.rsplit(",", 1)[1].strip()
                d = decode_deliver(p.cmd("AT+CMGR=" + idx).split("\r\n")[2])
                for pdu, tlen in submit_pdus(d["sender"], "got " + d["text"]):
                    p.write("AT+CMGS=%d\r" % tlen)
                    p.expect("> ")
                    p.write(pdu + "\x1a")
                    p.read_final()
                p.cmd("AT+CMGD=" + idx)
        except Exception as e:      # reported by the test
            self.error = e


class TestJifenctlSim(SimCase):
    def jifenctl(self, *args):
        ctl = harness.binpath("jifenctl")
        if not os.access(ctl, os.X_OK):
            self.skipTest("jifenctl not built")
        conf = os.path.join(self.sim.dir.name, "jifen.conf")
        with open(conf, "w") as f:
            f.write('village = { id = "test-village"; };\n'
                    'modem = { device = "%s"; };\n'
                    'storage = { path = "%s"; };\n'
                    % (self.sim.link,
                       os.path.join(self.sim.dir.name, "jifen.db")))
        env = dict(os.environ, JIFEN_CONFIG=conf)
        res = subprocess.run([ctl, "-c", conf] + list(args), env=env,
                             capture_output=True, text=True, timeout=60)
        if "unknown command" in res.stderr:
            self.skipTest("jifenctl has no sim command yet")
        return res

    def test_sim_send_prints_reply(self):
        self.port.cmd("AT+CNMI=2,1,0,0,0")
        d = FakeDaemon(self.port)
        d.start()
        res = self.jifenctl("sim", "send", "13800000001", "积分")
        d.join(TIMEOUT)
        self.assertIsNone(d.error)
        self.assertEqual((res.returncode, res.stdout), (0, "got 积分\n"))

    def test_sim_send_no_reply_and_usage(self):
        res = self.jifenctl("sim", "send", "--wait", "1", "13800000001", "x")
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stderr,
                         "jifenctl: sim send: no reply within 1 s\n")
        self.assertEqual(self.jifenctl("sim", "send", "x").returncode, 2)
        res = self.jifenctl("sim", "status")
        self.assertEqual(res.returncode, 0)
        self.assertIn("1/20 used", res.stdout)


class TestPin(unittest.TestCase):
    def setUp(self):
        if not os.access(SIM, os.X_OK):
            self.skipTest("%s not built" % SIM)
        self.sim = Sim("--pin", "1234", "--profile", "simcom")
        self.port = self.sim.open_port()

    def tearDown(self):
        self.sim.stop()

    def test_wrong_pin_three_times_then_puk(self):
        p = self.port
        p.cmd("ATE0")
        p.cmd("AT+CMEE=1")
        self.assertIn("+CPIN: SIM PIN", p.cmd("AT+CPIN?"))
        self.assertIn("+CMS ERROR: 311", p.cmd("AT+CMGL=4"))
        for left in (2, 1, 0):
            self.assertIn("+CME ERROR: 16", p.cmd('AT+CPIN="0000"'))
            self.assertEqual(self.sim.ctl({"cmd": "sim"})["pin_left"], left)
        self.assertIn("+CPIN: SIM PUK", p.cmd("AT+CPIN?"))
        # a PIN alone is refused while the PUK is needed
        self.assertIn("+CME ERROR: 12", p.cmd('AT+CPIN="1234"'))
        self.assertIn("+CME ERROR: 16", p.cmd('AT+CPIN="11111111","4321"'))
        self.assertEqual(self.sim.ctl({"cmd": "sim"})["puk_left"], 9)
        self.assertTrue(p.cmd('AT+CPIN="12345678","4321"').endswith("OK\r\n"))
        p.expect("SMS Ready")
        self.assertIn("+CPIN: READY", p.cmd("AT+CPIN?"))

    def test_pin_unlock_delivers_waiting_messages(self):
        p = self.port
        p.cmd("ATE0")
        r = self.sim.ctl({"cmd": "deliver", "from": "13800000001",
                          "text": "queued"})
        self.assertEqual(r["pending"], 1)
        self.assertTrue(p.cmd('AT+CPIN="1234"').endswith("OK\r\n"))
        p.expect("SMS Ready")
        out = p.cmd("AT+CMGL=4")
        self.assertIn("+CMGL: 1,0,,", out)
        # simcom: mt=1 with ds=2 refused, ds=1 accepted
        self.assertIn("+CMS ERROR: 303", p.cmd("AT+CNMI=2,1,0,2,0"))
        self.assertTrue(p.cmd("AT+CNMI=2,1,0,1,0").endswith("OK\r\n"))
        cmds = self.sim.ctl({"cmd": "log"})["commands"]
        self.assertEqual(sum(c.startswith("AT+CPIN=") for c in cmds), 1)


class TestProfiles(unittest.TestCase):
    def test_huawei_zero_based_and_noise_off(self):
        if not os.access(SIM, os.X_OK):
            self.skipTest("%s not built" % SIM)
        sim = Sim("--profile", "huawei", "--seed", "7")
        try:
            p = sim.open_port()
            p.cmd("ATE0")
            p.cmd("AT^CURC=0")
            self.assertIn("(0,2),(0,1)", p.cmd("AT+CNMI=?"))
            self.assertIn("+CMS ERROR", p.cmd("AT+CNMI=2,1,0,1,0"))
            p.cmd("AT+CNMI=2,1,0,2,0")
            sim.ctl({"cmd": "deliver", "from": "13800000001", "text": "hw"})
            p.expect('+CMTI: "SM",0')
            self.assertIn("+CMGL: 0,0,,", p.cmd("AT+CMGL=4"))
            self.assertIn("Manufacturer: huawei", p.cmd("ATI"))
            # USSD in packed GSM 7-bit hex both ways
            code = _pack7([ord(c) for c in "*100#"]).hex().upper()
            self.assertTrue(p.cmd('AT+CUSD=1,"%s",15' % code).endswith("OK\r\n"))
            out = p.read_until(lambda b: b"+CUSD:" in b and
                               b.endswith(b",15\r\n")).decode()
            hx = out.split('"')[1]
            raw = bytes.fromhex(hx)
            text = _unpack7(raw, len(raw) * 8 // 7).rstrip("\r")
            self.assertIn("balance 12.50", text)
            self.assertIn("^CPIN: READY,0,10,3,10,3", p.cmd("AT^CPIN?"))
        finally:
            sim.stop()

    def test_reboot_loses_cnmi_keeps_storage(self):
        if not os.access(SIM, os.X_OK):
            self.skipTest("%s not built" % SIM)
        sim = Sim("--profile", "quectel")
        try:
            p = sim.open_port()
            p.cmd("ATE0")
            p.cmd("AT+CNMI=2,1,0,1,0")
            sim.ctl({"cmd": "deliver", "from": "13800000001", "text": "q"})
            p.expect('+CMTI: "SM",0')
            self.assertTrue(sim.ctl({"cmd": "reboot"})["ok"])
            p.expect("+QIND: SMS DONE")
            st = sim.ctl({"cmd": "sim"})
            self.assertEqual((st["cnmi"], st["echo"], st["used"]),
                             ([0, 0, 0, 0, 0], True, 1))
        finally:
            sim.stop()


class TestControl(SimCase):
    def test_concurrent_wait_sent_and_deliver(self):
        results = {}

        def waiter():
            results["w"] = self.sim.ctl({"cmd": "wait_sent",
                                         "to": "13800000007", "count": 1,
                                         "timeout_ms": 8000})

        t = threading.Thread(target=waiter)
        t.start()
        # the loop keeps serving other clients while the wait is pending
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            st = self.sim.ctl({"cmd": "sim"})
            self.assertTrue(st["ok"])
            if self.sim.ctl({"cmd": "log"})["ok"]:
                break
        self.sim.ctl({"cmd": "deliver", "from": "13800000007", "text": "JF"})
        (pdu, tlen), = submit_pdus("+8613800000007", "reply 1")
        self.cmgs(pdu, tlen)
        t.join(TIMEOUT)
        self.assertFalse(t.is_alive())
        self.assertTrue(results["w"]["ok"])
        self.assertEqual(results["w"]["sent"][0]["text"], "reply 1")
        r = self.sim.ctl({"cmd": "wait_sent", "to": "+8613800000007",
                          "count": 2, "timeout_ms": 200})
        self.assertEqual(r, {"ok": False, "error": "timeout"})

    def test_bad_requests(self):
        self.assertFalse(self.sim.ctl({"cmd": "nope"})["ok"])
        self.assertFalse(self.sim.ctl({"cmd": "fault", "kind": "nope"})["ok"])
        self.assertFalse(self.sim.ctl({"cmd": "deliver"})["ok"])
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(self.sim.link + ".ctl")
        s.sendall(b"not json\n{\"cmd\":\"sim\"}\n")
        buf = b""
        while buf.count(b"\n") < 2:
            buf += s.recv(65536)
        s.close()
        a, b = buf.splitlines()
        self.assertFalse(json.loads(a)["ok"])
        self.assertTrue(json.loads(b)["ok"])

    def test_half_closed_client_gets_every_answer(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(self.sim.link + ".ctl")
        s.sendall(b'{"cmd":"wait_sent","to":"10086","timeout_ms":300}\n'
                  b'{"cmd":"ping"}\n')
        s.shutdown(socket.SHUT_WR)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        a, b = [json.loads(x) for x in buf.splitlines()]
        self.assertEqual(a, {"ok": False, "error": "timeout"})
        self.assertTrue(b["ok"])
        self.assertEqual(b["device"], os.readlink(self.sim.link))

    def test_oversized_control_line_rejected(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(self.sim.link + ".ctl")
        try:
            s.sendall(b"x" * (300 * 1024))
        except OSError:
            pass
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        self.assertEqual(json.loads(buf)["error"], "request line too long")
        self.assertTrue(self.sim.ctl({"cmd": "sim"})["ok"])

    def test_random_bytes_on_the_line_survive(self):
        import random
        rng = random.Random(1234)
        noise = bytes(rng.randrange(256) for _ in range(20000))
        self.port.write(noise.replace(b"AT", b"xx").replace(b"at", b"xx"))
        self.port.write(b"\x1b\r")
        self.port.write(b"AT\r")
        self.port.read_until(lambda b: b.endswith(b"\r\nOK\r\n"))
        self.assertEqual(self.port.cmd("AT+CSQ").count("+CSQ: 20,99"), 1)

    def test_sigterm_removes_link_and_socket(self):
        self.sim.proc.terminate()
        self.assertEqual(self.sim.proc.wait(TIMEOUT), 0)
        self.assertFalse(os.path.lexists(self.sim.link))
        self.assertFalse(os.path.exists(self.sim.link + ".ctl"))


if __name__ == "__main__":
    harness.main()
