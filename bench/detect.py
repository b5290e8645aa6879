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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, capture_output=True, text=True,
                       env=env)
    el = time.perf_counter() - t0
    if r.returncode not in (0, 1):
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    rss = int(re.search(r"MAXRSS (\d+)", r.stderr).group(1))
    return el, rss, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=4)
    a = ap.parse_args()
    vigil = os.path.join(a.build, "vigil")
    rules = sorted(glob.glob(os.path.join(a.corpus, "rules", "et-open-2024", "*.rules")))
    if not rules:
        sys.exit("no ET Open rules under %s" % a.corpus)
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    mix = os.path.join(out, "corpus-mix-x%d.pcap" % a.repeat)
    if not os.path.exists(mix):
        eth = []
        for p in sorted(glob.glob(os.path.join(a.corpus, "pcaps", "**", "*.pcap*"), recursive=True)):
            r = subprocess.run(["capinfos", "-E", "-T", p], capture_output=True, text=True)
            if "\tether" in r.stdout:
                eth.append(p)
        one = os.path.join(out, "corpus-mix-x1.pcap")
        subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", one] + eth, check=True)
        parts = []
        for i in range(a.repeat):
            part = os.path.join(out, "part%d.pcap" % i)
            subprocess.run(["editcap", "-t", str(i * 86400 * 400), one, part], check=True)
            parts.append(part)
        subprocess.run(["mergecap", "-a", "-F", "pcap", "-w", mix] + parts, check=True)
        for p in parts:
            os.unlink(p)
    tiny = os.path.join(out, "one-packet.pcap")
    subprocess.run(["editcap", "-r", mix, tiny, "1"], check=True)
    srules = []
    for r in rules:
        srules += ["-S", r]
    cache = tempfile.mkdtemp(prefix="vigil-hscache-")
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    logd = tempfile.mkdtemp(prefix="vigil-bench-")

    def read(pcap, extra, workers=1):
        return timed([vigil, "read", pcap, "-l", logd, "-k", "none", "--no-progress",
                      "--workers", str(workers)] + extra, env=env)

    base = statistics.median(read(tiny, ["--disable-detection"])[0] for _ in range(a.runs))
    cold = []
    for _ in range(a.runs):
        shutil.rmtree(cache, ignore_errors=True)
        os.makedirs(cache)
        cold.append(read(tiny, srules)[0] - base)
    warm = [read(tiny, srules)[0] - base for _ in range(a.runs)]
    full = [read(mix, srules) for _ in range(a.runs)]
    nodet = [read(mix, ["--disable-detection"]) for _ in range(a.runs)]
    t_full = statistics.median(x[0] for x in full)
    t_nodet = statistics.median(x[0] for x in nodet)
    rss_full = max(x[1] for x in full) / 1024
    m = re.search(r"vigil: (\d+) packets \(([\d.]+) MB\)", full[0][2])
    alerts = re.search(r"(\d+) alerts", full[0][2]).group(1)
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(logd, ignore_errors=True)
    print("ET Open (%d files, all enabled rules), capture %s: %s packets, %s MB, %s alerts; "
          "medians of %d runs, 1 worker, `%s`" % (len(rules), os.path.basename(mix), m.group(1),
                                                  m.group(2), alerts, a.runs, " ".join(sys.argv)))
    print()
    print("| measure | value |")
    print("|---|---|")
    print("| rule load + compile, cold cache | %.2f s |" % statistics.median(cold))
    print("| rule load, warm cache | %.2f s |" % statistics.median(warm))
    print("| peak resident memory, full run with ET Open | %.0f MB |" % rss_full)
    print("| processing with ET Open (incl. load) | %.2f s |" % t_full)
    print("| processing with --disable-detection | %.2f s |" % t_nodet)
    print("| throughput with ET Open / without (load excluded) | %.0f%% |" % (
        100 * (t_nodet - base) / max(1e-9, t_full - base - statistics.median(warm))))


if __name__ == "__main__":
    main()
