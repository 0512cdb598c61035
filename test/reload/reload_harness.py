"""Runs the reload supervisor exactly as synthesized into dist/ and observes it from outside.

Shared by the robustness suite (test/reload) and the benchmark (bench/reload). Stdlib only.

The supervisor script, the container command's shape and the container's plain env come from
dist/dev-environment.k8s.yaml via test/support/supervisor-from-dist.js. Only host-specific values are
substituted: the supervisor path, the watched directory (/code), the state directory, the bind address
(0.0.0.0:3000 -> 127.0.0.1:<free port>) and, where a case needs it, the app command.
"""
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIST_YAML = os.path.join(REPO, "dist", "dev-environment.k8s.yaml")
FROM_DIST = os.path.join(REPO, "test", "support", "supervisor-from-dist.js")
LIB_SCRIPT = os.path.join(REPO, "lib", "supervisor", "supervisor.sh")
DEPLOYMENT = "python-mysql"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The app as the contract names it; used only when dist/ does not exist yet (local development).
CONTRACT_COMMAND = ["/bin/sh", "/hot-reload/supervisor.sh", "supervise", "--",
                    "gunicorn", "--bind", "0.0.0.0:3000", "--workers", "2", "application:application"]
CONTRACT_ENV = {"HOT_RELOAD_WATCH": "/code", "HOT_RELOAD_STATE_DIR": "/tmp/hot-reload",
                "PYTHONDONTWRITEBYTECODE": "1"}


def become_subreaper():
    """Orphans of anything we start re-parent to us, so 'no orphans' can be checked exactly."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


class Synthesized:
    """The supervisor as synthesized: script path, container command, plain env."""

    def __init__(self, workdir, dist_dir=None, deployment=DEPLOYMENT):
        """dist_dir: another synth output to extract `deployment` from (the bench's preset chart)."""
        self.source = None
        out = os.path.join(workdir, "from-dist")
        if not dist_dir and os.environ.get("RELOAD_DIST_DIR"):   # development: a synth of lib/ elsewhere
            if os.environ.get("CI") == "true":
                raise RuntimeError("RELOAD_DIST_DIR must not be set in CI: CI tests dist/")
            dist_dir = os.path.abspath(os.environ["RELOAD_DIST_DIR"])
        self.files_dir = None
        if dist_dir or os.path.exists(DIST_YAML):
            if not os.path.exists(FROM_DIST):
                raise RuntimeError(f"{DIST_YAML} exists but {FROM_DIST} is missing: the lead's extraction "
                                   "tool is needed to run the supervisor exactly as synthesized")
            os.makedirs(out, exist_ok=True)
            # every file of the supervisor ConfigMap (the script and helpers such as gunicorn.conf.py),
            # the container command and its plain env
            subprocess.run(["node", FROM_DIST, "--deployment", deployment, "--out", out,
                            "--dist", dist_dir or os.path.join(REPO, "dist")], check=True, cwd=REPO, timeout=60)
            self.script = os.path.join(out, "supervisor.sh")
            with open(os.path.join(out, "command.json")) as f:
                self.command = json.load(f)
            with open(os.path.join(out, "env.json")) as f:
                self.env = json.load(f)
            self.source = f"{dist_dir} (Deployment {deployment})" if dist_dir else \
                "dist/dev-environment.k8s.yaml (ConfigMap python-mysql-supervisor)"
            self.files_dir = out
        else:
            if os.environ.get("CI") == "true":
                raise RuntimeError(f"{DIST_YAML} is missing: run `npm run synth` (CI must test the synthesized "
                                   "supervisor, not lib/supervisor/supervisor.sh)")
            self.script = LIB_SCRIPT
            self.command = list(CONTRACT_COMMAND)
            self.env = dict(CONTRACT_ENV)
            self.source = "lib/supervisor/supervisor.sh (dist/ not synthesized yet: contract command/env)"
        override = os.environ.get("RELOAD_SUPERVISOR_SCRIPT")
        if override:   # only to evaluate a proposed supervisor patch; the command and env stay dist's
            if os.environ.get("CI") == "true":
                raise RuntimeError("RELOAD_SUPERVISOR_SCRIPT must not be set in CI")
            self.script = os.path.abspath(override)
            self.source = f"{self.script} (RELOAD_SUPERVISOR_SCRIPT override) with command/env of {self.source}"
        # only to evaluate proposed settings: "K=V K=V" added to the synthesized env
        self.extra = dict(kv.split("=", 1) for kv in os.environ.get("RELOAD_EXTRA_ENV", "").split())
        if self.extra:
            if os.environ.get("CI") == "true":
                raise RuntimeError("RELOAD_EXTRA_ENV must not be set in CI")
            self.env.update(self.extra)
            self.source += f" + RELOAD_EXTRA_ENV {self.extra}"
        try:
            dd = self.command.index("--")
        except ValueError:
            raise RuntimeError(f"container command {self.command} has no '--' separating the app command")
        if self.command[2] != "supervise" or not self.command[1].endswith("supervisor.sh"):
            raise RuntimeError(f"unexpected container command shape {self.command}: "
                               "expected [sh, .../supervisor.sh, supervise, --, app...]")
        self.prefix = self.command[:dd + 1]          # [/bin/sh, /hot-reload/supervisor.sh, supervise, --]
        self.app = self.command[dd + 1:]              # [gunicorn, --bind, 0.0.0.0:3000, ...]
        self.code_dir = self.env.get("HOT_RELOAD_WATCH", "/code").split(":")[0]
        self.mount = os.path.dirname(self.command[1])   # /hot-reload: where the ConfigMap is mounted

    def local(self, value):
        """A command argument or env value with the ConfigMap mount path pointing at the local copy."""
        if not self.files_dir:
            return value
        return re.sub(re.escape(self.mount) + r"/(?=[\w.-])", lambda m: self.files_dir + "/", value)

    def app_command(self, port):
        """The synthesized app command with only its bind address made host-local."""
        pat = re.compile(r"^(--bind=|-b)?(0\.0\.0\.0|\[::\])?:\d+$")
        cmd = [self.local(pat.sub(lambda m: f"{m.group(1) or ''}127.0.0.1:{port}", a)) for a in self.app]
        if cmd == self.app:
            raise RuntimeError(f"no bind address 0.0.0.0:PORT found in the app command {self.app}")
        return cmd

    def argv(self, app, shell=None):
        """Container command with the supervisor path (and optionally the shell) substituted."""
        argv = list(self.prefix)
        if shell:
            argv[0] = shell
        argv[1] = self.script
        return argv + list(app)

    def environment(self, watch, state, extra=None, path=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOT_RELOAD_")}
        for k, v in self.env.items():
            env[k] = self.local(str(v))
        # host-specific paths: /code... -> the temp watch dir; state dir -> temp dir outside it
        env["HOT_RELOAD_WATCH"] = ":".join(
            watch + p[len(self.code_dir):] if p == self.code_dir or p.startswith(self.code_dir + "/") else p
            for p in self.env.get("HOT_RELOAD_WATCH", self.code_dir).split(":"))
        env["HOT_RELOAD_STATE_DIR"] = state
        if path is not None:
            env["PATH"] = path
        env.update(extra or {})
        return env


def synthesize_presets(out):
    """The charts of bench/reload/presets-chart.ts synthesized from the current lib/ into out: the
    dev-environment chart and one app per other runtime preset (bench-node, bench-go)."""
    cmd = ["npx", "ts-node", "--transpile-only", os.path.join("bench", "reload", "presets-chart.ts"), out]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"synthesizing the preset charts failed ({' '.join(cmd)}):\n{r.stderr[-2000:]}")
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never via an http_proxy


def http_get(port, timeout=0.5, path="/"):
    """Body of GET path or None when nothing answers."""
    try:
        with _DIRECT.open(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.read().decode()
    except Exception:
        return None


APP_SOURCE = '''import os
from flask import Flask

MESSAGE = "{token}"
application = Flask(__name__)


@application.get("/")
def index():
    # the master's pid tells restarts apart
    return f"{{MESSAGE}} master={{os.getppid()}}\\n"
'''


def app_source(token):
    return APP_SOURCE.format(token=token)


def write_file(path, text):
    """Write and close; returns the monotonic time right after close."""
    with open(path, "w") as f:
        f.write(text)
    return time.monotonic()


# ---- /proc helpers ---------------------------------------------------------------------------

def proc_stat(pid):
    """(state, ppid, pgid, utime+stime, cutime+cstime) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return rest[0], int(rest[1]), int(rest[2]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def all_procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st and st[0] != "Z":
                out[int(d)] = st
    return out


def descendants(root):
    procs = all_procs()
    kids = {}
    for pid, st in procs.items():
        kids.setdefault(st[1], []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def children(pid):
    """Live (non-zombie) processes whose parent is pid."""
    return sorted(p for p, st in all_procs().items() if st[1] == pid)


def alive(pid):
    st = proc_stat(pid)
    return st is not None and st[0] != "Z"


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def reap_orphans(keep=()):
    """Reap zombie children re-parented to us (we are a subreaper)."""
    me = os.getpid()
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) not in keep:
            st = proc_stat(int(d))
            if st and st[1] == me and st[0] == "Z":
                try:
                    os.waitpid(int(d), os.WNOHANG)
                except ChildProcessError:
                    pass


def wait_until(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(step)


# ---- the supervisor under test -----------------------------------------------------------------

class Supervisor:
    """One supervisor process; its merged stdout/stderr is captured line by line with arrival times."""

    def __init__(self, synth, watch, state, app, shell=None, path=None, extra_env=None, cwd=None, log_path=None):
        self.argv = synth.argv(app, shell=shell)
        self.env = synth.environment(watch, state, extra=extra_env, path=path)
        self.lines = []            # (monotonic, text)
        self.lock = threading.Lock()
        self.log_file = open(log_path, "w") if log_path else None
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=cwd or watch, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            t = time.monotonic()
            line = raw.decode(errors="replace").rstrip("\n")
            with self.lock:
                self.lines.append((t, line))
            if self.log_file:
                self.log_file.write(f"{t:.3f} {line}\n")
                self.log_file.flush()

    def log(self, pattern=None, since=0):
        with self.lock:
            lines = self.lines[since:]
        return [(t, l) for t, l in lines if pattern is None or re.search(pattern, l)]

    def mark(self):
        with self.lock:
            return len(self.lines)

    def wait_log(self, pattern, timeout, since=0):
        """First (time, line) matching pattern after index since, or None after timeout."""
        hit = wait_until(lambda: self.log(pattern, since)[:1], timeout)
        return hit[0] if hit else None

    def tail(self, n=40):
        with self.lock:
            return "\n".join(l for _, l in self.lines[-n:])

    def cpu_ticks(self):
        """utime+stime+cutime+cstime of the supervisor: itself plus every child it has reaped."""
        st = proc_stat(self.pid)
        return None if st is None else st[3] + st[4]

    def app_pids(self):
        return descendants(self.pid)

    def stop(self, timeout=15):
        """TERM the supervisor, then clean up anything left (KILL), whatever happens."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_all()
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def kill_all(self):
        pids = descendants(self.pid) if alive(self.pid) else []
        # orphans re-parented to us (subreaper) are ours too
        pids += [p for p in children(os.getpid()) if p != self.pid]
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.05)
        reap_orphans(keep={self.pid})
        self.reader.join(2)


# ---- tree snapshots (the supervisor must never write into the watched tree) ---------------------

def snapshot(root):
    """Every entry under root (not following symlinks): type, mode, size, mtime, ctime, content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            if name == "" and dirpath != root:
                continue
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            rel = os.path.relpath(p, root)
            entry = (stat.S_IFMT(st.st_mode), st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    entry += (hashlib.sha256(f.read()).hexdigest(),)
            elif stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(p),)
            out[rel] = entry
    return out


def diff_snapshots(a, b):
    lines = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            lines.append(f"created: {k!r}")
        elif k not in b:
            lines.append(f"deleted: {k!r}")
        elif a[k] != b[k]:
            lines.append(f"modified: {k!r} {a[k]} -> {b[k]}")
    return lines


class Tree:
    """The watched tree; every change the test makes goes through op(), which first checks that nobody
    else (i.e. the supervisor or the app) changed the tree since the previous op."""

    def __init__(self, root):
        self.root = root
        self.last = None
        self.foreign = []

    def p(self, rel):
        return os.path.join(self.root, rel)

    def check(self):
        now = snapshot(self.root) if os.path.isdir(self.root) else {}
        if self.last is not None and now != self.last:
            self.foreign += diff_snapshots(self.last, now)
        return now

    def op(self, fn):
        self.check()
        result = fn()
        self.last = snapshot(self.root) if os.path.isdir(self.root) else {}
        return result

    def write(self, rel, text):
        def do():
            os.makedirs(os.path.dirname(self.p(rel)), exist_ok=True)
            return write_file(self.p(rel), text)
        return self.op(do)

    def start_tracking(self):
        self.last = snapshot(self.root) if os.path.isdir(self.root) else {}

    def assert_untouched(self):
        self.check()
        assert not self.foreign, "something other than the test changed the watched tree:\n" + \
            "\n".join(self.foreign[:20])


# A stdlib-only app for the tests (no gunicorn boot time): serves "<MODE> master=<pid>", where MODE is in
# the file, so an edit changes the answer; it exits 3 at once while MODE starts with CRASH. Format with
# mode=...; it has 12 lines, so a line a test appends is line 13.
STDLIB_APP = '''import http.server, os, sys
MODE = "{mode}"
if MODE.startswith("CRASH"):
    sys.exit(3)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{{MODE}} master={{os.getpid()}}\\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
'''
