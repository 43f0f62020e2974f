#!/usr/bin/env bash
# git_daemon.sh — kairn source fetch over git:// from a real `git daemon`:
# clone, branch/tag/SHA resolution, a pushed commit is picked up by the next
# fetch with the cache reused, a bad ref and a missing repository fail clearly.
source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

make_origin "$T/srv/app"
start_git_daemon "$T/srv"
URL="git://127.0.0.1:$GIT_DAEMON_PORT/app.git"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "clone over git://"
first=$(commit_of)
[ "$first" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "wrong commit $first"
grep -q "replicas: 1" "$(path_of)/app.yaml" || fail "checkout lacks deploy/app.yaml"

push_commit "$T/srv/app" "replicas: 2"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "fetch after push"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "new commit not picked up"
[ "$(commit_of)" != "$first" ] || fail "commit did not change"
grep -q "replicas: 2" "$(path_of)/app.yaml" || fail "checkout not updated"
[ "$(ls "$T/cache" | wc -l)" -eq 1 ] || fail "cache not reused: $(ls "$T/cache")"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref v1 --cache-dir "$T/cache"
expect_ok "tag v1"
[ "$(commit_of)" = "$first" ] || fail "v1 resolved to $(commit_of)"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref "${first:0:10}" --cache-dir "$T/cache"
expect_ok "short sha"
[ "$(commit_of)" = "$first" ] || fail "short sha resolved to $(commit_of)"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref v9 --cache-dir "$T/cache"
expect_fail "bad ref" "ref 'v9' not found in $URL"

kairn_fetch "$T/out" "$T/err" --repo "git://127.0.0.1:$GIT_DAEMON_PORT/absent.git" --cache-dir "$T/cache"
expect_fail "missing repository" "fetch git://127.0.0.1:$GIT_DAEMON_PORT/absent.git"
