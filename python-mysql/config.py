"""Configuration of the python-mysql app, read from environment variables.

REQUIRED_ENV is the single list of variables the app reads; the chart test
(tests/test_chart_env.py) compares it with the env of the `app` container in
dist/*.k8s.yaml, so the two cannot drift apart silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

REQUIRED_ENV: tuple[str, ...] = (
    "MYSQL_USERNAME",
    "MYSQL_PASSWORD",
    "MYSQL_INSTANCE_NAME",
    "MYSQL_TCP_ADDR",
    "MYSQL_TCP_PORT",
)


class ConfigError(RuntimeError):
    """Raised at startup when the environment does not configure the app."""


@dataclass(frozen=True)
class Config:
    user: str
    # repr=False: the password must never end up in a log line or traceback.
    password: str = field(repr=False)
    database: str
    host: str
    port: int


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from `environ` (default: os.environ) or raise ConfigError.

    Every problem is reported at once, each naming the variable, so one restart
    is enough to fix a broken environment.
    """
    env = os.environ if environ is None else environ
    missing = [name for name in REQUIRED_ENV if name not in env]
    if missing:
        raise ConfigError(
            "missing required environment variable(s): "
            + ", ".join(missing)
            + " (set them in the container env; see python-mysql/config.py REQUIRED_ENV)"
        )

    problems = []
    for name in ("MYSQL_USERNAME", "MYSQL_INSTANCE_NAME", "MYSQL_TCP_ADDR"):
        if not env[name].strip():
            problems.append(f"{name} is empty")
    raw_port = env["MYSQL_TCP_PORT"].strip()
    port = 0
    if raw_port.isdigit() and 1 <= int(raw_port) <= 65535:
        port = int(raw_port)
    else:
        problems.append(f"MYSQL_TCP_PORT={env['MYSQL_TCP_PORT']!r} is not a TCP port (1-65535)")
    if problems:
        raise ConfigError("invalid environment: " + "; ".join(problems))

    return Config(
        user=env["MYSQL_USERNAME"],
        password=env["MYSQL_PASSWORD"],
        database=env["MYSQL_INSTANCE_NAME"],
        host=env["MYSQL_TCP_ADDR"],
        port=port,
    )
