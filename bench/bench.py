#!/usr/bin/env python3
"""Jifen benchmarks (SPEC §11): idle cost, throughput, reply latency,
instructions per message.  Figures, not tests: every run prints what it
measured; nothing here fails on a missed target.

    bench.py [--build DIR] [--quick] [--json FILE] [PART ...]

PART is any of idle, idle-long, busy, busy-tmpfs, latency, callgrind,
growth, gammu, rss-armhf (default: all; bench/compare.py has idle-long and
the last three).  The real
build/jifend runs against build/jifen-modemsim through the end-to-end
fixture tests/e2e/jifen.py (class Village), each part in its own fresh
temporary village.  See docs/PERFORMANCE.md for what each figure means.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TEXTS = ["积分", "利率", "查积分", "查利率", "贷款利率"]

RESULTS = []		# (part, name, value, unit, target, verdict)


def result(part, name, value, unit="", target="", ok=None):
    verdict = "" if ok is None else ("met" if ok else "MISSED")
    RESULTS.append((part, name, value, unit, target, verdict))


def print_table():
    order = ["idle-300s", "idle-10s", "idle-long", "busy", "busy-tmpfs",
             "latency", "callgrind", "growth", "gammu", "rss-armhf"]
    rows = sorted(RESULTS, key=lambda r: order.index(r[0])
                  if r[0] in order else len(order))
    last = None
    for part, name, value, unit, target, verdict in rows:
        if part != last:
            print("%s:" % part)
            last = part
        print("  %-46s %12s %-6s %s%s" % (
            name, value, unit, target,
            (" [%s]" % verdict) if verdict else ""), flush=True)


# --- process figures ----------------------------------------------------

def cpu_ns(pid):
    """CPU time of every thread of PID in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[0])
    return total


def utime_stime(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return int(st[11]), int(st[12])


def status(pid):
    d = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            d[k] = v.strip()
    return d


def kib(s):
    return int(s.split()[0])


def snap(pid):
    s = status(pid)
    ut, stt = utime_stime(pid)
    return {"cpu_ns": cpu_ns(pid), "ticks": ut + stt, "ut": ut, "st": stt,
            "vol": int(s["voluntary_ctxt_switches"]),
            "invol": int(s["nonvoluntary_ctxt_switches"]),
            "rss": kib(s["VmRSS"]), "hwm": kib(s["VmHWM"]),
            "t": time.monotonic()}


def smaps_by_object(pid):
    """Rss and Private_Dirty (KiB) per mapped object, from /proc/PID/smaps."""
    out = {}
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = parts[5] if len(parts) > 5 else "[anon]"
                name = os.path.basename(name) if name.startswith("/") \
                    else name
                if name.endswith("(deleted)") or parts[-1] == "(deleted)":
                    name = name.replace(" (deleted)", "")
                out.setdefault(name, [0, 0])
            elif parts and parts[0] == "Rss:":
                out[name][0] += int(parts[1])
            elif parts and parts[0] == "Private_Dirty:":
                out[name][1] += int(parts[1])
    return out


class PerfCount:
    """perf stat -e EVENTS -p PID over a window; counts by event name.
    Tracepoint counting does not stop or slow the process (unlike strace)."""

    def __init__(self, pid, events):
        self.proc = None
        if not shutil.which("perf"):
            return
        self.out = os.path.join("/tmp", "jifen-bench-perf.%d.%d" % (
            os.getpid(), pid))
        self.proc = subprocess.Popen(
            ["perf", "stat", "-x,", "-o", self.out, "-e", ",".join(events),
             "-p", str(pid)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(0.3)		# let perf attach before the window opens
        if self.proc.poll() is not None:
            self.proc = None

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        counts = {}
        try:
            with open(self.out) as f:
                for line in f:
                    p = line.strip().split(",")
                    if len(p) > 2 and p[0].isdigit():
                        counts[p[2].split(":")[-1]] = int(p[0])
            os.unlink(self.out)
        except OSError:
            return None
        return counts or None


# --- simulator control on one persistent connection ----------------------

class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def send(self, req):
        self.s.sendall((json.dumps(req, ensure_ascii=False) + "\n").encode())

    def recv(self):
        return json.loads(self.f.readline().decode())

    def call(self, req):
        self.send(req)
        return self.recv()

    def close(self):
        self.f.close()
        self.s.close()


def phones(n):
    return ["139%08d" % (10000 + i) for i in range(n)]


def village_csv(nphones):
    lines = ["household,name,phone,role,pin"]
    for i, p in enumerate(phones(nphones)):
        lines.append("B%03d,测试%03d家,%s,villager," % (i // 2, i // 2, p))
    return "\n".join(lines) + "\n"


def make_village(jifen, nphones, extra=None, start=True, sim_args=()):
    conf = {"modem.health_interval": 300, "sms.per_number_per_hour": 100,
            "log.level": "info", "log.personal_data": False}
    conf.update(extra or {})
    records = [("B%03d" % i, 100 * (i % 9), "历年积分", True)
               for i in range(min(10, nphones // 2))]
    return jifen.Village(conf=conf, csv=village_csv(nphones),
                         records=records, start=start,
                         sim_args=list(sim_args))


# --- 1. idle ---------------------------------------------------------------

def bench_idle(jifen, args):
    settle = 5 if args.quick else 65
    window = 15 if args.quick else 60
    runs = [(300, None), (10, None)]
    vs = []
    try:
        for hi, _ in runs:
            vs.append(make_village(jifen, 4, {"modem.health_interval": hi}))
        # The first store prune runs 60 s after start (then daily): let
        # it pass so the window shows the steady state.
        time.sleep(settle)
        perfs = [PerfCount(v.daemon.pid, ["syscalls:sys_enter_poll",
                                         "syscalls:sys_enter_ppoll"])
                 for v in vs]
        a = [snap(v.daemon.pid) for v in vs]
        time.sleep(window)
        b = [snap(v.daemon.pid) for v in vs]
        counts = [p.stop() for p in perfs]
        for (hi, _), v, x, y, c in zip(runs, vs, a, b, counts):
            secs = y["t"] - x["t"]
            tag = "idle-%ds" % hi
            wake = y["vol"] - x["vol"]
            result(tag, "window (s), health_interval %d s" % hi,
                   "%.1f" % secs)
            expect = int(secs // hi)
            result(tag, "wakeups (voluntary ctx switches)", wake, "",
                   "health checks in window: %d" % expect)
            if c is not None:
                polls = c.get("sys_enter_poll", 0) + \
                    c.get("sys_enter_ppoll", 0)
                result(tag, "poll() calls (perf tracepoint)", polls)
            cpu_min = (y["cpu_ns"] - x["cpu_ns"]) / 1e6 * 60 / secs
            result(tag, "CPU per idle minute", "%.3f" % cpu_min, "ms",
                   "< 1 ms", cpu_min < 1.0)
            if hi == 300:
                result(tag, "wakeups per idle minute",
                       "%.1f" % (wake * 60 / secs), "",
                       "<= 1 per %d s" % hi, wake * 60 / secs <= 60 / hi)
                result(tag, "VmRSS", y["rss"], "KiB", "< 4096 KiB",
                       y["rss"] < 4096)
                result(tag, "VmHWM", y["hwm"], "KiB")
                objs = smaps_by_object(v.daemon.pid)
                top = sorted(objs.items(), key=lambda kv: -kv[1][0])
                priv = sum(o[1] for o in objs.values())
                result(tag, "private dirty (all mappings)", priv, "KiB")
                for name, (rss, dirty) in top[:8]:
                    result(tag, "  rss %s" % name[:34], rss, "KiB",
                           "(dirty %d)" % dirty)
                libs = sum(r for n, (r, _) in objs.items()
                           if ".so" in n)
                result(tag, "rss of shared libraries (sum)", libs, "KiB")
    finally:
        for v in vs:
            v.close()


# --- 2. busy ---------------------------------------------------------------

def deliver_all(ctl, msgs, acks):
    """Pipeline every deliver request on one connection (a reader thread
    takes the answers), so the simulator accepts them as fast as it can."""
    def reader():
        for _ in msgs:
            acks.append(ctl.recv())
    th = threading.Thread(target=reader)
    th.start()
    for frm, text in msgs:
        ctl.send({"cmd": "deliver", "from": "+86" + frm, "text": text})
    return th


def bench_busy_tmpfs(jifen, args):
    """The same run with the database on tmpfs, where fsync costs
    nothing: what the software alone can do."""
    import tempfile
    if not os.path.isdir("/dev/shm"):
        result("busy-tmpfs", "skipped (no /dev/shm)", "-")
        return
    old = tempfile.tempdir
    tempfile.tempdir = "/dev/shm"
    try:
        bench_busy(jifen, args, "busy-tmpfs")
    finally:
        tempfile.tempdir = old


def bench_busy(jifen, args, tag="busy"):
    n = 400 if args.quick else args.n
    nph = max(1, min(args.phones, n))
    rounds = (n + nph - 1) // nph
    if rounds > len(TEXTS):
        sys.exit("busy: %d messages need at least %d phones" % (
            n, (n + len(TEXTS) - 1) // len(TEXTS)))
    v = make_village(jifen, nph, sim_args=["--capacity", "255"])
    try:
        msgs = []
        for r in range(rounds):
            for p in phones(nph):
                if len(msgs) < n:
                    msgs.append((p, TEXTS[r]))
        per_phone = {}
        for p, _ in msgs:
            per_phone[p] = per_phone.get(p, 0) + 1
        last = msgs[-1][0]
        ctl = Ctl(v.link + ".ctl")
        waiter = Ctl(v.link + ".ctl")
        dpid, spid = v.daemon.pid, v.sim.pid
        perf = PerfCount(dpid, ["syscalls:sys_enter_fsync",
                                "syscalls:sys_enter_fdatasync",
                                "syscalls:sys_enter_poll"])
        a, sa = snap(dpid), cpu_ns(spid)
        me0 = time.process_time()
        acks = []
        t0 = time.monotonic()
        th = deliver_all(ctl, msgs, acks)
        waiter.send({"cmd": "wait_sent", "to": "+86" + last,
                     "count": per_phone[last], "timeout_ms": 300000})
        th.join()
        t_acc = time.monotonic()
        r = waiter.recv()
        t1 = time.monotonic()
        b, sb = snap(dpid), cpu_ns(spid)
        me1 = time.process_time()
        counts = perf.stop()
        if not r.get("ok"):
            raise SystemExit("busy: replies did not arrive: %r\n%s" % (
                r, v.tail()))
        # every phone has all its replies (outbox is sent oldest first, so
        # this normally holds already when the last one is out)
        for p, k in per_phone.items():
            rr = waiter.call({"cmd": "wait_sent", "to": "+86" + p,
                              "count": k, "timeout_ms": 60000})
            if not rr.get("ok"):
                raise SystemExit("busy: no reply #%d to %s" % (k, p))
        t2 = time.monotonic()
        sent = waiter.call({"cmd": "sent"})
        ctl.close()
        waiter.close()
        parts = sum(m["parts"] for m in sent["sent"] if m.get("complete"))
        complete = sent["complete"]
        inbox = v.query("SELECT count(*), sum(processed_at IS NOT NULL) "
                        "FROM inbox")[0]
        maxpend = max(x.get("pending", 0) for x in acks)
        bad = [x for x in acks if not x.get("ok")]
        dropped = v.sim_state().get("dropped", 0)
        end = max(t1, t2) if t2 - t1 > 0.05 else t1
        secs = end - t0
        rate = n / secs
        dcpu = (b["cpu_ns"] - a["cpu_ns"]) / 1e6
        scpu = (sb - sa) / 1e6
        result(tag, "commands delivered / replies complete",
               "%d/%d" % (n, complete))
        result(tag, "reply SMS parts sent", parts)
        result(tag, "inbox rows / processed",
               "%d/%d" % (inbox[0], inbox[1] or 0))
        result(tag, "sim: max pending, dropped, refused",
               "%d,%d,%d" % (maxpend, dropped, len(bad)))
        result(tag, "first deliver -> last reply sent", "%.2f" % secs,
               "s")
        result(tag, "throughput end to end", "%.0f" % rate, "cmd/s",
               ">= 300/s", rate >= 300)
        result(tag, "simulator accepted all delivers after",
               "%.2f" % (t_acc - t0), "s")
        result(tag, "jifend CPU (schedstat)", "%.0f" % dcpu, "ms")
        result(tag, "jifend CPU per message", "%.3f" % (dcpu / n), "ms")
        result(tag, "jifend utime / stime per message",
               "%.3f/%.3f" % ((b["ut"] - a["ut"]) * 10.0 / n,
                              (b["st"] - a["st"]) * 10.0 / n), "ms",
               "(10 ms ticks)")
        result(tag, "jifend CPU utilisation", "%.0f" % (
            100 * dcpu / 1000 / secs), "%")
        result(tag, "modemsim CPU", "%.0f" % scpu, "ms",
               "(%.0f%% of wall)" % (100 * scpu / 1000 / secs))
        result(tag, "bench client CPU", "%.0f" % (
            (me1 - me0) * 1000), "ms")
        result(tag, "jifend voluntary ctx switches / message",
               "%.1f" % ((b["vol"] - a["vol"]) / n))
        if counts:
            syncs = counts.get("sys_enter_fsync", 0) + \
                counts.get("sys_enter_fdatasync", 0)
            result(tag, "jifend fsync+fdatasync / message",
                   "%.2f" % (syncs / n))
            result(tag, "jifend poll() / message",
                   "%.2f" % (counts.get("sys_enter_poll", 0) / n))
        result(tag, "jifend VmHWM after run", b["hwm"], "KiB")
        objs = smaps_by_object(dpid)
        for name, (rss, dirty) in sorted(objs.items(),
                                         key=lambda kv: -kv[1][0])[:8]:
            result(tag, "  resident after run: " + name, rss, "KiB",
                   "(%d private dirty)" % dirty)
    finally:
        v.close()


# --- 3. latency -------------------------------------------------------------

def pct(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def bench_latency(jifen, args):
    n = 50 if args.quick else args.latency_n
    v = make_village(jifen, n, {"log.level": "debug"}, start=False)
    lines = []		# (monotonic time, line) as the daemon writes them
    rd = None
    try:
        import harness
        v.logf = open(v.log, "a")
        v.daemon = subprocess.Popen([harness.binpath("jifend"), "-T", "-c",
                                     v.conf], stdout=v.logf,
                                    stderr=subprocess.PIPE)

        def reader():
            for raw in v.daemon.stderr:
                lines.append((time.monotonic(), raw))
        rd = threading.Thread(target=reader, daemon=True)
        rd.start()
        v.wait_for(v.modem_ready, "modem READY")
        time.sleep(0.3)
        ctl = Ctl(v.link + ".ctl")
        client = []
        mark = len(lines)
        for p in phones(n):
            t0 = time.monotonic()
            r = ctl.call({"cmd": "deliver", "from": "+86" + p,
                          "text": "积分"})
            if not r.get("ok"):
                raise SystemExit("latency: deliver failed %r" % r)
            r = ctl.call({"cmd": "wait_sent", "to": "+86" + p, "count": 1,
                          "timeout_ms": 20000})
            t1 = time.monotonic()
            if not r.get("ok"):
                raise SystemExit("latency: no reply to %s" % p)
            client.append((t1 - t0) * 1000)
            # let the daemon take +CMGS/OK and mark the part sent, so
            # every message starts from an idle daemon
            time.sleep(0.02)
        ctl.close()
        time.sleep(0.1)
        cmti, daemon = None, []
        for t, raw in lines[mark:]:
            s = raw.decode("utf-8", "replace")
            if "AT < +CMTI:" in s:
                cmti = t
            elif "AT > AT+CMGS=" in s and cmti is not None:
                daemon.append((t - cmti) * 1000)
                cmti = None
        result("latency", "messages (one at a time)", n)
        if daemon:
            med, p95 = statistics.median(daemon), pct(daemon, 0.95)
            result("latency", "jifend: +CMTI read -> AT+CMGS written, "
                   "median", "%.2f" % med, "ms", "< 50 ms", med < 50)
            result("latency", "jifend: +CMTI read -> AT+CMGS written, "
                   "p95", "%.2f" % p95, "ms", "< 50 ms", p95 < 50)
            result("latency", "jifend: ... max", "%.2f" % max(daemon),
                   "ms")
            result("latency", "pairs found in AT trace", len(daemon))
        result("latency", "client: deliver -> PDU at sim, median",
               "%.2f" % statistics.median(client), "ms")
        result("latency", "client: deliver -> PDU at sim, p95",
               "%.2f" % pct(client, 0.95), "ms")
    finally:
        if v.daemon is not None:
            v.daemon.send_signal(signal.SIGTERM)
            try:
                v.daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                v.daemon.kill()
                v.daemon.wait()
            if rd is not None:
                rd.join(timeout=5)
            v.daemon.stderr.close()
            v.daemon = None
            v.logf.close()
        v.close()


# --- 4. callgrind -------------------------------------------------------------

def callgrind_run(jifen, n, nph, outdir):
    """Instructions of one daemon life (start, n messages, stop) in a
    village of nph phones (nph/2 households: the balance query ranks the
    household among all of them, so the count depends on village size)."""
    import harness
    v = make_village(jifen, nph, start=False)
    out = os.path.join(outdir, "callgrind.%d" % n)
    try:
        v.logf = open(v.log, "a")
        v.daemon = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
             harness.binpath("jifend"), "-c", v.conf],
            stdout=v.logf, stderr=v.logf)
        v.wait_for(v.modem_ready, "modem READY (callgrind)", timeout=120)
        ctl = Ctl(v.link + ".ctl")
        # one at a time: the steady state of a quiet village (queues
        # empty), so the count does not depend on how deep they grew
        for i, p in enumerate(phones(n)):
            ctl.call({"cmd": "deliver", "from": "+86" + p, "text":
                      TEXTS[i % 2]})
            r = ctl.call({"cmd": "wait_sent", "to": "+86" + p, "count": 1,
                          "timeout_ms": 120000})
            if not r.get("ok"):
                raise SystemExit("callgrind: no reply to %s" % p)
        ctl.close()
        # the delivery reports (~200 ms after each send) are part of the
        # cost of a message: wait until they are read and deleted too
        time.sleep(0.5)
        v.wait_for(v.idle, "queues drained", timeout=120)
        v.stop_daemon()
    finally:
        v.close()
    total = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total, out


def bench_callgrind(jifen, args):
    if not shutil.which("valgrind"):
        result("callgrind", "skipped (no valgrind)", "-")
        return
    n = 50 if args.quick else 200
    tmp = os.path.join("/tmp", "jifen-bench-cg.%d" % os.getpid())
    os.makedirs(tmp, exist_ok=True)
    try:
        nph = 400
        i0, _ = callgrind_run(jifen, 0, nph, tmp)
        i1, out = callgrind_run(jifen, n, nph, tmp)
        result("callgrind", "village: phones / households",
               "%d/%d" % (nph, nph // 2))
        result("callgrind", "instructions, start+stop, no messages",
               "%.2fM" % (i0 / 1e6))
        result("callgrind", "instructions, start+stop, %d messages" % n,
               "%.2fM" % (i1 / 1e6))
        result("callgrind", "instructions per handled message",
               "%.0fk" % ((i1 - i0) / n / 1e3))
        if shutil.which("callgrind_annotate"):
            r = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                                out], capture_output=True, text=True)
            shown, seen = 0, set()
            for line in r.stdout.splitlines():
                m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+):(\w+)"
                             r"(?:\.\S+)? \[(\S+)\]", line)
                if not m or not m.group(5).endswith("/jifend"):
                    continue
                fn = m.group(4)
                if fn in seen or fn in ("main", "loop_run"):
                    continue
                seen.add(fn)
                ir = int(m.group(1).replace(",", ""))
                result("callgrind", "  incl. %s" % fn[:38], "%.0fk" % (
                    ir / n / 1e3), "/msg", "(%s%%)" % m.group(2))
                shown += 1
                if shown == 12:
                    break
    finally:
        if os.environ.get("JIFEN_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--quick", action="store_true",
                    help="short runs, for trying the script")
    ap.add_argument("--n", type=int, default=2000,
                    help="busy: inbound commands")
    ap.add_argument("--phones", type=int, default=400,
                    help="busy: distinct bound phones")
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--json", help="write the figures here as JSON")
    ap.add_argument("parts", nargs="*",
                    default=["idle", "idle-long", "busy", "latency",
                             "callgrind", "busy-tmpfs", "growth", "gammu",
                             "rss-armhf"])
    args = ap.parse_args()
    os.environ["JIFEN_BUILD"] = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
    import jifen
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # compare.py uses this module's helpers and RESULTS: the same object
    sys.modules.setdefault("bench", sys.modules[__name__])
    import compare

    fns = {"idle": bench_idle, "busy": bench_busy,
           "busy-tmpfs": bench_busy_tmpfs,
           "latency": bench_latency, "callgrind": bench_callgrind,
           "idle-long": compare.bench_idle_long,
           "growth": compare.bench_growth, "gammu": compare.bench_gammu,
           "rss-armhf": compare.bench_rss_armhf}
    for part in args.parts:
        if part not in fns:
            ap.error("unknown part %s" % part)
    failed = []

    def run(part):
        try:
            fns[part](jifen, args)
        except (Exception, SystemExit) as e:	# a broken measurement
            failed.append(part)
            result(part, "ERROR: %s" % str(e).splitlines()[0][:70], "-")
            print("bench: %s failed: %s" % (part, e), file=sys.stderr)

    # idle mostly sleeps: run it beside the others, which do not disturb
    # it (its figures are the idle daemons' own counters)
    order = list(args.parts)
    threads = []
    for quiet in ("idle", "idle-long"):
        if quiet in order and len(order) > 1:
            order.remove(quiet)
            th = threading.Thread(target=run, args=(quiet,))
            th.start()
            threads.append(th)
    for part in order:
        print("bench: %s ..." % part, file=sys.stderr, flush=True)
        run(part)
    for th in threads:
        print("bench: waiting for the idle window ...", file=sys.stderr,
              flush=True)
        th.join()
    print_table()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(RESULTS, f, ensure_ascii=False, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
