#!/bin/sh
# Start-up benchmark of the custody CLI: wall time of `custody status` against a running custodyd,
# next to `notary list` against a local notary-server, on the same machine. Prints p50/p90/min.
#
#   client/scripts/bench-startup.sh [RUNS]        (default 30 runs each)
#
# Needs: `mvn -o -pl client,daemon -am package -DskipTests` done, notary and notary-server on PATH.
# Starts a private custodyd (state, socket in a temp dir) and a private notary-server (memory
# storage), both stopped on exit. The first custody run records the class-data archive (slower);
# it is reported separately and not counted.
set -eu
runs=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM

now() { date +%s%N; }
# stats NAME FILE: p50, p90, min in ms of the nanosecond figures in FILE
stats() {
  sort -n "$2" | awk -v name="$1" '{ a[NR] = $1 } END {
    p50 = a[int((NR + 1) / 2)]; p90 = a[int(NR * 0.9 + 0.5)]; if (p90 == "") p90 = a[NR];
    printf "%-34s p50 %6.1f ms   p90 %6.1f ms   min %6.1f ms   (n=%d)\n", name, p50 / 1e6, p90 / 1e6, a[1] / 1e6, NR }'
}
time_runs() { # FILE CMD...: run CMD $runs times, append ns to FILE
  f=$1; shift; i=0
  while [ "$i" -lt "$runs" ]; do
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now); echo $((t1 - t0)) >> "$f"; i=$((i + 1))
  done
}

# --- custodyd
(cd "$root" && mvn -B -o -q -pl daemon -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/runtime-classpath.txt -Dmdep.includeScope=runtime > "$work/mvn.log" 2>&1) \
  || { echo "building custodyd failed:"; tail -n 20 "$work/mvn.log"; exit 1; }
cp=$(cat "$root/daemon/target/runtime-classpath.txt")
cat > "$work/custodyd.yaml" <<YAML
stateDir: $work/state
socket:
  path: $work/run/custody.sock
  group: ~
YAML
java -cp "$root/daemon/target/classes:$cp" dev.custody.daemon.Main --config "$work/custodyd.yaml" \
  > "$work/custodyd.log" 2>&1 &
pids="$pids $!"
i=0; while [ ! -S "$work/run/custody.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$work/run/custody.sock" ] || { echo "custodyd did not start:"; cat "$work/custodyd.log"; exit 1; }
export CUSTODY_SOCKET="$work/run/custody.sock"

# --- notary-server with one published target
port=$((20000 + $$ % 20000))
printf '{"server":{"http_addr":"127.0.0.1:%s"},"trust_service":{"type":"local"},"storage":{"backend":"memory"},"logging":{"level":"error"}}\n' \
  "$port" > "$work/notary-server.json"
notary-server -config "$work/notary-server.json" > "$work/notary-server.log" 2>&1 &
pids="$pids $!"
sleep 1
export NOTARY_ROOT_PASSPHRASE=bench NOTARY_TARGETS_PASSPHRASE=bench NOTARY_SNAPSHOT_PASSPHRASE=bench
N="notary -d $work/notary-trust -s http://127.0.0.1:$port"
$N init bench.example/app -p > /dev/null
echo hello > "$work/t"; $N add bench.example/app v1 "$work/t" -p > /dev/null

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -n 1)"

# --- JDK 17 (AppCDS)
export CUSTODY_CDS_DIR="$work/cds17"
t0=$(now); "$root/bin/custody" status > /dev/null; t1=$(now)
echo "custody status, first run (records the CDS archive): $(( (t1 - t0) / 1000000 )) ms"
time_runs "$work/custody17" "$root/bin/custody" status
CUSTODY_CDS=off time_runs "$work/custody17-nocds" "$root/bin/custody" status
time_runs "$work/notary" $N list bench.example/app
stats "custody status (JDK 17, AppCDS)" "$work/custody17"
stats "custody status (JDK 17, no CDS)" "$work/custody17-nocds"

# --- JDK 25 (AOT cache), when installed
j25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
if [ -x "$j25" ]; then
  export CUSTODY_CDS_DIR="$work/cds25"
  CUSTODY_JAVA=$j25 "$root/bin/custody" status > /dev/null 2>&1 || true
  CUSTODY_JAVA=$j25 time_runs "$work/custody25" "$root/bin/custody" status
  stats "custody status (JDK 25, AOT cache)" "$work/custody25"
fi
stats "notary list" "$work/notary"
