# Sourced (bash) by test/reload/run.sh and bench/reload/run.sh: installs what the reload suites need,
# idempotently, and exports VENV (the pinned Python venv) and CACHE_DIR.
# Usage: need_apt_packages PKG...   ensure_venv

CACHE_DIR="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}"
VENV="$CACHE_DIR/bench-venv"
RELOAD_REQS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.txt"
export CACHE_DIR VENV

# need_apt_packages CMD=PKG...: install Debian package PKG when command CMD is missing.
need_apt_packages() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "reload suite: missing Debian packages ${missing[*]} and not root: install them with apt-get" >&2
    return 1
  fi
  local sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "reload suite: installing ${missing[*]} (apt-get)" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" >/dev/null \
    || { echo "reload suite: apt-get install ${missing[*]} failed" >&2; return 1; }
}

# ensure_venv: create/refresh the venv when requirements.txt changed (stamp = a copy of it).
ensure_venv() {
  command -v python3 >/dev/null || { echo "reload suite: python3 is missing (apt-get install python3 python3-venv)" >&2; return 1; }
  if [ -x "$VENV/bin/python" ] && cmp -s "$RELOAD_REQS" "$VENV/.requirements.txt"; then return 0; fi
  echo "reload suite: creating $VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$CACHE_DIR"
  python3 -m venv "$VENV" || { echo "reload suite: 'python3 -m venv' failed: install python3-venv" >&2; return 1; }
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$RELOAD_REQS" \
    || { echo "reload suite: pip install -r $RELOAD_REQS failed (PyPI reachable?)" >&2; return 1; }
  cp "$RELOAD_REQS" "$VENV/.requirements.txt"
}
