"""Hostile clients (issue 12): truncation by size limit, idle and half-sent connections, encodings,
and gunicorn's own errors. Each test failed against the app before issue 12."""

from __future__ import annotations

import time

import pytest
import requests

from rawhttp import connect, exchange, json_error, parse, read_all, timed_get
from test_api import TIMEOUT, assert_json_error, row_count

JSON = {"Content-Type": "application/json"}
HEALTHZ_BUDGET_S = 0.1


def padded(prefix: bytes, size: int) -> bytes:
    return prefix + b" " * (size - len(prefix))


@pytest.mark.parametrize("tail", [b', "admin": true}', b"x" * (1024 * 1024)], ids=["extra-field", "1MB-junk"])
def test_chunked_body_over_the_limit_is_never_stored_truncated(app, mariadb, empty_table, tail):
    """Was 201 {"score": 4242}: Werkzeug cut a chunked body at 4096 bytes and the cut parsed."""
    head = padded(b'{"score": 4242}', 4096)
    resp = requests.post(app.url + "/scores", data=iter([head, tail]), headers=JSON, timeout=TIMEOUT)
    assert_json_error(resp, 413)
    assert row_count(mariadb) == 0


def test_body_of_exactly_the_limit_is_accepted(app, mariadb, empty_table):
    body = padded(b'{"score": 4096', 4095) + b"}"
    assert requests.post(app.url + "/scores", data=iter([body]), headers=JSON, timeout=TIMEOUT).status_code == 201
    assert requests.post(app.url + "/scores", data=body, headers=JSON, timeout=TIMEOUT).status_code == 201
    assert_json_error(requests.post(app.url + "/scores", data=body + b" ", headers=JSON, timeout=TIMEOUT), 413)
    assert row_count(mariadb) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_utf16_and_utf32_bodies_are_rejected(app, mariadb, empty_table, encoding):
    """JSON on the wire is UTF-8 (RFC 8259); json.loads(bytes) used to sniff and accept these."""
    resp = requests.post(app.url + "/scores", data='{"score": 5}'.encode(encoding), headers=JSON, timeout=TIMEOUT)
    assert "UTF-8" in assert_json_error(resp, 415)["error"]
    assert row_count(mariadb) == 0


def test_non_utf8_charset_is_rejected(app, mariadb, empty_table):
    resp = requests.post(app.url + "/scores", data=b'{"score": 5}', timeout=TIMEOUT,
                         headers={"Content-Type": "application/json; charset=utf-16"})
    assert "charset=utf-16" in assert_json_error(resp, 415)["error"]
    assert row_count(mariadb) == 0


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n", 400),
], ids=["414-uri", "431-header", "400-request-line", "400-header-name"])
def test_gunicorn_errors_are_json(app, request_bytes, status):
    """Errors raised by gunicorn before the app runs: were gunicorn's HTML page."""
    got, message = json_error(exchange(app.port, request_bytes))
    assert got == status, message


def test_50_idle_or_half_sent_connections_do_not_stall_the_app(pod_app):
    """Was: 2 idle sockets took the 2-worker pod's /healthz down; half-sent bodies stalled it for 30 s."""
    half_headers = b"POST /scores HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    half_body = half_headers + b"Content-Length: 100\r\n\r\n" + b'{"score": '
    socks = []
    for i in range(50):
        sock = connect(pod_app.port)
        kind = ("idle", "half-headers", "half-body")[i % 3]
        if kind != "idle":
            sock.sendall(half_headers if kind == "half-headers" else half_body)
        socks.append((kind, sock))
    try:
        time.sleep(0.3)
        probes = [timed_get(pod_app.url + "/healthz") for _ in range(20)]
        assert all(status == 200 for status, _ in probes), probes
        slowest = max(took for _, took in probes)
        print(f"/healthz with 50 stalled connections: slowest of 20 = {slowest * 1000:.1f} ms")
        assert slowest <= HEALTHZ_BUDGET_S, probes
        # ...and they do not hold anything for long: half bodies get a 408 after the body deadline
        # (5 s), the others are closed after the header deadline (gunicorn keepalive, 5 s).
        start = time.monotonic()
        for kind, sock in socks:
            sock.settimeout(15)
            data = read_all(sock)
            if kind == "half-body":
                status, message = json_error(parse(data))
                assert status == 408, message
            else:
                assert data == b"", (kind, data[:200])
        assert time.monotonic() - start < 8
    finally:
        for _, sock in socks:
            sock.close()
