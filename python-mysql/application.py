"""python-mysql: the sample app of the hot-reload environment.

Run:  gunicorn --bind 0.0.0.0:3000 --workers 2 application:application
(from this directory: gunicorn.conf.py there sets the gevent worker and its timeouts;
configuration from MYSQL_* env vars, see config.py). Depth: docs/app.md.

Routes
  GET  /         text page "hot-loading-apps <latest score>"
  POST /scores   JSON {"score": <int>} (UTF-8, at most 4096 bytes) -> 201 with the stored row
  GET  /scores   JSON {"scores": [...]} newest first, ?limit=1..100 (default 10)
  GET  /healthz  200 while the process is up (never touches the DB)
  GET  /readyz   200 when a fresh login and a query on the table succeed within 1 s, else 503
Every error is JSON {"error": "..."}; a database outage is a 503 with Retry-After, never a
traceback, and while the database is down or hung requests fail fast (breaker.py).
"""

from __future__ import annotations

import json
import logging
import sys

import pymysql
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

import storage
from body import BodyError, read_json_text
from breaker import BreakerOpen, CircuitBreaker
from config import Config, ConfigError, load_config
from pool import UNAVAILABLE_ERRORS, ConnectionPool, PoolBusy
from settings import (BODY_TIMEOUT_S, BREAKER_COOLDOWN_S, MAX_BODY_BYTES, PING_AFTER_S, POOL_SIZE, POOL_WAIT_S,
                      READY_TIMEOUT_S)

SCORE_MIN = 0
SCORE_MAX = 2_147_483_647  # the INT column's maximum
LIMIT_DEFAULT = 10
LIMIT_MAX = 100
log = logging.getLogger("python-mysql")


def _error(status: int, message: str, retry_after: int | None = None) -> tuple[Response, int]:
    resp = jsonify(error=message)
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp, status


def _parse_score(text: str) -> int | str:
    """The score from a request body, or an error message for a 400."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # also JSONDecodeError
        return "request body is not valid JSON"
    if not isinstance(payload, dict):
        return 'request body must be a JSON object like {"score": 42}'
    unknown = sorted(set(payload) - {"score"})
    if unknown:
        return f"unknown field(s): {', '.join(unknown)}"
    if "score" not in payload:
        return 'missing field "score"'
    score = payload["score"]
    # bool is a subclass of int in Python: true/false are not scores.
    if isinstance(score, bool) or not isinstance(score, int):
        return '"score" must be an integer'
    if not SCORE_MIN <= score <= SCORE_MAX:
        return f'"score" must be between {SCORE_MIN} and {SCORE_MAX}'
    return score


def _parse_limit(raw: str | None) -> int | str:
    if raw is None:
        return LIMIT_DEFAULT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= LIMIT_MAX:
        return f'"limit" must be an integer between 1 and {LIMIT_MAX}'
    return int(raw)


def create_app(cfg: Config | None = None) -> Flask:
    cfg = load_config() if cfg is None else cfg
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    schema = storage.SchemaState()
    breaker = CircuitBreaker(BREAKER_COOLDOWN_S)
    pool = ConnectionPool(lambda: storage.connect(cfg), POOL_SIZE, breaker,
                          acquire_timeout=POOL_WAIT_S, ping_after=PING_AFTER_S)

    def with_db(work):
        """Run work(conn) on a pooled connection, the schema ensured."""
        with pool.connection() as conn:
            schema.ensure(conn)
            return work(conn)

    # Create the schema once at startup. A database that is not up yet is
    # normal in Kubernetes (pods start in any order): log it and keep going;
    # the first request needing the DB retries, /readyz reports 503 meanwhile.
    try:
        with_db(lambda conn: None)
    except (*UNAVAILABLE_ERRORS, BreakerOpen, PoolBusy, pymysql.MySQLError) as exc:
        log.warning("database %s:%s not ready at startup (%s); will retry on the next request",
                    cfg.host, cfg.port, storage.describe(exc))

    @app.errorhandler(BreakerOpen)
    def breaker_open(exc: BreakerOpen):
        return _error(503, "database unavailable", exc.retry_after)

    @app.errorhandler(PoolBusy)
    def pool_busy(exc: PoolBusy):
        log.warning("%s", exc)
        return _error(503, "server busy: no database connection free", 1)

    @app.errorhandler(pymysql.MySQLError)
    def db_error(exc: pymysql.MySQLError):
        if isinstance(exc, pymysql.err.ProgrammingError) and exc.args and exc.args[0] == storage.ER_NO_SUCH_TABLE:
            schema.invalidate()  # someone dropped the table: recreate it next time
            log.warning("table missing, will recreate: %s", storage.describe(exc))
            return _error(503, "database unavailable", 1)
        if isinstance(exc, UNAVAILABLE_ERRORS):
            return _error(503, "database unavailable", breaker.retry_after)
        log.error("database error: %s", storage.describe(exc))
        return _error(500, "database error")

    @app.errorhandler(storage.DatabaseUnavailable)
    def db_unavailable(exc: storage.DatabaseUnavailable):
        return _error(503, "database unavailable", breaker.retry_after)

    @app.errorhandler(BodyError)
    def body_error(exc: BodyError):
        return _error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return _error(500, "internal server error")

    @app.get("/")
    def index():
        rows = with_db(lambda conn: storage.latest_scores(conn, 1))
        text = f"hot-loading-apps {rows[0]['score']}" if rows else "hot-loading-apps (no scores yet)"
        return Response(text + "\n", mimetype="text/plain")

    @app.post("/scores")
    def create_score():
        if not request.is_json:
            return _error(400, "Content-Type must be application/json")
        text = read_json_text(request.environ, request.content_length, request.mimetype_params.get("charset"),
                              MAX_BODY_BYTES, BODY_TIMEOUT_S)
        score = _parse_score(text)
        if isinstance(score, str):
            return _error(400, score)
        return jsonify(with_db(lambda conn: storage.insert_score(conn, score))), 201

    @app.get("/scores")
    def list_scores():
        limit = _parse_limit(request.args.get("limit"))
        if isinstance(limit, str):
            return _error(400, limit)
        return jsonify(scores=with_db(lambda conn: storage.latest_scores(conn, limit)), limit=limit)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        """Ready = can serve: a fresh login (the credentials work now, not only for the pooled
        connections) and a query on the table, within READY_TIMEOUT_S."""
        try:
            conn = storage.connect(cfg, timeout=READY_TIMEOUT_S)
            try:
                schema.ensure(conn)
                storage.check_query(conn)
            finally:
                conn.close()
        except (storage.DatabaseUnavailable, pymysql.MySQLError) as exc:
            reason = storage.describe(exc)
            log.warning("not ready: %s", reason)
            resp = jsonify(status="unavailable", error="database unavailable", reason=reason)
            resp.headers["Retry-After"] = str(breaker.retry_after)
            return resp, 503
        breaker.success()  # proof the database is back: stop failing fast in this worker
        return jsonify(status="ready")

    return app

def _build() -> Flask:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s python-mysql %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        return create_app()
    except ConfigError as exc:
        # One plain line a human can act on, then fail the worker boot so
        # gunicorn stops with "Worker failed to boot" instead of looping.
        print(f"python-mysql: configuration error: {exc}", file=sys.stderr, flush=True)
        raise


application = _build()
