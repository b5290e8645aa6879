#!/usr/bin/env python3
"""End-to-end delay of central collection (issue 12): how long after a sensor writes an event
into its spool is that event committed in PostgreSQL, at a steady event rate.

A live sensor (`vigil live --redis`) listens on one end of a veth pair in a network namespace
made here (redis-server and the collector run in it too, on its loopback); `tcpreplay --pps R --loop N` feeds the other end at a steady rate, so events are
written steadily (alerts and app-layer events at once, flows as they end). One `vigil collect`
reads the stream into a PostgreSQL cluster started here (tests/collect/servers.py: redis-server on
loopback, PostgreSQL on a unix socket in a temporary folder; both stopped at the end).

Two samplers run during the replay:
  * write side: every 5 ms, the highest sequence number complete in the sensor's spool (the last
    line of the newest segment) and the time it was seen;
  * commit side: every 10 ms, the sensor's committed mark in PostgreSQL (`sensors.committed`,
    updated in the same transaction as the rows).
The delay of a sampled sequence number is the time of the first commit sample at or above it
minus the time of the first write sample at or above it. The resolution is therefore about
10-15 ms; delays below that read as 0-15 ms.

Needs root, iproute2, tcpreplay, redis-server and PostgreSQL (scripts/setup-deps.sh).

usage: sudo python3 bench/collect_delay.py [--build build] [--pps 2000,5000,10000] [--seconds 20]
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "collect"))
sys.path.insert(0, HERE)
import servers  # noqa: E402
from live import Bed, sh  # noqa: E402


def spool_head(spool):
    """The highest complete sequence number in the spool, or 0."""
    try:
        segs = sorted(n for n in os.listdir(spool) if n.startswith("seg-"))
    except OSError:
        return 0
    for name in reversed(segs):
        try:
            with open(os.path.join(spool, name), "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - 65536))
                tail = f.read()
        except FileNotFoundError:
            continue
        end = tail.rfind(b"\n")
        if end < 0:
            continue
        start = tail.rfind(b"\n", 0, end) + 1
        seq = tail[start:end].split(b"\t", 1)[0]
        if seq.isdigit():
            return int(seq)
    return 0


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run_rate(a, bed, redis, pg, pcap, pps, tmp):
    name = "delay%d" % pps
    logd = os.path.join(tmp, name)
    spool = os.path.join(logd, "ship")
    errp = os.path.join(tmp, name + ".err")
    col = subprocess.Popen(["ip", "netns", "exec", bed.ns, a.vigil, "collect", "--redis", redis.url, "--pg", pg.dsn, "-q",
                            "--consumer", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    with open(errp, "w") as errf:
        sensor = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns, a.vigil, "live", "-i", "vrx", "-l", logd, "-k", "none",
             "--no-progress", "--workers", "1", "--redis", redis.url,
             "--set", "sensor-name=" + name, "--set", "store.enabled=false",
             "--set", "stats.interval=0"], stdout=subprocess.DEVNULL, stderr=errf)
    t0 = time.time()
    while "capturing on" not in open(errp).read():
        if sensor.poll() is not None or time.time() - t0 > 120:
            sys.exit("vigil live did not start: " + open(errp).read())
        time.sleep(0.1)
    writes, commits = [], []
    stop = threading.Event()

    def sample_writes():
        last = 0
        while not stop.is_set():
            s = spool_head(spool)
            if s > last:
                writes.append((time.monotonic(), s))
                last = s
            time.sleep(0.005)

    def sample_commits():
        last = 0
        while not stop.is_set():
            try:
                out = pg.sql("SELECT committed FROM sensors WHERE sensor = '%s'" % name)
            except AssertionError:  # the schema is not there yet
                out = ""
            c = int(out) if out else 0
            if c > last:
                commits.append((time.monotonic(), c))
                last = c
            time.sleep(0.01)

    th = [threading.Thread(target=sample_writes), threading.Thread(target=sample_commits)]
    for t in th:
        t.start()
    # --loop so the replay lasts about --seconds at this rate
    n_pkts = int(sh("capinfos", "-c", "-M", "-T", pcap).stdout.split("\n")[1].split("\t")[1])
    loops = max(1, int(a.seconds * pps / max(1, n_pkts)))
    r = sh("ip", "netns", "exec", bed.ns, "tcpreplay", "-i", "vtx", "--pps=%d" % pps,
           "--loop=%d" % loops, pcap)
    rated = [x.strip() for x in r.stdout.splitlines() if x.strip().startswith("Rated:")]
    time.sleep(3.0)  # let the last flows end and be committed
    sensor.send_signal(signal.SIGINT)
    sensor.wait(timeout=300)
    time.sleep(1.0)
    stop.set()
    for t in th:
        t.join()
    col.send_signal(signal.SIGTERM)
    col.wait(timeout=60)
    if not commits:
        print("pps %d: no commit seen (collector exit %s; sensors: %s)" % (
            pps, col.returncode, pg.sql("SELECT * FROM sensors")), file=sys.stderr)
    delays = []
    ci = 0
    for tw, seq in writes:
        while ci < len(commits) and commits[ci][1] < seq:
            ci += 1
        if ci == len(commits):
            break
        delays.append((commits[ci][0] - tw) * 1000.0)
    n_ev = writes[-1][1] if writes else 0
    dur = (writes[-1][0] - writes[0][0]) if len(writes) > 1 else 0
    return {"pps": pps, "rated": rated[0] if rated else "?", "events": n_ev,
            "ev_rate": n_ev / dur if dur else 0, "samples": len(delays),
            "unmatched": len(writes) - len(delays), "delays": delays}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--pps", default="2000,5000,10000")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--flows", type=int, default=4000)
    a = ap.parse_args()
    a.vigil = os.path.join(a.build, "vigil")
    gen = os.path.join(a.build, "vigil-gen")
    if os.geteuid() != 0:
        sys.exit("needs root (network namespace)")
    tmp = tempfile.mkdtemp(prefix="vigil-bench-delay-")
    os.chmod(tmp, 0o755)
    pcap = os.path.join(tmp, "mix.pcap")
    sh(gen, "--flows", str(a.flows), "--seed", "5", "--mix", "attack", "-o", pcap)
    redis = servers.Redis(tmp)
    pg = servers.Postgres(tmp)
    bed = None
    try:
        bed = Bed()
        # the sensor runs in the namespace, and so do Redis and the collector (its loopback);
        # PostgreSQL is reached through its unix socket from anywhere
        sh("ip", "-n", bed.ns, "link", "set", "lo", "up")
        redis.prefix = ["ip", "netns", "exec", bed.ns]
        redis.start()
        pg.start()
        res = [run_rate(a, bed, redis, pg, pcap, int(p), tmp) for p in a.pps.split(",")]
    finally:
        if bed:
            bed.close()
        redis.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("| packets/s asked | tcpreplay | events | events/s | delay p50 ms | p95 | p99 | max |"
          " samples |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in res:
        d = r["delays"]
        if not d:
            print("| %d | %s | %d | - | - | - | - | - | 0 |" % (r["pps"], r["rated"], r["events"]))
            continue
        print("| %d | %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %d |" % (
            r["pps"], r["rated"], r["events"], r["ev_rate"], statistics.median(d),
            percentile(d, 95), percentile(d, 99), max(d), r["samples"]))


if __name__ == "__main__":
    main()
