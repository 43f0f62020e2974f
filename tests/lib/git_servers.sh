# git_servers.sh — shell helpers for tests/e2e/git_*.sh: a scratch directory,
# an origin repository, free loopback ports, and the three servers kairn
# fetches from in tests (git daemon, git http-backend, sshd). Every server is
# recorded and stopped by git_servers_cleanup, which the sourcing test traps
# on EXIT. Nothing here listens beyond 127.0.0.1.
#
# Usage (in a test): source "$KAIRN_SOURCE_DIR/tests/lib/git_servers.sh"

set -euo pipefail
: "${KAIRN_BIN:?KAIRN_BIN must point at the kairn binary}"
: "${KAIRN_BUILD_DIR:?KAIRN_BUILD_DIR must point at the build directory}"

T=$(mktemp -d /tmp/kairn-e2e-git.XXXXXX)
GIT_SERVER_PIDS=()
export GIT_AUTHOR_NAME=kairn-test GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=kairn-test GIT_COMMITTER_EMAIL=t@example.com

git_servers_cleanup() {
  local pid
  for pid in "${GIT_SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$T"
}
trap git_servers_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# A port nobody listens on (bash's /dev/tcp probe), from an unprivileged range.
free_port() {
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# Waits up to 10 s for something to accept on 127.0.0.1:$1; on failure shows
# the server's log $2.
wait_port() {
  local i
  for i in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "nothing listens on 127.0.0.1:$1: $(cat "${2:-/dev/null}" 2>/dev/null)"
}

# make_origin DIR: a working repo with deploy/app.yaml on main, tag v1, and a
# bare clone DIR.git that servers export. Prints nothing.
make_origin() {
  local w=$1
  git init -q -b main "$w"
  mkdir -p "$w/deploy"
  echo "replicas: 1" > "$w/deploy/app.yaml"
  git -C "$w" add -A && git -C "$w" commit -qm "first"
  git -C "$w" tag v1
  git clone -q --bare "$w" "$w.git"
}

# push_commit DIR TEXT: commits TEXT to deploy/app.yaml and pushes to DIR.git.
push_commit() {
  echo "$2" > "$1/deploy/app.yaml"
  git -C "$1" commit -qam "$2"
  git -C "$1" push -q "$1.git" main
}

# kairn_fetch OUTFILE ERRFILE ARGS...: runs `kairn source fetch`, keeps the exit code.
kairn_fetch() {
  local out=$1 err=$2
  shift 2
  set +e
  "$KAIRN_BIN" source fetch "$@" >"$out" 2>"$err"
  KAIRN_RC=$?
  set -e
}

# expect_ok / expect_fail PATTERN: checks the last kairn_fetch.
expect_ok() {
  [ "$KAIRN_RC" -eq 0 ] || fail "$1: exit $KAIRN_RC: $(cat "$T/err")"
  pass "$1"
}
expect_fail() {
  [ "$KAIRN_RC" -eq 1 ] || fail "$1: expected exit 1, got $KAIRN_RC: $(cat "$T/out" "$T/err")"
  grep -q -- "$2" "$T/err" || fail "$1: stderr lacks '$2': $(cat "$T/err")"
  pass "$1"
}

# commit_of: the commit line of the last successful fetch.
commit_of() { awk '$1 == "commit" { print $2 }' "$T/out"; }
path_of() { awk '$1 == "path" { print $2 }' "$T/out"; }

# start_git_daemon ROOT: git:// on a free port; sets GIT_DAEMON_PORT.
start_git_daemon() {
  GIT_DAEMON_PORT=$(free_port)
  git daemon --listen=127.0.0.1 --port="$GIT_DAEMON_PORT" --base-path="$1" --export-all \
    --reuseaddr "$1" 2>"$T/git-daemon.log" &
  GIT_SERVER_PIDS+=($!)
  wait_port "$GIT_DAEMON_PORT" "$T/git-daemon.log"
}

# require_lighttpd: exits 77 (ctest skip) with a message when Debian's
# lighttpd (with mod_cgi, mod_auth, mod_authn_file) is not installed;
# `tests/tools/install-deps.sh --test` (run by tests/run-tests.sh, so CI)
# installs it. With TLS wanted ($1 = tls) mod_openssl is required too.
LIGHTTPD=${LIGHTTPD:-/usr/sbin/lighttpd}
LIGHTTPD_MODS=${LIGHTTPD_MODS:-/usr/lib/lighttpd}
require_lighttpd() {
  local m mods=(mod_cgi mod_auth mod_authn_file)
  [ "${1:-}" = tls ] && mods+=(mod_openssl)
  if [ ! -x "$LIGHTTPD" ]; then
    echo "SKIP: $LIGHTTPD not installed (run tests/tools/install-deps.sh --test)" >&2
    exit 77
  fi
  for m in "${mods[@]}"; do
    if [ ! -f "$LIGHTTPD_MODS/$m.so" ]; then
      echo "SKIP: lighttpd module $LIGHTTPD_MODS/$m.so missing (run tests/tools/install-deps.sh --test)" >&2
      exit 77
    fi
  done
}

# start_http_backend ROOT USER PASSWORD [--tls-cert PEM --tls-key PEM]:
# Debian's lighttpd on a free 127.0.0.1 port, running as the current user,
# serving `git http-backend` as a CGI under /git/ behind Basic auth (mod_auth
# + mod_authn_file, one USER:PASSWORD line; kairn sends a token as the
# password of user "x-access-token"). Config, logs and the user file live in
# $T; git_servers_cleanup stops it. Sets HTTP_PORT; the repository ROOT/x.git
# is at http(s)://127.0.0.1:$HTTP_PORT/git/x.git.
start_http_backend() {
  local root=$1 user=$2 password=$3 cert="" key="" n
  shift 3
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls-cert) cert=$2; shift 2 ;;
      --tls-key) key=$2; shift 2 ;;
      *) fail "start_http_backend: unknown option $1" ;;
    esac
  done
  require_lighttpd ${cert:+tls}
  local backend
  backend="$(git --exec-path)/git-http-backend"
  [ -x "$backend" ] || fail "git http-backend not found at $backend"
  n=$(( ${HTTP_SERVER_SEQ:-0} + 1 )); HTTP_SERVER_SEQ=$n
  local dir="$T/lighttpd-$n"
  mkdir -p "$dir/www"
  HTTP_PORT=$(free_port)
  printf '%s:%s\n' "$user" "$password" > "$dir/users"
  chmod 600 "$dir/users"
  cat > "$dir/lighttpd.conf" <<CONF
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
server.module-path = "$LIGHTTPD_MODS"
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.errorlog = "$dir/error.log"
server.upload-dirs = ( "$dir" )
alias.url = ( "/git/" => "$backend/" )
\$HTTP["url"] =~ "^/git/" {
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$root", "GIT_HTTP_EXPORT_ALL" => "1" )
}
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
auth.require = ( "/" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
CONF
  if [ -n "$cert" ]; then
    cat >> "$dir/lighttpd.conf" <<CONF
server.modules += ( "mod_openssl" )
ssl.engine = "enable"
ssl.pemfile = "$cert"
ssl.privkey = "$key"
CONF
  fi
  "$LIGHTTPD" -tt -f "$dir/lighttpd.conf" >"$dir/check.log" 2>&1 ||
    fail "lighttpd rejects its config: $(cat "$dir/check.log")"
  "$LIGHTTPD" -D -f "$dir/lighttpd.conf" >"$dir/stderr.log" 2>&1 &
  GIT_SERVER_PIDS+=($!)
  wait_port "$HTTP_PORT" "$dir/stderr.log"
}

# start_sshd: sshd -D on a free port with its own ed25519 host key, letting
# the current user in with a generated client key ($T/client_key). Sets
# SSH_PORT and writes $T/known_hosts.
start_sshd() {
  local sshd=/usr/sbin/sshd
  [ -x "$sshd" ] || fail "sshd not installed (openssh-server)"
  SSH_PORT=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$T/client_key"
  cp "$T/client_key.pub" "$T/authorized_keys"
  chmod 600 "$T/authorized_keys"
  # Privilege separation needs its empty directory (root only).
  if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
  cat > "$T/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
AllowUsers $(id -un)
CONF
  "$sshd" -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
  GIT_SERVER_PIDS+=($!)
  wait_port "$SSH_PORT" "$T/sshd.log"
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" > "$T/known_hosts"
}

# make_tls NAME SAN: a CA ($T/NAME-ca.pem) and a server certificate
# ($T/NAME.pem, key $T/NAME.key) it signed for subjectAltName SAN.
make_tls() {
  local n=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=kairn test CA $n" -keyout "$T/$n-ca.key" -out "$T/$n-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kairn test server" \
    -keyout "$T/$n.key" -out "$T/$n.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$2" > "$T/$n.ext"
  openssl x509 -req -in "$T/$n.csr" -CA "$T/$n-ca.pem" -CAkey "$T/$n-ca.key" -CAcreateserial \
    -days 2 -extfile "$T/$n.ext" -out "$T/$n.pem" 2>/dev/null
}
