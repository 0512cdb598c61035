"""Shared fixtures: one private MariaDB and one gunicorn app for the session.

Run through tests/run.sh (it installs MariaDB and the venv and sets
APP_TEST_TMP, MARIADBD, MARIADB_INSTALL_DB, APP_DIR, REPO_DIR).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP_DIR = Path(os.environ.get("APP_DIR", Path(__file__).resolve().parents[1]))
REPO_DIR = Path(os.environ.get("REPO_DIR", APP_DIR.parent))
sys.path.insert(0, str(APP_DIR))  # for `import config`

from settings import BREAKER_COOLDOWN_S  # noqa: E402
from harness import IS_ROOT, TMP, Gunicorn, MariaDB  # noqa: E402

DB_USER = "hotreload"
DB_PASSWORD = "s3cret 'quoted' pw"  # quotes/spaces: credentials must be passed, not interpolated
DB_NAME = "hotreload"
NOBODY = 65534
CODE_SNAPSHOT: dict[str, tuple[int, int]] = {}  # code_dir as copied, before any server ran


def _unshare_works() -> bool:
    if not IS_ROOT or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            f'mount --bind "{TMP}" "{TMP}" && mount -o remount,bind,ro "{TMP}" "{TMP}"'],
                           capture_output=True, timeout=10)
    return probe.returncode == 0


READONLY_MOUNT = _unshare_works()


@pytest.fixture(scope="session")
def mariadb():
    db = MariaDB(TMP / "mariadb")
    db.install()
    db.start()
    # Grants by pattern so tests can make extra databases (hotreload_*).
    db.sql(f"CREATE DATABASE {DB_NAME}")
    db.sql("CREATE USER %s@'%%' IDENTIFIED BY %s", (DB_USER, DB_PASSWORD))
    db.sql(f"GRANT ALL PRIVILEGES ON `{DB_NAME}`.* TO %s@'%%'", (DB_USER,))
    db.sql(f"GRANT ALL PRIVILEGES ON `{DB_NAME}\\_%%`.* TO %s@'%%'", (DB_USER,))
    yield db
    db.stop()


@pytest.fixture(scope="session")
def code_dir():
    """A copy of the app code like the pod's /code: read-only, owned by another user."""
    dest = TMP / "code"
    shutil.copytree(APP_DIR, dest, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.pyc", ".pytest_cache"))
    for path in [dest, *dest.rglob("*")]:
        if IS_ROOT:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        path.chmod(0o555 if path.is_dir() else 0o444)
    CODE_SNAPSHOT.update(snapshot(dest))
    yield dest


def snapshot(tree: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(tree)): (p.stat().st_size, p.stat().st_mtime_ns) for p in tree.rglob("*")}


@pytest.fixture(scope="session")
def app_env(mariadb):
    return {
        "MYSQL_USERNAME": DB_USER,
        "MYSQL_PASSWORD": DB_PASSWORD,
        "MYSQL_INSTANCE_NAME": DB_NAME,
        "MYSQL_TCP_ADDR": "127.0.0.1",
        "MYSQL_TCP_PORT": str(mariadb.port),
    }


def _served(name: str, code_dir, app_env, workers: int):
    server = Gunicorn(name, code_dir, app_env, workers=workers, readonly_mount=READONLY_MOUNT)
    server.start()
    server.wait_healthy()
    server.wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(code_dir, app_env):
    yield from _served("app", code_dir, app_env, workers=4)


@pytest.fixture(scope="session")
def pod_app(code_dir, app_env):
    """The app as the chart runs it: the preset's command, 2 workers."""
    yield from _served("pod", code_dir, app_env, workers=2)


@pytest.fixture
def empty_table(app, mariadb):
    """Start a test from an empty scores table (the app created it at startup)."""
    mariadb.sql("TRUNCATE TABLE scores", database=DB_NAME)


@pytest.fixture
def db_restored(mariadb, app):
    """For tests that stop/kill the DB: make sure it runs again afterwards."""
    yield mariadb
    if not mariadb.running:
        mariadb.start()
    app.wait_ready(timeout=60)
    # Every worker's circuit breaker has expired: the next test starts from a serving app.
    time.sleep(BREAKER_COOLDOWN_S)
