"""gunicorn's own error responses (bad request line, URI too long, headers too large...) as JSON.

gunicorn writes those before the app sees the request, through `gunicorn.util.write_error`, which
always renders an HTML page and has no setting for the format. `install()` (called from the
post_worker_init hook in gunicorn.conf.py, in every worker) replaces it with a writer of the same
signature that sends `{"error": "..."}`, the app's error shape.
"""

from __future__ import annotations

import json

from gunicorn import util


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    message = f"{reason}: {mesg}" if mesg else reason
    body = json.dumps({"error": message}).encode("utf-8")
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    ).encode("latin-1")
    util.write_nonblock(sock, head + body)


def install() -> None:
    util.write_error = write_error
