#!/bin/bash
# kpt.sh — kpt live install-resource-group, init, apply (inventory content and
# owning-inventory annotation), apply with a change and a prune, status and
# destroy against a fresh kubesim over HTTPS with a token.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
KPT=${KPT_BIN:-kpt}
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
ks_start
ID=$RANDOM$$
NS=kpt-$ID
PKG=$KS_DIR/pkg
mkdir -p "$PKG"
kp() { KUBECONFIG=$KS_KUBECONFIG "$KPT" "$@"; }
k() { "$KUBECTL" --kubeconfig "$KS_KUBECONFIG" --cache-dir "$KS_DIR/cache" "$@"; }
cat >"$PKG/Kptfile" <<Y
apiVersion: kpt.dev/v1
kind: Kptfile
metadata: {name: pkg}
Y
cat >"$PKG/ns.yaml" <<Y
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
Y
cat >"$PKG/cm.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: kcfg, namespace: $NS}
data: {a: "1"}
Y
cat >"$PKG/old.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: kold, namespace: $NS}
data: {x: "1"}
Y
cat >"$PKG/deploy.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: kweb, namespace: $NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: kweb}}
  template:
    metadata: {labels: {app: kweb}}
    spec: {containers: [{name: web, image: nginx}]}
Y
step "kpt live install-resource-group" kp live install-resource-group
step "ResourceGroup CRD is established" k wait --for=condition=established crd/resourcegroups.kpt.dev --timeout=20s
step "kpt live init" kp live init "$PKG" --namespace "$NS"
step "kpt live apply" kp live apply "$PKG" --reconcile-timeout=30s
step "inventory lists the objects" expect_out "kcfg" k get resourcegroups.kpt.dev -n "$NS" -o jsonpath='{.items[*].spec.resources[*].name}'
step "objects carry owning-inventory" expect_out "." k get cm kcfg -n "$NS" -o jsonpath='{.metadata.annotations.config\.k8s\.io/owning-inventory}'
rm "$PKG/old.yaml"
sed -i 's/a: "1"/a: "2"/' "$PKG/cm.yaml"
step "kpt live apply with a change and a prune" kp live apply "$PKG" --reconcile-timeout=30s
step "changed object updated" expect_out "^2$" k get cm kcfg -n "$NS" -o jsonpath='{.data.a}'
step "pruned object gone" bash -c "! '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' get cm kold -n '$NS' 2>/dev/null"
sed -i 's/a: "2"/a: "3"/' "$PKG/cm.yaml"
step "kpt live apply --server-side" kp live apply "$PKG" --server-side --force-conflicts --reconcile-timeout=30s
step "server-side change applied" expect_out "^3$" k get cm kcfg -n "$NS" -o jsonpath='{.data.a}'
step "kpt live status" kp live status "$PKG" --timeout=20s
step "kpt live destroy" kp live destroy "$PKG"
step "namespace gone after destroy" bash -c "for i in \$(seq 50); do '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' get ns '$NS' >/dev/null 2>&1 || exit 0; sleep 0.1; done; exit 1"
echo "$PASSED passed, 0 failed"
