# shellcheck shell=bash
# Sourced by tests/run.sh (`npm run test:app`) and bench/app/run.sh (`npm run bench:app`): installs
# what is missing (MariaDB server binaries from Debian, a Python venv from the pinned requirements,
# cached under $HOT_RELOAD_CACHE/app), makes $APP_TEST_TMP and kills on exit whatever the tests or
# the bench started (pid files in $APP_TEST_TMP/pids). Sets APP_DIR REPO_DIR APP_VENV VENV MARIADBD
# MARIADB_INSTALL_DB APP_TEST_TMP; the caller runs its command in the background as CHILD_PID.
APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$APP_DIR/.." && pwd)"
CACHE_DIR="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/app"

log() { printf '[%s] %s\n' "${APP_LOG_TAG:-test:app}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$CACHE_DIR"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or passwordless sudo) to run: $*"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install these packages by hand: $*"
  log "installing Debian packages: $*"
  # Lock timeout: other suites may be running apt at the same time.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "$@" >/dev/null
}

# --- MariaDB ---------------------------------------------------------------
# mariadb-server-core/-client-core hold mariadbd, mariadb-install-db and the
# client, but no init script: installing them does not start a system
# service (the full `mariadb-server` package would), so nothing runs that the
# tests did not start themselves. An existing mariadb-server install also
# provides these binaries and is used as is.
find_bin() { PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v "$1" 2>/dev/null || true; }
MARIADBD="$(find_bin mariadbd)"
MARIADB_INSTALL_DB="$(find_bin mariadb-install-db)"
if [ -z "$MARIADBD" ] || [ -z "$MARIADB_INSTALL_DB" ] || [ -z "$(find_bin my_print_defaults)" ]; then
  apt_install mariadb-server-core mariadb-client-core
  MARIADBD="$(find_bin mariadbd)"
  MARIADB_INSTALL_DB="$(find_bin mariadb-install-db)"
  [ -n "$MARIADBD" ] && [ -n "$MARIADB_INSTALL_DB" ] \
    || die "mariadbd/mariadb-install-db still missing after installing mariadb-server-core"
fi
export MARIADBD MARIADB_INSTALL_DB
# openssl makes the throwaway TLS certificate of the test MariaDB.
command -v openssl >/dev/null 2>&1 || apt_install openssl

# --- Python >= 3.11 with venv ----------------------------------------------
find_python() {
  local c
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 \
      && "$c" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}
PYTHON="$(find_python || true)"
if [ -z "$PYTHON" ]; then
  apt_install python3 python3-venv
  PYTHON="$(find_python || true)"
  [ -n "$PYTHON" ] || die "no Python >= 3.11 with the venv module found (tried python3.13..python3)"
fi

# --- venvs, keyed by the pinned requirements and the interpreter -------------
# Two: APP_VENV holds requirements.txt only, installed with --no-deps, like the image: the app
# (gunicorn) runs from it, so a runtime dependency missing from the pins fails here, not only in
# the cluster. VENV adds the test dependencies; pytest runs from it.
# flock: two concurrent runs must not build the same venv at the same time.
exec 9>"$CACHE_DIR/.lock"
flock -w 600 9 || die "timed out waiting for $CACHE_DIR/.lock (another test:app run?)"
# build_venv PREFIX PIP_ARGS...: a venv under $CACHE_DIR named by PREFIX and the hash of its inputs.
build_venv() {
  local prefix=$1 key dir; shift
  key="$( { cat "$APP_DIR/requirements.txt"; [ "$prefix" = venv ] && cat "$APP_DIR/tests/requirements.txt"
            "$PYTHON" -VV; } | sha256sum | cut -c1-16)"
  dir="$CACHE_DIR/$prefix-$key"
  if [ ! -f "$dir/.complete" ]; then
    log "building venv $dir with $("$PYTHON" -V)"
    rm -rf "$CACHE_DIR/$prefix"-*        # drop venvs of older requirements
    "$PYTHON" -m venv "$dir" >&2
    PIP_CACHE_DIR="$CACHE_DIR/pip" "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2 \
      || die "pip install $* failed"
    touch "$dir/.complete"
  fi
  printf '%s\n' "$dir"
}
APP_VENV="$(build_venv runtime --no-deps -r "$APP_DIR/requirements.txt")"
"$APP_VENV/bin/python" -m pip check -q >/dev/null \
  || die "python-mysql/requirements.txt is not a complete pin set: $("$APP_VENV/bin/python" -m pip check 2>&1 | head -n 5)"
VENV="$(build_venv venv -r "$APP_DIR/requirements.txt" -r "$APP_DIR/tests/requirements.txt")"
export APP_VENV
exec 9>&-   # release the lock; the test processes must not inherit it

# --- run -------------------------------------------------------------------
APP_TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/python-mysql-test.XXXXXX")"
export APP_TEST_TMP
mkdir -p "$APP_TEST_TMP/pids"

# Kill what the tests started (pid files are written by tests/harness.py and
# removed when a process is stopped normally). Each is a session leader, so
# the whole group (gunicorn master + workers) is signalled.
cleanup() {
  local f pid i
  for f in "$APP_TEST_TMP"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid="$(cat "$f")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$APP_TEST_TMP"
}
CHILD_PID=""
on_signal() {
  log "interrupted: stopping $CHILD_PID and everything it started"
  [ -n "$CHILD_PID" ] && kill -TERM "$CHILD_PID" 2>/dev/null || true
  exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

