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

# A port nobody listens on (bash's /dev/tcp probe), below the kernel's
# ephemeral range so that no outgoing connection of a parallel test holds it.
free_port() {
  local p i lo=32768 hi
  read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$lo" -gt 21000 ] 2>/dev/null || lo=60000
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % (lo - 20000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# serve_on_free_port VAR LOG START: up to 5 times, sets VAR to a free port
# and runs the function START (which starts a server in the background on
# $VAR, logging to LOG); returns when it listens. A server that exits
# instead (the port was taken between the probe and its bind) is retried on
# another port.
serve_on_free_port() {
  local var=$1 log=$2 start=$3 attempt i pid
  for attempt in 1 2 3 4 5; do
    printf -v "$var" '%s' "$(free_port)"
    "$start"
    pid=${GIT_SERVER_PIDS[-1]}
    for i in $(seq 1 100); do
      # listening, and it is ours (still running, not died on its bind)
      if (exec 3<>"/dev/tcp/127.0.0.1/${!var}") 2>/dev/null; then
        sleep 0.05
        kill -0 "$pid" 2>/dev/null && return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      fail "nothing listens on 127.0.0.1:${!var}: $(cat "$log" 2>/dev/null)"
    fi
    wait "$pid" 2>/dev/null || true
    echo "note: server on port ${!var} exited (attempt $attempt): $(tail -1 "$log" 2>/dev/null)" >&2
  done
  fail "no server started after 5 ports: $(cat "$log" 2>/dev/null)"
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
_git_daemon_root=""
_start_git_daemon_once() {
  git daemon --listen=127.0.0.1 --port="$GIT_DAEMON_PORT" --base-path="$_git_daemon_root" --export-all \
    --reuseaddr "$_git_daemon_root" 2>"$T/git-daemon.log" &
  GIT_SERVER_PIDS+=($!)
}
start_git_daemon() {
  _git_daemon_root=$1
  serve_on_free_port GIT_DAEMON_PORT "$T/git-daemon.log" _start_git_daemon_once
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
  _lh_dir="$T/lighttpd-$n" _lh_root=$root _lh_backend=$backend _lh_cert=$cert _lh_key=$key
  mkdir -p "$_lh_dir/www"
  printf '%s:%s\n' "$user" "$password" > "$_lh_dir/users"
  chmod 600 "$_lh_dir/users"
  serve_on_free_port HTTP_PORT "$_lh_dir/stderr.log" _start_lighttpd_once
}
_start_lighttpd_once() {
  local dir=$_lh_dir
  cat > "$dir/lighttpd.conf" <<CONF
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
server.module-path = "$LIGHTTPD_MODS"
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.errorlog = "$dir/error.log"
server.upload-dirs = ( "$dir" )
alias.url = ( "/git/" => "$_lh_backend/" )
\$HTTP["url"] =~ "^/git/" {
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$_lh_root", "GIT_HTTP_EXPORT_ALL" => "1" )
}
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
auth.require = ( "/" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
CONF
  if [ -n "$_lh_cert" ]; then
    cat >> "$dir/lighttpd.conf" <<CONF
server.modules += ( "mod_openssl" )
ssl.engine = "enable"
ssl.pemfile = "$_lh_cert"
ssl.privkey = "$_lh_key"
CONF
  fi
  "$LIGHTTPD" -tt -f "$dir/lighttpd.conf" >"$dir/check.log" 2>&1 ||
    fail "lighttpd rejects its config: $(cat "$dir/check.log")"
  "$LIGHTTPD" -D -f "$dir/lighttpd.conf" >"$dir/stderr.log" 2>&1 &
  GIT_SERVER_PIDS+=($!)
}

# start_sshd: sshd -D on a free port with its own ed25519 host key, letting
# the current user in with a generated client key ($T/client_key). Sets
# SSH_PORT and writes $T/known_hosts.
start_sshd() {
  local sshd=/usr/sbin/sshd
  [ -x "$sshd" ] || fail "sshd not installed (openssh-server)"
  ssh-keygen -q -t ed25519 -N '' -f "$T/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$T/client_key"
  cp "$T/client_key.pub" "$T/authorized_keys"
  chmod 600 "$T/authorized_keys"
  # Privilege separation needs its empty directory (root only).
  if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
  serve_on_free_port SSH_PORT "$T/sshd.log" _start_sshd_once
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" > "$T/known_hosts"
}
_start_sshd_once() {
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
  /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
  GIT_SERVER_PIDS+=($!)
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
