#!/usr/bin/env bash
# kairn run --config: two sources in one agent, each with its own namespace,
# label and self-heal setting; a bad config is refused with file:line.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; cat "$RUN_LOG_a" >&2; exit 1; }
label_of() {
	kubesim_curl "/api/v1/namespaces/$1/configmaps/$2" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["labels"].get("kairn.dev/source",""))'
}

make_namespace kairn-system
make_namespace team-b
mkdir -p "$RUN_DIR/a" "$RUN_DIR/b"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: default\ndata:\n  k: a\n' >"$RUN_DIR/a/one.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\ndata:\n  k: b\n' >"$RUN_DIR/b/two.yaml"
cat >"$RUN_DIR/kairn.yaml" <<YAML
sources:
  - name: alpha
    dir: $RUN_DIR/a
    interval: 10m
  - name: beta
    dir: $RUN_DIR/b
    namespace: team-b
    selfHeal: false
YAML
run_start a --config "$RUN_DIR/kairn.yaml"
wait_for 5 cm_is default one a || fail "alpha not synced"
wait_for 5 cm_is team-b two b || fail "beta not synced into its namespace"
[ "$(label_of default one)" = alpha ] || fail "one is not labelled alpha"
[ "$(label_of team-b two)" = beta ] || fail "two is not labelled beta"
kubectl --kubeconfig "$KUBESIM_KUBECONFIG" patch configmap one -n default --type merge -p '{"data":{"k":"x"}}' >/dev/null
kubectl --kubeconfig "$KUBESIM_KUBECONFIG" patch configmap two -n team-b --type merge -p '{"data":{"k":"x"}}' >/dev/null
wait_for 2 cm_is default one a || fail "alpha (selfHeal on) not restored"
sleep 1
cm_is team-b two x || fail "beta has selfHeal off but was restored"

# SIGTERM: exit 0 (and, in the sanitizer build, nothing leaked)
kill -TERM "$RUN_PID_a"
wait "$RUN_PID_a" || fail "exit code $? after SIGTERM"

printf 'sources:\n  - name: bad\n    dir: /x\n    intervl: 1m\n' >"$RUN_DIR/bad.yaml"
if "$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" run --config "$RUN_DIR/bad.yaml" 2>"$RUN_DIR/bad.err"; then
	fail "a bad config was accepted"
fi
grep -q "bad.yaml:4: sources\[0\]: unknown field \"intervl\"" "$RUN_DIR/bad.err" || { cat "$RUN_DIR/bad.err"; fail "bad config message"; }
echo "PASS run_config"
