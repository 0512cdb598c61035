#!/usr/bin/env bash
# npm run test:deploy-path — the provisioning's cluster paths against the real e2e cluster
# (e2e/cluster/up.sh), each case a defect of issue 13 that recorded results could not show:
#   1. the roles' kubernetes.core tasks, run as ansible_local runs them (an unprivileged user with
#      become) against a root-only 0600 admin kubeconfig
#   2. deploy.yml's failure line names each pod's waiting reason / latest readiness-probe failure
#      (the real pod query and event query)
#   4. a changed (immutable) Deployment selector: one short line with the fix, nothing applied, the
#      Service still selects the running pods; recreate_changed_selectors=true switches both
#   4b. any object the API server rejects: its reason in one line, and no Service applied after it
#   6. an object being deleted: waited for and re-created, or a clear failure naming what holds it
# Small manifests of its own in namespace hot-reload-deploy-path (removed at the end); images are
# the e2e ones (pause). Wrap in `flock /tmp/team/e2e-cluster.lock` on a shared machine.
# DEPLOY_YML / ROLES_DIR run the cases against another deploy.yml / roles dir (e.g. an older commit's,
# to see a case fail). Ends with "N passed, M failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster/env.sh"
source "$REPO_ROOT/e2e/lib/cluster-e2e.sh"
[[ $EUID -eq 0 ]] || { echo "test-deploy-path.sh: must run as root (the e2e cluster needs it)" >&2; exit 1; }

TNS=hot-reload-deploy-path
PV=hot-reload-deploy-path-pv
PROV_USER=hot-reload-prov   # stands in for `vagrant`: unprivileged, passwordless sudo
PAUSE=registry.k8s.io/pause:3.10

passed=0 failed=0
ok()  { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
finish() { echo "$passed passed, $failed failed"; (( failed == 0 )); exit $?; }

WORK=$(mktemp -d /var/tmp/hot-reload-deploy-path.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
  local rc=$?
  if cluster_ready 2>/dev/null; then
    k delete namespace "$TNS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
    k delete pv "$PV" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  if (( E2E_STARTED_CLUSTER == 1 )) && [[ ${KEEP_CLUSTER:-0} != 1 ]]; then bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT

ensure_cluster || { bad "cluster is up (e2e/cluster/up.sh)"; finish; }
ensure_ansible_deps
k delete namespace "$TNS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
k delete pv "$PV" --ignore-not-found --wait=true --timeout=60s >/dev/null 2>&1 || true
k create namespace "$TNS" >/dev/null

# --- manifests ----------------------------------------------------------------------------------
# deployment NAME LABEL [EXTRA_CONTAINER_YAML] [IMAGE]: one pause pod labelled app=LABEL.
deployment() {
  cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: $TNS}
spec:
  replicas: 1
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${4:-$PAUSE}
          imagePullPolicy: Never
${3:-}
EOF
}
service() {
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: $TNS}
spec:
  selector: {app: $2}
  ports: [{port: 80, targetPort: 8080}]
EOF
}
manifests() { local dir="$WORK/$1"; rm -rf "$dir"; mkdir -p "$dir"; cat > "$dir/test.k8s.yaml"; echo "$dir"; }

# deploy_path DIR [ANSIBLE ARGS...]: ansible/deploy.yml as the VM runs it, into $TNS. Output in $out.
deploy_path() {
  local dir=$1; shift
  out=$(ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
    ns timeout 600 ansible-playbook "${DEPLOY_YML:-$REPO_ROOT/ansible/deploy.yml}" -e kubeconfig="$ADMIN_KUBECONFIG" \
      -e manifest_dir="$dir" -e deploy_namespace="$TNS" -e mysql_secret_create=false "$@" 2>&1) && rc=0 || rc=$?
  echo "$out" > "$WORK/last-deploy.log"
}
# failure_msg: the "msg" of the task that failed the last deploy_path run (one line).
failure_msg() {
  sed -n 's/^fatal: \[localhost\]: FAILED! => //p' <<<"$out" | tail -1 |
    python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("msg", ""))' 2>/dev/null
}
recap() { grep -E '^localhost +:' <<<"$out" | tr -s ' '; }
endpoints() { k get endpoints "$1" -n "$TNS" -o jsonpath='{.subsets[*].addresses[*].ip}' 2>/dev/null; }

# --- 1. kubernetes.core tasks of the roles as ansible_local runs them ---------------------------
ensure_prov_user() {
  if ! command -v sudo >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends sudo >/dev/null 2>&1
  fi
  id "$PROV_USER" >/dev/null 2>&1 ||
    useradd --system --create-home --home-dir "/var/lib/$PROV_USER" --shell /bin/bash "$PROV_USER"
  [[ -f /etc/sudoers.d/$PROV_USER ]] ||
    install -m 0440 /dev/stdin "/etc/sudoers.d/$PROV_USER" <<<"$PROV_USER ALL=(ALL) NOPASSWD: ALL"
}
roles_as_vagrant() {
  local roles=${ROLES_DIR:-$REPO_ROOT/ansible/roles} pb="$WORK/role-tasks.yml" json
  ensure_prov_user
  install -m 0600 -o root -g root "$ADMIN_KUBECONFIG" "$WORK/admin.conf"   # like kubeadm's admin.conf
  printf 'kube ansible_connection=local\n' > "$WORK/inventory"
  python3 "$REPO_ROOT/test/provision/role_tasks_playbook.py" "$pb" \
    "$roles/control_plane/tasks/main.yml" "Allow pods on the control-plane node (remove its NoSchedule taint)" \
    "$roles/control_plane/tasks/main.yml" "Wait for the node to become Ready" \
    "$roles/app_image/tasks/main.yml" "Look for a running Deployment that uses the previous image"
  chmod 0644 "$pb" "$WORK/inventory"
  json=$(cd "/var/lib/$PROV_USER" && ns runuser -u "$PROV_USER" -- env HOME="/var/lib/$PROV_USER" \
    ANSIBLE_STDOUT_CALLBACK=ansible.posix.json ANSIBLE_LOCALHOST_WARNING=0 \
    ansible-playbook -i "$WORK/inventory" --limit all "$pb" \
      -e control_plane_admin_kubeconfig="$WORK/admin.conf" -e control_plane_node_name="$NODE_NAME" \
      -e control_plane_ready_timeout=60 -e app_image_kubeconfig="$WORK/admin.conf" \
      -e app_image_deployment=sel -e app_image_namespace="$TNS" 2>"$WORK/roles.err") || true
  python3 - "$json" <<'PY'
import json, sys
try:
    doc = json.loads(sys.argv[1])
except ValueError:
    print("  no JSON result:", sys.argv[1][-400:]); sys.exit(1)
res = [(t["task"]["name"], t["hosts"]["kube"]) for p in doc["plays"] for t in p["tasks"]]
for name, r in res:
    print(f"  {name}: {'FAILED ' + str(r.get('msg'))[:200] if r.get('failed') else 'ok'}")
found = [r for n, r in res if n.startswith("Look for a running Deployment")]
sys.exit(0 if res and not any(r.get("failed") for _, r in res)
         and found and len(found[0].get("resources", [])) == 1 else 1)
PY
}

# --- cases --------------------------------------------------------------------------------------
v1=$( { deployment sel v1; service sel v1; } | manifests v1)
deploy_path "$v1"
check "deploy.yml applies a Deployment and its Service ($(recap))" [ "$rc" = 0 ]
k wait --for=condition=Available deployment/sel -n "$TNS" --timeout=120s >/dev/null || true

check "the roles' kubernetes.core tasks run as unprivileged $PROV_USER with become against a root-only 0600 kubeconfig" roles_as_vagrant

changed_selector_refused() {
  local v2 msg
  v2=$( { deployment sel v2; service sel v2; } | manifests v2)
  deploy_path "$v2"; msg=$(failure_msg)
  echo "  rc=$rc, ${#msg} chars: $msg"
  echo "  service selector: $(k get svc sel -n "$TNS" -o jsonpath='{.spec.selector}'), endpoints: $(endpoints sel)"
  (( rc != 0 )) && [[ $msg == *"spec.selector is immutable"*"recreate_changed_selectors=true"* ]] && (( ${#msg} < 500 )) &&
    [[ $(k get svc sel -n "$TNS" -o jsonpath='{.spec.selector.app}') == v1 && -n $(endpoints sel) ]]
}
check "a changed Deployment selector fails in one short line with the fix; the Service still selects the running pod" changed_selector_refused

changed_selector_recreated() {
  deploy_path "$WORK/v2" -e recreate_changed_selectors=true
  k wait --for=condition=Available deployment/sel -n "$TNS" --timeout=120s >/dev/null || true
  local sel; sel=$(k get deploy sel -n "$TNS" -o jsonpath='{.spec.selector.matchLabels.app}')
  echo "  rc=$rc $(recap); deployment selector app=$sel, service endpoints: $(endpoints sel)"
  (( rc == 0 )) && [[ $sel == v2 && $(k get svc sel -n "$TNS" -o jsonpath='{.spec.selector.app}') == v2 && -n $(endpoints sel) ]]
}
check "-e recreate_changed_selectors=true re-creates it; Service and pods agree again" changed_selector_recreated

not_ready_reasons() {
  local dir msg probe
  probe='          readinessProbe: {tcpSocket: {port: 9}, periodSeconds: 1, failureThreshold: 1}'
  dir=$( { deployment probe probe "$probe"; deployment neverpull neverpull "" localhost/absent:dev; } | manifests notready)
  deploy_path "$dir" -e wait_timeout=25
  msg=$(failure_msg)
  echo "  rc=$rc: $msg"
  (( rc != 0 )) && [[ $msg == *"pod probe-"*" container main: running, not ready: Readiness probe failed: dial tcp "*":9: connect: connection refused"* &&
    $msg == *"pod neverpull-"*" container main: ErrImageNeverPull"* && $msg != *$'\n'* ]]
}
check "deploy.yml's failure line names each pod's waiting reason and latest readiness-probe failure" not_ready_reasons
k delete deployment probe neverpull -n "$TNS" --ignore-not-found --wait=false >/dev/null

# A PV, its pre-bound claim and a pod that mounts it (the chart's code volume, in small).
storage() {
  cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: $PV}
spec:
  capacity: {storage: 1Mi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: $WORK/pv, type: DirectoryOrCreate}
  claimRef: {namespace: $TNS, name: claim}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: $TNS}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: $PV
  resources: {requests: {storage: 1Mi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: $TNS}
data: {greeting: hello}
EOF
  deployment user user '      volumes: [{name: data, persistentVolumeClaim: {claimName: claim}}]' |
    sed 's|^          imagePullPolicy: Never$|          imagePullPolicy: Never\n          volumeMounts: [{name: data, mountPath: /data}]|'
}
st=$(storage | manifests storage)
deploy_path "$st"
check "deploy.yml applies a PV, its claim, a ConfigMap and a pod using the claim ($(recap))" [ "$rc" = 0 ]

rejected_stops_before_services() {
  local dir msg
  # The PV's source is immutable: the API server rejects the changed path.
  dir=$( { storage | sed "s|path: $WORK/pv,|path: $WORK/pv-moved,|"; service sel v3; } | manifests rejected)
  deploy_path "$dir"
  msg=$(failure_msg)
  echo "  rc=$rc, ${#msg} chars: $msg"
  echo "  service sel selector: $(k get svc sel -n "$TNS" -o jsonpath='{.spec.selector}')"
  (( rc != 0 )) && [[ $msg == "PersistentVolume $PV rejected: "*"immutable after creation (no Service was changed; fix the manifest, or delete the object and re-run)" ]] &&
    (( ${#msg} < 400 )) &&
    [[ $(k get svc sel -n "$TNS" -o jsonpath='{.spec.selector.app}') == v2 ]]
}
check "an object the API server rejects is named in one line with the server's reason; no Service is applied after it" rejected_stops_before_services

deleting_recreated() {
  local uid0 uid1 ts
  k patch configmap settings -n "$TNS" --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null
  uid0=$(k get configmap settings -n "$TNS" -o jsonpath='{.metadata.uid}')
  k delete configmap settings -n "$TNS" --wait=false >/dev/null
  # The holder lets go after 25 s: deploy.yml must still be waiting then (an apply during the
  # deletion would report "ok" on an object that vanishes right after).
  ( sleep 25; k patch configmap settings -n "$TNS" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 ) &
  deploy_path "$st"
  wait
  uid1=$(k get configmap settings -n "$TNS" -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
  ts=$(k get configmap settings -n "$TNS" -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null || true)
  echo "  rc=$rc $(recap); ConfigMap uid $uid0 -> $uid1, deletionTimestamp '${ts}'"
  (( rc == 0 )) && [[ -n $uid1 && $uid1 != "$uid0" && -z $ts ]]
}
check "an object being deleted is waited for, then re-created (not reported ok)" deleting_recreated

deleting_blocked() {
  local msg
  k delete pv "$PV" --wait=false >/dev/null
  deploy_path "$st" -e deletion_timeout=6
  msg=$(failure_msg)
  echo "  rc=$rc: $msg"
  (( rc != 0 )) && [[ $msg == *"PersistentVolume $PV is being deleted"*"kubernetes.io/pv-protection"*"delete the claim $TNS/claim"* ]]
}
check "a PV being deleted but held by its bound claim fails clearly, naming the claim to delete" deleting_blocked

finish
