#!/usr/bin/env bash
# kairn run against kubesim: syncs on start (/readyz), restores a patched and a
# deleted managed object (self-heal), a verified webhook triggers a sync within
# a second and a bad one gets 401, /metrics reports it, SIGTERM exits 0.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; echo "--- kairn run log:" >&2; cat "$RUN_LOG_a" >&2; exit 1; }

make_namespace kairn-system
write_cms "$RUN_DIR/app" 3 v1
printf 'hook-secret\n' >"$RUN_DIR/secret"
run_start a --dir "$RUN_DIR/app" --source demo --interval 10m --webhook-secret-file "$RUN_DIR/secret"
base="http://127.0.0.1:$RUN_PORT_a"

wait_for 10 curl -sf "$base/readyz" >/dev/null || fail "/readyz never became ready"
[ "$(cm_value default cm1)" = v1 ] || fail "cm1 not synced"
curl -sf "$base/healthz" | grep -q ok || fail "/healthz"

# self-heal: a patch and a delete are undone
kubectl --kubeconfig "$KUBESIM_KUBECONFIG" patch configmap cm1 -n default --type merge -p '{"data":{"k":"drifted"}}' >/dev/null
wait_for 2 cm_is default cm1 v1 || fail "patched cm1 not restored within 2 s"
kubesim_curl /api/v1/namespaces/default/configmaps/cm2 -X DELETE >/dev/null
wait_for 2 cm_is default cm2 v1 || fail "deleted cm2 not recreated within 2 s"

# webhook: wrong signature → 401, nothing synced; right one → sync within a second
write_cms "$RUN_DIR/app" 3 v2
body='{"ref":"refs/heads/main"}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/webhook" -H 'X-Hub-Signature-256: sha256=0000' -d "$body")
[ "$code" = 401 ] || fail "bad signature answered $code, want 401"
sleep 0.3
[ "$(cm_value default cm3)" = v1 ] || fail "a refused webhook triggered a sync"
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac hook-secret | sed 's/^.*= //')
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/webhook" -H "X-Hub-Signature-256: sha256=$sig" -d "$body")
[ "$code" = 202 ] || fail "valid webhook answered $code, want 202"
wait_for 1 cm_is default cm3 v2 || fail "valid webhook did not sync within 1 s"
# GitLab style: the token itself
write_cms "$RUN_DIR/app" 3 v3
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/webhook" -H "X-Gitlab-Token: wrong" -d "$body")
[ "$code" = 401 ] || fail "wrong GitLab token answered $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/webhook" -H "X-Gitlab-Token: hook-secret" -d "$body")
[ "$code" = 202 ] || fail "GitLab token answered $code, want 202"
wait_for 1 cm_is default cm3 v3 || fail "GitLab webhook did not sync within 1 s"

# metrics
m=$(curl -sf "$base/metrics")
grep -q '^kairn_syncs_total{source="demo",result="success"} 3' <<<"$m" || fail "syncs_total: $(grep syncs_total <<<"$m")"
grep -q '^kairn_drift_corrections_total{source="demo",kind="ConfigMap",result="applied"} [2-9]' <<<"$m" || fail "drift corrections not counted"
grep -q '^kairn_kube_requests_total [1-9]' <<<"$m" || fail "API requests not counted"
grep -q '^kairn_last_sync_success_timestamp_seconds{source="demo"} [1-9]' <<<"$m" || fail "last success time"

# SIGTERM: exit 0
kill -TERM "$RUN_PID_a"
rc=0
wait "$RUN_PID_a" || rc=$?
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM"
echo "PASS run_agent"
