"""The apps the reload bench edits, one per runtime. Each answers GET /bench-marker with "<token> ..."
so the client can tell the old code from the new; write_broken() saves the same file with a syntax error.
Python is the sample app itself (python-mysql, as in the working tree) with one marker route appended."""
import os
import shutil

import reload_harness as h
from client import MARKER_PATH

SAMPLE = os.path.join(h.REPO, "python-mysql")

NODE_SOURCE = '''const http = require("http");
const MESSAGE = "{token}";
http.createServer((req, res) => res.end(`${{MESSAGE}} pid=${{process.pid}}\\n`))
  .listen(Number(process.env.PORT), process.env.HOST || "0.0.0.0");
'''

GO_SOURCE = '''package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

const message = "{token}"

func main() {{
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {{
\t\tfmt.Fprintf(w, "%s pid=%d\\n", message, os.Getpid())
\t}})
\tif err := http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), nil); err != nil {{
\t\tpanic(err)
\t}}
}}
'''


class App:
    """One runtime's app: the file that is edited, its source for a token, and a broken save."""

    def __init__(self, lang, main, source, broken_tail, extra_files=None, copy_of=None):
        self.lang, self.main, self.source_of, self.broken_tail = lang, main, source, broken_tail
        self.extra_files, self.copy_of = extra_files or {}, copy_of

    def create(self, tree, token):
        """A fresh tree holding the app serving `token`."""
        shutil.rmtree(tree, ignore_errors=True)
        if self.copy_of:
            shutil.copytree(self.copy_of, tree, ignore=shutil.ignore_patterns("tests", "__pycache__", ".venv", "*.pyc"))
        else:
            os.makedirs(tree)
        for name, text in self.extra_files.items():
            h.write_file(os.path.join(tree, name), text)
        return self.write(tree, token)

    def write(self, tree, token):
        return h.write_file(os.path.join(tree, self.main), self.source_of(token))

    def write_broken(self, tree, token):
        """The source of `token` plus a syntax error at its last line."""
        return h.write_file(os.path.join(tree, self.main), self.source_of(token) + self.broken_tail)


def sample_source(token):
    """The sample's application.py plus a route answering the token (the e2e marker's shape)."""
    with open(os.path.join(SAMPLE, "application.py")) as f:
        return f.read() + (f'\n\n# bench edit\napplication.add_url_rule("{MARKER_PATH}", "bench_marker", '
                           f'lambda: "{token} pid=%d\\n" % __import__("os").getpid())\n')


PYTHON = App("python", "application.py", sample_source, "\ndef broken(:\n", copy_of=SAMPLE)
NODE = App("node", "server.js", lambda t: NODE_SOURCE.format(token=t), "\nconst = ;\n")
GO = App("go", "main.go", lambda t: GO_SOURCE.format(token=t), "\nfunc broken( {\n",
         {"go.mod": "module benchapp\n\ngo 1.22\n"})
