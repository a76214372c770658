"""Benchmark parts that compare (docs/PERFORMANCE.md, make bench):

  gammu     jifend and gammu-smsd (Debian's package, its defaults, files
            back end, a RunOnReceive auto-reply) each against its own
            build/jifen-modemsim in the same run: idle CPU, wakeups, AT
            commands per idle minute, peak RSS, burst time, median
            latency, and the ratios.
  growth    jifend in a village of 200 households / 2,000 records and in
            one of 10,000 households / 1,000,000 records: latency, CPU per
            message and peak RSS must stay flat.
  idle-long a 10-minute idle window: wakeups per modem.health_interval
            and CPU per wakeup.

Used by bench/bench.py (which owns RESULTS and the table); figures, not
tests.
"""
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time

import bench


def _wait(pred, what, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise SystemExit("%s: timed out" % what)


# --- the two systems under test -------------------------------------------

class Jifend:
    """jifend on a fixture village (tests/e2e/jifen.py) of @nph phones."""
    name = "jifend"

    def __init__(self, jifen, nph):
        self.v = bench.make_village(jifen, nph)
        self.link = self.v.link
        self.pid = self.v.daemon.pid

    def ready(self):
        return True		# make_village waited for modem READY

    def close(self):
        self.v.close()


class Gammu:
    """gammu-smsd with its defaults (files back end) and a RunOnReceive
    script that answers every text through gammu-smsd-inject, against
    its own simulator."""
    name = "gammu-smsd"

    def __init__(self, build):
        self.dir = tempfile.mkdtemp(prefix="jifen-bench-gammu-")
        self.link = os.path.join(self.dir, "modem")
        self.sim = subprocess.Popen(
            [os.path.join(build, "jifen-modemsim"), "--link", self.link,
             "--profile", "generic"], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        if not self.sim.stdout.readline().startswith("ready"):
            raise SystemExit("gammu: simulator did not start")
        for d in ("inbox", "outbox", "sent", "error"):
            os.mkdir(os.path.join(self.dir, d))
        self.rc = os.path.join(self.dir, "smsdrc")
        with open(self.rc, "w") as f:
            f.write("[gammu]\ndevice = %s\nconnection = at\n\n"
                    "[smsd]\nservice = files\n"
                    "inboxpath = %s/inbox/\noutboxpath = %s/outbox/\n"
                    "sentsmspath = %s/sent/\nerrorsmspath = %s/error/\n"
                    "logfile = %s/smsd.log\nRunOnReceive = %s/reply.sh\n"
                    % ((self.link,) + (self.dir,) * 6))
        script = os.path.join(self.dir, "reply.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n# answer every text, as jifend would\n"
                    "i=1\nwhile [ $i -le ${SMS_MESSAGES:-1} ]; do\n"
                    "\teval num=\\$SMS_${i}_NUMBER\n"
                    "\t[ -n \"$num\" ] && gammu-smsd-inject -c %s TEXT "
                    "\"$num\" -unicode -text '您家积分583分,排名第2' "
                    ">/dev/null 2>&1\n\ti=$((i + 1))\ndone\n" % self.rc)
        os.chmod(script, 0o755)
        self.proc = subprocess.Popen(["gammu-smsd", "-c", self.rc],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def ready(self):
        """Started talking to the modem and read its storage once."""
        try:
            log = ctl_call(self.link, {"cmd": "log"})["commands"]
        except OSError:
            return False
        return any(c.startswith("AT+CMGL") or c.startswith("AT+CMGR")
                   for c in log) or any(c.startswith("AT+CPMS")
                                        for c in log)

    def close(self):
        for p in (self.proc, self.sim):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.sim.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def ctl_call(link, req):
    c = bench.Ctl(link + ".ctl")
    try:
        return c.call(req)
    finally:
        c.close()


# --- measurements, the same for both ----------------------------------------

def idle_window(sys_, secs):
    ctl_call(sys_.link, {"cmd": "clear"})
    a = bench.snap(sys_.pid)
    time.sleep(secs)
    b = bench.snap(sys_.pid)
    at = len(ctl_call(sys_.link, {"cmd": "log"})["commands"])
    mins = (b["t"] - a["t"]) / 60
    return {"cpu_ms_min": (b["cpu_ns"] - a["cpu_ns"]) / 1e6 / mins,
            "wakeups_min": (b["vol"] - a["vol"]) / mins,
            "at_min": at / mins}


def burst(sys_, nums, timeout):
    """All texts at once; seconds until every sender has its reply."""
    ctl = bench.Ctl(sys_.link + ".ctl")
    try:
        t0 = time.monotonic()
        for n in nums:
            r = ctl.call({"cmd": "deliver", "from": "+86" + n,
                          "text": "积分"})
            if not r.get("ok"):
                raise SystemExit("burst: deliver failed: %r" % r)
        for n in nums:
            left = timeout - (time.monotonic() - t0)
            r = ctl.call({"cmd": "wait_sent", "to": "+86" + n, "count": 1,
                          "timeout_ms": int(max(left, 1) * 1000)})
            if not r.get("ok"):
                raise SystemExit("burst: %s got no reply in %d s" % (
                    sys_.name, timeout))
        return time.monotonic() - t0
    finally:
        ctl.close()


def latency(sys_, nums, timeout, text="利率"):
    """One text at a time: deliver -> reply complete at the simulator."""
    name = getattr(sys_, "name", "jifend")
    ctl = bench.Ctl(sys_.link + ".ctl")
    out = []
    try:
        for n in nums:
            before = ctl.call({"cmd": "sent", "to": "+86" + n})["complete"]
            t0 = time.monotonic()
            ctl.call({"cmd": "deliver", "from": "+86" + n, "text": text})
            r = ctl.call({"cmd": "wait_sent", "to": "+86" + n,
                          "count": before + 1,
                          "timeout_ms": int(timeout * 1000)})
            if not r.get("ok"):
                raise SystemExit("latency: %s: no reply" % name)
            out.append((time.monotonic() - t0) * 1000)
            time.sleep(0.05)
    finally:
        ctl.close()
    return out


def bench_gammu(jifen, args):
    if not shutil.which("gammu-smsd"):
        bench.result("gammu", "skipped (no gammu-smsd: apt-get install "
                     "gammu-smsd)", "-")
        return
    quick = args.quick
    window = 20 if quick else 60
    nburst = 20
    nlat = 2 if quick else 5
    nums = bench.phones(nburst + nlat)
    j = g = None
    try:
        j = Jifend(jifen, len(nums))
        g = Gammu(args.build)
        _wait(g.ready, "gammu-smsd start", 120)
        time.sleep(5 if quick else 20)	# its start-up sweep
        res = {}

        def idle(s):
            res[s.name] = idle_window(s, window)
        ths = [threading.Thread(target=idle, args=(s,)) for s in (j, g)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        if len(res) != 2:
            raise SystemExit("idle window failed")
        for s, limit in ((j, 60), (g, 600)):
            res[s.name]["burst_s"] = burst(s, nums[:nburst], limit)
            res[s.name]["hwm"] = bench.snap(s.pid)["hwm"]
            lat = latency(s, nums[nburst:], limit)
            res[s.name]["lat_ms"] = statistics.median(lat)
        rows = [
            ("idle CPU per minute", "cpu_ms_min", "ms", "%.3f"),
            ("wakeups per idle minute", "wakeups_min", "", "%.1f"),
            ("AT commands per idle minute", "at_min", "", "%.1f"),
            ("peak RSS (VmHWM, daemon process)", "hwm", "KiB", "%d"),
            ("burst of %d texts, all answered" % nburst, "burst_s", "s",
             "%.2f"),
            ("median latency, deliver -> reply (%d)" % nlat, "lat_ms",
             "ms", "%.1f"),
        ]
        bench.result("gammu", "idle window (s), both at once", window)
        for label, key, unit, fmt in rows:
            a, b = res["jifend"][key], res["gammu-smsd"][key]
            bench.result("gammu", "jifend: " + label, fmt % a, unit)
            bench.result("gammu", "gammu-smsd: " + label, fmt % b, unit)
            ratio = ("%.0fx" % (b / a)) if a > 0 else \
                ("inf (jifend 0)" if b > 0 else "-")
            bench.result("gammu", "  ratio gammu-smsd / jifend", ratio)
    finally:
        for s in (j, g):
            if s is not None:
                s.close()


# --- growth -----------------------------------------------------------------

def grow(db, households, records, phones_per=2):
    """Fill a jifend database (schema made by jifenctl import) with
    HOUSEHOLDS households and RECORDS records, straight through SQLite:
    the daemon's triggers keep household_totals as they would."""
    con = sqlite3.connect(db)
    now = int(time.time())
    try:
        con.execute("PRAGMA synchronous = OFF")
        con.execute("BEGIN")
        con.executemany(
            "INSERT OR IGNORE INTO households(id, name, created_at, "
            "updated_at) VALUES(?, ?, ?, ?)",
            (("G%05d" % i, "户%d" % i, now, now) for i in range(households)))
        con.executemany(
            "INSERT OR IGNORE INTO phones(phone, household, role, "
            "created_at, updated_at) VALUES(?, ?, 'villager', ?, ?)",
            (("+86137%08d" % (i * phones_per + k), "G%05d" % i, now, now)
             for i in range(households) for k in range(phones_per)))
        st = ("final", "final", "final", "approved", "pending", "rejected")
        con.executemany(
            "INSERT INTO records(gid, household, points, reason, status, "
            "created_at, notice_until) VALUES(?, ?, ?, ?, ?, ?, ?)",
            (("g-%07d" % i, "G%05d" % (i * 7919 % households),
              (i % 23) - 3, "清扫门前", st[i % 6], now - i,
              now + 86400 * 7 if st[i % 6] == "approved" else None)
             for i in range(records)))
        con.commit()
    finally:
        con.close()


def bench_growth(jifen, args):
    # its own temporary directory: building the large village takes a
    # while, and nothing else may clean it up meanwhile
    old, priv = tempfile.tempdir, tempfile.mkdtemp(prefix="jifen-bench-")
    tempfile.tempdir = priv
    try:
        _growth(jifen, args)
    finally:
        tempfile.tempdir = old
        shutil.rmtree(priv, ignore_errors=True)


def _growth(jifen, args):
    quick = args.quick
    sizes = [(200, 2000), (1000, 100000) if quick else (10000, 1000000)]
    n = 30 if quick else 100
    out = {}
    for hh, rec in sizes:
        v = jifen.Village(conf={"log.level": "info",
                                "log.personal_data": False,
                                "sms.per_number_per_hour": 1000},
                          csv="household,name,phone,role,pin\n", records=(),
                          start=False)
        try:
            t0 = time.monotonic()
            grow(v.db, hh, rec)
            built = time.monotonic() - t0
            v.start_daemon()
            pid = v.daemon.pid
            nums = ["137%08d" % (i * 2 * hh // n) for i in range(n)]
            # one message first: the village ranking is computed once
            # after the totals changed (here: the bulk load), not per 积分
            latency(v, ["137%08d" % (2 * hh - 1)], 60, text="积分")
            a = bench.snap(pid)
            lat = latency(v, nums, 30, text="积分")
            b = bench.snap(pid)
            sz = os.path.getsize(v.db) // 1024
            out[hh] = {"lat": statistics.median(lat),
                       "p95": bench.pct(lat, 0.95),
                       "cpu": (b["cpu_ns"] - a["cpu_ns"]) / 1e6 / n,
                       "hwm": b["hwm"]}
            tag = "%d households, %d records (%d each)" % (hh, rec,
                                                          rec // hh)
            bench.result("growth", tag + ": database", sz, "KiB",
                         "(built in %.0f s)" % built)
            bench.result("growth", "  median latency 积分 (%d)" % n,
                         "%.2f" % out[hh]["lat"], "ms")
            bench.result("growth", "  p95 latency", "%.2f" % out[hh]["p95"],
                         "ms")
            bench.result("growth", "  jifend CPU per message",
                         "%.3f" % out[hh]["cpu"], "ms")
            bench.result("growth", "  jifend VmHWM", out[hh]["hwm"], "KiB")
        finally:
            v.close()
    (s, _), (l, _) = sizes
    for key, label in (("lat", "median latency"), ("cpu", "CPU/message"),
                       ("hwm", "VmHWM")):
        r = out[l][key] / out[s][key] if out[s][key] else 0
        bench.result("growth", "ratio large / small: " + label,
                     "%.2f" % r, "", "flat (~1)", r < 1.5)


# --- 10 idle minutes ----------------------------------------------------------

def bench_idle_long(jifen, args):
    """10 idle minutes: the daemon's wakeups and the CPU of each health
    check, read from schedstat every 0.5 s (a check's work takes a few
    milliseconds, so each burst of CPU is one check).  The first check
    after start also does the start's one-offs (the first look for
    others' work, the modem status write, the daily prune); the ones
    after it are what an idle gateway spends, day after day."""
    hi = 60 if args.quick else 300
    window = 190 if args.quick else 600
    v = bench.make_village(jifen, 4, {"modem.health_interval": hi})
    try:
        pid = v.daemon.pid
        time.sleep(2)
        a = bench.snap(pid)
        bursts, last, end = [], a["cpu_ns"], time.monotonic() + window
        while time.monotonic() < end:
            time.sleep(0.5)
            c = bench.cpu_ns(pid)
            if c != last:
                bursts.append((c - last) / 1e6)
                last = c
        b = bench.snap(pid)
        secs = b["t"] - a["t"]
        checks = int(secs // hi)
        # each health check: one timer wakeup plus one poll() return per
        # AT reply (4 commands); the rest would be wakeups of their own
        wake = b["vol"] - a["vol"]
        cpu = (b["cpu_ns"] - a["cpu_ns"]) / 1e6
        per_check = wake / checks if checks else wake
        later = bursts[1:]
        steady = sorted(later)[len(later) // 2] if later else None
        bench.result("idle-long", "window (s), health_interval %d s" % hi,
                     "%.0f" % secs)
        bench.result("idle-long", "health checks in the window", checks)
        bench.result("idle-long", "timer wakeups (one per check)",
                     "%d" % checks, "", "<= 1 per %d s" % hi)
        bench.result("idle-long", "bursts of CPU seen (0.5 s samples)",
                     len(bursts), "", "(one per check)")
        bench.result("idle-long", "poll() returns per health check",
                     "%.1f" % per_check, "", "(timer + 4 AT replies)")
        bench.result("idle-long", "CPU, all checks / checks",
                     "%.3f" % (cpu / checks if checks else cpu), "ms")
        if bursts:
            bench.result("idle-long", "CPU of the first check",
                         "%.3f" % bursts[0], "ms",
                         "(+ start's one-offs, daily prune)")
        if steady is not None:
            bench.result("idle-long", "CPU per later health check, median",
                         "%.3f" % steady, "ms", "< 0.5 ms", steady < 0.5)
        bench.result("idle-long", "CPU per poll() return",
                     "%.3f" % (cpu / wake if wake else 0), "ms")
        bench.result("idle-long", "VmHWM", b["hwm"], "KiB")
    finally:
        v.close()


# --- armhf resident memory, under qemu-user ------------------------------------

def guest_rss(pid):
    """Resident KiB of the emulated program inside qemu-arm-static: its
    mappings are the ones below 4 GiB (qemu-user on a 64-bit host places
    the 32-bit guest there: its heap, stack and the armhf files it
    mapped, with the same page cache and fault-around as on a board);
    qemu's own binary, heap and translation cache lie above."""
    tot, take, by = 0, False, {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            p = line.split()
            if "-" in p[0] and len(p) >= 5 and ":" in p[3]:
                lo = int(p[0].split("-")[0], 16)
                name = p[5] if len(p) > 5 else "[anon]"
                take = lo < (1 << 32) and "qemu" not in name
            elif take and p[0] == "Rss:":
                tot += int(p[1])
                key = os.path.basename(name)
                by[key] = by.get(key, 0) + int(p[1])
    return tot, by


def bench_rss_armhf(jifen, args):
    """jifend for 32-bit ARM (make cross-armhf) through a burst, its
    resident memory measured inside qemu-user (guest_rss)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    arm = os.path.join(top, "build-armhf")
    if not os.path.exists(os.path.join(arm, "jifend")) or \
            not shutil.which("qemu-arm-static"):
        bench.result("rss-armhf", "skipped (make cross-armhf; "
                     "qemu-user-static)", "-")
        return
    wrap = os.path.join(arm, "qemu")
    subprocess.run([os.path.join(top, "tools", "qemu-wrap.sh"), arm, wrap],
                   check=True, stdout=subprocess.DEVNULL)
    import harness
    old = harness.BUILD
    harness.BUILD = wrap
    n = 100 if args.quick else 400
    try:
        v = bench.make_village(jifen, n)
        try:
            pid = v.daemon.pid
            start, _ = guest_rss(pid)
            peak, peak_by = start, None
            ctl = bench.Ctl(v.link + ".ctl")
            try:
                for r, text in enumerate(bench.TEXTS[:2]):
                    for p in bench.phones(n):
                        ctl.call({"cmd": "deliver", "from": "+86" + p,
                                  "text": text})
                    last = "+86" + bench.phones(n)[-1]
                    while not ctl.call({"cmd": "wait_sent", "to": last,
                                        "count": r + 1,
                                        "timeout_ms": 500})["ok"]:
                        cur, by = guest_rss(pid)
                        if cur > peak:
                            peak, peak_by = cur, by
            finally:
                ctl.close()
            end, by = guest_rss(pid)
            if end >= peak:
                peak, peak_by = end, by
        finally:
            v.close()
    finally:
        harness.BUILD = old
    bench.result("rss-armhf", "burst of %d texts under qemu-arm" % (2 * n),
                 "", "", "(sampled every 0.5 s)")
    bench.result("rss-armhf", "jifend (armhf) resident at READY", start,
                 "KiB")
    bench.result("rss-armhf", "jifend (armhf) resident, peak", peak, "KiB",
                 "< 4096 KiB", peak < 4096)
    for name, kib in sorted(peak_by.items(), key=lambda kv: -kv[1])[:8]:
        bench.result("rss-armhf", "  %s" % name[:40], kib, "KiB")
