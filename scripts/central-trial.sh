#!/usr/bin/env bash
# A local trial of central collection (docs/SCALE.md): installs Redis and PostgreSQL from
# Debian's packages when they are missing, and starts one of each for Vigil with the settings the
# "nothing lost" guarantees rely on, without touching the system's own instances:
#   * redis-server with its own configuration and data in DIR/redis: loopback only,
#     append-only file with fsync every second, noeviction (a full Redis refuses writes and the
#     sensors spool instead of Redis dropping the stream);
#   * a PostgreSQL cluster of its own (Debian's pg_createcluster, named vigil-trial), a role and a
#     database `vigil` with a generated password, reached on 127.0.0.1; synchronous_commit on.
# It prints, and writes to DIR/env (mode 0600), the two settings to give Vigil:
#   VIGIL_REDIS=redis://127.0.0.1:PORT   VIGIL_PG='host=127.0.0.1 port=PORT dbname=vigil ...'
#
# usage: scripts/central-trial.sh start [--dir DIR] [--redis-port N] [--pg-port N] [--cluster NAME]
#        scripts/central-trial.sh stop  [--dir DIR] [--cluster NAME]
#                                        (stops both, deletes the cluster and DIR)
# Needs root (or sudo) for the packages and the cluster. Defaults: DIR=/var/tmp/vigil-trial,
# ports 6390 and 5439. Tested by `ctest -R collect_trial` (tests/collect/test_collect.py).
set -euo pipefail

cmd="${1:-}"
shift || true
DIR=/var/tmp/vigil-trial
RPORT=6390
PPORT=5439
CLUSTER=vigil-trial
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --redis-port) RPORT="$2"; shift 2 ;;
    --pg-port) PPORT="$2"; shift 2 ;;
    --cluster) CLUSTER="$2"; shift 2 ;;
    *) echo "central-trial: unknown option $1" >&2; exit 2 ;;
  esac
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

pg_version() {
  ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1
}

start() {
  local missing=()
  for p in redis-server postgresql; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "central-trial: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  local ver
  ver="$(pg_version)"
  [ -n "$ver" ] || { echo "central-trial: no PostgreSQL server found" >&2; exit 1; }
  if [ -f "$DIR/env" ]; then
    echo "central-trial: $DIR/env exists: already started? (stop first)" >&2
    exit 1
  fi
  $SUDO mkdir -p "$DIR/redis"
  $SUDO chmod 700 "$DIR"

  # Redis, its own configuration
  $SUDO tee "$DIR/redis.conf" >/dev/null <<EOF
port $RPORT
bind 127.0.0.1
protected-mode yes
dir $DIR/redis
daemonize yes
pidfile $DIR/redis.pid
logfile $DIR/redis.log
save ""
appendonly yes
appendfsync everysec
maxmemory-policy noeviction
EOF
  $SUDO redis-server "$DIR/redis.conf"
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] ||
    { echo "central-trial: redis-server did not start: $(tail -5 "$DIR/redis.log")" >&2; exit 1; }

  # PostgreSQL: a cluster of its own, a role with a password over loopback TCP
  local pw
  pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  # Debian's cluster defaults: peer for local sockets, scram-sha-256 for 127.0.0.1
  $SUDO pg_createcluster "$ver" "$CLUSTER" --port "$PPORT" --start >/dev/null
  $SUDO runuser -u postgres -- psql -X -q -p "$PPORT" -d postgres \
    -c "CREATE ROLE vigil LOGIN PASSWORD '$pw'" -c "CREATE DATABASE vigil OWNER vigil"
  local dsn="host=127.0.0.1 port=$PPORT dbname=vigil user=vigil password=$pw"
  (umask 077; printf "VIGIL_REDIS=redis://127.0.0.1:%s\nVIGIL_PG='%s'\n" "$RPORT" "$dsn" |
     $SUDO tee "$DIR/env" >/dev/null)
  $SUDO chmod 600 "$DIR/env"
  echo "central-trial: Redis on 127.0.0.1:$RPORT, PostgreSQL $ver cluster $CLUSTER on 127.0.0.1:$PPORT"
  echo "central-trial: settings in $DIR/env (source it):"
  echo "  vigil collect --redis \"\$VIGIL_REDIS\" --pg \"\$VIGIL_PG\" &"
  echo "  vigil read CAPTURE -l LOGDIR --redis \"\$VIGIL_REDIS\" --set sensor-name=lab1"
  echo "  vigil report --pg \"\$VIGIL_PG\""
}

stop() {
  local ver
  ver="$(pg_version)"
  if [ -f "$DIR/redis.pid" ]; then
    local rport
    rport="$(awk '$1 == "port" {print $2}' "$DIR/redis.conf")"
    redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -n "$ver" ] && pg_lsclusters -h 2>/dev/null | awk '{print $2}' | grep -qx "$CLUSTER"; then
    $SUDO pg_dropcluster --stop "$ver" "$CLUSTER"
  fi
  $SUDO rm -rf "$DIR"
  echo "central-trial: stopped; $DIR and the $CLUSTER cluster removed"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [--dir DIR] [--redis-port N] [--pg-port N] [--cluster NAME]" >&2
     exit 2 ;;
esac
