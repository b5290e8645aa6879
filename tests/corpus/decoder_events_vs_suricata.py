#!/usr/bin/env python3
"""Desk tool (not a test): the decoder-event and checksum rules Suricata ships
(/etc/suricata/rules/decoder-events.rules from Debian's suricata package) run by Vigil and by
the Suricata installed on this machine over every corpus capture (`-k none`, single runmode,
Debian's suricata.yaml), and their alerts compared per (capture, sid) with counts. The rules
are read where Suricata installed them, never copied into the project. Prints the pairs that
differ and the totals; exit status 1 when any differs, 77 when Suricata or its rules are absent.

usage: decoder_events_vs_suricata.py --vigil PATH [--corpus DIR] [--suricata PATH]
                                     [--rules FILE]
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


def alerts(eve):
    c = collections.Counter()
    if os.path.exists(eve):
        for line in open(eve):
            e = json.loads(line)
            if e.get("event_type") == "alert":
                c[e["alert"]["signature_id"]] += 1
    return c


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--suricata", default=shutil.which("suricata"))
    ap.add_argument("--rules", default="/etc/suricata/rules/decoder-events.rules")
    a = ap.parse_args()
    if not a.suricata or not os.path.exists(a.rules):
        print("skipped: no suricata or no %s" % a.rules)
        return 77
    caps = sorted(p for p in glob.glob(os.path.join(a.corpus, "pcaps", "**", "*"), recursive=True)
                  if p.endswith((".pcap", ".pcapng", ".cap")))
    tmp = tempfile.mkdtemp(prefix="vg-decev-")
    diff, pairs, totals = [], 0, [0, 0]
    try:
        for cap in caps:
            so, vo = os.path.join(tmp, "s"), os.path.join(tmp, "v")
            for d in (so, vo):
                shutil.rmtree(d, ignore_errors=True)
                os.mkdir(d)
            subprocess.run([a.suricata, "--runmode", "single", "-r", cap, "-S", a.rules, "-l", so,
                            "-k", "none", "-c", "/etc/suricata/suricata.yaml"],
                           capture_output=True)
            subprocess.run([a.vigil, "read", cap, "-S", a.rules, "-l", vo, "-k", "none", "-q",
                            "--no-progress", "--set", "store.enabled=false", "--set",
                            "behave.enabled=false"], capture_output=True)
            s, v = alerts(os.path.join(so, "eve.json")), alerts(os.path.join(vo, "eve.json"))
            name = os.path.relpath(cap, os.path.join(a.corpus, "pcaps"))
            for sid in sorted(set(s) | set(v)):
                pairs += 1
                totals[0] += s[sid]
                totals[1] += v[sid]
                if s[sid] != v[sid]:
                    diff.append((name, sid, s[sid], v[sid]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, sid, sc, vc in diff:
        print("%s sid %d: suricata %d, vigil %d" % (name, sid, sc, vc))
    print("%d captures, %d (capture, sid) pairs, %d with the same count; alerts: suricata %d, "
          "vigil %d" % (len(caps), pairs, pairs - len(diff), totals[0], totals[1]))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
