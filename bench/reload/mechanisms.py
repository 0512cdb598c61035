"""How each reload mechanism the bench compares is started on a tree: the supervisor as synthesized
for a preset, and the peers a developer would otherwise use, each with its own defaults."""
import os
import shutil
import signal
import subprocess
import threading

import reload_harness as h

def tool(name):
    """A peer installed by bench/reload/run.sh into the cache (nodemon, air)."""
    paths = {"nodemon": ("npm", "node_modules", ".bin", "nodemon"), "air": ("bin", "air")}
    p = os.path.join(os.environ["BENCH_TOOLS"], *paths[name])
    if not os.access(p, os.X_OK):
        raise RuntimeError(f"{p} is missing: run the bench through bench/reload/run.sh, which installs it")
    return p


class Peer:
    """A peer reloader in its own process group, output to a log file."""

    sup = None

    def __init__(self, argv, cwd, env, log, stdin_text=None):
        self.argv, self.log = argv, log
        with open(log, "a") as out:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, stdout=out,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL)
        if stdin_text is not None:
            self.proc.stdin.write(stdin_text.encode())
            self.proc.stdin.close()

    def lines(self, since=0):
        with open(self.log, errors="replace") as f:
            return f.read().splitlines()[since:]

    def mark(self):
        return len(self.lines())

    def tail(self, n=30):
        return "\n".join(self.lines()[-n:])

    def stop(self, grace=5):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue


class Supervised:
    """The supervisor as synthesized for a preset (h.Supervisor), with the same small interface."""

    def __init__(self, synth, tree, state, app, extra_env, log):
        self.sup = h.Supervisor(synth, tree, state, app, extra_env=extra_env, log_path=log)

    def lines(self, since=0):
        return [line for _, line in self.sup.log(since=since)]

    def mark(self):
        return self.sup.mark()

    def tail(self, n=30):
        return self.sup.tail(n)

    def stop(self):
        self.sup.stop()


def file_list(tree):
    """Every file under tree, for entr's stdin."""
    return "".join(os.path.relpath(os.path.join(d, f), tree) + "\n"
                   for d, _, files in os.walk(tree) for f in files)


class LivenessFloor(Peer):
    """The original system's reload, at its own settings but with an instant, backoff-free restart:
    `cmp application.py baseline` every periodSeconds=2 s, restart after failureThreshold=3 failures.
    The kubelet's container re-creation and its 10 s..300 s restart backoff come on top in reality."""

    def __init__(self, argv, cwd, env, log, main, state):
        self.app_file, self.baseline = os.path.join(cwd, main), os.path.join(state, "temp.py")
        self.start_args = (argv, cwd, env, log)
        self.halt = threading.Event()
        self._start()
        self.kubelet = threading.Thread(target=self._kubelet, daemon=True)
        self.kubelet.start()

    def _start(self):
        shutil.copyfile(self.app_file, self.baseline)   # the original copied application.py -> temp.py
        Peer.__init__(self, *self.start_args)

    def _kubelet(self):
        failures = 0
        while not self.halt.wait(2.0):                  # periodSeconds: 2
            rc = subprocess.run(["cmp", "-s", self.app_file, self.baseline]).returncode
            failures = failures + 1 if rc != 0 else 0
            if failures >= 3:                           # failureThreshold: 3
                Peer.stop(self)
                self._start()
                failures = 0

    def stop(self, grace=5):
        self.halt.set()
        self.kubelet.join(5)
        Peer.stop(self, grace)
