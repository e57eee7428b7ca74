#!/usr/bin/env bash
# `make demo`: Custody on an embedded default — a private SoftHSM2 token and a local notary-server.
# Everything lives in a temporary directory that is removed at the end; nothing touches
# /var/lib/softhsm or ~/.notary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/custody-demo.XXXXXX)
NOTARY_PID=""
cleanup() {
  [ -n "$NOTARY_PID" ] && kill "$NOTARY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

MODULE=/usr/lib/softhsm/libsofthsm2.so
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"

echo "== 1. A SoftHSM2 token in $WORK (stands in for a YubiKey or HSM)"
# demo-only PINs for a throw-away token; softhsm2-util has no other way to take them
softhsm2-util --init-token --free --label custody-demo --so-pin 87654321 --pin 123456 >/dev/null
softhsm2-util --show-slots | grep -E 'Label|Serial' | grep -v '^ *Label: *$' | head -4

echo
echo "== 2. A local notary-server on 127.0.0.1 (memory storage)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/notary-server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$PORT"},"trust_service":{"type":"local","key_algorithm":"ecdsa"},
 "storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
notary-server -config "$WORK/notary-server.json" >"$WORK/notary-server.log" 2>&1 &
NOTARY_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/_notary_server/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "notary-server healthy at http://127.0.0.1:$PORT"

CP_FILE="$WORK/cp.txt"
mvn -B -q -o -pl pkcs11 dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >/dev/null
CP="$ROOT/pkcs11/target/classes:$(cat "$CP_FILE")"

echo
echo "== 3. Keys are generated on the token and never leave it"
CUSTODY_DEMO_PIN=123456 java -cp "$CP" dev.custody.pkcs11.demo.TokenDemo "$MODULE" custody-demo

if [ -x "$ROOT/scripts/demo-repo.sh" ]; then
  echo
  echo "== 4. A signed repository on the local notary-server"
  CUSTODY_DEMO_PIN=123456 NOTARY_URL="http://127.0.0.1:$PORT" WORK="$WORK" "$ROOT/scripts/demo-repo.sh"
fi
echo
echo "demo finished; temporary token and server removed"
