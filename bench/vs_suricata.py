#!/usr/bin/env python3
"""Vigil and Suricata side by side on the same capture and rules (issue 4: "both rates well ahead
of Suricata's").

Runs, interleaved so that both engines see the same load, --runs times each:
  vigil read CAPTURE -S <each ET Open file> --workers 1       and with --disable-detection
  suricata -r CAPTURE -S <all ET Open files> --runmode single  and with --disable-detection
on the capture bench/detect.py builds from the corpus (bench/out/corpus-mix-x4.pcap, built when
missing), or --pcap. Reports medians of wall and CPU (user+sys) seconds,
peak memory, and alert counts. Start-up (rule loading) is included for both engines and shown
separately from a 1-packet run, so the processing time is the difference.

Suricata is a tool on the desk, not a dependency: Debian's suricata from bookworm-backports
(`apt-get install -t bookworm-backports suricata`). The script exits with a message when it is
not installed. Its default /etc/suricata/suricata.yaml is used, with -k none as for Vigil.
usage: bench/vs_suricata.py [--build build] [--corpus ../shared/corpus] [--pcap FILE] [--runs 3]
"""
import argparse
import glob
import json
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


def timed(cmd, env=None):
    t0 = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M CPU %U %S"] + cmd, capture_output=True,
                       text=True, env=env)
    wall = time.perf_counter() - t0
    m = re.search(r"MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)", r.stderr)
    if r.returncode not in (0, 1) or not m:
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))
    return wall, float(m.group(2)) + float(m.group(3)), int(m.group(1)) / 1024


def alerts(eve):
    n = 0
    with open(eve, errors="replace") as f:
        for line in f:
            if '"event_type":"alert"' in line:
                n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--pcap", help="capture (default: the corpus mix of bench/detect.py, x4)")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    suricata = shutil.which("suricata")
    if not suricata:
        sys.exit("suricata is not installed (apt-get install -t bookworm-backports suricata)")
    if not a.pcap:
        a.pcap = corpus_mix(a.corpus, os.path.join(HERE, "out"), 4)
    rules = sorted(glob.glob(os.path.join(a.corpus, "rules", "et-open-2024", "*.rules")))
    if not rules:
        sys.exit("no ET Open rules under %s" % a.corpus)
    tmp = tempfile.mkdtemp(prefix="vs-suricata-")
    allrules = os.path.join(tmp, "et-open.rules")
    with open(allrules, "w") as out:
        for r in rules:
            with open(r, errors="replace") as f:
                out.write(f.read() + "\n")
    tiny = os.path.join(tmp, "one.pcap")
    subprocess.run(["editcap", "-r", a.pcap, tiny, "1"], check=True)
    vigil = os.path.join(a.build, "vigil")
    srules = [x for r in rules for x in ("-S", r)]
    cls = os.path.join(a.corpus, "rules", "et-open-2024", "classification.config")

    def run(engine, pcap, detect, tag):
        d = os.path.join(tmp, tag)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if engine == "vigil":
            cmd = [vigil, "read", pcap, "-l", d, "-k", "none", "--no-progress", "--workers", "1"]
            cmd += srules if detect else ["--disable-detection"]
        else:
            cmd = [suricata, "-r", pcap, "-l", d, "-k", "none", "--runmode", "single"]
            if detect:
                cmd += ["-S", allrules]
                if os.path.exists(cls):
                    cmd += ["--set", "classification-file=" + cls]
            else:
                cmd += ["--disable-detection"]
        wall, cpu, rss = timed(cmd)
        return wall, cpu, rss, alerts(os.path.join(d, "eve.json")) if detect else 0

    # a warm pattern cache for Vigil (its cold compile is bench/detect.py's business)
    run("vigil", tiny, True, "warm")
    res = {}
    for _ in range(a.runs):
        for eng in ("vigil", "suricata"):
            for det in (True, False):
                for pc, name in ((tiny, "start"), (a.pcap, "full")):
                    res.setdefault((eng, det, name), []).append(run(eng, pc, det, "r"))
    shutil.rmtree(tmp, ignore_errors=True)

    def med(k, i):
        return statistics.median(x[i] for x in res[k])

    pk = subprocess.run(["capinfos", "-c", "-M", a.pcap], capture_output=True, text=True).stdout
    m = re.search(r"Number of packets:\s*(\d+)", pk)
    print("Capture %s (%s packets), all %d enabled ET Open files, 1 thread each, medians of %d "
          "interleaved runs, `%s`" % (os.path.basename(a.pcap), m.group(1) if m else "?",
                                       len(rules), a.runs, " ".join(["bench/vs_suricata.py"] +
                                                                     sys.argv[1:])))
    print()
    print("| | Vigil | Suricata 7.0.10 |")
    print("|---|---|---|")
    rows = [
        ("start-up with ET Open (1-packet run), wall s", ("start", True), 0),
        ("full run with ET Open, wall s", ("full", True), 0),
        ("full run with ET Open, CPU s", ("full", True), 1),
        ("full run, detection off, wall s", ("full", False), 0),
        ("full run, detection off, CPU s", ("full", False), 1),
        ("peak memory with ET Open, MiB", ("full", True), 2),
        ("alerts", ("full", True), 3),
    ]
    for label, (name, det), i in rows:
        vals = [med((eng, det, name), i) for eng in ("vigil", "suricata")]
        fmt = "%.0f" if i >= 2 else "%.2f"
        print("| %s | %s | %s |" % (label, fmt % vals[0], fmt % vals[1]))

    def proc(eng, det, i):  # the capture's processing: full run minus the 1-packet run
        return med((eng, det, "full"), i) - med((eng, det, "start"), i)

    for i, unit in ((0, "wall"), (1, "CPU")):
        v, su = proc("vigil", True, i), proc("suricata", True, i)
        print("| processing with ET Open (full − 1-packet run), %s s | %.2f | %.2f |" % (unit, v, su))
        print("| processing rate with ET Open / without, %s | %.0f%% | %.0f%% |" % (
            unit, 100 * proc("vigil", False, i) / max(v, 1e-9),
            100 * proc("suricata", False, i) / max(su, 1e-9)))


if __name__ == "__main__":
    main()
