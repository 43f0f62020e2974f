#!/usr/bin/env bash
# Another writer keeps changing a managed ConfigMap (PUT every ~50 ms): kairn's
# corrections back off exponentially instead of fighting in a hot loop. The
# writer uses PUT (verb update), kairn server-side apply (verb patch), so
# kubesim's counters tell the two apart.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubesim_start
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kairn_run.sh"
fail() { echo "FAIL: $*" >&2; cat "$RUN_LOG_a" >&2; exit 1; }

make_namespace kairn-system
write_cms "$RUN_DIR/app" 1 v1
run_start a --dir "$RUN_DIR/app" --source demo --interval 10m
wait_for 5 cm_is default cm1 v1 || fail "not synced"
before=$(counter configmaps patch)

fight_s=20
end=$(($(date +%s) + fight_s))
writes=0
while [ "$(date +%s)" -lt $end ]; do
	kubesim_curl /api/v1/namespaces/default/configmaps/cm1 -X PUT -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm1\",\"namespace\":\"default\",\"labels\":{\"kairn.dev/source\":\"demo\"}},\"data\":{\"k\":\"other-$writes\"}}" >/dev/null
	writes=$((writes + 1))
	sleep 0.05
done
kairn_writes=$(($(counter configmaps patch) - before))
per_min=$((kairn_writes * 60 / fight_s))
echo "other writer: $writes writes in ${fight_s}s; kairn: $kairn_writes corrections (~$per_min/min)"
# immediate, then 1, 2, 4, 8 s apart: at most 6 in 20 s (a hot loop would be ~$writes)
[ "$kairn_writes" -ge 2 ] || fail "kairn stopped correcting ($kairn_writes writes)"
[ "$kairn_writes" -le 8 ] || fail "kairn wrote $kairn_writes times in ${fight_s}s: not backing off"
grep -q "backing off" "$RUN_LOG_a" || fail "no backoff log line"
m=$(curl -sf "http://127.0.0.1:$RUN_PORT_a/metrics")
grep -q '^kairn_drift_backoffs_total{source="demo"} [1-9]' <<<"$m" || fail "kairn_drift_backoffs_total not counted"

# the writer stops: kairn restores the object (backoff is at most 16 s now)
wait_for 40 cm_is default cm1 v1 || fail "not restored after the fight ended"
echo "PASS run_fight"
