#!/usr/bin/env bash
# run-tests.sh — the README's test command: installs what is missing, builds
# everything with AddressSanitizer + UndefinedBehaviorSanitizer, and runs every
# test (unit, kubesim conformance with every installed kubectl, e2e) with ctest.
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/tools/install-deps.sh

BUILD=${KAIRN_TEST_BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}
echo "==> configure ($BUILD, sanitizers on)"
cmake -S . -B "$BUILD" -DKAIRN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
echo "==> build"
cmake --build "$BUILD" -j "$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "==> test"
cd "$BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
