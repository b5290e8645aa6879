#!/usr/bin/env python3
"""Desk tool (not a test): every corpus capture read by Vigil and by the Suricata installed on
this machine (no rules, `-k none`, single runmode, Debian's suricata.yaml), and their `flow`
events compared flow by flow: protocol, both ends, packets and bytes each way, app_proto (ends
ordered, so a flow oriented the other way still meets its twin; the orientation itself is
compared by eye with --show). Prints the captures that differ and the total of equal flows.

With --state, a flow also needs the same TCP state (`tcp.state`) and flow state
(`flow.state`) to count as equal.

usage: flows_vs_suricata.py --vigil PATH [--corpus DIR] [--suricata PATH] [--show N] [--state]
"""
import argparse
import collections
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile


STATE = False


def flows(path):
    out = collections.Counter()
    for line in open(path) if os.path.exists(path) else []:
        e = json.loads(line)
        if e.get("event_type") != "flow":
            continue
        a, b = (e["src_ip"], e.get("src_port") or 0), (e["dest_ip"], e.get("dest_port") or 0)
        f = e["flow"]
        c = (f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"])
        if a > b:
            a, b, c = b, a, (c[1], c[0], c[3], c[2])
        k = (e["proto"], a, b, c, e.get("app_proto"))
        if STATE:
            k += (e.get("tcp", {}).get("state"), f.get("state"))
        out[k] += 1
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--suricata", default="suricata")
    ap.add_argument("--show", type=int, default=0, help="print up to N differing flows per capture")
    ap.add_argument("--state", action="store_true", help="compare the TCP and flow states too")
    a = ap.parse_args()
    global STATE
    STATE = a.state
    base = os.path.join(a.corpus, "pcaps")
    if not os.path.isdir(base) or shutil.which(a.suricata) is None:
        print("corpus or suricata absent")
        return 77
    total, same = 0, 0
    for p in sorted(glob.glob(os.path.join(base, "**", "*.pcap*"), recursive=True)):
        d = tempfile.mkdtemp(prefix="vigil-fvs-")
        os.makedirs(os.path.join(d, "s"))
        os.makedirs(os.path.join(d, "v"))
        subprocess.run([a.suricata, "--runmode", "single", "-r", p, "-l", os.path.join(d, "s"),
                        "-k", "none", "-S", "/dev/null"], capture_output=True)
        subprocess.run([a.vigil, "read", p, "-l", os.path.join(d, "v"), "-k", "none", "-q",
                        "--set", "behave.enabled=false", "-S", "/dev/null"], capture_output=True)
        s, v = flows(os.path.join(d, "s", "eve.json")), flows(os.path.join(d, "v", "eve.json"))
        shutil.rmtree(d, ignore_errors=True)
        total += sum(s.values())
        same += sum((s & v).values())
        if s != v:
            print("%s: Suricata %d flows, Vigil %d, equal %d" % (
                os.path.relpath(p, base), sum(s.values()), sum(v.values()), sum((s & v).values())))
            for k in list((s - v).elements())[:a.show]:
                print("   only Suricata", k)
            for k in list((v - s).elements())[:a.show]:
                print("   only Vigil   ", k)
    print("%d of %d of Suricata's flows equal in Vigil" % (same, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
