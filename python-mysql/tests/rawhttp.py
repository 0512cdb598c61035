"""Raw HTTP over a socket, for what `requests` cannot send: half requests, oversized lines."""

from __future__ import annotations

import json
import socket
import time

import requests


def connect(port: int, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, body


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with connect(port) as sock:
        sock.sendall(request)
        return parse(read_all(sock))


def json_error(status_headers_body) -> tuple[int, str]:
    status, headers, body = status_headers_body
    assert headers.get("content-type", "").startswith("application/json"), (status, headers, body[:200])
    message = json.loads(body)["error"]
    assert isinstance(message, str) and message
    return status, message


def timed_get(url: str, timeout: float = 5) -> tuple[int, float]:
    """Status and seconds of a GET on a new connection (like a kubelet probe)."""
    start = time.perf_counter()
    try:
        status = requests.get(url, timeout=timeout).status_code
    except requests.RequestException:
        status = 0
    return status, time.perf_counter() - start
