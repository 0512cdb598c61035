"""Fixtures of the reload robustness suite: the synthesized supervisor, two userlands, one case context."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reload_harness as h  # noqa: E402

VENV_BIN = os.path.dirname(sys.executable)


def pytest_configure(config):
    h.become_subreaper()


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    s = h.Synthesized(str(tmp_path_factory.mktemp("synth")))
    print(f"\nsupervisor under test: {s.source}\ncommand: {s.command}\nenv: {s.env}")
    return s


@pytest.fixture(scope="session")
def node_synth(tmp_path_factory):
    """The supervisor as ReloadPresets.node synthesizes it (the bench's preset chart, from lib/)."""
    work = str(tmp_path_factory.mktemp("node-synth"))
    s = h.Synthesized(work, dist_dir=h.synthesize_presets(os.path.join(work, "chart")), deployment="bench-node")
    print(f"\nnode preset under test: {s.command}\nenv: {s.env}")
    return s


@pytest.fixture(scope="session")
def busybox_bin(tmp_path_factory):
    """A PATH dir holding only busybox applet symlinks plus the apps' runtimes (python3, gunicorn, node)."""
    bb = shutil.which("busybox")
    if not bb:
        pytest.fail("busybox is missing: apt-get install busybox-static (test/reload/run.sh does this)")
    d = tmp_path_factory.mktemp("busybox-bin")
    applets = subprocess.run([bb, "--list"], capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        os.symlink(bb, d / a)
    for tool in ("python3", "gunicorn"):
        os.symlink(os.path.join(VENV_BIN, tool), d / tool)
    os.symlink(shutil.which("node"), d / "node")
    return str(d)


@pytest.fixture(params=["system", "busybox"])
def userland(request, busybox_bin):
    """system: /bin/sh (dash) + GNU tools; busybox: `busybox sh` with only busybox applets on PATH."""
    if request.param == "system":
        return {"name": "system", "shell": None, "path": VENV_BIN + ":" + os.environ.get("PATH", "/usr/bin:/bin")}
    return {"name": "busybox", "shell": os.path.join(busybox_bin, "sh"), "path": busybox_bin}


class Case:
    """One supervisor run on a fresh watched tree; teardown stops everything and checks the tree."""

    def __init__(self, synth, userland, root):
        self.synth, self.userland, self.root = synth, userland, root
        self.watch = os.path.join(root, "code")
        self.state = os.path.join(root, "state")         # outside the watched tree
        self.tree = h.Tree(self.watch)
        self.port = h.free_port()
        self.sup = None
        self.log_path = os.path.join(root, "supervisor.log")

    def start(self, app=None, extra_env=None, cwd=None):
        """Start the supervisor with the synthesized app command (or `app`), tracking the tree from now."""
        self.tree.start_tracking()
        if app is not None:   # a case's own app: the default reload (a restart), unless the case says
            extra_env = {"HOT_RELOAD_ACTION": "restart", **(extra_env or {})}
        self.sup = h.Supervisor(self.synth, self.watch, self.state,
                                app if app is not None else self.synth.app_command(self.port),
                                shell=self.userland["shell"], path=self.userland["path"],
                                extra_env=extra_env, cwd=cwd, log_path=self.log_path)
        return self.sup

    def edit_app(self, token):
        return self.tree.write("application.py", h.app_source(token))

    def served(self, token, timeout=20):
        """Master pid of the app once it serves `token`; fails the test after timeout."""
        body = h.wait_until(lambda: (lambda b: b if b and b.startswith(token + " ") else None)(
            h.http_get(self.port)), timeout)
        assert body, f"app did not serve {token!r} within {timeout}s; last body {h.http_get(self.port)!r}\n" \
                     f"--- supervisor log ---\n{self.sup.tail()}"
        return int(body.split("master=")[1])

    def wait_log(self, pattern, timeout=10, since=0):
        hit = self.sup.wait_log(pattern, timeout, since)
        assert hit, f"no log line matching {pattern!r} within {timeout}s\n--- supervisor log ---\n{self.sup.tail()}"
        return hit

    def reloaded(self, since, timeout=20):
        """The log line of the reload (a restart, or an in-place reload by signal) after `since`."""
        return self.wait_log(r"^hot-reload: (restarted|reloaded) ", timeout, since=since)

    @property
    def in_place(self):
        """The synthesized app reloads in place (gunicorn HUP: same master pid)."""
        return self.synth.env.get("HOT_RELOAD_ACTION", "restart").startswith("signal:")

    def alive_check(self):
        assert self.sup.proc.poll() is None, f"supervisor exited ({self.sup.proc.returncode})\n{self.sup.tail()}"


def run_case(synth, userland):
    root = tempfile.mkdtemp(prefix=f"reload-{userland['name']}-")
    c = Case(synth, userland, root)
    os.makedirs(c.watch)
    yield c
    if c.sup:
        c.sup.stop()
    c.tree.assert_untouched()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def case(synth, userland):
    yield from run_case(synth, userland)


@pytest.fixture
def node_case(node_synth, userland):
    """A case whose app is the node preset's: `node /hot-reload/node-reload.cjs server.js`, HUP to reload."""
    yield from run_case(node_synth, userland)
