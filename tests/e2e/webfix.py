"""jifen-web next to a Village (tests/e2e/jifen.py): start build/jifen-web
resident on 127.0.0.1 port 0, talk HTTP to it with urllib (no redirects
followed, cookies kept by hand), stop it; or start it socket-activated
(activated(), raw_get()), as tests/e2e/test_web.py and bench/bench_web.py
do.
"""
import os
import socket
import subprocess
import sys
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


# Run as "python3 -c ACTIVATE JIFEN_WEB CONF": a listening socket on
# 127.0.0.1 port 0 handed to jifen-web as systemd does (fd 3, LISTEN_PID,
# LISTEN_FDS).  Prints the port, jifen-web's pid and, once it has exited,
# "exit N".
_ACTIVATE = r"""
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
pid = os.fork()
if pid == 0:
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.environ["LISTEN_FDS"] = "1"
    os.execv(sys.argv[1], [sys.argv[1], "-c", sys.argv[2]])
print(pid, flush=True)
s.close()
_, st = os.waitpid(pid, 0)
print("exit", os.waitstatus_to_exitcode(st), flush=True)
"""


def activated(exe, conf, stderr=None):
    """jifen-web EXE -c CONF, socket-activated: (the activating process,
    the port, jifen-web's pid).  jifen-web starts with the first
    connection; the process's stdout then says "exit N" when it exits."""
    p = subprocess.Popen([sys.executable, "-c", _ACTIVATE, exe, conf],
                         stdout=subprocess.PIPE, stderr=stderr, text=True)
    return p, int(p.stdout.readline()), int(p.stdout.readline())


def raw_get(port, path="/login", timeout=TIMEOUT):
    """One GET on a connection of its own, read until the server closes
    it: the raw response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk
    finally:
        s.close()
