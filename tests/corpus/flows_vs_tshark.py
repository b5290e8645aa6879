#!/usr/bin/env python3
"""Corpus check: on every capture under the corpus folder, the TCP and UDP conversations Vigil
reports agree with tshark's (`tshark -q -z conv,tcp -z conv,udp`), and vigil exits cleanly (the
dev build runs under ASan/UBSan, so a memory error or leak fails the run).

tshark counts conversations by address/port pair over the whole capture; Vigil ends a flow on
timeout or TCP port reuse and may start another on the same pair. So the comparison is on the
SET of unordered (address, port, address, port) pairs per protocol; raw flow counts are printed
beside it. Exit 77 (CTest skip) when the corpus is absent.

usage: flows_vs_tshark.py --vigil PATH [--corpus DIR] [--report FILE]
"""
import argparse
import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def pair(a, ap, b, bp):
    x, y = (norm_ip(a), int(ap)), (norm_ip(b), int(bp))
    return (x, y) if x <= y else (y, x)


CONV_RE = re.compile(r"^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s")


def tshark_pairs(path):
    r = subprocess.run(["tshark", "-n", "-q", "-r", path, "-z", "conv,tcp", "-z", "conv,udp"],
                       capture_output=True, text=True, timeout=600)
    out = {"TCP": set(), "UDP": set()}
    cur = None
    for line in r.stdout.splitlines():
        if line.startswith("TCP Conversations"):
            cur = "TCP"
        elif line.startswith("UDP Conversations"):
            cur = "UDP"
        m = CONV_RE.match(line)
        if cur and m:
            a, ap, b, bp = m.groups()
            a, b = a.strip("[]"), b.strip("[]")
            out[cur].add(pair(a, ap, b, bp))
    return out


def vigil_pairs(vigil, path, workdir):
    d = tempfile.mkdtemp(dir=workdir)
    r = subprocess.run([vigil, "read", "-k", "none", "--no-progress", "-q", path, "-l", d],
                       capture_output=True, text=True, timeout=1200)
    out = {"TCP": set(), "UDP": set()}
    nflows = {"TCP": 0, "UDP": 0}
    ev = os.path.join(d, "eve.json")
    if os.path.exists(ev):
        for line in open(ev):
            e = json.loads(line)
            if e.get("event_type") == "flow" and e.get("proto") in out:
                out[e["proto"]].add(pair(e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"]))
                nflows[e["proto"]] += 1
    shutil.rmtree(d, ignore_errors=True)
    return r, out, nflows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus", "pcaps"))
    ap.add_argument("--report")
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print("corpus not found at %s: skipped" % a.corpus)
        return 77
    if not shutil.which("tshark"):
        print("tshark not installed: skipped")
        return 77
    files = sorted(f for f in glob.glob(os.path.join(a.corpus, "**", "*"), recursive=True)
                   if f.endswith((".pcap", ".pcapng", ".cap")))
    work = tempfile.mkdtemp(prefix="vigil-corpus-")
    bad, rows = [], []
    for f in files:
        rel = os.path.relpath(f, a.corpus)
        r, vp, nf = vigil_pairs(a.vigil, f, work)
        tp = tshark_pairs(f)
        if r.returncode not in (0, 1) or "Sanitizer" in r.stderr or "runtime error" in r.stderr:
            bad.append("%s: vigil exit %d: %s" % (rel, r.returncode, r.stderr[-2000:]))
        diffs = []
        for proto in ("TCP", "UDP"):
            if vp[proto] != tp[proto]:
                only_v, only_t = vp[proto] - tp[proto], tp[proto] - vp[proto]
                diffs.append("%s vigil %d tshark %d (only vigil %s, only tshark %s)" % (
                    proto, len(vp[proto]), len(tp[proto]), sorted(only_v)[:2], sorted(only_t)[:2]))
        rows.append((rel, len(vp["TCP"]), len(tp["TCP"]), len(vp["UDP"]), len(tp["UDP"]),
                     nf["TCP"], nf["UDP"], r.returncode))
        if diffs:
            bad.append("%s: %s" % (rel, "; ".join(diffs)))
    shutil.rmtree(work, ignore_errors=True)
    lines = ["| capture | TCP pairs vigil/tshark | UDP pairs vigil/tshark | vigil flows TCP/UDP | exit |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append("| %s | %d/%d | %d/%d | %d/%d | %d |" % row)
    agree = sum(1 for row in rows if row[1] == row[2] and row[3] == row[4])
    lines.append("")
    lines.append("%d of %d captures agree with tshark on TCP and UDP conversations." % (agree, len(rows)))
    text = "\n".join(lines)
    if a.report:
        open(a.report, "w").write(text + "\n")
    print(text)
    for b in bad:
        print("MISMATCH " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
