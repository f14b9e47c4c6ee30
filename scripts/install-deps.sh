#!/usr/bin/env bash
# Installs the Debian packages the gateway, the lab and the tests need, only when missing.
set -euo pipefail
PACKAGES=(nftables conntrack iproute2 iperf3 dnsutils curl procps iputils-ping dnsmasq-base dnsperf chromium wine64)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
