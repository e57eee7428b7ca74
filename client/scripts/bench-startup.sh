#!/usr/bin/env bash
# Start-up benchmark of the custody CLI (`make bench`): wall time of `custody status` against a running
# custodyd with a SoftHSM2 token, and of `custody --version`, with the build's class-data archive and
# without it (CUSTODY_CDS=off, the baseline), next to `notary list` of a published repository on a local
# notary-server (the real Go client and server), all on this machine in the same run. Prints
# p50/p90/min per command and the load average before and after.
#
#   client/scripts/bench-startup.sh [RUNS]        (default 30 runs of each, interleaved)
#
# Needs the build (`make build`, or `mvn -o -pl client,daemon -am package -DskipTests`: client/target has
# custody.jsa), softhsm2-util, notary and notary-server on PATH. Everything it starts (custodyd,
# notary-server) lives in a temporary directory and is stopped on exit. With the Temurin JDK 25 installed,
# `custody status` is also timed on it (its own archive, made by the launcher's fallback in the run's
# directory) for comparison.
set -euo pipefail
runs=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/custody-bench-startup.XXXXXX)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

[ -s "$root/client/target/custody.jsa" ] && [ -s "$root/daemon/target/custody-daemon-0.1.0.jar" ] || {
  echo "bench-startup: build first: make build (or mvn -o -pl client,daemon -am package -DskipTests)" >&2; exit 1; }

now() { date +%s%N; }
# stats NAME FILE: p50, p90, min in ms of the nanosecond figures in FILE
stats() {
  sort -n "$2" | awk -v name="$1" '{ a[NR] = $1 } END {
    p50 = a[int((NR + 1) / 2)]; p90 = a[int(NR * 0.9 + 0.5)]; if (p90 == "") p90 = a[NR];
    printf "%-46s p50 %6.0f ms   p90 %6.0f ms   min %6.0f ms   (n=%d)\n", name, p50 / 1e6, p90 / 1e6, a[1] / 1e6, NR }'
}
# once FILE CMD...: run CMD once (its output discarded; it must succeed), append its wall time in ns to FILE
once() {
  f=$1; shift
  t0=$(now); "$@" > /dev/null 2> "$work/last.err" || { echo "bench-startup: failed: $*"; cat "$work/last.err"; exit 1; }
  t1=$(now); echo $((t1 - t0)) >> "$f"
}

# --- a SoftHSM2 token and custodyd serving it (as scripts/demo.sh sets them up)
export SOFTHSM2_CONF="$work/softhsm2.conf"
mkdir -p "$work/tokens" "$work/run"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$work/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --so-pin 87654321 --pin 123456 > /dev/null
cat > "$work/custodyd.yaml" <<YAML
stateDir: $work/state
socket:
  path: $work/run/custody.sock
  group: ~
tokens:
  - name: bench
    module: /usr/lib/softhsm/libsofthsm2.so
    label: bench
    pin: prompt
YAML
"$root/bin/custodyd" --config "$work/custodyd.yaml" > "$work/custodyd.log" 2>&1 &
pids="$pids $!"
i=0; while [ ! -S "$work/run/custody.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$work/run/custody.sock" ] || { echo "custodyd did not start:"; cat "$work/custodyd.log"; exit 1; }
export CUSTODY_SOCKET="$work/run/custody.sock"
export CUSTODY_CDS_DIR="$work/cds"

# --- notary-server (memory storage) with one published target
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '{"server":{"http_addr":"127.0.0.1:%s"},"trust_service":{"type":"local"},"storage":{"backend":"memory"},"logging":{"level":"error"}}\n' \
  "$port" > "$work/notary-server.json"
notary-server -config "$work/notary-server.json" > "$work/notary-server.log" 2>&1 &
pids="$pids $!"
i=0; until curl -fsS "http://127.0.0.1:$port/_notary_server/health" > /dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
export NOTARY_ROOT_PASSPHRASE=bench NOTARY_TARGETS_PASSPHRASE=bench NOTARY_SNAPSHOT_PASSPHRASE=bench
notary_list() { notary -d "$work/notary-trust" -s "http://127.0.0.1:$port" list bench.example/app; }
notary -d "$work/notary-trust" -s "http://127.0.0.1:$port" init bench.example/app -p > /dev/null
echo hello > "$work/t"
notary -d "$work/notary-trust" -s "http://127.0.0.1:$port" add bench.example/app v1 "$work/t" -p > /dev/null
[[ $(notary_list) == *v1* ]] || { echo "notary list does not show the published target"; exit 1; }

custody="$root/bin/custody"
[[ $("$custody" status) == custodyd\ * ]] || { echo "custody status failed"; exit 1; }
[ ! -e "$CUSTODY_CDS_DIR" ] || { echo "bin/custody did not use the build's archive (client/target/custody.jsa)"; exit 1; }
j25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
if [ -x "$j25" ]; then
  # JDK 25: its archive is made by the launcher's fallback in the background on first use
  CUSTODY_JAVA=$j25 CUSTODY_CDS_DIR="$work/cds25" "$custody" status > /dev/null
  i=0; until ls "$work"/cds25/custody-*.jsa > /dev/null 2>&1 || [ $i -ge 1200 ]; do sleep 0.1; i=$((i + 1)); done
  while ls -d "$work"/cds25/*.lock > /dev/null 2>&1; do sleep 0.1; done
fi

echo "machine: $(nproc) CPUs, $(java -version 2>&1 | head -n 1), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ "$i" -lt "$runs" ]; do
  once "$work/status" "$custody" status
  CUSTODY_CDS=off once "$work/status-off" "$custody" status
  once "$work/version" "$custody" --version
  CUSTODY_CDS=off once "$work/version-off" "$custody" --version
  once "$work/notary" notary_list
  if [ -x "$j25" ]; then CUSTODY_JAVA=$j25 CUSTODY_CDS_DIR="$work/cds25" once "$work/status25" "$custody" status; fi
  i=$((i + 1))
done
stats "custody status (JDK 17, build's archive)" "$work/status"
stats "custody status (JDK 17, no archive)" "$work/status-off"
stats "custody --version (JDK 17, build's archive)" "$work/version"
stats "custody --version (JDK 17, no archive)" "$work/version-off"
if [ -x "$j25" ]; then stats "custody status (JDK 25, archive)" "$work/status25"; fi
stats "notary list (notary-server on 127.0.0.1)" "$work/notary"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
