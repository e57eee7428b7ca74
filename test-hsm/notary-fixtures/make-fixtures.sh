#!/usr/bin/env bash
# Builds Notary fixture repositories on a running notary-server with the real notary CLI (Debian's 0.7).
#
#   make-fixtures.sh WORKDIR SERVER_URL [CA_CERT]
#
# One GUN per scenario, example.com/fixtures/<scenario>; the commands of each scenario are listed in
# README.md beside this script. Each scenario gets its own trust dir under WORKDIR/<scenario>/trust
# (private keys stay there: WORKDIR is a temporary directory; nothing here is ever committed).
# WORKDIR/scenarios.txt lists "<scenario> <gun>" for each repository that was built.
# Passphrases come from NOTARY_*_PASSPHRASE (defaults below), never from the command line.
set -euo pipefail

work=${1:?WORKDIR}
server=${2:?SERVER_URL}
ca=${3:-}
mkdir -p "$work"
work=$(cd "$work" && pwd)

export NOTARY_ROOT_PASSPHRASE=${NOTARY_ROOT_PASSPHRASE:-custody-test-passphrase}
export NOTARY_TARGETS_PASSPHRASE=${NOTARY_TARGETS_PASSPHRASE:-custody-test-passphrase}
export NOTARY_SNAPSHOT_PASSPHRASE=${NOTARY_SNAPSHOT_PASSPHRASE:-custody-test-passphrase}
export NOTARY_DELEGATION_PASSPHRASE=${NOTARY_DELEGATION_PASSPHRASE:-custody-test-passphrase}

: > "$work/scenarios.txt"

# n SCENARIO ARGS... : notary against the server with the scenario's trust dir; fatal errors (printed on
# stdout by notary) fail the script.
n() {
    local s=$1; shift
    local args=(-s "$server" -d "$work/$s/trust")
    if [ -n "$ca" ]; then args+=(--tlscacert "$ca"); fi
    local out
    if ! out=$(HOME="$work/$s" notary "${args[@]}" "$@" </dev/null 2>&1); then
        echo "notary $* failed: $out" >&2; return 1
    fi
    if grep -q '\* fatal' <<<"$out"; then echo "notary $* failed: $out" >&2; return 1; fi
    printf '%s\n' "$out" >>"$work/$s/notary.log"
}

begin() {
    mkdir -p "$work/$1/files"
    printf 'hello from %s\n' "$1" >"$work/$1/files/hello.txt"
    head -c 4096 /dev/zero | tr '\0' 'x' >"$work/$1/files/app.bin"
}

done_() { echo "$1 example.com/fixtures/$1" >>"$work/scenarios.txt"; }

# delegation key + certificate for targets/releases, imported so notary can sign with it
delegation_key() {
    local s=$1
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/$s/releases.key" 2>/dev/null
    openssl req -new -x509 -key "$work/$s/releases.key" -subj "/CN=releases" -days 365 \
        -out "$work/$s/releases.crt" 2>/dev/null
    n "$s" key import "$work/$s/releases.key" --role targets/releases --gun "example.com/fixtures/$s"
}

# init: a new repository, published empty
s=init; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
done_ $s

# add: two targets in targets
s=add; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
n $s add $g v1 "$work/$s/files/hello.txt"
n $s add $g app "$work/$s/files/app.bin"
n $s publish $g
done_ $s

# delegation: targets/releases (all paths) holding a target, plus one in targets
s=delegation; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
delegation_key $s
n $s delegation add $g targets/releases "$work/$s/releases.crt" --all-paths
n $s add $g v1 "$work/$s/files/hello.txt"
n $s add $g rel "$work/$s/files/app.bin" --roles targets/releases
n $s publish $g
done_ $s

# delegation-paths: targets/releases limited to "release/"
s=delegation-paths; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
delegation_key $s
n $s delegation add $g targets/releases "$work/$s/releases.crt" --paths release/
n $s add $g release/v1 "$work/$s/files/app.bin" --roles targets/releases
n $s publish $g
done_ $s

# rotate-targets: key rotate targets (root v2), then a new target signed with the new key
s=rotate-targets; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
n $s add $g v1 "$work/$s/files/hello.txt" --publish
n $s key rotate $g targets
n $s add $g v2 "$work/$s/files/app.bin" --publish
done_ $s

# rotate-snapshot-server: key rotate snapshot -r (the server signs snapshots from then on)
s=rotate-snapshot-server; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
n $s add $g v1 "$work/$s/files/hello.txt" --publish
n $s key rotate $g snapshot -r
n $s add $g v2 "$work/$s/files/app.bin" --publish
done_ $s

# witness: delegation re-signed unchanged
s=witness; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
delegation_key $s
n $s delegation add $g targets/releases "$work/$s/releases.crt" --all-paths
n $s add $g rel "$work/$s/files/app.bin" --roles targets/releases --publish
n $s witness $g targets/releases --publish
done_ $s

# rotate-root: key rotate root (new root signed by old and new root keys)
s=rotate-root; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
n $s add $g v1 "$work/$s/files/hello.txt" --publish
yes_args=(-s "$server" -d "$work/$s/trust"); if [ -n "$ca" ]; then yes_args+=(--tlscacert "$ca"); fi
out=$(echo yes | HOME="$work/$s" notary "${yes_args[@]}" key rotate $g root 2>&1)
grep -q 'fatal\|Aborting' <<<"$out" && { echo "rotate root failed: $out" >&2; exit 1; }
printf '%s\n' "$out" >>"$work/$s/notary.log"
n $s add $g v2 "$work/$s/files/app.bin" --publish
done_ $s

# odd-names: target names that canonical JSON must carry exactly (<, >, &, quote, backslash,
# non-ASCII, U+2028, astral plane). A control character (e.g. a tab) cannot be published by notary 0.7:
# canonical JSON writes it raw and Go's json.Marshal then refuses the RawMessage.
s=odd-names; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
n $s add $g 'odd/<tag>&"quoted"\back' "$work/$s/files/hello.txt"
n $s add $g "$(printf 'unicode/\303\251\342\234\223\360\237\230\200')" "$work/$s/files/hello.txt"
n $s add $g "$(printf 'sep\342\200\250line')" "$work/$s/files/app.bin"
n $s add $g "$(printf 'z\357\275\236fullwidth')" "$work/$s/files/app.bin"
# U+FF5E sorts before U+1F600 by UTF-8 bytes (Go's order) but after it by UTF-16 units
n $s add $g "$(printf 'order/\357\275\236')" "$work/$s/files/hello.txt"
n $s add $g "$(printf 'order/\360\237\230\200')" "$work/$s/files/hello.txt"
n $s publish $g
done_ $s

# edit-by-custody: a notary-made repository with a delegation, which the tests then edit and publish
s=edit-by-custody; g=example.com/fixtures/$s; begin $s
n $s init $g --publish
delegation_key $s
n $s delegation add $g targets/releases "$work/$s/releases.crt" --all-paths
n $s add $g v1 "$work/$s/files/hello.txt"
n $s add $g rel "$work/$s/files/app.bin" --roles targets/releases
n $s publish $g
done_ $s

echo "fixtures in $work ($(wc -l <"$work/scenarios.txt") scenarios)"
