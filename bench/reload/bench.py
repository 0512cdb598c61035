"""npm run bench:reload: the reload supervisor, as synthesized for each runtime preset, against the peers
a developer would otherwise use, side by side in one run (issue 10). Run through bench/reload/run.sh.

Per mechanism: edit -> new response latency (p50/p95/max), the failed requests of a steady client
(>= 20 req/s) during the edits, and broken saves (syntax error held, then fixed). Big trees: idle CPU,
detection time and memory of the supervisor on 10k/50k/200k files. Writes bench/results/reload.json
with per-goal verdicts against the issue's targets.
"""
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "reload"))
import reload_harness as h  # noqa: E402
import apps  # noqa: E402
import goals  # noqa: E402
import provenance  # noqa: E402
import trees  # noqa: E402
from mechanisms import LivenessFloor, Peer, Supervised, file_list, tool  # noqa: E402
from series import Session, summary  # noqa: E402

E = os.environ.get
SETTINGS = {
    "python_edits": int(E("BENCH_EDITS", "100")),
    "python_peer_edits": int(E("BENCH_PEER_EDITS", E("BENCH_EDITS", "100"))),
    "probe_edits": int(E("BENCH_PROBE_EDITS", "10")),
    "node_edits": int(E("BENCH_NODE_EDITS", "30")),
    "go_edits": int(E("BENCH_GO_EDITS", "20")),
    "interval_s": float(E("BENCH_INTERVAL_S", "0.5")),
    "client_rate_per_s": float(E("BENCH_RATE", "25")),
    "broken_saves": int(E("BENCH_BROKEN_SAVES", "3")),
    "broken_hold_s": float(E("BENCH_BROKEN_HOLD_S", "3")),
    "broken_fix_timeout_s": 15.0,
    "idle_window_s": max(10.0, float(E("BENCH_IDLE_S", "30"))),
    "tree_sizes": [int(x) for x in E("BENCH_TREE_SIZES", "10000,50000,200000").split(",")],
    "tree_edits": int(E("BENCH_TREE_EDITS", "5")),
    "idle_edits": int(E("BENCH_IDLE_EDITS", "3")),
    "air_build_delay_ms": 50,
}
PARTS = E("BENCH_PARTS", "python,node,go,trees").split(",")
MECHANISMS = [m for m in E("BENCH_MECHANISMS", "").split(",") if m]   # e.g. "supervisor": only those
OUT = E("BENCH_OUT", os.path.join(h.REPO, "bench", "results", "reload.json"))


def python_env(port):
    """The sample app without its database: required settings present, the DB port closed (the app
    answers 503 for data; the marker route needs none). The secrets come from a Secret in the pod."""
    return {"MYSQL_USERNAME": "bench", "MYSQL_PASSWORD": "bench", "MYSQL_TCP_ADDR": "127.0.0.1",
            "MYSQL_TCP_PORT": str(h.free_port())}


def port_env(port):
    return {"PORT": str(port), "HOST": "127.0.0.1", "GOTOOLCHAIN": "local"}


def peer_env(synth, env):
    """The app's env for a peer: without what points into the supervisor's ConfigMap (the gunicorn
    preset's GUNICORN_CMD_ARGS=--config .../gunicorn.conf.py and its preloading is the product's, not
    something a developer running `gunicorn --reload` has)."""
    files = getattr(synth, "files_dir", None)
    return {k: v for k, v in env.items() if not (files and files in v)}


# (name, token label, edits, broken saves?, factory(tree, state, port, env, extra_env, log) -> mechanism)
def python_mechanisms(synth):
    cmd = synth.app_command
    return [
        ("supervisor", "py-sup", SETTINGS["python_edits"], True,
         lambda t, s, p, env, x, log: Supervised(synth, t, s, cmd(p), x, log)),
        ("gunicorn --reload", "py-gr", SETTINGS["python_peer_edits"], True,
         lambda t, s, p, env, x, log: Peer(["gunicorn", "--reload"] + cmd(p)[1:], t, env, log)),
        ("entr -r", "py-entr", SETTINGS["python_peer_edits"], True,
         lambda t, s, p, env, x, log: Peer(["entr", "-n", "-r"] + cmd(p), t, env, log, stdin_text=file_list(t))),
        ("liveness probe (original, floor)", "py-probe", SETTINGS["probe_edits"], False,
         lambda t, s, p, env, x, log: LivenessFloor(cmd(p), t, env, log, "application.py", s)),
    ]


def node_mechanisms(synth):
    script = synth.app[-1:]            # ["server.js"] of the preset's ["node", "/hot-reload/node-reload.cjs", "server.js"]
    app = [synth.local(a) for a in synth.app]
    n = SETTINGS["node_edits"]
    return [
        ("supervisor", "node-sup", n, True, lambda t, s, p, env, x, log: Supervised(synth, t, s, app, x, log)),
        ("node --watch", "node-watch", n, True, lambda t, s, p, env, x, log: Peer(["node", "--watch"] + script, t, env, log)),
        ("nodemon", "nodemon", n, True, lambda t, s, p, env, x, log: Peer([tool("nodemon")] + script, t, env, log)),
    ]


def go_mechanisms(synth):
    n = SETTINGS["go_edits"]

    def air(t, s, p, env, x, log):
        # air's defaults but a 50 ms debounce (its default is 1 s; the supervisor's is 50 ms), and
        # its build output outside the tree
        out = os.path.join(s, "air")
        return Peer([tool("air"), "-tmp_dir", out, "-build.cmd", f"go build -o {out}/app .", "-build.bin",
                     f"{out}/app", "-build.delay", str(SETTINGS["air_build_delay_ms"])], t, env, log)
    return [
        ("supervisor", "go-sup", n, True, lambda t, s, p, env, x, log: Supervised(synth, t, s, synth.app, x, log)),
        ("air", "air", n, True, air),
    ]


def idle_gap_s(synth):
    """Just over the supervisor's active window (its default, unless the app's env sets one)."""
    default = re.search(r"ACTIVE_WINDOW=\$\{HOT_RELOAD_ACTIVE_WINDOW:-(\d+)\}", open(synth.script).read())
    return float(synth.env.get("HOT_RELOAD_ACTIVE_WINDOW", default.group(1) if default else 60)) + 1.5


def run_mechanism(synth, app, root, extra_env, mech_spec):
    """One mechanism on a fresh tree: edits, then broken saves, under the steady client."""
    name, label, edits, broken, factory = mech_spec
    base = os.path.join(root, label)
    tree, state = os.path.join(base, "code"), os.path.join(base, "state")
    os.makedirs(state)
    app.create(tree, f"{label}-0")
    port = h.free_port()
    extra = extra_env(port)
    env = peer_env(synth, synth.environment(tree, state, extra=extra))
    print(f"  {name}: {edits} edits" + (f", {SETTINGS['broken_saves']} broken saves" if broken else ""), flush=True)
    try:
        mech = factory(tree, state, port, env, extra, os.path.join(base, "output.log"))
    except Exception as e:      # a peer that cannot be started is recorded, never invented
        return {"status": "not-run", "reason": f"{type(e).__name__}: {e}"}
    session = Session(label, app, tree, port, mech, SETTINGS["client_rate_per_s"])
    result = {"status": "ok"}
    try:
        session.start()
        result["edits"] = session.edits(edits, SETTINGS["interval_s"])
        if label == "py-sup" and SETTINGS["idle_edits"]:
            # polling is faster for a while after a change: the first save after a quiet spell, separately
            # (the sample app's only: every preset shares the supervisor's change detection)
            gap = idle_gap_s(synth)
            print(f"    {SETTINGS['idle_edits']} edits, each after {gap:.0f} s without changes", flush=True)
            result["edits_after_idle"] = session.edits(SETTINGS["idle_edits"], gap, lead=gap, tag="idle")
        if broken:
            result["broken_save"] = session.broken_saves(SETTINGS["broken_saves"], SETTINGS["broken_hold_s"],
                                                         SETTINGS["broken_fix_timeout_s"], result["edits"]["p95_s"])
    except Exception as e:
        result.update(status="failed", reason=(f"{e}".splitlines() or [type(e).__name__])[0],
                      log_tail=mech.tail(15).splitlines())
    finally:
        result["client"] = session.stop()
    e = result.get("edits", {})
    print(f"    -> {e.get('p50_s')} / {e.get('p95_s')} / {e.get('max_s')} s, failed requests "
          f"{e.get('requests', {}).get('failed')}; broken save {result.get('broken_save', {}).get('keeps_serving')}"
          f" {result['status']}", flush=True)
    return result


def go_build_floor(synth, root, n):
    """`go build` of the Go app after an edit, the same env as the preset: the floor of any Go reload."""
    tree = os.path.join(root, "go-build", "code")
    apps.GO.create(tree, "build-0")
    env = synth.environment(tree, os.path.join(root, "go-build"), extra=port_env(0))
    out = os.path.join(root, "go-build", "app")
    subprocess.run(["go", "build", "-o", out, "."], cwd=tree, env=env, check=True)    # warm the cache
    times = []
    for i in range(1, n + 1):
        t0 = apps.GO.write(tree, f"build-{i}")
        subprocess.run(["go", "build", "-o", out, "."], cwd=tree, env=env, check=True)
        times.append(time.monotonic() - t0)
    return summary(times)


def python_floors(synth, root, n=10):
    """What any Python reload pays, measured alone: a fresh interpreter, and a fresh interpreter
    importing the sample app (Flask, its modules; what a new worker does without preloading)."""
    tree = os.path.join(root, "py-floor", "code")
    apps.PYTHON.create(tree, "floor-0")
    env = peer_env(synth, synth.environment(tree, os.path.join(root, "py-floor"), extra=python_env(0)))
    out = {}
    for name, code in (("interpreter_start", "pass"), ("import_app", "import application")):
        times = []
        for _ in range(n):
            t0 = time.monotonic()
            subprocess.run(["python3", "-c", code], cwd=tree, env=env, check=True, capture_output=True)
            times.append(time.monotonic() - t0)
        out[name] = summary(times)
    return out


def run_language(lang, synth, app, extra_env, mechs, root):
    print(f"[{lang}] supervisor from {synth.source}", flush=True)
    return {spec[0]: run_mechanism(synth, app, root, extra_env, spec) for spec in mechs
            if not MECHANISMS or spec[0] in MECHANISMS}


def main():
    if (len(PARTS) < 4 or MECHANISMS) and "BENCH_OUT" not in os.environ:
        raise SystemExit(f"BENCH_PARTS={','.join(PARTS)} BENCH_MECHANISMS={','.join(MECHANISMS)} is a partial run: "
                         "set BENCH_OUT to write it elsewhere")
    h.become_subreaper()
    work = tempfile.mkdtemp(prefix="bench-reload-")
    synth_dir = provenance.synthesize(work)
    synths = {d: h.Synthesized(os.path.join(work, d), synth_dir, d) for d in provenance.DEPLOYMENTS}
    result = {"benchmark": "reload, local (npm run bench:reload)",
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "machine": {"cores": os.cpu_count(), "loadavg_start": [round(x, 2) for x in os.getloadavg()]},
              "provenance": provenance.describe(synth_dir, synths), "settings": SETTINGS, "parts": PARTS}
    root = os.path.join(work, "runs")
    try:
        if "python" in PARTS:
            result["python"] = run_language("python", synths["python-mysql"], apps.PYTHON, python_env,
                                            python_mechanisms(synths["python-mysql"]), root)
            result["python"]["floors (python3 alone)"] = python_floors(synths["python-mysql"], root)
        if "node" in PARTS:
            result["node"] = run_language("node", synths["bench-node"], apps.NODE, port_env, node_mechanisms(synths["bench-node"]), root)
        if "go" in PARTS:
            print("[go] build floor: go build after an edit", flush=True)
            floor = go_build_floor(synths["bench-go"], root, SETTINGS["go_edits"])
            result["go"] = {"go build (floor)": floor,
                            **run_language("go", synths["bench-go"], apps.GO, port_env,
                                          go_mechanisms(synths["bench-go"]), root)}
        if "trees" in PARTS:
            print(f"[trees] {SETTINGS['tree_sizes']} files: idle CPU over {SETTINGS['idle_window_s']:.0f} s, "
                  f"{SETTINGS['tree_edits']} detections, memory", flush=True)
            result["trees"] = trees.bench_trees(synths["python-mysql"], root, SETTINGS["tree_sizes"],
                                                SETTINGS["idle_window_s"], SETTINGS["tree_edits"], work)
    except Exception:
        print(f"work dir (logs) kept: {work}", file=sys.stderr)
        raise
    result["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["goals"] = goals.evaluate(result)
    goals.write(OUT, result)
    goals.print_tables(result)
    print(f"\nmachine: {os.cpu_count()} cores, loadavg {result['machine']['loadavg_start']} -> "
          f"{result['machine']['loadavg_end']}; wrote {OUT}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
