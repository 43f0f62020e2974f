#!/usr/bin/env bash
# kube_http2.sh — kairn speaks HTTP/2 to an API server that offers it over TLS
# (ALPN h2), as client-go does. kubesim (libmicrohttpd) speaks HTTP/1.1 only,
# so Debian's lighttpd terminates TLS in front of it with h2 enabled and
# proxies to kubesim; lighttpd's access log records the protocol of every
# request. `kairn check` and a sync through the proxy must succeed with every
# request on HTTP/2.0, and the same log must show HTTP/1.1 for a client that
# asks for it (so the assertion can fail).
# Skips (77) when lighttpd or its TLS module is not installed; CI installs them
# (tests/tools/install-deps.sh --test).
set -euo pipefail
command -v lighttpd >/dev/null && [ -e /usr/lib/lighttpd/mod_openssl.so ] ||
	{ echo "SKIP: lighttpd with mod_openssl is not installed"; exit 77; }
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"

fail() { echo "FAIL: $*" >&2; exit 1; }

kubesim_start # plain HTTP on loopback: lighttpd is the TLS front
W=$KUBESIM_DIR

# A throwaway CA and a certificate for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=h2-e2e-ca \
	-days 1 -keyout "$W/h2-ca.key" -out "$W/h2-ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$W/srv.key" -out "$W/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$W/ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/h2-ca.crt" -CAkey "$W/h2-ca.key" -CAcreateserial \
	-days 1 -extfile "$W/ext" -out "$W/srv.crt" 2>/dev/null
cat "$W/srv.crt" "$W/srv.key" >"$W/srv.pem"

# lighttpd cannot bind port 0 and report it: try free ports until one holds.
start_lighttpd() {
	local port i
	for i in 1 2 3 4 5; do
		port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat >"$W/lighttpd.conf" <<CONF
server.modules = ("mod_openssl", "mod_proxy", "mod_accesslog")
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$W"
server.errorlog = "$W/lighttpd-error.log"
accesslog.filename = "$W/access.log"
accesslog.format = "%r %>s"
ssl.engine = "enable"
ssl.pemfile = "$W/srv.pem"
server.feature-flags = ("server.h2proto" => "enable")
server.stream-response-body = 2
proxy.server = ("" => (("host" => "127.0.0.1", "port" => $KUBESIM_PORT)))
CONF
		lighttpd -D -f "$W/lighttpd.conf" 2>>"$W/lighttpd-error.log" &
		LIGHTTPD_PID=$!
		kubesim_on_exit "kill $LIGHTTPD_PID 2>/dev/null; wait $LIGHTTPD_PID 2>/dev/null"
		for _ in $(seq 1 50); do
			if curl -s -o /dev/null --cacert "$W/h2-ca.crt" "https://127.0.0.1:$port/healthz?probe=start"; then
				PROXY_URL="https://127.0.0.1:$port"
				return 0
			fi
			kill -0 "$LIGHTTPD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$LIGHTTPD_PID" 2>/dev/null || true
	done
	cat "$W/lighttpd-error.log" >&2
	fail "lighttpd did not start"
}
start_lighttpd

cat >"$W/kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: h2
clusters:
- name: h2
  cluster: {server: "$PROXY_URL", certificate-authority: "$W/h2-ca.crt"}
contexts:
- name: h2
  context: {cluster: h2, user: h2, namespace: default}
users:
- name: h2
  user: {token: h2-e2e-token}
YAML

# A client that asks for HTTP/1.1, so the log is shown to tell them apart.
curl -s -o /dev/null --http1.1 --cacert "$W/h2-ca.crt" "$PROXY_URL/version?probe=h1"

echo "== kairn check and a sync through the HTTP/2 front"
"$KAIRN_BIN" --kubeconfig "$W/kubeconfig" check || fail "kairn check through lighttpd failed"
mkdir -p "$W/manifests"
for i in 1 2 3; do
	cat >"$W/manifests/cm-$i.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: h2-$i, namespace: default}
data: {count: "$i"}
YAML
done
"$KAIRN_BIN" --kubeconfig "$W/kubeconfig" sync --once --dir "$W/manifests" --source h2 ||
	fail "sync through lighttpd failed"
"$KAIRN_BIN" --kubeconfig "$W/kubeconfig" diff --dir "$W/manifests" --source h2 ||
	fail "diff after the sync found differences (exit $?)"
# lighttpd buffers its access log; stopping it flushes it.
kill "$LIGHTTPD_PID"
wait "$LIGHTTPD_PID" 2>/dev/null || true
grep -q '^GET /version?probe=h1 HTTP/1.1 200' "$W/access.log" ||
	{ cat "$W/access.log"; fail "lighttpd did not log an HTTP/1.1 request as such"; }

kairn_lines=$(grep -v -e '^PRI ' -e "probe=" "$W/access.log" || true)
[ -n "$kairn_lines" ] || fail "no requests from kairn in the access log"
echo "$kairn_lines" | awk '{print $1, $3}' | sort | uniq -c
if echo "$kairn_lines" | grep -v ' HTTP/2.0 '; then
	fail "kairn sent the requests above over something other than HTTP/2"
fi
echo "$kairn_lines" | grep -q '^PATCH .* HTTP/2.0 20[01]' || fail "no server-side apply over HTTP/2"
kubesim_curl /api/v1/namespaces/default/configmaps/h2-3 >"$W/cm.json" || true
grep -q "\"count\": *\"3\"" "$W/cm.json" || { cat "$W/cm.json"; fail "the object applied through the proxy is not in kubesim"; }
echo "PASS"

