"""Process helpers for the python-mysql tests: a private MariaDB and real gunicorn.

Every process started here is a session leader whose pid is written to
$APP_TEST_TMP/pids/<name>.pid while it runs; tests/run.sh kills whatever is
left there on exit, so nothing survives a failed or interrupted run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pymysql
import requests

TMP = Path(os.environ["APP_TEST_TMP"])
PIDS = TMP / "pids"
IS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll `check` until true; returns the seconds it took, fails after `timeout`."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def app_venv_bin() -> Path:
    """bin/ of the app's runtime venv (requirements.txt only, as in the image; tests/env.sh)."""
    return Path(os.environ["APP_VENV"]) / "bin" if "APP_VENV" in os.environ else Path(sys.executable).parent


class Managed:
    """A child process in its own session, registered in the pid dir."""

    def __init__(self, name: str, log: Path) -> None:
        self.name = name
        self.log = log
        self.proc: subprocess.Popen | None = None

    def _spawn(self, cmd: list[str], **kw) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, **kw)
        (PIDS / f"{self.name}.pid").write_text(str(self.proc.pid))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        """Signal the whole group, wait for the leader; KILL after `timeout`."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal_group(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(10)
        # Reap anything left in the group (e.g. gunicorn workers).
        self._signal_group(signal.SIGKILL)
        rc = self.proc.returncode
        (PIDS / f"{self.name}.pid").unlink(missing_ok=True)
        self.proc = None
        return rc


class MariaDB(Managed):
    ROOT_PASSWORD = ""  # root@localhost over the private socket only

    def __init__(self, base: Path) -> None:
        base.mkdir(parents=True, exist_ok=True)
        super().__init__("mariadb", base / "mariadb.log")
        self.base = base
        self.datadir = base / "data"
        self.socket = base / "mysqld.sock"
        self.port = free_port()
        self.mariadbd = os.environ["MARIADBD"]
        self.install_db = os.environ["MARIADB_INSTALL_DB"]

    def _common(self) -> list[str]:
        opts = ["--no-defaults", f"--datadir={self.datadir}", "--innodb-log-file-size=16M"]
        if IS_ROOT:
            # mariadbd refuses to run as root unless told to; the datadir is private.
            opts.append("--user=root")
        return opts

    def install(self) -> None:
        res = subprocess.run(
            [self.install_db, *self._common(), "--auth-root-authentication-method=normal",
             "--skip-test-db", "--skip-name-resolve"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180,
        )
        if res.returncode != 0:
            raise AssertionError(f"mariadb-install-db failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")

    def _tls_options(self) -> list[str]:
        """A throwaway self-signed server certificate, as MySQL 8.4 makes for itself."""
        cert, key = self.base / "server-cert.pem", self.base / "server-key.pem"
        if not cert.exists():
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=python-mysql-test", "-keyout", str(key), "-out", str(cert)],
                           check=True, capture_output=True, timeout=60)
        return [f"--ssl-cert={cert}", f"--ssl-key={key}"]

    def start(self, timeout: float = 90, tls: bool = True) -> float:
        """Start mariadbd (offering TLS unless tls=False) and wait until it answers.

        Returns the seconds it took."""
        assert not self.running, "mariadb already running"
        (self.base / "tmp").mkdir(exist_ok=True)
        self._spawn([
            self.mariadbd, *self._common(),
            "--bind-address=127.0.0.1", f"--port={self.port}", f"--socket={self.socket}",
            f"--pid-file={self.base / 'mariadb.pid'}", f"--tmpdir={self.base / 'tmp'}",
            "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
            *(self._tls_options() if tls else []),
        ])

        def up() -> bool:
            if not self.running:
                raise AssertionError(f"mariadbd exited with {self.proc.returncode}:\n{tail(self.log)}")
            try:
                self.root().close()
                return True
            except pymysql.MySQLError:
                return False

        return wait_until(up, timeout, "mariadbd to accept connections", interval=0.2)

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def root(self, database: str | None = None) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=str(self.socket), user="root", password=self.ROOT_PASSWORD,
                               database=database, autocommit=True, connect_timeout=2)

    def status(self, name: str) -> str:
        return self.sql("SHOW GLOBAL STATUS LIKE %s", (name,))[0][1]

    def sql(self, statement: str, args=None, database: str | None = None) -> list[tuple]:
        conn = self.root(database)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, args)
                return list(cur.fetchall())
        finally:
            conn.close()


class Gunicorn(Managed):
    def __init__(self, name: str, code_dir: Path, env: dict[str, str], workers: int = 4,
                 readonly_mount: bool = False) -> None:
        super().__init__(name, TMP / f"{name}.log")
        self.code_dir = code_dir
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.readonly_mount = readonly_mount

    def start(self) -> None:
        gunicorn = str(app_venv_bin() / "gunicorn")
        cmd = [gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
               "application:application"]
        if self.readonly_mount:
            # Root ignores file modes, so make /code truly read-only: a private
            # mount namespace with a read-only bind mount over the code dir.
            cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && cd "$0" && exec "$@"',
                   str(self.code_dir), *cmd]
        home = TMP / "home"
        home.mkdir(exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", **self.env}
        self._spawn(cmd, cwd=self.code_dir, env=env)

    def wait_healthy(self, timeout: float = 30) -> float:
        def up() -> bool:
            if not self.running:
                raise AssertionError(f"gunicorn exited with {self.proc.returncode}:\n{tail(self.log)}")
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        return wait_until(up, timeout, f"{self.name} /healthz")

    def wait_ready(self, timeout: float = 30) -> float:
        def ready() -> bool:
            try:
                return requests.get(self.url + "/readyz", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        return wait_until(ready, timeout, f"{self.name} /readyz == 200", interval=0.2)

    def worker_pids(self) -> set[int]:
        """Pids of the gunicorn workers (children of the master)."""
        master = self.proc.pid
        pids = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.add(int(stat.parent.name))
        return pids
