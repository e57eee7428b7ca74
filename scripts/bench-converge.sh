#!/usr/bin/env bash
# `make bench` (and alone): several signing hosts on one Notary server. N custodyd (own SoftHSM2 token,
# state and delegation each) x M parallel clients per daemon publish one target per `repo.add -p` to one
# GUN for SECONDS, against notary-server on its memory store and on PostgreSQL (started here, thrown
# away), beside one daemon alone. Prints publishes/s, publishes that had to converge (another host
# published first) and the attempts that cost, failures, p50/p95 latency.
# BENCH_CONVERGE_SECONDS (default 15) and BENCH_CONVERGE_POINTS ("1x1 1x4 3x1 3x4") can be set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${BENCH_CONVERGE_SECONDS:-15}
POINTS=${BENCH_CONVERGE_POINTS:-"1x1 1x4 3x1 3x4"}
WORK=$(mktemp -d /tmp/custody-bench-converge.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mvn -B -q -o -pl bench dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=runtime \
    -DexcludeGroupIds=dev.custody >/dev/null
CP="$ROOT/bench/target/classes:$ROOT/test-hsm/target/classes:$ROOT/daemon/target/classes:$ROOT/pkcs11/target/classes"
CP="$CP:$ROOT/tuf/target/classes:$ROOT/http/target/classes:$ROOT/protocol/target/classes:$ROOT/client/target/classes:$(cat "$WORK/cp.txt")"
echo
echo "Several signing hosts, one notary-server 0.7 (snapshot/timestamp keys on the server, one delegation per"
echo "host): repo.add -p of one target per call, ${SECS}s per point, $(nproc) cores"
printf '%-9s %8s %8s %12s %10s %10s %7s %8s %8s\n' backend daemons clients "publishes/s" converged attempts+ failed p50_ms p95_ms
for backend in memory postgres; do
  for point in $POINTS; do
    n=${point%x*}; m=${point#*x}
    java -cp "$CP" dev.custody.bench.ConvergeBench "$n" "$m" "$SECS" "$backend" > "$WORK/out.txt" 2> "$WORK/err.txt" \
      || { echo "ConvergeBench $n $m $backend failed:"; tail -20 "$WORK/err.txt"; exit 1; }
    line=$(tail -1 "$WORK/out.txt")
    get() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<< "$line"; }
    printf '%-9s %8s %8s %12s %10s %10s %7s %8s %8s\n' "$backend" "$n" "$m" "$(get publishes_per_sec)" \
      "$(get retried_publishes)" "$(get extra_attempts)" "$(get failed)" "$(get p50_ms)" "$(get p95_ms)"
  done
done
