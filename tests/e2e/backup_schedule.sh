#!/usr/bin/env bash
# `kairn backup create --schedule S` (what the backup CronJob runs) names the
# backup S-<UTC yyyyMMddHHmmss> as Velero names a schedule's backups, so that
# every run of the CronJob writes a new backup; the name goes into the
# store's layout and velero-backup.json. A NAME next to --schedule, an empty
# schedule name, and --schedule on another subcommand are usage errors.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
export KUBECONFIG=$KUBESIM_KUBECONFIG
W=$KUBESIM_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }

kubesim_curl /api/v1/namespaces/default/configmaps -X POST -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","namespace":"default"},"data":{"k":"v"}}' >/dev/null

before=$(date -u +%Y%m%d%H%M%S)
"$KAIRN_BIN" backup create --schedule nightly --storage-location "file://$W/store" --ttl 1h \
	--include-namespaces default >"$W/out1"
sleep 1.1 # the name has second resolution
"$KAIRN_BIN" backup create --schedule nightly --storage-location "file://$W/store" --ttl 1h \
	--include-namespaces default >"$W/out2"
after=$(date -u +%Y%m%d%H%M%S)

names=$(ls "$W/store/backups")
[ "$(wc -l <<<"$names")" = 2 ] || fail "two runs, two backups expected: $names"
for n in $names; do
	[[ $n =~ ^nightly-([0-9]{14})$ ]] || fail "backup name $n is not nightly-<yyyyMMddHHmmss>"
	ts=${BASH_REMATCH[1]}
	[[ $ts > $before || $ts == "$before" ]] && [[ $ts < $after || $ts == "$after" ]] ||
		fail "timestamp $ts of $n is not the UTC time of the run ($before..$after)"
	[ -f "$W/store/backups/$n/$n.tar.gz" ] || fail "no archive for $n"
	python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); assert b["metadata"]["name"]==sys.argv[2], b["metadata"]
assert b["metadata"]["labels"].get("velero.io/schedule-name") == "nightly", b["metadata"]' \
		"$W/store/backups/$n/velero-backup.json" "$n" || fail "velero-backup.json of $n: wrong name or no velero.io/schedule-name label"
	grep -q "^backup $n:" "$W/out1" "$W/out2" || fail "the summary does not name $n"
done

# `backup prune` is gc (deletes backups past their TTL; none is yet), and
# --storage is --storage-location.
"$KAIRN_BIN" backup prune --storage "file://$W/store" >"$W/prune.out" || fail "backup prune failed"
[ "$(ls "$W/store/backups" | wc -l)" = 2 ] || fail "prune deleted unexpired backups"

usage() {
	local rc=0
	"$KAIRN_BIN" "$@" >/dev/null 2>"$W/err" || rc=$?
	[ "$rc" = 2 ] || fail "kairn $* exited $rc, not 2 (usage): $(cat "$W/err")"
}
usage backup create b1 --schedule nightly --storage-location "file://$W/store"
usage backup create --schedule "" --storage-location "file://$W/store"
usage backup create --schedule a/b --storage-location "file://$W/store"
usage backup list --schedule nightly --storage-location "file://$W/store"
echo "PASS backup_schedule"
