#!/usr/bin/env bash
# kairn's install manifests pass the API server's validation:
#   kubectl apply --dry-run=server -f manifests/
# against kubesim, after creating what a cluster would already have: the
# kairn-system namespace (a dry-run does not create it for the rest) and
# the Prometheus Operator's ServiceMonitor CRD. Also checks that every kairn
# command line in them parses, the Deployment's hardening and that the Lease
# RBAC covers exactly the verbs kairn run uses.
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
	"cronjob.batch/kairn-backup-nightly" "cronjob.batch/kairn-backup-titan-data-hourly" \
	"job.batch/kairn-restore" "secret/kairn-git" "configmap/kairn-config" \
	"clusterrole.rbac.authorization.k8s.io/kairn-sync" "role.rbac.authorization.k8s.io/kairn-leader-election"; do
	grep -q "^$want .*(server dry run)" <<<"$out" || fail "$want not in the dry-run output"
done
# dry run wrote nothing
"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" -n kairn-system get deployment kairn >/dev/null 2>&1 && fail "dry run created the Deployment"

# Every kairn command line in the manifests parses: run with a kubeconfig
# that does not exist, kairn gets past its flags and fails to connect (exit
# 1); an unknown flag or a bad value is a usage error (exit 2). Paths the
# args name must be mounted in that container.
"$kubectl" --kubeconfig "$KUBESIM_KUBECONFIG" apply --dry-run=server -f "$m/" -o json >"$KUBESIM_DIR/manifests.json"
python3 - "$KAIRN_BIN" "$KUBESIM_DIR" "$KUBESIM_DIR/manifests.json" <<'PY' || fail "a kairn command line in manifests/ does not parse"
import json, os, subprocess, sys
kairn, tmp = sys.argv[1], sys.argv[2]
doc = json.load(open(sys.argv[3]))
objs = doc.get("items", [doc]) if doc.get("kind") == "List" else [doc]
def pod_specs(o):
    s = o.get("spec", {})
    if o["kind"] == "CronJob":
        yield s["jobTemplate"]["spec"]["template"]["spec"]
    elif o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield s["template"]["spec"]
    elif o["kind"] == "Pod":
        yield s
seen, bad = 0, 0
for o in objs:
    for ps in pod_specs(o):
        for c in ps.get("initContainers", []) + ps.get("containers", []):
            if "kairn" not in c.get("image", ""):
                continue
            cmd = c.get("command", [])
            if cmd and os.path.basename(cmd[0]) != "kairn":
                continue
            args = cmd[1:] + c.get("args", [])
            where = "%s/%s container %s" % (o["kind"], o["metadata"]["name"], c["name"])
            seen += 1
            env = {"PATH": os.environ["PATH"], "HOME": tmp, "KUBECONFIG": os.path.join(tmp, "no-such-kubeconfig")}
            try:
                r = subprocess.run([kairn] + args, env=env, capture_output=True, text=True, timeout=20)
                rc, err = r.returncode, r.stderr
            except subprocess.TimeoutExpired:
                rc, err = None, ""
            if rc == 2:
                print("%s: kairn %s: usage error: %s" % (where, " ".join(args), err.strip()))
                bad += 1
            else:
                print("%s: kairn %s: parsed (exit %s)" % (where, " ".join(args), rc))
            mounts = [v["mountPath"].rstrip("/") for v in c.get("volumeMounts", [])]
            for a in args:
                val = a.split("=", 1)[1] if a.startswith("--") and "=" in a else None
                if val and val.startswith("/") and not any(val == mp or val.startswith(mp + "/") for mp in mounts):
                    print("%s: %s is not under a volumeMount (%s)" % (where, a, ", ".join(mounts)))
                    bad += 1
if seen < 2:
    print("expected the Deployment and the backup CronJob to run kairn; found %d kairn containers" % seen)
    bad += 1
sys.exit(1 if bad else 0)
PY

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
