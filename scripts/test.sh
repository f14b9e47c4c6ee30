#!/usr/bin/env bash
# The README's test command. Builds, then runs every test file with node's test runner, one file
# at a time: lab tests share the pp-* namespaces, and the database tests are quick enough.
# Under CI=true a test that needs root or the kernel fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
# agent-lite's single-file builds, started by agent-lite/src/sea.test.ts (Windows under Wine);
# the Node binaries come from npm once and are cached in agent-lite/.sea-cache/
if ! node agent-lite/scripts/build-sea.mjs --targets linux-x64,win-x64 > /tmp/pp-build-sea.log 2>&1; then
  cat /tmp/pp-build-sea.log >&2
  exit 1
fi
# the UI's initial JS against its budget (issue 6: 250 kB gzip); fails over it
npm run size --silent -w ui
# the UI's unit tests (vitest, pure modules: formatters, CSV, API client, live frames)
npm run test --silent -w ui
# the Android agent's JVM and Robolectric tests (JUnit under Maven Surefire; the build above made
# its APK, which gateway/dist/agents/android-apk.test.js checks). Debian's Maven prints colour
# resets even when quiet: dropped.
mvn -q -B -f agent-android/pom.xml test 2>&1 | sed 's/\x1b\[0m//g'
cat agent-android/target/surefire-reports/*.txt | awk '/^Tests run:/ { t += $3; f += $5; e += $7; s += $9 }
  END { printf "agent-android (JUnit): %d tests, %d failures, %d errors, %d skipped\n", t, f, e, s }'
mapfile -t files < <(find protocol/dist gateway/dist agent-lite/dist -name '*.test.js' 2>/dev/null | sort)
exec node --test --test-concurrency=1 "${files[@]}"
