#!/usr/bin/env bash
# s3rver.sh — a local S3 (s3rver from npm) for the backup store tests.
#   s3rver.sh install            installs s3rver@3 once into $KAIRN_S3RVER_DIR
#                                (default ~/.cache/kairn-s3rver); idempotent
#   s3rver.sh start WORKDIR      starts it on 127.0.0.1, a free port, data in
#                                WORKDIR/data, bucket "kairn-test"; prints the
#                                endpoint URL; pid in WORKDIR/pid
#   s3rver.sh stop WORKDIR       stops the server started for WORKDIR
# Credentials are s3rver's fixed S3RVER / S3RVER. s3rver checks only the access key id,
# not the SigV4 signature: test_backup_sigv4 proves the signer against AWS's examples.
set -euo pipefail

DIR="${KAIRN_S3RVER_DIR:-$HOME/.cache/kairn-s3rver}"
BIN="$DIR/node_modules/.bin/s3rver"

install() {
  if [ -x "$BIN" ]; then return 0; fi
  command -v npm >/dev/null || { echo "s3rver.sh: npm not found" >&2; return 1; }
  mkdir -p "$DIR"
  echo "==> installing s3rver into $DIR" >&2
  npm install --silent --no-audit --no-fund --prefix "$DIR" s3rver@3 >&2
}

start() {
  local work="$1" log port
  install
  mkdir -p "$work/data"
  log="$work/s3rver.log"
  # -p 0: the kernel picks a free port; s3rver prints it.
  # s3rver signs continuation tokens with a cipher OpenSSL 3 keeps in its legacy provider
  NODE_OPTIONS=--openssl-legacy-provider "$BIN" -d "$work/data" -a 127.0.0.1 -p 0 --service-endpoint localhost \
         --configure-bucket kairn-test >"$log" 2>&1 &
  echo $! >"$work/pid"
  for _ in $(seq 1 100); do
    port=$(grep -o 'listening on [^ ]*:[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' | head -1 || true)
    if [ -n "$port" ]; then echo "http://127.0.0.1:$port"; return 0; fi
    kill -0 "$(cat "$work/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "s3rver.sh: server did not start; log:" >&2
  cat "$log" >&2
  stop "$work"
  return 1
}

stop() {
  local work="$1"
  if [ -f "$work/pid" ]; then
    kill "$(cat "$work/pid")" 2>/dev/null || true
    rm -f "$work/pid"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start "${2:?WORKDIR}" ;;
  stop) stop "${2:?WORKDIR}" ;;
  *) echo "usage: $0 install | start WORKDIR | stop WORKDIR" >&2; exit 2 ;;
esac
