# kubesim.sh — source from an e2e test to run kubesim for the test's lifetime.
#
#   . "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
#   kubesim_start --tls --token s3cret    # any kubesim flags
#   "$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" check
#   kubesim_on_exit 'rm -f somefile'      # more cleanup, run at exit
#
# kubesim_start binds 127.0.0.1 on a free port (--listen 127.0.0.1:0), waits
# for its --port-file, and sets KUBESIM_PID, KUBESIM_PORT, KUBESIM_URL
# (http[s]://127.0.0.1:PORT), KUBESIM_KUBECONFIG (the kubeconfig it wrote) and
# KUBESIM_DIR (a temp dir removed at exit), KUBESIM_LOG (its output, set
# even when the start fails). An EXIT trap stops every kubesim
# this script started and runs the kubesim_on_exit commands, so a failing
# test leaves nothing behind. Call kubesim_start more than once for several
# servers; the variables describe the last one.
# kubesim_curl PATH [curl args]: curl against the last kubesim's /kubesim/ or
# API endpoints with its CA and token (for counters and faults).

: "${KUBESIM_BIN:?KUBESIM_BIN must point at the kubesim binary}"

_KS_PIDS=()
_KS_ON_EXIT=()
_KS_DIRS=()

_ks_cleanup() {
	local rc=$? pid cmd d
	for cmd in "${_KS_ON_EXIT[@]}"; do eval "$cmd" || true; done
	for pid in "${_KS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${_KS_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for d in "${_KS_DIRS[@]}"; do rm -rf "$d"; done
	exit "$rc"
}
trap _ks_cleanup EXIT
trap 'exit 130' INT TERM

# kubectl_or_skip [WHAT]: KUBECTL (default kubectl 1.33) must run, else the
# test is skipped (exit 77) saying so.
kubectl_or_skip() {
	KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
	if [ ! -x "$KUBECTL" ]; then
		echo "SKIP: $KUBECTL not installed${1:+ ($1)}" >&2
		exit 77
	fi
}

kubesim_on_exit() {
	_KS_ON_EXIT+=("$1")
}

kubesim_start() {
	local dir scheme=http a i
	dir=$(mktemp -d "${TMPDIR:-/tmp}/kubesim.XXXXXX")
	_KS_DIRS+=("$dir")
	for a in "$@"; do [ "$a" = --tls ] && scheme=https; done
	"$KUBESIM_BIN" --listen 127.0.0.1:0 --port-file "$dir/port" \
		--kubeconfig-out "$dir/kubeconfig" "$@" >"$dir/log" 2>&1 &
	KUBESIM_PID=$!
	KUBESIM_LOG="$dir/log"
	_KS_PIDS+=("$KUBESIM_PID")
	for i in $(seq 1 200); do
		if [ -s "$dir/port" ] && [ -s "$dir/kubeconfig" ]; then break; fi
		if ! kill -0 "$KUBESIM_PID" 2>/dev/null; then
			echo "kubesim exited early:" >&2
			cat "$dir/log" >&2
			return 1
		fi
		sleep 0.05
	done
	if [ ! -s "$dir/port" ]; then
		echo "kubesim did not write its port file within 10 s" >&2
		cat "$dir/log" >&2
		return 1
	fi
	KUBESIM_DIR=$dir
	KUBESIM_PORT=$(tr -d '[:space:]' <"$dir/port")
	KUBESIM_URL="$scheme://127.0.0.1:$KUBESIM_PORT"
	KUBESIM_KUBECONFIG="$dir/kubeconfig"
	KUBESIM_LOG="$dir/log"
	export KUBESIM_DIR KUBESIM_PORT KUBESIM_URL KUBESIM_KUBECONFIG KUBESIM_LOG KUBESIM_PID
}

# The token and CA of the last kubesim, from its kubeconfig.
_ks_field() {
	sed -n "s/^ *$1: *//p" "$KUBESIM_KUBECONFIG" | head -n 1 | tr -d '"'
}

kubesim_curl() {
	local path=$1 token ca args=()
	shift
	token=$(_ks_field token)
	ca=$(_ks_field certificate-authority-data)
	if [ -n "$ca" ]; then
		printf '%s' "$ca" | base64 -d >"$KUBESIM_DIR/ca.crt"
		args+=(--cacert "$KUBESIM_DIR/ca.crt")
	fi
	[ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
	curl -sS --max-time 10 "${args[@]}" "$@" "$KUBESIM_URL$path"
}
