"""The persistent database connections of one worker process.

A request borrows a connection and gives it back; the pool keeps up to `size` of them open, so a
request costs no TCP connect, TLS handshake or login (the original opened one per request).
- A connection idle for more than `ping_after` seconds is pinged first and replaced if the server
  dropped it (restart, wait_timeout), so a request never fails on a stale connection.
- No state leaks between requests: connections are in autocommit mode (no read snapshot survives a
  statement), an explicit transaction left open is rolled back on return, and a connection that saw
  any error is closed, not reused.
- More than `size` concurrent requests wait up to `acquire_timeout` for one, then get a 503.
- Failures that mean "the database is away" open the circuit breaker (breaker.py).
Thread- and greenlet-safe (the gevent worker patches threading before this module is imported).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import pymysql
from pymysql.constants import SERVER_STATUS

from breaker import CircuitBreaker
from storage import DatabaseUnavailable, describe

# Errors that mean "the database is away or broke the connection" (a 503, and the breaker opens).
UNAVAILABLE_ERRORS = (
    DatabaseUnavailable,
    pymysql.err.OperationalError,
    pymysql.err.InterfaceError,
    pymysql.err.InternalError,
)

log = logging.getLogger("python-mysql")


class PoolBusy(Exception):
    """Every connection of this worker stayed busy for the whole acquire timeout."""


class ConnectionPool:
    def __init__(self, connect: Callable[[], pymysql.connections.Connection], size: int,
                 breaker: CircuitBreaker, acquire_timeout: float, ping_after: float) -> None:
        self._connect = connect
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[tuple[pymysql.connections.Connection, float]] = []  # LIFO: warmest first
        self._lock = threading.Lock()
        self.breaker = breaker
        self.size = size
        self.acquire_timeout = acquire_timeout
        self.ping_after = ping_after

    @contextmanager
    def connection(self) -> Iterator[pymysql.connections.Connection]:
        trial = self.breaker.before()  # BreakerOpen: fail fast, no slot taken
        outcome_recorded = False
        try:
            if not self._slots.acquire(timeout=self.acquire_timeout):
                raise PoolBusy(f"all {self.size} database connections of this worker busy "
                               f"for {self.acquire_timeout}s")
            conn = None
            try:
                if not trial:  # the breaker may have opened while this request waited for a slot
                    trial = self.breaker.before()
                conn = self._checkout()
                yield conn
                # Autocommit (storage.py): a transaction is open only after an explicit BEGIN, and
                # then server_status (from its OK packet) says so. End it: nothing carries over.
                if conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS:
                    conn.rollback()
            except UNAVAILABLE_ERRORS as exc:
                self._discard(conn)
                self._failed(exc)
                outcome_recorded = True
                raise
            except BaseException:
                self._discard(conn)  # unknown state: never hand it to another request
                raise
            else:
                self._checkin(conn)
                self.breaker.success()
                outcome_recorded = True
            finally:
                self._slots.release()
        finally:
            if trial and not outcome_recorded:
                self.breaker.abandon()

    def _checkout(self) -> pymysql.connections.Connection:
        while True:
            with self._lock:
                if not self._idle:
                    break
                conn, last_used = self._idle.pop()
            if time.monotonic() - last_used <= self.ping_after:
                return conn
            try:
                conn.ping(reconnect=False)
                return conn
            except pymysql.MySQLError as exc:
                self._discard(conn)
                if isinstance(exc.__context__, TimeoutError):
                    raise  # the server is hung, not the connection stale: fail (and open the breaker)
                # Dropped while idle (server restart, wait_timeout): try the next one, then a new one.
                log.info("pooled database connection was dropped (%s); replacing it", describe(exc))
        return self._connect()

    def _checkin(self, conn: pymysql.connections.Connection) -> None:
        with self._lock:
            self._idle.append((conn, time.monotonic()))

    @staticmethod
    def _discard(conn: pymysql.connections.Connection | None) -> None:
        if conn is None:
            return
        try:
            conn.close()
        except Exception:  # already broken: closing only frees the socket
            pass

    def _failed(self, exc: BaseException) -> None:
        if self.breaker.failure(describe(exc)):
            log.warning("database unavailable (%s): failing fast for %ss", describe(exc), self.breaker.cooldown)
        # The others may be just as dead (server restarted): drop them all.
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._discard(conn)
