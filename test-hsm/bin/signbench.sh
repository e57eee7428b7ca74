#!/bin/sh
# Raw C_Sign throughput (ECDSA P-256) of a PKCS#11 module: the physical baseline.
#
#   test-hsm/bin/signbench.sh MODULE TOKEN_LABEL THREADS SECONDS [KEY_LABEL]
#
# The user PIN is read from $CUSTODY_BENCH_PIN, or else from the first line of
# stdin (prompted without echo on a terminal); never from the command line.
# Prints one line: threads=N seconds=S signs=... signs_per_sec=... elapsed_sec=... key=...
# Builds src/main/c/signbench.c with gcc into test-hsm/target/native/ when the
# binary is missing or older than its sources.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/src/main/c
out_dir=${CUSTODY_NATIVE_DIR:-$here/target/native}
bin=$out_dir/signbench
include=/usr/include/p11-kit-1

if [ "$#" -lt 4 ] || [ "$#" -gt 5 ]; then
    echo "usage: $0 MODULE TOKEN_LABEL THREADS SECONDS [KEY_LABEL]  (PIN from CUSTODY_BENCH_PIN or stdin)" >&2
    exit 2
fi

if [ ! -x "$bin" ] || [ "$src/signbench.c" -nt "$bin" ] || [ "$src/custody_ckr.h" -nt "$bin" ]; then
    command -v gcc >/dev/null 2>&1 || { echo "signbench.sh: gcc not found (apt-get install gcc)" >&2; exit 1; }
    [ -f "$include/p11-kit/pkcs11.h" ] || {
        echo "signbench.sh: $include/p11-kit/pkcs11.h missing (apt-get install libp11-kit-dev)" >&2; exit 1; }
    mkdir -p "$out_dir"
    tmp=$(mktemp "$out_dir/signbench.XXXXXX")
    trap 'rm -f "$tmp"' EXIT
    gcc -O2 -Wall -Wextra -Werror -I"$include" -I"$src" -o "$tmp" "$src/signbench.c" -ldl -lpthread
    mv -f "$tmp" "$bin"
    trap - EXIT
fi

exec "$bin" "$@"
