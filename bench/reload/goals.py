"""Issue 10's goals, checked against one bench run; the result file and the printed tables."""
import json
import os

SUP = "supervisor"


def _get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _goal(goal, target, measured, ok):
    """ok: True / False, None when not measured, "info" for a comparison without a target."""
    status = "info" if ok == "info" else "not-run" if measured is None or ok is None else "met" if ok else "missed"
    return {"goal": goal, "target": target, "measured": measured, "status": status}


def _ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def evaluate(r):
    g = []
    py, node, go = r.get("python", {}), r.get("node", {}), r.get("go", {})
    p50, p95 = _get(py, SUP, "edits", "p50_s"), _get(py, SUP, "edits", "p95_s")
    g.append(_goal("python p50", "<= 0.30 s", p50, p50 is not None and p50 <= 0.30))
    g.append(_goal("python p95", "<= 0.45 s", p95, p95 is not None and p95 <= 0.45))
    peers = [_get(py, n, "edits", "p50_s") for n in ("gunicorn --reload", "entr -r")]
    peers = [x for x in peers if x is not None]
    ratio = _ratio(p50, min(peers)) if peers else None
    g.append(_goal("python p50 / best peer p50 (entr, gunicorn --reload)", "<= 0.5", ratio,
                   ratio is not None and ratio <= 0.5))
    for lang, res in (("python", py), ("node", node), ("go", go)):
        f = _get(res, SUP, "edits", "requests", "failed")
        if lang == "python":    # the sample app: the zero-failure goal (bench:cluster checks it through the NodePort)
            g.append(_goal("python: failed requests during edits (steady client)", "0", f, f == 0 if f is not None else None))
        else:                   # the issue asks for the count of every preset
            g.append(_goal(f"{lang}: failed requests during edits (steady client)", "report (0 is the goal for the sample)",
                           f, "info" if f is not None else None))
        b = _get(res, SUP, "broken_save")
        if b is None:
            g.append(_goal(f"{lang}: broken save", "keeps serving, 0 failed, fix within p95, error with file:line",
                           None, None))
            continue
        measured = {"keeps_serving": b["keeps_serving"], "failed": b["requests"]["failed"],
                    "fix_served_max_s": b["fix_served_max_s"], "error_logged_with_file_line": b["error_logged_with_file_line"]}
        ok = b["keeps_serving"] and b["requests"]["failed"] == 0 and b["fix_within_normal_p95"] and \
            b["error_logged_with_file_line"]
        g.append(_goal(f"{lang}: broken save", "keeps serving, 0 failed, fix within p95, error with file:line",
                       measured, ok))
    for lang, res in (("python", py), ("node", node), ("go", go)):
        idle = _get(res, SUP, "edits_after_idle", "p50_s")
        if idle is not None:
            g.append(_goal(f"{lang}: p50 of a save after a quiet spell (polling back at its idle rate)",
                           "report", idle, "info"))
    n50 = _get(node, SUP, "edits", "p50_s")
    g.append(_goal("node p50", "<= 0.25 s", n50, n50 is not None and n50 <= 0.25))
    for peer in ("node --watch", "nodemon"):
        ratio = _ratio(n50, _get(node, peer, "edits", "p50_s"))
        g.append(_goal(f"node p50 / {peer} p50", "<= 0.7", ratio, ratio is not None and ratio <= 0.7))
    g50, build = _get(go, SUP, "edits", "p50_s"), _get(go, "go build (floor)", "p50_s")
    budget = round(build + 0.15, 3) if build is not None else None
    g.append(_goal("go p50 edit -> served", "<= go build p50 + 0.15 s" + (f" = {budget} s" if budget else ""),
                   g50, g50 is not None and budget is not None and g50 <= budget))
    air = _get(go, "air", "edits", "p50_s")
    g.append(_goal("go p50 / air p50", "comparison, no target", _ratio(g50, air), "info"))
    limits = {10000: (2.0, 1.0), 50000: (5.0, 1.5)}
    for t in r.get("trees", []):
        if t["files"] in limits:
            cpu, det = limits[t["files"]]
            g.append(_goal(f"{t['files']} files: idle CPU and detection (max of the edits), together",
                           f"<= {cpu} % of a core and <= {det} s", {"idle_cpu_pct": t["idle_cpu_pct"],
                                                                     "detect_max_s": t["detect_max_s"]},
                           t["idle_cpu_pct"] <= cpu and t["detect_max_s"] <= det))
        if t["files"] == 200000:
            g.append(_goal("200000 files: supervisor memory (peak RSS, shell + children)", "<= 30 MB",
                           t["peak_rss_sum_mb"], t["peak_rss_sum_mb"] <= 30))
    return g


def write(path, result):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


def print_tables(r):
    print(f"\n{'language / mechanism':<44}{'edits':>6}{'p50 s':>8}{'p95 s':>8}{'max s':>8}{'failed':>8}  broken save")
    for lang in ("python", "node", "go"):
        rows = []
        for name, res in r.get(lang, {}).items():
            if name.startswith("floors"):
                rows += [(f"floor: {k}", v) for k, v in res.items()]
            else:
                rows.append((name, res))
        for name, res in rows:
            e = res.get("edits", res) if isinstance(res, dict) else {}
            b = res.get("broken_save") if isinstance(res, dict) else None
            bs = "-" if not b else (f"{'serves' if b['keeps_serving'] else 'DOWN'}, {b['requests']['failed']} failed, "
                                    f"fix {b['fix_served_max_s']} s")
            row = f"{lang + ' / ' + name:<44}{e.get('n', 0):>6}"
            row += "".join(f"{e[k]:>8.3f}" if e.get(k) is not None else f"{'-':>8}" for k in ("p50_s", "p95_s", "max_s"))
            row += f"{_get(e, 'requests', 'failed') if _get(e, 'requests', 'failed') is not None else '-':>8}  {bs}"
            if res.get("status") not in (None, "ok"):
                row += f"  [{res['status']}: {res.get('reason', '')[:60]}]"
            print(row)
            idle = res.get("edits_after_idle") if isinstance(res, dict) else None
            if idle:
                print(f"{lang + ' / ' + name + ', after idle':<44}{idle['n']:>6}" +
                      "".join(f"{idle[k]:>8.3f}" for k in ("p50_s", "p95_s", "max_s")) +
                      f"{idle['requests']['failed']:>8}  -")
    for t in r.get("trees", []):
        print(f"tree {t['files']:>6} files: idle {t['idle_cpu_pct']:.2f} % of a core, detect p50 {t['detect_p50_s']} s "
              f"max {t['detect_max_s']} s, peak RSS {t['peak_rss_sum_mb']} MB (shell HWM {t['shell_vmhwm_mb']} MB); "
              f"floor: one find -newer walk {t.get('floor_find_newer_cpu_s')} s CPU")
    print(f"\n{'goal':<70}{'status':>8}  measured")
    for g in r["goals"]:
        print(f"{g['goal']:<70}{g['status']:>8}  {json.dumps(g['measured'])}  (target {g['target']})")


def evaluate_cluster(r):
    s = r["supervisor"]
    p50, p95 = _get(s, "edits", "p50_s"), _get(s, "edits", "p95_s")
    restarts = r.get("container_restarts")
    failed = _get(s, "edits", "requests", "failed")
    b = s.get("broken_save")
    g = [_goal("pod p50 through the NodePort", "<= 0.40 s", p50, p50 is not None and p50 <= 0.40),
         _goal("pod p95 through the NodePort", "<= 0.60 s", p95, p95 is not None and p95 <= 0.60),
         _goal("container restarts", "0", restarts, restarts == 0 if restarts is not None else None),
         _goal("failed requests during the edits (steady client)", "0", failed, failed == 0 if failed is not None else None)]
    if b:
        g.append(_goal("broken save in the pod", "keeps serving, 0 failed, fix within p95, error with file:line",
                       {"keeps_serving": b["keeps_serving"], "failed": b["requests"]["failed"],
                        "fix_served_max_s": b["fix_served_max_s"],
                        "error_logged_with_file_line": b["error_logged_with_file_line"]},
                       b["keeps_serving"] and b["requests"]["failed"] == 0 and b["fix_within_normal_p95"]
                       and b["error_logged_with_file_line"]))
    n = r.get("node_preset")
    if n:
        ns, nr = n["supervisor"], n.get("container_restarts")
        nfailed = _get(ns, "edits", "requests", "failed")
        nb = ns.get("broken_save") or {}
        g += [_goal("node preset in a pod: failed requests during the edits", "0", nfailed,
                    nfailed == 0 if nfailed is not None else None),
              _goal("node preset in a pod: container restarts", "0", nr, nr == 0 if nr is not None else None),
              _goal("node preset in a pod: broken save", "keeps serving, 0 failed, error with file:line",
                    {"keeps_serving": nb.get("keeps_serving"), "failed": _get(nb, "requests", "failed"),
                     "fix_served_max_s": nb.get("fix_served_max_s")},
                    bool(nb.get("keeps_serving") and _get(nb, "requests", "failed") == 0
                         and nb.get("error_logged_with_file_line")))]
    return g


def _pod_line(label, s, restarts):
    e = s.get("edits", {})
    c = s.get("client", {})
    return (f"{label}: {e.get('n')} edits, p50 {e.get('p50_s')} s, p95 {e.get('p95_s')} s, max {e.get('max_s')} s; "
            f"phases {json.dumps(s.get('phases'))}; restarts {restarts}; steady client {c.get('requests')} requests "
            f"at {c.get('rate_per_s')}/s, {c.get('failed')} failed")


def print_cluster(r):
    print("\n" + _pod_line("pod (sample)", r["supervisor"], r.get("container_restarts")))
    if r.get("node_preset"):
        print(_pod_line("pod (node preset)", r["node_preset"]["supervisor"], r["node_preset"].get("container_restarts")))
    print(f"load {r['machine']}")
    print(f"\n{'goal':<56}{'status':>8}  measured")
    for g in r["goals"]:
        print(f"{g['goal']:<56}{g['status']:>8}  {json.dumps(g['measured'])}  (target {g['target']})")


def markdown(reload_result, cluster_result=None):
    """The docs' results section from the two result files (python3 bench/reload/goals.py R C)."""
    out = []
    for name, r in (("bench:reload", reload_result), ("bench:cluster", cluster_result)):
        if not r:
            continue
        m, p = r["machine"], r.get("provenance", {})
        sha = p.get("supervisor_sha256")
        sha = sha.get("python-mysql") if isinstance(sha, dict) else sha
        out.append(f"**{name}** — {r['date']}, {m['cores']} cores, load average {m['loadavg_start']} → "
                   f"{m['loadavg_end']}, commit `{(p.get('source_commit') or '?')[:12]}`, supervisor sha256 "
                   f"`{(sha or '?')[:16]}…`\n")
        if "supervisor" in r and "edits" in r["supervisor"]:
            out.append(f"- {_pod_line('pod (sample)', r['supervisor'], r.get('container_restarts'))}\n")
        if "node_preset" in r:
            out.append(f"- {_pod_line('pod (node preset)', r['node_preset']['supervisor'], r['node_preset'].get('container_restarts'))}\n")
        splits = [f"{lang} {_get(r, lang, SUP, 'edits', 'median_phases', 'detect_s')} / "
                  f"{_get(r, lang, SUP, 'edits', 'median_phases', 'change_logged_to_served_s')} s"
                  for lang in ("python", "node", "go") if _get(r, lang, SUP, "edits", "median_phases")]
        if splits:
            out.append(f"- supervisor, median split write → `change` logged / → served: {', '.join(splits)}\n")
        rows = []
        for lang in ("python", "node", "go"):
            for mech, res in r.get(lang, {}).items():
                for label, e, b in ([(f"{lang}: floor {k}", v, None) for k, v in res.items()] if mech.startswith("floors")
                                    else [(f"{lang}: {mech}", res.get("edits", res), res.get("broken_save"))]):
                    if res.get("status") not in (None, "ok"):
                        rows.append(f"| {label} | {res['status']}: {res.get('reason', '')[:80]} | | | | | |")
                        continue
                    f = _get(e, "requests", "failed")
                    bs = "" if not b else f"{'yes' if b['keeps_serving'] else 'no'} / {b['requests']['failed']} / {b['fix_served_max_s']}"
                    rows.append(f"| {label} | {e.get('n', '')} | {e.get('p50_s', '')} | {e.get('p95_s', '')} | "
                               f"{e.get('max_s', '')} | {'' if f is None else f} | {bs} |")
        for t in r.get("trees", []):
            rows.append(f"| tree {t['files']} files | idle {t['idle_cpu_pct']} % of a core | detect p50 {t['detect_p50_s']} s "
                       f"| max {t['detect_max_s']} s | peak RSS {t['peak_rss_sum_mb']} MB | shell HWM {t['shell_vmhwm_mb']} MB | "
                       f"floor: one `find -newer` walk {t.get('floor_find_newer_cpu_s')} s CPU |")
        if rows:
            out += ["| mechanism | edits | p50 s | p95 s | max s | failed requests (edits) | broken save: serves / failed / fix s |",
                    "| --- | --- | --- | --- | --- | --- | --- |"] + rows
        out.append("\n| goal (issue 10) | target | measured | status |\n| --- | --- | --- | --- |")
        out += [f"| {g['goal']} | {g['target']} | `{json.dumps(g['measured'])}` | {g['status']} |" for g in r["goals"]]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    def load(path):
        with open(path) as f:
            return json.load(f)
    print(markdown(*(load(p) if os.path.exists(p) else None for p in sys.argv[1:3])))
