#!/usr/bin/env python3
"""Corpus check: Vigil with all enabled ET Open rules against the alerts Suricata 7.0.10 raised on
the same captures (../shared/corpus/expected/suricata7-et-open-alerts.tsv).

For every capture named in the corpus (Ethernet captures, as the reference was made), runs
`vigil read -k none -S <every ET rules file>` and compares the set of (capture, sid) pairs, and the
alert counts per pair. Prints agreement and every difference; the differences are explained in
docs/ET_PARITY.md. The agreement is a measurement to track, not a gate (the reference itself can
be wrong). It is a gate that every alert carries Vigil's attribution (category, certainty, both
ends, and a country — "??" when unknown — for the external end): exit 1 otherwise. Exit 77 when
the corpus is absent.

usage: et_parity.py --vigil PATH [--corpus DIR] [--report FILE] [--reference TSV]
"""
import argparse
import collections
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--report")
    ap.add_argument("--reference", help="an alert TSV in the same format instead of the shipped "
                    "one, e.g. made by suricata_et_reference.py with the Suricata on this machine")
    a = ap.parse_args()
    tsv = a.reference or os.path.join(a.corpus, "expected", "suricata7-et-open-alerts.tsv")
    rules = sorted(glob.glob(os.path.join(a.corpus, "rules", "et-open-2024", "*.rules")))
    if not os.path.exists(tsv) or not rules:
        print("corpus absent: skipped")
        return 77
    want = collections.Counter()
    with open(tsv) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            want[(row["file"], int(row["sid"]))] += 1
    pcaps = sorted(os.path.relpath(p, os.path.join(a.corpus, "pcaps"))
                   for p in glob.glob(os.path.join(a.corpus, "pcaps", "**", "*"), recursive=True)
                   if p.endswith((".pcap", ".pcapng")))
    got = collections.Counter()
    unattributed = []
    work = tempfile.mkdtemp(prefix="vigil-et-")
    cmd_rules = []
    for r in rules:
        cmd_rules += ["-S", r]
    for rel in pcaps:
        d = tempfile.mkdtemp(dir=work)
        # signature alerts only: the behavioural detectors (gid 9) have no Suricata counterpart
        r = subprocess.run([a.vigil, "read", "-k", "none", "--no-progress", "-q",
                            "--set", "behave.enabled=false",
                            os.path.join(a.corpus, "pcaps", rel), "-l", d] + cmd_rules,
                           capture_output=True, text=True, timeout=1800)
        if r.returncode not in (0, 1):
            print("ERROR %s: exit %d: %s" % (rel, r.returncode, r.stderr[-500:]))
        ev = os.path.join(d, "eve.json")
        for line in open(ev) if os.path.exists(ev) else []:
            e = json.loads(line)
            if e.get("event_type") == "alert":
                got[(rel, e["alert"]["signature_id"])] += 1
                v = e.get("vigil") or {}
                ends = [v.get("attacker") or {}, v.get("victim") or {}]
                ok = (v.get("category") and v.get("certainty") in ("verified", "spoofable") and
                      all(x.get("ip") for x in ends) and
                      all("country" in x for x in ends if x.get("home") is False))
                if not ok:
                    unattributed.append("%s sid %d: %s" % (rel, e["alert"]["signature_id"], v))
        shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    ws, gs = set(want), set(got)
    both = ws & gs
    lines = ["(capture, sid) pairs: Suricata %d, Vigil %d, both %d (%.1f%% of Suricata's), "
             "only Suricata %d, only Vigil %d" % (len(ws), len(gs), len(both),
                                                  100.0 * len(both) / max(1, len(ws)),
                                                  len(ws - gs), len(gs - ws))]
    same_count = sum(1 for k in both if want[k] == got[k])
    lines.append("pairs with the same alert count: %d of %d" % (same_count, len(both)))
    for k in sorted(ws - gs):
        lines.append("only Suricata: %s sid %d (x%d)" % (k[0], k[1], want[k]))
    for k in sorted(gs - ws):
        lines.append("only Vigil:    %s sid %d (x%d)" % (k[0], k[1], got[k]))
    for k in sorted(both):
        if want[k] != got[k]:
            lines.append("count differs: %s sid %d Suricata %d Vigil %d" % (k[0], k[1], want[k], got[k]))
    lines.append("alerts without complete attribution (category, certainty, both ends, geo of "
                 "the external end): %d" % len(unattributed))
    lines += ["  " + u for u in unattributed[:20]]
    text = "\n".join(lines)
    print(text)
    if a.report:
        open(a.report, "w").write(text + "\n")
    return 1 if unattributed else 0


if __name__ == "__main__":
    sys.exit(main())
