#!/usr/bin/env bash
# Builds agent-android/dist/packetpilot-agent.apk without the Android SDK:
#   Maven (compile against android-all, copy the runtime jars and dx) -> dx -> aapt -> zipalign -> apksigner.
# Tests are not run here: scripts/test.sh runs them (`mvn -f agent-android/pom.xml test`).
#
# Signing: with PP_ANDROID_KEYSTORE set, the APK is signed with that keystore
#   PP_ANDROID_KEYSTORE=/path/release.jks PP_ANDROID_KEY_ALIAS=release \
#   PP_ANDROID_KEYSTORE_PASS=... [PP_ANDROID_KEY_PASS=...] npm run build:android
# otherwise with a CI key made once by keytool in agent-android/.signing/ (gitignored).
# Needs Debian's aapt, zipalign and apksigner (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")"
MIN_SDK=29
TARGET_SDK=34
VERSION_NAME=$(node -p "require('../package.json').version" 2>/dev/null || echo 0.0.0)
VERSION_CODE=${PP_ANDROID_VERSION_CODE:-1}
OUT=dist/packetpilot-agent.apk
T=target/apk

for tool in mvn java zip unzip aapt zipalign apksigner keytool; do
  command -v "$tool" >/dev/null || { echo "build-android: $tool not found (bash scripts/install-deps.sh)" >&2; exit 1; }
done

# 1. Compile, and lay out the jars to dex, dx itself and the simulated phone's classpath.
# (Debian's Maven prints colour resets even in batch mode: dropped, so a quiet build stays quiet.)
mvn -q -B -f pom.xml -DskipTests package 2>&1 | sed 's/\x1b\[0m//g'

# 2. Dex the app's classes (not the JVM-only simulated phone) and its runtime libraries.
rm -rf "$T" && mkdir -p "$T/classes" dist
cp -r target/classes/com "$T/classes/"
rm -rf "$T/classes/com/packetpilot/agent/sim"
for jar in target/dex-libs/*.jar; do # their classes only: dx cannot read META-INF/versions/9/module-info
  unzip -q -o "$jar" -x 'META-INF/*' -d "$T/classes"
done
java -cp target/tools/dalvik-dx.jar com.android.dx.command.Main --dex --min-sdk-version="$MIN_SDK" \
  --output="$T/classes.dex" "$T/classes"

# 3. Manifest and resources, linked against the API 34 framework resource table that android-all
#    carries (Debian's android-framework-res is API 29 and lacks e.g. foregroundServiceType specialUse).
ANDROID_ALL=$(tr ':' '\n' < target/sim.classpath | grep '/android-all-' | head -1)
(mkdir -p "$T/framework" && cd "$T/framework" && unzip -q -o "$ANDROID_ALL" resources.arsc AndroidManifest.xml &&
  rm -f ../framework-res.apk && zip -q -0 ../framework-res.apk resources.arsc AndroidManifest.xml)
aapt package -f -M src/main/AndroidManifest.xml -S src/main/res -I "$T/framework-res.apk" \
  --min-sdk-version "$MIN_SDK" --target-sdk-version "$TARGET_SDK" \
  --version-code "$VERSION_CODE" --version-name "$VERSION_NAME" -F "$T/unaligned.apk"
(cd "$T" && aapt add unaligned.apk classes.dex >/dev/null)

# 4. Align, then sign (v1 + v2 + v3 as apksigner picks for minSdk 29).
zipalign -f -p 4 "$T/unaligned.apk" "$T/aligned.apk"
if [[ -n "${PP_ANDROID_KEYSTORE:-}" ]]; then
  : "${PP_ANDROID_KEYSTORE_PASS:?set PP_ANDROID_KEYSTORE_PASS with PP_ANDROID_KEYSTORE}"
  ks=$PP_ANDROID_KEYSTORE
  alias=${PP_ANDROID_KEY_ALIAS:-release}
  export PP_ANDROID_KEY_PASS=${PP_ANDROID_KEY_PASS:-$PP_ANDROID_KEYSTORE_PASS}
  ks_pass=env:PP_ANDROID_KEYSTORE_PASS
  key_pass=env:PP_ANDROID_KEY_PASS
else
  ks=.signing/ci.jks
  alias=ci
  ks_pass=pass:packetpilot-ci
  key_pass=pass:packetpilot-ci
  if [[ ! -f "$ks" ]]; then
    mkdir -p .signing
    keytool -genkeypair -keystore "$ks" -storetype PKCS12 -storepass packetpilot-ci -alias ci \
      -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Packet Pilot CI, O=Packet Pilot" >/dev/null 2>&1
  fi
fi
apksigner sign --ks "$ks" --ks-key-alias "$alias" --ks-pass "$ks_pass" --key-pass "$key_pass" \
  --min-sdk-version "$MIN_SDK" --out "$OUT" "$T/aligned.apk"
rm -f "$OUT.idsig"
apksigner verify --min-sdk-version "$MIN_SDK" "$OUT"
echo "built $OUT ($(stat -c %s "$OUT") bytes)"
