#!/usr/bin/env bash
# `npm run bench`: builds, then runs the benchmarks (root; about 12 minutes with the 10-minute soak).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
node gateway/dist/bench/run.js
