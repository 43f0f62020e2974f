#!/usr/bin/env bash
# git_ssh.sh — kairn source fetch over SSH from a real sshd on a free port:
# the right key with the host in known_hosts works; a key the server does not
# know, an unknown host and a changed host key are refused with clear
# messages; --insecure-ignore-host-key skips the check; a pushed commit is
# picked up.
source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

make_origin "$T/srv/app"
start_sshd
USER_NAME=$(id -un)
URL="ssh://$USER_NAME@127.0.0.1:$SSH_PORT$T/srv/app.git"
SSH=(--ssh-key "$T/client_key" --known-hosts "$T/known_hosts" --cache-dir "$T/cache" --timeout 30)

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy "${SSH[@]}"
expect_ok "ssh key + known_hosts"
[ "$(commit_of)" = "$(git -C "$T/srv/app" rev-parse main)" ] || fail "wrong commit"

push_commit "$T/srv/app" "replicas: 7"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ref main --path deploy "${SSH[@]}"
expect_ok "fetch after push over ssh"
grep -q "replicas: 7" "$(path_of)/app.yaml" || fail "checkout not updated"

ssh-keygen -q -t ed25519 -N '' -f "$T/stranger_key"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ssh-key "$T/stranger_key" --known-hosts "$T/known_hosts" --cache-dir "$T/cache"
expect_fail "unknown client key" "authentication failed (ssh key refused)"

: > "$T/empty_known_hosts"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ssh-key "$T/client_key" --known-hosts "$T/empty_known_hosts" --cache-dir "$T/cache"
expect_fail "unknown host" "host key for 127.0.0.1:$SSH_PORT not in known_hosts $T/empty_known_hosts"

ssh-keygen -q -t ed25519 -N '' -f "$T/other_host_key"
echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$T/other_host_key.pub")" > "$T/wrong_known_hosts"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ssh-key "$T/client_key" --known-hosts "$T/wrong_known_hosts" --cache-dir "$T/cache"
expect_fail "host key mismatch" "host key for 127.0.0.1:$SSH_PORT does not match known_hosts"

kairn_fetch "$T/out" "$T/err" --repo "$URL" --ssh-key "$T/client_key" --known-hosts "$T/wrong_known_hosts" --insecure-ignore-host-key --cache-dir "$T/cache"
expect_ok "insecure-ignore-host-key"

# An encrypted key, its passphrase from a file.
ssh-keygen -q -t ed25519 -N 'open sesame' -f "$T/locked_key"
cat "$T/locked_key.pub" >> "$T/authorized_keys"
printf 'open sesame\n' > "$T/passphrase"
kairn_fetch "$T/out" "$T/err" --repo "$URL" --ssh-key "$T/locked_key" --ssh-passphrase-file "$T/passphrase" --known-hosts "$T/known_hosts" --cache-dir "$T/cache"
expect_ok "encrypted key with passphrase"
grep -rq "open sesame" "$T/out" "$T/err" && fail "passphrase leaked"
pass "passphrase never printed"
