#!/usr/bin/env bash
# kairn's install manifests pass the API server's validation:
#   kubectl apply --dry-run=server -f manifests/
# against kubesim, after creating what a cluster would already have: the
# kairn-system namespace (a dry-run does not create it for the rest) and
# the Prometheus Operator's ServiceMonitor CRD. Also checks the Deployment's
# hardening and that the Lease RBAC covers exactly the verbs kairn run uses.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
kubectl=$(command -v kubectl.1.33 || command -v kubectl)
m="$KAIRN_SOURCE_DIR/manifests"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" apply -f "$m/namespace.yaml" >/dev/null
"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { plural: servicemonitors, singular: servicemonitor, kind: ServiceMonitor, listKind: ServiceMonitorList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
YAML
for i in $(seq 1 50); do
	"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" api-resources --api-group=monitoring.coreos.com 2>/dev/null |
		grep -q servicemonitors && break
	sleep 0.1
done

out=$("$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" apply --dry-run=server -f "$m/" 2>&1) || { echo "$out"; fail "dry-run apply failed"; }
echo "$out"
for want in "deployment.apps/kairn" "service/kairn" "servicemonitor.monitoring.coreos.com/kairn" \
	"cronjob.batch/kairn-backup-nightly" "secret/kairn-git" "configmap/kairn-config" \
	"clusterrole.rbac.authorization.k8s.io/kairn-sync" "role.rbac.authorization.k8s.io/kairn-leader-election"; do
	grep -q "^$want .*(server dry run)" <<<"$out" || fail "$want not in the dry-run output"
done
# dry run wrote nothing
"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" -n kairn-system get deployment kairn >/dev/null 2>&1 && fail "dry run created the Deployment"

# hardening the issue asks for
d=$(cat "$m/deployment.yaml")
for want in "runAsNonRoot: true" "readOnlyRootFilesystem: true" "type: RuntimeDefault" \
	"allowPrivilegeEscalation: false" "path: /healthz" "path: /readyz" "--leader-elect"; do
	grep -qF -- "$want" <<<"$d" || fail "deployment.yaml lacks $want"
done
# Lease RBAC: kairn run reads (GET), creates (POST) and renews/releases (PUT) its Lease, nothing more
grep -A3 'resources: \["leases"\]' "$m/rbac.yaml" | grep -q 'verbs: \["get", "create", "update"\]' ||
	fail "the Lease Role does not grant exactly get, create, update"
echo "PASS run_manifests"
