#!/usr/bin/env bash
# Builds libcustody-pkcs11.so (pkcs11-module/src/main/c, the gcc command ModuleBuild uses) and installs it
# with its p11-kit module file, so `p11-kit list-modules` shows the token "custody".
#   PKCS11_DIR         where the module goes   (default /usr/lib/x86_64-linux-gnu/pkcs11)
#   P11KIT_MODULE_DIR  where custody.module goes (default /usr/share/p11-kit/modules)
# Needs gcc, libp11-kit-dev and libssl-dev (scripts/install-deps.sh); run as root for the default paths.
set -euo pipefail
cd "$(dirname "$0")/.."
PKCS11_DIR=${PKCS11_DIR:-/usr/lib/x86_64-linux-gnu/pkcs11}
P11KIT_MODULE_DIR=${P11KIT_MODULE_DIR:-/usr/share/p11-kit/modules}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
gcc -shared -fPIC -fvisibility=hidden -O2 -Wall -Wextra -Werror -I/usr/include/p11-kit-1 \
    -o "$WORK/libcustody-pkcs11.so" pkcs11-module/src/main/c/custody_pkcs11.c -lpthread -lcrypto
install -d -m 0755 "$PKCS11_DIR" "$P11KIT_MODULE_DIR"
install -m 0644 "$WORK/libcustody-pkcs11.so" "$PKCS11_DIR/libcustody-pkcs11.so.tmp"
mv -f "$PKCS11_DIR/libcustody-pkcs11.so.tmp" "$PKCS11_DIR/libcustody-pkcs11.so"
sed "s|^module: .*|module: $PKCS11_DIR/libcustody-pkcs11.so|" pkcs11-module/custody.module \
    > "$P11KIT_MODULE_DIR/custody.module.tmp"
chmod 0644 "$P11KIT_MODULE_DIR/custody.module.tmp"
mv -f "$P11KIT_MODULE_DIR/custody.module.tmp" "$P11KIT_MODULE_DIR/custody.module"
echo "installed $PKCS11_DIR/libcustody-pkcs11.so and $P11KIT_MODULE_DIR/custody.module"
