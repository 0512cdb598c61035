#!/usr/bin/env bash
# Reload benchmark in real pods on the e2e cluster: BENCH_EDITS (default 20) consecutive edits of
# application.py for each reload strategy of the chart:
#   supervisor         the reload supervisor restarts the app inside the running container
#   restart-container  the original idea: a liveness probe notices the change and the kubelet
#                      restarts the container (subject to its crash-loop backoff)
# Per edit: latency from the write until the NodePort serves the new code, the container's
# restartCount, and the kubelet back-off before the container started again (restart-container).
# Writes bench/results/cluster.json and prints a table.
#   BENCH_EDIT_TIMEOUT_S   give up on one edit after this long (default 330: the 300 s backoff cap + probes)
#   BENCH_BUDGET_S         stop a strategy's series after this long (default 1200); edits not run
#                          are recorded as such, never invented
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster/env.sh"
source "$REPO_ROOT/e2e/lib/cluster-e2e.sh"
[[ $EUID -eq 0 ]] || { echo "bench-cluster.sh: must run as root (the e2e cluster needs it)" >&2; exit 1; }

EDITS=${BENCH_EDITS:-20}
EDIT_TIMEOUT=${BENCH_EDIT_TIMEOUT_S:-330}
BUDGET=${BENCH_BUDGET_S:-1200}
OUT_JSON="$REPO_ROOT/bench/results/cluster.json"

WORK=$(mktemp -d /var/tmp/hot-reload-bench.XXXXXX)
cleanup() {
  local rc=$?
  if cluster_ready 2>/dev/null && [[ -d $WORK/manifests ]]; then delete_objects "$WORK/manifests"; fi
  rm -rf "$WORK"
  if (( E2E_STARTED_CLUSTER == 1 )) && [[ ${KEEP_CLUSTER:-0} != 1 ]]; then bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true; fi
  exit "$rc"
}
trap cleanup EXIT

ensure_cluster
prepare_dirs "$WORK"
RESULTS="$WORK/results.tsv"   # strategy edit status latency restarts backoff
: > "$RESULTS"

# backoff_of POD: seconds between the previous container's end and the current one's start.
backoff_of() {
  k get pod "$1" -n default -o json | python3 -c '
import json, sys
from datetime import datetime
cs = [c for c in json.load(sys.stdin)["status"]["containerStatuses"] if c["name"] == "app"][0]
end = cs.get("lastState", {}).get("terminated", {}).get("finishedAt")
start = cs.get("state", {}).get("running", {}).get("startedAt")
p = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
print(int((p(start) - p(end)).total_seconds()) if end and start else "")'
}

run_series() {
  local strategy=$1 i token lat pod rs bo start
  say "== $strategy: deploying"
  synth "$WORK" "$strategy"
  delete_objects "$WORK/manifests"
  create_secret
  deploy "$WORK/manifests" "$LOGS/bench-deploy-$strategy.log"
  k rollout status deploy/mysql -n default --timeout=300s >/dev/null
  k rollout status deploy/python-mysql -n default --timeout=300s >/dev/null
  k wait --for=condition=Ready pods --all -n default --timeout=120s >/dev/null
  pod=$(app_pod)
  start=$(date +%s)
  for i in $(seq 1 "$EDITS"); do
    if (( $(date +%s) - start > BUDGET )); then
      echo -e "$strategy\t$i\tnot-run-budget\t\t\t" >> "$RESULTS"; continue
    fi
    token="$strategy-$i-$RANDOM"
    set_marker "$WORK/code" "$token"
    if lat=$(wait_marker "$token" "$EDIT_TIMEOUT"); then status=ok; else status=timeout; lat=""; fi
    rs=$(restarts "$pod" app); bo=""
    [[ $strategy == restart-container && $rs != 0 ]] && bo=$(backoff_of "$pod")
    echo -e "$strategy\t$i\t$status\t$lat\t$rs\t$bo" >> "$RESULTS"
    say "$strategy edit $i: $status ${lat:+${lat}s} restarts=$rs ${bo:+backoff=${bo}s}"
    # Next edit only once the pod serves again (restart-container: after the kubelet restarted it).
    k wait --for=condition=Ready "pod/$pod" -n default --timeout="${EDIT_TIMEOUT}s" >/dev/null 2>&1 || true
    sleep 1
  done
  delete_objects "$WORK/manifests"
}

run_series supervisor
run_series restart-container

mkdir -p "$(dirname "$OUT_JSON")"
python3 - "$RESULTS" "$OUT_JSON" "$EDITS" "$EDIT_TIMEOUT" "$BUDGET" "$K8S_VERSION" <<'PY'
import json, statistics, sys, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out = {"benchmark": "hot reload in real pods (e2e cluster)",
       "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
       "kubernetes": sys.argv[6], "edits_per_strategy": int(sys.argv[3]),
       "edit_timeout_s": int(sys.argv[4]), "budget_s": int(sys.argv[5]), "strategies": {}}
for strat in ("supervisor", "restart-container"):
    edits = []
    for s, i, status, lat, rs, bo in (r + [""] * (6 - len(r)) for r in rows if r[0] == strat):
        edits.append({"edit": int(i), "status": status, "latency_s": float(lat) if lat else None,
                      "restart_count": int(rs) if rs else None, "backoff_s": int(bo) if bo else None})
    lats = [e["latency_s"] for e in edits if e["latency_s"] is not None]
    summary = {"served": len(lats), "timeouts": sum(e["status"] == "timeout" for e in edits),
               "not_run_budget": sum(e["status"] == "not-run-budget" for e in edits),
               "container_restarts": max([e["restart_count"] for e in edits if e["restart_count"] is not None], default=None),
               "max_backoff_s": max([e["backoff_s"] for e in edits if e["backoff_s"] is not None], default=None)}
    if lats:
        summary.update(median_s=round(statistics.median(lats), 3), mean_s=round(statistics.mean(lats), 3),
                       max_s=round(max(lats), 3), first_s=lats[0], last_s=lats[-1])
    out["strategies"][strat] = {"summary": summary, "edits": edits}
json.dump(out, open(sys.argv[2], "w"), indent=2)
open(sys.argv[2], "a").write("\n")
sup, rc = out["strategies"]["supervisor"]["edits"], out["strategies"]["restart-container"]["edits"]
f = lambda v, fmt="{:.2f}": "-" if v is None else fmt.format(v)
print(f"{'edit':>4} | {'supervisor s':>12} {'restarts':>8} | {'restart-container s':>19} {'restarts':>8} {'backoff s':>9}")
for a, b in zip(sup, rc):
    print(f"{a['edit']:>4} | {f(a['latency_s']) if a['status']=='ok' else a['status']:>12} {f(a['restart_count'],'{}'):>8} | "
          f"{f(b['latency_s']) if b['status']=='ok' else b['status']:>19} {f(b['restart_count'],'{}'):>8} {f(b['backoff_s'],'{}'):>9}")
for strat, v in out["strategies"].items():
    print(strat, json.dumps(v["summary"]))
PY
say "results: $OUT_JSON"
