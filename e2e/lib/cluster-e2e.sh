# shellcheck shell=bash
# Shared helpers for e2e/test-cluster.sh and e2e/bench-cluster.sh (sourced after e2e/cluster/env.sh).
# They drive the e2e cluster of e2e/cluster/up.sh: everything that talks to the node runs inside
# its network namespace through e2e/cluster/ns-exec.sh.

# --- Interface with the chart (main.ts) -------------------------------------------------------
# main.ts reads its e2e overrides from the environment: DEVENV_APP_IMAGE, DEVENV_MYSQL_IMAGE,
# DEVENV_CODE_PATH, DEVENV_MYSQL_DATA_PATH, DEVENV_RELOAD_STRATEGY (supervisor|restart-container);
# E2E_SYNTH_CMD is run in the repo root with those set and "--output DIR" appended.
# --no-check-upgrade: the CLI's upgrade check is a network call (a 404 stack trace offline).
E2E_SYNTH_CMD="${E2E_SYNTH_CMD:-npx cdk8s synth --no-check-upgrade}"
E2E_APP_IMAGE=localhost/python-mysql:dev
E2E_MYSQL_IMAGE=localhost/mariadb:dev
E2E_NODEPORT=31000

ns() { bash "$CLUSTER_DIR/ns-exec.sh" "$@"; }
k() { bash "$CLUSTER_DIR/kubectl.sh" "$@"; }

say() { echo "[e2e $(date -u +%H:%M:%S)] $*"; }

# cluster_ready: API server answers and the node is Ready.
cluster_ready() {
  [[ -e $NETNS_PATH && -s $ADMIN_KUBECONFIG ]] || return 1
  k get --raw /readyz >/dev/null 2>&1 &&
    [[ "$(k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# ensure_cluster: reuse a running cluster, else bring one up and remember to take it down.
E2E_STARTED_CLUSTER=0
ensure_cluster() {
  if cluster_ready; then say "reusing the running e2e cluster"; return 0; fi
  say "bringing the e2e cluster up (e2e/cluster/up.sh)"
  E2E_STARTED_CLUSTER=1
  bash "$CLUSTER_DIR/up.sh"
}

# prepare_dirs WORK: host directories that back the hostPath volumes. WORK must be traversable by
# the app's uid 10001 (read-only code mount) and the database's own user.
prepare_dirs() {
  local work=$1
  chmod 0755 "$work"
  mkdir -p "$work/code" "$work/mysql-data" "$work/manifests"
  tar -C "$REPO_ROOT/python-mysql" --exclude=tests --exclude=__pycache__ --exclude=.venv --exclude='*.pyc' -cf - . |
    tar -C "$work/code" --no-same-owner -xf -
  chmod -R a+rX "$work/code"
}

# synth WORK STRATEGY: manifests into WORK/manifests, then check the overrides really landed.
synth() {
  local work=$1 strategy=$2 out="$1/manifests" f
  if [[ $E2E_SYNTH_CMD == "npx cdk8s synth"* && ! -x $REPO_ROOT/node_modules/.bin/cdk8s ]]; then
    say "installing the chart's npm dependencies (npm ci)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund >/dev/null) || { echo "e2e: npm ci failed in $REPO_ROOT" >&2; return 1; }
  fi
  rm -rf "$out"; mkdir -p "$out"
  (cd "$REPO_ROOT" && DEVENV_APP_IMAGE="$E2E_APP_IMAGE" DEVENV_MYSQL_IMAGE="$E2E_MYSQL_IMAGE" \
    DEVENV_CODE_PATH="$work/code" DEVENV_MYSQL_DATA_PATH="$work/mysql-data" DEVENV_RELOAD_STRATEGY="$strategy" \
    $E2E_SYNTH_CMD --output "$out" > "$work/synth.log" 2>&1) \
    || { echo "e2e: synthesis failed ($E2E_SYNTH_CMD):" >&2; tail -n 20 "$work/synth.log" >&2; return 1; }
  compgen -G "$out/*.k8s.yaml" >/dev/null || { echo "e2e: synthesis wrote no $out/*.k8s.yaml" >&2; return 1; }
  for f in "$work/code" "$work/mysql-data" "$E2E_APP_IMAGE" "$E2E_MYSQL_IMAGE"; do
    grep -qF -- "$f" "$out"/*.k8s.yaml || { echo "e2e: override '$f' is not in the synthesized manifests ($out)" >&2; return 1; }
  done
}

# manifest_objects DIR: "kind namespace name" per object in DIR/*.k8s.yaml (namespace "-" if cluster-scoped).
manifest_objects() {
  python3 - "$1" <<'PY'
import glob, sys, yaml
for path in sorted(glob.glob(sys.argv[1] + "/*.k8s.yaml")):
    with open(path) as fh:
        for doc in yaml.safe_load_all(fh):
            if not doc:
                continue
            md = doc.get("metadata", {})
            cluster_scoped = doc["kind"] in ("PersistentVolume", "Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass")
            ns = "-" if cluster_scoped else md.get("namespace", "default")
            print(doc["kind"], ns, md["name"])
PY
}

# delete_objects DIR: remove what a previous run applied from these manifests (and the secret).
delete_objects() {
  compgen -G "$1/*.k8s.yaml" >/dev/null || return 0
  k delete -f "$1" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  k delete secret mysql-credentials -n default --ignore-not-found >/dev/null 2>&1 || true
}

# create_secret: the credentials the chart references but never contains; random each run.
create_secret() {
  local pw rootpw
  pw=$(openssl rand -hex 16); rootpw=$(openssl rand -hex 16)
  k create secret generic mysql-credentials -n default \
    --from-literal=username=hotreload --from-literal=password="$pw" --from-literal=root-password="$rootpw" >/dev/null
}

# ensure_ansible_deps: what ansible/deploy.yml needs on the controller (kubernetes.core wants the
# python kubernetes client in the interpreter Debian's ansible runs on, /usr/bin/python3).
ensure_ansible_deps() {
  local need=()
  command -v ansible-playbook >/dev/null || need+=(ansible)
  /usr/bin/python3 -c 'import kubernetes' 2>/dev/null || need+=(python3-kubernetes)
  if (( ${#need[@]} )); then
    say "installing ${need[*]} (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >/dev/null \
      || { echo "e2e: apt-get install ${need[*]} failed" >&2; return 1; }
  fi
}

# deploy MANIFEST_DIR LOG: the same deploy play the VM runs, against the e2e cluster.
deploy() {
  local dir=$1 log=$2
  [[ -f $REPO_ROOT/ansible/deploy.yml ]] || { echo "e2e: $REPO_ROOT/ansible/deploy.yml missing" >&2; return 1; }
  ensure_ansible_deps
  ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
    ns timeout 900 ansible-playbook -i localhost, -c local "$REPO_ROOT/ansible/deploy.yml" \
    -e kubeconfig="$ADMIN_KUBECONFIG" -e manifest_dir="$dir" ${E2E_ANSIBLE_ARGS:-} > "$log" 2>&1 \
    || { echo "e2e: ansible-playbook ansible/deploy.yml failed; last lines of $log:" >&2; tail -n 30 "$log" >&2; return 1; }
}

# http METHOD PATH [BODY]: request through the NodePort on the node IP (kube-proxy's rules);
# prints "STATUS BODY".
http() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS -m 5 -o - -w '\n%{http_code}' -X "$method")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  local out; out=$(ns curl "${args[@]}" "http://$NODE_IP:$E2E_NODEPORT$path" 2>/dev/null) || return 1
  echo "${out##*$'\n'} ${out%$'\n'*}"
}

# app_pod: name of the running python-mysql pod.
app_pod() { k get pods -n default -l "$(selector_of python-mysql)" -o jsonpath='{.items[0].metadata.name}'; }
# selector_of DEPLOYMENT: its matchLabels as a kubectl label selector.
selector_of() {
  k get deploy "$1" -n default -o json | python3 -c 'import json,sys; print(",".join(f"{k}={v}" for k,v in json.load(sys.stdin)["spec"]["selector"]["matchLabels"].items()))'
}
# restarts POD CONTAINER: the container's restartCount.
restarts() { k get pod "$1" -n default -o jsonpath="{.status.containerStatuses[?(@.name==\"$2\")].restartCount}"; }

# set_marker CODE TOKEN: the original application.py plus one route that returns TOKEN.
set_marker() {
  local code=$1 token=$2
  { cat "$REPO_ROOT/python-mysql/application.py"
    printf '\n\n# e2e edit\napplication.add_url_rule("/e2e-marker", "e2e_marker", lambda: "%s\\n")\n' "$token"
  } > "$code/application.py.tmp"
  chmod a+r "$code/application.py.tmp"
  mv "$code/application.py.tmp" "$code/application.py"   # atomic: the watcher never sees half a file
}

# wait_marker TOKEN TIMEOUT_S: poll the NodePort until /e2e-marker returns TOKEN; prints the seconds
# it took (3 decimals). Fails after TIMEOUT_S.
wait_marker() {
  local token=$1 timeout=$2 start now
  start=$(date +%s.%N)
  while :; do
    if [[ "$(ns curl -sS -m 2 "http://$NODE_IP:$E2E_NODEPORT/e2e-marker" 2>/dev/null)" == "$token" ]]; then
      now=$(date +%s.%N); awk -v a="$start" -v b="$now" 'BEGIN{printf "%.3f\n", b-a}'; return 0
    fi
    now=$(date +%s.%N)
    awk -v a="$start" -v b="$now" -v t="$timeout" 'BEGIN{exit !(b-a > t)}' && return 1
    sleep 0.05
  done
}

# --- The node preset's app (e2e/node-chart.ts), next to the sample ------------------------------------
E2E_NODE_NODEPORT=31001

# deploy_node_preset WORK LOG: seeds WORK/node-code with the reload bench's node app, synthesizes
# e2e/node-chart.ts (ReloadPresets.node() on that hostPath) into WORK/node-manifests and applies it with
# the deploy play, which waits until the Deployment is available.
deploy_node_preset() {
  local work=$1 log=$2 code="$1/node-code" out="$1/node-manifests"
  python3 "$REPO_ROOT/bench/reload/cluster.py" seed --app node --code "$code" && chmod -R a+rX "$code" || return 1
  (cd "$REPO_ROOT" && npx ts-node --transpile-only e2e/node-chart.ts "$out" "$code" "$E2E_NODE_NODEPORT") \
    >"$work/node-synth.log" 2>&1 || { echo "e2e: e2e/node-chart.ts failed:" >&2; tail -n 20 "$work/node-synth.log" >&2; return 1; }
  k delete -f "$out" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true   # an interrupted run's
  deploy "$out" "$log"
}
node_pod() { k get pods -n default -l "$(selector_of node-app)" -o jsonpath='{.items[0].metadata.name}'; }
