"""What the reload bench measured: the charts synthesized from the current lib/ (presets-chart.ts), the
sha256 of the supervisor script and of each measured app's container command + env, and whether the
python-mysql part is byte-identical to the committed dist/."""
import hashlib
import json
import os
import subprocess

import reload_harness as h

DEPLOYMENTS = ("python-mysql", "bench-node", "bench-go")


def synthesize(work):
    """BENCH_SYNTH_DIR (an existing synth output), else a fresh synth of presets-chart.ts."""
    given = os.environ.get("BENCH_SYNTH_DIR")
    if given:
        return os.path.abspath(given)
    return h.synthesize_presets(os.path.join(work, "synth"))


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def git(*args):
    r = subprocess.run(["git", *args], cwd=h.REPO, capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def describe(synth_dir, synths):
    dev = os.path.join(synth_dir, "dev-environment.k8s.yaml")
    dist = h.DIST_YAML
    return {
        "synth_dir": synth_dir if os.environ.get("BENCH_SYNTH_DIR") else "fresh synth of bench/reload/presets-chart.ts",
        # at-commit.sh runs the bench on an exported commit (no .git): it names the commit
        "source_commit": os.environ.get("BENCH_SOURCE_COMMIT") or git("rev-parse", "HEAD"),
        "uncommitted_in_lib": [] if os.environ.get("BENCH_SOURCE_COMMIT") else
        (git("status", "--porcelain", "--", "lib", "python-mysql") or "").splitlines(),
        "supervisor_sha256": {d: sha256_file(s.script) for d, s in synths.items()},
        "config_sha256": {d: hashlib.sha256(json.dumps({"command": s.command, "env": s.env}, sort_keys=True)
                                            .encode()).hexdigest() for d, s in synths.items()},
        "config": {d: {"command": s.command, "env": s.env} for d, s in synths.items()},
        "chart_sha256": {f: sha256_file(os.path.join(synth_dir, f)) for f in sorted(os.listdir(synth_dir))
                         if f.endswith(".k8s.yaml")},
        "dist_sha256": sha256_file(dist) if os.path.exists(dist) else None,
        "python_chart_equals_dist": os.path.exists(dist) and sha256_file(dist) == sha256_file(dev),
    }
