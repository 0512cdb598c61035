"""Syntax check of the changed Python files before a reload (ReloadPresets.gunicorn).

Run by the supervisor with the changed files as arguments, before the running app is touched.
Compiles every *.py argument in memory (no bytecode is written: the tree is never written to)
and prints one line per error, "file:line: SyntaxError: message"; exit 1 if any failed.
"""
import sys

failed = 0
for path in sys.argv[1:]:
    if not path.endswith(".py"):
        continue
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError:          # deleted, or unreadable: nothing to check
        continue
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        print(f"{e.filename}:{e.lineno}: {type(e).__name__}: {e.msg}")
        failed = 1
    except ValueError as e:  # e.g. null bytes
        print(f"{path}: {type(e).__name__}: {e}")
        failed = 1
sys.exit(failed)
