"""End-to-end: the jifen-web console over real HTTP (SPEC section 12):
nothing without a session, CSRF, logins (clerk password, committee code
by SMS through the simulator), rate limit, a committee member cannot
review their own household, audit, hostile requests, page sizes, socket
activation and the idle exit."""
import os
import re
import socket
import subprocess
import time
import unittest

import harness
from jifen import Village, TIMEOUT
from webfix import Web, CLERK_PASSWORD, activated, raw_get

COMMITTEE = "13900000009"      # household H03

PAGES = ["/", "/households", "/household?id=H01", "/import", "/records",
         "/publicity", "/matters", "/messages", "/statement?id=H01"]
ACTIONS = ["/household/phone", "/household/phone/remove",
           "/household/remove", "/import", "/import/confirm", "/records/add",
           "/records/review", "/matters/answer", "/matters/close",
           "/messages/retry", "/messages/send", "/notice", "/notice/send",
           "/logout"]


def code_from(text):
    m = re.search(r"(\d{6})", text)
    return m.group(1) if m else None


class WebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = Village()
        cls.w = Web(cls.v)
        cls.w.set_password()

    @classmethod
    def tearDownClass(cls):
        cls.w.close()
        cls.v.close()

    def fresh(self):
        """A second client (no cookies) on the same server."""
        w = Web.__new__(Web)
        w.v, w.base, w.opener, w.cookies = self.v, self.w.base, \
            self.w.opener, {}
        return w

    def clerk(self):
        c = self.fresh()
        r = c.login_clerk()
        self.assertEqual(r.status, 303, r.text)
        return c

    def committee(self, phone=COMMITTEE):
        c = self.fresh()
        lt = c.login_token()
        before = len(self.v.sent(phone))
        r = c.post("/login/code", {"lt": lt, "phone": phone})
        self.assertEqual(r.status, 200, r.text)
        msg = self.v.wait_sent(phone, before + 1)[-1]["text"]
        code = code_from(msg)
        self.assertIsNotNone(code, msg)
        r = c.post("/login/verify", {"lt": lt, "phone": phone,
                                     "code": code})
        self.assertEqual(r.status, 303, r.text)
        return c

    # --- nothing without a session ------------------------------------
    def test_no_page_without_session(self):
        c = self.fresh()
        for p in PAGES + ["/nope", "/style.css", "/favicon.ico"]:
            r = c.get(p)
            self.assertEqual(r.status, 303, p)
            self.assertEqual(r.headers["Location"], "/login", p)
            self.assertNotIn("H01", r.text)
        for p in ACTIONS:
            r = c.post(p, {"csrf": "x", "id": "H01"})
            self.assertEqual(r.status, 303, p)
        r = c.get("/login")
        self.assertEqual(r.status, 200)
        self.assertIn("登录", r.text)
        # a made-up session cookie is no session
        c.cookies["jifen_sid"] = "0" * 64
        self.assertEqual(c.get("/").status, 303)

    def test_cookie_flags(self):
        c = self.fresh()
        c.get("/login")
        r = c.post("/login/clerk", {"lt": c.cookies["jifen_login"],
                                    "password": CLERK_PASSWORD})
        self.assertEqual(r.status, 303)
        sc = [h for h in r.headers.get_all("Set-Cookie")
              if h.startswith("jifen_sid=")][0]
        self.assertIn("HttpOnly", sc)
        self.assertIn("SameSite=Strict", sc)
        self.assertEqual(c.get("/").status, 200)
        # logout ends the session on the server too
        old = dict(c.cookies)
        r = c.post("/logout", {"csrf": c.csrf()})
        self.assertEqual(r.status, 303)
        c.cookies = old
        self.assertEqual(c.get("/").status, 303)

    # --- logins --------------------------------------------------------
    def test_clerk_wrong_password(self):
        c = self.fresh()
        lt = c.login_token()
        r = c.post("/login/clerk", {"lt": lt, "password": "wrong-one"})
        self.assertEqual(r.status, 403)
        self.assertNotIn("jifen_sid", c.cookies)

    def test_login_form_needs_its_token(self):
        c = self.fresh()
        c.login_token()
        r = c.post("/login/clerk", {"password": CLERK_PASSWORD})
        self.assertEqual(r.status, 403)
        r = c.post("/login/clerk", {"lt": "f" * 32,
                                    "password": CLERK_PASSWORD})
        self.assertEqual(r.status, 403)
        self.assertNotIn("jifen_sid", c.cookies)

    def test_committee_login_by_sms_code(self):
        c = self.committee()
        r = c.get("/records")
        self.assertEqual(r.status, 200)
        self.assertIn(COMMITTEE[-4:], r.text)

    def test_code_three_tries(self):
        phone = COMMITTEE
        c = self.fresh()
        lt = c.login_token()
        before = len(self.v.sent(phone))
        c.post("/login/code", {"lt": lt, "phone": phone})
        code = code_from(self.v.wait_sent(phone, before + 1)[-1]["text"])
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(3):
            r = c.post("/login/verify", {"lt": lt, "phone": phone,
                                         "code": wrong})
            self.assertEqual(r.status, 403)
        r = c.post("/login/verify", {"lt": lt, "phone": phone,
                                     "code": code})
        self.assertEqual(r.status, 403, "the code is spent after 3 tries")

    def test_code_not_for_villagers(self):
        c = self.fresh()
        lt = c.login_token()
        r = c.post("/login/code", {"lt": lt, "phone": "13800000002"})
        self.assertEqual(r.status, 200)   # same page as for a member
        self.assertEqual(self.v.query(
            "SELECT count(*) FROM web_codes WHERE phone = ?",
            ("+8613800000002",))[0][0], 0)

    def test_rate_limit(self):
        v = Village(start=False)
        w = Web(v)
        try:
            w.set_password()
            lt = w.login_token()
            for _ in range(10):
                r = w.post("/login/clerk", {"lt": lt, "password": "nope"})
                self.assertEqual(r.status, 403)
            r = w.post("/login/clerk", {"lt": lt,
                                        "password": CLERK_PASSWORD})
            self.assertEqual(r.status, 429)
            self.assertNotIn("jifen_sid", w.cookies)
        finally:
            w.close()
            v.close()

    # --- CSRF ------------------------------------------------------------
    def test_csrf_rejected(self):
        c = self.clerk()
        form = {"household": "H02", "points": "3", "reason": "CSRF测试"}
        r = c.post("/records/add", form)
        self.assertEqual(r.status, 403)
        r = c.post("/records/add", dict(form, csrf="0" * 64))
        self.assertEqual(r.status, 403)
        # another session's token does not work either
        other = self.clerk()
        r = c.post("/records/add", dict(form, csrf=other.csrf()))
        self.assertEqual(r.status, 403)
        self.assertEqual(self.v.query("SELECT count(*) FROM records WHERE "
                                      "reason = 'CSRF测试'")[0][0], 0)
        r = c.post("/records/add", dict(form, csrf=c.csrf()))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.v.query("SELECT count(*) FROM records WHERE "
                                      "reason = 'CSRF测试'")[0][0], 1)
        # audited with who did it
        self.assertTrue(self.v.query(
            "SELECT count(*) FROM audit WHERE actor = 'web:clerk'")[0][0])

    # --- the committee's rules, from the console too --------------------
    def add_pending(self, hh, pts, why):
        r = self.v.ctl("record", "add", hh, str(pts), why, check=True)
        return int(r.stdout.strip().split()[-1])

    def test_committee_cannot_review_own_household(self):
        own = self.add_pending("H03", 8, "自家审自家")
        other = self.add_pending("H02", 6, "别家的记录")
        c = self.committee()
        csrf = c.csrf("/records")
        r = c.post("/records/review", {"csrf": csrf, "no": str(own),
                                       "decision": "approve"})
        self.assertEqual(r.status, 403)
        self.assertEqual(self.v.query("SELECT status FROM records WHERE "
                                      "no = ?", (own,))[0][0], "pending")
        r = c.post("/records/review", {"csrf": csrf, "no": str(own),
                                       "decision": "reject",
                                       "reason": "x"})
        self.assertEqual(r.status, 403)
        r = c.post("/records/review", {"csrf": csrf, "no": str(other),
                                       "decision": "approve"})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.v.query(
            "SELECT status, reviewed_by FROM records WHERE no = ?",
            (other,))[0], ("approved", "+86" + COMMITTEE))
        self.assertTrue(self.v.query(
            "SELECT count(*) FROM audit WHERE actor = ? AND action = "
            "'web.review'", ("web:+86" + COMMITTEE,))[0][0])

    def test_committee_cannot_do_clerk_work(self):
        c = self.committee()
        csrf = c.csrf("/records")
        r = c.post("/records/add", {"csrf": csrf, "household": "H02",
                                    "points": "100", "reason": "自己加分"})
        self.assertEqual(r.status, 403)
        r = c.post("/notice", {"csrf": csrf, "text": "通知"})
        self.assertEqual(r.status, 403)
        self.assertEqual(c.get("/import").status, 403)

    # --- hostile requests ---------------------------------------------
    def test_path_tricks_and_encodings(self):
        c = self.clerk()
        for raw in ["/../etc/passwd", "/%2e%2e/etc/passwd", "/a//b",
                    "/records%00", "/%ff", "/records/..", "/" + "a" * 300]:
            s = socket.create_connection(
                (c.base.split("//")[1].rsplit(":", 1)[0],
                 int(c.base.rsplit(":", 1)[1])), timeout=TIMEOUT)
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "\r\n" % raw).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            status = int(data.split(b" ", 2)[1])
            self.assertTrue(400 <= status < 500, (raw, data[:80]))
        csrf = c.csrf()
        r = c.request("POST", "/records/add",
                      raw=b"csrf=" + csrf.encode() + b"&reason=%ff%fe",
                      headers={"Content-Type":
                               "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 400)
        r = c.get("/records?status=%ff")
        self.assertEqual(r.status, 400)
        # an oversized body is refused from its Content-Length, before it
        # is read (the client may still be sending: read the answer only)
        host, port = c.base.split("//")[1].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        s.sendall(("POST /records/add HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %d\r\nCookie: jifen_sid=%s\r\n\r\n"
                   % (600 * 1024, c.cookies["jifen_sid"])).encode())
        data = s.recv(65536)
        s.close()
        self.assertEqual(int(data.split(b" ", 2)[1]), 413, data[:80])
        r = c.request("POST", "/records/add", raw=b"{}",
                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 415)
        r = c.request("PUT", "/records", raw=b"")
        self.assertEqual(r.status, 405)
        r = c.request("POST", "/import", raw=b"--zz\r\nbroken",
                      headers={"Content-Type":
                               "multipart/form-data; boundary=zz"})
        self.assertEqual(r.status, 400)
        self.assertEqual(c.get("/").status, 200)

    def test_html_escaped(self):
        c = self.clerk()
        csrf = c.csrf()
        r = c.post("/records/add", {"csrf": csrf, "household": "H01",
                                    "points": "1",
                                    "reason": "<script>x</script>"})
        self.assertEqual(r.status, 200)
        self.assertNotIn("<script>", r.text)
        self.assertIn("&lt;script&gt;", r.text)

    # --- pages --------------------------------------------------------------
    def test_pages_small_chinese_no_script(self):
        csv = ["household,name,phone,role,pin"]
        for i in range(1000):
            csv.append("B%04d,测试户%04d,1370000%04d,villager," % (i, i, i))
        path = os.path.join(self.v.dir, "big.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(csv) + "\n")
        self.v.ctl("import", path, check=True)
        c = self.clerk()
        for p in PAGES:
            r = c.get(p)
            self.assertEqual(r.status, 200, p)
            self.assertLess(len(r.body), 30 * 1024, p)
            self.assertNotIn("<script", r.text.lower(), p)
            self.assertIn('lang=zh-CN', r.text, p)
        r = c.get("/households?q=B099")
        self.assertIn("B0999", r.text)
        r = c.get("/households?page=20")
        self.assertIn("B0999", r.text)

    def test_import_preview_writes_nothing(self):
        c = self.clerk()
        csrf = c.csrf("/import")
        body = ("household,name,phone,role,pin\nP01,预览户,13600000001,"
                "villager,\nP02,坏行,abc,villager,\n")
        r = self.upload(c, csrf, body.encode())
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("P01", r.text)
        self.assertIn("第 3 行", r.text)
        self.assertEqual(self.households("P01"), 0)
        r = c.post("/import/confirm", {"csrf": csrf})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.households("P01"), 1)
        r = c.post("/import/confirm", {"csrf": csrf})
        self.assertEqual(r.status, 409)

    def households(self, *ids):
        """How many of the households IDS exist."""
        return self.v.query("SELECT count(*) FROM households WHERE id IN "
                            "(%s)" % ",".join("?" * len(ids)), ids)[0][0]

    def upload(self, c, csrf, body):
        """POST BODY (bytes) to /import as the file of a multipart form."""
        bnd = b"----jifenbnd"
        raw = (b"--" + bnd + b"\r\nContent-Disposition: form-data; "
               b"name=\"csrf\"\r\n\r\n" + csrf.encode() + b"\r\n--" +
               bnd + b"\r\nContent-Disposition: form-data; name=\"csv\"; "
               b"filename=\"v.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
               body + b"\r\n--" + bnd + b"--\r\n")
        return c.request("POST", "/import", raw=raw, headers={
            "Content-Type": "multipart/form-data; boundary=" + bnd.decode()})

    def test_import_gbk(self):
        """A GBK file (Excel on Chinese Windows) previews and imports like
        `jifenctl import` (SPEC 5); bytes in neither encoding are refused
        naming the line, and nothing is written."""
        c = self.clerk()
        csrf = c.csrf("/import")
        gbk = ("户号,户主,手机,角色,PIN,成员\r\n"
               "G01,欧阳桂兰家,13600000071,村民,,欧阳桂兰\r\n"
               "G02,諸葛明家,13600000072,villager,,\r\n").encode("gbk")
        r = self.upload(c, csrf, gbk)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("GB18030", r.text)
        self.assertIn("欧阳桂兰家", r.text)
        self.assertIn("諸葛明家", r.text)
        self.assertIn("将新增", r.text)
        self.assertEqual(self.households("G01", "G02"), 0)
        r = c.post("/import/confirm", {"csrf": csrf})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.v.query(
            "SELECT name FROM households WHERE id IN ('G01', 'G02') "
            "ORDER BY id"), [("欧阳桂兰家",), ("諸葛明家",)])
        # valid GBK on lines 1-3, a byte sequence in neither on line 4
        bad = ("household,name,phone,role\n"
               "G03,张家,13600000073,villager\n"
               "G04,李家,13600000074,villager\n").encode("gbk") + \
            b"G05,\xff\xfe\x80\x80,13600000075,villager\n"
        r = self.upload(c, csrf, bad)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("第 4 行", r.text)
        self.assertIn("GB18030", r.text)
        self.assertEqual(self.households("G03", "G04", "G05"), 0)
        # a UTF-8 BOM promises UTF-8: a GBK byte after it is refused
        r = self.upload(c, csrf, b"\xef\xbb\xbfhousehold,name,phone,role\n"
                        b"G06,\xd5\xc5,13600000076,villager\n")
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("第 2 行", r.text)
        # a plain (non-file) field with such bytes is refused by the form
        # layer before any page runs
        r = c.post("/matters/answer",
                   raw=("csrf=%s&no=1&text=%%D5%%C5" % csrf).encode(),
                   headers={"Content-Type":
                            "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 400)

    def test_matter_answer_and_close(self):
        villager = "13800000004"
        before = len(self.v.sent(villager))
        self.v.sms(villager, "说事 水渠堵了")
        before += 1
        no = self.v.query("SELECT no FROM matters WHERE text = '水渠堵了'")[0][0]
        c = self.committee()
        csrf = c.csrf("/matters")
        self.assertIn("水渠堵了", c.get("/matters").text)
        r = c.post("/matters/answer", {"csrf": csrf, "no": str(no),
                                       "text": "明天派人清理"})
        self.assertEqual(r.status, 200, r.text)
        msg = self.v.wait_sent(villager, before + 1)[-1]["text"]
        self.assertIn("明天派人清理", msg)
        # the state is the store's (issue 11), the one jifenctl shows
        self.assertEqual(self.v.query(
            "SELECT state, answer, answered_by FROM matters WHERE no = ?",
            (no,)), [("answered", "明天派人清理", "web:+86" + COMMITTEE)])
        listed = self.v.ctl("matter", "list", check=True).stdout
        self.assertRegex(listed, r"M%d\s+answered" % no)
        page = c.get("/matters").text
        self.assertIn("已回复", page)
        self.assertIn("明天派人清理", page)
        r = c.post("/matters/close", {"csrf": csrf, "no": str(no)})
        self.assertEqual(r.status, 200)
        self.assertIn("已办结", self.v.wait_sent(villager, before + 2)[-1]
                      ["text"])
        self.assertEqual(self.v.query("SELECT state FROM matters WHERE no = ?",
                                      (no,))[0][0], "closed")
        self.assertRegex(self.v.ctl("matter", "list", check=True).stdout,
                         r"M%d\s+closed" % no)
        # closed matters leave the default list, stay under 全部
        self.assertNotIn("水渠堵了", c.get("/matters").text)
        self.assertIn("水渠堵了", c.get("/matters?all=1").text)
        r = c.post("/matters/close", {"csrf": csrf, "no": str(no)})
        self.assertEqual(r.status, 409)
        r = c.post("/matters/answer", {"csrf": csrf, "no": str(no),
                                       "text": "再说一句"})
        self.assertEqual(r.status, 409)
        r = c.post("/matters/close", {"csrf": csrf, "no": "99999"})
        self.assertEqual(r.status, 404)
        # a matter closed by jifenctl shows closed on the console
        self.v.sms(villager, "说事 路灯坏了")
        no2 = self.v.query("SELECT no FROM matters WHERE text = '路灯坏了'"
                           )[0][0]
        self.assertIn("路灯坏了", c.get("/matters").text)
        self.v.ctl("matter", "close", "M%d" % no2, check=True)
        self.assertNotIn("路灯坏了", c.get("/matters").text)
        r = c.post("/matters/close", {"csrf": csrf, "no": str(no2)})
        self.assertEqual(r.status, 409)
        self.assertEqual(self.v.query(
            "SELECT count(*) FROM audit WHERE action IN ('matter.answer',"
            "'matter.close') AND actor = ?", ("web:+86" + COMMITTEE,))[0][0],
            2)

    def test_send_and_retry(self):
        c = self.clerk()
        csrf = c.csrf("/messages")
        to = "13700000123"
        r = c.post("/messages/send", {"csrf": csrf, "to": to,
                                      "text": "请来村委会领表"})
        self.assertEqual(r.status, 200, r.text)
        self.v.wait_sent(to, 1)
        r = c.post("/messages/send", {"csrf": csrf, "to": "10086",
                                      "text": "x"})
        self.assertEqual(r.status, 400)   # a service number: never
        # a message that finally failed is sent again on request
        mid = self.v.query("SELECT id FROM outbox WHERE recipient = ?",
                           ("+86" + to,))[0][0]
        self.v.wait_for(lambda: self.v.query(
            "SELECT state FROM outbox WHERE id = ?", (mid,))[0][0] ==
            "sent", "sent")
        import sqlite3
        con = sqlite3.connect(self.v.db, timeout=30)
        con.execute("UPDATE outbox SET state = 'failed' WHERE id = ?",
                    (mid,))
        con.execute("UPDATE outbox_parts SET state = 'failed', "
                    "last_error = '+CMS ERROR: 38' WHERE msg = ?", (mid,))
        con.commit()
        con.close()
        page = c.get("/messages?failed=1").text
        self.assertIn("+CMS ERROR: 38", page)
        r = c.post("/messages/retry", {"csrf": csrf, "id": str(mid)})
        self.assertEqual(r.status, 200, r.text)
        self.v.wait_sent(to, 2)
        r = c.post("/messages/retry", {"csrf": csrf, "id": str(mid)})
        self.assertEqual(r.status, 404)

    def test_phones_edit_and_remove_household(self):
        c = self.clerk()
        csrf = c.csrf("/household?id=H04")
        r = c.post("/household/phone", {"csrf": csrf, "id": "H04",
                                        "phone": "13500000044",
                                        "name": "李二", "role": "villager"})
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("+8613500000044", r.text)
        self.assertEqual(self.v.sms("13500000044", "积分")[:2], "您家")
        r = c.post("/household/phone", {"csrf": csrf, "id": "H04",
                                        "phone": "abc"})
        self.assertEqual(r.status, 400)
        r = c.post("/household/phone/remove", {"csrf": csrf, "id": "H04",
                                               "phone": "13500000044"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.v.query(
            "SELECT count(*) FROM phones WHERE phone = '+8613500000044'")
            [0][0], 0)
        r = c.post("/household/remove", {"csrf": csrf, "id": "H04"})
        self.assertEqual(r.status, 400)     # not confirmed
        r = c.post("/household/remove", {"csrf": csrf, "id": "H04",
                                         "confirm": "yes"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.v.query("SELECT deleted FROM households "
                                      "WHERE id = 'H04'")[0][0], 1)
        self.assertEqual(c.get("/household?id=H04").status, 404)

    def test_passwd_cli(self):
        r = self.v.ctl("web", "passwd", input="abcdefgh1\nabcdefgh2\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("differ", r.stderr)
        r = self.v.ctl("web", "passwd", input="short\nshort\n")
        self.assertEqual(r.returncode, 1)
        r = self.v.ctl("web", "passwd", input="")
        self.assertEqual(r.returncode, 1)
        h = self.v.query("SELECT value FROM sync_state WHERE key = "
                         "'web.clerk_hash'")[0][0]
        self.assertTrue(h.startswith("$"), h)
        self.assertNotIn(CLERK_PASSWORD, h)

    def test_version_help(self):
        exe = harness.binpath("jifen-web")
        r = subprocess.run([exe, "--version"], capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("jifen-web "))
        r = subprocess.run([exe, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("-l ADDR", r.stdout)


class PinTest(unittest.TestCase):
    """committee.require_pin holds on the console too."""

    def test_console_approval_needs_pin(self):
        v = Village(conf={"committee.require_pin": True})
        w = Web(v)
        try:
            no = int(v.ctl("record", "add", "H02", "4", "要PIN",
                           check=True).stdout.strip().split()[-1])
            lt = w.login_token()
            w.post("/login/code", {"lt": lt, "phone": COMMITTEE})
            code = code_from(v.wait_sent(COMMITTEE, 1)[-1]["text"])
            self.assertEqual(w.post("/login/verify", {
                "lt": lt, "phone": COMMITTEE, "code": code}).status, 303)
            page = w.get("/records").text
            self.assertIn("name=pin", page)
            csrf = w.csrf("/records")
            form = {"csrf": csrf, "no": str(no), "decision": "approve"}
            self.assertEqual(w.post("/records/review", form).status, 403)
            self.assertEqual(w.post("/records/review",
                                    dict(form, pin="9999")).status, 403)
            self.assertEqual(v.query("SELECT status FROM records WHERE "
                                     "no = ?", (no,))[0][0], "pending")
            self.assertEqual(w.post("/records/review",
                                    dict(form, pin="1234")).status, 200)
            self.assertEqual(v.query("SELECT status FROM records WHERE "
                                     "no = ?", (no,))[0][0], "approved")
        finally:
            w.close()
            v.close()


class NoticeTest(unittest.TestCase):
    """A notice from the console is handler_notice's, the code of
    `jifenctl notice` and 通知 by SMS: one phone per household, 退订, the
    cost shown first, sms.broadcasts_per_day."""

    def test_console_notice_rules_and_daily_cap(self):
        v = Village(conf={"sms.broadcasts_per_day": 1})
        w = Web(v)
        try:
            w.set_password()
            v.sms("13800000002", "退订")    # H02 stops notices
            self.assertEqual(w.login_clerk().status, 303)
            csrf = w.csrf("/messages")
            text = "周六上午九点在村委会开会。"
            # the cost page counts what jifenctl counts, sends nothing
            cli = v.ctl("notice", "--all", text, input="n\n").stdout
            m = re.search(r"notice to (\d+) household\(s\): (\d+) SMS, "
                          r"about (\d+\.\d) yuan", cli)
            self.assertIsNotNone(m, cli)
            hh, sms, yuan = m.groups()
            self.assertEqual(hh, "3")    # H01 once, H02 退订, H03, H04
            page = w.post("/notice", {"csrf": csrf, "text": text})
            self.assertEqual(page.status, 200, page.text)
            cost = re.sub(r"<[^>]+>", "", page.text)
            self.assertIn("将发给 %s 户" % hh, cost)
            self.assertIn("共 %s 条短信" % sms, cost)
            self.assertIn("约 %s 元" % yuan, cost)
            self.assertEqual(v.query("SELECT count(*) FROM notices")[0][0], 0)
            out = v.query("SELECT count(*) FROM outbox")[0][0]
            # send: one phone per household, none to the 退订 phone
            r = w.post("/notice/send", {"csrf": csrf, "text": text})
            self.assertEqual(r.status, 200, r.text)
            for phone in ("13800000001", "13900000009", "13800000004"):
                self.assertIn(text, "".join(
                    m["text"] for m in v.wait_sent(phone, 1)))
            rows = v.query("SELECT recipient FROM outbox WHERE id > ? "
                           "ORDER BY recipient", (out,))
            self.assertEqual(rows, [("+8613800000001",), ("+8613800000004",),
                                    ("+8613900000009",)])
            self.assertEqual(v.query("SELECT by, scope FROM notices"),
                             [("web:clerk", "all")])
            # the daily cap: a second notice today is refused, nothing
            # queued, as `jifenctl notice` refuses it
            out = v.query("SELECT count(*) FROM outbox")[0][0]
            r = w.post("/notice/send", {"csrf": csrf, "text": "第二条通知"})
            self.assertEqual(r.status, 409, r.text)
            self.assertIn("sms.broadcasts_per_day", r.text)
            self.assertEqual(v.query("SELECT count(*) FROM outbox")[0][0],
                             out)
            self.assertEqual(v.query("SELECT count(*) FROM notices")[0][0], 1)
            cli = v.ctl("notice", "--all", "第三条", "--yes")
            self.assertEqual(cli.returncode, 1)
            self.assertIn("broadcasts_per_day", cli.stderr)
        finally:
            w.close()
            v.close()


    def test_console_notice_held_in_quiet_hours(self):
        """In quiet hours the notice is queued but held until they end
        (outq_not_before, as for `jifenctl notice`), and the page says so."""
        now = time.time()
        window = "%s-%s" % (time.strftime("%H:%M", time.localtime(now - 3600)),
                            time.strftime("%H:%M", time.localtime(now + 7200)))
        v = Village(conf={"sms.quiet_hours": window})
        w = Web(v)
        try:
            w.set_password()
            self.assertEqual(w.login_clerk().status, 303)
            csrf = w.csrf("/messages")
            r = w.post("/notice/send", {"csrf": csrf, "text": "夜里的通知"})
            self.assertEqual(r.status, 200, r.text)
            self.assertIn("夜间免打扰时段结束后发出", r.text)
            rows = v.query("SELECT not_before FROM outbox WHERE text LIKE ?",
                           ("%夜里的通知%",))
            self.assertEqual(len(rows), 4)    # H01 once, H02, H03, H04
            for (nb,) in rows:
                self.assertGreater(nb, now + 3600)
        finally:
            w.close()
            v.close()


class ActivationTest(unittest.TestCase):
    def test_socket_activation_and_idle_exit(self):
        v = Village(conf={"web.idle_exit": 10, "ussd.enabled": True},
                    start=False)
        try:
            p, port, _ = activated(harness.binpath("jifen-web"), v.conf,
                                   stderr=subprocess.DEVNULL)
            data = raw_get(port)
            self.assertIn(b" 200 ", data.split(b"\r\n")[0])
            t0 = time.monotonic()
            line = p.stdout.readline()      # waits for the idle exit
            self.assertEqual(line.strip(), "exit 0")
            self.assertGreaterEqual(time.monotonic() - t0, 5)
            p.wait(timeout=TIMEOUT)
        finally:
            v.close()


if __name__ == "__main__":
    harness.main()
