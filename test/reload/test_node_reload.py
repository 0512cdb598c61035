"""Issue 10, the node preset: `node /hot-reload/node-reload.cjs server.js` under the supervisor, as
ReloadPresets.node synthesizes it. A HUP starts the new code in a new cluster worker and retires the
old one only once the new one listens: the port never closes, a broken save keeps the last good
version serving, a crash waits for the next change, TERM leaves nothing behind. Under dash + GNU
tools and under busybox (the `userland` fixture)."""
import os
import time

import reload_harness as h
from test_reload_actions import Client

# Answers "<token> pid=<worker pid> master=<primary pid>"; /crash exits the worker with status 3.
SERVER = '''const http = require("http");
const TOKEN = "{token}";
http.createServer((req, res) => {{
  if (req.url === "/crash") process.exit(3);
  res.end(`${{TOKEN}} pid=${{process.pid}} master=${{process.ppid}}`);
}}).listen(Number(process.env.PORT), "127.0.0.1");
'''


def start(node_case, token):
    node_case.tree.write("server.js", SERVER.format(token=token))
    assert node_case.synth.env.get("HOT_RELOAD_ACTION") == "signal:HUP", node_case.synth.env
    node_case.start(extra_env={"PORT": str(node_case.port)})
    return node_case.served(token, 30)


def edit(node_case, token, tail=""):
    mark = node_case.sup.mark()
    node_case.tree.write("server.js", SERVER.format(token=token) + tail)
    return mark


def test_node_reload_keeps_the_port_open(node_case):
    primary = start(node_case, "v0")
    node_case.wait_log(r"^hot-reload: node: app listening \(pid \d+\)")
    client = Client(node_case.port)
    try:
        for i in range(1, 6):
            mark = edit(node_case, f"v{i}")
            assert node_case.served(f"v{i}") == primary, "the primary (and its socket) stays"
            node_case.wait_log(r"^hot-reload: reloaded \(HUP to pid \d+\) in ", since=mark)
            line = node_case.wait_log(r"^hot-reload: node: new code serving \(pid \d+\) [0-9.]+s after the "
                                      r"reload signal; pid \d+ finishes its requests and exits", since=mark)[1]
            assert not node_case.sup.log(r"^hot-reload: restarted", mark), node_case.sup.tail()
    finally:
        client.stop()
    assert client.failures == 0, f"{client.failures} failed requests during in-place reloads\n{node_case.sup.tail()}"
    assert len(client.bodies) > 20
    # one serving worker plus the spare, and nothing else (retired workers have exited)
    workers = h.wait_until(lambda: (lambda k: k if len(k) == 2 else None)(h.children(primary)), 10)
    assert workers, f"expected a serving worker and a spare under {primary}: {h.children(primary)}\n{line}"


def test_node_broken_save_keeps_serving(node_case):
    start(node_case, "good")
    client = Client(node_case.port)
    try:
        mark = edit(node_case, "broken", "\nconst = ;\n")
        line = node_case.wait_log(r"^hot-reload: node: the new code exited \(status 1\) before listening; "
                                  r"pid \d+ keeps serving the last good version", since=mark)[1]
        assert node_case.sup.log(r"server\.js:\d+$", mark), f"node's error names file:line\n{node_case.sup.tail()}"
        assert node_case.sup.log(r"^SyntaxError: ", mark), node_case.sup.tail()
        time.sleep(0.5)
        assert node_case.served("good", 2), line
        edit(node_case, "fixed")
        node_case.served("fixed")
    finally:
        client.stop()
    assert client.failures == 0, f"{client.failures} failed requests across a broken save and its fix"


def test_node_crash_waits_for_the_next_change_and_term_leaves_nothing(node_case):
    primary = start(node_case, "v0")
    mark = node_case.sup.mark()
    h.http_get(node_case.port, path="/crash")
    node_case.wait_log(r"^hot-reload: node: the app exited \(status 3\); waiting for the next change", since=mark)
    assert h.http_get(node_case.port) is None, "nothing serves after the crash"
    edit(node_case, "v1")
    assert node_case.served("v1") == primary
    group = [primary] + h.descendants(primary)
    node_case.sup.stop()
    left = [(p, h.cmdline(p)) for p in group if h.alive(p)]
    assert not left, f"left behind after TERM: {left}"
    orphans = [(p, h.cmdline(p)) for p in h.children(os.getpid())]
    assert not orphans, f"orphans: {orphans}"
