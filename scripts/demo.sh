#!/usr/bin/env bash
# The README's first command: install what is missing, build, generate a sample capture, and run
# `vigil read` on it with the default configuration; then show what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
mkdir -p samples vigil-logs
build/vigil-gen --flows 2000 --seed 1 -o samples/background.pcap   # ordinary traffic
python3 scripts/make_attacks.py samples/attacks.pcap                 # attacks on a made-up network
# A fresh start each time (a store shared across runs keeps earlier runs: docs/STORE.md).
rm -rf vigil-logs/eve.json vigil-logs/fast.log vigil-logs/vigil.db* vigil-logs/evidence
# --evidence: the packets of every alerted flow and the signed ledger (docs/EVIDENCE.md); the
# demo keeps its signing key beside the logs rather than in ~/.config/vigil.
build/vigil read samples/background.pcap samples/attacks.pcap -l vigil-logs \
    --evidence --set evidence.key-dir=vigil-logs/keys
echo
echo "Events by type in vigil-logs/eve.json:"
python3 - <<'PY'
import json, collections
ev = [json.loads(l) for l in open("vigil-logs/eve.json")]
for k, v in collections.Counter(e["event_type"] for e in ev).most_common():
    print(f"  {k:10} {v}")
print("\nAlerts (vigil-logs/fast.log has one line each):")
for (sig, src, dst), n in collections.Counter(
        (e["alert"]["signature"], e["src_ip"], e["dest_ip"]) for e in ev
        if e["event_type"] == "alert").most_common():
    print(f"  {n:3}  {sig}  {src} -> {dst}")
PY
# The quantified picture from the event store (vigil-logs/vigil.db; docs/STORE.md): Markdown
# shown here up to the origins, and the same report with charts as one offline HTML file.
build/vigil report vigil-logs -o vigil-logs/report.md
build/vigil report vigil-logs -o vigil-logs/report.html
build/vigil report vigil-logs -o vigil-logs/report.json
echo
echo "From vigil-logs/report.md (all of it there; with charts in vigil-logs/report.html):"
awk '/^## Origins by autonomous system/ {exit} {print "  " $0}' vigil-logs/report.md
echo
echo "Evidence: $(ls vigil-logs/evidence | grep -c '\.pcap$') pcaps of alerted flows and a signed ledger; anyone"
echo "with vigil-logs/keys/sensor.pub can check them:"
build/vigil verify vigil-logs --pubkey vigil-logs/keys/sensor.pub | sed 's/^/  /'
