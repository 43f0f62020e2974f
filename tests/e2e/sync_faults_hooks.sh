#!/usr/bin/env bash
# sync_faults_hooks.sh — with kubesim answering 5 % of API requests with 500
# and 5 % with 429, a full seed sync still converges and reports its retries;
# a failing pre-sync hook (the omnitron migration Job, made to fail with
# kubesim's fail annotation) aborts the sync with exit 4 before any other
# write; once the hook is fixed the change goes through.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"
sync_env_init
seed_repo_build

kubesim_curl /kubesim/faults -X POST -H 'Content-Type: application/json' \
	-d '{"faults":[{"type":"500","fraction":0.05},{"type":"429","fraction":0.05,"retryAfter":1}]}' \
	| grep -q '"ok":true' || fail "could not inject faults"
kairn_sync -o json
expect_rc 0 "sync under 500s and 429s"
retries=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"]["retries"])' "$T/out")
hits=$(kubesim_curl /kubesim/faults | python3 -c 'import json,sys; print(sum(f["hits"] for f in json.load(sys.stdin)["faults"]))')
note "faults injected: $hits, retries reported: $retries"
[ "$hits" -gt 10 ] || fail "only $hits faults fired"
[ "$retries" -ge "$hits" ] || fail "$hits faults but only $retries retries reported"
kubesim_curl /kubesim/faults -X DELETE >/dev/null

# Converged: the next sync writes nothing.
counters_reset
kairn_sync
expect_rc 0 "sync after faults"
[ "$(counter)" = 0 ] || { writes_by_resource >&2; fail "sync under faults did not converge"; }

# A failing pre-sync hook: exit 4, nothing but the hook written.
job="$REPO/omnitron-platform/job-migrate-v1-4-2.yaml"
python3 - "$job" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("  template:\n    spec:\n", "  template:\n    metadata:\n      annotations:\n        kubesim.kairn.dev/fail: \"true\"\n    spec:\n", 1)
assert "kubesim.kairn.dev/fail" in s
open(p, "w").write(s)
EOF
sed -i 's|image: registry.example.com/platform-api:v1.4.2|image: registry.example.com/platform-api:v1.4.3|' \
	"$REPO/omnitron-platform/deployment-api.yaml"
grep -q "platform-api:v1.4.3" "$REPO/omnitron-platform/deployment-api.yaml" || fail "no image to change"
repo_commit "api v1.4.3 with a failing migration"
counters_reset
kairn_sync
expect_rc 4 "sync with a failing pre-sync hook"
grep -q "migrate-v1-4-2" "$T/err" || fail "the failing hook is not named: $(cat "$T/err")"
nonhook=$(( $(counter) - $(counter patch jobs) - $(counter delete jobs) - $(counter create jobs) ))
[ "$nonhook" = 0 ] || { writes_by_resource >&2; fail "$nonhook writes besides the hook"; }
[ "$(counter patch jobs)" -ge 1 ] || fail "the hook did not run"
img=$(kctl get deploy -n platform api -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = registry.example.com/platform-api:v1.4.2 ] || fail "api was updated despite the hook failing: $img"

# Fixed hook: the change goes through.
git -C "$REPO" show HEAD~1:omnitron-platform/job-migrate-v1-4-2.yaml >"$job"
repo_commit "migration fixed"
kairn_sync
expect_rc 0 "sync with the hook fixed"
img=$(kctl get deploy -n platform api -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = registry.example.com/platform-api:v1.4.3 ] || fail "api not updated after the fix: $img"
echo "sync_faults_hooks: ok"
