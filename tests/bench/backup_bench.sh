#!/usr/bin/env bash
# backup_bench.sh — backup and restore of N objects (default 10,000) on
# kubesim without latency: prints backup time, restore time (into a fresh
# kubesim), archive size and peak RSS of each. Not a ctest test.
# Targets (issue 8): backup < 2 s, restore < 5 s, peak RSS < 50 MB.
#
#   tests/bench/backup_bench.sh [BUILD_DIR]   (default: build-rel, then build)
#   env: N=10000
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
N=${N:-10000}
FAST=(--kube-qps 100000 --kube-burst 100000 --kube-concurrency 64)
. "$SRC/tests/e2e/lib/kubesim.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/kairn-backup-bench.XXXXXX")
kubesim_on_exit "rm -rf '$W'"

# N objects in 10 namespaces: ConfigMaps, Services and Deployments in turn.
python3 - "$N" "$W/objs" <<'PY'
import os, sys
n, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(d)
with open(f"{d}/ns.yaml", "w") as f:
    for i in range(10):
        f.write(f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench-{i}\n")
per, out = 100, None
for i in range(n - 10):
    if i % per == 0:
        out = open(f"{d}/objs-{i // per:05d}.yaml", "w")
    ns, kind = f"bench-{i % 10}", i % 3
    if kind == 0:
        out.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\n"
                  f"data:\n  key: value-{i}\n  other: \"{'x' * 40}\"\n")
    elif kind == 1:
        out.write(f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\n"
                  f"spec:\n  selector:\n    app: a{i}\n  ports:\n  - port: 80\n    targetPort: 8080\n")
    else:
        out.write(f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dep-{i}\n  namespace: {ns}\n"
                  f"spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: a{i}\n  template:\n"
                  f"    metadata:\n      labels:\n        app: a{i}\n    spec:\n      containers:\n"
                  f"      - name: app\n        image: registry.example.com/app:{i}\n        ports:\n"
                  f"        - containerPort: 8080\n")
PY

peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
secs() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

kubesim_start
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" "${FAST[@]}" sync --once --dir "$W/objs" --source bench >/dev/null 2>&1
/usr/bin/time -v "$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" --log-level warn backup create bench \
	--storage-location "file://$W/store" >/dev/null 2>"$W/backup.time"
items=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"]["progress"]["itemsBackedUp"])' \
	"$W/store/backups/bench/velero-backup.json")
size=$(stat -c %s "$W/store/backups/bench/bench.tar.gz")

kubesim_start # a fresh, empty cluster
/usr/bin/time -v "$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" "${FAST[@]}" restore \
	--from-backup bench --storage-location "file://$W/store" >"$W/restore.out" 2>"$W/restore.time"

printf '\nbackup/restore of %s objects (%s items in the backup) on kubesim, no latency\n' "$N" "$items"
printf '%-10s %12s %14s\n' phase "wall (m:ss)" "peak RSS (MB)"
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '%-10s %12s %14s\n' backup "$(secs "$W/backup.time")" "$(mb "$(peak "$W/backup.time")")"
printf '%-10s %12s %14s\n' restore "$(secs "$W/restore.time")" "$(mb "$(peak "$W/restore.time")")"
printf 'archive: %s bytes (%s MB)\n' "$size" "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }')"
tail -n 1 "$W/restore.out"
