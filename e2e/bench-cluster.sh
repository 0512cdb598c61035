#!/usr/bin/env bash
# npm run bench:cluster — the shipped chart's reload in real pods on the e2e cluster (issue 10).
# The chart as main.ts synthesizes it (only the e2e image/path overrides), deployed by ansible/deploy.yml;
# then BENCH_EDITS (50) edits of application.py on the pod's hostPath, each timed until NodePort 31000
# serves the new code, while a steady client (BENCH_RATE, 25 req/s) counts connection errors, 5xx and
# bodies that are neither the old nor the new code; then BENCH_BROKEN_SAVES (3) syntax errors, each held
# 3 s and fixed. Then the same series for the node preset (e2e/node-chart.ts, NodePort 31001). Phases
# come from the supervisor's own log lines (kubectl logs --timestamps, kept in the cluster's logs dir);
# restarts from the container's restartCount. No resource is changed from what the chart ships (the app's
# resources are recorded in the result). Writes bench/results/cluster.json (BENCH_OUT) and prints a table.
# The cluster is shared: run it as `flock /tmp/team/e2e-cluster.lock npm run bench:cluster`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster/env.sh"
source "$REPO_ROOT/e2e/lib/cluster-e2e.sh"
[[ $EUID -eq 0 ]] || { echo "bench-cluster.sh: must run as root (the e2e cluster needs it)" >&2; exit 1; }

EDITS=${BENCH_EDITS:-50}
RATE=${BENCH_RATE:-25}
BROKEN=${BENCH_BROKEN_SAVES:-3}
OUT_JSON=${BENCH_OUT:-$REPO_ROOT/bench/results/cluster.json}
DRIVER="$REPO_ROOT/bench/reload/cluster.py"

WORK=$(mktemp -d /var/tmp/hot-reload-bench.XXXXXX)
LOG_PID=
cleanup() {
  local rc=$?
  [[ -n $LOG_PID ]] && kill "$LOG_PID" 2>/dev/null
  if cluster_ready 2>/dev/null && [[ -d $WORK/manifests ]]; then delete_objects "$WORK/manifests"; fi
  if cluster_ready 2>/dev/null && [[ -d $WORK/node-manifests ]]; then delete_objects "$WORK/node-manifests"; fi
  rm -rf "$WORK"
  if (( E2E_STARTED_CLUSTER == 1 )) && [[ ${KEEP_CLUSTER:-0} != 1 ]]; then bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT

loadavg() { python3 -c 'import os, json; print(json.dumps([round(x, 2) for x in os.getloadavg()]))'; }
LOAD_START=$(loadavg)

ensure_cluster
prepare_dirs "$WORK"
say "deploying the chart (supervisor strategy)"
synth "$WORK" supervisor
delete_objects "$WORK/manifests"
create_secret
deploy "$WORK/manifests" "$LOGS/bench-deploy.log"
k rollout status deploy/mysql -n default --timeout=300s >/dev/null
k rollout status deploy/python-mysql -n default --timeout=300s >/dev/null
k wait --for=condition=Ready pods --all -n default --timeout=180s >/dev/null
pod=$(app_pod)
restarts_before=$(restarts "$pod" app)

# What is measured: the supervisor script from the applied ConfigMap, the app container as applied.
python3 - "$WORK/manifests" "$WORK" <<'PY'
import glob, json, sys, yaml
objs = [d for p in sorted(glob.glob(sys.argv[1] + "/*.k8s.yaml")) for d in yaml.safe_load_all(open(p)) if d]
dep = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "python-mysql")
c = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "app")
cm = next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "python-mysql-supervisor")
open(sys.argv[2] + "/supervisor.sh", "w").write(cm["data"]["supervisor.sh"])
json.dump({k: c.get(k) for k in ("image", "command", "resources")} | {"env": {e["name"]: e.get("value") for e in c.get("env", []) if "value" in e}},
          open(sys.argv[2] + "/container.json", "w"))
PY

k logs -f --timestamps "$pod" -c app > "$LOGS/bench-app.log" 2>&1 &
LOG_PID=$!
say "$EDITS edits + $BROKEN broken saves through NodePort $E2E_NODEPORT, steady client at $RATE req/s"
rc=0
ns python3 "$DRIVER" run --host "$NODE_IP" --port "$E2E_NODEPORT" --code "$WORK/code" --log "$LOGS/bench-app.log" \
  --edits "$EDITS" --rate "$RATE" --broken-saves "$BROKEN" > "$WORK/driver.json" || rc=$?
kill "$LOG_PID" 2>/dev/null || true; LOG_PID=
restarts_after=$(restarts "$pod" app)

say "the node preset: deploying e2e/node-chart.ts"
deploy_node_preset "$WORK" "$LOGS/bench-deploy-node.log"
npod=$(node_pod)
node_restarts_before=$(restarts "$npod" app)
k logs -f --timestamps "$npod" -c app > "$LOGS/bench-node-app.log" 2>&1 &
LOG_PID=$!
say "$EDITS edits + $BROKEN broken saves of the node preset through NodePort $E2E_NODE_NODEPORT, steady client at $RATE req/s"
ns python3 "$DRIVER" run --app node --host "$NODE_IP" --port "$E2E_NODE_NODEPORT" --code "$WORK/node-code" \
  --log "$LOGS/bench-node-app.log" --edits "$EDITS" --rate "$RATE" --broken-saves "$BROKEN" > "$WORK/node-driver.json" || rc=$?
kill "$LOG_PID" 2>/dev/null || true; LOG_PID=
node_restarts_after=$(restarts "$npod" app)

facts=$(python3 - "$restarts_before" "$restarts_after" "$K8S_VERSION" "$LOAD_START" "$(loadavg)" "$EDITS" "$RATE" \
  "$node_restarts_before" "$node_restarts_after" <<'PY'
import datetime, json, os, sys
b, a, k8s, ls, le, edits, rate, nb, na = sys.argv[1:]
print(json.dumps({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "kubernetes": k8s, "settings": {"edits": int(edits), "client_rate_per_s": float(rate)},
                  "container_restarts": int(a) - int(b) if a and b else None,
                  "node_container_restarts": int(na) - int(nb) if na and nb else None,
                  "machine": {"cores": os.cpu_count(), "loadavg_start": json.loads(ls), "loadavg_end": json.loads(le)}}))
PY
)
mkdir -p "$(dirname "$OUT_JSON")"
python3 "$DRIVER" report --driver "$WORK/driver.json" --manifests "$WORK/manifests" --supervisor "$WORK/supervisor.sh" \
  --node-driver "$WORK/node-driver.json" --node-manifests "$WORK/node-manifests" \
  --container "$(cat "$WORK/container.json")" --facts "$facts" --out "$OUT_JSON"
(( rc == 0 )) || { echo "bench-cluster.sh: an edit series failed (see \"supervisor\" and \"node_preset\" in $OUT_JSON); last app log lines:" >&2
  tail -n 20 "$LOGS/bench-app.log" "$LOGS/bench-node-app.log" >&2; exit 1; }
say "results: $OUT_JSON"
