"""Reload benchmark: the synthesized supervisor vs the alternatives, on the same Flask app and tree.

Run through bench/reload/run.sh (it prepares the venv and entr). Writes bench/results/reload.json.
Latency = from the moment the edited file is closed to the first HTTP response carrying the new content.
"""
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "reload"))
import reload_harness as h  # noqa: E402

EDITS = int(os.environ.get("BENCH_EDITS", "100"))
PEER_EDITS = int(os.environ.get("BENCH_PEER_EDITS", str(EDITS)))
PROBE_EDITS = int(os.environ.get("BENCH_PROBE_EDITS", "10"))   # each takes 4-6 s by design
INTERVAL = float(os.environ.get("BENCH_INTERVAL_S", "0.5"))
IDLE_S = max(30.0, float(os.environ.get("BENCH_IDLE_S", "30")))
TREE_FILES = 10_000
EDIT_TIMEOUT = 30.0
OUT = os.environ.get("BENCH_OUT", os.path.join(h.REPO, "bench", "results", "reload.json"))


def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def summary(lat):
    return {"p50_s": round(statistics.median(lat), 3), "p95_s": round(pct(lat, 95), 3),
            "max_s": round(max(lat), 3), "n": len(lat)}


def wait_serving(port, token, timeout):
    body = h.wait_until(lambda: (h.http_get(port, 0.5) or "").startswith(token + " ") or None,
                        timeout, step=0.01)
    return bool(body)


def run_edits(name, tree, port, edits, sup=None, phases=None):
    """Edit application.py `edits` times; latency of each edit until served.
    With sup, phases gets (detect, restart, boot) per edit from the supervisor's log line arrival times."""
    # Let every mechanism settle first: gunicorn's reloader records the files' mtimes on its first pass,
    # and an edit before that pass would never be seen.
    time.sleep(2)
    lat = []
    for i in range(1, edits + 1):
        token = f"{name}-{i}"
        mark = sup.mark() if sup else 0
        t0 = h.write_file(os.path.join(tree, "application.py"), h.app_source(token))
        deadline = t0 + EDIT_TIMEOUT
        while True:
            body = h.http_get(port, 0.5)
            now = time.monotonic()
            if body and body.startswith(token + " "):
                lat.append(now - t0)
                if sup is not None:
                    ch = sup.log(r"^hot-reload: change: ", mark)
                    rs = sup.log(r"^hot-reload: restarted", mark)
                    if ch and rs:
                        phases.append((ch[0][0] - t0, rs[0][0] - ch[0][0], now - rs[0][0]))
                break
            if now > deadline:
                raise RuntimeError(f"{name}: edit {i} not served within {EDIT_TIMEOUT}s (last body {body!r})")
            time.sleep(0.01)
        time.sleep(INTERVAL)
    return lat


def start_group(argv, cwd, env, **kw):
    return subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, stdin=kw.pop("stdin", subprocess.DEVNULL),
                            stdout=kw.pop("stdout", subprocess.DEVNULL), stderr=subprocess.STDOUT, **kw)


def stop_group(proc, grace=5):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue


def bench_supervisor(synth, tree, state, log):
    port = h.free_port()
    h.write_file(os.path.join(tree, "application.py"), h.app_source("sup-0"))
    sup = h.Supervisor(synth, tree, state, synth.app_command(port), log_path=log)
    try:
        if not wait_serving(port, "sup-0", 60):
            raise RuntimeError("supervisor: app never served\n" + sup.tail())
        phases = []
        lat = run_edits("sup", tree, port, EDITS, sup, phases)
        restarts = len(sup.log(r"^hot-reload: restarted"))
    finally:
        sup.stop()
    breakdown = {k: round(statistics.median(p[j] for p in phases), 3)
                 for j, k in enumerate(("detect_s", "stop_start_s", "boot_to_served_s"))} if phases else {}
    return lat, restarts, breakdown


def bench_gunicorn_reload(synth, tree, env):
    port = h.free_port()
    h.write_file(os.path.join(tree, "application.py"), h.app_source("gr-0"))
    proc = start_group(["gunicorn", "--reload"] + synth.app_command(port)[1:], tree, env)
    return edit_peer("gr", "gunicorn --reload", proc, tree, port)


def bench_entr(synth, tree, env):
    port = h.free_port()
    h.write_file(os.path.join(tree, "application.py"), h.app_source("entr-0"))
    files = subprocess.run(["find", ".", "-type", "f"], cwd=tree, capture_output=True, text=True, check=True).stdout
    # entr -r: restart the server when a listed file changes; -n: no TTY (CI)
    proc = start_group(["entr", "-n", "-r"] + synth.app_command(port), tree, env, stdin=subprocess.PIPE)
    proc.stdin.write(files.encode())
    proc.stdin.close()
    return edit_peer("entr", "entr", proc, tree, port)


def edit_peer(label, name, proc, tree, port):
    """PEER_EDITS edits against a started peer reloader serving content "<label>-0"; stops it after."""
    try:
        if not wait_serving(port, f"{label}-0", 60):
            raise RuntimeError(f"{name} never served")
        return run_edits(label, tree, port, PEER_EDITS)
    finally:
        stop_group(proc)


def bench_liveness_floor(synth, tree, env, state):
    """The original system's detection loop at its own settings, with an instant, backoff-free restart:
    `cmp application.py baseline` every periodSeconds=2 s, restart after failureThreshold=3 failures.
    The kubelet's container re-creation and its 10 s..300 s restart backoff come on top in reality."""
    port = h.free_port()
    app = os.path.join(tree, "application.py")
    baseline = os.path.join(state, "temp.py")
    h.write_file(app, h.app_source("probe-0"))
    stop = threading.Event()
    box = {}

    def start():
        shutil.copyfile(app, baseline)          # the original copied application.py -> temp.py at start
        box["proc"] = start_group(synth.app_command(port), tree, env)

    def kubelet():
        failures = 0
        while not stop.wait(2.0):               # periodSeconds: 2
            rc = subprocess.run(["cmp", "-s", app, baseline]).returncode
            failures = failures + 1 if rc != 0 else 0
            if failures >= 3:                   # failureThreshold: 3
                stop_group(box["proc"])
                start()
                failures = 0

    start()
    t = threading.Thread(target=kubelet, daemon=True)
    t.start()
    try:
        if not wait_serving(port, "probe-0", 60):
            raise RuntimeError("liveness-probe floor: app never served")
        return run_edits("probe", tree, port, PROBE_EDITS)
    finally:
        stop.set()
        t.join(5)
        stop_group(box["proc"])


def bench_tree_10k(synth, root, log):
    """Idle CPU of the supervisor alone (app = sleep) on a 10,000-file tree, and time to notice a change."""
    tree = os.path.join(root, "tree10k")
    state = os.path.join(root, "state10k")
    for d in range(100):
        os.makedirs(os.path.join(tree, f"pkg{d:02d}"))
        for f in range(100):
            with open(os.path.join(tree, f"pkg{d:02d}", f"mod{f:02d}.py"), "w") as fh:
                fh.write(f"X = {d * 100 + f}\n")
    sup = h.Supervisor(synth, tree, state, ["sleep", "100000"], log_path=log)
    try:
        if not sup.wait_log(r"^hot-reload: watching", 60):
            raise RuntimeError("tree_10k: supervisor did not start\n" + sup.tail())
        time.sleep(5)                            # let the interval stretch settle
        c0, t0 = sup.cpu_ticks(), time.monotonic()
        time.sleep(IDLE_S)
        c1, t1 = sup.cpu_ticks(), time.monotonic()
        idle_pct = (c1 - c0) / h.CLK_TCK / (t1 - t0) * 100
        detects = []
        for i in range(5):
            mark = sup.mark()
            tw = h.write_file(os.path.join(tree, "pkg50", "mod50.py"), f"X = {i}\n")
            hit = sup.wait_log(r"^hot-reload: change: ", 60, since=mark)
            if not hit:
                raise RuntimeError("tree_10k: change not noticed within 60 s\n" + sup.tail())
            detects.append(hit[0] - tw)
            sup.wait_log(r"^hot-reload: restarted", 30, since=mark)
            time.sleep(1.5)
        return {"files": TREE_FILES, "idle_cpu_pct": round(idle_pct, 2), "idle_window_s": round(t1 - t0, 1),
                "detect_s": round(statistics.median(detects), 3), "detect_all_s": [round(d, 3) for d in detects]}
    finally:
        sup.stop()


def main():
    parts = os.environ.get("BENCH_PARTS", "supervisor,gunicorn_reload,entr,probe,tree10k").split(",")
    if len(parts) < 5 and "BENCH_OUT" not in os.environ:
        raise SystemExit(f"BENCH_PARTS={','.join(parts)} is a partial run: set BENCH_OUT to write it elsewhere")
    h.become_subreaper()
    synth = h.Synthesized(tempfile.mkdtemp(prefix="bench-reload-synth-"))
    print(f"supervisor: {synth.source}", flush=True)
    load_start = os.getloadavg()
    root = tempfile.mkdtemp(prefix="bench-reload-")
    tree, state = os.path.join(root, "code"), os.path.join(root, "state")
    os.makedirs(tree)
    os.makedirs(state)
    env = synth.environment(tree, state)      # same env for the peers (PYTHONDONTWRITEBYTECODE etc.)
    logs = os.path.join(root, "logs")
    os.makedirs(logs)
    skipped = [0.0]   # placeholder latency list of parts left out (then nothing is written to the default OUT)
    try:
        sup_lat, restarts, breakdown, gr_lat, entr_lat, probe_lat = skipped, 0, {}, skipped, skipped, skipped
        t10k = {"idle_cpu_pct": -1.0, "detect_s": -1.0}
        if "supervisor" in parts:
            print(f"[1/5] supervisor: {EDITS} edits", flush=True)
            sup_lat, restarts, breakdown = bench_supervisor(synth, tree, state, os.path.join(logs, "supervisor.log"))
        if "gunicorn_reload" in parts:
            print(f"[2/5] gunicorn --reload: {PEER_EDITS} edits", flush=True)
            gr_lat = bench_gunicorn_reload(synth, tree, env)
        if "entr" in parts:
            print(f"[3/5] entr -r: {PEER_EDITS} edits", flush=True)
            entr_lat = bench_entr(synth, tree, env)
        if "probe" in parts:
            print(f"[4/5] liveness-probe floor: {PROBE_EDITS} edits", flush=True)
            probe_lat = bench_liveness_floor(synth, tree, env, state)
        if "tree10k" in parts:
            print(f"[5/5] 10k-file tree: idle CPU over {IDLE_S:.0f} s, change detection", flush=True)
            t10k = bench_tree_10k(synth, root, os.path.join(logs, "tree10k.log"))
            print(f"      {t10k}", flush=True)
    except Exception:
        print(f"logs kept in {logs}", file=sys.stderr)
        raise

    sup = summary(sup_lat)
    first10 = statistics.median(sup_lat[:10])
    sup["drift_ratio"] = round(statistics.median(sup_lat[-10:]) / first10, 3) if first10 else -1.0
    sup["restarts"] = restarts
    sup["median_phases"] = breakdown
    result = {
        "edits": EDITS,
        "interval_s": INTERVAL,
        "supervisor": sup,
        "peers": {"gunicorn_reload": summary(gr_lat), "entr": summary(entr_lat),
                  "liveness_probe_floor": summary(probe_lat)},
        "tree_10k": t10k,
        "settings": {k: v for k, v in synth.env.items() if k.startswith("HOT_RELOAD_")} or "script defaults",
        "supervisor_source": synth.source,
        "supervisor_sha256": hashlib.sha256(open(synth.script, "rb").read()).hexdigest(),
        "machine": {"cores": os.cpu_count(), "loadavg": [round(x, 2) for x in load_start],
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    targets = {"p50_s": 0.5, "p95_s": 0.8}
    print()
    print(f"{'reload mechanism':<28}{'edits':>6}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    rows = [("supervisor (dist)", sup), ("gunicorn --reload", result["peers"]["gunicorn_reload"]),
            ("entr -r", result["peers"]["entr"]), ("liveness probe (floor)", result["peers"]["liveness_probe_floor"])]
    for name, s in rows:
        print(f"{name:<28}{s['n']:>6}{s['p50_s']:>8.3f}{s['p95_s']:>8.3f}{s['max_s']:>8.3f}")
    print()
    checks = [("supervisor p50_s", sup["p50_s"], 0.5), ("supervisor p95_s", sup["p95_s"], 0.8),
              ("drift_ratio", sup["drift_ratio"], 1.2), ("10k idle_cpu_pct", t10k["idle_cpu_pct"], 2.0),
              ("10k detect_s", t10k["detect_s"], 1.0)]
    print(f"{'target':<22}{'value':>8}{'limit':>8}  verdict")
    missed = 0
    for name, v, lim in checks:
        ok = v <= lim
        missed += not ok
        print(f"{name:<22}{v:>8.3f}{lim:>8.3f}  {'ok' if ok else f'MISSED by {v - lim:.3f}'}")
    print(f"\nmachine: {os.cpu_count()} cores, loadavg {load_start[0]:.2f} -> {os.getloadavg()[0]:.2f}; wrote {OUT}")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
