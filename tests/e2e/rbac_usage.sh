#!/usr/bin/env bash
# rbac_usage.sh — the RBAC in manifests/ grants exactly what kairn uses.
# Each kairn role's work runs against kubesim with its request counters
# zeroed first; the verbs kubesim saw per resource are then compared with the
# rules of the account that job runs under in a cluster:
#   kairn          (sync --once with a pre-sync hook and a prune, kairn run
#                   with leader election)  → ClusterRole kairn-sync, and Role
#                   kairn-leader-election for leases
#   kairn-backup   (backup create)         → ClusterRole kairn-backup
#   kairn-restore  (restore, new objects and --existing-resource-policy update)
#                                          → ClusterRole kairn-restore
# Every verb used must be granted (else kairn fails in a cluster) and every
# granted verb must be used (else the role is wider than it needs to be).
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
SEEDS=$KAIRN_SHARED_DIR/fixtures/seeds
[ -d "$SEEDS" ] || { echo "SKIP: seeds not found at $SEEDS"; exit 77; }
K=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
M=$KAIRN_SOURCE_DIR/manifests

kubesim_start --tls --token "rbac-$RANDOM"
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
export KUBECONFIG=$KUBESIM_KUBECONFIG
W=$KUBESIM_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
zero() { kubesim_curl /kubesim/counters -X DELETE >/dev/null; }
save() { kubesim_curl /kubesim/counters >"$W/used-$1.json"; }

mkdir -p "$W/repo"
cp -r "$SEEDS/crds" "$SEEDS/omnitron-platform" "$SEEDS/detection-api" "$W/repo/"
chmod -R u+w "$W/repo"
"$K" create namespace kairn-system >/dev/null

echo "== kairn (sync agent)"
zero
"$KAIRN_BIN" sync --once --dir "$W/repo" --recurse --source rbac >/dev/null
save sync-first
# A change (so the pre-sync hook runs again) and a removed file (a prune).
sed -i 's/replicas: 2/replicas: 3/' "$W/repo/omnitron-platform/"*webapp* 2>/dev/null || true
rm "$(grep -l '^kind: Service$' "$W/repo/detection-api/"*.yaml | head -n 1)"
zero
"$KAIRN_BIN" sync --once --dir "$W/repo" --recurse --source rbac >"$W/sync2.out"
grep -q '^prune ' "$W/sync2.out" || { cat "$W/sync2.out"; fail "the second sync pruned nothing"; }
save sync-prune
zero
run_start agent --dir "$W/repo" --recurse --source rbac --leader-elect --lease-duration 3s \
	--interval 1h
wait_for 20 curl -sf "http://127.0.0.1:$RUN_PORT_agent/readyz" -o /dev/null ||
	{ cat "$RUN_LOG_agent"; fail "kairn run never became ready"; }
sleep 1.5 # a Lease renewal (every duration/3)
kill -TERM "$RUN_PID_agent"
wait "$RUN_PID_agent" || fail "kairn run did not exit 0 on SIGTERM"
save run

echo "== kairn-backup"
zero
"$KAIRN_BIN" backup create b1 --storage-location "file://$W/store" >/dev/null
save backup

echo "== kairn-restore"
zero
"$KAIRN_BIN" restore --from-file "$W/store/backups/b1/b1.tar.gz" \
	--include-namespaces platform --namespace-mappings platform:platform-copy >/dev/null
save restore-new
# One object that differs from the backup, for the update policy to patch.
"$K" -n platform-copy scale deployment api --replicas 7 >/dev/null
zero
"$KAIRN_BIN" restore --from-file "$W/store/backups/b1/b1.tar.gz" --include-namespaces platform \
	--namespace-mappings platform:platform-copy --existing-resource-policy update >"$W/restore2.out"
grep -q "1 updated" "$W/restore2.out" || { cat "$W/restore2.out"; fail "the update restore did not update the scaled Deployment"; }
save restore-update

"$K" create --dry-run=client -o json -f "$M/rbac.yaml" -f "$M/restore-job.yaml" >"$W/roles.json"

python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
# kubectl prints one JSON document per object (or a List): read them all.
text, items, dec, pos = open(f"{w}/roles.json").read(), [], json.JSONDecoder(), 0
while text[pos:].strip():
    doc, end = dec.raw_decode(text, pos + len(text[pos:]) - len(text[pos:].lstrip()))
    items += doc["items"] if doc.get("kind") == "List" else [doc]
    pos = end
roles = {i["metadata"]["name"]: i["rules"] for i in items if i["kind"] in ("Role", "ClusterRole")}

# Discovery and /version ("nonresource") are open to every authenticated
# user (system:discovery), so they are not checked against these roles.
# A server-side apply PATCH that creates its object is authorized as
# create too (kube-apiserver checks both), so a phase that created objects
# through apply (created=True) uses create on every resource it patched.
def used(*phases, created=()):
    out = {}
    for p in phases:
        c = json.load(open(f"{w}/used-{p}.json"))
        for res, verbs in c.get("resources", {}).items():
            if res == "nonresource":
                continue
            for verb, n in verbs.items():
                if n:
                    out.setdefault(res, set()).add(verb)
                    if verb == "patch" and p in created:
                        out[res].add("create")
    return out

def granted(rules, res):
    v = set()
    for r in rules:
        if "resources" in r and ("*" in r["resources"] or res in r["resources"]):
            v |= set(r["verbs"])
    return v

def all_verbs(rules):
    return set().union(*(set(r["verbs"]) for r in rules if "resources" in r))

bad = []
def check(account, use, rules):
    for res, verbs in sorted(use.items()):
        missing = verbs - granted(rules, res)
        if missing:
            bad.append(f"{account}: uses {sorted(missing)} on {res} but is not granted it")
    seen = set().union(*use.values()) if use else set()
    unused = all_verbs(rules) - seen
    if unused:
        bad.append(f"{account}: granted {sorted(unused)} but never uses it")
    print(f"{account}: " + "; ".join(f"{r} {','.join(sorted(v))}" for r, v in sorted(use.items())))

agent = used("sync-first", "sync-prune", "run", created=("sync-first",))
leases = {"leases": agent.pop("leases")} if "leases" in agent else {}
if not leases:
    bad.append("kairn run with --leader-elect never touched a Lease")
check("kairn (kairn-sync)", agent, roles["kairn-sync"])
check("kairn (kairn-leader-election)", leases, roles["kairn-leader-election"])
check("kairn-backup", used("backup"), roles["kairn-backup"])
check("kairn-restore", used("restore-new", "restore-update"), roles["kairn-restore"])
if bad:
    print("\n".join("FAIL: " + b for b in bad), file=sys.stderr)
    sys.exit(1)
PY
echo "PASS"
