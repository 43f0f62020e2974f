#!/usr/bin/env bash
# hooks_omnitron_upgrade.sh — the omnitron platform's database migration, a
# Job annotated as a Helm pre-install,pre-upgrade hook, runs and completes
# before the api Deployment changes: on the first install and on an upgrade
# (new api image, migration Job renamed for the new version). Proven from
# kubesim's event history (resourceVersion order, the job controller's
# Complete update included), not from kairn's output. The Job is never part
# of the inventory and never pruned.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
sync_env_init --job-duration-ms 300
hooks_repo_init
cp -R "$SEEDS/omnitron-platform" "$REPO/omnitron-platform"
chmod -R u+w "$REPO"
repo_commit "omnitron v1.4.2"
KAIRN_SOURCE_NAME=omnitron
api_image() { kctl get deploy -n platform api -o jsonpath='{.spec.template.spec.containers[0].image}'; }

# First install: pre-install hook before the Deployment exists.
mark=$(state_rv)
kairn_sync
expect_rc 0 "first install"
events_since "$mark"
job_added=$(ev_rv ADDED Job platform migrate-v1-4-2)
job_done=$(ev_rv_where 'e["kind"] == "Job" and e["name"] == "migrate-v1-4-2" and cond(e, "Complete") == "True"')
api_added=$(ev_rv ADDED Deployment platform api)
note "install: Job added at $job_added, Complete at $job_done, api Deployment added at $api_added"
lt "$job_added" "$job_done" || fail "migration Job not created then completed"
lt "$job_done" "$api_added" || fail "api Deployment created (rv $api_added) before the migration completed (rv $job_done)"
# Nothing of the release (the platform Namespace apart, which the hook runs in) before the Job completed.
early=$(ev_names "int(e['resourceVersion']) < $job_done and e['kind'] not in ('Job', 'Namespace')")
[ -z "$early" ] || fail "written before the migration completed: $early"
grep -q "hook      pre-sync Job platform/migrate-v1-4-2 succeeded (" "$T/out" || fail "no hook line: $(cat "$T/out")"

# Hooks are not in the inventory.
inv=$(kctl get configmap -n kairn-system kairn-inventory-omnitron -o jsonpath='{.data.objects}')
echo "$inv" | grep -q 'Deployment/platform/api' || fail "inventory without the Deployment: $inv"
if echo "$inv" | grep -q 'migrate-v1-4-2'; then fail "the hook Job is in the inventory"; fi

# Upgrade: api v1.4.3 and its migration.
sed -i 's|platform-api:v1.4.2|platform-api:v1.4.3|' "$REPO/omnitron-platform/deployment-api.yaml"
git -C "$REPO" mv omnitron-platform/job-migrate-v1-4-2.yaml omnitron-platform/job-migrate-v1-4-3.yaml
sed -i 's|migrate-v1-4-2|migrate-v1-4-3|; s|platform-api:v1.4.2|platform-api:v1.4.3|' \
	"$REPO/omnitron-platform/job-migrate-v1-4-3.yaml"
grep -q 'name: migrate-v1-4-3' "$REPO/omnitron-platform/job-migrate-v1-4-3.yaml" || fail "Job not renamed"
repo_commit "omnitron v1.4.3"
api_rv_before=$(kctl get deploy -n platform api -o jsonpath='{.metadata.resourceVersion}')
mark=$(state_rv)
kairn_sync -o json
expect_rc 0 "upgrade"
events_since "$mark"
job_added=$(ev_rv ADDED Job platform migrate-v1-4-3)
job_done=$(ev_rv_where 'e["kind"] == "Job" and e["name"] == "migrate-v1-4-3" and cond(e, "Complete") == "True"')
api_patched=$(ev_rv_where 'e["kind"] == "Deployment" and e["name"] == "api" and image(e).endswith(":v1.4.3")')
note "upgrade: Job added at $job_added, Complete at $job_done, api patched to v1.4.3 at $api_patched (was rv $api_rv_before)"
lt "$mark" "$job_added" || fail "migration Job not created"
lt "$job_added" "$job_done" || fail "migration Job did not complete"
lt "$job_done" "$api_patched" || fail "api patched (rv $api_patched) before the migration completed (rv $job_done)"
early=$(ev_names "int(e['resourceVersion']) < $job_done and e['kind'] != 'Job'")
[ -z "$early" ] || fail "written before the migration completed: $early"
[ "$(api_image)" = registry.example.com/platform-api:v1.4.3 ] || fail "api not upgraded: $(api_image)"
[ "$(json_get "$T/out" 'j["hooks"][0]["state"]')" = Succeeded ] || fail "json hook state: $(cat "$T/out")"
[ "$(json_get "$T/out" 'j["hooks"][0]["name"]')" = migrate-v1-4-3 ] || fail "json hook name"
json_get "$T/out" 'j["hooks"][0]["durationSeconds"] >= 0.3' | grep -q True || fail "hook duration below the job's 300 ms"

# The old migration Job is a hook: dropping it from Git never prunes it.
kctl get job -n platform migrate-v1-4-2 >/dev/null || fail "the previous migration Job was pruned"
[ "$(json_get "$T/out" 'j["counts"]["prune"]')" = 0 ] || fail "something was pruned"
echo "hooks_omnitron_upgrade: ok"
