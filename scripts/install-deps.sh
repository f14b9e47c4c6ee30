#!/usr/bin/env bash
# Installs the Debian packages the gateway, the lab and the tests need, only when missing.
set -euo pipefail
# maven … dexdump: the Android agent's build (agent-android/build.sh: Maven, dx, aapt, zipalign, apksigner)
# and its APK test (dexdump); no Android SDK.
PACKAGES=(nftables conntrack iproute2 iperf3 dnsutils curl procps iputils-ping dnsmasq-base dnsperf chromium wine64 maven openjdk-17-jdk-headless zip unzip aapt zipalign apksigner dexdump)
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
