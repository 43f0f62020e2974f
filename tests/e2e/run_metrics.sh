#!/usr/bin/env bash
# /metrics of a working `kairn run` (after a sync, a drift correction and a
# webhook) passes `promtool check metrics` (format and lint). promtool comes
# from PATH or $KAIRN_BUILD_DIR/tools (tests/tools/install-promtool.sh puts
# it there; tests do not download); without it the test exits 77 (ctest: skipped)
# after checking everything else.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; cat "$RUN_LOG_a" >&2; exit 1; }

promtool=$(command -v promtool || true)
[ -z "$promtool" ] && [ -x "$KAIRN_BUILD_DIR/tools/promtool" ] && promtool=$KAIRN_BUILD_DIR/tools/promtool
make_namespace kairn-system
write_cms "$RUN_DIR/app" 2 v1
printf 's\n' >"$RUN_DIR/secret"
run_start a --dir "$RUN_DIR/app" --source demo --leader-elect --webhook-secret-file "$RUN_DIR/secret"
base="http://127.0.0.1:$RUN_PORT_a"
wait_for 10 curl -sf "$base/readyz" >/dev/null || fail "not ready"
kubectl --kubeconfig "$KUBESIM_KUBECONFIG" patch configmap cm1 -n default --type merge -p '{"data":{"k":"x"}}' >/dev/null
wait_for 2 cm_is default cm1 v1 || fail "not restored"
sleep 0.2
curl -sf "$base/metrics" >"$RUN_DIR/metrics"
for name in kairn_syncs_total kairn_sync_duration_seconds_bucket kairn_objects kairn_drift_corrections_total \
	kairn_kube_requests_total kairn_last_sync_success_timestamp_seconds kairn_leader kairn_selfheal_objects; do
	grep -q "^$name" "$RUN_DIR/metrics" || fail "/metrics lacks $name"
done
grep -q '^kairn_leader 1' "$RUN_DIR/metrics" || fail "kairn_leader is not 1"
if [ -z "$promtool" ]; then
	echo "SKIPPED promtool check: run tests/tools/install-promtool.sh $KAIRN_BUILD_DIR/tools"
	exit 77
fi
"$promtool" check metrics <"$RUN_DIR/metrics" || fail "promtool check metrics failed"
echo "PASS run_metrics (promtool: $promtool)"
