#!/usr/bin/env bash
# Cost of attribution: processing time of the corpus mix with all ET Open rules, attribution on
# and off, minus each mode's start-up (a one-packet run); medians of RUNS interleaved runs.
# usage: bench/attrib.sh [RUNS]   (needs bench/out/corpus-mix-x4.pcap from bench/detect.py)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
R=(); for f in ../shared/corpus/rules/et-open-2024/*.rules; do R+=(-S "$f"); done
t() { /usr/bin/time -f %e build/vigil read "$1" -l /tmp/vigil-bench-attrib -k none -q --workers 1 \
        --set attribution.enabled="$2" "${R[@]}" 2>&1 >/dev/null | tail -1; rm -rf /tmp/vigil-bench-attrib; }
for i in $(seq "$RUNS"); do
  for m in true false; do
    echo "$m $(t bench/out/corpus-mix-x4.pcap $m) $(t bench/out/one-packet.pcap $m)"
  done
done | python3 -c '
import sys, statistics
d = {"true": [], "false": []}
for line in sys.stdin:
    m, full, start = line.split()
    d[m].append(float(full) - float(start))
on, off = statistics.median(d["true"]), statistics.median(d["false"])
print("processing (start-up excluded): attribution on %.2f s, off %.2f s; throughput ratio %.1f%%, cost %.1f%%" % (on, off, 100 * off / on, 100 * (on - off) / off))'
