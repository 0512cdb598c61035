"""In-place graceful reload by HUP of the gunicorn master works with the app's worker model (gevent):
new code served by new workers, same master and listening socket, no failed request meanwhile."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import pytest
import requests

from conftest import APP_DIR
from harness import TMP, Gunicorn, app_venv_bin, wait_until
from rawhttp import exchange, json_error, timed_get
from test_chart_env import chart_gunicorn_env


def add_marker_route(code: os.PathLike, token: str) -> None:
    path = os.path.join(code, "application.py")
    with open(path, "a") as fh:
        fh.write(f'\napplication.add_url_rule("/marker", "marker", lambda: "{token}")\n')


class MasterImportsFlask(Gunicorn):
    """gunicorn whose master has imported flask before forking (as a reload preset may do to
    make reloads faster): gevent must still patch the workers correctly."""

    def _spawn(self, cmd, **kw):
        assert cmd[0].endswith("/gunicorn"), cmd  # started without the read-only mount wrapper
        launcher = [str(app_venv_bin() / "python"), "-c",
                    "import sys, flask; from gunicorn.app.wsgiapp import run; "
                    "sys.argv[0] = 'gunicorn'; run()", *cmd[1:]]
        super()._spawn(launcher, **kw)


@pytest.mark.parametrize("variant", ["plain", "flask-in-master", "chart-preset"])
def test_hup_reloads_new_code_in_place(app_env, variant):
    """chart-preset: gunicorn configured as the synthesized chart configures it (the gunicorn preset's
    GUNICORN_CMD_ARGS and config from its ConfigMap, which loads the app's gunicorn.conf.py)."""
    code = TMP / f"hup-code-{variant}"
    shutil.copytree(APP_DIR, code, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc"))
    env = dict(app_env)
    if variant == "chart-preset":
        env.update(chart_gunicorn_env(TMP / "chart-config"))
    server_class = MasterImportsFlask if variant == "flask-in-master" else Gunicorn
    server = server_class(f"hup-{variant}", code, env, workers=2)
    server.start()
    try:
        server.wait_healthy()
        wait_until(lambda: len(server.worker_pids()) == 2, 30, "both workers to boot")
        master, old_workers = server.proc.pid, server.worker_pids()
        assert len(old_workers) == 2
        probes: list[tuple[int, float]] = []
        done = threading.Event()

        def probe() -> None:
            while not done.is_set():
                probes.append(timed_get(server.url + "/healthz"))
                time.sleep(0.02)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            token = f"reloaded-{time.time_ns()}"
            add_marker_route(code, token)
            os.kill(master, signal.SIGHUP)
            took = wait_until(lambda: requests.get(server.url + "/marker", timeout=5).text == token, 30,
                              "the new code to be served after HUP")
            wait_until(lambda: len(server.worker_pids()) == 2 and not server.worker_pids() & old_workers, 30,
                       "the old workers to exit")
        finally:
            done.set()
            prober.join(10)
        print(f"HUP: new code served after {took:.2f}s; {len(probes)} probes meanwhile")
        assert server.running and server.proc.pid == master
        assert probes and all(status == 200 for status, _ in probes), [p for p in probes if p[0] != 200]
        log = server.log.read_text()
        assert "Traceback" not in log
        assert "Using worker: gevent" in log  # the app's gunicorn.conf.py was read
        status, _ = json_error(exchange(server.port, b"GARBAGE\r\n\r\n"))  # its hook too
        assert status == 400
    finally:
        server.stop()
