#!/usr/bin/env bash
# run-tests.sh — the README's test command: installs what is missing, builds
# everything with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
# test (unit, kubesim conformance with every installed kubectl, e2e) with
# ctest; then builds without sanitizers and runs the unit tests under
# valgrind memcheck. Exits non-zero if anything fails.
#   KAIRN_VALGRIND=0   skip the valgrind pass
#   KAIRN_PROMTOOL=0   do not fetch promtool (e2e/run_metrics is then skipped)
#   extra arguments    passed to the sanitizer ctest run (e.g. -R kubesim)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash tests/tools/install-deps.sh --test

JOBS=${JOBS:-$(nproc)}
ASAN_BUILD=${KAIRN_TEST_BUILD_DIR:-build-asan}
echo "==> configure $ASAN_BUILD (ASan + UBSan)"
cmake -S . -B "$ASAN_BUILD" -DKAIRN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
# promtool for e2e/run_metrics (which skips without it): from Debian's
# prometheus .deb into the build dir, on PATH for ctest. KAIRN_PROMTOOL=0
# skips this (offline); run_metrics then reports "skipped".
if [ "${KAIRN_PROMTOOL:-1}" = "1" ]; then
  echo "==> promtool into $ASAN_BUILD/tools"
  bash tests/tools/install-promtool.sh "$ROOT/$ASAN_BUILD/tools" ||
    { echo "cannot install promtool (KAIRN_PROMTOOL=0 to run without it)" >&2; exit 1; }
  export PATH="$ROOT/$ASAN_BUILD/tools:$PATH"
fi
echo "==> build $ASAN_BUILD"
cmake --build "$ASAN_BUILD" -j "$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "==> test (sanitizers)"
(cd "$ASAN_BUILD" && ctest --output-on-failure -j "$JOBS" "$@")

if [ "${KAIRN_VALGRIND:-1}" = "1" ]; then
  VG_BUILD=build-valgrind
  echo "==> configure $VG_BUILD (no sanitizers, for valgrind)"
  cmake -S . -B "$VG_BUILD" -DKAIRN_SANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  echo "==> build $VG_BUILD"
  cmake --build "$VG_BUILD" -j "$JOBS"
  echo "==> unit tests under valgrind memcheck"
  (cd "$VG_BUILD" && ctest -L unit -j "$JOBS" --output-on-failure -T memcheck \
      --overwrite MemoryCheckCommand=/usr/bin/valgrind \
      --overwrite "MemoryCheckCommandOptions=--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=no" \
      >"$ROOT/$VG_BUILD/memcheck.log" 2>&1) || { tail -40 "$ROOT/$VG_BUILD/memcheck.log"; exit 1; }
  # ctest -T memcheck reports defects but exits 0: fail on any.
  if grep -q "Memory checking results:" "$ROOT/$VG_BUILD/memcheck.log" &&
     grep -A20 "Memory checking results:" "$ROOT/$VG_BUILD/memcheck.log" | grep -qE ' - [0-9]+'; then
    grep -A20 "Memory checking results:" "$ROOT/$VG_BUILD/memcheck.log"
    echo "valgrind found memory errors (see $VG_BUILD/Testing/Temporary/MemoryChecker.*.log)" >&2
    exit 1
  fi
  grep -E "tests passed|tests failed" "$ROOT/$VG_BUILD/memcheck.log" | sed 's/^/valgrind: /'
fi
