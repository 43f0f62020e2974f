#!/usr/bin/env bash
# hooks_timeout_pod.sh — a Job hook that never finishes (kubesim runs Jobs
# for a minute here) fails at its kairn.dev/hook-timeout with a clear
# message and its status, exit 4, the sync's objects unwritten; Pod hooks
# succeed or fail with their phase (kubesim does not run Pods: this script
# sets the phase through the status subresource while kairn waits).
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
sync_env_init --job-duration-ms 60000
hooks_repo_init
KAIRN_SOURCE_NAME=slow

cat >"$REPO/app.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: default
data:
  v: "1"
EOF
hook_job default slow pre-sync "kairn.dev/hook-timeout: 1500ms" >"$REPO/hook-slow.yaml"
repo_commit "a hook that never finishes"
start=$(date +%s%N)
kairn_sync
expect_rc 4 "hook timeout"
took=$(( ($(date +%s%N) - start) / 1000000 ))
note "timed out sync took ${took} ms"
[ "$took" -lt 15000 ] || fail "the 1.5 s timeout took ${took} ms"
grep -q 'pre-sync hook Job default/slow (hook-slow.yaml:1) failed: timed out: not finished after 1500ms (kairn.dev/hook-timeout: 1500ms; default 10m)' "$T/err" ||
	fail "timeout message: $(cat "$T/err")"
grep -q 'hook      pre-sync Job default/slow FAILED (1\.[5-9]s): timed out' "$T/out" || fail "report: $(cat "$T/out")"
grep -q '            .*active 1' "$T/out" || fail "no status under the timeout: $(cat "$T/out")"
if kctl get cm -n default app >/dev/null 2>&1; then fail "ConfigMap applied after a timed-out hook"; fi

# Pod hooks: phase Succeeded is success, Failed is failure.
rm "$REPO/hook-slow.yaml"
cat >"$REPO/hook-pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: probe
  namespace: default
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  restartPolicy: Never
  containers:
    - name: probe
      image: registry.example.com/probe:1
EOF
repo_commit "a Pod hook"

# set_pod_phase PHASE: waits for a fresh probe Pod, then sets its phase.
set_pod_phase() {
	local i uid
	for i in $(seq 1 200); do
		uid=$(kctl get pod -n default probe -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
		[ -n "$uid" ] && [ "$uid" != "${last_uid:-}" ] && break
		sleep 0.05
	done
	[ -n "$uid" ] || { echo "no probe pod" >&2; return 1; }
	last_uid=$uid
	sleep 0.5 # kairn polls a running Pod at least once
	kubesim_curl /api/v1/namespaces/default/pods/probe/status -X PATCH \
		-H 'Content-Type: application/merge-patch+json' -d "{\"status\":{\"phase\":\"$1\"}}" >/dev/null
}
# bg_sync / bg_wait: kairn_sync in the background; $RC after bg_wait.
bg_sync() { ( kairn_sync; echo "$RC" >"$T/rc" ) & BG_PID=$!; }
bg_wait() { wait "$BG_PID" || true; RC=$(cat "$T/rc"); }
last_uid=
bg_sync
set_pod_phase Succeeded || fail "could not set the Pod's phase"
bg_wait
expect_rc 0 "Pod hook Succeeded"
grep -q 'hook      pre-sync Pod default/probe succeeded (' "$T/out" || fail "report: $(cat "$T/out")"
[ "$(kctl get cm -n default app -o jsonpath='{.data.v}')" = 1 ] || fail "ConfigMap not applied after the Pod hook"

sed -i 's/v: "1"/v: "2"/' "$REPO/app.yaml"
repo_commit "v2"
bg_sync
set_pod_phase Failed || fail "could not set the Pod's phase"
bg_wait
expect_rc 4 "Pod hook Failed"
grep -q 'hook      pre-sync Pod default/probe FAILED (.*): Pod failed' "$T/out" || fail "report: $(cat "$T/out")"
grep -q 'phase Failed' "$T/out" || fail "no Pod phase in the report: $(cat "$T/out")"
[ "$(kctl get cm -n default app -o jsonpath='{.data.v}')" = 1 ] || fail "ConfigMap changed after a failed Pod hook"
echo "hooks_timeout_pod: ok"
