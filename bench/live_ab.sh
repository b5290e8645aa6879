#!/bin/sh
# Interleaved comparison of live capture designs on the bench/live.py test bed: one run of each
# design in turn, ROUNDS rounds, so that a noisy shared machine weighs on all of them alike.
#   usage: sudo sh bench/live_ab.sh RULES RATES ROUNDS DESIGN...
#   RULES: none | et; RATES: e.g. 100,200,400,800,0 (0 = tcpreplay --topspeed)
#   DESIGN: reader     one socket per interface, a reader thread feeding the workers, 1 MB blocks
#                      (the design before per-worker sockets, with its defaults)
#           fanout-1mb one socket per worker, 1 MB blocks
#           fanout     one socket per worker, defaults (hash fanout, 128 KB blocks)
#           ip-pair    one socket per worker, ip-pair fanout (2 workers only: 1 has no group)
# Prints the rows of bench/live.py, each under a "## round R workers W DESIGN" line.
set -e
cd "$(dirname "$0")/.."
RULES=$1 RATES=$2 ROUNDS=$3
shift 3
DESIGNS="$*"
i=1
while [ "$i" -le "$ROUNDS" ]; do
  for w in 1 2; do
    for d in $DESIGNS; do
      case $d in
        reader) extra="--set af-packet.fanout=no --set af-packet.block-size=1mb" ;;
        fanout-1mb) extra="--set af-packet.block-size=1mb" ;;
        fanout) extra="" ;;
        ip-pair) [ "$w" = 2 ] || continue; extra="--set af-packet.fanout-mode=ip-pair" ;;
        *) echo "unknown design $d" >&2; exit 2 ;;
      esac
      echo "## round $i workers $w $d"
      python3 bench/live.py --runs 1 --rates "$RATES" --rules "$RULES" --workers "$w" \
        --ring 8mb $extra | grep '^| [0-9]' || true
    done
  done
  i=$((i + 1))
done
