#!/bin/bash
# Where shipping's CPU goes, per thread: `vigil read` of one generated capture with shipping off
# and with --redis (a redis-server this script starts on a free loopback port, its data in a
# temporary folder, stopped at the end), under `perf record` (cpu-clock, 4 kHz, so the sample
# counts are CPU time: 4 samples = 1 ms), for one or two builds, interleaved. Prints each run's
# samples by thread (main = the reader, workers, output, ship = the sender thread; any other
# unnamed thread is counted as ship too, as in builds before the sender was named) and the means.
#
# usage: bench/ship_threads.sh [RUNS] NEW-VIGIL [OLD-VIGIL]    (FLOWS=50000 by default)
set -euo pipefail
runs=${1:-5}
new=${2:-build/vigil}
old=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
gen=${GEN:-$here/../build/vigil-gen}
tmp=$(mktemp -d /tmp/vigil-ship-threads.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no \
    --logfile "$tmp/redis.log" >/dev/null 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; wait $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$gen" --flows "${FLOWS:-50000}" --seed 9 --mix web -o "$tmp/mix.pcap" >/dev/null
one() { # label vigil [redis]
    local label=$1 vigil=$2 extra=()
    [ "${3:-}" = redis ] && extra=(--redis "redis://127.0.0.1:$port" --set
        outputs.redis.drain-timeout=60000 --set outputs.redis.stream=bench:threads)
    rm -rf "$tmp/L"
    perf record -q -F 4000 -o "$tmp/perf.data" "$vigil" read "$tmp/mix.pcap" -l "$tmp/L" \
        --workers 2 -q --no-progress --set store.enabled=false --set sensor-name=t "${extra[@]}" \
        >/dev/null 2>&1
    redis-cli -p "$port" del bench:threads >/dev/null
    perf script -i "$tmp/perf.data" -F comm,pid,tid 2>/dev/null | awk -v l="$label" '
        { split($2, t, "/"); n++
          if (t[1] == t[2]) c["main"]++; else if ($1 ~ /^vg-worker/) c["workers"]++
          else if ($1 == "vg-output") c["output"]++; else if ($1 == "vg-behave") c["behave"]++
          else c["ship"]++ }
        END { printf "%s total %d main %d workers %d output %d ship %d\n", l, n, c["main"],
              c["workers"], c["output"], c["ship"] }'
}
{
    for _ in $(seq "$runs"); do
        one off "$new"
        one new "$new" redis
        [ -n "$old" ] && one old "$old" redis
    done
} | tee "$tmp/runs.txt"
awk '{ t[$1] += $3; m[$1] += $5; w[$1] += $7; o[$1] += $9; s[$1] += $11; k[$1]++ }
     END { for (b in t) printf "mean %s: total %.0f main %.0f workers %.0f output %.0f ship %.0f\n",
           b, t[b] / k[b], m[b] / k[b], w[b] / k[b], o[b] / k[b], s[b] / k[b] }' "$tmp/runs.txt" | sort
