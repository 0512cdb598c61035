"""Issue 10: how a change is brought in. In-place reload (gunicorn HUP, as the synthesized sample app
does), a broken save that keeps the last good version serving, build-before-swap, and stamp-based
change detection; under dash + GNU tools and under busybox (the `case` fixture).
"""
import glob
import os
import re
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


def start_with_gevent_workers(case):
    """The sample app's worker class, serving v0."""
    case.tree.write("gunicorn.conf.py", 'worker_class = "gevent"\ncontrol_socket_disable = True\n')
    case.edit_app("v0")
    case.start()
    case.served("v0", 30)


def test_retired_gevent_workers_stop_answering(case):
    """The sample app's worker class: after a HUP the old gevent workers stop accepting at once (the
    preset's gunicorn.conf.py), instead of answering for up to a second with the code of two edits ago."""
    start_with_gevent_workers(case)
    client = Client(case.port)
    try:
        for i in range(1, 6):   # back to back: the next edit lands while the last old workers retire
            case.edit_app(f"v{i}")
            case.served(f"v{i}")
        time.sleep(1.2)         # a gevent worker's main loop ticks once a second
    finally:
        client.stop()
    newest, behind = 0, []
    for t, token in client.bodies:
        n = int(token[1:])
        if n < newest - 1:
            behind.append((round(t, 3), token, f"v{newest} already served"))
        newest = max(newest, n)
    assert client.failures == 0, f"{client.failures} failed requests during in-place reloads"
    assert not behind, f"answers older than the previous version: {behind[:5]}"
    assert newest == 5 and len(client.bodies) > 50


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


def test_master_handles_each_hup_before_the_next_save(case):
    """The sample app's gevent workers, saved every 0.6 s: gunicorn's master handles each HUP within
    0.3 s of the supervisor sending it. On a HUP the master waits until the old workers have exited;
    retiring gevent workers used to exit at their next one-second tick, so the HUPs queued up (0.6 s
    late and growing), and the workers of one save imported the next one, unchecked: a typo saved
    right after a good save took the app down in bench:cluster."""
    start_with_gevent_workers(case)
    mark = case.sup.mark()
    client = Client(case.port)
    try:
        for i in range(1, 21):
            case.edit_app(f"v{i}")
            time.sleep(0.6)
        case.served("v20")
        time.sleep(1)
    finally:
        client.stop()
    sent = [t for t, _ in case.sup.log(r"^hot-reload: reloaded \(HUP", mark)]
    handled = [t for t, _ in case.sup.log(r"Handling signal: hup", mark)]
    late = [round(hd - st, 3) for st, hd in zip(sent, handled) if hd - st > 0.3]
    assert len(sent) >= 15 and len(handled) == len(sent), f"{len(sent)} HUPs sent, {len(handled)} handled"
    assert not late, f"HUPs handled more than 0.3 s after the supervisor sent them: {late}"
    assert client.failures == 0, f"{client.failures} failed requests"


def test_change_while_the_app_starts_restarts_it(case):
    """A save that lands before gunicorn has installed its HUP handler (here: still reading a slow
    config) must not be signalled: HUP's default action killed the app ("app exited with status 129",
    seen in CI after a restart), and it stayed down until the next save. The supervisor restarts it."""
    case.tree.write("gunicorn.conf.py", "import time\ntime.sleep(3)   # a slow boot: no HUP handler yet\n")
    case.edit_app("v0")
    case.start()
    case.wait_log(r"^hot-reload: watching .*; starting: ")
    time.sleep(0.5)
    mark = case.sup.mark()
    case.edit_app("v1")
    line = case.reloaded(mark)[1]
    assert line.startswith("hot-reload: restarted ") and "has no HUP handler" in line, line
    case.served("v1", 30)
    assert not case.sup.log(r"^hot-reload: app exited", mark), case.sup.tail()


def test_app_that_never_handles_the_signal_is_restarted(case):
    """signal:HUP on a command that does not handle HUP (a shell around the server): every save
    restarts it and says why, instead of killing it with the signal."""
    app = ["sh", "-c", '"$@"; echo "server exited: $?"', "sh", *case.synth.app_command(case.port)]
    case.edit_app("v0")
    case.start(app=app, extra_env={"HOT_RELOAD_ACTION": "signal:HUP"})
    case.served("v0", 30)
    for token in ("v1", "v2"):
        mark = case.sup.mark()
        case.edit_app(token)
        line = case.reloaded(mark)[1]
        assert line.startswith("hot-reload: restarted ") and "has no HUP handler" in line, line
        case.served(token)
        assert not case.sup.log(r"^hot-reload: app exited", mark), case.sup.tail()


def test_unknown_signal_is_refused_at_start(case):
    case.start(app=["true"], extra_env={"HOT_RELOAD_ACTION": "signal:NOPE"})
    assert case.sup.proc.wait(10) == 2
    case.wait_log(r"^hot-reload: error: HOT_RELOAD_ACTION=signal:NOPE names no signal this shell knows")


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


def stamp_times(state):
    """Write times of the supervisor's stamp ring: one per poll, at most every half second."""
    return sorted(os.stat(p).st_mtime for p in glob.glob(os.path.join(state, "stamp.[0-7]")))


def next_poll(state, timeout=10):
    """Waits for a poll to write a new stamp; returns its wall-clock time."""
    last = max(stamp_times(state) or [0])
    newer = h.wait_until(lambda: [t for t in stamp_times(state) if t > last], timeout)
    assert newer, "no poll wrote a stamp"
    return newer[-1]


def test_settled_change_is_reloaded_without_waiting_again(case):
    """A change first seen when its timestamps are already older than the debounce is reloaded at
    once under GNU find (it prints them); busybox find prints none, so there the debounce is waited."""
    case.tree.write("a.py", "A = 0\n")
    case.start(app=["sleep", "100000"], extra_env={
        "HOT_RELOAD_INTERVAL": "2", "HOT_RELOAD_MAX_INTERVAL": "2", "HOT_RELOAD_DEBOUNCE": "0.5"})
    case.wait_log(r"^hot-reload: watching", 20)
    for i in range(1, 3):
        next_poll(case.state)
        time.sleep(0.8)           # the next poll comes ~1.2 s after this write: it is 1.2 s old by then
        mark = case.sup.mark()
        case.tree.write("a.py", f"A = {i}\n")
        line = case.reloaded(mark)[1]
        settle = float(re.search(r"\[settle (\d+\.\d+)s", line).group(1))
        if case.userland["name"] == "system":
            assert settle < 0.1, f"a change 1 s old was debounced again: {line}"
        else:
            assert settle >= 0.5, f"busybox: the debounce must be waited: {line}"


def test_polling_is_faster_for_a_while_after_a_change(case):
    """For HOT_RELOAD_ACTIVE_WINDOW after a change, polls may use the active share of a core; then the
    idle share again. Here: idle share 1/1000 (polls stretch to MAX_INTERVAL 5 s on 5000 files), active
    share 1/1 (a poll, then a pause as long as its own cost), a 6 s window. Polls are seen by the stamps
    they write (at most one per 0.5 s). The idle period is long so that busybox, whose polls cost far more
    here (every file created under a minute ago is a -cmin -1 candidate: ~0.25 s of CPU a poll, an edit
    noticed after 0.8-1.1 s on a quiet machine, up to 1.6 s with both cores busy), still tells the two
    rates apart on a loaded machine."""
    def build():
        for d in range(50):
            os.makedirs(case.tree.p(f"pkg{d:02d}"))
            for f in range(100):
                with open(case.tree.p(f"pkg{d:02d}/m{f:02d}.py"), "w") as fh:
                    fh.write("X = 1\n")
    case.tree.op(build)
    case.start(app=["sleep", "100000"], extra_env={
        "HOT_RELOAD_INTERVAL": "0.1", "HOT_RELOAD_MAX_INTERVAL": "5", "HOT_RELOAD_SCAN_SHARE": "1000",
        "HOT_RELOAD_ACTIVE_SCAN_SHARE": "1", "HOT_RELOAD_ACTIVE_WINDOW": "6"})
    case.wait_log(r"^hot-reload: watching", 30)

    def polls_during(seconds):
        t0 = time.time()
        time.sleep(seconds)
        return len([t for t in stamp_times(case.state) if t > t0])

    time.sleep(4)
    idle = polls_during(10)
    assert idle <= 3, f"idle: {idle} polls in 10 s, expected one per 5 s"
    mark = case.sup.mark()
    case.tree.write("pkg10/m10.py", "X = 2\n")
    assert case.reloaded(mark, 15), case.sup.tail()
    detect = []
    for i in range(3):            # inside the window: noticed at the active rate
        mark = case.sup.mark()
        t_write = case.tree.write(f"pkg2{i}/m0{i}.py", f"X = {i + 3}\n")
        hit = case.sup.wait_log(r"^hot-reload: change: ", 10, since=mark)
        assert hit, case.sup.tail()
        detect.append(round(hit[0] - t_write, 3))
        assert case.reloaded(mark, 10)
    assert max(detect) < 2.5, f"edits inside the active window noticed after {detect} s (idle period 5 s)\n" \
        f"{case.sup.tail(30)}"
    active = polls_during(5)      # still inside the 6 s window: the idle rate would give 1-2 polls here
    assert active >= 4, f"active: {active} polls in 5 s, expected one every 0.5-1.2 s"
    time.sleep(2)                 # the window has passed
    idle = polls_during(10)
    assert idle <= 3, f"after the window: {idle} polls in 10 s, expected the idle rate again"

