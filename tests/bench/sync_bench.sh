#!/usr/bin/env bash
# sync_bench.sh — kairn sync against `kubectl apply --server-side` and
# `kpt live apply` on the same kubesim, every request delayed LATENCY_MS
# (default 2 ms): first apply of N objects into an empty server and a no-op
# re-sync with each tool, for N = 1,000 and 10,000. Prints one table per N:
# wall and CPU time, API requests (kubesim's counters: all / writes), peak
# RSS, and its split into RssAnon (the process's own memory) and RssFile
# (executable and shared libraries, shared with other processes); then
# kairn's speed-up over each tool. Not a ctest test: it takes minutes (kpt
# needs ~8 min at 10,000) and its figures depend on the machine.
#
#   tests/bench/sync_bench.sh [BUILD_DIR]     (default: build-rel, then build)
#   env: SIZES="1000 10000"  LATENCY_MS=2  KPT=skip  KAIRN_DEFAULTS=skip
#        KAIRN_FLAGS="..." (the flags of the main kairn rows, see below)
#
# kairn is measured twice on the first apply: with its default client
# limits (QPS 1000, burst 20000, 32 in flight) and with the limiter lifted
# (KAIRN_FLAGS, default --kube-qps 100000 --kube-burst 100000
# --kube-concurrency 64), which measures the engine rather than the guard;
# the flags are printed with the figures. kubectl and kpt run with theirs.
#
# Build without sanitizers for meaningful figures:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DKAIRN_SANITIZE=OFF
#   cmake --build build-rel -j2 --target kairn_bin kubesim bench_peak_rss
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-}
if [ -z "$B" ]; then
	B=$SRC/build-rel
	[ -x "$B/kairn" ] || B=$SRC/build
fi
export KAIRN_BIN=${KAIRN_BIN:-$B/kairn} KUBESIM_BIN=${KUBESIM_BIN:-$B/tests/kubesim/kubesim}
export KAIRN_SOURCE_DIR=$SRC
PEAK=${PEAK_RSS_BIN:-$B/tests/bench_peak_rss}
SIZES=${SIZES:-1000 10000}
LATENCY_MS=${LATENCY_MS:-2}
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
KAIRN_FLAGS=${KAIRN_FLAGS:---kube-qps 100000 --kube-burst 100000 --kube-concurrency 64}
[ -x "$PEAK" ] || { echo "sync_bench: $PEAK missing (build target bench_peak_rss)" >&2; exit 1; }
command -v kpt >/dev/null || KPT=skip
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
row_header() {
	printf "%-30s %8s %8s %8s %7s %9s %8s %8s\n" "" "wall s" "cpu s" "requests" "writes" "peak MB" "anon MB" "file MB"
}
# measure KEY LABEL CMD...: runs CMD under bench_peak_rss (its own peak
# RSS, not the shell's), prints one row and keeps the wall time as T[KEY].
declare -A T
measure() {
	local key=$1 label=$2 rc secs cpu rss anon file req wr
	shift 2
	kubesim_curl /kubesim/counters -X DELETE >/dev/null
	set +e
	"$PEAK" "$W/peak" "$@" >"$W/out" 2>"$W/err"
	set -e
	read -r rc secs cpu rss anon file <"$W/peak"
	read -r req wr < <(counters)
	T[$key]=$secs
	printf "%-30s %8.2f %8.2f %8s %7s %9.1f %8.1f %8.1f%s\n" "$label" "$secs" "$cpu" "$req" "$wr" \
		"$(echo "$rss / 1024" | bc -l)" "$(echo "$anon / 1024" | bc -l)" "$(echo "$file / 1024" | bc -l)" \
		"$([ "$rc" = 0 ] || echo "  (exit $rc: $(tail -n1 "$W/err"))")"
}
ratio() { # ratio LABEL SLOW FAST
	[ -n "${T[$2]:-}" ] && [ -n "${T[$3]:-}" ] &&
		printf "  %-44s %6.1fx\n" "$1" "$(echo "${T[$2]} / ${T[$3]}" | bc -l)"
	return 0
}

kpt_prepare() { # kpt_prepare DIR: the ResourceGroup CRD and an inventory for DIR
	KUBECONFIG=$KC kpt live install-resource-group >/dev/null
	"$KUBECTL" --kubeconfig "$KC" wait --for=condition=established crd/resourcegroups.kpt.dev --timeout=30s >/dev/null
	"$KUBECTL" --kubeconfig "$KC" create namespace bench-inventory >/dev/null 2>&1 || true
	KUBECONFIG=$KC kpt live init "$1" --namespace bench-inventory >/dev/null 2>&1
}

echo "kubesim: ${LATENCY_MS} ms latency per request, HTTP, one server for all tools (reset between them)"
echo "$("$KAIRN_BIN" version 2>/dev/null | head -n1); kubectl $("$KUBECTL" version --client 2>/dev/null | head -n1 | sed 's/.*: //')$([ "${KPT:-}" = skip ] || echo "; kpt $(kpt version 2>/dev/null)")"
echo "kairn flags: defaults = --kube-qps 1000 --kube-burst 20000 --kube-concurrency 32; lifted = $KAIRN_FLAGS"
echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $SIZES; do
	gen "$n" "$W/objs-$n"
	echo
	echo "== $n objects =="
	row_header
	if [ "${KAIRN_DEFAULTS:-}" != skip ]; then
		reset
		measure kd "kairn first (defaults)" "$KAIRN_BIN" --kubeconfig "$KC" sync --once --dir "$W/objs-$n" --source bench
	fi
	reset
	# shellcheck disable=SC2086 # KAIRN_FLAGS is a list of flags
	measure kf "kairn first (lifted)" "$KAIRN_BIN" --kubeconfig "$KC" $KAIRN_FLAGS sync --once --dir "$W/objs-$n" --source bench
	# shellcheck disable=SC2086
	measure kn "kairn no-op (lifted)" "$KAIRN_BIN" --kubeconfig "$KC" $KAIRN_FLAGS sync --once --dir "$W/objs-$n" --source bench
	measure kdn "kairn no-op (defaults)" "$KAIRN_BIN" --kubeconfig "$KC" sync --once --dir "$W/objs-$n" --source bench
	reset
	measure cf "kubectl apply --server-side" "$KUBECTL" --kubeconfig "$KC" --cache-dir "$W/kcache" apply --server-side -f "$W/objs-$n"
	measure cn "kubectl no-op (same apply)" "$KUBECTL" --kubeconfig "$KC" --cache-dir "$W/kcache" apply --server-side -f "$W/objs-$n"
	if [ "${KPT:-}" != skip ]; then
		reset
		rm -rf "$W/kpt-$n" && cp -R "$W/objs-$n" "$W/kpt-$n"
		kpt_prepare "$W/kpt-$n"
		measure pf "kpt live apply" env KUBECONFIG="$KC" kpt live apply "$W/kpt-$n" --reconcile-timeout=0s
		measure pn "kpt no-op (same apply)" env KUBECONFIG="$KC" kpt live apply "$W/kpt-$n" --reconcile-timeout=0s
	fi
	echo "kairn speed-up (wall time):"
	ratio "first apply vs kubectl (lifted)" cf kf
	ratio "first apply vs kubectl (defaults)" cf kd
	ratio "first apply vs kpt (lifted)" pf kf
	ratio "first apply vs kpt (defaults)" pf kd
	ratio "no-op vs kubectl" cn kn
	ratio "no-op vs kpt" pn kn
	unset T
	declare -A T
done
