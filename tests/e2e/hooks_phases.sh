#!/usr/bin/env bash
# hooks_phases.sh — kairn's own hook annotations: phases in order (pre-sync,
# apply, sync, post-sync), weights ordering hooks within a phase, one hook at
# a time, hook-succeeded deleting after success; a no-change sync runs no
# hook; --run-hooks always/never; --dry-run lists the hooks that would run
# and stores nothing; a bad hook annotation fails naming file:line. Order is
# proven from kubesim's event history.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
sync_env_init --job-duration-ms 100
hooks_repo_init
KAIRN_SOURCE_NAME=phases

# job NAME PHASE [extra annotation lines]: a hook Job in namespace hk,
# as the next document of a multi-document file
job() {
	echo "---"
	hook_job hk "$@"
}
cat >"$REPO/app.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: hk
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: hk
data:
  v: "1"
EOF
{
	job pre-a pre-sync 'kairn.dev/hook-weight: "5"'
	job pre-b pre-sync 'kairn.dev/hook-weight: "-1"'
	job pre-c pre-sync
} >"$REPO/hooks-pre.yaml"
job during sync >"$REPO/hooks-sync.yaml"
job after post-sync 'kairn.dev/hook-delete-policy: hook-succeeded' >"$REPO/hooks-post.yaml"
job on-fail sync-fail >"$REPO/hooks-fail.yaml"
repo_commit "app with hooks"

# Every phase in order, weights within pre-sync (-1, 0, 5 = pre-b, pre-c, pre-a).
mark=$(state_rv)
kairn_sync
expect_rc 0 "first sync"
events_since "$mark"
seq=$(ev_names "e['kind'] in ('Job', 'ConfigMap') and e['namespace'] == 'hk' and (e['type'] != 'MODIFIED' or cond(e, 'Complete') == 'True')")
note "order: $seq"
want="Job/pre-b Job/pre-b Job/pre-c Job/pre-c Job/pre-a Job/pre-a ConfigMap/app Job/during Job/during Job/after Job/after Job/after"
[ "$seq" = "$want" ] || fail "hooks ran out of order:
 got  $seq
 want $want"
[ "$(ev_rv DELETED Job hk after)" != "" ] || fail "hook-succeeded did not delete the post-sync Job"
[ "$(ev_count "e['name'] == 'on-fail'")" = 0 ] || fail "sync-fail hook ran on success"
hooklines=$(grep '^hook ' "$T/out" | awk '{print $2 "/" $4 "/" $5}' | tr '\n' ' ')
[ "$hooklines" = "pre-sync/hk/pre-b/succeeded pre-sync/hk/pre-c/succeeded pre-sync/hk/pre-a/succeeded sync/hk/during/succeeded post-sync/hk/after/succeeded " ] ||
	fail "report hook lines: $hooklines"

# No change: no hook runs, nothing is written.
mark=$(state_rv)
counters_reset
kairn_sync
expect_rc 0 "no-change sync"
[ "$(state_rv)" = "$mark" ] || { events_since "$mark"; fail "no-change sync stored: $(ev_names True)"; }
[ "$(counter)" = 0 ] || { writes_by_resource >&2; fail "no-change sync wrote"; }
if grep -q '^hook ' "$T/out"; then fail "a hook is reported on a no-change sync: $(cat "$T/out")"; fi

# --run-hooks=always: hooks run without changes; nothing else is written.
mark=$(state_rv)
kairn_sync --run-hooks=always
expect_rc 0 "--run-hooks=always"
events_since "$mark"
[ "$(ev_names "e['type'] == 'ADDED'")" = "Job/pre-b Job/pre-c Job/pre-a Job/during Job/after" ] ||
	fail "--run-hooks=always ran: $(ev_names "e['type'] == 'ADDED'")"
[ "$(ev_names "e['kind'] != 'Job'")" = "" ] || fail "--run-hooks=always wrote $(ev_names "e['kind'] != 'Job'")"

# --run-hooks=never: the change is applied, no hook runs.
sed -i 's/v: "1"/v: "2"/' "$REPO/app.yaml"
repo_commit "v2"
mark=$(state_rv)
kairn_sync --run-hooks never
expect_rc 0 "--run-hooks=never"
events_since "$mark"
[ "$(ev_names True)" = "ConfigMap/app ConfigMap/kairn-inventory-phases" ] || fail "--run-hooks=never wrote $(ev_names True)"
[ "$(kctl get cm -n hk app -o jsonpath='{.data.v}')" = 2 ] || fail "change not applied"

# --dry-run: the hooks that would run, in order; nothing stored, no Job written.
sed -i 's/v: "2"/v: "3"/' "$REPO/app.yaml"
repo_commit "v3"
mark=$(state_rv)
counters_reset
kairn_sync --dry-run
expect_rc 0 "--dry-run"
hooklines=$(grep '^hook ' "$T/out" | awk '{print $2 "/" $4 "/" $5 $6}' | tr '\n' ' ')
[ "$hooklines" = "pre-sync/hk/pre-b/wouldrun pre-sync/hk/pre-c/wouldrun pre-sync/hk/pre-a/wouldrun sync/hk/during/wouldrun post-sync/hk/after/wouldrun " ] ||
	fail "dry run hook lines: $hooklines
$(cat "$T/out")"
grep -q "hook      pre-sync Job hk/pre-b would run (weight -1, hooks-pre.yaml:" "$T/out" || fail "dry run line: $(cat "$T/out")"
kairn_sync --dry-run -o json
expect_rc 0 "--dry-run -o json"
[ "$(json_get "$T/out" '" ".join(h["name"] + ":" + h["state"] for h in j["hooks"])')" = \
  "pre-b:Planned pre-c:Planned pre-a:Planned during:Planned after:Planned" ] || fail "dry run json: $(cat "$T/out")"
[ "$(state_rv)" = "$mark" ] || { events_since "$mark"; fail "dry run stored: $(ev_names True)"; }
[ "$(( $(counter create jobs) + $(counter patch jobs) + $(counter delete jobs) ))" = 0 ] || fail "dry run wrote Jobs"
kairn_sync --dry-run --run-hooks=never
expect_rc 0 "--dry-run --run-hooks=never"
if grep -q '^hook ' "$T/out"; then fail "hooks listed with --run-hooks=never"; fi
# kairn diff lists them too (stderr; JSON "hooks"), and runs none.
kairn_diff
expect_rc 3 "diff"
[ "$(grep -c ' would run ' "$T/err")" = 5 ] || fail "diff hook lines: $(cat "$T/err")"
kairn_diff -o json
expect_rc 3 "diff -o json"
[ "$(json_get "$T/out" '" ".join(h["name"] for h in j["hooks"] if h["state"] == "Planned")')" = "pre-b pre-c pre-a during after" ] ||
	fail "diff json hooks: $(cat "$T/out")"
kairn_diff --run-hooks=never
expect_rc 3 "diff --run-hooks=never"
if grep -q ' would run ' "$T/err"; then fail "diff lists hooks with --run-hooks=never"; fi
[ "$(state_rv)" = "$mark" ] || fail "diff stored something"

# An applied object that becomes a hook leaves the inventory and is never
# pruned (--run-hooks=never, so no hook run recreates it).
cat >"$REPO/converted.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: converted
  namespace: hk
EOF
repo_commit "converted: a plain object"
kairn_sync
expect_rc 0 "sync with converted"
kctl get cm -n kairn-system kairn-inventory-phases -o jsonpath='{.data.objects}' | grep -q '/ConfigMap/hk/converted' ||
	fail "converted not in the inventory"
uid=$(kctl get cm -n hk converted -o jsonpath='{.metadata.uid}')
sed -i 's/^  namespace: hk$/  namespace: hk\n  annotations:\n    kairn.dev\/hook: post-sync/' "$REPO/converted.yaml"
grep -q 'kairn.dev/hook: post-sync' "$REPO/converted.yaml" || fail "annotation not added"
sed -i 's/v: "3"/v: "4"/' "$REPO/app.yaml"
repo_commit "converted: a hook now"
kairn_sync --run-hooks=never
expect_rc 0 "sync with converted as a hook"
[ "$(kctl get cm -n hk converted -o jsonpath='{.metadata.uid}')" = "$uid" ] || fail "an object that became a hook was pruned"
if kctl get cm -n kairn-system kairn-inventory-phases -o jsonpath='{.data.objects}' | grep -q converted; then
	fail "a hook is still in the inventory"
fi

# A bad hook annotation: nothing written, the error names file:line.
{
	echo "# a comment line first"
	job bad pre-sync 'kairn.dev/hook-weight: "heavy"'
} >"$REPO/hooks-bad.yaml"
repo_commit "bad weight"
mark=$(state_rv)
kairn_sync
expect_rc 1 "bad hook annotation"
grep -q 'hooks-bad.yaml:3: Job hk/bad: metadata.annotations\["kairn.dev/hook-weight"\]: "heavy" is not an integer' "$T/err" ||
	fail "bad annotation error: $(cat "$T/err")"
[ "$(state_rv)" = "$mark" ] || fail "a bad hook annotation still wrote"
# generateName is for hooks only (kairn applies everything else by name).
cat >"$REPO/hooks-bad.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  generateName: cfg-
  namespace: hk
EOF
repo_commit "generateName on a plain object"
kairn_sync
expect_rc 1 "generateName on a plain object"
grep -q 'hooks-bad.yaml:1: ConfigMap cfg-\*: metadata.generateName is for hooks only' "$T/err" ||
	fail "generateName error: $(cat "$T/err")"
[ "$(state_rv)" = "$mark" ] || fail "a generateName object still wrote"
kairn_sync --run-hooks=sometimes
expect_rc 2 "bad --run-hooks value"
grep -q 'run-hooks' "$T/err" || fail "usage error: $(cat "$T/err")"
echo "hooks_phases: ok"
