#!/usr/bin/env bash
# kube_check.sh — `kairn check` against kubesim over HTTPS with a bearer token:
# the right token passes; a wrong token fails with "Unauthorized"; a CA that
# did not sign the server's certificate fails with a TLS error; an exec
# credential plugin (client.authentication.k8s.io/v1) supplies the token.
# Injected 429 and 500 faults are retried and the check still passes.
# Every failure case must exit 1: a silent success is the bug this guards.
set -euo pipefail
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/kubesim.sh"

TOKEN=e2e-token-$$
kubesim_start --tls --token "$TOKEN"
W=$KUBESIM_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }

CA_DATA=$(sed -n 's/^ *certificate-authority-data: *//p' "$KUBESIM_KUBECONFIG" | head -n1 | tr -d '"')
[ -n "$CA_DATA" ] || fail "no certificate-authority-data in kubesim's kubeconfig"

# kubeconfig SERVER CA_DATA USER_YAML
write_kubeconfig() {
	cat <<YAML
apiVersion: v1
kind: Config
current-context: e2e
clusters:
- name: e2e
  cluster:
    server: $1
    certificate-authority-data: $2
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e, namespace: default}
users:
- name: e2e
  user:
$3
YAML
}

echo "== check with kubesim's own kubeconfig"
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" check >"$W/ok.out" 2>"$W/ok.err" ||
	{ cat "$W/ok.out" "$W/ok.err"; fail "kairn check failed against a healthy kubesim"; }
cat "$W/ok.out"
grep -q "^auth: *token" "$W/ok.out" || fail "auth method is not token"
grep -Eq "^resources: *[1-9][0-9]* resource types" "$W/ok.out" || fail "no resource types discovered"
grep -q "v1\." "$W/ok.out" || fail "no server version printed"

echo "== -o json"
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" check -o json >"$W/ok.json"
grep -Eq '"ok":[[:space:]]*true' "$W/ok.json" || { cat "$W/ok.json"; fail "-o json does not say ok"; }

echo "== wrong token"
write_kubeconfig "$KUBESIM_URL" "$CA_DATA" "    token: not-$TOKEN" >"$W/wrong.yaml"
rc=0
"$KAIRN_BIN" --kubeconfig "$W/wrong.yaml" check >"$W/wrong.out" 2>"$W/wrong.err" || rc=$?
cat "$W/wrong.err"
[ "$rc" = 1 ] || fail "wrong token: exit $rc, want 1"
grep -q "Unauthorized" "$W/wrong.err" || fail "wrong token: no \"Unauthorized\" in the error"
grep -q "not-$TOKEN" "$W/wrong.err" "$W/wrong.out" && fail "the token leaked into the output"

echo "== a CA that did not sign the server certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=not-kubesim \
	-days 1 -keyout "$W/bad.key" -out "$W/bad.crt" 2>/dev/null
write_kubeconfig "$KUBESIM_URL" "$(base64 -w0 "$W/bad.crt")" "    token: $TOKEN" >"$W/badca.yaml"
rc=0
"$KAIRN_BIN" --kubeconfig "$W/badca.yaml" check >"$W/badca.out" 2>"$W/badca.err" || rc=$?
cat "$W/badca.err"
[ "$rc" = 1 ] || fail "bad CA: exit $rc, want 1"
grep -q "TLS error" "$W/badca.err" || fail "bad CA: no TLS error reported"

echo "== exec credential plugin supplies the token"
cat >"$W/plugin.sh" <<PLUGIN
#!/bin/sh
echo run >>"$W/plugin.runs"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}\n' "$TOKEN"
PLUGIN
chmod +x "$W/plugin.sh"
write_kubeconfig "$KUBESIM_URL" "$CA_DATA" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      interactiveMode: Never" >"$W/exec.yaml"
"$KAIRN_BIN" --kubeconfig "$W/exec.yaml" check >"$W/exec.out" 2>"$W/exec.err" ||
	{ cat "$W/exec.out" "$W/exec.err"; fail "check with the exec plugin failed"; }
grep -q "^auth: *exec" "$W/exec.out" || fail "auth method is not exec"
[ "$(wc -l <"$W/plugin.runs")" = 1 ] || fail "the plugin ran $(wc -l <"$W/plugin.runs") times; its token should be cached"

echo "== injected 429 (Retry-After) and 500s are retried"
kubesim_curl /kubesim/faults -X POST -H 'Content-Type: application/json' -d \
	'{"faults":[{"type":"429","retryAfter":1,"count":1,"path":"/version"},
	            {"type":"500","count":2,"path":"/apis"}]}' >/dev/null
"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" check >"$W/faults.out" 2>"$W/faults.err" ||
	{ cat "$W/faults.out" "$W/faults.err"; fail "check did not survive injected 429/500"; }
kubesim_curl /kubesim/faults >"$W/faults.json"
grep -q '"hits":[[:space:]]*1' "$W/faults.json" || { cat "$W/faults.json"; fail "the 429 was not hit"; }
grep -q '"hits":[[:space:]]*2' "$W/faults.json" || { cat "$W/faults.json"; fail "the 500s were not hit"; }

echo "PASS"
