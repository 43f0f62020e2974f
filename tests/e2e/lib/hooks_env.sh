# hooks_env.sh — what the hook e2e tests share, on top of sync_env.sh: a
# small Git repository, and kubesim's event history (GET /kubesim/events,
# every stored change in resourceVersion order, the job controller's status
# updates included) to prove in which order things happened on the server.
#
#   . "$KAIRN_SOURCE_DIR/tests/e2e/lib/hooks_env.sh"
#   sync_env_init --job-duration-ms 200
#   hooks_repo_init                    # empty $REPO (git), $REPO_URL
#   mark=$(state_rv)                   # kubesim's current resourceVersion
#   ... kairn_sync ...
#   events_since "$mark"               # the events, in $T/events.json
#   ev_rv ADDED Job ns name            # RV of the first matching event ("" if none)
#   ev_rv_where 'python expr on e'     # RV of the first event where expr holds
#   ev_count 'python expr on e'        # how many events match
. "$KAIRN_SOURCE_DIR/tests/e2e/lib/sync_env.sh"

hooks_repo_init() {
	REPO=$T/repo
	mkdir -p "$REPO"
	git -C "$REPO" init -q -b main
	git -C "$REPO" config user.email e2e@kairn.test
	git -C "$REPO" config user.name "kairn e2e"
	REPO_URL="file://$REPO"
	export REPO REPO_URL
}

state_rv() {
	kubesim_curl /kubesim/state | python3 -c 'import json,sys; print(json.load(sys.stdin)["resourceVersion"])'
}

events_since() {
	kubesim_curl "/kubesim/events?since=$1" >"$T/events.json"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))["events"]' "$T/events.json" ||
		fail "bad /kubesim/events answer: $(head -c 300 "$T/events.json")"
}

# Helpers for expressions: e is an event; cond(e, "Complete") is the status
# of that condition ("" if absent); image(e) the first container's image of
# a workload or Job; ann(e, key) an annotation.
_EV_PY='
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
def cond(e, t):
    for c in (e["object"].get("status") or {}).get("conditions") or []:
        if c.get("type") == t:
            return c.get("status", "")
    return ""
def image(e):
    s = e["object"].get("spec") or {}
    t = (s.get("template") or {}).get("spec") or s
    cs = t.get("containers") or [{}]
    return cs[0].get("image", "")
def ann(e, k):
    return ((e["object"].get("metadata") or {}).get("annotations") or {}).get(k, "")
def data(e):
    return e["object"].get("data") or {}
'

# ev_rv TYPE KIND NS NAME
ev_rv() {
	python3 -c "$_EV_PY"'
for e in evs:
    if e["type"] == sys.argv[2] and e["kind"] == sys.argv[3] and e["namespace"] == sys.argv[4] and e["name"] == sys.argv[5]:
        print(e["resourceVersion"]); break
' "$T/events.json" "$@"
}

ev_rv_where() {
	python3 -c "$_EV_PY"'
for e in evs:
    if '"$1"':
        print(e["resourceVersion"]); break
' "$T/events.json"
}

ev_count() {
	python3 -c "$_EV_PY"'
print(sum(1 for e in evs if '"$1"'))
' "$T/events.json"
}

# ev_names 'expr': "kind/name" of every matching event, in order, one line.
ev_names() {
	python3 -c "$_EV_PY"'
print(" ".join(e["kind"] + "/" + e["name"] for e in evs if '"$1"'))
' "$T/events.json"
}

# lt A B: A and B are set and A < B (resourceVersions).
lt() {
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]
}

# json_get FILE PYEXPR: evaluates PYEXPR with j = the file's JSON.
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# hook_job NAMESPACE NAME PHASE [extra annotation lines]: a kairn.dev/hook
# Job manifest on stdout (one document, no "---").
hook_job() {
	local ns=$1 name=$2 phase=$3 a
	shift 3
	cat <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: $name
  namespace: $ns
  annotations:
    kairn.dev/hook: $phase
EOF
	for a in "$@"; do echo "    $a"; done
	cat <<EOF
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: registry.example.com/tool:1
EOF
}
