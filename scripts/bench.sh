#!/usr/bin/env bash
# `make bench`: custodyd's sign.raw measured from outside, beside the real peers, in one run:
#
#   raw C_Sign       test-hsm/src/main/c/signbench.c: in-process, one session per thread
#   p11-kit RPC      `p11-kit server` + p11-kit-client.so over a Unix socket (the usual way to share a
#                    token), driven by the same signbench
#   custodyd         bin/custodyd on the same token, driven by test-hsm/src/main/c/signclient.c (C, one
#                    connection per client, JSON line in and out, closed loop): every request decided by
#                    policy, signed, its audit line fdatasynced before the reply
#   slow token       the same three through test-hsm's fault shim with `latency C_Sign 1` (1 ms per C_Sign,
#                    like a real HSM or smart card): raw C 8 threads against custodyd 8 clients
#
# Every row prints signatures/s, p50 and p99 of one call, and custodyd's RSS after the row; then the
# footprint (RSS after start, after 100,000 signatures, at the peak of a 10,000-target publish and after
# a minute idle), daemon start to socket ready, and the goals of issue #13 with the measured ratios.
#
#   BENCH_SECONDS=N  seconds per row (default 5)     BENCH_PUBLISH=0  skip the 10,000-target publish
#
# Adding a row: run the program, then `row NAME CLIENTS OUTPUT_LINE [RSS_PID]` with a line holding
# signs_per_sec=, p50_us= and p99_us= (the format of signbench and signclient).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECS=${BENCH_SECONDS:-5}
PUBLISH=${BENCH_PUBLISH:-1}
WORK=$(mktemp -d /tmp/custody-bench.XXXXXX)
PIDS=()
SHM=
SHIM_CTL=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK" ${SHM:+"$SHM"} ${SHIM_CTL:+"$SHIM_CTL"}
}
trap cleanup EXIT INT TERM
MODULE=/usr/lib/softhsm/libsofthsm2.so
P11KIT_CLIENT=$(ls /usr/lib/*/pkcs11/p11-kit-client.so 2>/dev/null | head -n 1 || true)
[ -x "$ROOT/bin/custodyd" ] && ls "$ROOT"/daemon/target/custody-daemon-*.jar >/dev/null 2>&1 \
  || { echo "bench: build first (make build)" >&2; exit 1; }

export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens" "$WORK/shim"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --so-pin 87654321 --pin 123456 >/dev/null
export CUSTODY_BENCH_PIN=123456 # read by signbench and by custodyd's config (pin: env:…), never on a command line

C="$ROOT/test-hsm/src/main/c"
gcc -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 -o "$WORK/signbench" "$C/signbench.c" -ldl -lpthread
gcc -O2 -Wall -Wextra -Werror -o "$WORK/signclient" "$C/signclient.c" -lpthread
# the fault shim with its own copy of SoftHSM2 (own PKCS#11 state), 1 ms before every C_Sign
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 -o "$WORK/shim/libcustody-faultshim.so" \
    "$C/faultshim.c" -ldl -lpthread
cp "$MODULE" "$WORK/shim/real-libsofthsm2.so"
# The shim reads its control file (a stat per call) and rewrites its counts file (temporary file + rename)
# after every call. On ext4 a rename over an existing file writes the renamed data out (auto_da_alloc): a
# disk write per C_Sign, in the raw row and in custodyd alike, that no real token makes. Both files live on
# tmpfs, so the shim adds its 1 ms and little else.
SHIM_CTL=$(mktemp -d /dev/shm/custody-bench-shim.XXXXXX)
printf 'module=%s\ncontrol=%s\n' "$WORK/shim/real-libsofthsm2.so" "$SHIM_CTL/control" \
    > "$WORK/shim/libcustody-faultshim.so.conf"
printf 'latency C_Sign 1\n' > "$SHIM_CTL/control"
SHIM="$WORK/shim/libcustody-faultshim.so"

kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
declare -A RATE P50 P99
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
TICK_US=$((1000000 / $(getconf CLK_TCK)))
CPU0=0
# row NAME CLIENTS LINE [PID]: one table row; remembers rate and latency under "NAME/CLIENTS". With PID:
# that process's RSS after the row, and its CPU time per signature during the row (since CPU0 was set
# with `CPU0=$(cpu_ticks PID)` before it): a figure the machine's load does not change much
row() {
  local r p50 p99 n rss=- cpu=-
  r=$(kv signs_per_sec <<< "$3"); p50=$(kv p50_us <<< "$3"); p99=$(kv p99_us <<< "$3"); n=$(kv signs <<< "$3")
  [ -n "$r" ] || { echo "bench: no result for $1 $2: $3" >&2; exit 1; }
  if [ -n "${4:-}" ]; then
    rss=$(rss_mib "$4")
    [ "${n:-0}" -gt 0 ] && cpu=$(( ($(cpu_ticks "$4") - CPU0) * TICK_US / n ))
  fi
  RATE["$1/$2"]=$r; P50["$1/$2"]=$p50; P99["$1/$2"]=$p99
  printf '%-34s %7s %10.0f %8.2f %8.2f %9s %8s  %s\n' "$1" "$2" "$r" "$(bc -l <<< "$p50/1000")" \
      "$(bc -l <<< "$p99/1000")" "$rss" "$cpu" "$(busy_note "$3")"
}
busy_note() { local b; b=$(kv busy <<< "$1"); [ -z "$b" ] && return 0; echo "busy=$b errors=$(kv errors <<< "$1")"; }
header() {
  echo; echo "$1"
  printf '%-34s %7s %10s %8s %8s %9s %8s\n' path clients "signs/s" "p50 ms" "p99 ms" "RSS MiB" "CPU us"
}

# start_daemon NAME MODULE [AUDIT_LOG]: bin/custodyd on the token through MODULE; sets DPID, SOCK, STARTUP_MS
start_daemon() {
  local dir="$WORK/$1" t0 t1
  mkdir -p "$dir"
  rm -f "$dir/run/custody.sock"
  cat > "$dir/custodyd.yaml" <<YAML
stateDir: $dir/state
socket:
  path: $dir/run/custody.sock
  group: ~
tokens:
  - name: bench
    module: $2
    label: bench
    pin: env:CUSTODY_BENCH_PIN
servers:
  - name: default
    url: http://127.0.0.1:${NOTARY_PORT:-1}
YAML
  if [ -n "${3:-}" ]; then printf 'audit:\n  path: %s\n' "$3" >> "$dir/custodyd.yaml"; fi
  SOCK="$dir/run/custody.sock"
  t0=$(date +%s%N)
  CUSTODY_CDS_DIR="$WORK/cds" "$ROOT/bin/custodyd" --config "$dir/custodyd.yaml" 2> "$dir/custodyd.log" &
  DPID=$!
  PIDS+=("$DPID")
  for _ in $(seq 1 3000); do [ -S "$SOCK" ] && break; sleep 0.005; done
  t1=$(date +%s%N)
  [ -S "$SOCK" ] || { echo "custodyd did not start:"; cat "$dir/custodyd.log"; exit 1; }
  STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}
stop_daemon() { kill "$DPID"; wait "$DPID" 2>/dev/null || true; }

echo "custody bench: ECDSA P-256 on SoftHSM2 $(softhsm2-util --version), ${SECS}s per row, $(nproc) CPUs,"
echo "  $(java -version 2>&1 | head -n 1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- a notary-server for the publish (memory storage), when installed
NOTARY_PORT=
if [ "$PUBLISH" = 1 ] && command -v notary-server >/dev/null; then
  NOTARY_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf '{"server":{"http_addr":"127.0.0.1:%s"},"trust_service":{"type":"local","key_algorithm":"ecdsa"},"storage":{"backend":"memory"},"logging":{"level":"error"}}\n' \
    "$NOTARY_PORT" > "$WORK/notary-server.json"
  notary-server -config "$WORK/notary-server.json" > "$WORK/notary-server.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$NOTARY_PORT/_notary_server/health" >/dev/null 2>&1 && break; sleep 0.1; done
fi

# --- SoftHSM2 at full speed
start_daemon soft "$MODULE"
STARTUP_FIRST=$STARTUP_MS
sleep 1
RSS_START=$(rss_mib "$DPID")
KEY=$("$WORK/signclient" "$SOCK" --keygen) # a token key (CKA_TOKEN, CKA_PRIVATE, sensitive) labelled:
KEY_LABEL=bench.example/app/targets        # what custodyd names a targets key of bench.example/app

header "SoftHSM2 (one token key; peers in the same run)"
for t in 1 2 8; do row "raw C_Sign (in-process C)" "$t" "$("$WORK/signbench" "$MODULE" bench "$t" "$SECS" "$KEY_LABEL")"; done
if [ -n "$P11KIT_CLIENT" ] && command -v p11-kit >/dev/null; then
  p11-kit server -f --provider "$MODULE" -n "$WORK/p11kit.sock" "pkcs11:token=bench" > "$WORK/p11kit.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do [ -S "$WORK/p11kit.sock" ] && break; sleep 0.05; done
  for t in 1 2 8; do
    row "p11-kit RPC (server + client.so)" "$t" \
        "$(P11_KIT_SERVER_ADDRESS="unix:path=$WORK/p11kit.sock" "$WORK/signbench" "$P11KIT_CLIENT" bench "$t" "$SECS" "$KEY_LABEL")"
  done
else
  echo "(p11-kit or p11-kit-client.so missing: scripts/install-deps.sh installs p11-kit and p11-kit-modules)"
fi
# warm-up, not counted: the JIT compiles the request path (its CPU would otherwise land on the first row)
"$WORK/signclient" "$SOCK" "$KEY" 8 3 0 > /dev/null || true
for t in 1 2 4 8 32; do
  CPU0=$(cpu_ticks "$DPID")
  out=$("$WORK/signclient" "$SOCK" "$KEY" "$t" "$SECS" 0 || true) # no warm-up: CPU per signature is exact
  row "custodyd sign.raw (C client)" "$t" "$out" "$DPID"
done
BUSY32=$(kv busy <<< "$out")

# --- footprint: signatures up to 100,000 in all, then a 10,000-target publish
SIGNS=$(grep -c '"sign.raw"' "$WORK/soft/state/audit.log" || true)
if [ "$SIGNS" -lt 100000 ]; then
  left=$((100000 - SIGNS)); r=${RATE["custodyd sign.raw (C client)/8"]%.*}; r=${r:-1000}
  s=$(( left / (r > 0 ? r : 1) + 1 )); [ "$s" -gt 150 ] && s=150 # at most 150 s: the count is printed
  "$WORK/signclient" "$SOCK" "$KEY" 8 "$s" 0 > /dev/null || true
  SIGNS=$(grep -c '"sign.raw"' "$WORK/soft/state/audit.log" || true)
fi
sleep 2
RSS_100K=$(rss_mib "$DPID")
PUB_PEAK=- PUB_IDLE=- PUB_IDLE_S=- PUB_MS=-
if [ -n "$NOTARY_PORT" ]; then
  export CUSTODY_SOCKET="$SOCK" CUSTODY_CDS_DIR="$WORK/cds-cli"
  "$ROOT/bin/custody" init bench.example/big -p > "$WORK/publish.log" 2>&1
  /usr/bin/python3 -c '
import hashlib
for i in range(10000):
    print("pkg/file-%05d %d %s" % (i, 1000 + i, hashlib.sha256(b"%d" % i).hexdigest()))' > "$WORK/targets.txt"
  echo 5 > "/proc/$DPID/clear_refs" # reset VmHWM: the peak from here on is the publish's
  t0=$(date +%s%N)
  "$ROOT/bin/custody" add bench.example/big --batch "$WORK/targets.txt" -p >> "$WORK/publish.log" 2>&1 \
    || { echo "publish failed:"; tail -5 "$WORK/publish.log"; }
  PUB_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  PUB_PEAK=$(hwm_mib "$DPID")
  for s in $(seq 1 12); do
    sleep 5
    PUB_IDLE=$(rss_mib "$DPID"); PUB_IDLE_S=$((s * 5))
    [ "$PUB_IDLE" -lt 128 ] && break
  done
fi
stop_daemon
AUDIT_STATS=$(sed -n 's/.*audit log [^:]*: \(.*since start.*\)/\1/p' "$WORK/soft/custodyd.log")
# the same daemon again: this start maps the class-data archive the first one wrote at exit
start_daemon soft "$MODULE"
STARTUP_CDS=$STARTUP_MS
"$WORK/signclient" "$SOCK" --remove "$KEY" # the slow part's daemon makes its own key, with the same label
stop_daemon

# --- the same with the audit log on tmpfs, where fdatasync is almost free: the daemon's own cost
SHM=$(mktemp -d /dev/shm/custody-bench.XXXXXX)
start_daemon shm "$MODULE" "$SHM/audit.log"
SHM_KEY=$("$WORK/signclient" "$SOCK" --keygen)
"$WORK/signclient" "$SOCK" "$SHM_KEY" 8 3 0 > /dev/null || true # warm-up
header "SoftHSM2, custodyd's audit log on tmpfs (/dev/shm: fdatasync ~free), to separate the disk from the daemon"
for t in 1 2 8; do
  CPU0=$(cpu_ticks "$DPID")
  row "custodyd sign.raw, audit on tmpfs" "$t" "$("$WORK/signclient" "$SOCK" "$SHM_KEY" "$t" "$SECS" 0 || true)" "$DPID"
done
"$WORK/signclient" "$SOCK" --remove "$SHM_KEY"
stop_daemon
rm -rf "$SHM"

# --- the slow token: 1 ms per C_Sign through the fault shim
start_daemon slow "$SHIM"
SLOW_KEY=$("$WORK/signclient" "$SOCK" --keygen)
"$WORK/signclient" "$SOCK" "$SLOW_KEY" 8 3 0 > /dev/null || true # warm-up
header "token with 1 ms per C_Sign (fault shim: latency C_Sign 1)"
row "raw C_Sign through the shim" 8 "$("$WORK/signbench" "$SHIM" bench 8 "$SECS" "$KEY_LABEL")"
CPU0=$(cpu_ticks "$DPID")
row "custodyd sign.raw, slow token" 8 "$("$WORK/signclient" "$SOCK" "$SLOW_KEY" 8 "$SECS" 0 || true)" "$DPID"
stop_daemon
SLOW_AUDIT=$(sed -n 's/.*audit log [^:]*: \(.*since start.*\)/\1/p' "$WORK/slow/custodyd.log")

echo
echo "custodyd footprint: RSS ${RSS_START} MiB after start, ${RSS_100K} MiB after ${SIGNS} signatures;"
echo "  10,000-target publish (${PUB_MS} ms): peak ${PUB_PEAK} MiB, ${PUB_IDLE} MiB after ${PUB_IDLE_S} s idle"
echo "custodyd start to socket ready: ${STARTUP_FIRST} ms (first start), ${STARTUP_CDS} ms (with its class-data archive)"
echo "audit group commit: ${AUDIT_STATS:-?} (SoftHSM2 rows); ${SLOW_AUDIT:-?} (slow token)"
# what one durable audit line costs on this disk, alone: the floor under a 1-client sign.raw
/usr/bin/python3 - "$WORK" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fdatasync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
t = []
for _ in range(500):
    t0 = time.perf_counter(); os.write(fd, b"x" * 299 + b"\n"); os.fdatasync(fd); t.append(time.perf_counter() - t0)
os.close(fd); os.unlink(path); t.sort()
print("disk: a 300-byte append + fdatasync in the audit log's file system: p50 %d us, p90 %d us, p99 %d us (500, alone)"
      % (t[250] * 1e6, t[450] * 1e6, t[495] * 1e6))
PY

# goal NAME VALUE OP LIMIT
goal() { printf '  %-62s %8.2f  %s %-5s %s\n' "$1" "$2" "$3" "$4" "$( [ "$(bc -l <<< "$2 $3 $4")" = 1 ] && echo met || echo NOT met)"; }
ratio() { bc -l <<< "${RATE[$1]:-0} / ${RATE[$2]:-1}"; }
echo
echo "goals (issue #13):"
goal "slow token, custodyd 8 clients / raw 8 threads" "$(ratio 'custodyd sign.raw, slow token/8' 'raw C_Sign through the shim/8')" '>=' 0.9
if [ -n "${RATE['p11-kit RPC (server + client.so)/2']:-}" ]; then
  goal "SoftHSM2, custodyd 8 clients / p11-kit RPC 2 threads" "$(ratio 'custodyd sign.raw (C client)/8' 'p11-kit RPC (server + client.so)/2')" '>=' 1.0
  goal "SoftHSM2, custodyd 1 client / p11-kit RPC 1 thread" "$(ratio 'custodyd sign.raw (C client)/1' 'p11-kit RPC (server + client.so)/1')" '>=' 0.5
fi
goal "custodyd 8 clients p99 / p50" "$(bc -l <<< "${P99['custodyd sign.raw (C client)/8']} / ${P50['custodyd sign.raw (C client)/8']}")" '<=' 3
goal "32 clients of one uid: BUSY replies" "${BUSY32:-1}" '<=' 0
goal "RSS after start (MiB)" "$RSS_START" '<=' 96
goal "RSS after 100,000 signatures (MiB)" "$RSS_100K" '<=' 128
if [ "$PUB_PEAK" != - ]; then
  goal "RSS at the peak of a 10,000-target publish (MiB)" "$PUB_PEAK" '<=' 192
  goal "RSS after idling (MiB), ${PUB_IDLE_S} s" "$PUB_IDLE" '<' 128
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
