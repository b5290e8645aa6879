#!/usr/bin/env bash
# Installs the Debian packages Vigil builds and tests with, when any is missing.
# Used by the README's two commands and by CI; safe to run again.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config iproute2 tcpreplay
      libpcap-dev libssl-dev zlib1g-dev libpcre2-dev libhyperscan-dev libyaml-dev libjansson-dev
      libcmocka-dev libmaxminddb-dev libsqlite3-dev libsodium-dev tor-geoipdb python3 python3-yaml
      tshark clang libclang-rt-dev
      libhiredis-dev libpq-dev redis-server postgresql   # shipping and `vigil collect` (tests start their own servers)
      chromium)   # the HTML report test renders it headless (tests/report)
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
