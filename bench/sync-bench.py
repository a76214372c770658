#!/usr/bin/env python3
"""make bench, sync part (SPEC section 11): 10,000 waiting events (weeks
offline) drain against the local test platform in under a minute; bytes
on the wire per event.  Figures, not a test: prints MISSED when a target
is missed, exits 1 only when the measurement could not be made.

    bench/sync-bench.py BUILD [N]
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    tmp = tempfile.mkdtemp(prefix="jifen-syncbench-")
    srv = None
    try:
        db = os.path.join(tmp, "jifen.db")
        conf = os.path.join(tmp, "jifen.conf")
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("bench\n")
        srv = subprocess.Popen([sys.executable, os.path.join(
            TOP, "tests", "platform", "server.py"), "--state",
            os.path.join(tmp, "platform.db"), "--token", "bench"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = int(srv.stdout.readline().split()[1])
        with open(conf, "w") as f:
            f.write('village = { id = "510681-sanshui-youyi"; };\n'
                    'modem = { device = "%s/modem"; };\n'
                    'storage = { path = "%s"; };\n'
                    'sync = { url = "http://127.0.0.1:%d"; '
                    'token_file = "%s"; };\n' % (tmp, db, port, tok))
        csv = os.path.join(tmp, "v.csv")
        with open(csv, "w") as f:
            f.write("household,name,phone,role,pin\n")
            for h in range(100):
                f.write("H%03d,户%d,138%08d,villager,\n" % (h, h, h))
        subprocess.run([os.path.join(build, "jifenctl"), "-c", conf,
                        "import", csv], check=True, capture_output=True)
        # N record.new events as jifend journals them (gateway-made
        # records), written in one transaction
        con = sqlite3.connect(db)
        now = int(time.time())
        with con:
            for i in range(n):
                gid = str(uuid.uuid4())
                hh = "H%03d" % (i % 100)
                con.execute("INSERT INTO records(gid, household, points,"
                            " reason, status, created_at, created_by)"
                            " VALUES(?, ?, 5, '清扫房前屋后', 'pending', ?,"
                            " '+8613900000009')", (gid, hh, now))
                con.execute("INSERT INTO events(id, type, at, body, ref,"
                            " household, points, state, actor, text)"
                            " VALUES(?, 'record.new', ?, '', ?, ?, 5,"
                            " 'pending', '+8613900000009', '清扫房前屋后')",
                            (str(uuid.uuid4()), time.strftime(
                                "%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                             gid, hh))
        con.close()
        t = time.monotonic()
        r = subprocess.run([os.path.join(build, "jifen-sync"), "-c", conf],
                           capture_output=True, text=True)
        secs = time.monotonic() - t
        if r.returncode != 0:
            print("sync bench: jifen-sync failed: %s" % r.stderr.strip())
            return 1
        m = re.search(r"sent (\d+) events.*?(\d+) requests, (\d+) bytes "
                      r"up, (\d+) bytes down", r.stdout)
        sent, reqs, up, down = (int(x) for x in m.groups())
        left = sqlite3.connect(db).execute(
            "SELECT COUNT(*) FROM events").fetchone()[0]
        verdict = "met" if secs < 60 and left == 0 and sent == n \
            else "MISSED"
        print("sync (jifen-sync against tests/platform/server.py on "
              "127.0.0.1):")
        print("  %-46s %12d" % ("events waiting before", n))
        print("  %-46s %12.2f %-6s < 60 s [%s]" % ("drained in", secs, "s",
                                                  verdict))
        print("  %-46s %12d" % ("events left after", left))
        print("  %-46s %12d" % ("requests (<= 200 events each)", reqs))
        print("  %-46s %12.1f %-6s" % ("bytes up per event (gzip, "
                                       "headers incl.)", up / n, "bytes"))
        print("  %-46s %12.1f %-6s" % ("bytes down per event", down / n,
                                       "bytes"))
        print("  %-46s %12.1f %-6s" % ("events per second", n / secs,
                                       "ev/s"))
        return 0
    finally:
        if srv:
            srv.terminate()
            srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
