#!/usr/bin/env bash
# `npm run bench:app` (not in CI): POST /scores throughput of the python-mysql app before and after
# issue 12 (a new DB connection + TLS handshake per request, sync workers -> pooled persistent
# connections, gevent workers), side by side in one run against one private MariaDB with TLS.
# Writes bench/results/app.json. Env: BENCH_OLD_REF (git ref of the "before" app, default: the
# commit issue 12 was filed against), BENCH_ROUNDS (default 3), BENCH_REQUESTS (default 2000),
# BENCH_CONCURRENCY (default 200).
set -euo pipefail
APP_LOG_TAG=bench:app
# shellcheck source=python-mysql/tests/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../python-mysql/tests/env.sh"
command -v ab >/dev/null 2>&1 || apt_install apache2-utils   # ApacheBench: a C load generator
git -C "$REPO_DIR" rev-parse --git-dir >/dev/null 2>&1 || die "bench:app needs the git checkout (it measures the old app from history)"

cd "$REPO_DIR"
PYTHONDONTWRITEBYTECODE=1 APP_DIR="$APP_DIR" REPO_DIR="$REPO_DIR" \
  "$VENV/bin/python" "$REPO_DIR/bench/app/bench.py" &
CHILD_PID=$!
wait "$CHILD_PID"
