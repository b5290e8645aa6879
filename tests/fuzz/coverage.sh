#!/usr/bin/env bash
# coverage.sh — line and branch coverage of each harness's target code, from clang source-based
# coverage (llvm-profdata-14 / llvm-cov-14 from Debian's llvm-14 package:
# `apt-get install llvm-14`). Builds the replay binaries without sanitizers in build-fuzz-cov,
# replays the seed corpus and crash inputs (plus, with WITH_LONG=1, what run-long.sh found in
# build-fuzz/tests/fuzz/work-long), and prints one summary line per harness.
#
#   tests/fuzz/coverage.sh                # seeds only
#   WITH_LONG=1 tests/fuzz/coverage.sh    # seeds + long-run corpora
#   FUZZ_HARNESSES="geo" tests/fuzz/coverage.sh   # some harnesses only
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build-fuzz-cov"
PROFDATA="${PROFDATA:-llvm-profdata-14}"
COV="${COV:-llvm-cov-14}"
command -v "$PROFDATA" >/dev/null || { echo "need $PROFDATA (apt-get install llvm-14)"; exit 2; }

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DVG_FUZZ=ON \
      -DVG_FUZZ_COVERAGE=ON >/dev/null
cmake --build "$build" --target fuzz-all -j"$(nproc)" >/dev/null

# Which sources each harness is about (the denominator of its coverage).
declare -A files=(
  [decode]="$(ls "$root"/src/decode/*.c | grep -v defrag.c)"
  [defrag]="$root/src/decode/defrag.c"
  [stream]="$(ls "$root"/src/stream/*.c)"
  [app_http]="$(ls "$root"/src/app/app_http.c "$root"/src/app/http_*.c)"
  [app_dns]="$root/src/app/app_dns.c"
  [app_tls]="$(ls "$root"/src/app/app_tls.c "$root"/src/app/tls_*.c)"
  [app_ssh]="$root/src/app/app_ssh.c"
  [app_smtp]="$root/src/app/app_smtp.c $root/src/app/smtp_mime.c"
  [rules]="$(ls "$root"/src/detect/rule_*.c "$root"/src/detect/classification.c "$root"/src/detect/threshold.c)"
  [config]="$root/src/common/config.c"
  [pcap]="$root/src/capture/capture_file.c"
  [geo]="$root/src/attrib/attrib_geo.c $root/src/attrib/attrib_range.c"
  [ledger]="$root/src/evidence/verify.c"
  [bundle]="$root/src/evidence/verify.c"
  [report]="$(ls "$root"/src/report/*.c)"
  [web]="$(ls "$root"/src/web/*.c)"
  [evscan]="$root/src/collect/evscan.c"
)
mkdir -p "$build/prof"
printf '%-9s %-24s %-24s %s\n' harness "lines (covered/total)" "branches (covered/total)" "functions"
for h in ${FUZZ_HARNESSES:-decode defrag stream app_http app_dns app_tls app_ssh app_smtp rules config pcap geo ledger bundle report web evscan}; do
    inputs=("$here/corpus/$h" "$here/crashes/$h")
    long="$root/build-fuzz/tests/fuzz/work-long/$h"
    [ "${WITH_LONG:-0}" = 1 ] && [ -d "$long" ] && inputs+=("$long")
    rm -f "$build"/prof/$h.*
    LLVM_PROFILE_FILE="$build/prof/$h.profraw" "$build/tests/fuzz/fuzz_${h}_replay" "${inputs[@]}" \
        >/dev/null 2>&1 || true
    "$PROFDATA" merge -sparse "$build/prof/$h.profraw" -o "$build/prof/$h.profdata"
    # shellcheck disable=SC2086
    "$COV" report "$build/tests/fuzz/fuzz_${h}_replay" -instr-profile="$build/prof/$h.profdata" \
        ${files[$h]} > "$build/prof/$h.txt"
    tot=$(grep '^TOTAL' "$build/prof/$h.txt")
    # TOTAL regions missed % functions missed % lines missed % branches missed %
    read -r _ _ _ _ fn fnm fnp ln lnm lnp br brm brp <<<"$tot"
    printf '%-9s %-24s %-24s %s\n' "$h" "$lnp ($((ln - lnm))/$ln)" "$brp ($((br - brm))/$br)" \
        "$fnp ($((fn - fnm))/$fn)"
done
echo "per-file reports: $build/prof/<harness>.txt"
