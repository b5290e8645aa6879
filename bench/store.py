#!/usr/bin/env python3
"""Cost of the event store on `vigil read`: the same capture and rules with the store on
(default LOGDIR/vigil.db) and off (store.enabled=false), interleaved, medians of --runs.

Three rule sets: `alert-every-flow` (a rule on every client SYN and one on every HTTP request —
the store's worst case, one alert per flow or more), `alert-every-http-request` (the second rule
alone: a middle case) and the default `rules/vigil.rules` (few alerts). Reported: the engine's processing time (the summary's "in X s"), the
whole command's wall time (which includes hashing the capture for the rerun rule), alerts, and
the CPU time of the process (user + system, less sensitive to a busy machine), and the
throughput ratios off/on.
usage: bench/store.py [--flows 200000] [--runs 5] [--workers 1]
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VIGIL = os.path.join(ROOT, "build", "vigil")
GEN = os.path.join(ROOT, "build", "vigil-gen")
OUT = os.path.join(HERE, "out")

HEAVY = r"""
alert tcp any any -> any any (msg:"BENCH client SYN"; flags:S,12; flow:not_established; classtype:attempted-recon; sid:9900001; rev:1;)
alert http any any -> any any (msg:"BENCH HTTP request"; flow:established,to_server; http.method; content:"GET"; classtype:web-application-attack; sid:9900002; rev:1;)
"""


def one(pcap, rules, store_on, workers):
    logdir = os.path.join(OUT, "store-bench-log")
    shutil.rmtree(logdir, ignore_errors=True)
    cmd = [VIGIL, "read", pcap, "-l", logdir, "-k", "none", "--no-progress", "--workers", str(workers),
           "-S", rules, "--set", "store.enabled=" + ("true" if store_on else "false"),
           "--set", "outputs.fast.enabled=false"]
    t0 = time.monotonic()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, capture_output=True, text=True)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic() - t0
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    if r.returncode != 0:
        sys.exit("vigil failed: %s" % r.stderr)
    m = re.search(r"packets \([0-9.]+ MB\) in ([0-9.]+) s", r.stdout)
    a = re.search(r"([0-9]+) alerts, [0-9]+ events", r.stdout)
    shutil.rmtree(logdir, ignore_errors=True)
    return float(m.group(1)), wall, cpu, int(a.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    pcap = os.path.join(OUT, "store-attack-%d.pcap" % a.flows)
    if not os.path.exists(pcap):
        subprocess.run([GEN, "--mix", "attack", "--flows", str(a.flows), "--seed", "7", "-o", pcap],
                       check=True, capture_output=True)
    heavy = os.path.join(OUT, "store-heavy.rules")
    open(heavy, "w").write(HEAVY)
    http = os.path.join(OUT, "store-http.rules")
    open(http, "w").write(HEAVY.strip().splitlines()[1] + "\n")
    print("command: bench/store.py --flows %d --runs %d --workers %d" % (a.flows, a.runs, a.workers))
    print()
    print("| rules | alerts | store | processing s (median) | wall s (median) | CPU s (median) |")
    print("|---|---|---|---|---|---|")
    ratios = []
    for name, rules in (("alert-every-flow", heavy), ("alert-every-http-request", http),
                        ("rules/vigil.rules", os.path.join(ROOT, "rules", "vigil.rules"))):
        res = {True: [], False: []}
        alerts = 0
        for _ in range(a.runs):
            for on in (False, True):
                p, w, c, alerts = one(pcap, rules, on, a.workers)
                res[on].append((p, w, c))
        med = {on: tuple(statistics.median(x[i] for x in v) for i in range(3)) for on, v in res.items()}
        for on in (False, True):
            print("| %s | %d | %s | %.2f | %.2f | %.2f |" % (name, alerts, "on" if on else "off", *med[on]))
        ratios.append((name, alerts, med[False][0] / med[True][0], med[False][1] / med[True][1],
                       med[False][2] / med[True][2]))
    print()
    print("| rules | alerts | throughput with store / without: processing | wall | CPU |")
    print("|---|---|---|---|---|")
    for name, alerts, rp, rw, rc in ratios:
        print("| %s | %d | %.1f%% | %.1f%% | %.1f%% |" % (name, alerts, 100 * rp, 100 * rw, 100 * rc))


if __name__ == "__main__":
    main()
