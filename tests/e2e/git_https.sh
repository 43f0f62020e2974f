#!/usr/bin/env bash
# git_https.sh — kairn source fetch over HTTPS (git http-backend behind
# Debian's lighttpd with mod_openssl and Basic auth, certificates from a
# private CA): untrusted certificates are refused, --ca-file
# trusts the private CA, a certificate for another host name or from another
# CA is refused, and a wrong token fails with 401 in the message.
source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

TOKEN="tok-$RANDOM$RANDOM"
make_origin "$T/srv/app"
make_tls good "IP:127.0.0.1"
make_tls other "IP:127.0.0.1"
make_tls named "DNS:git.example.com"
printf '%s\n' "$TOKEN" > "$T/token"
echo "wrong" > "$T/wrong"
start_http_backend "$T/srv" x-access-token "$TOKEN" --tls-cert "$T/good.pem" --tls-key "$T/good.key"
URL="https://127.0.0.1:$HTTP_PORT/git/app.git"
AUTH=(--token-file "$T/token" --cache-dir "$T/cache" --timeout 30)

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main "${AUTH[@]}"
expect_fail "private CA not trusted by default" "TLS certificate of 127.0.0.1 is not trusted by the system CAs"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --ca-file "$T/good-ca.pem" "${AUTH[@]}"
expect_ok "https with --ca-file and token"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "wrong commit"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --ca-file "$T/other-ca.pem" "${AUTH[@]}"
expect_fail "certificate from another CA" "is not trusted by $T/other-ca.pem"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --ca-file "$T/good-ca.pem" --token-file "$T/wrong" --cache-dir "$T/cache"
expect_fail "wrong token over https" "fetch $URL: authentication failed (401"

push_commit "$T/srv/app" "replicas: 4"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --ca-file "$T/good-ca.pem" "${AUTH[@]}"
expect_ok "fetch after push over https"
grep -q "replicas: 4" "$(path_of)/app.yaml" || fail "checkout not updated"

# Through an HTTP proxy from the environment (CONNECT; TLS still verified
# end to end against the private CA), as git does.
python3 "$KAIRN_SOURCE_DIR/tests/e2e/lib/connect_proxy.py" "$T/proxy.port" "$T/proxy.log" >"$T/proxy.out" 2>&1 &
GIT_SERVER_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
push_commit "$T/srv/app" "replicas: 5"
HTTPS_PROXY="http://127.0.0.1:$(cat "$T/proxy.port")" \
	kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --ca-file "$T/good-ca.pem" "${AUTH[@]}"
expect_ok "fetch through HTTPS_PROXY"
grep -q "^CONNECT 127.0.0.1:$HTTP_PORT\$" "$T/proxy.log" || fail "the fetch did not go through the proxy: $(cat "$T/proxy.log" 2>/dev/null)"
grep -q "replicas: 5" "$(path_of)/app.yaml" || fail "checkout through the proxy not updated"

kill "${GIT_SERVER_PIDS[-1]}"; wait "${GIT_SERVER_PIDS[-1]}" 2>/dev/null || true
kill "${GIT_SERVER_PIDS[-2]}"; wait "${GIT_SERVER_PIDS[-2]}" 2>/dev/null || true
start_http_backend "$T/srv" x-access-token "$TOKEN" --tls-cert "$T/named.pem" --tls-key "$T/named.key"
URL="https://127.0.0.1:$HTTP_PORT/git/app.git"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --ca-file "$T/named-ca.pem" "${AUTH[@]}"
expect_fail "certificate for another host name" "TLS certificate of 127.0.0.1 does not name that host"
