#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages kairn builds and tests with.
# Idempotent: asks apt only for what is missing, and says what it does.
set -euo pipefail

PKGS=(build-essential cmake pkg-config git
      libgit2-dev libcurl4-openssl-dev libarchive-dev libcjson-dev libyaml-dev
      libmicrohttpd-dev libcmocka-dev libssl-dev zlib1g-dev
      openssl openssh-server openssh-client valgrind)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "==> dependencies: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "==> dependencies: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "==> dependencies: done"
