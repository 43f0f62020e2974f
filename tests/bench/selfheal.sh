#!/usr/bin/env bash
# selfheal.sh — self-heal latency and idle memory of `kairn run` on kubesim.
#
#   KAIRN_BIN=build-rel/kairn KUBESIM_BIN=build-rel/tests/kubesim/kubesim \
#     tests/bench/selfheal.sh [PATCHES=200] [OBJECTS=1000]
#
# 1. Latency: OBJECTS managed ConfigMaps; PATCHES times, `kubectl patch` one of
#    them (round-robin over the first 20, so that no object is changed again
#    within kairn's 1 s fight window — that would be a fight and back off on
#    purpose) and measure from kubectl's return to the moment a GET shows
#    the desired value again (polled every 2 ms). Prints p50/p90/p99/max.
#    Target: p99 < 1 s.
# 2. Idle RSS: VmRSS of the agent after it synced OBJECTS objects and has
#    been idle (watching) for a few seconds: after the first sync (it created
#    them) and after the second (nothing to do), split into shared-library
#    pages, the libraries' relocated data, and kairn's own heap, arenas and
#    stacks. Target < 15 MB. Use a build without sanitizers (ASan's shadow
#    memory alone is far above that). Memory runs on its own agent (interval
#    10 s), latency on another (interval 30 m), so no sync pauses self-heal.
set -euo pipefail
PATCHES=${1:-200}
OBJECTS=${2:-1000}
here=$(cd "$(dirname "$0")/../.." && pwd)
: "${KAIRN_BIN:=$here/build/kairn}" "${KUBESIM_BIN:=$here/build/tests/kubesim/kubesim}"
export KAIRN_BIN KUBESIM_BIN KAIRN_SOURCE_DIR=$here
kubectl=$(command -v kubectl.1.33 || command -v kubectl)
. "$here/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$here/tests/e2e/lib/kairn_run.sh"

make_namespace kairn-system
write_cms "$RUN_DIR/app" "$OBJECTS" v1
# idle_rss LABEL: one line of figures for agent a
idle_rss() {
	python3 - "$RUN_PID_a" "$OBJECTS" "$1" "$KAIRN_BIN" <<'PY'
import re, sys
pid, n, label, binary = sys.argv[1:5]
st = dict(l.split(":", 1) for l in open("/proc/%s/status" % pid))
kb = lambda k: int(st[k].split()[0])
lib_file = lib_anon = own = 0
libs = set()
cur = None
for line in open("/proc/%s/smaps" % pid):
    if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
        f = line.split()
        cur = f[5] if len(f) > 5 else "[anon]"
    elif line.startswith("Rss:") or line.startswith("Anonymous:"):
        v = int(line.split()[1])
        is_lib = ".so" in cur and cur.startswith("/")
        if is_lib:
            libs.add(cur)
            if line.startswith("Rss:"):
                lib_file += v
            else:
                lib_file -= v
                lib_anon += v
        elif line.startswith("Anonymous:"):
            own += v
mb = lambda k: "%.1f MB" % (k / 1024.0)
print("idle RSS with %s managed objects, %s: %s = %s pages of %d shared libraries + %s their "
      "relocated data + %s kairn heap/arenas/stacks + %s kairn binary and ld.so; peak %s; "
      "target < 15 MB [%s]" % (n, label, mb(kb("VmRSS")), mb(lib_file), len(libs), mb(lib_anon),
                               mb(own), mb(kb("VmRSS") - lib_file - lib_anon - own), mb(kb("VmHWM")), binary))
PY
}
second_sync_done() { [ "$(grep -c "sync bench" "$RUN_LOG_a")" -ge 2 ]; }

run_start a --dir "$RUN_DIR/app" --source bench --interval 10s
wait_for 120 curl -sf "http://127.0.0.1:$RUN_PORT_a/readyz" >/dev/null || { cat "$RUN_LOG_a"; exit 1; }
sleep "${IDLE_WAIT:-6}"
idle_rss "after the first sync (created them)"
wait_for 30 second_sync_done || { cat "$RUN_LOG_a"; exit 1; }
sleep 5
idle_rss "after a second sync (no changes)"
kill "$RUN_PID_a"
wait "$RUN_PID_a" 2>/dev/null || true

run_start b --dir "$RUN_DIR/app" --source bench --interval 30m
wait_for 120 curl -sf "http://127.0.0.1:$RUN_PORT_b/readyz" >/dev/null || { cat "$RUN_LOG_b"; exit 1; }

python3 - "$kubectl" "$KUBESIM_KUBECONFIG" "$KUBESIM_URL" "$PATCHES" <<'PY'
import json, subprocess, sys, time, urllib.request
kubectl, kubeconfig, url, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lat = []
for i in range(n):
    name = "cm%d" % (i % 20 + 1)
    subprocess.run([kubectl, "--kubeconfig", kubeconfig, "patch", "configmap", name, "-n", "default",
                    "--type", "merge", "-p", json.dumps({"data": {"k": "drift-%d" % i}})],
                   check=True, stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    while True:
        with urllib.request.urlopen("%s/api/v1/namespaces/default/configmaps/%s" % (url, name)) as r:
            if json.load(r)["data"]["k"] == "v1":
                break
        if time.monotonic() - t0 > 30:
            sys.exit("%s not restored within 30 s" % name)
        time.sleep(0.002)
    lat.append(time.monotonic() - t0)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print("self-heal latency over %d patches: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 1000 ms)"
      % (n, q(0.50), q(0.90), q(0.99), lat[-1] * 1000))
PY
corr=$(curl -sf "http://127.0.0.1:$RUN_PORT_b/metrics" | awk '/^kairn_drift_corrections_total/ {s += $2} END {print s+0}')
back=$(curl -sf "http://127.0.0.1:$RUN_PORT_b/metrics" | awk '/^kairn_drift_backoffs_total/ {s += $2} END {print s+0}')
echo "corrections counted: $corr, backoffs: $back"
