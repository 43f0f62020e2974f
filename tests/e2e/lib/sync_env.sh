# sync_env.sh — what the sync e2e tests share: a real Git repository built
# from the seed fixtures, kubesim (through tests/e2e/lib/kubesim.sh), kubectl
# and kairn pointed at it, and kubesim's request counters.
#
#   . "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"
#   sync_env_init                 # temp dir $T, kubesim started, $KCTL set
#   seed_repo_build               # $REPO (worktree), $REPO_URL (file://)
#   kairn_sync [flags]            # kairn sync --once against $REPO_URL; sets $RC,
#                                 # stdout in $T/out, stderr in $T/err
#   repo_commit "message"         # git add -A && commit in $REPO
#   counters_snapshot; ...; writes_since  # write requests since the snapshot
#
# Never touches the shared seeds: everything is copied into $T first.
# Env: KAIRN_BIN, KUBESIM_BIN, KAIRN_SOURCE_DIR, KAIRN_SHARED_DIR.
set -euo pipefail
: "${KAIRN_BIN:?}" "${KUBESIM_BIN:?}" "${KAIRN_SOURCE_DIR:?}" "${KAIRN_SHARED_DIR:?}"

SEEDS="$KAIRN_SHARED_DIR/fixtures/seeds"
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*" >&2; }

# kubectl 1.33 (the Cloud SDK ships several versions side by side).
find_kubectl() {
	local k
	for k in "${KUBECTL:-}" kubectl.1.33 /usr/lib/google-cloud-sdk/bin/kubectl.1.33 kubectl; do
		[ -n "$k" ] || continue
		if command -v "$k" >/dev/null 2>&1; then
			command -v "$k"
			return 0
		fi
	done
	return 1
}

# sync_env_init [kubesim flags]: temp dir, kubesim, kubectl.
sync_env_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/kairn-sync.XXXXXX")
	kubesim_on_exit "rm -rf '$T'"
	kubesim_start "$@"
	KCTL_BIN=$(find_kubectl) || fail "kubectl not found"
	export T KCTL_BIN
}

kctl() {
	"$KCTL_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" "$@"
}

# seed_repo_build [DIR]: the seeds (crds/ and the five systems, 500 cells
# generated) as one commit in a fresh Git repository.
seed_repo_build() {
	REPO=${1:-$T/repo}
	mkdir -p "$REPO"
	local d
	for d in crds detection-api omnitron-platform titan-commerce titan-gateway triage-warden; do
		[ -d "$SEEDS/$d" ] || fail "seed folder $SEEDS/$d missing"
		cp -R "$SEEDS/$d" "$REPO/$d"
	done
	chmod -R u+w "$REPO"
	# Generate the cells in the copy, and commit them (the seed's .gitignore
	# keeps them out of the seed repository, not out of ours).
	sh "$REPO/titan-commerce/generate-cells.sh" >/dev/null
	rm -f "$REPO/titan-commerce/cells/.gitignore" "$REPO/titan-commerce/generate-cells.sh"
	[ -f "$REPO/titan-commerce/cells/cell-500.yaml" ] || fail "cells not generated"
	git -C "$REPO" init -q -b main
	git -C "$REPO" config user.email e2e@kairn.test
	git -C "$REPO" config user.name "kairn e2e"
	git -C "$REPO" add -A
	git -C "$REPO" commit -q -m "seeds"
	REPO_URL="file://$REPO"
	export REPO REPO_URL
}

repo_commit() {
	git -C "$REPO" add -A
	git -C "$REPO" commit -q --allow-empty -m "$1"
}

# kairn_sync [extra flags]: one `kairn sync --once` of the repo; never fails
# the script by itself: the exit code is in $RC.
KAIRN_SOURCE_NAME=${KAIRN_SOURCE_NAME:-seeds}
kairn_cmd() {
	local cmd=$1
	shift
	set +e
	"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" "$cmd" \
		--repo "$REPO_URL" --recurse --source "$KAIRN_SOURCE_NAME" --cache-dir "$T/cache" \
		"$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
}
kairn_sync() { kairn_cmd sync --once "$@"; }
kairn_diff() { kairn_cmd diff "$@"; }

expect_rc() {
	local want=$1 what=$2
	if [ "$RC" != "$want" ]; then
		echo "stdout:" >&2; tail -n 40 "$T/out" >&2
		echo "stderr:" >&2; tail -n 40 "$T/err" >&2
		fail "$what: exit $RC, want $want"
	fi
}

# ---- kubesim counters -------------------------------------------------------
# GET /kubesim/counters: {"requests":N,"writes":N,"verbs":{...},
# "resources":{"deployments":{"patch":N,...},...}}. Read with python3 (jq may
# not be installed).

# counter [VERB [RESOURCE]]: total writes, or requests of VERB (on RESOURCE).
counter() {
	kubesim_curl /kubesim/counters | python3 -c '
import json, sys
c = json.load(sys.stdin)
a = sys.argv[1:]
if not a:
    print(c["writes"])
elif len(a) == 1:
    print(c["verbs"].get(a[0], 0))
else:
    print(c["resources"].get(a[1], {}).get(a[0], 0))
' "$@"
}

counters_reset() {
	kubesim_curl /kubesim/counters -X DELETE >/dev/null
}

# writes_by_resource: "resource verb count" lines for every write counted.
writes_by_resource() {
	kubesim_curl /kubesim/counters | python3 -c '
import json, sys
c = json.load(sys.stdin)
for r, verbs in sorted(c["resources"].items()):
    for v, n in sorted(verbs.items()):
        if v in ("create", "update", "patch", "delete", "deletecollection") and n:
            print(r, v, n)
'
}
