#!/usr/bin/env python3
"""jifen-web figures (SPEC §11, issue 12): how long a console page takes
with 1,000 households, how big the pages are, and that a socket-activated
jifen-web is gone after web.idle_exit.  Figures, not tests.

    bench_web.py [--build DIR] [--households N] [--rounds N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def row(name, value, unit="", target="", ok=None):
    verdict = "" if ok is None else (" [met]" if ok else " [MISSED]")
    print("  %-46s %12s %-6s %s%s" % (name, value, unit, target, verdict),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--households", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()
    os.environ["JIFEN_BUILD"] = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    from jifen import Village
    from webfix import Web, activated, raw_get

    csv = ["household,name,phone,role,pin"]
    for i in range(args.households):
        csv.append("B%04d,测试户%04d,137%08d,%s," % (
            i, i, i, "committee" if i % 100 == 0 else "villager"))
    v = Village(csv="\n".join(csv) + "\n", records=(), start=False,
                conf={"web.idle_exit": 10})
    rc = 0
    try:
        # a few records per household, so the balances are real sums
        recs = ["household,points"]
        with open(os.path.join(v.dir, "r.sql"), "w") as f:
            f.write("BEGIN;\n")
            for i in range(args.households):
                for k in range(5):
                    f.write("INSERT INTO records(gid, household, points, "
                            "reason, status, created_at) VALUES('g%d-%d', "
                            "'B%04d', %d, '历年积分', '%s', %d);\n" % (
                                i, k, i, 10 + k, ("final", "approved",
                                                  "pending")[k % 3],
                                1795831200 + k))
            f.write("COMMIT;\n")
        subprocess.run(["sqlite3", v.db, ".read " + f.name], check=True)
        del recs
        w = Web(v)
        w.set_password()
        r = w.login_clerk()
        assert r.status == 303, r.status
        print("jifen-web (%d households, %d records, %d requests per "
              "page, loopback HTTP):" % (args.households,
                                         args.households * 5, args.rounds))
        pages = ["/households", "/households?page=20", "/", "/records",
                 "/publicity", "/statement?id=B0500", "/messages"]
        for p in pages:
            ts = []
            size = 0
            for _ in range(args.rounds):
                t = time.perf_counter()
                r = w.get(p)
                ts.append((time.perf_counter() - t) * 1000)
                size = len(r.body)
                assert r.status == 200, (p, r.status)
            ts.sort()
            med = statistics.median(ts)
            p95 = ts[int(len(ts) * 0.95) - 1]
            row("GET %s median / p95" % p, "%.1f / %.1f" % (med, p95),
                "ms", "< 50 ms", p95 < 50)
            row("  page size", size, "bytes", "< 30 KiB", size < 30 * 1024)
        with open("/proc/%d/status" % w.proc.pid) as f:
            hwm = [ln.split()[1] for ln in f if ln.startswith("VmHWM")][0]
        row("jifen-web peak resident memory (VmHWM)", hwm, "KiB")
        w.close()

        # socket activation: started by the first connection, gone after
        # web.idle_exit seconds without requests
        p, port, pid = activated(os.path.join(args.build, "jifen-web"),
                                 v.conf)
        t0 = time.monotonic()
        raw_get(port, timeout=30)
        first = (time.monotonic() - t0) * 1000
        t1 = time.monotonic()
        line = p.stdout.readline().strip()
        gone = time.monotonic() - t1
        p.wait(timeout=30)
        resident = os.path.exists("/proc/%d" % pid)
        print("jifen-web socket activation (web.idle_exit = 10 s):")
        row("first request, start included", "%.1f" % first, "ms")
        row("exit after the last request", "%.1f" % gone, "s",
            "idle_exit 10 s", line == "exit 0" and 9 <= gone < 15)
        row("resident after the idle exit", "yes" if resident else "no",
            "", "no", not resident)
    except Exception as e:      # a broken measurement
        print("bench_web: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        v.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
