#!/usr/bin/env bash
# Test harness of the python-mysql app (`npm run test:app`).
#
# env.sh installs what is missing (MariaDB server binaries from Debian, a Python venv
# from the pinned requirements, cached under $HOT_RELOAD_CACHE/app); then pytest runs.
# The tests start their OWN MariaDB (temp datadir, private port and
# socket on 127.0.0.1) and the app under real gunicorn; the system MariaDB
# service, if any, is never touched. Every process the tests start is
# recorded in $APP_TEST_TMP/pids and killed on exit, even on failure.
set -euo pipefail
PYTEST_TIMEOUT_S="${APP_TEST_TIMEOUT_S:-900}"
# shellcheck source=python-mysql/tests/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

log "MariaDB: $MARIADBD; Python: $("$VENV/bin/python" -V); tmp: $APP_TEST_TMP"
cd "$REPO_DIR"
# PYTHONDONTWRITEBYTECODE + no cacheprovider: the run writes nothing into the repo.
# pytest runs in the background and we `wait` for it, so a TERM/INT sent to this
# script runs the trap at once instead of after pytest finishes.
PYTHONDONTWRITEBYTECODE=1 APP_DIR="$APP_DIR" REPO_DIR="$REPO_DIR" \
  timeout --kill-after=10 "$PYTEST_TIMEOUT_S" \
  "$VENV/bin/python" -m pytest -c "$APP_DIR/tests/pytest.ini" "$APP_DIR/tests" "$@" &
CHILD_PID=$!
rc=0
wait "$CHILD_PID" || rc=$?
[ "$rc" -eq 124 ] && log "ERROR: pytest exceeded ${PYTEST_TIMEOUT_S}s and was killed"
exit "$rc"
