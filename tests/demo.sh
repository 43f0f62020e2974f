#!/usr/bin/env bash
# demo.sh — the README's main job. Builds kairn, starts a local in-memory
# Kubernetes API server (kubesim, HTTPS + token), puts the seed manifests in a
# local Git repository and shows kairn doing its four jobs on them:
#   1. GitOps sync of every seed system (CRDs, 500 cell StatefulSets, a
#      pre-upgrade migration hook), then a second sync that writes nothing;
#   2. drift: a hand-made `kubectl scale` is reported by `kairn diff` and undone;
#   3. prune: a manifest removed from Git is deleted from the cluster;
#   4. self-heal: the agent (`kairn run`) undoes a hand edit within a second;
#   5. backup to a directory, disaster, restore from the backup.
# Everything it starts, it stops; everything it creates lives in one temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SEEDS=${KAIRN_SEEDS:-$ROOT/../shared/fixtures/seeds}

bash tests/tools/install-deps.sh

echo "==> build (release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAIRN_SANITIZE=OFF -DKAIRN_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
export KAIRN_BIN=$ROOT/build/kairn KUBESIM_BIN=$ROOT/build/tests/kubesim/kubesim
KAIRN=$KAIRN_BIN
KUBECTL=${KUBECTL:-}
for v in 1.33 1.32 1.31 1.30 1.29 1.28 1.27; do
  if [ -z "$KUBECTL" ] && [ -x /usr/lib/google-cloud-sdk/bin/kubectl.$v ]; then
    KUBECTL=/usr/lib/google-cloud-sdk/bin/kubectl.$v
  fi
done

[ -d "$SEEDS" ] || { echo "demo: seed manifests not found at $SEEDS (set KAIRN_SEEDS)" >&2; exit 1; }

. tests/e2e/lib/kubesim.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kairn-demo.XXXXXX")
kubesim_on_exit "rm -rf '$WORK'"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
counters() { kubesim_curl /kubesim/counters; }
writes() {
  counters | python3 -c 'import json,sys; c=json.load(sys.stdin); print(sum(v for k,v in c.get("verbs",{}).items() if k in ("create","update","patch","delete")))'
}

step "start kubesim (in-memory Kubernetes API over HTTPS with a bearer token)"
kubesim_start --tls --token "demo-$RANDOM$RANDOM" --job-duration-ms 300
export KUBECONFIG=$KUBESIM_KUBECONFIG
echo "API server at $KUBESIM_URL, kubeconfig $KUBECONFIG"
"$KAIRN" check

step "put the seed manifests in a Git repository (500 commerce cells generated)"
REPO=$WORK/repo
mkdir -p "$REPO"
cp -r "$SEEDS"/crds "$SEEDS"/titan-gateway "$SEEDS"/titan-commerce "$SEEDS"/omnitron-platform \
      "$SEEDS"/triage-warden "$SEEDS"/detection-api "$REPO"/
chmod -R u+w "$REPO"
sh "$REPO"/titan-commerce/generate-cells.sh >/dev/null
rm -f "$REPO"/titan-commerce/cells/.gitignore
git -C "$REPO" init -q -b main
git -C "$REPO" -c user.email=demo@kairn.dev -c user.name=demo add -A
git -C "$REPO" -c user.email=demo@kairn.dev -c user.name=demo commit -q -m "seed manifests"
echo "$(find "$REPO" -name '*.yaml' | wc -l) manifest files in $REPO"
SRC=(--repo "file://$REPO" --ref main --recurse --source seeds --cache-dir "$WORK/cache")

step "kairn sync --once: first sync of everything"
time "$KAIRN" sync --once "${SRC[@]}" | tail -n 5

step "second sync: nothing changed, so nothing is written"
before=$(writes)
"$KAIRN" sync --once "${SRC[@]}" | tail -n 1
after=$(writes)
echo "write requests during the second sync: $((after - before))"

if [ -n "$KUBECTL" ]; then
  step "drift: someone scales a Deployment by hand"
  "$KUBECTL" -n platform scale deployment/webapp --replicas=7
  set +e
  "$KAIRN" diff "${SRC[@]}"
  rc=$?
  set -e
  echo "kairn diff exit code: $rc (3 = differences)"
  "$KAIRN" sync --once "${SRC[@]}" | grep -E 'update|objects' || true
  echo "webapp replicas now: $("$KUBECTL" -n platform get deployment/webapp -o jsonpath='{.spec.replicas}')"
fi

step "prune: remove the detection-api Service from Git"
git -C "$REPO" rm -q detection-api/service-detection-api-service.yaml
git -C "$REPO" -c user.email=demo@kairn.dev -c user.name=demo commit -q -m "drop the detection-api service"
"$KAIRN" sync --once "${SRC[@]}" | grep -E 'prune|objects' || true

if [ -n "$KUBECTL" ]; then
  step "self-heal: the agent (kairn run) watches what it manages and undoes drift at once"
  . tests/e2e/lib/kairn_run.sh
  run_start agent "${SRC[@]}" --interval 1h
  wait_for 30 curl -sf "http://127.0.0.1:$RUN_PORT_agent/readyz" -o /dev/null ||
    { cat "$RUN_LOG_agent"; echo "demo: kairn run did not become ready" >&2; exit 1; }
  echo "kairn run is ready (first sync done); scaling webapp to 9 by hand"
  t0=$(date +%s%N)
  "$KUBECTL" -n platform scale deployment/webapp --replicas=9
  replicas() { "$KUBECTL" -n platform get deployment/webapp -o jsonpath='{.spec.replicas}'; }
  replicas_are() { [ "$(replicas)" = "$1" ]; }
  wait_for 10 replicas_are 2 || { tail -n 20 "$RUN_LOG_agent"; echo "demo: drift was not corrected" >&2; exit 1; }
  echo "webapp replicas back to $(replicas) after $((($(date +%s%N) - t0) / 1000000)) ms (kubectl's own round trips included)"
  grep -E "drifted|restored" "$RUN_LOG_agent" | tail -n 2 || true
  kill -TERM "$RUN_PID_agent"
  wait "$RUN_PID_agent" && echo "kairn run stopped cleanly on SIGTERM"
fi

step "backup: snapshot the cluster into a Velero-format archive"
"$KAIRN" backup create demo --storage-location "file://$WORK/backups" --ttl 24h
"$KAIRN" backup list --storage-location "file://$WORK/backups"

step "disaster: the platform and detection namespaces are deleted"
if [ -n "$KUBECTL" ]; then
  "$KUBECTL" delete namespace platform detection --wait=true
fi

step "restore from the backup (verified before the first write)"
"$KAIRN" restore --from-backup demo --storage-location "file://$WORK/backups" \
  --include-namespaces platform,detection
if [ -n "$KUBECTL" ]; then
  "$KUBECTL" -n platform get deployments
fi

step "done: kubesim stops and the temp dir is removed"
