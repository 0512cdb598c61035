"""python-mysql: the sample app of the hot-reload environment.

Run:  gunicorn --bind 0.0.0.0:3000 --workers 2 application:application
(from this directory; configuration from MYSQL_* env vars, see config.py).

Routes
  GET  /         text page "hot-loading-apps <latest score>"
  POST /scores   JSON {"score": <int>} -> 201 with the stored row
  GET  /scores   JSON {"scores": [...]} newest first, ?limit=1..100 (default 10)
  GET  /healthz  200 while the process is up (never touches the DB)
  GET  /readyz   200 when the DB is reachable and the schema exists, else 503
Every error is JSON {"error": "..."}; a database outage is a 503, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys

import pymysql
from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

import storage
from config import Config, ConfigError, load_config
from storage import DatabaseUnavailable

SCORE_MIN = 0
SCORE_MAX = 2_147_483_647  # the INT column's maximum
LIMIT_DEFAULT = 10
LIMIT_MAX = 100
# A score document is a few bytes; anything near this is abuse.
MAX_BODY_BYTES = 4096

# Errors that mean "the database is away or broke the connection": 503.
_UNAVAILABLE_ERRORS = (
    pymysql.err.OperationalError,
    pymysql.err.InterfaceError,
    pymysql.err.InternalError,
)

log = logging.getLogger("python-mysql")


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _parse_score(raw: bytes) -> int | str:
    """The score from a request body, or an error message for a 400."""
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):  # also UnicodeDecodeError, JSONDecodeError
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

    def db() -> pymysql.connections.Connection:
        """This request's connection (opened on first use), schema ensured."""
        conn = g.get("db")
        if conn is None:
            conn = storage.connect(cfg)
            g.db = conn
        schema.ensure(conn)
        return conn

    # Create the schema once at startup. A database that is not up yet is
    # normal in Kubernetes (pods start in any order): log it and keep going;
    # the first request needing the DB retries, /readyz reports 503 meanwhile.
    try:
        conn = storage.connect(cfg)
        try:
            schema.ensure(conn)
        finally:
            conn.close()
    except (DatabaseUnavailable, pymysql.MySQLError) as exc:
        log.warning("database %s:%s not ready at startup (%s); will retry on the next request",
                    cfg.host, cfg.port, storage.describe(exc))

    @app.teardown_appcontext
    def close_db(_exc: BaseException | None) -> None:
        conn = g.pop("db", None)
        if conn is not None:
            try:
                conn.close()  # an unfinished transaction is rolled back by the server
            except pymysql.MySQLError:
                pass  # already closed because the connection broke

    @app.errorhandler(DatabaseUnavailable)
    def db_unavailable(exc: DatabaseUnavailable):
        log.warning("database unavailable: %s", exc)
        return _error(503, "database unavailable")

    @app.errorhandler(pymysql.MySQLError)
    def db_error(exc: pymysql.MySQLError):
        if isinstance(exc, pymysql.err.ProgrammingError) and exc.args and exc.args[0] == storage.ER_NO_SUCH_TABLE:
            schema.invalidate()  # someone dropped the table: recreate it next time
            log.warning("table missing, will recreate: %s", storage.describe(exc))
            return _error(503, "database unavailable")
        if isinstance(exc, _UNAVAILABLE_ERRORS):
            log.warning("database unavailable: %s", storage.describe(exc))
            return _error(503, "database unavailable")
        log.error("database error: %s", storage.describe(exc))
        return _error(500, "database error")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return _error(500, "internal server error")

    @app.get("/")
    def index():
        rows = storage.latest_scores(db(), 1)
        text = f"hot-loading-apps {rows[0]['score']}" if rows else "hot-loading-apps (no scores yet)"
        return Response(text + "\n", mimetype="text/plain")

    @app.post("/scores")
    def create_score():
        if not request.is_json:
            return _error(400, "Content-Type must be application/json")
        score = _parse_score(request.get_data(cache=False))
        if isinstance(score, str):
            return _error(400, score)
        return jsonify(storage.insert_score(db(), score)), 201

    @app.get("/scores")
    def list_scores():
        limit = _parse_limit(request.args.get("limit"))
        if isinstance(limit, str):
            return _error(400, limit)
        return jsonify(scores=storage.latest_scores(db(), limit), limit=limit)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        try:
            storage.ping(db())
        except (DatabaseUnavailable, pymysql.MySQLError) as exc:
            log.warning("not ready: %s", storage.describe(exc))
            return jsonify(status="unavailable", error="database unavailable"), 503
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
