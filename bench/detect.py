#!/usr/bin/env python3
"""Signature-engine benchmark: all enabled ET Open rules.

Measures, in one run (medians of --runs):
  - rule loading: cold (empty pattern cache) and warm (cache filled), as the wall time of
    `vigil read` on a 1-packet capture minus the same run with --disable-detection;
  - peak resident memory of the full run (/usr/bin/time);
  - processing throughput on a real-traffic capture built from the corpus captures (all Ethernet
    captures concatenated with mergecap -a, repeated --repeat times with shifted time), with ET
    Open and with --disable-detection, as a ratio.
usage: bench/detect.py [--build build] [--corpus ../shared/corpus] [--runs 3] [--repeat 4]
                       [--cpu] [--vs OTHER_BUILD]
--cpu: every time is the process's user+sys CPU time instead of wall time (the machine is shared:
CPU time is less disturbed by other jobs than wall time). --vs: a second build measured in the
same run, its runs interleaved with the first's, so the two ratios are comparable (before/after).
Prints Markdown for bench/RESULTS.md.
"""
import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_mix import corpus_mix  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


CPU = False  # --cpu: user+sys seconds instead of wall seconds


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M CPU %U %S"] + cmd, capture_output=True,
                       text=True, env=env)
    el = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    m = re.search(r"MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)", r.stderr)
    if CPU:
        el = float(m.group(2)) + float(m.group(3))
    return el, int(m.group(1)), r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--vs")
    a = ap.parse_args()
    global CPU
    CPU = a.cpu
    builds = [a.build] + ([a.vs] if a.vs else [])
    rules = sorted(glob.glob(os.path.join(a.corpus, "rules", "et-open-2024", "*.rules")))
    if not rules:
        sys.exit("no ET Open rules under %s" % a.corpus)
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    mix = corpus_mix(a.corpus, out, a.repeat)
    tiny = os.path.join(out, "one-packet.pcap")
    subprocess.run(["editcap", "-r", mix, tiny, "1"], check=True)
    srules = []
    for r in rules:
        srules += ["-S", r]
    cache = tempfile.mkdtemp(prefix="vigil-hscache-")
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    logd = tempfile.mkdtemp(prefix="vigil-bench-")

    def read(vigil, pcap, extra, workers=1):
        return timed([vigil, "read", pcap, "-l", logd, "-k", "none", "--no-progress",
                      "--workers", str(workers)] + extra, env=env)

    # every measurement is taken for each build in turn (interleaved), so both see the same load
    vigils = [os.path.join(b, "vigil") for b in builds]
    res = {v: {"base": [], "cold": [], "warm": [], "full": [], "nodet": []} for v in vigils}
    for _ in range(a.runs):
        for v in vigils:
            res[v]["base"].append(read(v, tiny, ["--disable-detection"])[0])
    for v in vigils:
        res[v]["base"] = statistics.median(res[v]["base"])
    for _ in range(a.runs):
        for v in vigils:
            shutil.rmtree(cache, ignore_errors=True)
            os.makedirs(cache)
            res[v]["cold"].append(read(v, tiny, srules)[0] - res[v]["base"])
    for v in vigils:  # a warm cache for each build (they may compile different databases)
        read(v, tiny, srules)
    for _ in range(a.runs):
        for v in vigils:
            res[v]["warm"].append(read(v, tiny, srules)[0] - res[v]["base"])
            res[v]["full"].append(read(v, mix, srules))
            res[v]["nodet"].append(read(v, mix, ["--disable-detection"]))
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(logd, ignore_errors=True)

    def med(xs):
        return statistics.median(x[0] for x in xs)

    def ratio(r):  # no-detection processing / ET Open processing, start-up excluded
        return 100 * (med(r["nodet"]) - r["base"]) / max(
            1e-9, med(r["full"]) - r["base"] - statistics.median(r["warm"]))

    first = res[vigils[0]]
    m = re.search(r"vigil: (\d+) packets \(([\d.]+) MB\)", first["full"][0][2])
    unit = "CPU seconds (user+sys)" if a.cpu else "wall seconds"
    print("ET Open (%d files, all enabled rules), capture %s: %s packets, %s MB; medians of %d "
          "runs, 1 worker, %s, `%s`" % (len(rules), os.path.basename(mix), m.group(1),
                                         m.group(2), a.runs, unit, " ".join(sys.argv)))
    print()
    print("| measure | " + " | ".join(builds) + " |")
    print("|---|" + "---|" * len(builds))
    rows = [("alerts", lambda r: re.search(r"(\d+) alerts", r["full"][0][2]).group(1)),
            ("rule load + compile, cold cache", lambda r: "%.2f" % statistics.median(r["cold"])),
            ("rule load, warm cache", lambda r: "%.2f" % statistics.median(r["warm"])),
            ("peak resident memory, full run with ET Open",
             lambda r: "%.0f MB" % (max(x[1] for x in r["full"]) / 1024)),
            ("processing with ET Open (incl. load)", lambda r: "%.2f" % med(r["full"])),
            ("processing with --disable-detection", lambda r: "%.2f" % med(r["nodet"])),
            ("throughput with ET Open / without (load excluded)",
             lambda r: "%.0f%%" % ratio(r))]
    for name, f in rows:
        print("| %s | %s |" % (name, " | ".join(f(res[v]) for v in vigils)))

if __name__ == "__main__":
    main()
