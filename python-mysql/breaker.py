"""Fail fast while the database is down or hung, instead of making every request wait for it.

After a failure the breaker is open for `cooldown` seconds: requests needing the database get a
503 with Retry-After at once. Then one request (the trial) may try the database again while the
others keep failing fast; its success closes the breaker, its failure opens it again. Without
this, a hung server (SIGSTOP, a full disk) holds each request for the whole I/O timeout.
One breaker per worker process; the clock is injectable for tests.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Callable


class BreakerOpen(Exception):
    """The database failed recently; retry after `retry_after` seconds."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(f"database unavailable (failing fast for {retry_after}s after: {reason})")
        self.retry_after = retry_after


class CircuitBreaker:
    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()  # gevent-patched in the worker: never held across I/O
        self._open_until = 0.0
        self._trial = False
        self._reason = ""

    def before(self) -> bool:
        """Call before using the database: raises BreakerOpen while it must not be tried.

        Returns True when the caller is the trial; it must then report success(), failure() or,
        if it never reached the database, abandon()."""
        with self._lock:
            if not self._open_until:
                return False
            now = self._clock()
            if now < self._open_until or self._trial:
                raise BreakerOpen(max(1, math.ceil(self._open_until - now)), self._reason)
            self._trial = True  # this caller tries; the others keep failing fast
            return True

    def success(self) -> None:
        with self._lock:
            self._open_until, self._trial, self._reason = 0.0, False, ""

    def failure(self, reason: str) -> bool:
        """Open (again) for `cooldown` seconds; True if it was closed, i.e. worth a log line."""
        with self._lock:
            was_closed = not self._open_until
            self._open_until = self._clock() + self.cooldown
            self._trial, self._reason = False, reason
            return was_closed

    def abandon(self) -> None:
        """The trial ended without reaching the database: let the next caller try."""
        with self._lock:
            self._trial = False

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before retrying (at least 1)."""
        with self._lock:
            return max(1, math.ceil(self._open_until - self._clock())) if self._open_until else 1
