#!/usr/bin/env python3
"""make bench, sync part (SPEC section 11): 10,000 waiting events (weeks
offline) drain against the local test platform in under a minute; bytes
on the wire per event.  Figures, not a test: prints MISSED when a target
is missed, exits 1 only when the measurement could not be made.

    bench/sync-bench.py BUILD [N] [--no-idle]

Then, unless --no-idle: jifend idle with sync.url set (after its first
sync): wakeups, CPU per minute and resident memory over a 60 s window.
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

import bench

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


def idle(build, window):
    """jifend idle with sync.url set, after its first sync."""
    os.environ["JIFEN_BUILD"] = build
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    from jifen import Village     # the e2e fixture: daemon + simulator
    tmp = tempfile.mkdtemp(prefix="jifen-syncbench-idle-")
    srv = subprocess.Popen([sys.executable, os.path.join(
        TOP, "tests", "platform", "server.py"), "--state",
        os.path.join(tmp, "platform.db"), "--token", "bench"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    v = None
    try:
        port = int(srv.stdout.readline().split()[1])
        tok = os.path.join(tmp, "token")
        with open(tok, "w") as f:
            f.write("bench\n")
        os.environ["JIFEN_SYNC"] = os.path.join(build, "jifen-sync")
        v = Village(conf={"sync.url": "http://127.0.0.1:%d" % port,
                          "sync.token_file": tok, "sync.interval": 900,
                          "modem.health_interval": 300,
                          "log.level": "info"})
        v.wait_for(lambda: v.query("SELECT COUNT(*) FROM sync_state WHERE "
                                   "key = 'last_sync'")[0][0] == 1,
                   "the first sync", timeout=60)
        time.sleep(5)               # settle: the child reaped
        pid = v.daemon.pid
        a = bench.snap(pid)        # bench/bench.py: /proc figures
        time.sleep(window)          # the measurement window itself
        b = bench.snap(pid)
        secs = b["t"] - a["t"]
        wake = b["vol"] - a["vol"]
        cpu_ms = (b["ticks"] - a["ticks"]) * 1000 / os.sysconf("SC_CLK_TCK")
        cpu = cpu_ms * 60 / secs
        print("sync idle (jifend, sync.url set, interval 900 s, "
              "health_interval 300 s, after its first sync):")
        print("  %-46s %12.1f %-6s" % ("window", secs, "s"))
        print("  %-46s %12d %-6s %s" % ("wakeups in the window", wake, "",
                                        "[%s]" % ("met" if wake <= max(
                                            1, secs // 300) else
                                            "MISSED")))
        print("  %-46s %12.3f %-6s < 1 ms [%s]" % (
            "CPU per idle minute", cpu, "ms",
            "met" if cpu < 1 else "MISSED"))
        print("  %-46s %12d %-6s < 4096 KiB [%s]" % (
            "VmRSS", b["rss"], "KiB", "met" if b["rss"] < 4096 else
            "MISSED"))
        print("  %-46s %12d %-6s (peak, the fork for jifen-sync "
              "included)" % ("VmHWM", b["hwm"], "KiB"))
        return 0
    finally:
        if v:
            v.close()
        srv.terminate()
        srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    rc = main()
    if len(sys.argv) <= 3 or sys.argv[3] != "--no-idle":
        quick = os.environ.get("BENCH_QUICK")
        rc = idle(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                                  "build"), 15 if quick else 60) or rc
    sys.exit(rc)
