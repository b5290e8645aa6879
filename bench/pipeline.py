#!/usr/bin/env python3
"""Packet-path benchmark: read-only, decode, decode+flow and the full pipeline, per worker count,
on a synthetic capture (bench/out/synthetic.pcap, made by vigil-gen when missing).

usage: bench/pipeline.py [--build build] [--size 1G] [--runs 3] [--workers 1,2] [--md FILE]
Prints a Markdown table (median of --runs whole-process runs; rates from the packets and bytes
the run reports) and the ratios the issue asks for. Run it on an otherwise idle machine.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(vigil, pcap, stage, workers):
    d = tempfile.mkdtemp(prefix="vigil-bench-")
    cmd = [vigil, "read", pcap, "-l", d, "-k", "none", "--no-progress", "--workers", str(workers),
           "--stage", stage]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    el = time.perf_counter() - t0
    shutil.rmtree(d, ignore_errors=True)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    m = re.search(r"vigil: (\d+) packets \(([\d.]+) MB\)", r.stdout)
    return el, int(m.group(1)), float(m.group(2)) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--size", default="1G")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--pcap")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "vigil")
    pcap = a.pcap or os.path.join(HERE, "out", "synthetic-%s.pcap" % a.size)
    if not os.path.exists(pcap):
        os.makedirs(os.path.dirname(pcap), exist_ok=True)
        subprocess.run([os.path.join(a.build, "vigil-gen"), "--size", a.size, "--seed", "1",
                        "--window", "512", "-o", pcap], check=True)
    rows = {}
    stages = ["read", "decode", "flow", "all"]
    workers = [int(w) for w in a.workers.split(",")]
    for stage in stages:
        for w in workers if stage != "read" else [1]:
            times = []
            for _ in range(a.runs):
                el, pk, by = run(vigil, pcap, stage, w)
                times.append(el)
            t = statistics.median(times)
            rows[(stage, w)] = (t, pk / t, by * 8 / t / 1e9)
    size = os.path.getsize(pcap)
    print("Capture: %s (%.0f MB, %d packets); median of %d runs; `%s`" % (
        os.path.basename(pcap), size / 1e6, pk, a.runs, " ".join(sys.argv)))
    print()
    print("| stage | workers | seconds | Mpkt/s | Gbit/s |")
    print("|---|---|---|---|---|")
    for (stage, w), (t, pps, gbps) in rows.items():
        print("| %s | %d | %.2f | %.2f | %.2f |" % (stage, w, t, pps / 1e6, gbps))
    print()
    rd = rows[("read", 1)][1]
    for w in workers:
        print("- decode+flow with %d worker(s): %.0f%% of the read-only rate" % (
            w, 100 * rows[("flow", w)][1] / rd))
    if len(workers) > 1:
        for stage in ("decode", "flow", "all"):
            print("- %s: %d workers / 1 worker = %.2fx" % (
                stage, workers[-1], rows[(stage, workers[-1])][1] / rows[(stage, 1)][1]))


if __name__ == "__main__":
    main()
