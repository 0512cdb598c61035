"""Robustness of the reload supervisor exactly as synthesized in dist/ (see reload_harness.py).

Every case runs under both userlands (dash + GNU tools, and busybox sh + busybox applets only), and the
`case` fixture checks afterwards that nothing but the test itself changed the watched tree.
"""
import os
import signal
import sys
import time

import reload_harness as h

PY = sys.executable          # the venv's python (absolute: busybox's PATH has the system python3)



def grace(case):
    return float(case.sup.env.get("HOT_RELOAD_GRACE", "5"))


def app_group(case):
    """The app's processes: the supervisor's descendants outside its own process group (setsid)."""
    own = h.proc_stat(case.sup.pid)[2]
    return [p for p in h.descendants(case.sup.pid) if (h.proc_stat(p) or (0, 0, own))[2] != own]


def restarts(case, since=0):
    """Reloads (restarts or in-place reloads) logged after `since`."""
    return len(case.sup.log(r"^hot-reload: (restarted|reloaded) ", since))


def test_edit_reloads(case):
    case.edit_app("v0")
    case.start()
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.edit_app("v1")
    pid1 = case.served("v1")
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*application\.py", since=mark)
    if case.in_place:   # gunicorn HUP: the same master (and listening socket), new workers
        assert pid1 == pid0, "in-place reload expected, but the gunicorn master changed"
        case.wait_log(r"^hot-reload: reloaded \(HUP to pid \d+\) in [0-9.]+s \[settle [0-9.]+s, check [0-9.]+s, signal [0-9.]+s\]", since=mark)
    else:
        assert pid1 != pid0, "new content but the same gunicorn master: not a restart?"
        case.wait_log(r"^hot-reload: restarted \(pid \d+\) in [0-9.]+s", since=mark)


def test_crash_loop(case):
    serve = "serve.py"
    case.tree.write(serve, h.STDLIB_APP.format(mode="CRASH-0"))
    case.start(app=[PY, serve, str(case.port)])
    case.wait_log(r"^hot-reload: app exited with status 3", 15)
    for i in range(1, 20):                       # 20 crashes in all, each after an edit
        mark = case.sup.mark()
        case.tree.write(serve, h.STDLIB_APP.format(mode=f"CRASH-{i}"))
        case.wait_log(r"^hot-reload: app exited with status 3", 15, since=mark)
    case.alive_check()
    # The app is down; the supervisor must idle (no restart loop, no busy loop) until the next edit.
    time.sleep(0.5)
    mark = case.sup.mark()
    c0, t0 = case.sup.cpu_ticks(), time.monotonic()
    time.sleep(3)
    cpu = (case.sup.cpu_ticks() - c0) / h.CLK_TCK / (time.monotonic() - t0)
    assert cpu < 0.2, f"supervisor used {cpu:.0%} of a core while the app was down (busy loop?)"
    assert not case.sup.log(r"^hot-reload: (restarted|app exited)", mark), "restarted without an edit"
    # Every restart answers a logged change (no restart loop). Not an exact 20: a writer stalled between
    # open's truncation and its write for longer than the debounce (a loaded machine) is rightly seen
    # as two changes (the empty file, then the full one), each reloaded.
    log = f"\n--- supervisor log ---\n{case.sup.tail(80)}"
    changes, restarted = case.sup.log(r"^hot-reload: change: "), case.sup.log(r"^hot-reload: restarted ")
    assert len(restarted) == len(changes) >= 19, f"{len(restarted)} restarts for {len(changes)} changes{log}"
    assert len(case.sup.log(r"^hot-reload: app exited with status 3")) >= 20, f"fewer than 20 crashes seen{log}"
    case.tree.write(serve, h.STDLIB_APP.format(mode="GOOD"))
    case.served("GOOD")
    case.alive_check()


def test_burst_of_50_writes(case):
    case.edit_app("v0")
    case.start()
    case.served("v0", 30)
    mark = case.sup.mark()

    def burst():   # 50 writes paced 19 ms apart: all within 1 s
        t0 = time.monotonic()
        for i in range(1, 51):
            h.write_file(case.tree.p("application.py"), h.app_source(f"burst-{i}"))
            time.sleep(max(0.0, t0 + i * 0.019 - time.monotonic()))
        return time.monotonic() - t0
    took = case.tree.op(burst)
    assert took < 1.0 + 0.019, f"the burst took {took:.2f}s (machine overloaded?)"
    case.served("burst-50")
    time.sleep(3)                                 # any late restart would show up now
    n = restarts(case, mark)
    assert 1 <= n <= 2, f"{n} restarts for one burst of 50 writes\n{case.sup.tail(80)}"
    case.served("burst-50", 5)


def test_atomic_save(case):
    case.edit_app("v0")
    case.start()
    case.served("v0", 30)

    def save():   # how vim/VS Code/JetBrains save: write a temp file, then rename it over the original
        tmp = case.tree.p(".application.py.tmp1234")
        h.write_file(tmp, h.app_source("atomic"))
        os.replace(tmp, case.tree.p("application.py"))
    case.tree.op(save)
    case.served("atomic")


def test_delete_file(case):
    case.edit_app("v0")
    case.tree.write("notes/old.txt", "bye\n")
    case.start()
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.tree.op(lambda: os.remove(case.tree.p("notes/old.txt")))
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*notes/old\.txt", since=mark)
    case.reloaded(mark)
    assert (case.served("v0") == pid0) == case.in_place


def test_directory_rename(case):
    case.edit_app("v0")
    for i in range(3):
        case.tree.write(f"pkg/mod{i}.py", f"X = {i}\n")
    case.start()
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.tree.op(lambda: os.rename(case.tree.p("pkg"), case.tree.p("pkg_renamed")))
    line = case.wait_log(r"^hot-reload: change: 6 file\(s\): ", since=mark)[1]
    assert "pkg/mod0.py" in line and "pkg_renamed/mod0.py" in line, line
    case.reloaded(mark)
    assert (case.served("v0") == pid0) == case.in_place


def test_new_file_in_new_subdir(case):
    case.edit_app("v0")
    case.start()
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.tree.write("new/deeper/helper.py", "Y = 1\n")
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*new/deeper/helper\.py", since=mark)
    case.reloaded(mark)
    assert (case.served("v0") == pid0) == case.in_place


def test_names_with_spaces_and_newlines(case):
    case.edit_app("v0")
    case.tree.write("my notes/with space.txt", "a\n")
    case.tree.write("odd\nname.txt", "b\n")
    case.start()
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.tree.write("my notes/with space.txt", "a changed\n")
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*my notes/with space\.txt", since=mark)
    case.reloaded(mark)
    pid1 = case.served("v0")
    assert (pid1 == pid0) == case.in_place
    mark = case.sup.mark()
    case.tree.write("odd\nname.txt", "b changed\n")
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*odd\\nname\.txt", since=mark)
    case.reloaded(mark)
    assert (case.served("v0") == pid1) == case.in_place
    mark = case.sup.mark()
    case.edit_app("v2")
    case.served("v2")
    case.alive_check()


def test_symlink_loop(case):
    case.edit_app("v0")
    case.tree.write("sub/mod.py", "Z = 1\n")
    case.tree.op(lambda: os.symlink(".", case.tree.p("loop")))
    case.tree.op(lambda: os.symlink("..", case.tree.p("sub/up")))
    case.start()
    case.served("v0", 30)
    line = case.wait_log(r"^hot-reload: watching ")[1]
    assert "(2 files" in line, f"symlinks followed or files missed: {line}"
    case.edit_app("v1")
    case.served("v1")
    case.alive_check()


def test_10k_file_tree(case):
    def build():
        for d in range(100):
            os.makedirs(case.tree.p(f"pkg{d:02d}"))
            for f in range(100):
                with open(case.tree.p(f"pkg{d:02d}/mod{f:02d}.py"), "w") as fh:
                    fh.write(f"X = {f}\n")
    case.tree.op(build)
    case.edit_app("v0")
    case.start()
    case.served("v0", 60)
    assert "(10001 files" in case.wait_log(r"^hot-reload: watching ")[1]
    mark = case.sup.mark()
    case.tree.write("pkg42/mod42.py", "X = 'changed'\n")
    case.wait_log(r"^hot-reload: change: 1 file\(s\): .*pkg42/mod42\.py", 20, since=mark)
    case.edit_app("v1")
    case.served("v1", 20)


def test_term_stops_whole_group(case):
    case.edit_app("v0")
    case.start()
    master = case.served("v0", 30)
    h.wait_until(lambda: len(app_group(case)) >= 3, 10)   # the second worker may still be booting
    group = app_group(case)
    assert master in group and len(group) >= 3, f"expected gunicorn master + 2 workers, got " \
        f"{[(p, h.cmdline(p)) for p in group]}"
    t0 = time.monotonic()
    case.sup.proc.send_signal(signal.SIGTERM)
    try:
        case.sup.proc.wait(grace(case) + 2)
    except Exception:
        raise AssertionError(f"supervisor still running {grace(case) + 2}s after TERM\n{case.sup.tail()}")
    took = time.monotonic() - t0
    left = [(p, h.cmdline(p)) for p in group if h.alive(p)]
    assert not left, f"left behind after TERM: {left}"
    orphans = [(p, h.cmdline(p)) for p in h.children(os.getpid())]
    assert not orphans, f"orphans: {orphans}"
    assert took < grace(case), f"gunicorn stops on TERM; the supervisor took {took:.1f}s"
    case.wait_log(r"^hot-reload: received TERM")


def test_term_ignoring_app_is_killed_after_grace(case):
    # the app and a child it forked both ignore TERM
    code = ("import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); os.fork(); "
            "print('stubborn up', flush=True); time.sleep(1000)")
    case.start(app=[PY, "-c", code])
    case.wait_log(r"^stubborn up", 15)
    h.wait_until(lambda: len(app_group(case)) >= 2, 5)
    group = app_group(case)
    assert len(group) >= 2, group
    g = grace(case)
    t0 = time.monotonic()
    case.sup.proc.send_signal(signal.SIGTERM)
    time.sleep(max(0.5, g - 1.5))
    assert all(h.alive(p) for p in group), "app killed before the grace period ended"
    try:
        case.sup.proc.wait(g + 3)
    except Exception:
        raise AssertionError(f"supervisor still running {g + 3}s after TERM\n{case.sup.tail()}")
    took = time.monotonic() - t0
    assert g - 0.5 <= took <= g + 3, f"stopped after {took:.1f}s, grace is {g}s"
    time.sleep(0.2)
    left = [(p, h.cmdline(p)) for p in group if h.alive(p)]
    assert not left, f"still alive after KILL: {left}"
    case.wait_log(r"^hot-reload: app \(pid \d+\) ignored TERM for .*KILL")


def test_on_change_failure_keeps_old_app(case):
    case.edit_app("v0")
    case.tree.write("settings.cfg", "valid 1\n")
    # onChange trigger: validate settings.cfg before restarting (exit 1 when invalid)
    case.start(extra_env={"HOT_RELOAD_ON_CHANGE": "settings.cfg grep -q '^valid' settings.cfg"})
    pid0 = case.served("v0", 30)
    mark = case.sup.mark()
    case.tree.write("settings.cfg", "broken\n")
    case.wait_log(r"^hot-reload: on-change FAILED \(exit 1\): 'grep -q '\^valid' settings\.cfg' for .*settings\.cfg",
                  since=mark)
    time.sleep(1)
    assert case.served("v0", 2) == pid0, "the old app should keep serving after a failed onChange"
    assert not restarts(case, mark)
    mark = case.sup.mark()
    case.tree.write("settings.cfg", "valid 2\n")
    case.edit_app("v1")
    case.wait_log(r"^hot-reload: on-change ok: .*settings\.cfg", since=mark)
    assert (case.served("v1") == pid0) == case.in_place


def test_watch_dir_missing_at_start(case):
    case.tree.op(lambda: os.rmdir(case.watch))
    app = case.synth.app_command(case.port)
    app = app[:1] + ["--chdir", case.watch] + app[1:]   # the container's workingDir, which does not exist yet
    case.start(app=app, cwd=case.root)
    case.wait_log(r"^hot-reload: watched directory .*code does not exist yet: waiting", 10)
    time.sleep(1.5)
    assert h.http_get(case.port) is None, "something serves although the watched directory is missing"
    case.alive_check()

    def appear():   # the mount shows up with the code in it
        staging = os.path.join(case.root, "staging")
        os.makedirs(staging)
        h.write_file(os.path.join(staging, "application.py"), h.app_source("late"))
        os.rename(staging, case.watch)
    case.tree.op(appear)
    case.served("late", 30)
    case.wait_log(r"^hot-reload: watching ")
