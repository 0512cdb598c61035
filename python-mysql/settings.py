"""Limits and timeouts of the python-mysql app (docs/app.md "Worker model"). No side effects on import:
the tests read them too. The header deadline is gunicorn's `keepalive` in gunicorn.conf.py; the DB
connect/I/O timeouts are in storage.py.
"""

# A score document is a few bytes; anything near this is abuse.
MAX_BODY_BYTES = 4096
# A client must send its whole body within this (the headers: gunicorn.conf.py keepalive).
BODY_TIMEOUT_S = 5
# Connections each worker keeps open; more concurrent DB requests wait up to POOL_WAIT_S.
# Only overload makes requests wait here (a down or hung DB trips the breaker instead): queue a
# burst for a while, then shed it with a 503 + Retry-After rather than queue without bound.
POOL_SIZE = 10
POOL_WAIT_S = 5
# A pooled connection idle longer than this is pinged before use (a busy one is not: no extra
# round trip under load; an idle one may have been dropped by a server restart or wait_timeout).
PING_AFTER_S = 0.1
# After a DB failure, requests fail fast this long before one tries the DB again.
BREAKER_COOLDOWN_S = 2
# /readyz logs in and queries within this; below the chart's probe timeout (2 s).
READY_TIMEOUT_S = 1
