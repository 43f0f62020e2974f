#!/bin/bash
# workflow.sh KUBECTL — the contract §11 workflow for one kubectl binary,
# against a fresh kubesim over HTTPS with a token. TYPED=0 skips the protobuf
# generators. Prints `ok N - ...` lines and `N passed, 0 failed`.
set -u
KUBECTL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ks_start
ID=$RANDOM$$
NS=kw-$ID
GROUP=kw$ID.example.com
M=$KS_DIR/m
mkdir -p "$M"
k() { "$KUBECTL" --kubeconfig "$KS_KUBECONFIG" --cache-dir "$KS_DIR/cache" "$@"; }
rv_of() { k get "$@" -o jsonpath='{.metadata.resourceVersion}'; }
same_rv() { # same_rv BEFORE cmd... : the command leaves the RV of $OBJ unchanged
	local before=$1; shift
	"$@" >/dev/null 2>&1 || { "$@"; return 1; }
	local after; after=$(rv_of $OBJ -n "$NS")
	[ "$before" = "$after" ] || { echo "resourceVersion moved $before -> $after"; return 1; }
}

cat >"$M/ns.yaml" <<Y
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
Y
cat >"$M/app.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: $NS, labels: {app: web, tier: frontend}}
data: {color: blue}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.25, ports: [{containerPort: 80}]}
      - {name: side, image: busybox:1.36}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $NS}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
Y
sed 's/color: blue/color: green/' "$M/app.yaml" >"$M/app2.yaml"
cat >"$M/bogus.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata: {name: bogus, namespace: $NS}
bogusField: 1
Y
cat >"$M/ssa.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS}
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.25}
Y
cat >"$M/job.yaml" <<Y
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: $NS}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
Y
cat >"$M/crd.yaml" <<Y
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.$GROUP}
spec:
  group: $GROUP
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
Y
cat >"$M/cr.yaml" <<Y
apiVersion: $GROUP/v1
kind: Widget
metadata: {name: w1, namespace: $NS}
spec: {size: 1}
Y

step "version" expect_out "Server Version" k version
step "api-resources" expect_out "deployments" k api-resources
step "get ns" expect_out "kube-system" k get ns
step "get missing configmap is NotFound" expect_fail "NotFound" k get cm cfg -n "$NS"
step "apply namespace" k apply -f "$M/ns.yaml"
step "CSA apply creates" expect_out "configmap/cfg created" k apply -f "$M/app.yaml"
step "server fields are set" expect_out "^[0-9a-f-]\{36\} [0-9]" k get cm cfg -n "$NS" -o jsonpath='{.metadata.uid} {.metadata.resourceVersion}'
step "service got a clusterIP" expect_out "^10\." k get svc web -n "$NS" -o jsonpath='{.spec.clusterIP}'
step "get -o json" expect_out '"color": "blue"' k get cm cfg -n "$NS" -o json
step "get -o yaml" expect_out "color: blue" k get cm cfg -n "$NS" -o yaml
OBJ="cm cfg"
RV=$(rv_of cm cfg -n "$NS")
step "CSA re-apply unchanged keeps the RV" same_rv "$RV" k apply -f "$M/app.yaml"
step "diff without changes exits 0" k diff -f "$M/app.yaml"
step "diff with changes exits 1" bash -c "'$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' diff -f '$M/app2.yaml' >/dev/null; [ \$? = 1 ]"
step "server dry-run changes nothing" same_rv "$RV" k apply -f "$M/app2.yaml" --dry-run=server
step "CSA apply configures" expect_out "configmap/cfg configured" k apply -f "$M/app2.yaml"
step "strict validation rejects unknown fields" expect_fail 'unknown field "bogusField"' k apply -f "$M/bogus.yaml"
step "warn validation passes with a warning" expect_out 'unknown field "bogusField"' k apply -f "$M/bogus.yaml" --validate=warn
step "create existing is AlreadyExists" expect_fail "AlreadyExists" k create -f "$M/ns.yaml"
step "SSA conflict on replicas" expect_fail "conflict" k apply --server-side -f "$M/ssa.yaml"
step "SSA --force-conflicts" k apply --server-side --force-conflicts -f "$M/ssa.yaml"
step "SSA manager in managedFields" expect_out "kubectl" k get deploy web -n "$NS" -o jsonpath='{.metadata.managedFields[*].manager}' --show-managed-fields
OBJ="deploy web"
RV=$(rv_of deploy web -n "$NS")
step "SSA no-op keeps the RV" same_rv "$RV" k apply --server-side -f "$M/ssa.yaml"
step "SSA dry-run keeps the RV" same_rv "$RV" k apply --server-side --dry-run=server -f "$M/ssa.yaml"
step "diff --server-side" k diff --server-side -f "$M/ssa.yaml"
step "strategic patch merges containers by name" k patch deploy web -n "$NS" -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}'
step "strategic patch kept the image change" expect_out "nginx:1.26" k get deploy web -n "$NS" -o jsonpath='{.spec.template.spec.containers[*].image}'
step "merge patch" k patch cm cfg -n "$NS" --type=merge -p '{"data":{"size":"L"}}'
step "json patch" k patch cm cfg -n "$NS" --type=json -p '[{"op":"replace","path":"/data/size","value":"XL"}]'
step "json patch result" expect_out "XL" k get cm cfg -n "$NS" -o jsonpath='{.data.size}'
step "patch missing is NotFound" expect_fail "NotFound" k patch cm nope -n "$NS" --type=merge -p '{"data":{}}'
step "label" k label cm cfg -n "$NS" stage=dev
step "label --overwrite" k label cm cfg -n "$NS" stage=prod --overwrite
step "label removal" k label cm cfg -n "$NS" stage-
step "annotate" k annotate cm cfg -n "$NS" note=hello
step "set-based selector" expect_out "cfg" k get cm -n "$NS" -l 'tier in (frontend,backend),app=web'
step "negative selector" bash -c "! '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' get cm -n '$NS' -l '!tier' -o name | grep -q cfg"
step "scale" k scale deploy web -n "$NS" --replicas=3
step "rollout status" k rollout status deploy/web -n "$NS" --timeout=20s
step "get -A -w sees rows" bash -c "timeout 3 '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' get deploy -A -w | grep -q web"
step "get -w --output-watch-events" bash -c "timeout 3 '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' get cm cfg -n '$NS' -w --output-watch-events -o json | grep -q ADDED"
step "job create" k apply -f "$M/job.yaml"
step "wait job complete" k wait --for=condition=complete job/once -n "$NS" --timeout=20s
step "CRD create" k apply -f "$M/crd.yaml"
step "CRD established" k wait --for=condition=established "crd/widgets.$GROUP" --timeout=20s
step "CRD in discovery" expect_out "widgets" k api-resources --api-group="$GROUP"
step "CR create" k apply -f "$M/cr.yaml"
step "CR get" expect_out "w1" k get wdg -n "$NS"
step "CR merge patch" k patch widget w1 -n "$NS" --type=merge -p '{"spec":{"size":2}}'
step "CR strategic patch is 415" expect_fail "UnsupportedMediaType\|unknown format\|strategic merge patch" k patch widget w1 -n "$NS" -p '{"spec":{"size":3}}'
step "CR SSA" k apply --server-side --force-conflicts -f "$M/cr.yaml"
step "CR delete and wait" bash -c "'$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' delete -f '$M/cr.yaml' --wait=false && '$KUBECTL' --kubeconfig '$KS_KUBECONFIG' --cache-dir '$KS_DIR/cache' wait --for=delete widget/w1 -n '$NS' --timeout=20s"
step "CRD delete" k delete -f "$M/crd.yaml"
if [ "${TYPED:-1}" != 0 ]; then
	step "typed create namespace" k create namespace "$NS-t"
	step "typed create configmap" k create configmap tcm -n "$NS-t" --from-literal=k=v
	step "typed create secret" k create secret generic tsec -n "$NS-t" --from-literal=pw=s3cret
	step "typed configmap round-trip" expect_out "^v$" k get cm tcm -n "$NS-t" -o jsonpath='{.data.k}'
	step "typed secret round-trip" expect_out "^czNjcmV0$" k get secret tsec -n "$NS-t" -o jsonpath='{.data.pw}'
	step "delete typed namespace" k delete ns "$NS-t" --timeout=20s
fi
step "delete -f waits for the namespace" k delete -f "$M/app.yaml" -f "$M/ns.yaml" --timeout=30s
step "namespace is gone" expect_fail "NotFound" k get ns "$NS"
step "wrong token is 401" expect_fail "Unauthorized\|logged in" k --token wrong get ns
echo "$PASSED passed, 0 failed"
