"""jifen-web next to a Village (tests/e2e/jifen.py): start build/jifen-web
resident on 127.0.0.1 port 0, talk HTTP to it with urllib (no redirects
followed, cookies kept by hand), stop it.
"""
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request

import harness
from jifen import TIMEOUT

CLERK_PASSWORD = "clerk-secret-1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def cookies(self):
        out = {}
        for v in self.headers.get_all("Set-Cookie") or []:
            name, _, rest = v.partition("=")
            out[name.strip()] = rest.split(";", 1)[0]
        return out


class Web:
    def __init__(self, village, args=(), env=None):
        self.v = village
        self.log = open(os.path.join(village.dir, "jifen-web.log"), "a")
        self.proc = subprocess.Popen(
            [harness.binpath("jifen-web"), "-c", village.conf,
             "-l", "127.0.0.1:0"] + list(args),
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise AssertionError("jifen-web did not start: %r" % line)
        self.base = "http://" + line.split()[-1]
        self.opener = urllib.request.build_opener(_NoRedirect)
        self.cookies = {}

    def request(self, method, path, data=None, headers=None, raw=None,
                keep_cookies=True):
        body = raw
        hdrs = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            hdrs.setdefault("Content-Type",
                            "application/x-www-form-urlencoded")
        if self.cookies and "Cookie" not in hdrs:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv
                                      for kv in self.cookies.items())
        req = urllib.request.Request(self.base + path, data=body,
                                     headers=hdrs, method=method)
        try:
            with self.opener.open(req, timeout=TIMEOUT) as r:
                resp = Resp(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            resp = Resp(e.code, e.headers, e.read())
        if keep_cookies:
            for k, v in resp.cookies().items():
                if v:
                    self.cookies[k] = v
                else:
                    self.cookies.pop(k, None)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, data=None, **kw):
        return self.request("POST", path, data=data, **kw)

    def ussd(self, session, phone, text, token="tok", code="*384*1#"):
        return self.post("/ussd?token=" + token,
                         {"sessionId": session, "serviceCode": code,
                          "phoneNumber": phone, "text": text},
                         keep_cookies=False)

    def set_password(self, pw=CLERK_PASSWORD):
        self.v.ctl("web", "passwd", input="%s\n%s\n" % (pw, pw), check=True)

    def login_token(self):
        """The pre-login CSRF token (from the login page's cookie)."""
        self.get("/login")
        return self.cookies["jifen_login"]

    def login_clerk(self, pw=CLERK_PASSWORD):
        lt = self.login_token()
        return self.post("/login/clerk", {"lt": lt, "password": pw})

    def csrf(self, path="/"):
        """The session's CSRF token, read from a page's form."""
        text = self.get(path).text
        key = 'name=csrf value="'
        i = text.find(key)
        if i < 0:
            raise AssertionError("no CSRF field on %s" % path)
        return text[i + len(key):text.index('"', i + len(key))]

    def close(self):
        """Stop jifen-web with SIGTERM; it must exit 0 (a sanitizer
        build exits non-zero on a memory error or a leak)."""
        killed = False
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self.proc.stdout.close()
        self.log.close()
        if killed or self.proc.returncode != 0:
            with open(os.path.join(self.v.dir, "jifen-web.log"),
                      errors="replace") as f:
                tail = f.read()[-3000:]
            raise AssertionError("jifen-web exited with %s:\n%s" % (
                "a timeout" if killed else self.proc.returncode, tail))
