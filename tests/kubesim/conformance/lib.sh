# lib.sh — shared by the kubesim conformance scripts: start a kubesim over
# HTTPS with a token on a free port, stop it on exit, and a TAP-like `step`.
# Needs KUBESIM_BIN. Sets KS_DIR, KS_KUBECONFIG, KS_PORT, KS_URL.
set -u
KS_DIR=$(mktemp -d)
KS_TOKEN=conformance-token
ks_start() {
	"$KUBESIM_BIN" --listen 127.0.0.1:0 --port-file "$KS_DIR/port" --kubeconfig-out "$KS_DIR/kubeconfig" \
		--tls --token "$KS_TOKEN" --job-duration-ms 200 --quiet "$@" 2>"$KS_DIR/kubesim.log" &
	KS_PID=$!
	for _ in $(seq 100); do [ -s "$KS_DIR/port" ] && break; sleep 0.05; done
	[ -s "$KS_DIR/port" ] || { echo "kubesim did not start"; cat "$KS_DIR/kubesim.log"; exit 1; }
	KS_PORT=$(cat "$KS_DIR/port")
	KS_KUBECONFIG=$KS_DIR/kubeconfig
	KS_URL=https://127.0.0.1:$KS_PORT
}
ks_stop() {
	[ -n "${KS_PID:-}" ] && kill "$KS_PID" 2>/dev/null && wait "$KS_PID" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$KS_DIR"
}
trap ks_stop EXIT
STEP=0
PASSED=0
# step "description" command... : runs the command, prints ok/not ok; exits 1 at the first failure.
step() {
	local desc=$1; shift
	STEP=$((STEP + 1))
	local out
	if out=$("$@" 2>&1); then
		echo "ok $STEP - $desc"
		PASSED=$((PASSED + 1))
	else
		echo "not ok $STEP - $desc"
		echo "$out" | sed 's/^/#   /'
		echo "$PASSED passed, 1 failed"
		exit 1
	fi
}
# curl against kubesim's test endpoints (no token needed there).
ks_curl() { curl -sk "$KS_URL$@"; }
# expect_out PATTERN cmd... : cmd must succeed and print PATTERN.
expect_out() {
	local pat=$1; shift
	local out
	out=$("$@" 2>&1) || { echo "failed: $out"; return 1; }
	echo "$out" | grep -q -- "$pat" || { echo "missing '$pat' in: $out"; return 1; }
}
# expect_fail PATTERN cmd... : cmd must fail and print PATTERN.
expect_fail() {
	local pat=$1; shift
	local out
	if out=$("$@" 2>&1); then echo "unexpected success: $out"; return 1; fi
	echo "$out" | grep -q -- "$pat" || { echo "missing '$pat' in: $out"; return 1; }
}
