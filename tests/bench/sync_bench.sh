#!/usr/bin/env bash
# sync_bench.sh — kairn sync against `kubectl apply --server-side` and
# `kpt live apply` on the same kubesim (2 ms latency per request): first
# apply of N objects into an empty server and a no-op re-apply, for N = 1,000
# and 10,000. Prints wall time, API requests (kubesim counters: all / writes)
# and peak RSS (/usr/bin/time) side by side. Not a ctest test.
#
#   tests/bench/sync_bench.sh [BUILD_DIR]     (default: build-rel, then build)
#   env: SIZES="1000 10000", LATENCY_MS=2, KAIRN_FLAGS="--kube-qps ...", KPT=skip
#
# Build without sanitizers for meaningful figures:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DKAIRN_SANITIZE=OFF
#   cmake --build build-rel -j2 --target kairn_bin kubesim
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-}
if [ -z "$B" ]; then
	B=$SRC/build-rel
	[ -x "$B/kairn" ] || B=$SRC/build
fi
export KAIRN_BIN=${KAIRN_BIN:-$B/kairn} KUBESIM_BIN=${KUBESIM_BIN:-$B/tests/kubesim/kubesim}
export KAIRN_SOURCE_DIR=$SRC
SIZES=${SIZES:-1000 10000}
LATENCY_MS=${LATENCY_MS:-2}
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
# The defaults (QPS 200, concurrency 32) are for shared production API
# servers; the bench measures the engine, so the client limit is lifted.
KAIRN_FLAGS=${KAIRN_FLAGS:---kube-qps 100000 --kube-burst 100000 --kube-concurrency 64}
. "$SRC/tests/e2e/lib/kubesim.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/kairn-bench.XXXXXX")
kubesim_on_exit "rm -rf '$W'"
kubesim_start --latency-ms "$LATENCY_MS"
KC=$KUBESIM_KUBECONFIG

# gen N DIR: 10 namespaces; N objects in all: ConfigMaps, Services and
# Deployments in turn, 100 per file.
gen() {
	python3 - "$1" "$2" <<'EOF'
import os, sys
n, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "00-namespaces.yaml"), "w") as f:
    for i in range(10):
        f.write("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench-%d\n" % i)
docs = []
for i in range(n - 10):
    ns, k = "bench-%d" % (i % 10), i % 3
    name = "obj-%05d" % i
    if k == 0:
        docs.append("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\n"
                    "data:\n  key: value-%d\n  mode: bench\n" % (name, ns, i))
    elif k == 1:
        docs.append("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n"
                    "  selector:\n    app: %s\n  ports:\n  - port: 80\n    targetPort: 8080\n" % (name, ns, name))
    else:
        docs.append("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n"
                    "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: %s\n  template:\n"
                    "    metadata:\n      labels:\n        app: %s\n    spec:\n      containers:\n"
                    "      - name: app\n        image: registry.example.com/app:1.%d\n"
                    "        ports:\n        - containerPort: 8080\n" % (name, ns, name, name, i % 7))
for f0 in range(0, len(docs), 100):
    with open(os.path.join(d, "objs-%05d.yaml" % f0), "w") as f:
        f.write("".join("---\n" + x for x in docs[f0:f0 + 100]))
EOF
}

reset() {
	kubesim_curl /kubesim/reset -X POST >/dev/null
}
counters() {
	kubesim_curl /kubesim/counters | python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["requests"], c["writes"])'
}
# measure LABEL CMD...: runs CMD under /usr/bin/time, prints one row.
measure() {
	local label=$1 rc req wr
	shift
	kubesim_curl /kubesim/counters -X DELETE >/dev/null
	set +e
	/usr/bin/time -f "%e %M %U %S" -o "$W/time" $("$@") >"$W/out" 2>"$W/err"
	rc=$?
	set -e
	read -r req wr < <(counters)
	read -r secs rss usr sys < <(tail -n1 "$W/time")
	printf "%-36s %7.2f s (cpu %6.2f s) %6s req %6s writes %6.1f MB%s\n" "$label" "$secs" "$(echo "$usr + $sys" | bc -l)" "$req" "$wr" \
		"$(echo "$rss / 1024" | bc -l)" "$([ $rc = 0 ] || echo "  (exit $rc: $(tail -n1 "$W/err"))")"
}

# Commands as argument lists (run directly under /usr/bin/time: peak RSS is
# the tool's own).
kairn_apply() { echo "$KAIRN_BIN --kubeconfig $KC $KAIRN_FLAGS sync --once --dir $1 --source bench"; }
kubectl_apply() { echo "$KUBECTL --kubeconfig $KC --cache-dir $W/kcache apply --server-side -f $1"; }
kpt_apply() { echo "env KUBECONFIG=$KC kpt live apply $1 --reconcile-timeout=0s"; }
kpt_prepare() {
	KUBECONFIG=$KC kpt live install-resource-group >/dev/null
	"$KUBECTL" --kubeconfig "$KC" wait --for=condition=established crd/resourcegroups.kpt.dev --timeout=30s >/dev/null
}

echo "kubesim latency ${LATENCY_MS} ms/request; kairn flags: $KAIRN_FLAGS"
echo "kairn $("$KAIRN_BIN" version 2>/dev/null | head -n1); $("$KUBECTL" version --client 2>/dev/null | head -n1); kpt $(kpt version 2>/dev/null)"
for n in $SIZES; do
	gen "$n" "$W/objs-$n"
	echo
	echo "== $n objects =="
	reset
	measure "kairn sync --once (first)" kairn_apply "$W/objs-$n"
	measure "kairn sync --once (no-op)" kairn_apply "$W/objs-$n"
	reset
	measure "kubectl apply --server-side (first)" kubectl_apply "$W/objs-$n"
	measure "kubectl apply --server-side (no-op)" kubectl_apply "$W/objs-$n"
	if [ "${KPT:-}" != skip ] && command -v kpt >/dev/null; then
		reset
		kpt_prepare
		rm -rf "$W/kpt-$n" && cp -R "$W/objs-$n" "$W/kpt-$n"
		KUBECONFIG=$KC kpt live init "$W/kpt-$n" --namespace bench-inventory >/dev/null 2>&1 ||
			KUBECONFIG=$KC kpt live init "$W/kpt-$n" >/dev/null
		"$KUBECTL" --kubeconfig "$KC" create namespace bench-inventory >/dev/null 2>&1 || true
		measure "kpt live apply (first)" kpt_apply "$W/kpt-$n"
		measure "kpt live apply (no-op)" kpt_apply "$W/kpt-$n"
	fi
done
