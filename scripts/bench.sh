#!/usr/bin/env bash
# `make bench`: ECDSA P-256 signing throughput through Custody's token layer, printed beside the raw
# C_Sign baseline (test-hsm/src/main/c/signbench.c) measured on the same SoftHSM2 token in the same run.
# SECONDS per point can be set with BENCH_SECONDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${BENCH_SECONDS:-5}
WORK=$(mktemp -d /tmp/custody-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
MODULE=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label bench --so-pin 87654321 --pin 123456 >/dev/null
export CUSTODY_BENCH_PIN=123456

gcc -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 -o "$WORK/signbench" \
    "$ROOT/test-hsm/src/main/c/signbench.c" -ldl -lpthread
mvn -B -q -o -pl bench dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=runtime -DexcludeGroupIds=dev.custody >/dev/null
CP="$ROOT/bench/target/classes:$ROOT/pkcs11/target/classes:$ROOT/client/target/classes:$ROOT/protocol/target/classes:$(cat "$WORK/cp.txt")"

rate() { sed -n 's/.*signs_per_sec=\([0-9.]*\).*/\1/p'; }
echo "ECDSA P-256 C_Sign with one token key (CKA_TOKEN, CKA_PRIVATE) on SoftHSM2 $(softhsm2-util --version), ${SECS}s per point, $(nproc) cores"
printf '%-8s %16s %22s %8s\n' threads "raw C (signs/s)" "custody pkcs11 (signs/s)" ratio
for t in 1 2 8; do
  # the Java run creates the token key "custody-bench" (CKA_TOKEN, CKA_PRIVATE, sensitive) if absent;
  # the C baseline signs with that same key
  java -cp "$CP" dev.custody.bench.SignThroughput "$MODULE" bench "$SECS" "$t" > "$WORK/j.txt"
  ours=$(rate < "$WORK/j.txt")
  raw=$("$WORK/signbench" "$MODULE" bench "$t" "$SECS" custody-bench | rate)
  printf '%-8s %16.0f %22.0f %8.2f\n' "$t" "$raw" "$ours" "$(echo "$ours / $raw" | bc -l)"
done

# sign.raw through custodyd's socket (JSON-RPC, policy, C_Sign, audit line synced before each reply),
# with 1, 2 and 8 concurrent clients, beside the raw C_Sign baseline measured again in this run (with the
# token key "custody-bench" made above: the same kind of object as the daemon's key); and
# the daemon's resident memory when idle. The daemon runs as its own process with the same token.
# Then sign.batch (batches of 64 and 256, 1 and 2 clients: one audit line and sync per batch).
# It runs twice: audit log on the state disk (as deployed), then on tmpfs (/dev/shm), where fsync is
# nearly free, to show how much of the cost is the audit log's fsync.
mvn -B -q -o -pl daemon -am dependency:build-classpath -Dmdep.outputFile="$WORK/dcp.txt" \
    -Dmdep.includeScope=runtime -DexcludeGroupIds=dev.custody >/dev/null
DCP="$ROOT/daemon/target/classes:$ROOT/pkcs11/target/classes:$ROOT/tuf/target/classes:$ROOT/http/target/classes:$ROOT/protocol/target/classes:$ROOT/client/target/classes:$ROOT/bench/target/classes:$(cat "$WORK/dcp.txt")"
SHM=$(mktemp -d /dev/shm/custody-bench.XXXXXX)
DPID=
trap '[ -n "$DPID" ] && kill $DPID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK" "$SHM"' EXIT

daemon_bench() { # $1 = title, $2 = audit log path
  rm -rf "$WORK/state" "$WORK/run"
  cat > "$WORK/custodyd.yaml" <<YAML
stateDir: $WORK/state
socket:
  path: $WORK/run/custody.sock
  group: ~
tokens:
  - name: bench
    module: $MODULE
    label: bench
    pin: env:CUSTODY_BENCH_PIN
audit:
  path: $2
limits:
  maxInFlightPerCaller: 16
  workerThreads: 16
YAML
  java -cp "$DCP" dev.custody.daemon.Main --config "$WORK/custodyd.yaml" 2> "$WORK/custodyd.log" &
  DPID=$!
  for _ in $(seq 1 150); do [ -S "$WORK/run/custody.sock" ] && break; sleep 0.1; done
  [ -S "$WORK/run/custody.sock" ] || { echo "custodyd did not start:"; cat "$WORK/custodyd.log"; exit 1; }
  sleep 2
  local rss_idle rss_after raw ours
  rss_idle=$(awk '/^VmRSS/ {print $2}' /proc/$DPID/status)
  echo
  echo "sign.raw through custodyd, $1, ${SECS}s per point"
  printf '%-8s %16s %22s %8s\n' clients "raw C (signs/s)" "custodyd sign.raw (/s)" ratio
  for t in 1 2 8; do
    raw=$("$WORK/signbench" "$MODULE" bench "$t" "$SECS" custody-bench | rate)
    java -cp "$DCP" dev.custody.bench.SignRawBench "$WORK/run/custody.sock" "$SECS" "$t" > "$WORK/d.txt"
    ours=$(rate < "$WORK/d.txt")
    printf '%-8s %16.0f %22.0f %8.2f\n' "$t" "$raw" "$ours" "$(echo "$ours / $raw" | bc -l)"
  done
  # sign.batch: N payloads per request, one audit line and one sync per batch
  printf '%-8s %6s %16s %22s %8s\n' clients batch "raw C (signs/s)" "custodyd sign.batch (/s)" ratio
  for b in 64 256; do
    for t in 1 2; do
      raw=$("$WORK/signbench" "$MODULE" bench "$t" "$SECS" custody-bench | rate)
      java -cp "$DCP" dev.custody.bench.SignRawBench --batch "$b" "$WORK/run/custody.sock" "$SECS" "$t" \
          > "$WORK/d.txt"
      ours=$(rate < "$WORK/d.txt")
      printf '%-8s %6s %16.0f %22.0f %8.2f\n' "$t" "$b" "$raw" "$ours" "$(echo "$ours / $raw" | bc -l)"
    done
  done
  rss_after=$(awk '/^VmRSS/ {print $2}' /proc/$DPID/status)
  echo "custodyd RSS: idle $((rss_idle / 1024)) MiB, after the sign.raw and sign.batch runs $((rss_after / 1024)) MiB"
  kill $DPID; wait $DPID 2>/dev/null || true; DPID=
  # custodyd logs its audit log's lines and syncs at stop: lines per sync is the group-commit factor
  sed -n 's/.*audit log [^:]*: \(.*since start.*\)/audit: \1 (all points together)/p' "$WORK/custodyd.log"
}
daemon_bench "audit log fsynced on $(df --output=fstype "$WORK" | tail -1) ($WORK)" "$WORK/state/audit.log"
daemon_bench "audit log on tmpfs (fsync ~free: the daemon's own cost)" "$SHM/audit.log"
