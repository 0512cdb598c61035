#!/usr/bin/env bash
# End-to-end test on a real single-node Kubernetes built from upstream sources (e2e/cluster/up.sh):
# the chart, synthesized with e2e overrides, is deployed by ansible/deploy.yml (the VM's deploy play)
# and the hot-reload loop is exercised in real pods. Ends with "N passed, M failed".
#   KEEP_CLUSTER=1  leave a cluster this script started running (default: take it down again)
#   KEEP_OBJECTS=1  leave the deployed objects and the work dir in place
#   E2E_STRATEGY    reload strategy to synthesize (default supervisor; restart-container is expected
#                   to fail the syntax-error assertion: that is the flaw the supervisor fixes)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster/env.sh"
source "$REPO_ROOT/e2e/lib/cluster-e2e.sh"
[[ $EUID -eq 0 ]] || { echo "test-cluster.sh: must run as root (the e2e cluster needs it)" >&2; exit 1; }

passed=0 failed=0
ok()  { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
# check DESCRIPTION CMD...: one assertion.
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
# require DESCRIPTION CMD...: an assertion the rest depends on: stop here when it fails.
require() {
  local d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; finish; fi
}
finish() {
  echo "timings: ${timings[*]:-none}"
  echo "$passed passed, $failed failed"
  (( failed == 0 )) && exit 0 || exit 1
}
timings=()
t_mark() { timings+=("$1=$(( $(date +%s) - $2 ))s"); }

WORK=$(mktemp -d /var/tmp/hot-reload-e2e.XXXXXX)
cleanup() {
  local rc=$?
  if [[ ${KEEP_OBJECTS:-0} != 1 ]]; then
    if cluster_ready 2>/dev/null && [[ -d $WORK/manifests ]]; then delete_objects "$WORK/manifests"; fi
    if cluster_ready 2>/dev/null && [[ -d $WORK/node-manifests ]]; then delete_objects "$WORK/node-manifests"; fi
    rm -rf "$WORK"
  else
    echo "kept: objects and $WORK"
  fi
  if (( E2E_STARTED_CLUSTER == 1 )) && [[ ${KEEP_CLUSTER:-0} != 1 ]]; then bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT

t0=$(date +%s)
require "cluster is up (e2e/cluster/up.sh)" ensure_cluster
t_mark cluster "$t0"

# --- deploy -------------------------------------------------------------------------------------
prepare_dirs "$WORK"
require "chart synthesized with e2e overrides (code/data paths, images) into $WORK/manifests" synth "$WORK" "${E2E_STRATEGY:-supervisor}"
delete_objects "$WORK/manifests"        # leftovers of an interrupted earlier run
require "secret mysql-credentials created with a random password" create_secret
t1=$(date +%s)
require "ansible/deploy.yml applied the manifests" deploy "$WORK/manifests" "$LOGS/e2e-deploy.log"
t_mark deploy "$t1"

objects_exist() {
  local kind ns name missing=0
  while read -r kind ns name; do
    if [[ $ns == - ]]; then k get "$kind" "$name" >/dev/null 2>&1 || { echo "  missing: $kind/$name"; missing=1; }
    else k get "$kind" "$name" -n "$ns" >/dev/null 2>&1 || { echo "  missing: $kind $ns/$name"; missing=1; }
    fi
  done < <(manifest_objects "$WORK/manifests")
  [[ $(manifest_objects "$WORK/manifests" | wc -l) -gt 0 ]] && (( missing == 0 ))
}
check "every object of the synthesized manifests exists in the cluster" objects_exist

pvcs_bound() {
  local kind ns name bad=0 vol phase want claim
  while read -r kind ns name; do
    [[ $kind == PersistentVolumeClaim ]] || continue
    want=$(python3 - "$WORK/manifests" "$ns" "$name" <<'PY'
import glob, sys, yaml
for p in glob.glob(sys.argv[1] + "/*.k8s.yaml"):
    for d in yaml.safe_load_all(open(p)):
        if d and d["kind"] == "PersistentVolumeClaim" and d["metadata"]["name"] == sys.argv[3]:
            print(d["spec"].get("volumeName", ""))
PY
)
    for _ in $(seq 1 60); do
      phase=$(k get pvc "$name" -n "$ns" -o jsonpath='{.status.phase}')
      [[ $phase == Bound ]] && break; sleep 1
    done
    vol=$(k get pvc "$name" -n "$ns" -o jsonpath='{.spec.volumeName}')
    claim=$(k get pv "$vol" -o jsonpath='{.spec.claimRef.namespace}/{.spec.claimRef.name}' 2>/dev/null || true)
    if [[ $phase != Bound || -z $want || $vol != "$want" || $claim != "$ns/$name" ]]; then
      echo "  pvc $ns/$name: phase=$phase volume=$vol (intended '$want'), pv claimRef=$claim"; bad=1
    else echo "  pvc $ns/$name Bound to pv $vol"; fi
  done < <(manifest_objects "$WORK/manifests")
  (( bad == 0 )) && [[ -n $vol ]]
}
check "each PVC is Bound to its intended PV (volumeName and claimRef agree)" pvcs_bound

t2=$(date +%s)
pods_ready() {
  k rollout status deploy/mysql -n default --timeout=300s && k rollout status deploy/python-mysql -n default --timeout=300s &&
    k wait --for=condition=Ready pods --all -n default --timeout=120s
}
if ! check "all pods in namespace default are Ready" pods_ready; then
  k get pods -n default -o wide; k describe pods -n default | tail -n 60
  finish
fi
t_mark pods_ready "$t2"

# --- networking -----------------------------------------------------------------------------------
nodeport_serves() {
  local r; r=$(http GET /healthz) && [[ ${r%% *} == 200 ]] || { echo "  /healthz: ${r:-no answer}"; return 1; }
  # ...and it is kube-proxy that forwards it: its NodePort rule for 31000 is in the node's iptables.
  ns iptables-save -t nat | grep -E -- "-A KUBE-NODEPORTS .*--dport $E2E_NODEPORT " >/dev/null ||
    { echo "  no KUBE-NODEPORTS rule for $E2E_NODEPORT"; return 1; }
  r=$(http GET /) && [[ ${r%% *} == 200 && $r == *hot-loading-apps* ]] || { echo "  GET /: $r"; return 1; }
}
check "app answers on NodePort $E2E_NODEPORT through kube-proxy" nodeport_serves

dns_resolves() {
  local ip want
  want=$(k get svc mysql -n default -o jsonpath='{.spec.clusterIP}')
  ip=$(k exec -n default "$(app_pod)" -c app -- python3 -c 'import socket; print(socket.gethostbyname("mysql.default.svc"))')
  echo "  mysql.default.svc -> $ip (service clusterIP $want)"
  [[ -n $want && $ip == "$want" ]]
}
check "mysql.default.svc resolves inside the app pod (CoreDNS) to the mysql Service" dns_resolves

# --- data survives the database pod ---------------------------------------------------------------
score=$(( RANDOM * 1000 + RANDOM ))
score_persists() {
  local r old new sel
  r=$(http POST /scores "{\"score\": $score}") && [[ ${r%% *} == 201 ]] || { echo "  POST /scores: $r"; return 1; }
  sel=$(selector_of mysql)
  old=$(k get pods -n default -l "$sel" -o jsonpath='{.items[0].metadata.name}')
  k delete pod -n default "$old" --wait=true --timeout=120s >/dev/null
  for _ in $(seq 1 120); do
    new=$(k get pods -n default -l "$sel" -o jsonpath='{.items[?(@.status.phase=="Running")].metadata.name}')
    [[ -n $new && $new != "$old" ]] && break; sleep 1
  done
  k wait --for=condition=Ready pod/"$new" -n default --timeout=180s >/dev/null || { echo "  new mysql pod $new not Ready"; return 1; }
  echo "  mysql pod $old deleted, replaced by $new"
  for _ in $(seq 1 60); do
    r=$(http GET '/scores?limit=100') && [[ ${r%% *} == 200 && $r == *"\"score\":$score"* ]] && return 0
    sleep 1
  done
  echo "  score $score not found after the restart: $r"; return 1
}
check "a score written via POST /scores survives deleting the mysql pod" score_persists

# --- hot reload -----------------------------------------------------------------------------------
pod=$(app_pod || true)
restarts0=$(restarts "$pod" app || true)
last_token="edit-$RANDOM-$RANDOM"
reload_serves() {
  local token=$last_token s
  set_marker "$WORK/code" "$token"
  s=$(wait_marker "$token" 60) || { echo "  new route not served within 60s"; return 1; }
  echo "  edit served after ${s}s"; timings+=("reload=${s}s")
}
check "an edit to application.py in the hostPath code dir is served by the pod" reload_serves

# A broken save must never take the app down: the supervisor's check (py_compile of the changed files)
# fails, it logs the error with file and line, and the last good version keeps serving, in the same
# container. (Before the check existed the app stopped answering until the fix.)
syntax_error_keeps_serving() {
  local last_good=$1 phase st ready body failed=0 i
  { cat "$REPO_ROOT/python-mysql/application.py"; printf '\ndef broken(:\n'; } > "$WORK/code/application.py.tmp"
  chmod a+r "$WORK/code/application.py.tmp"; mv "$WORK/code/application.py.tmp" "$WORK/code/application.py"
  for _ in $(seq 1 60); do
    grep -q 'check FAILED.*application.py' <<<"$(k logs "$pod" -n default -c app 2>/dev/null)" && break; sleep 1
  done
  k logs "$pod" -n default -c app | grep 'check FAILED' | tail -n 1 | sed 's/^/  log: /' | cut -c1-300
  grep -q 'check FAILED.*application.py:[0-9]' <<<"$(k logs "$pod" -n default -c app)" ||
    { echo "  no 'check FAILED ... application.py:LINE' line in the supervisor's log"; return 1; }
  # 10 s of requests through the NodePort while the broken file is in place: every one is the last good version.
  for i in $(seq 1 20); do
    body=$(ns curl -sS -m 2 "http://$NODE_IP:$E2E_NODEPORT/e2e-marker" 2>/dev/null) || body=
    [[ $body == "$last_good" ]] || { failed=$((failed + 1)); echo "  request $i: '${body:0:80}' instead of '$last_good'"; }
    sleep 0.5
  done
  ready=$(k get pod "$pod" -n default -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')
  phase=$(k get pod "$pod" -n default -o jsonpath='{.status.phase}')
  st=$(k get pod "$pod" -n default -o jsonpath='{.status.containerStatuses[?(@.name=="app")].state}')
  echo "  with the syntax error: $failed of 20 requests failed; ready=$ready phase=$phase restarts=$(restarts "$pod" app)"
  [[ $failed == 0 && $ready == True && $phase == Running && $(restarts "$pod" app) == "$restarts0" && $st == *running* ]]
}
check "a syntax error keeps the last good version serving, pod Ready with $restarts0 restarts" syntax_error_keeps_serving "$last_token"

fix_served() {
  local token="fixed-$RANDOM-$RANDOM" s
  set_marker "$WORK/code" "$token"
  s=$(wait_marker "$token" 90) || { echo "  fix not served within 90s"; return 1; }
  echo "  fix served after ${s}s; restarts=$(restarts "$pod" app)"
  [[ $(restarts "$pod" app) == "$restarts0" && $(app_pod) == "$pod" ]]
}
check "the fix is served by the same pod, still without a container restart" fix_served

# --- the node preset in a real pod ------------------------------------------------------------------
# ReloadPresets.node() as a user's chart uses it (e2e/node-chart.ts), deployed by the same deploy play,
# driven by bench:cluster's driver: edits and a broken save through NodePort 31001 while a steady client
# counts every refused connection, 5xx or body that is neither the old nor the new code.
NODE_EDITS=10
node_preset_reloads_in_place() {
  local drv="$WORK/node-driver.json" pod r0 log_pid
  deploy_node_preset "$WORK" "$LOGS/e2e-deploy-node.log" || return 1
  pod=$(node_pod)
  r0=$(restarts "$pod" app)
  k logs -f --timestamps "$pod" -c app >"$WORK/node-app.log" 2>&1 &
  log_pid=$!
  ns python3 "$REPO_ROOT/bench/reload/cluster.py" run --app node --host "$NODE_IP" --port "$E2E_NODE_NODEPORT" \
    --code "$WORK/node-code" --log "$WORK/node-app.log" --edits "$NODE_EDITS" --rate 20 --broken-saves 1 >"$drv" || true  # its JSON says why
  kill "$log_pid" 2>/dev/null || true
  python3 - "$drv" "$(restarts "$pod" app)" "$r0" "$(k get pods -n default -l "$(selector_of node-app)" -o jsonpath='{.items[*].metadata.name}')" "$pod" <<'PY'
import json, sys
d, restarts, r0, pods, pod = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
c, e, b = d["client"], d.get("edits", {}), d.get("broken_save", {})
print(f"  {d['status']}: {len(d.get('per_edit', []))} edits, p50 {e.get('p50_s')} s, p95 {e.get('p95_s')} s; "
      f"client {c['requests']} requests at {c['rate_per_s']}/s, {c['failed']} failed {c['examples'][:2]}")
print(f"  broken save: keeps serving {b.get('keeps_serving')}, fix served in {b.get('fix_served_max_s')} s, "
      f"logged: {(b.get('cases') or [{}])[0].get('error_line_logged')!r}; restarts {r0} -> {restarts}, pods {pods}")
problems = [p for p, bad in [
    (d.get("reason", "the edit series failed"), d["status"] != "ok"),
    ("requests failed", c["failed"] != 0 or c["requests"] == 0),
    ("the broken save did not keep the last good version serving", not b.get("keeps_serving")),
    ("no file:line of the syntax error in the log", not b.get("error_logged_with_file_line")),
    ("the container restarted or the pod was replaced", restarts != r0 or pods != pod)] if bad]
for p in problems:
    print(f"  {p}")
sys.exit(1 if problems else 0)
PY
}
check "the node preset serves $NODE_EDITS edits and a broken save in place in a real pod, 0 failed requests, 0 restarts" node_preset_reloads_in_place

# --- readiness means "can serve" (issue 12) ----------------------------------------------------------
# The credentials Secret changes while the MySQL data dir is kept (it still holds the old passwords):
# the app cannot log in, so neither pod may turn Ready and deploy.yml must fail with one line that
# says why. (Before: mysqladmin ping and /healthz passed, and deploy.yml returned 0.)
wrong_secret_fails_deploy() {
  local log="$LOGS/e2e-deploy-wrong-secret.log" rc=0 line pw mysql_log
  k delete secret mysql-credentials -n default >/dev/null
  create_secret
  pw=$(k get secret mysql-credentials -n default -o jsonpath='{.data.password}' | base64 -d)
  k rollout restart deploy/mysql deploy/python-mysql -n default >/dev/null
  E2E_ANSIBLE_ARGS="${E2E_ANSIBLE_ARGS:-} -e wait_timeout=60" deploy "$WORK/manifests" "$log" >/dev/null 2>&1 || rc=$?
  (( rc != 0 )) || { echo "  deploy.yml returned 0 although the app cannot log in"; return 1; }
  line=$(grep -m1 -E '"msg": ".*did not become available' "$log")
  echo "  deploy.yml failed: ${line:0:400}"
  [[ $line == *"Deployment default/mysql"* && $line == *"Access denied"* ]] || { echo "  no line naming mysql and 'Access denied'"; return 1; }
  ! grep -qF -- "$pw" "$log" || { echo "  the new password appears in the deploy log"; return 1; }
  mysql_log=$(k logs deploy/mysql -n default -c mysql --since=60s) || { echo "  cannot read the mysql log"; return 1; }
  ! grep -qF -- "$pw" <<<"$mysql_log" || { echo "  the password appears in the mysql log"; return 1; }
}
check "a credentials Secret that does not match the kept data dir: pods unready, deploy.yml fails with one line naming 'Access denied'" wrong_secret_fails_deploy

t_mark total "$t0"
finish
