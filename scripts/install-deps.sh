#!/usr/bin/env bash
# Installs the Debian packages Custody's demo and tests need, if any is missing.
# Works as root or through sudo; does nothing when everything is present.
set -euo pipefail
PKGS=(softhsm2 opensc notary libp11-kit-dev gcc libc6-dev make openssl socat curl python3 bsdutils systemd util-linux passwd maven openjdk-17-jdk-headless
      ykcs11 pcscd vsmartcard-vpcd docker-registry
      p11-kit p11-kit-modules postgresql libengine-pkcs11-openssl openssh-client python3-securesystemslib python3-pykcs11
      libssl-dev python3-asn1crypto)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "installing: ${missing[*]}" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
