#!/usr/bin/env bash
# `make demo`: Custody on an embedded default — a private SoftHSM2 token and a local notary-server.
# custodyd holds the keys on the token; the custody CLI runs the seed lab (init, add, publish, rotate
# targets, rotate snapshot -r, delegation, publish as the delegation) through the daemon's socket; the
# real notary CLI then reads what was published. Everything lives in a temporary directory that is
# removed at the end; nothing touches /var/lib/softhsm, /run/custody or ~/.notary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/custody-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

MODULE=/usr/lib/softhsm/libsofthsm2.so
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens" "$WORK/run"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
# demo-only PINs for a throw-away token; softhsm2-util takes them no other way. Custody never takes a PIN
# from argv: below, the PIN goes to `custody token unlock --pin-stdin` on standard input.
DEMO_PIN=123456

step "1. A SoftHSM2 token (stands in for a YubiKey or an HSM)"
softhsm2-util --init-token --free --label custody-demo --so-pin 87654321 --pin "$DEMO_PIN" | tail -1

step "2. A local notary-server on 127.0.0.1 (memory storage)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/notary-server.json" <<JSON
{"server":{"http_addr":"127.0.0.1:$PORT"},"trust_service":{"type":"local","key_algorithm":"ecdsa"},
 "storage":{"backend":"memory"},"logging":{"level":"error"}}
JSON
notary-server -config "$WORK/notary-server.json" >"$WORK/notary-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/_notary_server/health" >/dev/null 2>&1 && break; sleep 0.1; done
echo "notary-server at http://127.0.0.1:$PORT"

step "3. custodyd: owns the token, serves the socket $WORK/run/custody.sock"
cat > "$WORK/custodyd.yaml" <<YAML
stateDir: $WORK/state
socket:
  path: $WORK/run/custody.sock
  group: ~
tokens:
  - name: demo
    module: $MODULE
    label: custody-demo
    pin: prompt
servers:
  - name: default
    url: http://127.0.0.1:$PORT
YAML
"$ROOT/bin/custodyd" --config "$WORK/custodyd.yaml" 2>"$WORK/custodyd.log" &
PIDS+=($!)
for _ in $(seq 1 200); do [ -S "$WORK/run/custody.sock" ] && break; sleep 0.05; done
[ -S "$WORK/run/custody.sock" ] || { echo "custodyd did not start:"; cat "$WORK/custodyd.log"; exit 1; }
export CUSTODY_SOCKET="$WORK/run/custody.sock"
export CUSTODY_CDS_DIR="$WORK/cds"
custody() { "$ROOT/bin/custody" "$@"; }

step "4. The seed lab through custodyd (every key on the token)"
GUN=example.com/scripts
echo '#!/bin/sh' > "$WORK/install.sh"; echo 'echo hello' >> "$WORK/install.sh"
echo "$DEMO_PIN" | run custody token unlock demo --pin-stdin
run custody init "$GUN" -p
run custody add "$GUN" install.sh "$WORK/install.sh" -p
run custody list "$GUN"
run custody key rotate "$GUN" targets
run custody key rotate "$GUN" snapshot -r
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/releases.key" \
  -out "$WORK/releases.crt" -subj /CN=releases -days 365 2>/dev/null
run custody delegation add "$GUN" targets/releases "$WORK/releases.crt" --all-paths -p
run custody key import "$WORK/releases.key" --role targets/releases --token demo
rm -f "$WORK/releases.key"
run custody add "$GUN" tool "$WORK/install.sh" -r targets/releases -p
run custody list "$GUN" -r targets/releases
run custody key list
run custody status

step "5. The real notary client reads what custodyd published"
run notary -s "http://127.0.0.1:$PORT" -d "$WORK/notary" list "$GUN"
run notary -s "http://127.0.0.1:$PORT" -d "$WORK/notary" list "$GUN" -r targets/releases

step "6. The audit log: every signature and key event, hash-chained"
run custody audit tail --lines 5
run custody audit verify

echo
echo "demo finished; temporary token, daemon and server removed"
