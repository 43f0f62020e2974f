#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages kairn builds and tests with.
# Idempotent: asks apt only for what is missing, and says what it does.
#   --test   also the packages only the tests use (lighttpd + mod_openssl:
#            the git http-backend and the HTTP/2 e2e tests); tests/run-tests.sh
#            passes it.
# Installing lighttpd must never leave a system web server on port 80: the
# Debian postinst starts the service unless /usr/sbin/policy-rc.d forbids it,
# so while apt runs we put a policy-rc.d that forbids every start in place
# (only if none exists; ours is removed again on exit). The tests start their
# own lighttpd on a free loopback port and never rely on a system one.
set -euo pipefail

PKGS=(build-essential cmake pkg-config git
      libgit2-dev libcurl4-openssl-dev libarchive-dev libcjson-dev libyaml-dev
      libmicrohttpd-dev libcmocka-dev libssl-dev zlib1g-dev
      openssl openssh-server openssh-client valgrind)
TEST_PKGS=(lighttpd lighttpd-mod-openssl)

for arg in "$@"; do
  case "$arg" in
    --test) PKGS+=("${TEST_PKGS[@]}") ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown argument '$arg' (only --test)" >&2; exit 2 ;;
  esac
done

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

POLICY=/usr/sbin/policy-rc.d
OUR_POLICY=0
remove_policy() {
  if [ "$OUR_POLICY" = 1 ]; then
    $SUDO rm -f "$POLICY"
    echo "==> dependencies: removed the temporary $POLICY"
  fi
}
if [ ! -e "$POLICY" ]; then
  # 101 = "action forbidden by policy": invoke-rc.d starts no service.
  printf '#!/bin/sh\n# temporary, from kairn tests/tools/install-deps.sh\nexit 101\n' |
    $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  OUR_POLICY=1
  trap remove_policy EXIT
fi

echo "==> dependencies: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Should a service manager have started a system lighttpd anyway (a
# policy-rc.d that allowed it), stop it; under systemd also disable it so no
# boot starts it later: nothing of ours may serve on :80.
case " ${missing[*]} " in
  *" lighttpd "*)
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
      echo "==> dependencies: disabling the system lighttpd service (tests run their own)"
      $SUDO systemctl disable --now lighttpd >/dev/null 2>&1 || true
    elif [ -x /etc/init.d/lighttpd ] && /etc/init.d/lighttpd status >/dev/null 2>&1; then
      echo "==> dependencies: stopping the system lighttpd the package started"
      $SUDO /etc/init.d/lighttpd stop || true
    fi ;;
esac
echo "==> dependencies: done"
