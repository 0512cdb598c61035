"""The app against a database that goes away, comes back, or crashes."""

from __future__ import annotations

import requests

from conftest import DB_NAME, READONLY_MOUNT
from harness import Gunicorn, wait_until
from test_api import TIMEOUT, assert_json_error, assert_unavailable, post_score, post_until_created, until_not_503


def assert_db_down_responses(app) -> None:
    assert requests.get(app.url + "/healthz", timeout=TIMEOUT).status_code == 200
    body = assert_unavailable(requests.get(app.url + "/readyz", timeout=TIMEOUT))
    assert body["status"] == "unavailable" and body["reason"]
    assert_unavailable(requests.get(app.url + "/", timeout=TIMEOUT))
    assert_unavailable(requests.get(app.url + "/scores", timeout=TIMEOUT))
    assert_unavailable(post_score(app, 1))


def test_db_stopped_then_started_app_recovers(app, db_restored):
    mariadb = db_restored
    master, workers = app.proc.pid, app.worker_pids()
    assert len(workers) == 4
    before = post_score(app, 11).json()["id"]

    mariadb.stop()
    # Several rounds so every worker meets the outage, not just one.
    for _ in range(4):
        assert_db_down_responses(app)

    mariadb.start()
    took = app.wait_ready(timeout=30)
    resp = post_until_created(app, 12)
    listed = until_not_503(lambda: requests.get(app.url + "/scores", params={"limit": 5}, timeout=TIMEOUT))
    ids = [r["id"] for r in listed.json()["scores"]]
    assert ids[:2] == [resp.json()["id"], before]
    # Recovered without a restart: same master, same workers, none crashed.
    assert app.running and app.proc.pid == master
    assert app.worker_pids() == workers
    print(f"recovered {took:.2f}s after the DB accepted connections again")


def test_committed_rows_survive_kill_9(app, db_restored):
    mariadb = db_restored
    committed = {}
    for score in range(500, 550):
        resp = post_score(app, score)
        assert resp.status_code == 201, resp.text
        committed[resp.json()["id"]] = score

    mariadb.kill9()
    assert_unavailable(post_score(app, 1))
    mariadb.start()  # InnoDB crash recovery
    app.wait_ready(timeout=60)
    post_until_created(app, 550)  # every worker's breaker closed again

    placeholders = ",".join(["%s"] * len(committed))
    rows = mariadb.sql(f"SELECT id, score FROM scores WHERE id IN ({placeholders})", tuple(committed),
                       database=DB_NAME)
    assert dict(rows) == committed
    resp = until_not_503(lambda: requests.get(app.url + "/scores", params={"limit": 2}, timeout=TIMEOUT))
    latest = resp.json()["scores"][1]
    assert latest["id"] == max(committed) and latest["score"] == 549


def test_app_started_without_db_creates_schema_later(code_dir, app_env, db_restored):
    """DB down at app startup: the app starts anyway, is unready, then creates its schema lazily."""
    mariadb = db_restored
    lazy_db = f"{DB_NAME}_lazy"
    mariadb.sql(f"DROP DATABASE IF EXISTS {lazy_db}")
    mariadb.sql(f"CREATE DATABASE {lazy_db}")
    mariadb.stop()

    late = Gunicorn("late", code_dir, {**app_env, "MYSQL_INSTANCE_NAME": lazy_db}, workers=2,
                    readonly_mount=READONLY_MOUNT)
    late.start()
    try:
        late.wait_healthy()
        # Both workers have booted (each tried to create the schema and logged it): none can do it later.
        wait_until(lambda: late.log.read_text().count("not ready at startup") >= 2, 30, "both workers to boot")
        assert_db_down_responses(late)

        mariadb.start()
        assert mariadb.sql("SHOW TABLES", database=lazy_db) == []
        late.wait_ready(timeout=30)
        assert mariadb.sql("SHOW TABLES", database=lazy_db) == [("scores",)]
        post_until_created(late, 99)
        assert until_not_503(lambda: requests.get(late.url + "/", timeout=TIMEOUT)).text == "hot-loading-apps 99\n"
        assert "Traceback" not in late.log.read_text()
        assert "not ready at startup" in late.log.read_text()
    finally:
        late.stop()


def test_dropped_table_is_recreated(app, mariadb):
    """A worker that finds the table gone answers 503 once and recreates it on its next request."""
    mariadb.sql("DROP TABLE scores", database=DB_NAME)
    statuses = []
    for _ in range(40):
        statuses.append(post_score(app, 3).status_code)
        if statuses[-1] == 201:
            break
    assert statuses[-1] == 201, statuses
    assert set(statuses) <= {201, 503} and statuses.count(503) <= 4, statuses
    assert mariadb.sql("SELECT score FROM scores", database=DB_NAME) == [(3,)]


def test_db_without_tls_still_works(app, db_restored):
    """TLS is preferred, not required: a server without it gets plaintext connections."""
    mariadb = db_restored
    mariadb.stop()
    mariadb.start(tls=False)
    try:
        assert mariadb.sql("SHOW GLOBAL VARIABLES LIKE 'have_ssl'")[0][1] != "YES"
        app.wait_ready(timeout=30)
        post_until_created(app, 77)
        assert until_not_503(lambda: requests.get(app.url + "/", timeout=TIMEOUT)).text == "hot-loading-apps 77\n"
        assert int(mariadb.status("Ssl_accepts")) == 0
    finally:
        mariadb.stop()
        mariadb.start()
