"""Big trees: the supervisor alone (app = sleep) on 10k / 50k / 200k files. Idle CPU in % of one core
(its own and its reaped children's CPU time over a window), time from an edit to the supervisor's
"change" log line (the first edit comes after the idle window, the others while polling runs at its
active share), the CPU of that edits phase, and memory: the peak of the summed RSS of the shell and
its children (sampled every 20 ms) and the shell's own high-water mark (VmHWM, exact)."""
import os
import resource
import statistics
import subprocess
import threading
import time

import reload_harness as h

FILES_PER_DIR = 100
APP = ["sleep", "100000"]


def grow_tree(tree, files):
    """Adds files to tree (100 per directory) until it holds `files`; returns how many it holds."""
    have = sum(len(f) for _, _, f in os.walk(tree)) if os.path.isdir(tree) else 0
    for n in range(have, files):
        d = os.path.join(tree, f"pkg{n // FILES_PER_DIR:05d}")
        if n % FILES_PER_DIR == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"mod{n % FILES_PER_DIR:03d}.py"), "w") as fh:
            fh.write(f"X = {n}\n")
    return files


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Peak of the summed RSS of a process and its descendants, except the app itself."""

    def __init__(self, pid, period=0.02):
        super().__init__(daemon=True)
        self.pid, self.period, self.peak_kb = pid, period, 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(self.period):
            pids = [self.pid] + [p for p in h.descendants(self.pid) if h.cmdline(p) != " ".join(APP)]
            self.peak_kb = max(self.peak_kb, sum(status_kb(p, "VmRSS") for p in pids))

    def stop(self):
        self.stop_event.set()
        self.join(5)
        return self.peak_kb


def scan_floor(tree, state, runs=5):
    """CPU seconds of one `find TREE -newer STAMP` that finds nothing: every file's inode is read, the
    least a poll that notices in-place edits without inotify can do. Its cost per second of detection
    latency is the idle floor of any such poller."""
    stamp = os.path.join(state, "floor-stamp")
    os.makedirs(state, exist_ok=True)
    h.write_file(stamp, "")
    os.utime(stamp, (time.time() + 3600, time.time() + 3600))    # newer than every file: no hit
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        subprocess.run(["find", tree, "-newer", stamp, "-print", "-quit"], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs


def measure(synth, tree, state, files, idle_s, edits, log):
    sup = h.Supervisor(synth, tree, state, APP, log_path=log)
    sampler = RssSampler(sup.pid)
    try:
        if not sup.wait_log(r"^hot-reload: watching", 300):
            raise RuntimeError(f"{files} files: supervisor did not start\n" + sup.tail())
        sampler.start()
        time.sleep(5)                            # let a stretching interval settle
        c0, t0 = sup.cpu_ticks(), time.monotonic()
        time.sleep(idle_s)
        c1, t1 = sup.cpu_ticks(), time.monotonic()
        detects = []
        ndirs = files // FILES_PER_DIR
        c2, t2 = sup.cpu_ticks(), time.monotonic()
        for i in range(edits):
            # spread over the tree: a scan that stops at its first hit must not be favoured
            rel = os.path.join(f"pkg{(i * 7919 + ndirs // 2) % ndirs:05d}", f"mod{i * 13 % FILES_PER_DIR:03d}.py")
            mark = sup.mark()
            tw = h.write_file(os.path.join(tree, rel), f"X = -{i}\n")
            hit = sup.wait_log(r"^hot-reload: change", 60, since=mark)
            if not hit:
                raise RuntimeError(f"{files} files: change of {rel} not noticed within 60 s\n" + sup.tail())
            detects.append(hit[0] - tw)
            sup.wait_log(r"^hot-reload: (?!change)", 30, since=mark + 1)   # the restart's line
            time.sleep(1.5)
        c3, t3 = sup.cpu_ticks(), time.monotonic()
        hwm = status_kb(sup.pid, "VmHWM")
    finally:
        peak = sampler.stop()
        sup.stop()
    return {"files": files, "idle_cpu_pct": round((c1 - c0) / h.CLK_TCK / (t1 - t0) * 100, 2),
            "idle_window_s": round(t1 - t0, 1), "detect_p50_s": round(statistics.median(detects), 3),
            "detect_max_s": round(max(detects), 3), "detect_all_s": [round(d, 3) for d in detects],
            "detect_first_after_idle_s": round(detects[0], 3),
            # the edits' phase: polling at its active share, plus the diffs and restarts of `sleep`
            "active_cpu_pct": round((c3 - c2) / h.CLK_TCK / (t3 - t2) * 100, 2),
            "peak_rss_sum_mb": round(peak / 1024, 1), "shell_vmhwm_mb": round(hwm / 1024, 1)}


def bench_trees(synth, root, sizes, idle_s, edits, logs):
    tree, out = os.path.join(root, "bigtree"), []
    for files in sorted(sizes):
        t = time.monotonic()
        grow_tree(tree, files)
        print(f"      tree of {files} files ready in {time.monotonic() - t:.0f} s", flush=True)
        state = os.path.join(root, f"state-{files}")
        r = measure(synth, tree, state, files, idle_s, edits, os.path.join(logs, f"tree-{files}.log"))
        floor = scan_floor(tree, os.path.join(root, "floor"))
        r["floor_find_newer_cpu_s"] = round(floor, 4)
        r["floor_idle_pct_at_1s_polls"] = round(floor * 100, 2)
        print(f"      {r}", flush=True)
        out.append(r)
    return out
