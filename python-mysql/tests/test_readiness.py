"""Readiness means "can serve" (issue 12): the chart's probes, run for real.

The app's probe path must answer 503 when the app cannot log in (a changed Secret on a kept data
dir); MySQL's probe command, exactly as synthesized, must fail on wrong credentials (mysqladmin
ping did not), pass on right ones and print nothing, with the password never in its argv."""

from __future__ import annotations

import os
import subprocess

import requests

from conftest import DB_NAME, DB_PASSWORD, DB_USER, READONLY_MOUNT
from harness import Gunicorn
from test_api import TIMEOUT, assert_unavailable
from test_chart_env import chart_container


def mysql_probe(mariadb, user: str, password: str) -> subprocess.CompletedProcess:
    command = chart_container("mysql", "mysql")["readinessProbe"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"] and "--port=3306" in command[2], command
    # The synthesized probe, pointed at the test server's port (the pod's is 3306).
    script = command[2].replace("--port=3306", f"--port={mariadb.port}")
    assert password not in script
    env = {"PATH": os.environ["PATH"], "MYSQL_USER": user, "MYSQL_PASSWORD": password, "MYSQL_DATABASE": DB_NAME}
    return subprocess.run([*command[:2], script], env=env, capture_output=True, text=True, timeout=10)


def test_mysql_probe_logs_in_silently(mariadb):
    log_before = mariadb.log.read_text(errors="replace")
    res = mysql_probe(mariadb, DB_USER, DB_PASSWORD)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and res.stderr == ""
    assert mariadb.log.read_text(errors="replace") == log_before  # the server logged nothing either


def test_mysql_probe_fails_on_wrong_credentials(mariadb):
    res = mysql_probe(mariadb, DB_USER, "not-the-password")
    assert res.returncode != 0
    assert "Access denied" in res.stderr and "not-the-password" not in res.stderr


def test_app_probe_is_unready_when_the_app_cannot_log_in(code_dir, app_env, mariadb):
    probe = chart_container("python-mysql", "app")["readinessProbe"]["httpGet"]["path"]
    assert probe == "/readyz"
    server = Gunicorn("badpw", code_dir, {**app_env, "MYSQL_PASSWORD": "changed-secret"}, workers=1,
                      readonly_mount=READONLY_MOUNT)
    server.start()
    try:
        server.wait_healthy()
        body = assert_unavailable(requests.get(server.url + probe, timeout=TIMEOUT))
        assert "Access denied" in body["reason"] and "changed-secret" not in body["reason"]
        assert requests.get(server.url + "/healthz", timeout=TIMEOUT).status_code == 200
        assert "changed-secret" not in server.log.read_text()
    finally:
        server.stop()
