#!/usr/bin/env bash
# demo.sh — the README's main job: builds kairn and runs it against a local
# kubesim (the embedded default): connect and check, and — as capabilities
# land — sync the seed manifests from a local Git repository, show prune and
# self-heal, back up and restore. Everything it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash tests/tools/install-deps.sh

echo "==> build (release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAIRN_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)"
KAIRN=$ROOT/build/kairn

echo "==> kairn version"
"$KAIRN" version
