#!/usr/bin/env bash
# npm run bench:reload — the reload supervisor, as synthesized for each runtime preset, side by side with
# the peers (Python: gunicorn --reload, entr -r, the original liveness probe; Node: node --watch, nodemon;
# Go: air), a steady client counting failed requests, broken saves, and 10k/50k/200k-file trees.
# Writes bench/results/reload.json. See docs/benchmarks-reload.md for the knobs (BENCH_*).
# Peers are pinned and installed into ${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/bench.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../../test/reload/env.sh
. "$root/test/reload/env.sh"

NODEMON_VERSION=3.1.14
AIR_MODULE=github.com/air-verse/air
AIR_VERSION=v1.67.4
export BENCH_TOOLS="$CACHE_DIR/bench"

need_apt_packages entr=entr cmp=diffutils find=findutils node=nodejs npm=npm
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "bench:reload: the Go toolchain is missing (go on PATH or /usr/local/go/bin)" >&2; exit 1; }
ensure_venv

# nodemon from npm, pinned; air built from its Go module through the module proxy, pinned
if [ "$("$BENCH_TOOLS/npm/node_modules/.bin/nodemon" --version 2>/dev/null)" != "$NODEMON_VERSION" ]; then
  echo "bench:reload: installing nodemon@$NODEMON_VERSION (npm)" >&2
  mkdir -p "$BENCH_TOOLS/npm"
  npm install --no-audit --no-fund --silent --prefix "$BENCH_TOOLS/npm" "nodemon@$NODEMON_VERSION" \
    || { echo "bench:reload: npm install nodemon@$NODEMON_VERSION failed (npm registry reachable?)" >&2; exit 1; }
fi
if [ ! -x "$BENCH_TOOLS/bin/air" ] || [ "$(cat "$BENCH_TOOLS/bin/air.version" 2>/dev/null)" != "$AIR_VERSION" ]; then
  echo "bench:reload: building $AIR_MODULE@$AIR_VERSION (go install)" >&2
  GOBIN="$BENCH_TOOLS/bin" GOMODCACHE="$BENCH_TOOLS/go-mod" GOCACHE="$BENCH_TOOLS/go-build" GOFLAGS=-modcacherw \
    GOTOOLCHAIN=local nice -n 10 go install -p 2 "$AIR_MODULE@$AIR_VERSION" \
    || { echo "bench:reload: go install $AIR_MODULE@$AIR_VERSION failed (Go module proxy reachable? Go new enough?)" >&2; exit 1; }
  echo "$AIR_VERSION" > "$BENCH_TOOLS/bin/air.version"
fi

# The sample app's own runtime (python-mysql/requirements.txt: gunicorn, gevent, Flask...) in its own venv.
APP_VENV="$BENCH_TOOLS/app-venv"
APP_REQS="$root/python-mysql/requirements.txt"
if ! { [ -x "$APP_VENV/bin/gunicorn" ] && cmp -s "$APP_REQS" "$APP_VENV/.requirements.txt"; }; then
  echo "bench:reload: creating $APP_VENV from python-mysql/requirements.txt" >&2
  rm -rf "$APP_VENV"
  python3 -m venv "$APP_VENV" && "$APP_VENV/bin/pip" install -q --disable-pip-version-check -r "$APP_REQS" \
    || { echo "bench:reload: pip install -r $APP_REQS failed (PyPI reachable?)" >&2; exit 1; }
  cp "$APP_REQS" "$APP_VENV/.requirements.txt"
fi
# gunicorn's gevent worker imports packaging; say so when the sample's requirements miss it
if ! "$APP_VENV/bin/python" -c 'import packaging' 2>/dev/null; then
  echo "bench:reload: WARNING: python-mysql/requirements.txt lacks 'packaging' (gunicorn's gevent worker imports it); adding it to the bench venv" >&2
  "$APP_VENV/bin/pip" install -q --disable-pip-version-check packaging==26.3
fi

# the sample's gunicorn first on PATH (supervisor and peers alike); everything else from the system
export PATH="$APP_VENV/bin:$PATH"
cd "$root"
PYTHONDONTWRITEBYTECODE=1 exec "$VENV/bin/python" bench/reload/bench.py "$@"
