#!/usr/bin/env bash
# The README's first command: install what is missing, build, generate a sample capture, and run
# `vigil read` on it with the default configuration; then show what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
mkdir -p samples vigil-logs
build/vigil-gen --flows 2000 --seed 1 -o samples/sample.pcap
rm -f vigil-logs/eve.json
build/vigil read samples/sample.pcap -l vigil-logs
echo
echo "Events by type in vigil-logs/eve.json:"
python3 - <<'PY'
import json, collections
c = collections.Counter(json.loads(l)["event_type"] for l in open("vigil-logs/eve.json"))
for k, v in sorted(c.items(), key=lambda kv: -kv[1]):
    print(f"  {k:10} {v}")
PY
