#!/usr/bin/env bash
# yaml_oracle.sh — kubectl is the oracle for kairn's YAML→JSON decoding, live:
# every file of the seed manifests (../shared/fixtures/seeds) and every case
# of the tricky-YAML corpora (tests/e2e/fixtures/yaml-corpus, 50+ cases, and
# the decoder trap files of tests/unit/fixtures/yaml) goes through
#   kubectl create --dry-run=client --validate=false -o json -f FILE
# against kubesim (started here, on 127.0.0.1; the seed CRDs are created in
# it first so that kubectl can map their kinds) and through
#   kairn render -o json --dir DIR   (DIR holding only FILE)
# and the objects must be equal, one by one, numbers compared as written
# (1000 is not 1000.0, 1e+21 is not 1e21).
#
# What is compared, and the deliberate differences:
#  - Both get the same namespace: kubectl the kubeconfig context's
#    ("default"), kairn render its default "default" — render adds exactly
#    what kubectl adds (metadata.namespace on namespaced objects), nothing is
#    stripped.
#  - kubectl prints one object or a "List" of them; kairn one object after
#    another. Lists are unwrapped on both sides (kind List in a file is
#    expanded by both).
#  - --validate=false: the corpus puts tricky values under free fields (a
#    ConfigMap "spec"); schema validation is the API server's job, not the
#    decoder's. Only metadata is type-checked client side, by both.
#  - A file that kubectl refuses must be refused by kairn too (exit 1, a
#    FILE:LINE message); the messages differ on purpose (kairn's name the
#    file line, kubectl's restart per document).
#  - A file with no object at all: kubectl exits 1 "no objects passed to
#    create", kairn render prints nothing and exits 0 (an empty directory is
#    a valid, empty desired state). Counted as agreement.
# Needs kubectl 1.33 (KUBECTL overrides); exits 77 (skip) when it is absent.
set -euo pipefail
: "${KAIRN_BIN:?}" "${KUBESIM_BIN:?}" "${KAIRN_SOURCE_DIR:?}" "${KAIRN_SHARED_DIR:?}"
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
kubectl_or_skip "the oracle"
kubesim_start --quiet
W=$KUBESIM_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
K=("$KUBECTL" --kubeconfig "$KUBESIM_KUBECONFIG" --cache-dir "$W/kcache")

seeds="$KAIRN_SHARED_DIR/fixtures/seeds"
[ -d "$seeds" ] || fail "no seed manifests at $seeds"
# The custom resources of the seeds need their CRDs served for kubectl's
# REST mapping.
"${K[@]}" create -f "$seeds/crds" >"$W/crds.log" 2>&1 || fail "creating the seed CRDs: $(cat "$W/crds.log")"

corpus="$KAIRN_SOURCE_DIR/tests/e2e/fixtures/yaml-corpus"
traps="$KAIRN_SOURCE_DIR/tests/unit/fixtures/yaml"
files=()
while IFS= read -r f; do files+=("$f"); done < <(
  { find "$seeds" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -not -path '*/.*';
    find "$corpus" "$traps" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \); } | sort)
ncorpus=$(find "$corpus" -maxdepth 1 -type f | wc -l)
[ "$ncorpus" -ge 40 ] || fail "the corpus has $ncorpus cases, want at least 40"

# Both decoders on every file, in two lanes (outputs in $W/r/INDEX.*), then
# one comparison pass (fixtures/yaml-oracle-compare.py).
mkdir -p "$W/r"
run_lane() {
  local lane=$1 idx f d
  for idx in "${!files[@]}"; do
    [ $((idx % 2)) -eq "$lane" ] || continue
    f=${files[$idx]}
    d="$W/one-$lane"
    rm -rf "$d" && mkdir "$d" && cp "$f" "$d/"
    printf '%s\n' "$f" >"$W/r/$idx.name"
    set +e
    "${K[@]}" create --dry-run=client --validate=false -o json -f "$d" >"$W/r/$idx.kout" 2>"$W/r/$idx.kerr"
    echo $? >"$W/r/$idx.krc"
    "$KAIRN_BIN" render -o json --dir "$d" >"$W/r/$idx.aout" 2>"$W/r/$idx.aerr"
    echo $? >"$W/r/$idx.arc"
    set -e
  done
}
run_lane 0 & lane0=$!
run_lane 1 & lane1=$!
wait "$lane0" || fail "lane 0 failed"
wait "$lane1" || fail "lane 1 failed"
read -r n refused bad < <(python3 "$KAIRN_SOURCE_DIR/tests/e2e/fixtures/yaml-oracle-compare.py" "$W/r")
[ "$n" -eq "${#files[@]}" ] || fail "compared $n files of ${#files[@]}"
echo "yaml_oracle: $n files ($ncorpus corpus cases), $refused refused by kubectl, $bad differ"
[ "$bad" -eq 0 ] || fail "$bad files decode differently from kubectl"
echo "yaml_oracle: ok"
