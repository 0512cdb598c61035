"""What the bench does to one running mechanism: a series of edits timed until served, then broken
saves, all while the steady client runs. Latency = from the edited file's close to the first answer
carrying the new token (polled every 10 ms, besides the steady client)."""
import re
import statistics
import time

from client import SteadyClient, get

EDIT_TIMEOUT = 30.0
# An error report naming the file and its line, as Python, Node and Go print them.
FILE_LINE = re.compile(r"(application\.py|server\.js|main\.go)(\", line |:)\d+")


def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def summary(lat):
    if not lat:
        return {"n": 0}
    return {"p50_s": round(statistics.median(lat), 3), "p95_s": round(pct(lat, 95), 3),
            "max_s": round(max(lat), 3), "n": len(lat)}


def wait_token(host, port, token, t_from, timeout):
    """Seconds from monotonic time t_from until the marker answers with `token`, or None after timeout."""
    while True:
        status, body = get(host, port, 0.5)
        now = time.monotonic()
        if status == 200 and body.startswith(token + " "):
            return now - t_from
        if now - t_from > timeout:
            return None
        time.sleep(0.01)


class Session:
    """One mechanism serving one app on a tree, observed by a steady client."""

    def __init__(self, label, app, tree, port, mech, rate, host="127.0.0.1"):
        self.label, self.app, self.tree, self.port, self.mech = label, app, tree, port, mech
        self.host = host
        self.current = f"{label}-0"
        self.history = []           # per edit: token, wall-clock time of the write, latency
        self.client = SteadyClient(port, rate, host)
        self.client.allow(self.current)

    def start(self, timeout=120, settled=20):
        """Waits until the first version serves `settled` answers in a row (workers of a previous
        version may still answer for a moment), then starts the steady client."""
        t0, run = time.monotonic(), 0
        while run < settled:
            if wait_token(self.host, self.port, self.current, t0, timeout) is None:
                raise RuntimeError(f"{self.label}: never served {self.current!r}\n{self.mech.tail()}")
            status, body = get(self.host, self.port, 0.5)
            run = run + 1 if status == 200 and body.startswith(self.current + " ") else 0
            time.sleep(0.01)
        self.client.start()

    def _log_times(self, mark, t_write):
        """Seconds from the write to the supervisor's first "change" log line after mark, or None."""
        sup = self.mech.sup
        if sup is None:
            return None
        hit = [t for t, line in sup.log(since=mark) if re.match(r"^hot-reload: change", line)]
        return hit[0] - t_write if hit else None

    def edits(self, n, interval, lead=2.0, tag=""):
        """n edits, `lead` s after the last one and `interval` s apart; latency of each, and the
        supervisor's detect / change-to-served split."""
        before = self.client.snapshot()
        lat, detect, act = [], [], []
        time.sleep(lead)    # gunicorn --reload and air take their first look at the files after start
        for i in range(1, n + 1):
            token = f"{self.label}-{tag}{i}"
            self.client.allow(self.current, token)
            mark = self.mech.mark()
            t0 = self.app.write(self.tree, token)
            wall = time.time()
            took = wait_token(self.host, self.port, token, t0, EDIT_TIMEOUT)
            if took is None:
                raise RuntimeError(f"{self.label}: edit {i} not served within {EDIT_TIMEOUT}s\n{self.mech.tail()}")
            lat.append(took)
            self.history.append({"token": token, "written_at": wall, "latency_s": round(took, 3)})
            d = self._log_times(mark, t0)
            if d is not None:
                detect.append(d)
                act.append(took - d)
            self.current = token
            time.sleep(interval)
        out = summary(lat)
        out["requests"] = self._delta(before)
        if detect:
            out["median_phases"] = {"detect_s": round(statistics.median(detect), 3),
                                    "change_logged_to_served_s": round(statistics.median(act), 3)}
        first = statistics.median(lat[:10])
        out["drift_ratio"] = round(statistics.median(lat[-10:]) / first, 3) if first else None
        return out

    def broken_saves(self, reps, wait, fix_timeout, normal_p95):
        """Save a syntax error, hold it `wait` s, then fix it: does the last good version keep serving,
        how many requests fail, how long until the fix serves, is the error logged with file and line."""
        before = self.client.snapshot()
        cases = []
        for r in range(1, reps + 1):
            good = self.current
            self.client.allow(good)
            mark = self.mech.mark()
            tb = self.app.write_broken(self.tree, good)
            time.sleep(wait)
            last_second = self.client.served_since(tb + wait - 1.0)
            keeps = bool(last_second) and all(t == good for t in last_second)
            fix = f"{self.label}-fix{r}"
            self.client.allow(good, fix)
            t0 = self.app.write(self.tree, fix)
            took = wait_token(self.host, self.port, fix, t0, fix_timeout)
            logged = next((ln for ln in self.mech.lines(mark) if FILE_LINE.search(ln)), None)
            cases.append({"keeps_serving": keeps, "fix_served_s": None if took is None else round(took, 3),
                          "error_line_logged": logged[:160] if logged else None})
            if took is None:
                break       # the mechanism is down: later cases would measure nothing
            self.current = fix
            time.sleep(1)
        fixes = [c["fix_served_s"] for c in cases if c["fix_served_s"] is not None]
        req = self._delta(before)
        return {"cases": cases, "requests": req,
                "keeps_serving": all(c["keeps_serving"] for c in cases),
                "fix_served_max_s": max(fixes) if len(fixes) == len(cases) else None,
                "fix_within_normal_p95": len(fixes) == len(cases) and max(fixes) <= normal_p95,
                "error_logged_with_file_line": all(c["error_line_logged"] for c in cases)}

    def _delta(self, before):
        now = self.client.snapshot()
        d = {k: now[k] - before[k] for k in now}
        d["failed"] = SteadyClient.failed(d)
        return d

    def stop(self):
        try:
            return self.client.stop()
        finally:
            self.mech.stop()        # never leave a reloader running, whatever the client did
