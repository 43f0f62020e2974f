# kairn_run.sh — helpers for the `kairn run` e2e tests; source after kubesim.sh.
#
#   run_start NAME [kairn run flags]  starts `kairn run` in the background with
#       --listen 127.0.0.1:0, waits for its port; sets RUN_PID_<NAME>,
#       RUN_PORT_<NAME>, RUN_LOG_<NAME>. Every agent is stopped at exit.
#   cm_value NS NAME                  data.k of a ConfigMap ("" if absent)
#   wait_for SECONDS CMD...           polls CMD every 50 ms until it succeeds
#   counter RESOURCE VERB             a kubesim request counter

: "${KAIRN_BIN:?KAIRN_BIN must point at the kairn binary}"

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kairn-run.XXXXXX")
kubesim_on_exit 'for p in $(cat "$RUN_DIR"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done; sleep 0.5; rm -rf "$RUN_DIR"'

run_start() {
	local name=$1 i
	shift
	"$KAIRN_BIN" --kubeconfig "$KUBESIM_KUBECONFIG" run --listen 127.0.0.1:0 \
		--port-file "$RUN_DIR/$name.port" "$@" >"$RUN_DIR/$name.log" 2>&1 &
	echo $! >"$RUN_DIR/$name.pid"
	eval "RUN_PID_$name=$!"
	eval "RUN_LOG_$name=$RUN_DIR/$name.log"
	for i in $(seq 1 200); do
		[ -s "$RUN_DIR/$name.port" ] && break
		sleep 0.05
	done
	if [ ! -s "$RUN_DIR/$name.port" ]; then
		echo "kairn run $name did not start:" >&2
		cat "$RUN_DIR/$name.log" >&2
		return 1
	fi
	eval "RUN_PORT_$name=$(cat "$RUN_DIR/$name.port")"
}

cm_value() {
	kubesim_curl "/api/v1/namespaces/$1/configmaps/$2" 2>/dev/null |
		python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("data",{}).get("k",""))
except Exception: print("")'
}

wait_for() {
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while [ $(($(date +%s%N) / 1000000)) -lt $deadline ]; do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

counter() {
	kubesim_curl /kubesim/counters | python3 -c "import json,sys
c=json.load(sys.stdin); print(c.get('resources',{}).get('$1',{}).get('$2',0))"
}

make_namespace() {
	kubesim_curl /api/v1/namespaces -X POST -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}" >/dev/null
}

# write_cms DIR N VALUE: N ConfigMaps cm1..cmN in namespace default with data.k=VALUE
write_cms() {
	local i
	mkdir -p "$1"
	for i in $(seq 1 "$2"); do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%s\n  namespace: default\ndata:\n  k: "%s"\n' \
			"$i" "$3" >"$1/cm$i.yaml"
	done
}

# cm_is NS NAME VALUE: succeeds when the ConfigMap's data.k is VALUE (for wait_for)
cm_is() {
	[ "$(cm_value "$1" "$2")" = "$3" ]
}
