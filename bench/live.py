#!/usr/bin/env python3
"""Live-capture benchmark: the highest tcpreplay rate at which `vigil live` has no kernel drops.

Test bed as in tests/e2e/test_live.py: a network namespace with a veth pair; the capture is
replayed into one end with `tcpreplay --mbps=R` while `vigil live` listens on the other. For each
configuration (workers x rules) rates are tried from low to high, RUNS times each; a rate passes
when no run had a kernel drop. The alerts of each run are compared with `vigil read` of the same
capture (same rules, same worker count). vigil's user+sys CPU time while it processes the replay
(from "capturing on" to the stop signal, rule loading excluded) is read from /proc. Needs root,
iproute2, tcpreplay; ET Open configurations need ../shared/corpus (skipped without it).

usage: sudo python3 bench/live.py [--build build] [--pcap FILE] [--rates 50,100,200,400,800]
       [--runs 3] [--workers 1,2] [--rules none,et] [--ring 8mb] [--set KEY=VALUE]...
Prints Markdown for bench/RESULTS.md.
"""
import argparse
import collections
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def sh(*cmd, check=True):
    r = subprocess.run(list(cmd), capture_output=True, text=True)
    if check and r.returncode:
        sys.exit("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def corpus_mix(corpus, out):
    """All Ethernet captures of the corpus appended into one (as bench/detect.py makes it)."""
    mix = os.path.join(out, "corpus-mix-x1.pcap")
    if os.path.exists(mix):
        return mix
    eth = []
    for p in sorted(glob.glob(os.path.join(corpus, "pcaps", "**", "*.pcap*"), recursive=True)):
        r = subprocess.run(["capinfos", "-E", "-T", p], capture_output=True, text=True)
        if "\tether" in r.stdout:
            eth.append(p)
    if not eth:
        sys.exit("no Ethernet captures under %s/pcaps (give --pcap)" % corpus)
    sh("mergecap", "-a", "-F", "pcap", "-w", mix, *eth)
    return mix


def alerts_of(logdir):
    c = collections.Counter()
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            e = json.loads(line)
            if e["event_type"] == "alert":
                c[(e["alert"]["signature_id"], e["src_ip"], e["dest_ip"])] += 1
    return c


def final_stats(logdir):
    st = None
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            e = json.loads(line)
            if e["event_type"] == "stats" and e["stats"].get("final"):
                st = e["stats"]
    return st


class Bed:
    def __init__(self):
        self.ns = "vgbench%d" % os.getpid()
        sh("ip", "netns", "add", self.ns)
        sh("ip", "-n", self.ns, "link", "add", "vtx", "type", "veth", "peer", "name", "vrx")
        for i in ("vtx", "vrx"):
            sh("ip", "netns", "exec", self.ns, "sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
            # real captures hold frames up to 64 KB (offloads on the capturing host)
            sh("ip", "-n", self.ns, "link", "set", i, "mtu", "65521", "up")

    def close(self):
        sh("ip", "netns", "del", self.ns, check=False)


def live_run(a, bed, pcap, rate, workers, rules, env):
    logd = tempfile.mkdtemp(prefix="vigil-live-bench-")
    errp = os.path.join(logd, "stderr.txt")
    errf = open(errp, "w")
    cmd = ["ip", "netns", "exec", bed.ns, a.vigil, "live", "-i", "vrx", "-l", logd, "-k", "none",
           "--no-progress", "--workers", str(workers), "--set", "stats.interval=0",
           "--set", "af-packet.ring-size=" + a.ring] + rules
    for kv in a.set:
        cmd += ["--set", kv]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, text=True, env=env)
    t0 = time.time()
    while "capturing on" not in open(errp).read():
        if p.poll() is not None or time.time() - t0 > 300:
            sys.exit("vigil live did not start: " + open(errp).read())
        time.sleep(0.2)
    cpu0 = cpu_seconds(p.pid)  # rule loading and start-up not counted
    speed = ["--topspeed"] if rate == 0 else ["--mbps=%g" % rate]
    r = sh("ip", "netns", "exec", bed.ns, "tcpreplay", "-i", "vtx", *speed, pcap)
    sent = failed = 0
    mbps = 0.0
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("Rated:"):
            mbps = float(line.split(",")[1].split()[0])
        if line.startswith("Successful packets:"):
            sent = int(line.split()[-1])
        if line.startswith("Failed packets:"):
            failed = int(line.split()[-1])
    time.sleep(1.0)
    cpu = cpu_seconds(p.pid) - cpu0  # the capture processed; the stop itself not counted
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=600)
    errf.close()
    if p.returncode:
        sys.exit("vigil live exit %d: %s" % (p.returncode, open(errp).read()))
    st = final_stats(logd)
    al = alerts_of(logd)
    shutil.rmtree(logd, ignore_errors=True)
    return {"sent": sent, "failed": failed, "mbps": mbps, "kp": st["capture"]["kernel_packets"],
            "kd": st["capture"]["kernel_drops"], "alerts": al, "cpu": cpu}


def cpu_seconds(pid):
    """user + sys CPU time of a process so far (`ip netns exec` execs vigil: same pid)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_alerts(a, pcap, workers, rules, env):
    logd = tempfile.mkdtemp(prefix="vigil-read-bench-")
    sh(a.vigil, "read", pcap, "-l", logd, "-k", "none", "--no-progress", "-q", "--workers",
       str(workers), *rules)
    al = alerts_of(logd)
    shutil.rmtree(logd, ignore_errors=True)
    return al


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--pcap")
    ap.add_argument("--rates", default="100,200,400,800,1600,0",
                    help="Mbit/s asked of tcpreplay; 0 = --topspeed")
    ap.add_argument("--ring", default="8mb",
                    help="af-packet.ring-size: smaller than the capture, or nothing can drop")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--rules", default="none,et")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="configuration for vigil live, e.g. af-packet.fanout=no (the reader "
                         "thread instead of one socket per worker)")
    a = ap.parse_args()
    a.vigil = os.path.join(a.build, "vigil")
    if os.geteuid() != 0:
        sys.exit("needs root (network namespace, packet sockets)")
    out = os.path.join(HERE, "out")
    os.makedirs(out, exist_ok=True)
    pcap = a.pcap or corpus_mix(a.corpus, out)
    et = sorted(glob.glob(os.path.join(a.corpus, "rules", "et-open-2024", "*.rules")))
    cache = tempfile.mkdtemp(prefix="vigil-hscache-")
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    cap = sh("capinfos", "-c", "-d", "-M", pcap).stdout
    info = dict((l.split(":", 1)[0].strip(), l.split(":", 1)[1].strip())
                for l in cap.splitlines() if ":" in l)
    print("capture %s: %s packets, %s" % (os.path.basename(pcap), info.get("Number of packets"),
                                          info.get("Data size")))
    print("command: `sudo python3 bench/live.py %s`\n" % " ".join(sys.argv[1:]))
    if a.set:
        print("vigil live --set %s\n" % " --set ".join(a.set))
    print("ring %s per socket (per interface, and per worker with fanout); rate: asked of tcpreplay (top = --topspeed) and achieved (median)\n"
          % a.ring)
    print("| workers | rules | Mbit/s asked | achieved | runs: kernel drops / kernel packets | alerts live / read | vigil CPU s (user+sys), runs |")
    print("|---|---|---|---|---|---|---|")
    best = {}
    bed = Bed()
    try:
        for rules_name in a.rules.split(","):
            if rules_name == "et":
                if not et:
                    print("| - | ET Open | - | skipped: no corpus | - |")
                    continue
                rules = []
                for r in et:
                    rules += ["-S", r]
            else:
                rules = ["--disable-detection"]
            for w in [int(x) for x in a.workers.split(",")]:
                ref = read_alerts(a, pcap, w, rules, env)
                for rate in [float(x) for x in a.rates.split(",")]:
                    runs = [live_run(a, bed, pcap, rate, w, rules, env) for _ in range(a.runs)]
                    drops = " ".join("%d/%d" % (r["kd"], r["kp"]) for r in runs)
                    same = " ".join("%d/%d%s" % (sum(r["alerts"].values()), sum(ref.values()),
                                                 "" if r["alerts"] == ref else "≠") for r in runs)
                    fails = sum(r["failed"] for r in runs)
                    ach = sorted(r["mbps"] for r in runs)[len(runs) // 2]
                    cpu = " ".join("%.2f" % r["cpu"] for r in runs)
                    print("| %d | %s | %s | %.0f | %s%s | %s | %s |" % (
                        w, "ET Open" if rules_name == "et" else "none",
                        "top" if rate == 0 else "%g" % rate, ach, drops,
                        " (tcpreplay failed %d)" % fails if fails else "", same, cpu), flush=True)
                    if all(r["kd"] == 0 for r in runs):
                        best[(w, rules_name)] = rate
                    else:
                        break  # higher rates only drop more
    finally:
        bed.close()
        shutil.rmtree(cache, ignore_errors=True)
    print()
    for (w, rn), rate in sorted(best.items()):
        print("- %d worker(s), %s: no kernel drops up to %s" % (
            w, "ET Open" if rn == "et" else "no rules",
            "tcpreplay's top speed" if rate == 0 else "%g Mbit/s" % rate))


if __name__ == "__main__":
    main()
