"""Database access for the python-mysql app (PyMySQL, MySQL 8 / MariaDB).

Connections come from the worker's pool (pool.py); all queries parameterised. The schema is created once per process with
CREATE TABLE IF NOT EXISTS; if the database is not reachable at startup the
creation is retried lazily by the next request that needs the database.
"""

from __future__ import annotations

import threading
from datetime import timezone

import pymysql

from config import Config

# Short timeouts: an unreachable or hung DB must turn into a quick 503 (and open the circuit
# breaker, so the next requests fail at once), not a request waiting on it. A query of this app
# takes milliseconds; 2 s leaves room for a loaded node.
CONNECT_TIMEOUT_S = 2
IO_TIMEOUT_S = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    score INT NOT NULL,
    created_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
"""

# MySQL/MariaDB error numbers that mean "the table is gone": recreate it.
ER_NO_SUCH_TABLE = 1146


class DatabaseUnavailable(Exception):
    """The database could not be reached or failed; maps to HTTP 503."""


class _Connection(pymysql.connections.Connection):
    """PyMySQL's Connection with the default TLS context built once per process.

    Without TLS options PyMySQL uses "preferred" TLS: encrypt when the server
    offers it (MySQL 8.4 does; its caching_sha2_password needs TLS for a full
    login without RSA support), fall back to plaintext otherwise. But it builds
    a new SSLContext for every connection, loading the system CA bundle each
    time (~100 ms of CPU per request here). The context has no CA, so it never
    verifies the server; sharing one across connections changes nothing else.
    """

    _preferred_ctx = None

    def _create_ssl_ctx(self, sslp):
        if sslp:  # explicit TLS options: PyMySQL's own handling
            return super()._create_ssl_ctx(sslp)
        if _Connection._preferred_ctx is None:
            _Connection._preferred_ctx = super()._create_ssl_ctx({})
        return _Connection._preferred_ctx


def connect(cfg: Config, timeout: float | None = None) -> pymysql.connections.Connection:
    """A new logged-in connection; `timeout` overrides the connect and I/O timeouts."""
    try:
        return _Connection(
            host=cfg.host,
            port=cfg.port,
            user=cfg.user,
            password=cfg.password,
            database=cfg.database,
            charset="utf8mb4",
            connect_timeout=timeout or CONNECT_TIMEOUT_S,
            read_timeout=timeout or IO_TIMEOUT_S,
            write_timeout=timeout or IO_TIMEOUT_S,
            # Each statement is its own transaction: no read snapshot or open transaction can
            # outlive a request on a pooled connection, and no COMMIT/ROLLBACK round trips.
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        raise DatabaseUnavailable(describe(exc)) from exc


def describe(exc: BaseException) -> str:
    """A one-line description of a DB error for the server log (no secrets)."""
    return f"{type(exc).__name__}: {exc}"


class SchemaState:
    """Per-process memory of whether the schema has been created."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = False

    @property
    def ready(self) -> bool:
        return self._ready

    def invalidate(self) -> None:
        self._ready = False

    def ensure(self, conn: pymysql.connections.Connection) -> None:
        """Create the schema once; cheap no-op afterwards."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with conn.cursor() as cur:
                cur.execute(SCHEMA)
            conn.commit()
            self._ready = True


def _row(row: tuple) -> dict:
    ident, score, created_at = row
    return {
        "id": int(ident),
        "score": int(score),
        "created_at": created_at.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z"),
    }


def insert_score(conn: pymysql.connections.Connection, score: int) -> dict:
    # The timestamp comes from the DB clock in UTC, so rows from several app replicas sort
    # consistently whatever their local time zone. Read first, then one INSERT: the row is
    # stored (autocommit) exactly when the INSERT succeeds, and the response needs no re-read.
    with conn.cursor() as cur:
        cur.execute("SELECT UTC_TIMESTAMP(6)")
        (created_at,) = cur.fetchone()
        cur.execute("INSERT INTO scores (score, created_at) VALUES (%s, %s)", (score, created_at))
        new_id = cur.lastrowid
    return _row((new_id, score, created_at))


def latest_scores(conn: pymysql.connections.Connection, limit: int) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT id, score, created_at FROM scores ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        rows = cur.fetchall()
    return [_row(r) for r in rows]


def check_query(conn: pymysql.connections.Connection) -> None:
    """The cheapest query that proves the app can read its table (schema and privileges)."""
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM scores LIMIT 1")
        cur.fetchall()
