#!/usr/bin/env bash
# Outages never end the agent. Git: the repository does not exist yet →
# the sync fails, /healthz stays 200, /readyz 503, and once the repository
# appears the retry syncs it. API: every API request answers 500 (and the
# watches drop) for a while → kairn logs and backs off; when the API
# recovers it syncs and self-heals again.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; cat "$RUN_LOG_a" >&2; exit 1; }
# log_count_gt PATTERN N: the agent's log has more than N lines matching PATTERN
log_count_gt() { [ "$(grep -c "$1" "$RUN_LOG_a" || true)" -gt "$2" ]; }

make_namespace kairn-system
repo="$RUN_DIR/repo"
run_start a --repo "file://$repo" --cache-dir "$RUN_DIR/cache" --source git --interval 2s
base="http://127.0.0.1:$RUN_PORT_a"
wait_for 5 grep -q "sync git failed" "$RUN_LOG_a" || fail "no failure logged for a missing repository"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || fail "/healthz not 200 during a Git outage"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 503 ] || fail "/readyz not 503 before the first sync"

write_cms "$repo" 1 v1
git -C "$repo" init -q -b main
git -C "$repo" add .
git -C "$repo" -c user.name=t -c user.email=t@e commit -qm one
# first retry 5 s after the failure
wait_for 10 cm_is default cm1 v1 || fail "not synced after the repository appeared"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ] || fail "/readyz not 200 after the sync"

# API outage: every request fails until a sync has failed
kubesim_curl /kubesim/faults -X POST -H 'Content-Type: application/json' -d '{"type":"500"}' >/dev/null
kubesim_curl /kubesim/faults -X POST -H 'Content-Type: application/json' -d '{"type":"drop"}' >/dev/null
fails_before=$(grep -c "sync git failed" "$RUN_LOG_a" || true)
# a sync fails once its requests exhausted their retries (8 attempts, backoff
# 0.2 s doubling: ~25 s)
wait_for 60 log_count_gt "sync git failed" "$fails_before" ||
	fail "no sync failed during the API outage: the fault did not bite"
kill -0 "$RUN_PID_a" || fail "kairn run died during the API outage"
kubesim_curl /kubesim/faults -X DELETE >/dev/null
# self-heal works again once the watch is back (its retry backoff is ≤ 8 s here)
kubectl --kubeconfig "$KUBESIM_KUBECONFIG" patch configmap cm1 -n default --type merge -p '{"data":{"k":"x"}}' >/dev/null
wait_for 15 cm_is default cm1 v1 || fail "not self-healed after the API outage"
kill -0 "$RUN_PID_a" || fail "kairn run died"
ok_before=$(grep -c "sync git at" "$RUN_LOG_a" || true)
wait_for 10 log_count_gt "sync git at" "$ok_before" || fail "no successful sync after the API outage"
echo "PASS run_outage"
