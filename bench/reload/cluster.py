"""bench:cluster's driver, called by e2e/bench-cluster.sh (and by e2e/test-cluster.sh for the node preset).
  cluster.py seed ...    a fresh code directory holding the app (--app), to deploy before `run`.
  cluster.py run ...     inside the e2e cluster's network namespace: edits of the app's code (the sample by default) on the
                         pod's hostPath, timed through the NodePort, broken saves, and a steady client
                         counting failed requests. Phases come from the app container's log, which the
                         caller follows into a file with `kubectl logs -f --timestamps` (the container
                         runtime's receive times). Prints one JSON object.
  cluster.py report ...  that object + what the caller saw (restarts, load, manifests) -> cluster.json."""
import argparse
import datetime
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "reload"))
import apps  # noqa: E402
import goals  # noqa: E402
import provenance  # noqa: E402
from series import Session  # noqa: E402


class ContainerLog:
    """The followed container log, with the small interface Session wants from a mechanism."""

    sup = None

    def __init__(self, path):
        self.path = path

    def _raw(self):
        try:
            with open(self.path, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def lines(self, since=0):
        return [ln.split(" ", 1)[1] if " " in ln else ln for ln in self._raw()[since:]]

    def mark(self):
        return len(self._raw())

    def tail(self, n=30):
        return "\n".join(self.lines()[-n:])

    def events(self):
        """(epoch seconds, text) of every line: "2026-11-25T15:50:01.123456789Z text"."""
        out = []
        for ln in self._raw():
            ts, _, text = ln.partition(" ")
            try:
                t = datetime.datetime.fromisoformat(ts[:26].rstrip("Z") + "+00:00").timestamp()
            except ValueError:
                continue
            out.append((t, text))
        return out

    def stop(self):
        pass


def phases(history, events):
    """Per edit, from the supervisor's lines: write -> "change" logged (detect), -> its next line (the
    action's end: restarted / reloaded), -> served through the NodePort."""
    sup = [(t, x) for t, x in events if x.startswith("hot-reload: ")]
    rows = []
    for i, e in enumerate(history):
        end = history[i + 1]["written_at"] if i + 1 < len(history) else float("inf")
        change = next((t for t, x in sup if x.startswith("hot-reload: change") and e["written_at"] - 0.05 <= t < end), None)
        if change is None:
            continue
        act = next((t for t, x in sup if t >= change and not x.startswith("hot-reload: change")), None)
        served = e["written_at"] + e["latency_s"]
        rows.append((change - e["written_at"], (act or served) - change, served - (act or served)))
    if not rows:
        return {}
    med = lambda j: round(statistics.median(r[j] for r in rows), 3)  # noqa: E731
    return {"edits_with_phases": len(rows), "detect_s": med(0), "change_to_action_logged_s": med(1),
            "action_logged_to_served_s": med(2)}


APPS = {"python": apps.PYTHON, "node": apps.NODE}


def seed(a):
    APPS[a.app].create(a.code, "seed")     # run() writes its own first version
    return 0


def run(a):
    log = ContainerLog(a.log)
    app = APPS[a.app]
    session = Session("cl", app, a.code, a.port, log, a.rate, host=a.host)
    app.write(a.code, session.current)      # python: the marker route, one reload before the series
    out = {"status": "ok"}
    try:
        session.start(timeout=180)
        out["edits"] = session.edits(a.edits, a.interval)
        if a.broken_saves:
            out["broken_save"] = session.broken_saves(a.broken_saves, 3.0, 30.0, out["edits"]["p95_s"])
    except Exception as e:
        out.update(status="failed", reason=str(e).splitlines()[0] if str(e) else type(e).__name__,
                   log_tail=log.tail(20).splitlines())
    finally:
        out["client"] = session.stop()
    time.sleep(2)                                    # the last log lines reach the followed file
    out["phases"] = phases(session.history, log.events())
    out["per_edit"] = session.history
    json.dump(out, sys.stdout, indent=2)
    return 0 if out["status"] == "ok" else 1


def chart_sha256(manifest_dir):
    return {m: provenance.sha256_file(os.path.join(manifest_dir, m))
            for m in sorted(os.listdir(manifest_dir)) if m.endswith(".k8s.yaml")}


def report(a):
    with open(a.driver) as f:
        res = json.load(f)
    facts = json.loads(a.facts)
    node_restarts = facts.pop("node_container_restarts", None)
    result = {"benchmark": "reload in real pods through NodePort 31000 (the sample) and 31001 (the node preset) (npm run bench:cluster)", **facts,
              "provenance": {"source_commit": os.environ.get("BENCH_SOURCE_COMMIT") or provenance.git("rev-parse", "HEAD"),
                             "chart_sha256": chart_sha256(a.manifests),
                             "supervisor_sha256": provenance.sha256_file(a.supervisor),
                             "app_container": json.loads(a.container)},
              "supervisor": res}
    if a.node_driver:
        with open(a.node_driver) as f:
            result["node_preset"] = {"chart_sha256": chart_sha256(a.node_manifests), "container_restarts": node_restarts,
                                     "supervisor": json.load(f)}
    result["goals"] = goals.evaluate_cluster(result)
    goals.write(a.out, result)
    goals.print_cluster(result)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--app", choices=sorted(APPS), required=True)
    s.add_argument("--code", required=True, help="the directory to (re)create")
    r = sub.add_parser("run")
    r.add_argument("--app", choices=sorted(APPS), default="python")
    r.add_argument("--host", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--code", required=True, help="the hostPath directory the app pod mounts")
    r.add_argument("--log", required=True, help="file the caller follows the app container's log into")
    r.add_argument("--edits", type=int, default=50)
    r.add_argument("--rate", type=float, default=25.0)
    r.add_argument("--interval", type=float, default=0.5)
    r.add_argument("--broken-saves", type=int, default=3)
    p = sub.add_parser("report")
    p.add_argument("--driver", required=True, help="the JSON `run` printed")
    p.add_argument("--manifests", required=True, help="the synthesized manifests that were applied")
    p.add_argument("--supervisor", required=True, help="the supervisor script from their ConfigMap")
    p.add_argument("--container", required=True, help="the app container's image/command/resources (JSON)")
    p.add_argument("--facts", required=True, help="date, kubernetes, machine, restarts (JSON)")
    p.add_argument("--node-driver", help="the JSON `run --app node` printed (the node preset's series)")
    p.add_argument("--node-manifests", help="the node preset's manifests that were applied")
    p.add_argument("--out", required=True)
    a = ap.parse_args()
    return {"seed": seed, "run": run, "report": report}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
