#!/usr/bin/env bash
# Refreshes the third-party catalogue data from a checkout of its source repository:
#
#   scripts/refresh-catalog.sh services PATH [COMMIT]   # github.com/nextdns/services
#   scripts/refresh-catalog.sh bypass   PATH [COMMIT]   # github.com/nextdns/dns-bypass-methods
#
# Replaces the data files of gateway/catalog/services/ or gateway/catalog/bypass/ with the
# checkout's (unmodified), copies its LICENSE and rewrites the NOTICE with the commit. COMMIT is
# read with git from PATH; pass it when PATH is a plain copy rather than a git checkout.
# Afterwards run the catalogue test: a new service needs a category in gateway/catalog/categories.json.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 services|bypass CHECKOUT [COMMIT]" >&2
  exit 2
}
[[ $# -ge 2 && $# -le 3 ]] || usage
kind=$1
checkout=${2%/}

case $kind in
  services)
    repo=https://github.com/nextdns/services
    from=$checkout/services
    what="Service domain lists (one file per service, the domains it uses)"
    ;;
  bypass)
    repo=https://github.com/nextdns/dns-bypass-methods
    from=$checkout
    what="DNS bypass methods (encrypted DNS endpoints, VPN, proxy, Tor, Private Relay, browser and distro domains)"
    ;;
  *) usage ;;
esac

[[ -d $from && -f $checkout/LICENSE ]] || {
  echo "$checkout does not look like a checkout of $repo (no $from or LICENSE)" >&2
  exit 1
}
if [[ $# -eq 3 ]]; then
  commit=$3
else
  commit=$(git -C "$checkout" rev-parse HEAD 2>/dev/null) || {
    echo "$checkout is not a git checkout; pass the commit as the third argument" >&2
    exit 1
  }
fi
[[ $commit =~ ^[0-9a-f]{40}$ ]] || {
  echo "commit must be 40 hex digits, got: $commit" >&2
  exit 1
}

dest=gateway/catalog/$kind
mkdir -p "$dest"
# Data files are the plain files without an extension at the top of the folder.
mapfile -t files < <(find "$from" -maxdepth 1 -type f ! -name '.*' ! -name '*.*' ! -name LICENSE \
  ! -name NOTICE ! -name README -printf '%f\n' | sort)
((${#files[@]})) || {
  echo "no data files in $from" >&2
  exit 1
}
find "$dest" -maxdepth 1 -type f ! -name NOTICE -delete
for f in "${files[@]}"; do install -m 0644 "$from/$f" "$dest/$f"; done
install -m 0644 "$checkout/LICENSE" "$dest/LICENSE"

cat >"$dest/NOTICE" <<EOF
$what in this folder
(every file except LICENSE and NOTICE) are copied unmodified from

  $repo
  commit $commit

Copyright (c) NextDNS, MIT License: see LICENSE beside this file. The gateway reads them as data
(gateway/src/classify/catalog.ts). The categories and display names in ../categories.json are
Packet Pilot's own. Refresh with: scripts/refresh-catalog.sh $kind CHECKOUT [COMMIT]
EOF

echo "refreshed $dest: ${#files[@]} files from $repo at $commit"
