#!/usr/bin/env bash
# git_http.sh — kairn source fetch over HTTP from `git http-backend` (CGI)
# behind Debian's lighttpd demanding Basic credentials (mod_auth): a token
# (user x-access-token, GitHub style), user/password, wrong and missing
# credentials fail with 401 in the message and no secret in any output, a
# missing repository is "repository not found", a pushed commit is picked
# up, and `kairn render --repo` works through the same server. Exits 77
# when lighttpd is not installed (tests/tools/install-deps.sh --test).
source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

TOKEN="tok-$RANDOM$RANDOM"
make_origin "$T/srv/app"
start_http_backend "$T/srv" x-access-token "$TOKEN"
URL="http://127.0.0.1:$HTTP_PORT/git/app.git"
printf '%s\n' "$TOKEN" > "$T/token"
echo "not-the-token" > "$T/wrong"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --token-file "$T/token" --cache-dir "$T/cache"
expect_ok "token as password"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "wrong commit"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --token-file "$T/wrong" --cache-dir "$T/cache"
expect_fail "wrong token" "fetch $URL: authentication failed (401"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --cache-dir "$T/cache"
expect_fail "no credentials" "authentication required (401)"

kairn_fetch "$T/out" "$T/err" --repo "${URL%/app.git}/absent.git" --token-file "$T/token" --cache-dir "$T/cache"
expect_fail "missing repository over http" "fetch ${URL%/app.git}/absent.git: repository not found (.*404"

push_commit "$T/srv/app" "replicas: 5"
KAIRN_GIT_TOKEN="$TOKEN" kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "token from environment, new commit"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "new commit not picked up"
grep -q "replicas: 5" "$(path_of)/app.yaml" || fail "checkout not updated"

grep -rq -- "$TOKEN" "$T/out" "$T/err" "$T/cache"/*/repo.git/config && fail "token leaked"
pass "token never printed nor stored"

# Basic user/password against a server that checks the user too.
kill "${GIT_SERVER_PIDS[-1]}"; wait "${GIT_SERVER_PIDS[-1]}" 2>/dev/null || true
start_http_backend "$T/srv" alice "pw-$TOKEN"
URL="http://127.0.0.1:$HTTP_PORT/git/app.git"
printf 'pw-%s' "$TOKEN" > "$T/pw"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --username alice --password-file "$T/pw" --cache-dir "$T/cache"
expect_ok "basic user/password"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --username bob --password-file "$T/pw" --cache-dir "$T/cache"
expect_fail "basic wrong user" "authentication failed (401"

# kairn render from the same server: the commit is named, errors name files
# by their path in the repository (deploy/app.yaml is not a manifest).
set +e
"$KAIRN_BIN" render --repo "$URL" --username alice --password-file "$T/pw" --path deploy \
  --cache-dir "$T/cache" >"$T/out" 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "render of a non-manifest: exit $rc: $(cat "$T/err")"
grep -q "^kairn render: commit $(git -C "$T/srv/app" rev-parse main) replicas: 5 (kairn-test <t@example.com>)" "$T/err" ||
  fail "render does not name the commit: $(cat "$T/err")"
grep -q "^error: deploy/app.yaml:1:1: apiVersion: required" "$T/err" || fail "render error not repository-relative: $(cat "$T/err")"
pass "render --repo over http names the commit and repository paths"
