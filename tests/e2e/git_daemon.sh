#!/usr/bin/env bash
# git_daemon.sh — kairn source fetch over git:// from a real `git daemon`:
# clone, branch/tag/full and short SHA resolution, a pushed commit is picked
# up by the next fetch with the cache reused, a force-pushed (rewritten)
# branch is followed and leaves a sound cache, a branch deleted upstream is
# gone, a bad ref, a missing repository and a closed port fail clearly.
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

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref "$first" --path deploy --cache-dir "$T/cache"
expect_ok "full sha"
[ "$(commit_of)" = "$first" ] || fail "full sha resolved to $(commit_of)"
grep -q "replicas: 1" "$(path_of)/app.yaml" || fail "full sha checkout has the wrong tree"
grep -q "^author   kairn-test <t@example.com>" "$T/out" || fail "no author: $(cat "$T/out")"

# Force-push: history rewritten (the last commit replaced by another one
# whose parent is the first), the branch moves backwards and sideways.
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "fetch before force-push"
before=$(commit_of)
git -C "$T/srv/app" reset -q --hard "$first"
mkdir -p "$T/srv/app/deploy/extra"
echo "replicas: 9" > "$T/srv/app/deploy/app.yaml"
echo "kind: rewritten" > "$T/srv/app/deploy/extra/new.yaml"
git -C "$T/srv/app" add -A && git -C "$T/srv/app" commit -qm "rewritten history"
git -C "$T/srv/app" push -q --force "$T/srv/app.git" main
rewritten=$(git -C "$T/srv/app" rev-parse main)
git -C "$T/srv/app.git" merge-base --is-ancestor "$before" main && fail "test setup: not a rewrite"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "fetch after force-push"
[ "$(commit_of)" = "$rewritten" ] || fail "force-pushed commit not taken: $(commit_of), want $rewritten"
grep -q "replicas: 9" "$(path_of)/app.yaml" || fail "checkout after force-push has the old tree"
grep -q "kind: rewritten" "$(path_of)/extra/new.yaml" || fail "new objects of the rewritten commit missing"
cache_repo=$(ls -d "$T"/cache/*/repo.git)
[ "$(git -C "$cache_repo" rev-parse refs/heads/main)" = "$rewritten" ] || fail "cache branch not moved"
git -C "$cache_repo" fsck --no-dangling >"$T/fsck" 2>&1 || fail "cache broken after force-push: $(cat "$T/fsck")"
pass "cache sound after force-push (git fsck)"
push_commit "$T/srv/app" "replicas: 10"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy --cache-dir "$T/cache"
expect_ok "incremental fetch on top of the rewritten history"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "commit after rewrite not picked up"
grep -q "replicas: 10" "$(path_of)/app.yaml" || fail "checkout not updated after rewrite"

# A branch deleted upstream is pruned from the cache.
git -C "$T/srv/app.git" branch -q feature main
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref feature --cache-dir "$T/cache"
expect_ok "new branch"
git -C "$T/srv/app.git" branch -q -D feature
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref feature --cache-dir "$T/cache"
expect_fail "branch deleted upstream" "ref 'feature' not found in $URL"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref v9 --cache-dir "$T/cache"
expect_fail "bad ref" "ref 'v9' not found in $URL"

kairn_fetch "$T/out" "$T/err" --repo "git://127.0.0.1:$GIT_DAEMON_PORT/absent.git" --cache-dir "$T/cache"
expect_fail "missing repository" "fetch git://127.0.0.1:$GIT_DAEMON_PORT/absent.git: repository not found"

# Nothing listening: refused at once, with the host in the message.
DEAD=$(free_port)
kairn_fetch "$T/out" "$T/err" --repo "git://127.0.0.1:$DEAD/app.git" --cache-dir "$T/cache" --timeout 10
expect_fail "host unreachable" "fetch git://127.0.0.1:$DEAD/app.git: failed to connect to 127.0.0.1: Connection refused"
