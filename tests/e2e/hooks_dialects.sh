#!/usr/bin/env bash
# hooks_dialects.sh — Argo CD-style (tests/e2e/fixtures/hooks-argo) and
# Helm-style (tests/e2e/fixtures/hooks-helm) hook fixtures: phases and
# weights (sync-wave, helm.sh/hook-weight strings) in order, delete policies
# in both spellings, Skip and Helm test/pre-delete hooks never applied, no
# hook in the inventory, a failing PostSync hook running the SyncFail hook.
# Order is proven from kubesim's event history.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
sync_env_init --job-duration-ms 100
hooks_repo_init
FIX="$KAIRN_SOURCE_DIR/tests/e2e/fixtures"
cp -R "$FIX/hooks-argo" "$FIX/hooks-helm" "$REPO/"
chmod -R u+w "$REPO"
repo_commit "argo and helm apps"
# started: ADDED events and Complete updates of Jobs, ADDED of others
STEPS="e['type'] == 'ADDED' or (e['type'] == 'MODIFIED' and cond(e, 'Complete') == 'True')"

# ---- Argo CD ----------------------------------------------------------------
KAIRN_SOURCE_NAME=argo
mark=$(state_rv)
kairn_sync --path hooks-argo
expect_rc 0 "argo install"
events_since "$mark"
seq=$(ev_names "e['namespace'] == 'argo-app' and ($STEPS)" | sed -E 's#Job/check-[a-z0-9]{5}#Job/check-*#g')
note "argo: $seq"
# check has generateName: check-: created by POST under a fresh name
want="Job/schema Job/schema Job/check-* Job/check-* Job/seed Job/seed ConfigMap/app Job/during Job/during Job/notify Job/notify"
[ "$seq" = "$want" ] || fail "argo order:
 got  $seq
 want $want"
lt "$(ev_rv ADDED Namespace '' argo-app)" "$(ev_rv ADDED Job argo-app schema)" || fail "namespace not created before the PreSync hooks"
# HookSucceeded deletes, BeforeHookCreation (default too) keeps.
kctl get job -n argo-app schema >/dev/null 2>&1 && fail "HookSucceeded Job kept"
kctl get job -n argo-app notify >/dev/null 2>&1 && fail "HookSucceeded,HookFailed Job kept"
kctl get job -n argo-app seed during >/dev/null || fail "BeforeHookCreation Jobs not kept"
[ "$(kctl get job -n argo-app -o name | grep -c '^job.batch/check-')" = 1 ] || fail "no generateName hook Job"
kctl get cm -n argo-app skipped >/dev/null 2>&1 && fail "Skip object applied"
kctl get job -n argo-app alert >/dev/null 2>&1 && fail "SyncFail hook ran on success"
inv=$(kctl get configmap -n kairn-system kairn-inventory-argo -o jsonpath='{.data.objects}')
[ "$(echo "$inv" | tr '\n' ' ')" = "/ConfigMap/argo-app/app /Namespace//argo-app " ] || fail "argo inventory: $inv"

# No change: nothing runs.
mark=$(state_rv)
kairn_sync --path hooks-argo
expect_rc 0 "argo no change"
[ "$(state_rv)" = "$mark" ] || { events_since "$mark"; fail "no-change argo sync wrote $(ev_names True)"; }

# Upgrade with a failing PostSync hook: the change is applied, the hook
# fails (HookFailed deletes it), SyncFail runs, exit 4.
sed -i 's/version: "1"/version: "2"/' "$REPO/hooks-argo/app.yaml"
python3 - "$REPO/hooks-argo/postsync-notify.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("  template:\n    spec:\n", "  template:\n    metadata:\n      annotations:\n        kubesim.kairn.dev/fail: \"true\"\n    spec:\n", 1)
assert "kubesim.kairn.dev/fail" in s
open(p, "w").write(s)
EOF
repo_commit "argo v2, notify fails"
mark=$(state_rv)
kairn_sync --path hooks-argo
expect_rc 4 "argo failing PostSync"
events_since "$mark"
failed=$(ev_rv_where 'e["name"] == "notify" and e["type"] == "MODIFIED" and cond(e, "Failed") == "True"')
deleted=$(ev_rv DELETED Job argo-app notify)
alert=$(ev_rv ADDED Job argo-app alert)
cm=$(ev_rv MODIFIED ConfigMap argo-app app)
note "argo failure: ConfigMap at $cm, notify Failed at $failed, deleted at $deleted, SyncFail alert at $alert"
lt "$cm" "$failed" || fail "PostSync ran before the apply"
lt "$failed" "$deleted" || fail "HookFailed did not delete the failed hook"
lt "$failed" "$alert" || fail "SyncFail hook not run after the failure"
[ "$(kctl get job -n argo-app -o name | grep -c '^job.batch/check-')" = 2 ] || fail "generateName hook not run again under a new name"
grep -q "hook      post-sync Job argo-app/notify FAILED" "$T/out" || fail "report: $(cat "$T/out")"
grep -q "hook      sync-fail Job argo-app/alert succeeded" "$T/out" || fail "report: $(cat "$T/out")"

# ---- Helm -------------------------------------------------------------------
KAIRN_SOURCE_NAME=helm
mark=$(state_rv)
kairn_sync --path hooks-helm -o json
expect_rc 0 "helm install"
events_since "$mark"
seq=$(ev_names "e['namespace'] == 'helm-app' and ($STEPS)")
note "helm: $seq"
# weights "-10", "-5", "5" (strings, as Helm writes them), not name order
want="Job/z-first Job/z-first Job/db-init Job/db-init Job/a-cache-warm Job/a-cache-warm ConfigMap/app Job/smoke Job/smoke"
[ "$seq" = "$want" ] || fail "helm order:
 got  $seq
 want $want"
[ "$(json_get "$T/out" '" ".join("%s:%s:%d" % (h["phase"], h["name"], h["weight"]) for h in j["hooks"])')" = \
  "pre-sync:z-first:-10 pre-sync:db-init:-5 pre-sync:a-cache-warm:5 post-sync:smoke:0" ] || fail "helm json hooks: $(cat "$T/out")"
kctl get job -n helm-app db-init >/dev/null 2>&1 && fail "hook-succeeded Job kept"
kctl get job -n helm-app z-first a-cache-warm smoke >/dev/null || fail "before-hook-creation Jobs not kept"
kctl get pod -n helm-app app-test >/dev/null 2>&1 && fail "helm test hook applied"
kctl get job -n helm-app cleanup >/dev/null 2>&1 && fail "helm pre-delete hook applied"
inv=$(kctl get configmap -n kairn-system kairn-inventory-helm -o jsonpath='{.data.objects}')
[ "$(echo "$inv" | tr '\n' ' ')" = "/ConfigMap/helm-app/app /Namespace//helm-app " ] || fail "helm inventory: $inv"

# Upgrade: the hooks run again under the same names (before-hook-creation
# deletes the previous run first).
sed -i 's/version: "1"/version: "2"/' "$REPO/hooks-helm/app.yaml"
repo_commit "helm v2"
mark=$(state_rv)
kairn_sync --path hooks-helm
expect_rc 0 "helm upgrade"
events_since "$mark"
lt "$(ev_rv DELETED Job helm-app z-first)" "$(ev_rv ADDED Job helm-app z-first)" || fail "z-first not deleted before its rerun"
lt "$(ev_rv_where 'e["name"] == "a-cache-warm" and cond(e, "Complete") == "True"')" "$(ev_rv MODIFIED ConfigMap helm-app app)" ||
	fail "pre-upgrade hook not complete before the upgrade"
lt "$(ev_rv MODIFIED ConfigMap helm-app app)" "$(ev_rv ADDED Job helm-app smoke)" || fail "post-upgrade hook before the upgrade"
echo "hooks_dialects: ok"
