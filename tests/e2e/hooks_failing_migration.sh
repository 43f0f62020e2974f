#!/usr/bin/env bash
# hooks_failing_migration.sh — the omnitron upgrade whose migration Job fails
# (kubesim.kairn.dev/fail: "true" on its pod template): exit 4, the api
# Deployment untouched (same resourceVersion and image), nothing but hook
# Jobs written, the SyncFail hook run after the failure, the failed Job's
# conditions in the report; the failed Job kept by the default policy
# (before-hook-creation, so running the same hook again works) and deleted
# with hook-failed; once fixed, the upgrade goes through.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
sync_env_init --job-duration-ms 200
hooks_repo_init
cp -R "$SEEDS/omnitron-platform" "$REPO/omnitron-platform"
chmod -R u+w "$REPO"
cat >"$REPO/omnitron-platform/job-notify-failure.yaml" <<'EOF'
apiVersion: batch/v1
kind: Job
metadata:
  name: notify-failure
  namespace: platform
  annotations:
    argocd.argoproj.io/hook: SyncFail
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: notify
          image: registry.example.com/notify:1
EOF
repo_commit "omnitron v1.4.2"
KAIRN_SOURCE_NAME=omnitron
api_image() { kctl get deploy -n platform api -o jsonpath='{.spec.template.spec.containers[0].image}'; }
api_rv() { kctl get deploy -n platform api -o jsonpath='{.metadata.resourceVersion}'; }

kairn_sync
expect_rc 0 "install"
if kctl get job -n platform notify-failure >/dev/null 2>&1; then fail "SyncFail hook ran on a good sync"; fi

# Upgrade with a migration that fails.
job="$REPO/omnitron-platform/job-migrate-v1-4-3.yaml"
git -C "$REPO" mv omnitron-platform/job-migrate-v1-4-2.yaml omnitron-platform/job-migrate-v1-4-3.yaml
python3 - "$job" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("migrate-v1-4-2", "migrate-v1-4-3").replace("platform-api:v1.4.2", "platform-api:v1.4.3")
s = s.replace("  template:\n    spec:\n", "  template:\n    metadata:\n      annotations:\n        kubesim.kairn.dev/fail: \"true\"\n    spec:\n", 1)
assert "kubesim.kairn.dev/fail" in s
open(p, "w").write(s)
EOF
sed -i 's|platform-api:v1.4.2|platform-api:v1.4.3|' "$REPO/omnitron-platform/deployment-api.yaml"
repo_commit "api v1.4.3 with a failing migration"
rv0=$(api_rv)
mark=$(state_rv)
kairn_sync
expect_rc 4 "sync with a failing pre-sync hook"
events_since "$mark"
[ "$(api_rv)" = "$rv0" ] || fail "api Deployment written: rv $rv0 -> $(api_rv)"
[ "$(api_image)" = registry.example.com/platform-api:v1.4.2 ] || fail "api image changed: $(api_image)"
others=$(ev_names "e['kind'] != 'Job'")
[ -z "$others" ] || fail "written besides hook Jobs: $others"
failed_at=$(ev_rv_where 'e["name"] == "migrate-v1-4-3" and cond(e, "Failed") == "True"')
notify_at=$(ev_rv ADDED Job platform notify-failure)
note "migration Failed at rv $failed_at, SyncFail hook created at rv $notify_at"
lt "$failed_at" "$notify_at" || fail "SyncFail hook not run after the failure"
# Default policy (before-hook-creation): the failed Job is kept for inspection.
[ "$(kctl get job -n platform migrate-v1-4-3 -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')" = True ] ||
	fail "the failed Job was not kept"
grep -q "hook      pre-sync Job platform/migrate-v1-4-3 FAILED (" "$T/out" || fail "no FAILED hook line: $(cat "$T/out")"
grep -q "Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit" "$T/out" ||
	fail "no failure message: $(cat "$T/out")"
grep -q "conditions .*Failed=True (BackoffLimitExceeded)" "$T/out" || fail "no conditions: $(cat "$T/out")"
grep -q "hook      sync-fail Job platform/notify-failure succeeded" "$T/out" || fail "no sync-fail line: $(cat "$T/out")"
grep -q "job-migrate-v1-4-3.yaml:[0-9]" "$T/err" || fail "the error does not name file:line: $(cat "$T/err")"

# The same hook again (same name): the leftover is deleted first, then the
# Job is created anew — and fails again. JSON shows the conditions.
mark=$(state_rv)
kairn_sync -o json
expect_rc 4 "second sync with the failing hook"
events_since "$mark"
del=$(ev_rv DELETED Job platform migrate-v1-4-3)
add=$(ev_rv ADDED Job platform migrate-v1-4-3)
lt "$del" "$add" || fail "leftover not deleted before the hook was created again (deleted $del, added $add)"
[ "$(json_get "$T/out" 'j["hooks"][0]["state"]')" = Failed ] || fail "json: $(cat "$T/out")"
json_get "$T/out" '[c["reason"] for c in j["hooks"][0]["conditions"] if c["type"] == "Failed"][0]' |
	grep -qx BackoffLimitExceeded || fail "json conditions: $(cat "$T/out")"
[ "$(api_rv)" = "$rv0" ] || fail "api Deployment written on the second try"

# hook-failed (Helm spelling): the failed Job is deleted after failing.
sed -i 's|helm.sh/hook-delete-policy: before-hook-creation|helm.sh/hook-delete-policy: before-hook-creation,hook-failed|' "$job"
grep -q 'hook-failed' "$job" || fail "policy not changed"
repo_commit "delete failed migrations"
mark=$(state_rv)
kairn_sync
expect_rc 4 "failing hook with hook-failed"
events_since "$mark"
failed_at=$(ev_rv_where 'e["name"] == "migrate-v1-4-3" and e["type"] != "DELETED" and cond(e, "Failed") == "True"')
gone_at=$(ev_rv_where "e['type'] == 'DELETED' and e['name'] == 'migrate-v1-4-3' and int(e['resourceVersion']) > int('${failed_at:-0}')")
lt "$failed_at" "$gone_at" || fail "failed Job not deleted after failing (failed $failed_at, deleted $gone_at)"
if kctl get job -n platform migrate-v1-4-3 >/dev/null 2>&1; then fail "failed Job still there with hook-failed"; fi
[ "$(api_rv)" = "$rv0" ] || fail "api Deployment written"

# Fixed: the upgrade goes through; the SyncFail hook does not run.
python3 - "$job" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("    metadata:\n      annotations:\n        kubesim.kairn.dev/fail: \"true\"\n", "", 1)
assert "kubesim.kairn.dev/fail" not in s
open(p, "w").write(s)
EOF
repo_commit "migration fixed"
mark=$(state_rv)
kairn_sync
expect_rc 0 "sync with the hook fixed"
events_since "$mark"
[ "$(api_image)" = registry.example.com/platform-api:v1.4.3 ] || fail "api not upgraded: $(api_image)"
[ "$(ev_count "e['name'] == 'notify-failure'")" = 0 ] || fail "SyncFail hook ran on a good sync"
echo "hooks_failing_migration: ok"
