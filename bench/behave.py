#!/usr/bin/env python3
"""Cost of the behavioural detectors (issue 8).

1. Throughput: the same capture (vigil-gen, web and attack mixes) read with behave.enabled=false
   and =true, runs alternating; the fastest run of each compared (the least disturbed by other
   load on the machine), wall clock and CPU time (user + system) of the process: the ratio is
   the detectors' cost (target: within 10%). Signatures and attribution are off in both
   (--disable-detection, attribution.enabled=false) so the detectors' share is not hidden behind
   rule matching and geo databases are not loaded in one run only.
2. Memory under a flood of spoofed sources (bench/flood.py's capture: N SYNs, each from a random
   source, 100,000 per second of packet time): peak resident memory of the process with and
   without the detectors, the detectors' tables (behave.memory) and their counters.

usage: python3 bench/behave.py [--build build] [--size 256M] [--runs 3] [--flood 10000000]
                               [--workers 2] [--skip-flood]
Prints Markdown for bench/RESULTS.md.
"""
import argparse
import json
import resource
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flood  # noqa: E402


def run(vigil, pcap, behave, workers, extra=()):
    with tempfile.TemporaryDirectory() as d:
        cmd = [vigil, "read", pcap, "-l", d, "-k", "none", "--no-progress", "-q",
               "--disable-detection", "--set", "attribution.enabled=false",
               "--set", "behave.enabled=%s" % ("true" if behave else "false"),
               "--workers", str(workers)] + list(extra)
        t = time.monotonic()
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        secs = time.monotonic() - t
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        stats = None
        alerts = 0
        with open(os.path.join(d, "eve.json"), "rb") as f:
            for line in f:
                if b'"event_type":"stats"' in line[:160]:
                    stats = json.loads(line)["stats"]
                elif b'"event_type":"alert"' in line[:300]:
                    alerts += 1
        return secs, stats, alerts, cpu


def throughput(a, vigil, mix):
    pcap = os.path.join(HERE, "out", "synthetic-%s-%s.pcap" % (mix, a.size))
    if not os.path.exists(pcap):
        subprocess.run([os.path.join(a.build, "vigil-gen"), "--size", a.size, "--seed", "1",
                        "--mix", mix, "-o", pcap], check=True)
    on, off, con, coff = [], [], [], []
    for _ in range(a.runs):
        s, _, _, c = run(vigil, pcap, False, a.workers)
        off.append(s)
        coff.append(c)
        s, st, al, c = run(vigil, pcap, True, a.workers)
        on.append(s)
        con.append(c)
    m_on, m_off = min(on), min(off)
    c_on, c_off = min(con), min(coff)
    b = st.get("behave", {})
    print("| %s %s | %d | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | %d | %d |" % (
        mix, a.size, a.workers, m_off, m_on, m_off / m_on, c_off, c_on, c_off / c_on,
        b.get("obs", 0), al))


def flood_memory(a, vigil):
    path = os.path.join(HERE, "out", "synflood-%d.pcap" % a.flood)
    if not os.path.exists(path):
        flood.write_flood(path, a.flood)
    rows = []
    for behave in (False, True):
        secs, st, al, _ = run(vigil, path, behave, a.workers)
        rows.append((behave, secs, st, al))
    print()
    print("| behave | seconds | kpkt/s | peak RSS MiB | behave.memory MiB | obs | dropped | evictions | alerts |")
    print("|---|---|---|---|---|---|---|---|---|")
    for behave, secs, st, al in rows:
        b = st.get("behave", {})
        print("| %s | %.1f | %.0f | %.1f | %s | %s | %s | %s | %d |" % (
            "on" if behave else "off", secs, a.flood / secs / 1e3,
            st["memory"]["rss_peak"] / 2**20,
            "%.1f" % (b["memory"] / 2**20) if b else "-", b.get("obs", "-"),
            b.get("obs_dropped", "-"), b.get("evictions", "-"), al))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--size", default="256M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--flood", type=int, default=10_000_000)
    ap.add_argument("--skip-flood", action="store_true")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "vigil")
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    print("`python3 bench/behave.py %s`" % " ".join(sys.argv[1:]))
    print()
    print("| capture | workers | wall s, off | wall s, on | wall ratio | CPU s, off | CPU s, on | CPU ratio | observations | behave alerts |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mix in ("web", "attack"):
        throughput(a, vigil, mix)
    if not a.skip_flood:
        flood_memory(a, vigil)


if __name__ == "__main__":
    main()
