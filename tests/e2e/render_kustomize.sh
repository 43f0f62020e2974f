#!/usr/bin/env bash
# render_kustomize.sh — a directory with a kustomization.yaml is rendered by
# `kubectl kustomize` (real kubectl 1.33 as KAIRN_KUBECTL): an overlay with
# a base, namePrefix, labels, a configMapGenerator (hashed name) and a
# patch gives exactly what `kubectl create --dry-run=client -k` prints
# against kubesim; the overlay beside plain files (-R) is one unit; a broken
# kustomization fails with kubectl's reason; without kubectl the message
# says what to install. Exits 77 without kubectl 1.33.
set -euo pipefail
: "${KAIRN_BIN:?}" "${KUBESIM_BIN:?}" "${KAIRN_SOURCE_DIR:?}"
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubectl_or_skip
kubesim_start --quiet
W=$KUBESIM_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
K=("$KUBECTL" --kubeconfig "$KUBESIM_KUBECONFIG" --cache-dir "$W/kcache")
export KAIRN_KUBECTL=$KUBECTL

mkdir -p "$W/app/base" "$W/app/overlay"
cat > "$W/app/base/deployment.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 0443}]
        envFrom: [{configMapRef: {name: settings}}]
Y
cat > "$W/app/base/kustomization.yaml" <<'Y'
resources: [deployment.yaml]
Y
cat > "$W/app/overlay/kustomization.yaml" <<'Y'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: prod-
labels:
- pairs: {env: prod}
  includeSelectors: false
resources: [../base]
configMapGenerator:
- name: settings
  literals: [MODE=fast, ENABLED=yes]
patches:
- target: {kind: Deployment, name: web}
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
Y

mkdir "$W/r"
echo "$W/app/overlay" >"$W/r/0.name"
set +e
"${K[@]}" create --dry-run=client --validate=false -o json -k "$W/app/overlay" >"$W/r/0.kout" 2>"$W/r/0.kerr"
echo $? >"$W/r/0.krc"
"$KAIRN_BIN" render -o json --dir "$W/app/overlay" >"$W/r/0.aout" 2>"$W/r/0.aerr"
echo $? >"$W/r/0.arc"
set -e
[ "$(cat "$W/r/0.krc")" = 0 ] || fail "kubectl -k failed: $(cat "$W/r/0.kerr")"
[ "$(cat "$W/r/0.arc")" = 0 ] || fail "kairn render failed: $(cat "$W/r/0.aerr")"
read -r n refused bad < <(python3 "$KAIRN_SOURCE_DIR/tests/e2e/fixtures/yaml-oracle-compare.py" "$W/r")
[ "$bad" = 0 ] || fail "kairn render of the overlay differs from kubectl -k"
grep -q '"name": "prod-settings-' "$W/r/0.aout" || fail "no generated ConfigMap"
grep -q '"replicas": 3' "$W/r/0.aout" || fail "patch not applied"
echo "ok: overlay rendered like kubectl -k"

# Beside plain files, with -R: the base and the overlay are one unit each.
mkdir -p "$W/repo"
cp -r "$W/app/base" "$W/app/overlay" "$W/repo/"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n' > "$W/repo/namespace.yaml"
"$KAIRN_BIN" render -R -o json --dir "$W/repo" >"$W/repo.json" 2>"$W/repo.err" ||
  fail "render -R of the repository: $(cat "$W/repo.err")"
python3 - "$W/repo.json" <<'PY' || fail "wrong objects in the repository render"
import json, sys
t, d, i, objs = open(sys.argv[1]).read(), json.JSONDecoder(), 0, []
while True:
    while i < len(t) and t[i].isspace():
        i += 1
    if i >= len(t):
        break
    v, i = d.raw_decode(t, i)
    objs.append((v["kind"], v["metadata"]["name"]))
names = sorted(n for _, n in objs)
assert ("Deployment", "web") in objs and ("Deployment", "prod-web") in objs, objs
assert ("Namespace", "prod") in objs, objs
assert any(k == "ConfigMap" and n.startswith("prod-settings-") for k, n in objs), objs
assert len(objs) == 4, objs
PY
echo "ok: overlay beside plain files is rendered as one unit"

# A broken kustomization: kubectl's reason, nothing printed.
echo "resources: [missing.yaml]" > "$W/app/overlay/kustomization.yaml"
if "$KAIRN_BIN" render --dir "$W/app/overlay" >"$W/out" 2>"$W/err"; then fail "broken kustomization rendered"; fi
grep -q "kubectl kustomize failed (exit 1): .*missing.yaml" "$W/err" || fail "no reason: $(cat "$W/err")"
[ ! -s "$W/out" ] || fail "objects printed despite the error"
echo "ok: broken kustomization refused with kubectl's reason"

KAIRN_KUBECTL=/nonexistent/kubectl "$KAIRN_BIN" render --dir "$W/app/base" >"$W/out" 2>"$W/err" && fail "rendered without kubectl"
grep -q "install kubectl or set KAIRN_KUBECTL" "$W/err" || fail "no hint without kubectl: $(cat "$W/err")"
echo "ok: missing kubectl explained"
