#!/usr/bin/env bash
# sync_drift.sh — self-heal: after `kubectl scale` and `kubectl set image`
# (an edit) of a Deployment no HPA targets, the next sync restores Git's
# values and reports the drift; the replicas of an HPA-scaled Deployment are
# left alone; a label another field manager added survives; an object deleted
# by hand is recreated; then a sync is a no-op again.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"
sync_env_init
seed_repo_build
kairn_sync
expect_rc 0 "initial sync"

git_replicas=$(sed -n 's/^ *replicas: *//p' "$REPO/omnitron-platform/deployment-webapp.yaml" | head -n1)
git_image=$(kctl get deploy -n platform webapp -o jsonpath='{.spec.template.spec.containers[0].image}')
[ -n "$git_replicas" ] || fail "webapp has no replicas in Git"
api_replicas=$(kctl get deploy -n platform api -o jsonpath='{.spec.replicas}')

kctl scale deploy -n platform webapp --replicas=$((git_replicas + 5)) >/dev/null
kctl set image deploy/webapp -n platform webapp=registry.example.com/evil:1 >/dev/null
kctl scale deploy -n platform api --replicas=$((api_replicas + 3)) >/dev/null  # as its HPA would
kctl label deploy -n platform webapp team.example.com/owner=payments >/dev/null
kctl delete configmap -n titan-prod titan-gateway-config >/dev/null
[ "$(kctl get deploy -n platform webapp -o jsonpath='{.spec.replicas}')" = $((git_replicas + 5)) ] ||
	fail "kubectl scale had no effect"

counters_reset
kairn_sync
expect_rc 0 "sync after drift"
grep -Eq "^(update|configure).*Deployment platform/webapp" "$T/out" || fail "webapp drift not reported: $(head -n 20 "$T/out")"
grep -Eq "^create.*ConfigMap titan-prod/titan-gateway-config" "$T/out" || fail "deleted ConfigMap not recreated: $(head -n 20 "$T/out")"
if grep -Eq "^update.*Deployment platform/api" "$T/out"; then fail "HPA-scaled Deployment api was updated"; fi

[ "$(kctl get deploy -n platform webapp -o jsonpath='{.spec.replicas}')" = "$git_replicas" ] || fail "replicas not restored"
[ "$(kctl get deploy -n platform webapp -o jsonpath='{.spec.template.spec.containers[0].image}')" = "$git_image" ] ||
	fail "image not restored"
[ "$(kctl get deploy -n platform api -o jsonpath='{.spec.replicas}')" = $((api_replicas + 3)) ] ||
	fail "the HPA's replicas of api were overwritten"
[ "$(kctl get deploy -n platform webapp -o jsonpath='{.metadata.labels.team\.example\.com/owner}')" = payments ] ||
	fail "another manager's label was removed"
kctl get configmap -n titan-prod titan-gateway-config >/dev/null || fail "ConfigMap not recreated"
[ "$(counter patch deployments)" = 1 ] || { writes_by_resource >&2; fail "want exactly one Deployment patch"; }

counters_reset
kairn_sync
expect_rc 0 "sync after self-heal"
[ "$(counter)" = 0 ] || { writes_by_resource >&2; fail "sync after self-heal is not a no-op"; }
echo "sync_drift: ok"
