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
mvn -B -q -o -pl pkcs11 dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null
CP="$ROOT/pkcs11/target/classes:$(cat "$WORK/cp.txt")"

rate() { sed -n 's/.*signs_per_sec=\([0-9.]*\).*/\1/p'; }
echo "ECDSA P-256 C_Sign with one token key (CKA_TOKEN, CKA_PRIVATE) on SoftHSM2 $(softhsm2-util --version), ${SECS}s per point, $(nproc) cores"
printf '%-8s %16s %22s %8s\n' threads "raw C (signs/s)" "custody pkcs11 (signs/s)" ratio
for t in 1 2 8; do
  # the Java run creates the token key "custody-bench" (CKA_TOKEN, CKA_PRIVATE, sensitive) if absent;
  # the C baseline signs with that same key
  java -cp "$CP" dev.custody.pkcs11.bench.SignThroughput "$MODULE" bench "$SECS" "$t" > "$WORK/j.txt"
  ours=$(rate < "$WORK/j.txt")
  raw=$("$WORK/signbench" "$MODULE" bench "$t" "$SECS" custody-bench | rate)
  printf '%-8s %16.0f %22.0f %8.2f\n' "$t" "$raw" "$ours" "$(echo "$ours / $raw" | bc -l)"
done
