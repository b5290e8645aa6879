#!/usr/bin/env python3
"""Behavioural detectors on the real captures of ../shared/corpus/pcaps (label corpus).

Runs `vigil read` on every capture (signatures off: only the detectors) and reports, per capture,
the behave alerts (gid 9): signature, attacker, victim, numbers. Checks, by the corpus's own
folders (never by file name):
  - baseline/: ordinary traffic raises no behavioural alert;
  - no capture raises a flood of behavioural alerts (at most --max-per-capture);
  - scan/, bruteforce/, ddos/: at least one capture of the folder raises the folder's detector
    (scanning, brute-force, denial-of-service), with the attacker on the alert's sending side;
  - a capture that raised alerts raises the same ones with --workers 1 (determinism).
Exits 77 (skipped) when the corpus is absent. --report FILE writes the table as Markdown.

usage: behave_corpus.py --vigil PATH --corpus DIR [--report FILE] [--workers N]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

EXPECT = {"scan": "scanning", "bruteforce": "brute-force", "ddos": "denial-of-service"}
EXTS = (".pcap", ".pcapng", ".cap")


def run(vigil, path, workers):
    with tempfile.TemporaryDirectory() as d:
        cmd = [vigil, "read", path, "-l", d, "-q", "--no-progress", "-k", "none",
               "--disable-detection", "--set", "outputs.eve.types.flow=false",
               "--set", "outputs.eve.types.app=false", "--set", "outputs.eve.types.anomaly=false"]
        if workers:
            cmd += ["--workers", str(workers)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
        alerts = []
        eve = os.path.join(d, "eve.json")
        if os.path.exists(eve):
            for line in open(eve):
                e = json.loads(line)
                if e["event_type"] == "alert" and e["alert"]["gid"] == 9:
                    alerts.append(e)
        return r.returncode, alerts, r.stderr.strip().splitlines()[-1:] if r.returncode else []


def alert_key(e):
    return (e["timestamp"], e["alert"]["signature_id"], e["src_ip"], e["dest_ip"],
            json.dumps(e["behave"], sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vigil", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--report")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-per-capture", type=int, default=20)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print("skipped: no corpus at %s" % a.corpus)
        return 77
    rows, failed = [], []
    hit = collections.defaultdict(int)
    for folder in sorted(os.listdir(a.corpus)):
        fdir = os.path.join(a.corpus, folder)
        if not os.path.isdir(fdir):
            continue
        for name in sorted(os.listdir(fdir)):
            if not name.endswith(EXTS):
                continue
            path = os.path.join(fdir, name)
            rc, alerts, err = run(a.vigil, path, a.workers)
            rel = "%s/%s" % (folder, name)
            if rc not in (0, 1):
                failed.append("%s: vigil exit %d %s" % (rel, rc, err))
                continue
            summary = []
            for e in alerts:
                v = e.get("vigil", {})
                summary.append("%d %s %s -> %s" % (
                    e["alert"]["signature_id"], e["behave"].get("kind", e["behave"]["detector"]),
                    v.get("attacker", {}).get("ip", e["src_ip"]),
                    v.get("victim", {}).get("ip", e["dest_ip"])))
                cat = v.get("category")
                if EXPECT.get(folder) == cat and v["attacker"]["ip"] == e["src_ip"]:
                    hit[folder] += 1
            rows.append((rel, len(alerts), "; ".join(summary[:6]) + (" ..." if len(summary) > 6 else "")))
            print("%-70s %3d  %s" % (rel, len(alerts), rows[-1][2]))
            if folder == "baseline" and alerts:
                failed.append("%s: baseline capture raised %d behave alerts" % (rel, len(alerts)))
            if alerts:
                _, again, _ = run(a.vigil, path, 1)
                if sorted(map(alert_key, again)) != sorted(map(alert_key, alerts)):
                    failed.append("%s: --workers 1 and %d differ" % (rel, a.workers))
            if len(alerts) > a.max_per_capture:
                failed.append("%s: %d behave alerts (more than %d)" % (rel, len(alerts),
                                                                       a.max_per_capture))
    for folder, cat in EXPECT.items():
        if os.path.isdir(os.path.join(a.corpus, folder)) and not hit[folder]:
            failed.append("%s/: no capture raised a %s alert" % (folder, cat))
    if a.report:
        with open(a.report, "w") as f:
            f.write("| capture | behave alerts | what fired (sid kind attacker -> victim) |\n")
            f.write("|---|---|---|\n")
            for rel, n, s in rows:
                f.write("| %s | %d | %s |\n" % (rel, n, s.replace("|", "/")))
    for f in failed:
        print("FAIL " + f)
    print("%d captures, %d with behave alerts" % (len(rows), sum(1 for r in rows if r[1])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
