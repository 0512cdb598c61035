"""Routes and input validation of the app, served by real gunicorn against MariaDB."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from conftest import CODE_SNAPSHOT, DB_NAME, READONLY_MOUNT, snapshot
from harness import IS_ROOT

TIMEOUT = 10


def row_count(mariadb) -> int:
    return mariadb.sql("SELECT COUNT(*) FROM scores", database=DB_NAME)[0][0]


def assert_json_error(resp: requests.Response, status: int) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert "Traceback" not in resp.text
    return body


def assert_unavailable(resp: requests.Response) -> dict:
    """A 503 as the app documents it: JSON, with a Retry-After of whole seconds."""
    body = assert_json_error(resp, 503)
    assert resp.headers.get("Retry-After", "").isdigit() and int(resp.headers["Retry-After"]) >= 1, resp.headers
    return body


def post_score(app, score) -> requests.Response:
    return requests.post(app.url + "/scores", json={"score": score}, timeout=TIMEOUT)


def until_not_503(call, within: float = 10) -> requests.Response:
    """Call like a well-behaved client after an outage: on a 503, wait Retry-After and retry.
    (Each worker's breaker closes on its own, at most BREAKER_COOLDOWN_S after the DB is back.)"""
    deadline = time.monotonic() + within
    while True:
        resp = call()
        if resp.status_code != 503 or time.monotonic() > deadline:
            return resp
        assert_unavailable(resp)
        time.sleep(min(int(resp.headers["Retry-After"]), 2))


def post_until_created(app, score, within: float = 10) -> requests.Response:
    resp = until_not_503(lambda: post_score(app, score), within)
    assert resp.status_code == 201, resp.text
    return resp


def test_healthz(app):
    resp = requests.get(app.url + "/healthz", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_readyz(app):
    resp = requests.get(app.url + "/readyz", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ready"}


def test_schema_created_at_startup(app, mariadb):
    cols = mariadb.sql("SELECT column_name FROM information_schema.columns "
                       "WHERE table_schema = %s AND table_name = 'scores' ORDER BY ordinal_position", (DB_NAME,))
    assert [c[0].lower() for c in cols] == ["id", "score", "created_at"]


def test_index_without_scores(app, empty_table):
    resp = requests.get(app.url + "/", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert resp.text == "hot-loading-apps (no scores yet)\n"


def test_index_does_not_insert(app, mariadb, empty_table):
    for _ in range(3):
        assert requests.get(app.url + "/", timeout=TIMEOUT).status_code == 200
    assert row_count(mariadb) == 0


def test_post_score_returns_row(app, mariadb, empty_table):
    resp = post_score(app, 42)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"id", "score", "created_at"}
    assert body["score"] == 42 and isinstance(body["id"], int)
    assert body["created_at"].endswith("Z")
    assert mariadb.sql("SELECT score FROM scores WHERE id = %s", (body["id"],), database=DB_NAME) == [(42,)]


def test_post_accepts_bounds_and_json_suffix_type(app, empty_table):
    assert post_score(app, 0).status_code == 201
    assert post_score(app, 2_147_483_647).status_code == 201
    resp = requests.post(app.url + "/scores", data=b'{"score": 7}', timeout=TIMEOUT,
                         headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 201, resp.text


def test_index_shows_latest_score(app, empty_table):
    for score in (5, 17, 3):
        assert post_score(app, score).status_code == 201
    resp = requests.get(app.url + "/", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.text == "hot-loading-apps 3\n"


def test_list_newest_first_and_limit(app, empty_table):
    ids = [post_score(app, s).json()["id"] for s in range(15)]
    resp = requests.get(app.url + "/scores", timeout=TIMEOUT)
    assert resp.status_code == 200
    body = resp.json()
    assert body["limit"] == 10
    assert [r["id"] for r in body["scores"]] == ids[::-1][:10]
    assert [r["score"] for r in body["scores"]] == list(range(14, 4, -1))

    body = requests.get(app.url + "/scores", params={"limit": 3}, timeout=TIMEOUT).json()
    assert [r["score"] for r in body["scores"]] == [14, 13, 12]
    body = requests.get(app.url + "/scores", params={"limit": 100}, timeout=TIMEOUT).json()
    assert len(body["scores"]) == 15


def test_list_empty(app, empty_table):
    resp = requests.get(app.url + "/scores", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.json()["scores"] == []


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "", "1e2", "١"])
def test_list_bad_limit(app, limit):
    resp = requests.get(app.url + "/scores", params={"limit": limit}, timeout=TIMEOUT)
    assert "limit" in assert_json_error(resp, 400)["error"]


BAD_BODIES = {
    "not json": (b"score=5", "application/json"),
    "truncated json": (b'{"score": 5', "application/json"),
    "invalid utf-8": (b'{"score": "\xff"}', "application/json"),
    "empty body": (b"", "application/json"),
    "array": (b"[5]", "application/json"),
    "bare number": (b"5", "application/json"),
    "null": (b"null", "application/json"),
    "missing score": (b"{}", "application/json"),
    "other field": (b'{"points": 5}', "application/json"),
    "extra field": (b'{"score": 5, "admin": true}', "application/json"),
    "string score": (b'{"score": "5"}', "application/json"),
    "float score": (b'{"score": 5.0}', "application/json"),
    "fraction score": (b'{"score": 5.5}', "application/json"),
    "bool score": (b'{"score": true}', "application/json"),
    "null score": (b'{"score": null}', "application/json"),
    "NaN score": (b'{"score": NaN}', "application/json"),
    "negative score": (b'{"score": -1}', "application/json"),
    "too large score": (b'{"score": 2147483648}', "application/json"),
    "huge int score": (b'{"score": 1' + b"0" * 400 + b"}", "application/json"),
    "deep nesting": (b"[" * 1500 + b"]" * 1500, "application/json"),
    "text/plain": (b'{"score": 5}', "text/plain"),
    "form": (b"score=5", "application/x-www-form-urlencoded"),
    "no content type": (b'{"score": 5}', None),
}


@pytest.mark.parametrize("name", list(BAD_BODIES))
def test_post_bad_input(app, mariadb, empty_table, name):
    data, ctype = BAD_BODIES[name]
    # requests adds no Content-Type for raw bytes; set it explicitly when given.
    headers = {"Content-Type": ctype} if ctype else {}
    resp = requests.post(app.url + "/scores", data=data, headers=headers, timeout=TIMEOUT)
    assert_json_error(resp, 400)
    assert row_count(mariadb) == 0


def test_post_huge_body(app, mariadb, empty_table):
    # Valid JSON (whitespace padding): only the size limit can reject it.
    body = b'{"score": 1' + b" " * (1024 * 1024) + b"}"
    resp = requests.post(app.url + "/scores", data=body, headers={"Content-Type": "application/json"},
                         timeout=TIMEOUT)
    assert_json_error(resp, 413)
    assert row_count(mariadb) == 0


def test_post_huge_chunked_body(app, mariadb, empty_table):
    """No Content-Length (chunked): the limit must hold while reading the stream (issue 12: was 400)."""
    def chunks():
        yield b'{"score": 1'
        for _ in range(256):
            yield b" " * 4096
        yield b"}"

    resp = requests.post(app.url + "/scores", data=chunks(), headers={"Content-Type": "application/json"},
                         timeout=TIMEOUT)
    assert "limit" in assert_json_error(resp, 413)["error"]
    assert row_count(mariadb) == 0


def test_unknown_route_and_method_are_json(app):
    assert_json_error(requests.get(app.url + "/nope", timeout=TIMEOUT), 404)
    assert_json_error(requests.delete(app.url + "/scores", timeout=TIMEOUT), 405)
    assert_json_error(requests.post(app.url + "/", timeout=TIMEOUT), 405)


def test_sql_injection_is_data(app, mariadb, empty_table):
    resp = requests.get(app.url + "/scores", params={"limit": "1; DROP TABLE scores"}, timeout=TIMEOUT)
    assert_json_error(resp, 400)
    assert row_count(mariadb) == 0  # table still there


def test_200_concurrent_posts(app, mariadb, empty_table):
    scores = list(range(1000, 1200))
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda s: post_score(app, s), scores))
    assert [r.status_code for r in responses] == [201] * 200, [r.text for r in responses if r.status_code != 201][:3]
    ids = [r.json()["id"] for r in responses]
    assert len(set(ids)) == 200
    assert sorted(r.json()["score"] for r in responses) == scores
    assert row_count(mariadb) == 200
    assert sorted(s for (s,) in mariadb.sql("SELECT score FROM scores", database=DB_NAME)) == scores


def test_code_dir_is_read_only_and_untouched(app, code_dir):
    """The app ran (and served every test above) from a read-only code dir and wrote nothing there."""
    assert requests.get(app.url + "/", timeout=TIMEOUT).status_code == 200
    if READONLY_MOUNT:
        mounts = Path(f"/proc/{app.proc.pid}/mountinfo").read_text()
        entry = [line for line in mounts.splitlines() if line.split()[4] == str(code_dir)]
        assert entry and "ro" in entry[-1].split()[5].split(","), entry
    elif not IS_ROOT:
        assert not os.access(code_dir, os.W_OK)
    assert not list(code_dir.rglob("__pycache__"))
    assert snapshot(code_dir) == CODE_SNAPSHOT
