#!/usr/bin/env python3
"""Make an ET Open alert reference with the Suricata installed on this machine (a desk tool, never
a dependency of the project): runs `suricata --runmode single -k none` with Debian's default
suricata.yaml, its rule-files replaced by every file of the corpus's et-open-2024, on every capture
of the corpus, and writes one TSV row per alert in the format of
../shared/corpus/expected/suricata7-et-open-alerts.tsv. `et_parity.py --reference FILE` then
compares Vigil against it instead of the shipped reference.

Why: the shipped reference is one run made elsewhere; running the same Suricata version here
shows which of its rows a local run reproduces, so that a difference can be told apart as Vigil's
or the reference's.

usage: suricata_et_reference.py --out FILE [--corpus DIR] [--suricata PATH] [--yaml BASE]
(about 20 s per capture: Suricata loads the rules for each run)
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "..", "shared", "corpus"))
    ap.add_argument("--suricata", default="suricata")
    ap.add_argument("--yaml", default="/etc/suricata/suricata.yaml")
    a = ap.parse_args()
    rdir = os.path.realpath(os.path.join(a.corpus, "rules", "et-open-2024"))
    rules = sorted(os.path.basename(r) for r in glob.glob(os.path.join(rdir, "*.rules")))
    if not rules or shutil.which(a.suricata) is None:
        print("corpus or suricata absent")
        return 77
    y = open(a.yaml).read()
    y, n1 = re.subn(r"^default-rule-path:.*$", "default-rule-path: " + rdir, y, flags=re.M)
    y, n2 = re.subn(r"^rule-files:\n(?:[ \t]+- .*\n)+",
                    "rule-files:\n" + "".join("  - %s\n" % r for r in rules), y, flags=re.M)
    if n1 != 1 or n2 != 1:
        sys.exit("%s: no default-rule-path or rule-files list to replace" % a.yaml)
    work = tempfile.mkdtemp(prefix="suri-et-")
    conf = os.path.join(work, "suricata.yaml")
    with open(conf, "w") as f:
        f.write(y)
    base = os.path.join(a.corpus, "pcaps")
    pcaps = sorted(os.path.relpath(p, base)
                   for p in glob.glob(os.path.join(base, "**", "*"), recursive=True)
                   if p.endswith((".pcap", ".pcapng")))
    rows = 0
    with open(a.out, "w") as out:
        out.write("file\tsid\tsignature\tsrc_ip\tsrc_port\tdest_ip\tdest_port\tproto\n")
        for i, rel in enumerate(pcaps):
            d = tempfile.mkdtemp(dir=work)
            r = subprocess.run([a.suricata, "-c", conf, "--runmode", "single", "-k", "none",
                                "-r", os.path.join(base, rel), "-l", d],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print("suricata failed on %s: %s" % (rel, r.stderr[-300:]), file=sys.stderr)
            ev = os.path.join(d, "eve.json")
            for line in open(ev) if os.path.exists(ev) else []:
                e = json.loads(line)
                if e.get("event_type") != "alert":
                    continue
                al = e["alert"]
                out.write("\t".join(str(x) for x in (
                    rel, al["signature_id"], al.get("signature", ""), e.get("src_ip", ""),
                    e.get("src_port", ""), e.get("dest_ip", ""), e.get("dest_port", ""),
                    e.get("proto", ""))) + "\n")
                rows += 1
            out.flush()
            shutil.rmtree(d, ignore_errors=True)
            if sys.stderr.isatty():
                print("\r%d/%d captures, %d alerts" % (i + 1, len(pcaps), rows), end="",
                      file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    print("%d alerts on %d captures -> %s" % (rows, len(pcaps), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
