#!/usr/bin/env bash
# git_cache.sh — the Git cache survives what happens to caches: a corrupt
# ref, missing objects, a truncated pack, a file or a foreign directory where
# the repository should be, a cache made for another URL — each is detected,
# logged, and cloned again, and the fetch succeeds with the right commit.
# Concurrent kairn processes on one cache (the lock) all succeed while the
# branch moves, and leave a cache `git fsck` finds sound. Served by a real
# `git daemon` on 127.0.0.1.
source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

make_origin "$T/srv/app"
for i in 2 3 4; do push_commit "$T/srv/app" "replicas: $i"; done
start_git_daemon "$T/srv"
URL="git://127.0.0.1:$GIT_DAEMON_PORT/app.git"
FETCH=(--repo "$URL" --ref main --path deploy --cache-dir "$T/cache" --timeout 30)
kairn_fetch "$T/out" "$T/err" "${FETCH[@]}"
expect_ok "first clone"
R=$(ls -d "$T"/cache/*/repo.git)
want() { git -C "$T/srv/app" rev-parse main; }

# damage NAME WARNING: the last damage is repaired by the next fetch.
repaired() {
  kairn_fetch "$T/out" "$T/err" "${FETCH[@]}"
  expect_ok "$1: fetch after the damage"
  [ "$(commit_of)" = "$(want)" ] || fail "$1: commit $(commit_of), want $(want)"
  grep -q "replicas: ${3:-4}" "$(path_of)/app.yaml" || fail "$1: wrong checkout"
  grep -q -- "$2" "$T/err" || fail "$1: no warning '$2': $(cat "$T/err")"
  git -C "$R" fsck --no-dangling >"$T/fsck" 2>&1 || fail "$1: cache unsound after repair: $(cat "$T/fsck")"
  pass "$1 repaired"
}

echo garbage > "$R/refs/heads/main"
repaired "corrupt ref" "is damaged (.*corrupted loose reference file"

rm -f "$R"/objects/pack/* && find "$R/objects" -type f -path '*/[0-9a-f][0-9a-f]/*' -delete
repaired "objects missing" "has ref refs/heads/.* pointing at a missing object"

push_commit "$T/srv/app" "replicas: 5"
for p in "$R"/objects/pack/*.pack; do chmod u+w "$p"; truncate -s 40 "$p"; done
repaired "truncated pack" "pointing at a missing object\|is damaged" 5

# A blob of an old commit lost (refs fine): its checkout fails, the cache is
# cloned again and the checkout made.
old=$(git -C "$T/srv/app" rev-list --max-parents=0 main)
mkdir "$T/packs" && mv "$R"/objects/pack/* "$T/packs/"
for p in "$T"/packs/*.pack; do git -C "$R" unpack-objects -q < "$p"; done
blob=$(git -C "$T/srv/app" rev-parse "$old:deploy/app.yaml")
rm -f "$R/objects/${blob:0:2}/${blob:2}"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref "$old" --path deploy --cache-dir "$T/cache"
expect_ok "lost blob: fetch of an old commit"
[ "$(commit_of)" = "$old" ] || fail "lost blob: commit $(commit_of)"
grep -q "replicas: 1" "$(path_of)/app.yaml" || fail "lost blob: wrong checkout"
grep -q "is damaged (checkout of" "$T/err" || fail "lost blob: no warning: $(cat "$T/err")"
pass "lost blob repaired"

rm -rf "$R" && echo "not a repository" > "$R"
repaired "file instead of repository" "is not a bare Git repository" 5

rm -rf "$R" && mkdir -p "$R" && echo "someone else's" > "$R/README"
repaired "foreign directory" "is not a bare Git repository" 5

git -C "$R" config kairn.url "https://elsewhere.example/other.git"
repaired "cache of another URL" "belongs to https://elsewhere.example/other.git" 5

# Concurrency: 6 processes on one cache while the branch moves once. Each
# must succeed with one of the two commits; a checkout may already be gone
# again (a cache keeps the current checkout and the previous one).
push_commit "$T/srv/app" "replicas: 12"
c1=$(want)
pids=()
for i in 1 2 3 4 5 6; do
  "$KAIRN_BIN" source fetch "${FETCH[@]}" >"$T/par$i.out" 2>"$T/par$i.err" &
  pids+=($!)
  if [ "$i" = 3 ]; then push_commit "$T/srv/app" "replicas: 14"; fi
done
c2=$(want)
for i in 1 2 3 4 5 6; do
  wait "${pids[$((i - 1))]}" || fail "concurrent fetch $i failed: $(cat "$T/par$i.err")"
  c=$(awk '$1 == "commit" { print $2 }' "$T/par$i.out")
  [ "$c" = "$c1" ] || [ "$c" = "$c2" ] || fail "concurrent fetch $i: commit '$c' is neither $c1 nor $c2"
done
pass "6 concurrent fetches on one cache"
grep -l "warn" "$T"/par*.err && fail "a concurrent fetch saw a damaged cache: $(cat "$T"/par*.err)"
git -C "$R" fsck --no-dangling >"$T/fsck" 2>&1 || fail "cache unsound after concurrent fetches: $(cat "$T/fsck")"
kairn_fetch "$T/out" "$T/err" "${FETCH[@]}"
expect_ok "fetch after the concurrent ones"
[ "$(commit_of)" = "$(want)" ] || fail "final commit $(commit_of), want $(want)"
grep -q "replicas: 14" "$(path_of)/app.yaml" || fail "final checkout wrong"
pass "cache sound after concurrent fetches"
