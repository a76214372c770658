#!/usr/bin/env python3
"""Conformance check of a platform's side of the Jifen sync protocol v1
(docs/SYNC.md), for platform vendors:

    conformance.py URL TOKEN [--village ID]

URL is the base (the checks POST to URL/v1/sync).  Use a test village:
the checks send a few events of their own (records of household
"CONFORMANCE").  Prints one TAP line per check and exits 1 if any failed.
tests/e2e/test_sync.py runs it against tests/platform/server.py.
"""
import argparse
import gzip
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

STATUSES = ("pending", "approved", "rejected", "final")


def post(url, token, body, gz=True, ctype="application/json"):
    data = json.dumps(body).encode()
    headers = {"Content-Type": ctype}
    if gz:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, headers=headers,
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def shape_errors(resp):
    """What is wrong with a 200 answer's JSON (a list of strings)."""
    errs = []
    if not isinstance(resp, dict):
        return ["not a JSON object"]
    for k in ("accepted", "rejected", "changes"):
        if not isinstance(resp.get(k), list):
            errs.append("%s: not a list" % k)
    if "cursor" not in resp or not (resp["cursor"] is None or
                                    isinstance(resp["cursor"], str)):
        errs.append("cursor: missing, or neither string nor null")
    if not isinstance(resp.get("more"), bool):
        errs.append("more: not true/false")
    for i, a in enumerate(resp.get("accepted") or []):
        if not isinstance(a, str) or not a:
            errs.append("accepted[%d]: not an id" % i)
    for i, r in enumerate(resp.get("rejected") or []):
        if not isinstance(r, dict) or not isinstance(r.get("id"), str) \
                or not isinstance(r.get("reason"), str):
            errs.append("rejected[%d]: not {id, reason}" % i)
    for i, c in enumerate(resp.get("changes") or []):
        t = c.get("type") if isinstance(c, dict) else None
        if t == "household":
            if not isinstance(c.get("id"), str) or not c["id"]:
                errs.append("changes[%d].id" % i)
            for m in c.get("members") or []:
                if not isinstance(m.get("phone"), str) or \
                        m.get("role", "villager") not in ("villager",
                                                          "committee"):
                    errs.append("changes[%d].members" % i)
        elif t == "record":
            if not isinstance(c.get("points"), int) or \
                    c.get("status") not in STATUSES or \
                    not isinstance(c.get("household"), str):
                errs.append("changes[%d]: record fields" % i)
        elif t == "policy":
            if not isinstance(c.get("loan"), dict):
                errs.append("changes[%d].loan" % i)
        elif not isinstance(t, str):
            errs.append("changes[%d].type" % i)
    return errs


class Check:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def __call__(self, ok, name, detail=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        if not ok:
            self.failed += 1
            if detail:
                print("# " + str(detail)[:400])
        return ok


def event(kind="record.new", **kw):
    e = {"id": str(uuid.uuid4()), "type": kind,
         "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if kind == "record.new":
        e.update(record=str(uuid.uuid4()), household="CONFORMANCE",
                 points=1, reason="conformance check", by="console",
                 status="pending")
    e.update(kw)
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("token")
    ap.add_argument("--village", default="510681-sanshui-youyi")
    a = ap.parse_args()
    url = a.url.rstrip("/") + "/v1/sync"
    gw = "conformance-" + str(uuid.uuid4())
    health = {"version": "conformance", "events_waiting": 0}
    check = Check()

    def req(events, cursor=None):
        return {"village": a.village, "gateway": gw, "cursor": cursor,
                "events": events, "health": health}

    code, h, body = post(url, a.token, req([]))
    ctype = {k.lower(): v for k, v in h.items()}.get("content-type", "")
    check(code == 200, "an empty request is answered 200", code)
    check(ctype.startswith("application/json"),
          "the answer is application/json", ctype)
    check(any(k.lower() == "date" for k in h), "the answer has a Date")
    try:
        resp = json.loads(body)
    except ValueError as e:
        resp = None
        check(False, "the answer is JSON", e)
    errs = shape_errors(resp)
    check(not errs, "the answer has the v1 shape", errs)

    code, _, body = post(url, a.token, req([]), gz=False)
    check(code == 200, "an uncompressed request is accepted too", code)

    e = event()
    code, _, body = post(url, a.token, req([e]))
    r1 = json.loads(body) if code == 200 else {}
    check(e["id"] in r1.get("accepted", []), "a new event is accepted",
          body[:200])
    code, _, body = post(url, a.token, req([e]))
    r2 = json.loads(body) if code == 200 else {}
    check(e["id"] in r2.get("accepted", []),
          "the same event id again is accepted again (idempotent)",
          body[:200])

    bad = {"id": str(uuid.uuid4()), "type": "record.new", "at": "x"}
    code, _, body = post(url, a.token, req([bad]))
    r3 = json.loads(body) if code == 200 else {}
    rej = [x.get("id") for x in r3.get("rejected", [])]
    check(bad["id"] in rej and bad["id"] not in r3.get("accepted", []),
          "an event with missing fields is rejected with a reason",
          body[:200])

    code, _, _ = post(url, "not-the-token", req([]))
    check(code in (401, 403), "a wrong token is refused with 401/403", code)
    code, _, _ = post(url, None, req([]))
    check(code in (401, 403), "no token is refused with 401/403", code)

    cursor, seen, ok, rounds = None, [], True, 0
    while rounds < 1000:
        rounds += 1
        code, _, body = post(url, a.token, req([], cursor))
        if code != 200:
            ok = False
            break
        r = json.loads(body)
        if shape_errors(r):
            ok = False
            break
        new = r["cursor"]
        if new is not None and cursor is not None and new.isdigit() and \
                cursor.isdigit() and int(new) < int(cursor):
            ok = False
            break
        if new in seen and r["more"]:
            ok = False
            break
        seen.append(new)
        cursor = new
        if not r["more"]:
            break
    check(ok and rounds < 1000,
          "following 'more' ends, the cursor never goes back",
          "round %d" % rounds)
    code, _, body = post(url, a.token, req([], cursor))
    r = json.loads(body) if code == 200 else {}
    check(code == 200 and r.get("changes") == [] and r.get("more") is False,
          "at the newest cursor there is nothing more", body[:200])
    print("%d passed, %d failed" % (check.n - check.failed, check.failed))
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
