#!/usr/bin/env bash
# sync_changes.sh — Git changes after a full seed sync: `kairn diff` shows an
# image change (exit 3, unified diff, -o json) and the sync patches exactly
# that Deployment; a removed file is pruned; kube-system is never pruned; a
# commit with one broken file exits 1 naming file:line and writes nothing; a
# commit that empties the source exits 5 and deletes nothing.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"
sync_env_init
seed_repo_build
kairn_sync
expect_rc 0 "initial sync"

# --- an image change -----------------------------------------------------------
dep="$REPO/triage-warden/deployment-triage-warden.yaml"
old=$(sed -n 's/^ *image: *//p' "$dep" | head -n1)
[ -n "$old" ] || fail "no image in $dep"
sed -i "s|image: $old|image: registry.example.com/triage-warden:e2e-1|" "$dep"
repo_commit "triage-warden: new image"

counters_reset
kairn_diff
expect_rc 3 "diff with a changed image"
grep -q "^-.*image: $old" "$T/out" || fail "diff lacks the old image line: $(cat "$T/out")"
grep -q "^+.*image: registry.example.com/triage-warden:e2e-1" "$T/out" || fail "diff lacks the new image line"
grep -q "^+++ .*Deployment.*triage-warden" "$T/out" || grep -q "Deployment triage-warden/triage-warden" "$T/out" ||
	fail "diff does not name the Deployment: $(head -n 5 "$T/out")"
[ "$(grep -c '^+++ ' "$T/out")" = 1 ] || fail "diff shows more than one object: $(grep '^+++ ' "$T/out")"
kairn_diff -o json
expect_rc 3 "diff -o json with a changed image"
python3 - "$T/out" <<'EOF' || fail "diff -o json: wrong shape: $(head -c 600 "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
ch = [o for o in r["objects"] if o["action"] != "unchanged"]
assert len(ch) == 1, ch
assert ch[0]["kind"] == "Deployment" and ch[0]["name"] == "triage-warden", ch[0]
assert "unifiedDiff" in ch[0] and "e2e-1" in ch[0]["unifiedDiff"], ch[0]
assert r["counts"]["update"] == 1, r["counts"]
EOF
[ "$(counter)" = 0 ] || fail "diff wrote something"

kairn_sync
expect_rc 0 "sync of the image change"
grep -q "1 to update" "$T/out" || fail "sync did not plan exactly one update: $(tail -n 3 "$T/out")"
# Every sync names the commit: SHA, message and author.
sha=$(git -C "$REPO" rev-parse HEAD)
grep -q "at ${sha:0:12} \"triage-warden: new image\" by kairn e2e <e2e@kairn.test>" "$T/err" ||
	fail "the sync does not name commit, message and author: $(head -n 2 "$T/err")"
[ "$(counter patch deployments)" = 1 ] || { writes_by_resource >&2; fail "want exactly 1 Deployment patch"; }
# Besides the Deployment: the inventory ConfigMap (new commit) and the
# omnitron migration Job, a pre-sync hook of this source, which runs (delete
# the old one, create it) on every sync that changes something.
other=$(( $(counter) - $(counter patch deployments) - $(counter patch configmaps) \
	- $(counter patch jobs) - $(counter delete jobs) ))
[ "$other" = 0 ] || { writes_by_resource >&2; fail "$other writes besides the Deployment, the inventory and the hook"; }
[ "$(counter patch jobs)" -le 1 ] && [ "$(counter delete jobs)" -le 1 ] || fail "more than the hook Job written"
[ "$(counter patch configmaps)" -le 1 ] || fail "more than the inventory ConfigMap written"
img=$(kctl get deploy -n triage-warden triage-warden -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = registry.example.com/triage-warden:e2e-1 ] || fail "live image is $img"
kairn_diff
expect_rc 0 "diff after sync"

# --- a removed file is pruned ----------------------------------------------------
git -C "$REPO" rm -q triage-warden/poddisruptionbudget-triage-warden.yaml
repo_commit "triage-warden: no PDB"
counters_reset
kairn_sync
expect_rc 0 "sync after removing a file"
[ "$(( $(counter delete) - $(counter delete jobs) ))" = 1 ] || { writes_by_resource >&2; fail "want exactly 1 delete"; }
[ "$(counter delete poddisruptionbudgets)" = 1 ] || fail "the PDB was not the object deleted"
if kctl get pdb -n triage-warden triage-warden >/dev/null 2>&1; then fail "PDB still exists"; fi
grep -q "prune.*PodDisruptionBudget triage-warden/triage-warden" "$T/out" || fail "report lacks the prune: $(cat "$T/out" | tail)"

# --- kube-system is never pruned ------------------------------------------------
git -C "$REPO" rm -q titan-commerce/namespace-kube-system.yaml
repo_commit "drop kube-system"
counters_reset
kairn_sync
expect_rc 0 "sync after removing kube-system"
[ "$(( $(counter delete) - $(counter delete jobs) ))" = 0 ] || { writes_by_resource >&2; fail "something was deleted"; }
kctl get namespace kube-system >/dev/null || fail "kube-system is gone"
grep -q "kube-system" "$T/out" || fail "report does not say kube-system was kept"

# --- one broken file: exit 1 with file:line, no writes ---------------------------
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  namespace: triage-warden\ndata:\n  key: [unclosed\n' \
	>"$REPO/triage-warden/configmap-broken.yaml"
sed -i "s|image: registry.example.com/triage-warden:e2e-1|image: registry.example.com/triage-warden:e2e-2|" "$dep"
repo_commit "a broken file next to a real change"
counters_reset
kairn_sync
expect_rc 1 "sync with a broken file"
grep -Eq "triage-warden/configmap-broken.yaml:[0-9]+" "$T/err" || fail "no file:line in: $(cat "$T/err")"
[ "$(counter)" = 0 ] || { writes_by_resource >&2; fail "writes despite a broken file"; }
img=$(kctl get deploy -n triage-warden triage-warden -o jsonpath='{.spec.template.spec.containers[0].image}')
[ "$img" = registry.example.com/triage-warden:e2e-1 ] || fail "the image changed despite the broken file"
git -C "$REPO" rm -q triage-warden/configmap-broken.yaml
repo_commit "fix"

# --- an empty source: exit 5, nothing deleted ------------------------------------
git -C "$REPO" rm -q -r .
repo_commit "everything removed"
n_before=$(kctl get statefulsets -n titan-cells --no-headers | wc -l)
counters_reset
kairn_sync
expect_rc 5 "sync of an empty commit"
[ "$(counter delete)" = 0 ] || { writes_by_resource >&2; fail "an empty commit deleted objects"; }
[ "$(kctl get statefulsets -n titan-cells --no-headers | wc -l)" = "$n_before" ] || fail "cells disappeared"
grep -qi "refus" "$T/err" "$T/out" || fail "no refusal message"
echo "sync_changes: ok"
