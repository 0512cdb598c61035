"""Configuration from the environment: a missing variable is a clear startup error."""

from __future__ import annotations

import pytest

from config import REQUIRED_ENV, ConfigError, load_config
from harness import Gunicorn, wait_until

GOOD = {
    "MYSQL_USERNAME": "u",
    "MYSQL_PASSWORD": "p",
    "MYSQL_INSTANCE_NAME": "db",
    "MYSQL_TCP_ADDR": "127.0.0.1",
    "MYSQL_TCP_PORT": "3306",
}


def test_required_env_is_what_the_app_reads():
    assert set(REQUIRED_ENV) == set(GOOD)
    cfg = load_config(GOOD)
    assert (cfg.user, cfg.password, cfg.database, cfg.host, cfg.port) == ("u", "p", "db", "127.0.0.1", 3306)
    secret = load_config({**GOOD, "MYSQL_PASSWORD": "hunter2-secret"})
    assert "hunter2-secret" not in repr(secret)  # never in a log line or traceback


@pytest.mark.parametrize("name", REQUIRED_ENV)
def test_missing_variable_is_named(name):
    env = {k: v for k, v in GOOD.items() if k != name}
    with pytest.raises(ConfigError) as err:
        load_config(env)
    assert name in str(err.value)
    assert all(other not in str(err.value) for other in REQUIRED_ENV if other != name)


@pytest.mark.parametrize("port", ["", "abc", "0", "65536", "-1", "3306x"])
def test_bad_port_is_named(port):
    with pytest.raises(ConfigError, match="MYSQL_TCP_PORT"):
        load_config({**GOOD, "MYSQL_TCP_PORT": port})


@pytest.mark.parametrize("name", ["MYSQL_USERNAME", "MYSQL_INSTANCE_NAME", "MYSQL_TCP_ADDR"])
def test_empty_value_is_named(name):
    with pytest.raises(ConfigError, match=name):
        load_config({**GOOD, name: " "})


def test_gunicorn_refuses_to_start_without_password(code_dir, app_env):
    env = {k: v for k, v in app_env.items() if k != "MYSQL_PASSWORD"}
    server = Gunicorn("noenv", code_dir, env, workers=2)
    server.start()
    try:
        wait_until(lambda: not server.running, 30, "gunicorn to exit on the missing variable")
        rc = server.proc.returncode
        log = server.log.read_text()
        assert rc != 0
        assert "python-mysql: configuration error: missing required environment variable(s): MYSQL_PASSWORD" in log
        assert "Worker failed to boot" in log
    finally:
        server.stop()
