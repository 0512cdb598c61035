"""Issue 10: how a change is brought in. In-place reload (gunicorn HUP, as the synthesized sample app
does), a broken save that keeps the last good version serving, build-before-swap, and stamp-based
change detection; under dash + GNU tools and under busybox (the `case` fixture).
"""
import os
import sys
import threading
import time

import reload_harness as h

PY = sys.executable


class Client:
    """Requests GET / every 10 ms in a thread; counts answers per body prefix and failures."""

    def __init__(self, port):
        self.port, self.failures, self.bodies, self.stop_flag = port, 0, [], False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_flag:
            body = h.http_get(self.port, timeout=2)
            if body is None:
                self.failures += 1
            else:
                self.bodies.append((time.monotonic(), body.split(" ")[0]))
            time.sleep(0.01)

    def stop(self):
        self.stop_flag = True
        self.thread.join(5)


def test_in_place_reload_serves_every_request(case):
    assert case.synth.env.get("HOT_RELOAD_ACTION") == "signal:HUP", \
        f"the sample app's preset should reload gunicorn in place: {case.synth.env}"
    case.edit_app("v0")
    case.start()
    master = case.served("v0", 30)
    client = Client(case.port)
    try:
        for i in range(1, 6):
            mark = case.sup.mark()
            case.edit_app(f"v{i}")
            assert case.served(f"v{i}") == master, "in-place reload: the master (and its socket) stays"
            case.wait_log(r"^hot-reload: reloaded \(HUP to pid \d+\) in ", since=mark)
    finally:
        client.stop()
    assert client.failures == 0, f"{client.failures} failed requests during in-place reloads"
    assert len(client.bodies) > 20


def test_broken_save_keeps_serving(case):
    case.edit_app("good")
    case.start()
    case.served("good", 30)
    client = Client(case.port)
    try:
        mark = case.sup.mark()
        case.tree.write("application.py", h.app_source("broken") + "def oops(:\n")
        line = case.wait_log(r"^hot-reload: check FAILED", since=mark)[1]
        assert "application.py:12: SyntaxError: " in line and "keeping the running app" in line, line
        time.sleep(1.5)
        assert case.served("good", 2), "the last good version should keep serving"
        assert not case.sup.log(r"^hot-reload: (restarted|reloaded|app exited)", mark), case.sup.tail()
        case.edit_app("fixed")
        case.served("fixed")
    finally:
        client.stop()
    assert client.failures == 0, f"{client.failures} failed requests across a broken save and its fix"


def test_build_before_swap(case):
    out = os.path.join(case.root, "build")        # the built artifact lives outside the tree
    os.makedirs(out)
    artifact = os.path.join(out, "serve.py")
    check_py = case.synth.local("/hot-reload/check-python.py")
    build = (f'sleep 1 && python3 {check_py} "$@" && cp serve.py {artifact}.next && mv -f {artifact}.next {artifact}')
    case.tree.write("serve.py", h.STDLIB_APP.format(mode="v0"))
    case.start(app=[PY, artifact, str(case.port)], extra_env={"HOT_RELOAD_CHECK": build})
    case.served("v0", 30)                         # built before the first start
    mark = case.sup.mark()
    case.tree.write("serve.py", h.STDLIB_APP.format(mode="v1"))
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*serve\.py", since=mark)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.7:            # the build takes 1 s: the old version serves meanwhile
        assert (h.http_get(case.port) or "").startswith("v0 "), "the old version must serve during the build"
        time.sleep(0.05)
    case.served("v1")
    line = case.wait_log(r"^hot-reload: restarted ", since=mark)[1]
    assert ", check 1." in line, line
    mark = case.sup.mark()
    case.tree.write("serve.py", h.STDLIB_APP.format(mode="v2") + "if True\n")
    line = case.wait_log(r"^hot-reload: check FAILED", 10, since=mark)[1]
    assert "serve.py:13: SyntaxError" in line, line
    assert case.served("v1", 2)
    with open(artifact) as f:
        assert 'MODE = "v1"' in f.read(), "a failed build must not replace the artifact"




def test_stamp_detection_lists_nothing_when_idle(case):
    def build():
        for d in range(20):
            for f in range(100):
                p = case.tree.p(f"pkg{d:02d}/m{f:02d}.py")
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w") as fh:
                    fh.write("X = 1\n")
    case.tree.op(build)
    case.edit_app("v0")
    case.start()
    case.served("v0", 30)
    full = os.path.join(case.state, "full.lst")
    # busybox find has no -cnewer: files whose ctime is less than a minute old (-cmin -1) are
    # re-listed on every poll, so the idle state starts a minute after the tree was written.
    time.sleep(62 if case.userland["name"] == "busybox" else 4)
    before = os.stat(full).st_mtime_ns
    time.sleep(3)
    assert os.stat(full).st_mtime_ns == before, "an idle poll listed the whole tree"
    assert os.path.getsize(os.path.join(case.state, "poll.out")) == 0, "an idle poll printed entries"
    for what, op in (
        ("ctime only (touch -r)", lambda: os.utime(case.tree.p("pkg07/m07.py"), ns=(0, os.stat(case.tree.p("pkg07/m08.py")).st_mtime_ns))),
        ("create", lambda: h.write_file(case.tree.p("pkg03/new.py"), "Y = 2\n")),
        ("delete", lambda: os.remove(case.tree.p("pkg11/m11.py"))),
    ):
        mark = case.sup.mark()
        case.tree.op(op)
        hit = case.sup.wait_log(r"^hot-reload: change: 1 file\(s\): ", 5, since=mark)
        assert hit, f"{what} not detected\n{case.sup.tail()}"
        case.reloaded(mark)
