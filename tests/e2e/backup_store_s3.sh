#!/usr/bin/env bash
# backup_store_s3.sh — the S3 backup store against a real S3 server (s3rver
# from npm) on 127.0.0.1: put/get/list/delete, ListObjectsV2 pagination,
# multipart upload, path- and virtual-host style, a whole backup uploaded,
# listed, downloaded, verified and expired. Runs tests/unit/test_backup_s3.c
# with KAIRN_S3_ENDPOINT set; the server is stopped on exit whatever happens.
set -euo pipefail

SRC="${KAIRN_SOURCE_DIR:?}"
BUILD="${KAIRN_BUILD_DIR:?}"
TEST_BIN="$BUILD/tests/test_backup_s3"
WORK=$(mktemp -d /tmp/kairn-e2e-s3-XXXXXX)
cleanup() {
  "$SRC/tests/tools/s3rver.sh" stop "$WORK" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! "$SRC/tests/tools/s3rver.sh" install; then
  echo "SKIP: s3rver could not be installed from npm"
  exit 77  # ctest SKIP_RETURN_CODE
fi
ENDPOINT=$("$SRC/tests/tools/s3rver.sh" start "$WORK")
echo "==> s3rver at $ENDPOINT"

KAIRN_S3_ENDPOINT="$ENDPOINT" "$TEST_BIN"

# The 11 MiB object went up as a multipart upload: 3 parts and one completion.
grep -q 'uploads=' "$WORK/s3rver.log" || { echo "FAIL: no CreateMultipartUpload seen"; exit 1; }
parts=$(grep -c 'partNumber=' "$WORK/s3rver.log" || true)
[ "$parts" -ge 3 ] || { echo "FAIL: expected 3 UploadPart requests, saw $parts"; exit 1; }
echo "==> backup_store_s3: ok (multipart parts: $parts)"
