#!/usr/bin/env bash
# `npm start`: from a fresh clone to a running gateway in the lab with numbers moving.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then
  echo "npm start needs root: it builds network namespaces and owns an nftables table (try: sudo npm start)" >&2
  exit 1
fi
bash scripts/install-deps.sh
[[ -d node_modules/fastify ]] || npm ci --no-audit --no-fund
npm run build --silent
PP="node gateway/dist/cli/main.js"
DATA_DIR="${PP_DATA_DIR:-$PWD/.data}"
mkdir -p "$DATA_DIR"
chmod 700 "$DATA_DIR"

$PP lab up >/dev/null
echo "lab is up: pp-wan (internet), pp-gw (gateway), pp-lan (switch), pp-c1..pp-c3 (clients)"

CREDS="$DATA_DIR/admin-credentials"
if [[ ! -s "$CREDS" ]]; then
  PASSWORD=$(node -e "process.stdout.write(require('node:crypto').randomBytes(15).toString('base64url'))")
  printf '%s' "$PASSWORD" | $PP admin create --username admin --role admin --password-stdin --data-dir "$DATA_DIR"
  (umask 077 && printf 'admin\n%s\n' "$PASSWORD" >"$CREDS")
fi
ADMIN_USER=$(sed -n 1p "$CREDS")
ADMIN_PASSWORD=$(sed -n 2p "$CREDS")

# A gateway left over from an earlier run would hold the port.
pkill -f "cli/main.js gateway --lan lan0" 2>/dev/null || true
# The same Node flags as the systemd unit: see docs/decisions/0006-memory.md.
ip netns exec pp-gw env MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=2 --v8-pool-size=1 gateway/dist/cli/main.js gateway --lan lan0 --wan wan0 --upstream 198.18.0.1 --data-dir "$DATA_DIR" &
GW_PID=$!
cleanup() {
  $PP lab traffic stop >/dev/null 2>&1 || true
  kill -TERM "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

URL=http://192.168.77.1:8080
for _ in $(seq 1 150); do
  curl -sf "$URL/api/v1/health" >/dev/null && break
  kill -0 "$GW_PID" 2>/dev/null || { echo "the gateway exited; see its log above" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$URL/api/v1/health" >/dev/null || { echo "gateway did not answer at $URL within 30 s" >&2; exit 1; }
$PP lab traffic start >/dev/null

cat <<MSG

  Packet Pilot is running.
    UI / API:  $URL   (API reference: docs/openapi.json)
    login:     $ADMIN_USER / $ADMIN_PASSWORD
    try:       curl -s -X POST $URL/api/v1/auth/login -H 'content-type: application/json' \\
                 -d '{"username":"$ADMIN_USER","password":"$ADMIN_PASSWORD"}'
  The clients pp-c1..pp-c3 are downloading a little so the numbers move. Ctrl-C stops the
  gateway (the lab stays; 'npx packetpilot lab down' removes it).

MSG
wait "$GW_PID"
