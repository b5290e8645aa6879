#!/usr/bin/env bash
# run-long.sh — fuzz every harness for a long time (local use; CI runs the 15 s ctest version).
#
#   tests/fuzz/run-long.sh [BUILD_FUZZ_DIR]        (or: cmake --build --preset fuzz --target fuzz-long)
#   FUZZ_SECONDS=3600 FUZZ_JOBS=4 FUZZ_HARNESSES="app_http rules" tests/fuzz/run-long.sh
#
# Each harness starts from its seed corpus plus what earlier long runs found (kept in
# BUILD/tests/fuzz/work-long/<name>, outside the source tree), with its dictionary. Crashes land
# in BUILD/tests/fuzz/artifacts/; copy the ones worth keeping to tests/fuzz/crashes/<name>/.
# Prints executions per second and new coverage per harness at the end.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../../build-fuzz}"
bin="$build/tests/fuzz"
secs="${FUZZ_SECONDS:-600}"
jobs="${FUZZ_JOBS:-$(nproc)}"
harnesses="${FUZZ_HARNESSES:-decode defrag stream app_http app_dns app_tls app_ssh app_smtp rules config pcap geo ledger bundle report web evscan}"
declare -A dict=([app_http]=http [app_dns]=dns [app_tls]=tls [app_ssh]=ssh [app_smtp]=smtp [rules]=rules
                 [config]=config [pcap]=pcap [geo]=geo [ledger]=ledger [bundle]=bundle [web]=web
                 [evscan]=evscan)
mkdir -p "$bin/artifacts" "$bin/logs"
stamp="$bin/logs/.started"
touch "$stamp"

run_one() {
    local h="$1" d=()
    [ -n "${dict[$h]:-}" ] && d=(-dict="$here/dict/${dict[$h]}.dict")
    mkdir -p "$bin/work-long/$h"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${d[@]}" -artifact_prefix="$bin/artifacts/$h-" "$bin/work-long/$h" "$here/corpus/$h" \
        >"$bin/logs/$h.log" 2>&1
    echo "$h: exit $?"
}

running=0
for h in $harnesses; do
    [ -x "$bin/fuzz_$h" ] || { echo "missing $bin/fuzz_$h (build with: cmake --build --preset fuzz)"; exit 2; }
    run_one "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
printf '%-10s %10s %8s %8s %s\n' harness exec/s cov ft corpus
for h in $harnesses; do
    log="$bin/logs/$h.log"
    eps=$(grep -o 'average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
    printf '%-10s %10s %8s %8s %s\n' "$h" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
        "$(ls "$bin/work-long/$h" | wc -l) files"
done
found=$(find "$bin/artifacts" -type f -newer "$stamp" | grep -E 'crash|leak|timeout|oom')
[ -n "$found" ] && { echo "new findings:"; echo "$found"; exit 1; }
exit 0
