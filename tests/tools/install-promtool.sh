#!/usr/bin/env bash
# install-promtool.sh DEST_DIR — puts promtool (from Debian's `prometheus`
# package) into DEST_DIR without installing the package: the package pulls
# ~96 MB of server and web UI, promtool is one static binary. Uses
# `apt-get download` (no root) and extracts only usr/bin/promtool.
set -euo pipefail
dest=${1:?usage: install-promtool.sh DEST_DIR}
# already there (checked first: DEST may be on PATH, and linking promtool
# to itself would destroy it)
[ -x "$dest/promtool" ] && exit 0
mkdir -p "$dest"
if command -v promtool >/dev/null 2>&1; then
	ln -sf "$(command -v promtool)" "$dest/promtool"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download needs the package lists: a machine whose packages were all
# preinstalled may have none (Docker images drop them), so update once.
if ! (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo
	echo "==> promtool: refreshing the package lists (apt-get update)"
	$SUDO apt-get update -qq
	(cd "$tmp" && apt-get download prometheus >/dev/null)
fi
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
install -m 0755 "$tmp/usr/bin/promtool" "$dest/promtool"
