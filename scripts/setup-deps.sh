#!/usr/bin/env bash
# Installs the Debian packages Vigil builds and tests with, when any is missing.
# Used by the README's two commands and by CI; safe to run again.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config iproute2 tcpreplay
      libpcap-dev libssl-dev zlib1g-dev libpcre2-dev libhyperscan-dev libyaml-dev libjansson-dev
      libcmocka-dev libmaxminddb-dev libsqlite3-dev libsodium-dev tor-geoipdb python3 python3-yaml
      tshark clang libclang-rt-dev
      libhiredis-dev libpq-dev redis-server postgresql   # shipping and `vigil collect` (tests start their own servers)
      chromium    # the HTML report test renders it headless (tests/report)
      libmicrohttpd-dev wrk)   # vigil serve's HTTP server; its load benchmark (bench/serve.py)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# The dashboard's front-end packages (vigil serve: map shapes, d3-geo, topojson-client, uPlot
# for the charts; and playwright-core for its browser test), pinned by web/package-lock.json and
# embedded in the binary at build time; the HTML report's map is projected from them too
# (web/mapgen.js, with node) and its charts inline uPlot. Without npm the page has no map and no
# charts, the report draws circles and has no charts, and the browser tests skip. npm ci runs
# again when the lockfile is newer than what node_modules holds (a package was added).
WEB="$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then  # Debian's npm (it brings nodejs) when none is there
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing nodejs npm" >&2
  { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >&2; } ||
    echo "setup: cannot install npm: the dashboard and the HTML report are built without the map" >&2
fi
if command -v npm >/dev/null && { [ ! -f "$WEB/node_modules/.package-lock.json" ] ||
    [ "$WEB/package-lock.json" -nt "$WEB/node_modules/.package-lock.json" ]; }; then
  (cd "$WEB" && npm ci --no-audit --no-fund --ignore-scripts >&2) ||
    echo "setup: npm ci in web/ failed: vigil serve is built without its map and charts" >&2
fi
