#!/usr/bin/env bash
# Backup and disaster recovery end to end against kubesim (HTTPS + token):
# sync seed systems, back them up to a file store, check the Velero layout,
# refuse a corrupt archive with zero writes, hide half-written backups,
# restore after the namespaces are deleted, existing-object policies,
# namespace mapping and retention.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
SEEDS=$KAIRN_SHARED_DIR/fixtures/seeds
K=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
[ -d "$SEEDS" ] || { echo "seeds not found at $SEEDS"; exit 77; }

kubesim_start --tls --token "br-$RANDOM"
export KUBECONFIG=$KUBESIM_KUBECONFIG
W=$KUBESIM_DIR
STORE="file://$W/store"
fail() { echo "FAIL: $*" >&2; exit 1; }
writes() { kubesim_curl /kubesim/counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }
k() { "$K" --kubeconfig "$KUBECONFIG" "$@"; }

mkdir -p "$W/repo"
cp -r "$SEEDS/crds" "$SEEDS/omnitron-platform" "$SEEDS/detection-api" "$W/repo/"
chmod -R u+w "$W/repo"
"$KAIRN_BIN" sync --once --dir "$W/repo" --recurse --source dr >/dev/null

# 1. backup: Velero layout, both copies, complete metadata
"$KAIRN_BIN" backup create b1 --storage-location "$STORE" --ttl 720h >"$W/create.out"
grep -q "backup b1:" "$W/create.out" || fail "no summary: $(cat "$W/create.out")"
B="$W/store/backups/b1"
[ -f "$B/velero-backup.json" ] && [ -f "$B/b1.tar.gz" ] && [ -f "$B/b1-resource-list.json.gz" ] || fail "layout: $(ls "$B")"
tar tzf "$B/b1.tar.gz" >"$W/entries"
grep -qx "metadata/version" "$W/entries" || fail "no metadata/version"
grep -qx "resources/deployments.apps/namespaces/platform/api.json" "$W/entries" || fail "no legacy copy"
grep -qx "resources/deployments.apps/v1-preferredversion/namespaces/platform/api.json" "$W/entries" || fail "no preferred copy"
grep -qx "resources/namespaces/cluster/platform.json" "$W/entries" || fail "no namespace item"
grep -q '^resources/customresourcedefinitions.apiextensions.k8s.io/cluster/' "$W/entries" || fail "no CRDs"
python3 - "$B/velero-backup.json" <<'PY' || fail "velero-backup.json"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["kind"] == "Backup" and b["apiVersion"] == "velero.io/v1", b
assert b["status"]["phase"] == "Completed" and b["status"]["formatVersion"] == "1.1.0", b["status"]
assert b["status"]["progress"]["itemsBackedUp"] > 20, b["status"]
PY
"$KAIRN_BIN" backup list --storage-location "$STORE" | grep -q '^b1 .*Completed' || fail "list"

# 2. a half-written backup (no velero-backup.json) is not a backup
mkdir -p "$W/store/backups/b2" && cp "$B/b1.tar.gz" "$W/store/backups/b2/b2.tar.gz"
"$KAIRN_BIN" backup list --storage-location "$STORE" | grep -q '^b2 ' && fail "half-written b2 listed"

# 3. a corrupt archive is refused before any write
head -c 3000 "$B/b1.tar.gz" >"$W/bad.tar.gz"
w0=$(writes)
if "$KAIRN_BIN" restore --from-file "$W/bad.tar.gz" 2>"$W/bad.err"; then fail "corrupt archive restored"; fi
grep -q "failed verification" "$W/bad.err" || fail "error: $(cat "$W/bad.err")"
[ "$(writes)" = "$w0" ] || fail "writes during a refused restore"

# 4. disaster and recovery
want_replicas=$(k -n platform get deployment api -o jsonpath='{.spec.replicas}')
want_secret=$(k -n platform get secret api-secrets -o jsonpath='{.data.jwt-secret}')
k delete namespace platform detection --wait=true >/dev/null
k get namespace platform >/dev/null 2>&1 && fail "platform still there"
"$KAIRN_BIN" restore --from-backup b1 --storage-location "$STORE" \
	--include-namespaces platform,detection >"$W/restore.out"
grep -q " 0 failed" "$W/restore.out" || fail "restore: $(cat "$W/restore.out")"
[ "$(k -n platform get deployment api -o jsonpath='{.spec.replicas}')" = "$want_replicas" ] || fail "replicas"
[ "$(k -n platform get secret api-secrets -o jsonpath='{.data.jwt-secret}')" = "$want_secret" ] || fail "secret data"
k -n detection get deployment detection-api-blue >/dev/null || fail "detection not restored"
k -n detection get canary detection-api-canary >/dev/null || fail "custom resource not restored"
[ "$(k -n platform get deployment api -o jsonpath='{.metadata.labels.velero\.io/backup-name}')" = b1 ] || fail "restore label"
grep -q "migrate-v1-4-2.*finished" "$W/restore.out" || fail "completed Job not skipped"

# 5. existing objects: left alone (and reported) unless the policy is update
"$KAIRN_BIN" restore --from-backup b1 --storage "$STORE" --include-namespaces platform >"$W/again.out"
grep -q " 0 created" "$W/again.out" || fail "second restore created objects: $(tail -1 "$W/again.out")"
k -n platform patch deployment api --type merge -p '{"spec":{"replicas":9}}' >/dev/null
"$KAIRN_BIN" restore --from-backup b1 --storage-location "$STORE" --include-namespaces platform \
	--include-resources deployments.apps >"$W/diff.out"
grep -q "exists-different .*platform/api" "$W/diff.out" || fail "difference not reported: $(cat "$W/diff.out")"
[ "$(k -n platform get deployment api -o jsonpath='{.spec.replicas}')" = 9 ] || fail "policy none changed the object"
"$KAIRN_BIN" restore --from-backup b1 --storage-location "$STORE" --include-namespaces platform \
	--include-resources deployments.apps --existing-resource-policy update >/dev/null
[ "$(k -n platform get deployment api -o jsonpath='{.spec.replicas}')" = "$want_replicas" ] || fail "policy update"

# 6. namespace mapping
"$KAIRN_BIN" restore --from-backup b1 --storage-location "$STORE" --include-namespaces platform \
	--namespace-mappings platform:platform-copy >/dev/null
k -n platform-copy get deployment api >/dev/null || fail "mapping"

# 7. retention: an expired backup is deleted, a live one kept
"$KAIRN_BIN" backup create short --storage-location "$STORE" --ttl 1s --include-namespaces platform >/dev/null
sleep 2
"$KAIRN_BIN" backup gc --storage-location "$STORE" | grep -q "deleted 1 expired" || fail "gc"
[ -e "$W/store/backups/short/velero-backup.json" ] && fail "expired backup kept"
[ -e "$B/velero-backup.json" ] || fail "live backup deleted"
echo "PASS backup_restore"
