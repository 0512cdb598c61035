"""POST /scores throughput, the app before issue 12 vs. now, side by side in one run (bench/app/run.sh).

Both apps run under real gunicorn with 2 workers (as in the pod: the chart's preset command, each
app's own gunicorn.conf.py) against the same private MariaDB offering TLS, one after the other,
alternating, BENCH_ROUNDS times; the median of each is reported with the ratio. The load generator
is ApacheBench (C): a new HTTP connection per request, BENCH_CONCURRENCY at a time, as in the issue.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(os.environ["REPO_DIR"])
sys.path.insert(0, str(REPO / "python-mysql" / "tests"))

from harness import TMP, Gunicorn, MariaDB  # noqa: E402

# Issue 12 was filed against the app of this commit (connection per request, sync workers).
OLD_REF = os.environ.get("BENCH_OLD_REF", "bff64de8056f62103db9aaa92e3a6baeaa643d2b")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "200"))
APP_FILES = ("application.py", "body.py", "breaker.py", "config.py", "gunicorn.conf.py", "json_errors.py",
             "pool.py", "settings.py", "storage.py", "requirements.txt")
RESULT = REPO / "bench" / "results" / "app.json"
DB, USER, PASSWORD = "hotreload", "hotreload", "bench-pw"


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout


def old_app(dest: Path) -> str:
    """The app files at OLD_REF into dest; returns the resolved commit."""
    commit = git("rev-parse", f"{OLD_REF}^{{commit}}").strip()
    dest.mkdir(parents=True)
    for name in git("ls-tree", "--name-only", commit, "python-mysql/").split():
        rel = name.split("/", 1)[1]
        if rel in APP_FILES:
            (dest / rel).write_text(git("show", f"{commit}:{name}"))
    return commit


def new_app(dest: Path) -> None:
    dest.mkdir(parents=True)
    for name in APP_FILES:
        shutil.copy(REPO / "python-mysql" / name, dest / name)


def digest(tree: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.iterdir()) if p.is_file()}


def ab(url: str, requests_n: int, body: Path | None = None) -> dict:
    cmd = ["ab", "-q", "-n", str(requests_n), "-c", str(CONCURRENCY), "-s", "60"]
    if body is not None:
        cmd += ["-p", str(body), "-T", "application/json"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"ab failed ({out.returncode}): {out.stderr.strip()[-500:]}")

    def field(pattern: str, default: str | None = None) -> str:
        m = re.search(pattern, out.stdout)
        if m is None:
            if default is None:
                raise SystemExit(f"unexpected ab output, no {pattern!r}:\n{out.stdout}")
            return default
        return m.group(1)

    return {
        "rps": float(field(r"Requests per second:\s+([\d.]+)")),
        # ab counts a body length differing from the first response's as "failed" (ids differ in
        # length): only connection, receive and exception failures are real ones.
        "failed": sum(int(field(rf"{kind}: (\d+)", "0")) for kind in ("Connect", "Receive", "Exceptions")),
        "non_2xx": int(field(r"Non-2xx responses:\s+(\d+)", "0")),
        "p50_ms": float(field(r"\s50%\s+(\d+)")),
        "p95_ms": float(field(r"\s95%\s+(\d+)")),
        "max_ms": float(field(r"100%\s+(\d+)")),
    }


def measure(name: str, code: Path, env: dict, db: MariaDB, body: Path) -> dict:
    db.sql(f"DROP TABLE IF EXISTS {DB}.scores")
    server = Gunicorn(f"bench-{name}", code, env, workers=2)
    server.start()
    try:
        server.wait_healthy()
        server.wait_ready()
        ab(server.url + "/scores", 200, body)  # warm-up (pools, .pyc in memory)
        rows0 = db.sql(f"SELECT COUNT(*) FROM {DB}.scores")[0][0]
        post = ab(server.url + "/scores", REQUESTS, body)
        stored = db.sql(f"SELECT COUNT(*) FROM {DB}.scores")[0][0] - rows0
        get = ab(server.url + "/scores", REQUESTS)
        health = ab(server.url + "/healthz", REQUESTS)
    finally:
        server.stop()
    if post["failed"] or post["non_2xx"] or stored != REQUESTS:
        raise SystemExit(f"{name}: {post['failed']} failed, {post['non_2xx']} non-2xx, {stored}/{REQUESTS} rows stored")
    return {"post": post, "get_scores": get, "healthz": health}


def main() -> None:
    db = MariaDB(TMP / "mariadb")
    db.install()
    db.start()  # with TLS, as MySQL 8.4 offers it
    db.sql(f"CREATE DATABASE {DB}")
    db.sql("CREATE USER %s@'%%' IDENTIFIED BY %s", (USER, PASSWORD))
    db.sql(f"GRANT ALL PRIVILEGES ON `{DB}`.* TO %s@'%%'", (USER,))
    db.sql("SET GLOBAL max_connections = 1000")
    env = {"MYSQL_USERNAME": USER, "MYSQL_PASSWORD": PASSWORD, "MYSQL_INSTANCE_NAME": DB,
           "MYSQL_TCP_ADDR": "127.0.0.1", "MYSQL_TCP_PORT": str(db.port)}
    body = TMP / "body.json"
    body.write_text('{"score": 42}')
    old_dir, new_dir = TMP / "old", TMP / "new"
    old_commit = old_app(old_dir)
    new_app(new_dir)

    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    try:
        for r in range(ROUNDS):
            for name, code in (("old", old_dir), ("new", new_dir)):
                res = measure(name, code, env, db, body)
                runs[name].append(res)
                print(f"round {r + 1}/{ROUNDS} {name}: POST {res['post']['rps']:.0f} req/s "
                      f"(p95 {res['post']['p95_ms']:.0f} ms), GET /scores {res['get_scores']['rps']:.0f}, "
                      f"/healthz {res['healthz']['rps']:.0f}; load {os.getloadavg()[0]:.2f}", flush=True)
        tls = int(db.sql("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")[0][1])
    finally:
        db.stop()
    load_after = os.getloadavg()

    def med(name: str, route: str) -> float:
        return round(statistics.median(x[route]["rps"] for x in runs[name]), 1)

    summary = {route: {"old_rps": med("old", route), "new_rps": med("new", route),
                       "ratio": round(med("new", route) / med("old", route), 2)}
               for route in ("post", "get_scores", "healthz")}
    result = {
        "benchmark": "python-mysql POST /scores throughput, before vs. after issue 12 (npm run bench:app)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "method": {"load_generator": subprocess.run(["ab", "-V"], capture_output=True, text=True).stdout.splitlines()[0],
                   "requests": REQUESTS, "concurrency": CONCURRENCY, "rounds": ROUNDS, "statistic": "median req/s",
                   "gunicorn_workers": 2, "database": "private MariaDB on 127.0.0.1 offering TLS",
                   "tls_handshakes_accepted_by_the_db_during_the_run": tls},
        "old": {"git_commit": old_commit, "sha256": digest(old_dir), "runs": runs["old"]},
        "new": {"sha256": digest(new_dir), "runs": runs["new"]},
        "summary": summary,
        "goal_post_ratio_at_least": 3,
        "goal_met": summary["post"]["ratio"] >= 3,
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
