#!/usr/bin/env bash
# `make bench`, PKCS#11 front door row: test-hsm's C sign bench (signbench.c, CKM_ECDSA over a 32-byte
# digest, one session per thread) with one ECDSA P-256 key on one SoftHSM2 token, three ways in the same run:
#   raw       signbench → libsofthsm2.so
#   p11-kit   signbench → p11-kit-client.so → `p11-kit server` → libsofthsm2.so   (RPC: no policy, no audit)
#   custody   signbench → libcustody-pkcs11.so → custodyd (policy, audit line synced per signature) → SoftHSM2
# The goal (issue #15) is custody ≥ 1.0× p11-kit at 2 threads. SECONDS per point: BENCH_SECONDS (default 5).
# AUDIT_PATH moves custodyd's audit log (e.g. onto /dev/shm, to see the cost of its fsync per signature).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${BENCH_SECONDS:-5}
WORK=$(mktemp -d /tmp/custody-p11bench.XXXXXX)
DPID=
P11_KIT_SERVER_PID=
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null
  [ -n "$P11_KIT_SERVER_PID" ] && kill "$P11_KIT_SERVER_PID" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label bench --so-pin 87654321 --pin 123456 >/dev/null
export CUSTODY_BENCH_PIN=123456

gcc -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 -o "$WORK/signbench" \
    "$ROOT/test-hsm/src/main/c/signbench.c" -ldl -lpthread
gcc -shared -fPIC -fvisibility=hidden -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 \
    -o "$WORK/libcustody-pkcs11.so" "$ROOT/pkcs11-module/src/main/c/custody_pkcs11.c" -lpthread -lcrypto

# custodyd with the bench token; it makes the key (CKA_LABEL "root", sensitive, not extractable) that
# all three paths sign with
mvn -B -q -o -pl daemon -am dependency:build-classpath -Dmdep.outputFile="$WORK/dcp.txt" \
    -Dmdep.includeScope=runtime -DexcludeGroupIds=dev.custody >/dev/null
DCP="$ROOT/daemon/target/classes:$ROOT/pkcs11/target/classes:$ROOT/tuf/target/classes:$ROOT/protocol/target/classes:$(cat "$WORK/dcp.txt")"
cat > "$WORK/custodyd.yaml" <<YAML
stateDir: $WORK/state
socket:
  path: $WORK/run/custody.sock
  group: ~
tokens:
  - name: bench
    module: $SOFTHSM
    label: bench
    pin: env:CUSTODY_BENCH_PIN
audit:
  path: ${AUDIT_PATH:-$WORK/state/audit.log}
limits:
  maxInFlightPerCaller: 16
  workerThreads: 16
YAML
java -cp "$DCP" dev.custody.daemon.Main --config "$WORK/custodyd.yaml" 2> "$WORK/custodyd.log" &
DPID=$!
for _ in $(seq 1 150); do [ -S "$WORK/run/custody.sock" ] && break; sleep 0.1; done
[ -S "$WORK/run/custody.sock" ] || { echo "custodyd did not start:"; cat "$WORK/custodyd.log"; exit 1; }
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"key.generate","params":{"role":"root"}}' \
  | socat -t 60 - UNIX-CONNECT:"$WORK/run/custody.sock" | grep -q '"result"' \
  || { echo "key.generate failed"; cat "$WORK/custodyd.log"; exit 1; }

eval "$(p11-kit server --sh --provider "$SOFTHSM" -n "$WORK/p11kit.sock" "pkcs11:token=bench")"
export CUSTODY_SOCKET="$WORK/run/custody.sock" CUSTODY_PKCS11_CONF="$WORK/none.conf"

rate() { sed -n 's/.*signs_per_sec=\([0-9.]*\).*/\1/p'; }
echo
echo "PKCS#11 front door: signbench (CKM_ECDSA, one key on SoftHSM2 $(softhsm2-util --version)), ${SECS}s per point, $(nproc) cores"
printf '%-8s %14s %18s %20s %14s\n' threads "raw (signs/s)" "p11-kit RPC (/s)" "libcustody-pkcs11 (/s)" "custody/p11kit"
for t in 1 2 8; do
  raw=$("$WORK/signbench" "$SOFTHSM" bench "$t" "$SECS" root | rate)
  rpc=$("$WORK/signbench" /usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so bench "$t" "$SECS" root | rate)
  ours=$("$WORK/signbench" "$WORK/libcustody-pkcs11.so" custody "$t" "$SECS" root | rate)
  printf '%-8s %14.0f %18.0f %20.0f %14.2f\n' "$t" "$raw" "$rpc" "$ours" "$(echo "$ours / $rpc" | bc -l)"
done
