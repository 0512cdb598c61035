"""A hung database (mariadbd SIGSTOPped, issue 12): /healthz stays fast, DB requests fail fast with a 503."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time

import requests

from rawhttp import timed_get
from storage import IO_TIMEOUT_S
from test_api import TIMEOUT, assert_unavailable, post_until_created

HANG_S = 7


def test_hung_db_healthz_fast_db_requests_fail_fast(pod_app, db_restored):
    """Was: with mariadbd stopped, requests held the workers up to 10 s and /healthz timed out."""
    mariadb = db_restored
    for _ in range(5):  # pools warm: the hang hits live pooled connections, not only new logins
        assert requests.get(pod_app.url + "/scores", timeout=TIMEOUT).status_code == 200
    results: list[tuple[float, float, requests.Response]] = []  # (start offset, seconds, response)
    lock = threading.Lock()
    t0 = time.monotonic()
    stop = t0 + HANG_S

    def client(i: int) -> None:
        while time.monotonic() < stop:
            start = time.monotonic()
            if i % 2:
                resp = requests.post(pod_app.url + "/scores", json={"score": i}, timeout=30)
            else:
                resp = requests.get(pod_app.url + "/scores", timeout=30)
            with lock:
                results.append((start - t0, time.monotonic() - start, resp))
            time.sleep(0.02)  # leave the GIL of this test process to the /healthz prober

    os.kill(mariadb.proc.pid, signal.SIGSTOP)
    try:
        clients = [threading.Thread(target=client, args=(i,)) for i in range(10)]
        for c in clients:
            c.start()
        probes = []
        while time.monotonic() < stop:
            probes.append(timed_get(pod_app.url + "/healthz"))
            time.sleep(0.05)
        for c in clients:
            c.join(30)
    finally:
        os.kill(mariadb.proc.pid, signal.SIGCONT)

    assert all(status == 200 for status, _ in probes), probes
    slowest_probe = max(took for _, took in probes)
    p95 = statistics.quantiles([took for _, took in probes], n=20)[-1]
    for _, _, resp in results:
        assert_unavailable(resp)
    slowest = max(took for _, took, _ in results)
    later = [took for start, took, _ in results if start > IO_TIMEOUT_S + 1]
    print(f"hung DB: {len(probes)} /healthz, p95 {p95 * 1000:.1f} ms, slowest {slowest_probe * 1000:.1f} ms; {len(results)} DB requests, "
          f"slowest {slowest:.2f} s, median after {IO_TIMEOUT_S + 1}s {statistics.median(later) * 1000:.1f} ms")
    assert slowest_probe <= 0.1
    assert slowest <= 2 * IO_TIMEOUT_S + 0.5     # at worst a ping and a login timing out, never 10 s+
    assert statistics.median(later) <= 0.1       # then the breaker answers at once
    pod_app.wait_ready(timeout=30)
    post_until_created(pod_app, 4242)
