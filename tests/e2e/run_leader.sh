#!/usr/bin/env bash
# Two `kairn run --leader-elect` processes on one cluster: exactly one holds
# the Lease and writes; after the leader is killed (no release), the other
# takes over and syncs within the lease duration.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; for l in "$RUN_DIR"/*.log; do echo "--- $l" >&2; cat "$l" >&2; done; exit 1; }
lease_holder() {
	kubesim_curl /apis/coordination.k8s.io/v1/namespaces/kairn-system/leases/kairn-leader |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("spec",{}).get("holderIdentity",""))'
}

make_namespace kairn-system
write_cms "$RUN_DIR/app" 2 v1
flags=(--dir "$RUN_DIR/app" --source demo --interval 1s --leader-elect --lease-duration 3s)
run_start a "${flags[@]}" --identity a
wait_for 5 cm_is default cm1 v1 || fail "a did not sync"
run_start b "${flags[@]}" --identity b
sleep 2.5
[ "$(lease_holder)" = a ] || fail "Lease holder is '$(lease_holder)', want a"
grep -q "became the leader" "$RUN_LOG_b" && fail "b became leader too"
curl -sf "http://127.0.0.1:$RUN_PORT_b/healthz" >/dev/null || fail "follower b is not healthy"
# a standby is ready (else a Deployment's rollout would wait for it forever)
curl -sf "http://127.0.0.1:$RUN_PORT_b/readyz" >/dev/null || fail "follower b is not ready as a standby"
grep -q '^kairn_leader 0' <(curl -sf "http://127.0.0.1:$RUN_PORT_b/metrics") || fail "b reports leader"
grep -q '^kairn_syncs_total' <(curl -sf "http://127.0.0.1:$RUN_PORT_b/metrics") && fail "follower b synced"

# The leader dies without releasing: b takes over once the Lease expires —
# at most the duration (3 s) after a's last renewal, +1 s because Lease times
# have second precision, + b's poll period (1 s) — and syncs at once.
kill -KILL "$RUN_PID_a"
write_cms "$RUN_DIR/app" 2 v2
t0=$(date +%s%N)
wait_for 8 cm_is default cm1 v2 || fail "b did not sync after the leader died"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "takeover + sync after leader death: $ms ms (lease duration 3000 ms)"
[ "$(lease_holder)" = b ] || fail "Lease holder is '$(lease_holder)', want b"
[ "$ms" -le 5500 ] || fail "takeover took $ms ms (bound: 3 s lease + 1 s precision + 1 s poll + 0.5 s)"

# SIGTERM releases the Lease
kill -TERM "$RUN_PID_b"
wait "$RUN_PID_b" || fail "b exited $?"
[ -z "$(lease_holder)" ] || fail "Lease still held by '$(lease_holder)' after SIGTERM"
echo "PASS run_leader"
