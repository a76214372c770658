#!/usr/bin/env python3
"""Test platform: the platform side of the Jifen sync protocol v1
(SPEC section 7, docs/SYNC.md), with its own state in SQLite.

It is the reference the gateway is tested against, and a platform vendor
can read it (and run the e2e suite against it) as a conformance check:
it is idempotent on event ids, answers every request with the changes
after the request's cursor, and applies the gateway's events to its own
records (a review the platform decided otherwise is rejected and the
platform's state is sent back as a change).

    server.py --state FILE [--port N] [--token T] [--page N]

prints "listening PORT" once ready (port 0: any free port on 127.0.0.1).

Endpoints
    POST /v1/sync      the protocol (Bearer token, gzip or plain JSON)
    POST /v1/bundle    a request bundle file in, a response bundle out
    POST /control      test control, JSON: {"fault": MODE, "count": N},
                       {"household": {...}}, {"record": {...}},
                       {"policy": {...}}, {"decide": {"record", "status"}},
                       {"token": T}
    GET  /control      the platform's state as JSON (events, counts...)

Fault modes (the next COUNT sync requests, default 1; -1 = until
cleared with {"fault": null}):
    close_before_read   close without reading the request
    close_after_commit  process and commit, then close without answering
    slow                process, answer after "delay" seconds (default 10)
    http500, http503    answer 500 / 503 (Retry-After: "retry_after", 1)
    http401             answer 401
    malformed           process, answer broken JSON
    truncated           process, answer half of the JSON
    huge                process, answer a 20 MB body
    wrong_type          process, answer JSON as text/html
    more_forever        answer "more": true with no progress
    cursor_backwards    process, answer a cursor before the request's
"""
import argparse
import gzip
import hashlib
import json
import socket
import sqlite3
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST = 32 << 20
SCHEMA = """
CREATE TABLE IF NOT EXISTS events(id TEXT PRIMARY KEY, village TEXT,
  gateway TEXT, type TEXT, at TEXT, body TEXT, received INTEGER);
CREATE TABLE IF NOT EXISTS deliveries(n INTEGER PRIMARY KEY, id TEXT);
CREATE TABLE IF NOT EXISTS changes(seq INTEGER PRIMARY KEY AUTOINCREMENT,
  village TEXT, body TEXT);
CREATE TABLE IF NOT EXISTS records(id TEXT PRIMARY KEY, village TEXT,
  household TEXT, points INTEGER, reason TEXT, status TEXT, created TEXT,
  notice_until TEXT, decided_by TEXT);
CREATE TABLE IF NOT EXISTS matters(id TEXT PRIMARY KEY, village TEXT,
  household TEXT, phone TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS health(gateway TEXT PRIMARY KEY, village TEXT,
  body TEXT, at INTEGER);
CREATE TABLE IF NOT EXISTS bundles(id TEXT PRIMARY KEY, response TEXT);
"""

EVENT_FIELDS = {
    "record.new": {"record": str, "household": str, "points": int,
                   "reason": str, "by": str, "status": str},
    "record.review": {"record": str, "decision": str, "by": str,
                      "reason": str},
    "matter.new": {"matter": str, "household": (str, type(None)),
                   "phone": str, "text": str},
}


def iso(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t or time.time()))


class Platform:
    def __init__(self, path, token, village, page):
        self.db = sqlite3.connect(path, check_same_thread=False,
                                  isolation_level=None)
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()
        self.token = token
        self.village = village
        self.page = page
        self.fault = None
        self.fault_count = 0
        self.fault_args = {}
        self.requests = 0

    # --- faults ---------------------------------------------------------
    def take_fault(self):
        with self.lock:
            self.requests += 1
            if not self.fault or self.fault_count == 0:
                return None, {}
            if self.fault_count > 0:
                self.fault_count -= 1
            return self.fault, dict(self.fault_args)

    # --- changes --------------------------------------------------------
    def add_change(self, village, change):
        self.db.execute("INSERT INTO changes(village, body) VALUES(?, ?)",
                        (village, json.dumps(change, ensure_ascii=False)))

    def record_change(self, rid):
        r = self.db.execute("SELECT id, household, points, reason, status,"
                            " created, notice_until FROM records WHERE id=?",
                            (rid,)).fetchone()
        return {"type": "record", "id": r[0], "household": r[1],
                "points": r[2], "reason": r[3], "status": r[4],
                "created": r[5], "notice_until": r[6]}

    # --- events -----------------------------------------------------------
    def check_event(self, e):
        """None if E is well-formed, else the reason."""
        if not isinstance(e, dict) or not isinstance(e.get("id"), str) \
                or not e["id"]:
            return "no id"
        fields = EVENT_FIELDS.get(e.get("type"))
        if fields is None:
            return "unknown event type %r" % e.get("type")
        if not isinstance(e.get("at"), str):
            return "no at"
        for k, t in fields.items():
            if not isinstance(e.get(k), t) or isinstance(e.get(k), bool):
                return "field %s missing or of the wrong type" % k
        return None

    def apply_event(self, village, e):
        """Effect of a new event; returns a rejection reason or None."""
        t = e["type"]
        if t == "record.new":
            if self.db.execute("SELECT 1 FROM records WHERE id=?",
                               (e["record"],)).fetchone():
                return None
            self.db.execute(
                "INSERT INTO records VALUES(?,?,?,?,?,?,?,?,NULL)",
                (e["record"], village, e["household"], e["points"],
                 e["reason"], e["status"], e["at"], None))
        elif t == "record.review":
            r = self.db.execute("SELECT status FROM records WHERE id=?",
                                (e["record"],)).fetchone()
            if r is None:
                return "unknown record"
            want = e["decision"]
            have = r[0]
            done = {"approved": "approved", "final": "approved",
                    "rejected": "rejected"}.get(have)
            if done is None:
                notice = iso(time.time() + 7 * 86400) \
                    if want == "approved" else None
                self.db.execute("UPDATE records SET status=?, "
                                "notice_until=?, decided_by=? WHERE id=?",
                                (want, notice, e["by"], e["record"]))
            elif done != want:
                # decided otherwise on the platform: the platform wins,
                # and the gateway learns its state
                self.add_change(village, self.record_change(e["record"]))
                return "decided otherwise on the platform (%s)" % have
        elif t == "matter.new":
            self.db.execute("INSERT OR IGNORE INTO matters VALUES(?,?,?,?,?)",
                            (e["matter"], village, e["household"],
                             e["phone"], e["text"]))
        return None

    def process(self, req):
        """The protocol: REQ (a dict) -> response dict, committed."""
        village = req["village"]
        cursor = req.get("cursor")
        after = int(cursor) if isinstance(cursor, str) and \
            cursor.isdigit() else 0
        accepted, rejected = [], []
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for e in req["events"]:
                    eid = e.get("id") if isinstance(e, dict) else None
                    if isinstance(eid, str) and eid:
                        self.db.execute("INSERT INTO deliveries(id) "
                                        "VALUES(?)", (eid,))
                    bad = self.check_event(e)
                    if bad:
                        if isinstance(eid, str) and eid:
                            rejected.append({"id": eid, "reason": bad})
                        continue
                    seen = self.db.execute("SELECT body FROM events WHERE "
                                           "id=?", (eid,)).fetchone()
                    if seen:
                        accepted.append(eid)    # a repeat: no effect
                        continue
                    why = self.apply_event(village, e)
                    self.db.execute(
                        "INSERT INTO events VALUES(?,?,?,?,?,?,?)",
                        (eid, village, req["gateway"], e["type"], e["at"],
                         json.dumps(e, ensure_ascii=False),
                         int(time.time())))
                    if why:
                        rejected.append({"id": eid, "reason": why})
                    else:
                        accepted.append(eid)
                self.db.execute("INSERT OR REPLACE INTO health VALUES"
                                "(?,?,?,?)", (req["gateway"], village,
                                              json.dumps(req.get("health")),
                                              int(time.time())))
                rows = self.db.execute(
                    "SELECT seq, body FROM changes WHERE village=? AND "
                    "seq>? ORDER BY seq LIMIT ?",
                    (village, after, self.page + 1)).fetchall()
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
        more = len(rows) > self.page
        rows = rows[:self.page]
        new_cursor = str(rows[-1][0]) if rows else (cursor or None)
        return {"accepted": accepted, "rejected": rejected,
                "changes": [json.loads(b) for _, b in rows],
                "cursor": new_cursor, "more": more}

    # --- control ------------------------------------------------------------
    def control(self, c):
        with self.lock:
            village = c.get("village", self.village)
            if "fault" in c:
                self.fault = c["fault"]
                self.fault_count = c.get("count", 1)
                self.fault_args = {k: v for k, v in c.items()
                                   if k not in ("fault", "count")}
            if "token" in c:
                self.token = c["token"]
            if "household" in c:
                h = dict(c["household"])
                h["type"] = "household"
                self.add_change(village, h)
            if "record" in c:
                r = c["record"]
                self.db.execute(
                    "INSERT OR REPLACE INTO records VALUES(?,?,?,?,?,?,?,?,"
                    "'platform')", (r["id"], village, r["household"],
                                    r["points"], r.get("reason", ""),
                                    r.get("status", "pending"),
                                    r.get("created", iso()),
                                    r.get("notice_until")))
                self.add_change(village, self.record_change(r["id"]))
            if "decide" in c:
                d = c["decide"]
                notice = iso(time.time() + 7 * 86400) \
                    if d["status"] == "approved" else None
                self.db.execute("UPDATE records SET status=?, notice_until=?,"
                                " decided_by='platform' WHERE id=?",
                                (d["status"], d.get("notice_until", notice),
                                 d["record"]))
                self.add_change(village, self.record_change(d["record"]))
            if "policy" in c:
                self.add_change(village, {"type": "policy",
                                          "loan": c["policy"]})
            if "raw_change" in c:
                self.add_change(village, c["raw_change"])
        return {"ok": True}

    def state(self):
        with self.lock:
            q = self.db.execute
            return {
                "events": [json.loads(b) for (b,) in q(
                    "SELECT body FROM events ORDER BY rowid")],
                "deliveries": dict(q("SELECT id, COUNT(*) FROM deliveries "
                                     "GROUP BY id").fetchall()),
                "records": [dict(zip(("id", "household", "points", "status",
                                      "decided_by"), r)) for r in q(
                    "SELECT id, household, points, status, decided_by "
                    "FROM records")],
                "health": {g: json.loads(b) for g, b in q(
                    "SELECT gateway, body FROM health")},
                "requests": self.requests,
                "fault_left": self.fault_count if self.fault else 0,
                "cursor": q("SELECT COALESCE(MAX(seq), 0) FROM changes")
                .fetchone()[0],
            }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    platform = None     # set by main

    def log_message(self, fmt, *args):
        sys.stderr.write("platform: " + fmt % args + "\n")

    def answer(self, code, body, ctype="application/json", extra=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def slam(self):
        """Close the connection without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_REQUEST:
            raise ValueError("request too large")
        data = self.rfile.read(n)
        if self.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return data

    def do_GET(self):
        if self.path == "/control":
            return self.answer(200, self.platform.state())
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        p = self.platform
        if self.path == "/control":
            return self.answer(200, p.control(json.loads(self.read_body())))
        if self.path == "/v1/bundle":
            return self.bundle()
        if self.path != "/v1/sync":
            return self.answer(404, {"error": "not found"})
        fault, args = p.take_fault()
        if fault == "close_before_read":
            return self.slam()
        auth = self.headers.get("Authorization", "")
        if fault == "http401" or (p.token and auth != "Bearer " + p.token):
            self.read_body()
            return self.answer(401, {"error": "bad token"})
        try:
            req = json.loads(self.read_body())
            if not isinstance(req, dict) or \
                    not isinstance(req.get("events"), list) or \
                    len(req["events"]) > 200 or \
                    not isinstance(req.get("village"), str) or \
                    not isinstance(req.get("gateway"), str) or \
                    not isinstance(req.get("health"), dict):
                raise ValueError("not a v1 sync request")
        except (ValueError, OSError) as e:
            return self.answer(400, {"error": str(e)})
        if fault in ("http500", "http503"):
            extra = [("Retry-After", str(args.get("retry_after", 1)))] \
                if fault == "http503" else []
            return self.answer(int(fault[4:]), {"error": fault}, extra=extra)
        if fault == "more_forever":
            return self.answer(200, {"accepted": [], "rejected": [],
                                     "changes": [],
                                     "cursor": req.get("cursor"),
                                     "more": True})
        resp = p.process(req)
        if fault == "close_after_commit":
            return self.slam()
        if fault == "slow":
            time.sleep(args.get("delay", 10))
        text = json.dumps(resp, ensure_ascii=False)
        if fault == "malformed":
            return self.answer(200, "{\"accepted\": [\"" + text)
        if fault == "truncated":
            return self.answer(200, text[:len(text) // 2])
        if fault == "huge":
            return self.answer(200, " " * (20 << 20) + text)
        if fault == "wrong_type":
            return self.answer(200, text, ctype="text/html")
        if fault == "cursor_backwards":
            resp["cursor"] = "0"
            return self.answer(200, resp)
        self.answer(200, text)

    def bundle(self):
        """A request bundle in, a response bundle out (docs/SYNC.md)."""
        raw = self.read_body()
        try:
            head, body = raw.split(b"\n\n", 1)
            lines = head.decode().split("\n")
            if lines[0] != "JIFEN-BUNDLE/1 request":
                raise ValueError("not a request bundle")
            h = dict(ln.split(": ", 1) for ln in lines[1:])
            if int(h["length"]) != len(body) or \
                    hashlib.sha256(body).hexdigest() != h["sha256"]:
                raise ValueError("truncated or altered")
        except (ValueError, KeyError) as e:
            return self.answer(400, {"error": str(e)})
        p = self.platform
        with p.lock:
            old = p.db.execute("SELECT response FROM bundles WHERE id=?",
                               (h["bundle"],)).fetchone()
        if old:
            return self.answer(200, old[0], ctype="application/octet-stream")
        resp = json.dumps(p.process(json.loads(body)),
                          ensure_ascii=False).encode()
        out = ("JIFEN-BUNDLE/1 response\nvillage: %s\ngateway: %s\n"
               "bundle: %s\nin-reply-to: %s\nsha256: %s\nlength: %d\n\n" % (
                   h["village"], h["gateway"], uuid.uuid4(), h["bundle"],
                   hashlib.sha256(resp).hexdigest(), len(resp))).encode() \
            + resp
        with p.lock:
            p.db.execute("INSERT INTO bundles VALUES(?, ?)",
                         (h["bundle"], out.decode()))
        self.answer(200, out, ctype="application/octet-stream")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", default="")
    ap.add_argument("--village", default="510681-sanshui-youyi")
    ap.add_argument("--page", type=int, default=100)
    a = ap.parse_args()
    Handler.platform = Platform(a.state, a.token, a.village, a.page)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    print("listening %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
