"""gunicorn settings of ReloadPresets.gunicorn, shipped in the supervisor ConfigMap.

gunicorn reads this through GUNICORN_CMD_ARGS="--config /hot-reload/gunicorn.conf.py" instead of
the app's own ./gunicorn.conf.py, so that file is loaded first, here: every setting and hook of the
app still applies (an explicit --config/-c on the command line replaces this file altogether).

The supervisor reloads gunicorn in place with HUP: the master keeps its listening socket and forks
new workers, which import the new code, then retires the old ones. Workers fork from the master, so
third-party modules the master has imported (Flask, Werkzeug, ...) are already loaded in them and a
reload only imports the user's own modules. This file imports, once per master, the modules the
app's code imports at top level and that live outside the working directory (with gevent workers
after gevent's monkey-patching, done here in the master; not at all with eventlet).
"""
import ast
import importlib
import importlib.util
import os
import runpy
import signal
import sys
import time

_root = os.getcwd()
_app_conf = os.path.join(_root, "gunicorn.conf.py")
if os.path.isfile(_app_conf):
    for _name, _value in runpy.run_path(_app_conf).items():
        if not _name.startswith("__"):
            globals()[_name] = _value

_SKIP_DIRS = {"__pycache__", "node_modules", "venv", "site-packages"}
_MAX_FILES = 2000


def _imported_modules(root):
    """Absolute module names imported at the top level of the .py files under root."""
    names, seen = set(), 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            seen += 1
            if seen > _MAX_FILES:
                return names
            try:
                with open(os.path.join(directory, file), "rb") as f:
                    tree = ast.parse(f.read())
            except (SyntaxError, ValueError, OSError):
                continue
            for node in tree.body:
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module)
    return names


def _outside_root(name):
    try:
        spec = importlib.util.find_spec(name.split(".")[0])
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    places = [spec.origin] if spec.origin and spec.has_location else list(spec.submodule_search_locations or [])
    return bool(places) and all(not os.path.abspath(p).startswith(_root + os.sep) for p in places)


def _preload():
    worker = str(globals().get("worker_class", "")) + " " + " ".join(sys.argv) + " " + os.environ.get("GUNICORN_CMD_ARGS", "")
    if "eventlet" in worker:
        return
    if "gevent" in worker:
        # The gevent worker patches the stdlib when it starts; modules imported before that (here)
        # must see the patched one, so patch first, in the master (as gunicorn's own preload
        # advice for gevent does). Measured: HUP -> new code served 0.2-1.4 s instead of 1.3-2.5 s
        # for Flask + PyMySQL on a loaded 2-core machine.
        from gevent import monkey
        monkey.patch_all()
    for name in sorted(_imported_modules(_root)):
        if name in sys.modules or not _outside_root(name):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # the worker will report it, with the app's own traceback
            pass


_app_post_fork = globals().get("post_fork")


def post_fork(server, worker):
    """A worker whose app fails to load (a broken file read while it boots) exits with 1 after a
    second, so the master forks another one; gunicorn would otherwise take exit code 3 ("failed to
    boot") as a reason to shut the whole server down, and the workers still serving with it."""
    if callable(_app_post_fork):
        _app_post_fork(server, worker)
    load = worker.load_wsgi

    def load_wsgi():
        try:
            load()
        except Exception:
            worker.log.exception("hot-reload: the app failed to load in this worker; another one in 1 s")
            time.sleep(1)
            sys.exit(1)
    worker.load_wsgi = load_wsgi


_app_post_worker_init = globals().get("post_worker_init")


def post_worker_init(worker):
    """A gevent worker told to retire (HUP: the master TERMs the old workers as soon as it forked the
    new ones) stops accepting at once, as gunicorn's sync worker does, instead of at its main loop's
    next 1-second tick: otherwise it keeps answering with the old code while the new workers already
    serve the new one. In-flight requests still finish within graceful_timeout."""
    if callable(_app_post_worker_init):
        _app_post_worker_init(worker)
    try:
        from gunicorn.workers.ggevent import GeventWorker
    except ImportError:  # gevent is not installed: no gevent worker either
        return
    if isinstance(worker, GeventWorker):
        _close_listeners_on_term(worker)


def _close_listeners_on_term(worker):
    import gevent
    from gevent.baseserver import BaseServer

    main = gevent.getcurrent()  # run() is about to start in this greenlet
    # The worker builds its servers inside run(), after this hook: note each one as it starts.
    servers, start = [], BaseServer.start

    def noted_start(server):
        servers.append(server)
        start(server)
    BaseServer.start = noted_start

    def busy():
        return any(s.pool is not None and s.pool.free_count() != s.pool.size for s in servers)

    def retire():
        """gunicorn's own wait for the requests in flight looks once a second, and on a reload the
        master waits for the old workers to exit, handling no other signal meanwhile: with a save
        every 0.6 s the HUPs queued up (handled 0.6-1.8 s late after 30 saves) and the workers of
        one save imported the next one, unchecked. Same wait, looked at every 10 ms; then the
        worker exits as when run() returns (gunicorn's worker_exit hook still runs)."""
        deadline = time.monotonic() + worker.cfg.graceful_timeout
        while busy() and time.monotonic() < deadline:
            gevent.sleep(0.01)
        gevent.kill(main, SystemExit(0))

    def handle_term():
        worker.alive = False  # what the worker's own TERM handler does
        for server in servers:
            server.close()  # stops accepting, closes this process's copy of the listening socket
        gevent.spawn(retire)
    # A libev signal watcher wakes the event loop at once; a Python-level handler would only run
    # once something else woke it (the next accepted request, served with the old code).
    gevent.signal_handler(signal.SIGTERM, handle_term)


# The config is executed again on every HUP: scan and import once per master.
if not getattr(sys, "_hot_reload_preloaded", False):
    sys._hot_reload_preloaded = True
    _preload()
