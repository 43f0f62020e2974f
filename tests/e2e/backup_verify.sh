#!/usr/bin/env bash
# Backup fidelity and archive checks (issue 8):
#  - every object of the seed systems restored into a FRESH kubesim equals the
#    original apart from server-set fields (uid, resourceVersion, generation,
#    creationTimestamp, managedFields, status, the restore labels, Service IPs);
#  - a tarball hand-built to Velero's layout (Python tarfile) restores;
#  - a corrupt gzip, an item with invalid JSON and a missing metadata/version
#    are each refused before any write, the message naming what is wrong.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
SEEDS=$KAIRN_SHARED_DIR/fixtures/seeds
[ -d "$SEEDS" ] || { echo "seeds not found at $SEEDS"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
writes() { kubesim_curl /kubesim/counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])'; }
NSS="platform detection titan-prod triage-warden"

kubesim_start --tls --token "bv-$RANDOM"
SRC_KC=$KUBESIM_KUBECONFIG
W=$KUBESIM_DIR
mkdir -p "$W/repo"
cp -r "$SEEDS/crds" "$SEEDS/omnitron-platform" "$SEEDS/detection-api" "$SEEDS/titan-gateway" \
	"$SEEDS/triage-warden" "$W/repo/"
chmod -R u+w "$W/repo"
"$KAIRN_BIN" --kubeconfig "$SRC_KC" sync --once --dir "$W/repo" --recurse --source bv >/dev/null 2>&1
"$KAIRN_BIN" --kubeconfig "$SRC_KC" backup create all --storage-location "file://$W/store" >/dev/null 2>&1
# what the source cluster holds, straight from its state dump
kubesim_curl /kubesim/state >"$W/before.json"

# 1. restore everything into a fresh cluster and compare object by object
kubesim_start --tls --token "bv2-$RANDOM"
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" restore --from-backup all \
	--storage-location "file://$W/store" --include-namespaces "$(echo $NSS | tr ' ' ,)" \
	--include-cluster-resources=true >"$W/restore.out" 2>&1 || { cat "$W/restore.out"; fail "restore"; }
kubesim_curl /kubesim/state >"$W/after.json"
python3 - "$W/before.json" "$W/after.json" $NSS <<'PY' || fail "restored objects differ"
import json, sys
before, after, nss = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), set(sys.argv[3:])
def objects(state):
    out = {}
    def walk(v):
        if isinstance(v, dict):
            if "apiVersion" in v and "kind" in v and isinstance(v.get("metadata"), dict) and "name" in v["metadata"]:
                m = v["metadata"]
                out[(v["apiVersion"], v["kind"], m.get("namespace", ""), m["name"])] = v
                return
            for x in v.values(): walk(x)
        elif isinstance(v, list):
            for x in v: walk(x)
    walk(state)
    return out
SERVER = {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}
def norm(o):
    o = json.loads(json.dumps(o))
    o.pop("status", None)
    m = o["metadata"]
    for k in SERVER: m.pop(k, None)
    for k in list(m.get("labels", {})):
        if k.startswith("velero.io/"): del m["labels"][k]
    if not m.get("labels"): m.pop("labels", None)
    if o["kind"] == "Service":
        for k in ("clusterIP", "clusterIPs"): o.get("spec", {}).pop(k, None)
    return o
b, a = objects(before), objects(after)
want = {k: v for k, v in b.items() if k[2] in nss and not (k[1] == "Job" and "completionTime" in v.get("status", {}))}
missing = [k for k in want if k not in a]
differ = [k for k in want if k in a and norm(want[k]) != norm(a[k])]
print(f"compared {len(want)} objects: {len(missing)} missing, {len(differ)} differ")
for k in (missing + differ)[:10]: print("  ", k)
for k in differ[:2]:
    print(json.dumps(norm(want[k]), sort_keys=True)); print(json.dumps(norm(a[k]), sort_keys=True))
sys.exit(1 if missing or differ or len(want) < 30 else 0)
PY

# 2. a tarball written by another tool to Velero's layout restores
python3 - "$W/hand.tar.gz" <<'PY'
import io, json, sys, tarfile
def add(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o755; t.addfile(i, io.BytesIO(data))
ns = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "hand"}}).encode()
cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "made-by-hand", "namespace": "hand",
       "uid": "11111111-2222-3333-4444-555555555555", "resourceVersion": "42"}, "data": {"k": "v"}}).encode()
with tarfile.open(sys.argv[1], "w:gz", format=tarfile.USTAR_FORMAT) as t:
    add(t, "metadata/version", b"1.1.0\n")
    add(t, "resources/namespaces/cluster/hand.json", ns)
    add(t, "resources/namespaces/v1-preferredversion/cluster/hand.json", ns)
    add(t, "resources/configmaps/namespaces/hand/made-by-hand.json", cm)
    add(t, "resources/configmaps/v1-preferredversion/namespaces/hand/made-by-hand.json", cm)
PY
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" restore --from-file "$W/hand.tar.gz" >/dev/null 2>&1 || fail "hand-built"
kubesim_curl /api/v1/namespaces/hand/configmaps/made-by-hand | grep -q '"k": *"v"' || fail "hand-built object"

# 3. broken archives: refused before any write, naming the problem
python3 - "$W" <<'PY'
import gzip, io, json, sys, tarfile
w = sys.argv[1]
def tar(path, entries):
    with tarfile.open(path, "w:gz", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o755; t.addfile(i, io.BytesIO(data))
cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}}).encode()
tar(f"{w}/badjson.tar.gz", [("metadata/version", b"1.1.0\n"),
    ("resources/configmaps/namespaces/x/c.json", cm), ("resources/configmaps/namespaces/x/broken.json", b"{not json")])
tar(f"{w}/noversion.tar.gz", [("resources/configmaps/namespaces/x/c.json", cm)])
raw = bytearray(open(f"{w}/hand.tar.gz", "rb").read())
for i in range(40, 60): raw[i] ^= 0xFF
open(f"{w}/corrupt.tar.gz", "wb").write(raw)
PY
w0=$(writes)
for bad in badjson:broken.json noversion:metadata/version corrupt:gzip; do
	f=${bad%%:*} want=${bad#*:}
	if "$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" restore --from-file "$W/$f.tar.gz" 2>"$W/$f.err"; then
		fail "$f.tar.gz restored"
	fi
	grep -q "failed verification" "$W/$f.err" || fail "$f: $(cat "$W/$f.err")"
	grep -qi "$want" "$W/$f.err" || fail "$f: message does not name $want: $(cat "$W/$f.err")"
done
[ "$(writes)" = "$w0" ] || fail "writes during refused restores"
echo "PASS backup_verify"
