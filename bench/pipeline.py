#!/usr/bin/env python3
"""Packet-path benchmark: read-only, decode, decode+flow and the full pipeline, per worker count,
on synthetic captures made by vigil-gen (bench/out/synthetic-<mix>-<size>.pcap, made when missing).

usage: bench/pipeline.py [--build build] [--size 1G] [--mix web,attack] [--runs 5]
                         [--workers 1,2] [--pcap FILE] [--threads]

Mixes (vigil-gen --mix): "web" is ~9 packets per flow, ~520 bytes per packet (HTTP/TLS sessions
dominate the bytes); "attack" is ~3 packets per flow, ~290 bytes per packet, like the attack
captures in PERFORMANCE.md (flow set-up, expiry and flow events dominate).

Runs are interleaved (every configuration once, then again, --runs times) so that a burst of load
from elsewhere on the machine hits all configurations alike; the table gives medians of
whole-process wall time. Before and after, a two-thread spin test measures how much of the
machine's 2 CPUs this process actually gets: if it is well below 2.0 the host is busy and the
worker-scaling ratio is not meaningful. Each row also gives the median CPU time (user+sys) of
the process, which load elsewhere disturbs much less; --threads adds one run per configuration
under `perf record` and splits the CPU time between the reader, workers and output thread.
Prints Markdown.
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STAGES = ["read", "decode", "flow", "all"]


def vigil_cmd(vigil, pcap, d, stage, workers):
    return [vigil, "read", pcap, "-l", d, "-k", "none", "--no-progress", "--workers",
            str(workers), "--stage", stage]


def run(vigil, pcap, stage, workers):
    """Wall seconds, CPU seconds (user+sys of the process), packets, bytes, flows."""
    d = tempfile.mkdtemp(prefix="vigil-bench-")
    cmd = vigil_cmd(vigil, pcap, d, stage, workers)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    el = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    shutil.rmtree(d, ignore_errors=True)
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    m = re.search(r"vigil: (\d+) packets \(([\d.]+) MB\)", r.stdout)
    f = re.search(r"vigil: (\d+) flows", r.stdout)
    return el, cpu, int(m.group(1)), float(m.group(2)) * 1e6, int(f.group(1)) if f else 0


def thread_cpu(vigil, pcap, stage, workers, hz=4999):
    """CPU seconds per thread (reader "vigil", "vg-worker<N>", "vg-output") from perf samples."""
    d = tempfile.mkdtemp(prefix="vigil-bench-")
    data = os.path.join(d, "perf.data")
    subprocess.run(["perf", "record", "-q", "-F", str(hz), "-o", data, "--"] +
                   vigil_cmd(vigil, pcap, os.path.join(d, "log"), stage, workers),
                   capture_output=True, check=True)
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "-s", "comm",
                          "-F", "sample,comm", "--stdio"], capture_output=True, text=True,
                         check=True).stdout
    shutil.rmtree(d, ignore_errors=True)
    out = {}
    for line in rep.splitlines():
        f = line.split()
        if len(f) == 2 and not line.startswith("#") and f[0].isdigit():
            name = "reader" if f[1] not in ("vg-output",) and not f[1].startswith("vg-") \
                else f[1]
            out[name] = out.get(name, 0) + int(f[0]) / hz
    return out


def cpus_available(seconds=0.3):
    """CPU seconds two busy processes get per wall second (2.0 on an idle 2-core machine)."""
    code = "import time\nt=time.process_time()+%f\nwhile time.process_time()<t: pass\n" % seconds
    t0 = time.perf_counter()
    ps = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
    for p in ps:
        p.wait()
    return 2 * seconds / (time.perf_counter() - t0)


def ensure_pcap(build, mix, size):
    pcap = os.path.join(HERE, "out", "synthetic-%s-%s.pcap" % (mix, size))
    if not os.path.exists(pcap):
        os.makedirs(os.path.dirname(pcap), exist_ok=True)
        subprocess.run([os.path.join(build, "vigil-gen"), "--size", size, "--seed", "1",
                        "--window", "512", "--mix", mix, "-o", pcap], check=True)
    return pcap


def bench(vigil, pcap, workers, runs):
    configs = [(s, w) for s in STAGES for w in (workers if s != "read" else [1])]
    times = {c: [] for c in configs}
    cpus = {c: [] for c in configs}
    info = {}
    for _ in range(runs):
        for c in configs:
            el, cpu, pk, by, fl = run(vigil, pcap, *c)
            times[c].append(el)
            cpus[c].append(cpu)
            info["packets"], info["bytes"] = pk, by
            if c[0] == "flow":
                info["flows"] = fl
    info["cpu"] = {c: statistics.median(v) for c, v in cpus.items()}
    return {c: statistics.median(v) for c, v in times.items()}, info


def report(name, pcap, med, info, workers):
    pk, by = info["packets"], info["bytes"]
    print("### %s: `%s`" % (name, os.path.relpath(pcap, ROOT)))
    print()
    print("%.0f MB, %d packets (%.0f bytes/packet), %d flows (%.1f packets/flow)" % (
        os.path.getsize(pcap) / 1e6, pk, by / pk, info.get("flows", 0),
        pk / info["flows"] if info.get("flows") else 0))
    print()
    print("| stage | workers | seconds | Mpkt/s | Gbit/s | rate vs read | CPU s (user+sys) |")
    print("|---|---|---|---|---|---|---|")
    rd = med[("read", 1)]
    for (stage, w), t in med.items():
        print("| %s | %d | %.3f | %.2f | %.2f | %.0f%% | %.3f |" % (
            stage, w, t, pk / t / 1e6, by * 8 / t / 1e9, 100 * rd / t, info["cpu"][(stage, w)]))
    print()
    if info.get("threads"):
        print("CPU seconds per thread (perf samples, one run each; reader = the main thread):")
        print()
        names = sorted({n for v in info["threads"].values() for n in v})
        print("| stage | workers | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for (stage, w), v in info["threads"].items():
            print("| %s | %d | " % (stage, w) +
                  " | ".join("%.3f" % v.get(n, 0) for n in names) + " |")
        print()
    for w in workers:
        print("- decode+flow, %d worker(s): **%.0f%%** of the read-only rate (target >= 70%%)" % (
            w, 100 * rd / med[("flow", w)]))
    if len(workers) > 1:
        hi = workers[-1]
        for stage in ("decode", "flow", "all"):
            print("- %s: %d workers / 1 worker = **%.2fx** (target >= 1.8x)" % (
                stage, hi, med[(stage, 1)] / med[(stage, hi)]))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--size", default="1G")
    ap.add_argument("--mix", default="web,attack")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--pcap", help="a capture of your own instead of the synthetic ones")
    ap.add_argument("--threads", action="store_true",
                    help="also one run per configuration under perf record: CPU per thread")
    a = ap.parse_args()
    vigil = os.path.join(a.build, "vigil")
    workers = [int(w) for w in a.workers.split(",")]
    jobs = [("capture", a.pcap)] if a.pcap else [
        (mix, ensure_pcap(a.build, mix, a.size)) for mix in a.mix.split(",")]
    before = cpus_available()
    results = [(name, pcap) + bench(vigil, pcap, workers, a.runs) for name, pcap in jobs]
    after = cpus_available()
    if a.threads:
        for name, pcap, med, info in results:
            info["threads"] = {c: thread_cpu(vigil, pcap, *c) for c in med}
    print("`%s` — median of %d interleaved runs; CPUs available to a 2-thread spin test: "
          "%.2f before, %.2f after (2.00 = idle 2-core machine)" % (
              " ".join(["bench/pipeline.py"] + sys.argv[1:]), a.runs, before, after))
    print()
    for name, pcap, med, info in results:
        report(name, pcap, med, info, workers)


if __name__ == "__main__":
    main()
