"""The request body as JSON text: size-limited whatever the framing, UTF-8 only, with a deadline.

Why not Flask's request.get_data(): with a chunked body (no Content-Length) Werkzeug's limited
stream stops at MAX_CONTENT_LENGTH without an error, so a 1 MB body was cut to its first 4096
bytes and stored if those parsed. Here the body is read from the server's own input stream up to
the limit plus one byte: anything beyond the limit is a 413, never a truncated document.
"""

from __future__ import annotations

import time

# JSON on the wire is UTF-8 (RFC 8259 section 8.1). Python's json.loads(bytes) would also
# accept UTF-16/32 by sniffing, which this rejects.
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff")
_READ_CHUNK = 16384


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def read_json_text(environ: dict, content_length: int | None, charset: str | None,
                   max_bytes: int, timeout: float) -> str:
    """The body decoded as UTF-8, or BodyError(status, message) for the client."""
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise BodyError(415, f"charset={charset} is not supported: send JSON as UTF-8 (RFC 8259)")
    if content_length is not None and content_length > max_bytes:
        raise BodyError(413, f"request body is {content_length} bytes; the limit is {max_bytes}")
    raw = _read_limited(environ, max_bytes, timeout)
    if raw.startswith(_UTF16_32_BOMS) or b"\x00" in raw[:4]:
        raise BodyError(415, "request body looks like UTF-16 or UTF-32: send JSON as UTF-8 (RFC 8259)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"request body is not valid UTF-8 (byte {exc.start})") from None


def _read_limited(environ: dict, max_bytes: int, timeout: float) -> bytes:
    """Up to max_bytes from wsgi.input; BodyError 413 if there is more, 408 if it stalls."""
    stream = environ["wsgi.input"]
    # The server's socket: every read gets what is left of `timeout`, so a client that sends
    # half a body and stops frees its connection after `timeout` seconds in total.
    sock = environ.get("gunicorn.socket")
    saved = sock.gettimeout() if sock is not None else None
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if sock is not None:
                sock.settimeout(left)
            chunk = stream.read(min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise BodyError(413, f"request body is larger than the limit of {max_bytes} bytes")
    except TimeoutError:
        raise BodyError(408, f"request body not received within {timeout:g}s") from None
    except BodyError:
        raise
    except OSError:  # the client closed the connection mid-body (gunicorn's NoMoreData)
        raise BodyError(400, "request body incomplete: the client closed the connection") from None
    except Exception as exc:  # gunicorn's chunked-framing errors (InvalidChunkSize...)
        raise BodyError(400, f"malformed request body: {type(exc).__name__}") from None
    finally:
        if sock is not None:
            try:
                sock.settimeout(saved)
            except OSError:
                pass
