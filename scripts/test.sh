#!/usr/bin/env bash
# The README's test command. Builds, then runs every test file with node's test runner:
# unit and database tests first (in parallel), then lab tests (root + kernel) one file at a time,
# because they share the pp-* namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
mapfile -t unit < <(find protocol/dist gateway/dist agent-lite/dist -name '*.test.js' ! -name '*.lab.test.js' 2>/dev/null | sort)
mapfile -t lab < <(find gateway/dist agent-lite/dist -name '*.lab.test.js' 2>/dev/null | sort)
status=0
if ((${#unit[@]})); then node --test --test-concurrency=2 "${unit[@]}" || status=1; fi
if ((${#lab[@]})); then node --test --test-concurrency=1 "${lab[@]}" || status=1; fi
exit $status
