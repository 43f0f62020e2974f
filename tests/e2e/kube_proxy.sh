#!/usr/bin/env bash
# kube_proxy.sh — kairn reaches the API server through an HTTP proxy the way
# kubectl (client-go) does:
#   1. a kubeconfig cluster's proxy-url is used (CONNECT through the proxy);
#   2. HTTPS_PROXY from the environment is used for a server that is not on
#      loopback, and NO_PROXY exempts it;
#   3. a loopback server is never proxied, whatever the environment says
#      (Go's rule; kubesim and port-forwards live there).
# The proxy is a small CONNECT tunnel (python3) on 127.0.0.1 that logs each
# target and resolves the made-up name kubesim.test to 127.0.0.1, so a
# request that bypassed it cannot reach kubesim at all.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

TOKEN=proxy-$RANDOM
kubesim_start --tls --token "$TOKEN"
W=$KUBESIM_DIR
CA_DATA=$(sed -n 's/^ *certificate-authority-data: *//p' "$KUBESIM_KUBECONFIG" | head -n1 | tr -d '"')

python3 "$KAIRN_SOURCE_DIR/tests/e2e/lib/connect_proxy.py" "$W/proxy.port" "$W/proxy.log" >"$W/proxy.out" 2>&1 &
PROXY_PID=$!
kubesim_on_exit "kill $PROXY_PID 2>/dev/null"
for _ in $(seq 1 100); do [ -s "$W/proxy.port" ] && break; sleep 0.05; done
[ -s "$W/proxy.port" ] || { cat "$W/proxy.out"; fail "the proxy did not start"; }
PROXY=http://127.0.0.1:$(cat "$W/proxy.port")
: >"$W/proxy.log"

# kubeconfig SERVER CLUSTER_EXTRA
kubeconfig() {
	cat <<YAML
apiVersion: v1
kind: Config
current-context: p
clusters:
- name: p
  cluster:
    server: $1
$2
contexts:
- name: p
  context: {cluster: p, user: p}
users:
- name: p
  user: {token: $TOKEN}
YAML
}
check() { "$KAIRN_BIN" --kubeconfig "$1" check >"$W/out" 2>"$W/err"; }
proxied() { grep -c "^CONNECT $1\$" "$W/proxy.log" || true; }

echo "== 1. proxy-url in the kubeconfig"
kubeconfig "https://127.0.0.1:$KUBESIM_PORT" "    certificate-authority-data: $CA_DATA
    proxy-url: $PROXY" >"$W/kc-proxy-url"
check "$W/kc-proxy-url" || { cat "$W/err"; fail "check through proxy-url failed"; }
[ "$(proxied "127.0.0.1:$KUBESIM_PORT")" -ge 1 ] || { cat "$W/proxy.log"; fail "proxy-url was not used"; }

echo "== 2. HTTPS_PROXY from the environment, and NO_PROXY"
# kubesim.test resolves only inside the proxy: reaching kubesim proves the
# proxy carried the request. (kubesim's certificate does not name
# kubesim.test, so this kubeconfig skips verification; case 1 verifies.)
kubeconfig "https://kubesim.test:$KUBESIM_PORT" "    insecure-skip-tls-verify: true" >"$W/kc-env"
HTTPS_PROXY=$PROXY check "$W/kc-env" || { cat "$W/err"; fail "check through HTTPS_PROXY failed"; }
[ "$(proxied "kubesim.test:$KUBESIM_PORT")" -ge 1 ] || { cat "$W/proxy.log"; fail "HTTPS_PROXY was not used"; }
before=$(wc -l <"$W/proxy.log")
if HTTPS_PROXY=$PROXY NO_PROXY=kubesim.test check "$W/kc-env"; then
	fail "with NO_PROXY=kubesim.test the check reached a host only the proxy knows"
fi
[ "$(wc -l <"$W/proxy.log")" = "$before" ] || fail "NO_PROXY was not honoured"

echo "== 3. a loopback server is never proxied"
before=$(wc -l <"$W/proxy.log")
HTTPS_PROXY=$PROXY check "$KUBESIM_KUBECONFIG" || { cat "$W/err"; fail "check of loopback kubesim failed with HTTPS_PROXY set"; }
[ "$(wc -l <"$W/proxy.log")" = "$before" ] || { cat "$W/proxy.log"; fail "a loopback server went through the proxy"; }
echo "PASS"
