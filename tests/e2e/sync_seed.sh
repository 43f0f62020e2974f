#!/usr/bin/env bash
# sync_seed.sh — `kairn sync --once` of every seed (CRDs, the five systems,
# 500 generated titan-commerce cells) from a real Git repository into an
# empty kubesim: every object exists and kubectl agrees, custom objects were
# written after their CRD was Established, the omnitron migration Job (a Helm
# pre-install hook) completed before the platform objects were written, the
# inventory lists every object; a second sync writes nothing; `kairn diff`
# then exits 0 and its -o json parses.
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"
sync_env_init
seed_repo_build

kairn_sync -o json
expect_rc 0 "first sync"
python3 -m json.tool "$T/out" >/dev/null || fail "sync -o json does not parse"
created=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["create"])' "$T/out") ||
	fail "no counts.create in the JSON report: $(head -c 400 "$T/out")"
[ "$created" -ge 1060 ] || fail "only $created objects created"

# Every object Git has exists, as kubectl sees it.
"$KAIRN_BIN" render -R -o json "$REPO" >"$T/desired.json"
python3 - "$T/desired.json" "$KCTL_BIN" "$KUBESIM_KUBECONFIG" <<'EOF' || fail "objects missing (see above)"
import json, subprocess, sys
text, items, pos, dec = open(sys.argv[1]).read(), [], 0, json.JSONDecoder()
while True:  # kairn render -o json: one JSON object after another
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    o, pos = dec.raw_decode(text, pos)
    items.append(o)
hook = lambda o: any(k in (o["metadata"].get("annotations") or {}) for k in
                     ("helm.sh/hook", "argocd.argoproj.io/hook", "kairn.dev/hook"))
want = {}
for o in items:
    if hook(o):
        continue
    g = o["apiVersion"].split("/")[0] if "/" in o["apiVersion"] else ""
    want.setdefault((o["kind"], g), set()).add((o["metadata"].get("namespace", ""), o["metadata"]["name"]))
missing, total, live = [], 0, {}
for (kind, g), names in sorted(want.items()):
    res = kind.lower() + ("." + g if g else "")
    out = subprocess.run([sys.argv[2], "--kubeconfig", sys.argv[3], "get", res, "-A", "-o", "json"],
                         capture_output=True, text=True)
    if out.returncode:
        print("kubectl get", res, "failed:", out.stderr, file=sys.stderr)
        sys.exit(1)
    got = {}
    for o in json.loads(out.stdout)["items"]:
        got[(o["metadata"].get("namespace", ""), o["metadata"]["name"])] = o
    for n in names:
        total += 1
        if n not in got:
            missing.append((kind, n))
        else:
            live[(kind, g) + n] = got[n]
            lbl = (got[n]["metadata"].get("labels") or {}).get("kairn.dev/source")
            if lbl != "seeds" and not (kind == "Namespace" and n[1] == "kube-system"):
                missing.append((kind, n, "label kairn.dev/source=%r" % lbl))
for m in missing[:20]:
    print("missing or wrong:", m, file=sys.stderr)
print("kubectl sees %d of %d objects" % (total - len(missing), total), file=sys.stderr)
if missing or total < 1060:
    sys.exit(1)
# Custom objects were written after their CRD was Established (kubesim's
# resourceVersions are one global sequence).
crds = json.loads(subprocess.run([sys.argv[2], "--kubeconfig", sys.argv[3], "get", "crd", "-o", "json"],
                                 capture_output=True, text=True, check=True).stdout)["items"]
bad = 0
for crd in crds:
    est = any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    if not est:
        print("CRD not Established:", crd["metadata"]["name"], file=sys.stderr); bad = 1
    g, k = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    for key, o in live.items():
        if key[0] == k and key[1] == g and int(o["metadata"]["resourceVersion"]) <= int(crd["metadata"]["resourceVersion"]):
            print("%s %s written before CRD %s settled" % (k, key[3], crd["metadata"]["name"]), file=sys.stderr)
            bad = 1
sys.exit(bad)
EOF

# The pre-install migration Job ran to completion before the platform objects.
job_rv=$(kctl get job -n platform migrate-v1-4-2 -o jsonpath='{.metadata.resourceVersion}')
job_done=$(kctl get job -n platform migrate-v1-4-2 -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}')
[ "$job_done" = True ] || fail "migration Job not Complete: $job_done"
min_rv=$(kctl get deploy,svc,statefulset,ingress,secret,hpa,pdb,networkpolicy -n platform \
	-o jsonpath='{range .items[*]}{.metadata.resourceVersion}{"\n"}{end}' | sort -n | head -n1)
[ -n "$min_rv" ] && [ "$job_rv" -lt "$min_rv" ] ||
	fail "hook Job (rv $job_rv) did not finish before the platform objects (first rv $min_rv)"

# The inventory lists every applied object.
kctl get configmap -n kairn-system kairn-inventory-seeds >/dev/null || fail "no inventory ConfigMap"

# A second sync writes nothing, and reads one LIST per type and namespace.
counters_reset
kairn_sync
expect_rc 0 "second sync"
grep -q "0 to create, 0 to update" "$T/out" || fail "second sync plans changes: $(grep -v '^ ' "$T/out" | tail -n 5)"
w=$(counter)
if [ "$w" != 0 ]; then writes_by_resource >&2; fail "no-op sync made $w writes"; fi
note "no-op sync: $(counter list) LISTs, $(counter get) GETs, 0 writes"

# kairn diff agrees: in sync, exit 0, JSON parses.
kairn_diff
expect_rc 0 "diff when in sync"
kairn_diff -o json
expect_rc 0 "diff -o json when in sync"
python3 -m json.tool "$T/out" >/dev/null || fail "diff -o json does not parse"
[ "$(counter)" = 0 ] || fail "diff wrote something"
echo "sync_seed: ok"
