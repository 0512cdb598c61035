"""The steady client of the reload bench: GET at a fixed rate while edits happen, counting what a
user would see fail. Every answer must be 200 and carry the body of the old or the new code."""
import datetime
import http.client
import threading
import time

MARKER_PATH = "/bench-marker"     # every bench app answers "<token> ..." there


def get(host, port, timeout=2.0, path=MARKER_PATH):
    """(status, body) of one GET on a fresh connection (a browser reload), or (None, error name)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read().decode(errors="replace")
    except Exception as e:          # refused, reset, timeout, closed mid-answer: all count as failed
        return None, type(e).__name__
    finally:
        conn.close()


class SteadyClient:
    """A thread sending GET MARKER_PATH every 1/rate s. allow() names the tokens a correct body may start with
    (the code before and after the current edit); anything else is a failure of its kind."""

    def __init__(self, port, rate=25.0, host="127.0.0.1"):
        self.host, self.port, self.period = host, port, 1.0 / rate
        self.allowed = frozenset()
        self.counts = {"requests": 0, "ok": 0, "conn_errors": 0, "http_5xx": 0, "other_status": 0,
                       "unexpected_body": 0}
        self.samples = []           # (monotonic, token-or-None) of the last answers, for "keeps serving"
        self.examples = []          # a few failures, to say what went wrong
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started = self.stopped = None

    def allow(self, *tokens):
        self.allowed = frozenset(tokens)

    def start(self):
        self.started = time.monotonic()
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        if self.started is not None:
            self.thread.join(5)
        self.stopped = time.monotonic()
        return self.summary()

    def _run(self):
        nxt = time.monotonic()
        while not self.stop_event.is_set():
            sent = datetime.datetime.now(datetime.timezone.utc)     # to match a failure with the app's log
            status, body = get(self.host, self.port)
            token = body.split(" ", 1)[0] if status == 200 else None
            kind = ("conn_errors" if status is None else "http_5xx" if status >= 500 else
                    "other_status" if status != 200 else "ok" if token in self.allowed else "unexpected_body")
            now = time.monotonic()
            with self.lock:
                self.counts["requests"] += 1
                self.counts[kind] += 1
                self.samples.append((now, token))
                del self.samples[:-200]
                if kind != "ok" and len(self.examples) < 5:
                    self.examples.append(f"{kind}, sent {sent.strftime('%H:%M:%S.%f')[:-3]}Z: {status} {body[:80]!r} (allowed {sorted(self.allowed)})")
            nxt += self.period
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_event.wait(delay)
            else:
                nxt = time.monotonic()   # fell behind (a slow answer): keep the rate, do not burst

    def snapshot(self):
        with self.lock:
            return dict(self.counts)

    def served_since(self, t):
        """Tokens answered since monotonic time t."""
        with self.lock:
            return [tok for ts, tok in self.samples if ts >= t]

    @staticmethod
    def failed(counts):
        return counts["conn_errors"] + counts["http_5xx"] + counts["other_status"] + counts["unexpected_body"]

    def summary(self):
        c = self.snapshot()
        span = (self.stopped or time.monotonic()) - (self.started or time.monotonic())
        return {**c, "failed": self.failed(c), "rate_per_s": round(c["requests"] / span, 1) if span > 0 else 0.0,
                "examples": list(self.examples)}
