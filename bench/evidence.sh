#!/usr/bin/env bash
# Cost of evidence capture and the ledger: throughput with --evidence over without, on a vigil-gen
# capture where one rule alerts on ~1% of the flows (HTTP to one host and path: 35% HTTP x 1/5
# hosts x 1/7 paths). Medians of RUNS interleaved runs of the release build, start-up included
# (the same in both modes apart from loading the key).
# usage: bench/evidence.sh [RUNS] [FLOWS]   env: LOGBASE=DIR (where the log directories go,
#        default /tmp; /dev/shm takes the file system out), EXTRA="--set evidence.ring-packets=4"
#        CALLGRIND=N: instead, instructions counted by callgrind (valgrind), one run each with
#        and without, 1 worker, on a capture of N flows (e.g. 30000): free of the noise of other
#        load, but blind to cache misses and to the kernel's work (file creation, writes). Note:
#        valgrind hides the CPU's SHA instructions, so SHA-256 counts several times what it
#        costs on the machine.
#        CACHEGRIND=N: the same with cachegrind's cache simulation (last level 8 MB, about the share
#        of the L3 one process gets here): instructions and last-level data misses, and an
#        estimate of cycles = instructions + 100 x LL data misses (load-independent, but blind to
#        the hardware prefetchers and to the kernel's work).
#        BASE_VIGIL=PATH: also run that binary (e.g. a build of an older commit) in the same
#        interleaved rounds, for a before/after under the same load.
#        DROP_CACHES=1 (root): empty the page cache before every run (see t() below).
#        FIXED_ORDER=1: every round runs off, then on (as before session 12).
#        COPY=1: also run this build with evidence.ring-copy=true (rings keep packet copies, as
#        before they kept references into the capture) in the same rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
FLOWS=${2:-100000}
OUT=bench/out
mkdir -p "$OUT"
PCAP=$OUT/evidence-$FLOWS.pcap
[ -f "$PCAP" ] || build/vigil-gen --flows "$FLOWS" -o "$PCAP" >/dev/null
RULES=$OUT/evidence-1pct.rules
cat > "$RULES" <<'R'
alert http any any -> any any (msg:"bench: 1% of flows"; flow:established,to_server; http.uri; content:"/login.php"; http.host; content:"mail.example.net"; sid:1; rev:1;)
R
KEYS=$(mktemp -d)
build/vigil keygen --out "$KEYS" >/dev/null
if [ -n "${CACHEGRIND:-}" ]; then
  CPCAP=$OUT/evidence-$CACHEGRIND.pcap
  [ -f "$CPCAP" ] || build/vigil-gen --flows "$CACHEGRIND" -o "$CPCAP" >/dev/null
  for bin in build/vigil ${BASE_VIGIL:-}; do
    for m in off on; do
      L=$(mktemp -d -p "${LOGBASE:-/tmp}")
      E=""; [ $m = on ] && E=--evidence
      valgrind --tool=cachegrind --cache-sim=yes --LL=8388608,16,64 \
        --cachegrind-out-file=/dev/null "$bin" read "$CPCAP" -l "$L" -S "$RULES" -q -k none \
        --workers 1 --set evidence.key-dir="$KEYS" ${EXTRA:-} $E 2>&1 >/dev/null |
        tr -d , | awk -v m="$m" -v b="$bin" '/ I *refs:/ {i=$4} /LLd misses:/ {l=$4}
                                             END {print b, m, i, l}'
      rm -rf "$L"
    done
  done > "$OUT/evidence-cachegrind.txt"
  rm -rf "$KEYS"
  python3 - "$OUT/evidence-cachegrind.txt" "$CPCAP" <<'PY'
import sys
d = {}
for l in open(sys.argv[1]):
    b, m, i, ll = l.split()
    d.setdefault(b, {})[m] = (int(i), int(ll))
for b, r in d.items():
    (ioff, loff), (ion, lon) = r["off"], r["on"]
    eoff, eon = ioff + 100 * loff, ion + 100 * lon
    print("%s on %s, 1 worker, cachegrind: instructions %+.1f%% (%d -> %d), LL data misses %d -> %d, "
          "estimated cycles %+.1f%%" % (b, sys.argv[2], 100 * (ion - ioff) / ioff, ioff, ion, loff, lon,
                                         100 * (eon - eoff) / eoff))
PY
  exit 0
fi
if [ -n "${CALLGRIND:-}" ]; then
  CPCAP=$OUT/evidence-$CALLGRIND.pcap
  [ -f "$CPCAP" ] || build/vigil-gen --flows "$CALLGRIND" -o "$CPCAP" >/dev/null
  for m in off on; do
    L=$(mktemp -d -p "${LOGBASE:-/tmp}")
    E=""; [ $m = on ] && E=--evidence
    valgrind --tool=callgrind --callgrind-out-file="$OUT/evidence-callgrind-$m.out" \
      build/vigil read "$CPCAP" -l "$L" -S "$RULES" -q -k none --workers 1 \
      --set evidence.key-dir="$KEYS" ${EXTRA:-} $E 2>&1 >/dev/null |
      sed -n "s/.*Collected : \([0-9]*\).*/$m \1/p"
    rm -rf "$L"
  done > "$OUT/evidence-callgrind.txt"
  rm -rf "$KEYS"
  python3 - "$OUT/evidence-callgrind.txt" "$CPCAP" <<'PY'
import sys
d = dict(l.split() for l in open(sys.argv[1]))
off, on = int(d["off"]), int(d["on"])
print("%s, 1 worker, callgrind: instructions off %d, on %d; ratio %.1f%%, cost %.1f%% (start-up "
      "included, the same in both)" % (sys.argv[2], off, on, 100 * off / on, 100 * (on - off) / off))
PY
  exit 0
fi
LOG=$(mktemp -d -p "${LOGBASE:-/tmp}")
# Each run writes into a new directory, all removed at the end: creating files right after
# deleting a thousand others makes ext4 scan for recently deleted inodes on every create
# (find_inode_bit -> recently_deleted), which measured the file system's state, not Vigil.
N=0
t() {
  N=$((N + 1))
  mkdir -p "$LOG/$N"
  local bin=$1
  shift
  # what the previous run left dirty is written out first, not during this run; as root with
  # DROP_CACHES=1 the page cache is emptied too (then the capture read back in), so that every
  # run starts from the same memory state rather than under the growing cache of the others
  sync
  if [ -n "${DROP_CACHES:-}" ]; then
    echo 1 > /proc/sys/vm/drop_caches
    cat "$PCAP" > /dev/null
  fi
  # a failed run (e.g. the log file system full: every run keeps its directory, about 150 MB,
  # until the end) stops the bench instead of counting as a fast run
  local out
  out=$(/usr/bin/time -f "%e %U %S" "$bin" read "$PCAP" -l "$LOG/$N" -S "$RULES" -q -k none \
        --workers 2 --set evidence.key-dir="$KEYS" ${EXTRA:-} "$@" 2>&1 >/dev/null)
  if grep -q "non-zero status" <<<"$out"; then
    echo "bench/evidence.sh: run $N failed ($bin $*): $out" >&2
    return 1
  fi
  tail -1 <<<"$out"
}
# Rounds alternate the order (off, on / on, off): a run's place in the round changed its time
# by as much as the cost measured (session 12: off first in every round, 14.9%; alternated, see
# bench/RESULTS.md), so neither mode always follows the other.
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ] || [ -n "${FIXED_ORDER:-}" ]; then
    r=$(t build/vigil) || exit 1; echo "off $r"
    r=$(t build/vigil --evidence) || exit 1; echo "on $r"
  else
    r=$(t build/vigil --evidence) || exit 1; echo "on $r"
    r=$(t build/vigil) || exit 1; echo "off $r"
  fi
  if [ -n "${COPY:-}" ]; then
    r=$(t build/vigil --evidence --set evidence.ring-copy=true) || exit 1; echo "copy $r"
  fi
  if [ -n "${BASE_VIGIL:-}" ]; then
    r=$(t "$BASE_VIGIL") || exit 1; echo "base-off $r"
    r=$(t "$BASE_VIGIL" --evidence) || exit 1; echo "base-on $r"
  fi
done > "$OUT/evidence-times.txt"
rm -rf "$LOG"; mkdir -p "$LOG"
build/vigil read "$PCAP" -l "$LOG" -S "$RULES" -q -k none --workers 2 --evidence \
  --set evidence.key-dir="$KEYS" ${EXTRA:-} >/dev/null 2>&1
flows=$(grep -c '"event_type":"flow"' "$LOG/eve.json")
alerted=$(grep -c '"event_type":"evidence"' "$LOG/eve.json")
files=$(ls "$LOG/evidence" | grep -c pcap)
entries=$(wc -l < "$LOG/evidence/ledger.jsonl")
build/vigil verify "$LOG" --pubkey "$KEYS/sensor.pub" >/dev/null && ok=verified || ok="VERIFY FAILED"
rm -rf "$LOG" "$KEYS"
python3 - "$OUT/evidence-times.txt" "$flows" "$alerted" "$files" "$entries" "$ok" "$PCAP" <<'PY'
import os, statistics, sys
d, cpu = {}, {}
for line in open(sys.argv[1]):
    m, e, u, s = line.split()
    d.setdefault(m, []).append(float(e))
    cpu.setdefault(m, []).append(float(u) + float(s))
on, off = statistics.median(d["on"]), statistics.median(d["off"])
con, coff = statistics.median(cpu["on"]), statistics.median(cpu["off"])
flows, alerted, files, entries, ok, pcap = sys.argv[2:8]
print("%s (%.0f MB): %s flows, %s alerted (%.2f%%), %s pcaps, %s ledger entries, %s" %
      (pcap, os.path.getsize(pcap) / 1e6, flows, alerted, 100 * int(alerted) / int(flows), files, entries, ok))
print("log under %s, %s" % (os.environ.get("LOGBASE", "/tmp"), os.environ.get("EXTRA", "defaults")))
print("elapsed, median of %d: evidence off %.2f s, on %.2f s; throughput with/without %.1f%%, cost %.1f%%" %
      (len(d["on"]), off, on, 100 * off / on, 100 * (on - off) / off))
print("CPU time (user+sys, less sensitive to other load): off %.2f s, on %.2f s; ratio %.1f%%, cost %.1f%%" %
      (coff, con, 100 * coff / con, 100 * (con - coff) / coff))
print("  per run, off: %s; on: %s" % (" ".join("%.2f" % x for x in cpu["off"]),
                                      " ".join("%.2f" % x for x in cpu["on"])))
if len(d["on"]) > 1 and not os.environ.get("FIXED_ORDER"):
    # rounds 1, 3, ... ran off first; 2, 4, ... on first
    for first, sl in (("off", slice(0, None, 2)), ("on", slice(1, None, 2))):
        e_on, e_off = statistics.median(d["on"][sl]), statistics.median(d["off"][sl])
        print("  rounds with %s first (%d): elapsed cost %.1f%%" %
              (first, len(d["on"][sl]), 100 * (e_on - e_off) / e_off))
if "base-on" in cpu:
    bon, boff = statistics.median(cpu["base-on"]), statistics.median(cpu["base-off"])
    print("BASE_VIGIL, same rounds: CPU off %.2f s, on %.2f s; ratio %.1f%%, cost %.1f%%" %
          (boff, bon, 100 * boff / bon, 100 * (bon - boff) / boff))
if "copy" in cpu:
    cc = statistics.median(cpu["copy"])
    print("COPY (evidence.ring-copy=true), same rounds: CPU on %.2f s; ratio %.1f%%, cost %.1f%%" %
          (cc, 100 * coff / cc, 100 * (cc - coff) / coff))
# The same rounds paired: each round's on/off, then the median and quartiles of those (the load
# of the other engineers changes from round to round more than within one).
for on_, off_, label in (("on", "off", "this build"), ("copy", "off", "COPY"),
                         ("base-on", "base-off", "BASE_VIGIL")):
    if on_ in cpu:
        r = sorted(a / b - 1 for a, b in zip(cpu[on_], cpu[off_]))
        q = statistics.quantiles(r, n=4) if len(r) > 1 else [r[0]] * 3
        print("%s, CPU cost per round (on/off in the same round): median %+.1f%%, quartiles "
              "%+.1f%% .. %+.1f%%" % (label, 100 * statistics.median(r), 100 * q[0], 100 * q[2]))
PY
