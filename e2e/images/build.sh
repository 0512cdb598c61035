#!/usr/bin/env bash
# Builds the container images of the e2e cluster without Docker or any registry, as OCI archives, and
# imports them into containerd (namespace k8s.io) when it is running:
#   pause         registry.k8s.io/pause:3.10     pause.c from the k8s.io/kubernetes module, gcc -static
#   coredns       localhost/coredns:dev          go install github.com/coredns/coredns (CGO_ENABLED=0)
#   python-mysql  localhost/python-mysql:dev     Debian bookworm minbase + venv from python-mysql/requirements.txt
#   mariadb       localhost/mariadb:dev          Debian bookworm minbase + mariadb-server, mysql:8.4-style entrypoint
#   node-app      localhost/node-app:dev         Debian bookworm minbase + nodejs, for the node preset's e2e pod
# Idempotent: each image has a stamp (sha256 of its inputs and recipe); only missing/stale images are
# rebuilt, and an image is imported only if containerd does not already hold it with the same digest.
#
# Usage: e2e/images/build.sh [--no-import] [--force] [--address SOCKET] [IMAGE...]
#   IMAGE       any of: pause coredns python-mysql mariadb node-app (default: all)
#   --no-import build only
#   --force     rebuild even if the stamp matches
#   --address   containerd socket (default: $CONTAINERD_ADDRESS, else /run/hot-reload-e2e/containerd.sock (e2e cluster), else
#               /run/containerd/containerd.sock); given explicitly, an unreachable socket is an error.
# Env: HOT_RELOAD_CACHE (cache root), CONTAINERD_SNAPSHOTTER (default overlayfs), DEBIAN_MIRROR.
set -euo pipefail

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
CACHE_ROOT="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}"
CACHE="$CACHE_ROOT/images"
LOGS="$CACHE/logs"

K8S_VERSION=v1.33.13           # same pin as e2e/cluster/go.mod; pause.c lives in this module
PAUSE_TAG=3.10                 # the sandbox image kubelet/containerd of k8s 1.33 expect
COREDNS_VERSION=v1.12.4        # builds with Go 1.26 (GOTOOLCHAIN=local)
DEBIAN_SUITE=bookworm
SNAPSHOTTER="${CONTAINERD_SNAPSHOTTER:-overlayfs}"
# Module cache shared with e2e/cluster (same Go modules, downloaded once); build cache is ours.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/cluster/gomod}" GOCACHE="$CACHE/gocache"
export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin:$PATH"
export DEBIAN_FRONTEND=noninteractive
# Fixed timestamps where the tools honour it (mmdebstrap, tar): reproducible-ish images.
export SOURCE_DATE_EPOCH=1735689600

declare -A REF=(
  [pause]="registry.k8s.io/pause:$PAUSE_TAG"
  [coredns]="localhost/coredns:dev"
  [python-mysql]="localhost/python-mysql:dev"
  [mariadb]="localhost/mariadb:dev"
  [node-app]="localhost/node-app:dev"
)
ALL_IMAGES=(pause coredns python-mysql mariadb node-app)

die() { echo "images/build.sh: ERROR: $*" >&2; exit 1; }
say() { echo "images/build.sh: $*"; }

# ---------- arguments ----------
do_import=true force=false address="" address_explicit=false images=()
while (($#)); do
  case "$1" in
    --no-import) do_import=false ;;
    --force) force=true ;;
    --address) [[ $# -ge 2 ]] || die "--address needs a socket path"; address="$2"; address_explicit=true; shift ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    pause | coredns | python-mysql | mariadb | node-app) images+=("$1") ;;
    *) die "unknown argument '$1' (images: ${ALL_IMAGES[*]}; flags: --no-import --force --address SOCKET)" ;;
  esac
  shift
done
((${#images[@]})) || images=("${ALL_IMAGES[@]}")

# ---------- tools ----------
apt_updated=false
apt_install() { # apt_install PKG... (waits for a dpkg lock held by a concurrent apt run)
  if ! $apt_updated; then
    apt-get -o DPkg::Lock::Timeout=600 update -qq || die "apt-get update failed (needed to install: $*)"
    apt_updated=true
  fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
}
ensure_tools() {
  local need=() img
  command -v jq >/dev/null || need+=(jq)
  command -v umoci >/dev/null || need+=(umoci)
  for img in "${images[@]}"; do
    case "$img" in
      pause) command -v gcc >/dev/null || need+=(gcc)
        [[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] || need+=(libc6-dev) ;;
      python-mysql | mariadb | node-app) command -v mmdebstrap >/dev/null || need+=(mmdebstrap) ;;
    esac
  done
  if ((${#need[@]})); then
    [[ $(id -u) == 0 ]] || die "missing tools (${need[*]}) and not root: install them with apt-get"
    say "installing build tools from Debian apt: ${need[*]}"
    local uniq
    mapfile -t uniq < <(printf '%s\n' "${need[@]}" | sort -u)
    apt_install "${uniq[@]}"
  fi
  [[ $(id -u) == 0 ]] || die "must run as root (mmdebstrap root mode, chroot, file ownership in layers)"
  if [[ " ${images[*]} " =~ \ (pause|coredns)\  ]]; then
    command -v go >/dev/null || die "Go toolchain missing (need Go >= 1.24 at /usr/local/go/bin; Debian's golang is too old)"
  fi
}

# Debian mirror: the one this machine's apt uses (first .../debian URI in its sources), else deb.debian.org.
debian_mirror() {
  local m="${DEBIAN_MIRROR:-}"
  if [[ -z "$m" ]]; then
    m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for(i=2;i<=NF;i++) print $i}' |
      grep -E '/debian/?$' | head -n1 || true)
    [[ -n "$m" ]] || m=$(awk '$1=="deb"{print $2}' /etc/apt/sources.list 2>/dev/null | grep -E '/debian/?$' | head -n1 || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR="$(debian_mirror)"
MIRROR="${MIRROR%/}"

# Is anything mounted at or below DIR/? awk reads findmnt's whole output: `findmnt | grep -q` under pipefail
# fails when grep's early exit kills findmnt with SIGPIPE, and that would read as "nothing mounted".
mounted_below() { findmnt -rn -o TARGET | awk -v d="$1/" 'index($0 "/", d) == 1 { found = 1 } END { exit !found }'; }

# rm -rf that never deletes through a mount: mmdebstrap's hooks run with the host's /dev, /proc, /sys
# mounted inside the rootfs, and an interrupted build may leave them there.
safe_rm() {
  local d
  for d in "$@"; do
    [[ -e "$d" ]] || continue
    d=$(realpath "$d")
    if mounted_below "$d"; then
      echo "images/build.sh: WARNING: not removing $d: something is still mounted below it (findmnt | grep $d)" >&2
      continue
    fi
    rm -rf --one-file-system "$d"
  done
}

# ---------- step runner: one log per image, clear failure message ----------
CUR_IMAGE="" CUR_LOG=""
step() { # step NAME CMD... : runs CMD with output to the image log; on failure names image + step
  local name="$1" pid; shift
  echo "=== step: $name" >>"$CUR_LOG"
  # In the background, not under `if`: bash ignores set -e inside a function called as a condition.
  "$@" >>"$CUR_LOG" 2>&1 &
  pid=$!
  if ! wait "$pid"; then
    echo "images/build.sh: ERROR: image ${REF[$CUR_IMAGE]} ($CUR_IMAGE): step '$name' failed. Last log lines ($CUR_LOG):" >&2
    tail -n 25 "$CUR_LOG" >&2
    exit 1
  fi
}

# mmdebstrap into a directory: minbase, no recommends, no docs/man pages, apt lists cleaned.
debian_rootfs() { # debian_rootfs DIR PACKAGES [--essential-hook=HOOK...] HOOK...  (HOOK: customize hook)
  local dir="${1:?rootfs dir}" pkgs="$2"; shift 2
  local hooks=() h
  for h in "$@"; do
    case "$h" in --essential-hook=*) hooks+=("$h") ;; *) hooks+=(--customize-hook="$h") ;; esac
  done
  mmdebstrap --mode=root --variant=minbase --arch=amd64 --include="$pkgs" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "${hooks[@]}" \
    "$DEBIAN_SUITE" "$dir" \
    "deb $MIRROR $DEBIAN_SUITE main" "deb $MIRROR $DEBIAN_SUITE-updates main" \
    "deb ${MIRROR%/debian}/debian-security $DEBIAN_SUITE-security main"
  # Clean up only once mmdebstrap has unmounted everything: its hooks run with host /dev etc.
  # mounted inside, and deleting through such a mount would hit the host.
  if mounted_below "$dir"; then echo "still mounted below $dir"; return 1; fi
  rm -rf "${dir:?}"/var/cache/apt/* "${dir:?}"/var/lib/apt/lists/* "${dir:?}"/var/log/*.log \
    "${dir:?}"/var/log/apt/* "${dir:?}"/tmp/* "${dir:?}"/dev/* "${dir:?}"/proc/* "${dir:?}"/sys/*
}

# Rootfs directory + image config -> OCI layout (umoci) -> OCI archive that `ctr images import` names
# via the io.containerd.image.name annotation.
oci_archive() { # oci_archive ROOTFS OUT_TAR [umoci config args...]
  local rootfs="$1" out="$2"; shift 2
  local layout="$WORK/oci" tag=image
  safe_rm "$layout"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  # unpack (empty bundle) + move our rootfs in + repack: one layer with the whole filesystem.
  # (umoci insert at / writes a layer tar without its end-of-archive blocks.)
  umoci unpack --image "$layout:$tag" "$WORK/bundle"
  rmdir "$WORK/bundle/rootfs"
  mv "$rootfs" "$WORK/bundle/rootfs"
  # Fixed mtimes and dates: the same inputs give the same layer and digest (pause, coredns exactly).
  find "$WORK/bundle/rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  local created
  created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
  umoci repack --image "$layout:$tag" --history.created "$created" \
    --history.created_by "e2e/images/build.sh $CUR_IMAGE" "$WORK/bundle"
  umoci config --image "$layout:$tag" --os linux --architecture amd64 --no-history \
    --created "$created" --author "hot-reload e2e/images/build.sh" "$@"
  umoci gc --layout "$layout"
  jq --arg ref "${REF[$CUR_IMAGE]}" --arg tag "${REF[$CUR_IMAGE]##*:}" \
    '.manifests |= map(.annotations = {"io.containerd.image.name": $ref, "org.opencontainers.image.ref.name": $tag})' \
    "$layout/index.json" >"$layout/index.json.new"
  mv "$layout/index.json.new" "$layout/index.json"
  tar -C "$layout" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -cf "$out.new" oci-layout index.json blobs
  mv "$out.new" "$out"
}

# ---------- recipes: build_X fills $WORK/rootfs (run as a logged step, in a subshell);
# config_X sets CONFIG, the umoci config arguments (image entrypoint/cmd/user/env/workdir). ----------
build_pause() {
  local moddir
  moddir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | jq -r '.Dir // empty')
  [[ -n "$moddir" && -f "$moddir/build/pause/linux/pause.c" ]] ||
    { echo "pause.c not found in k8s.io/kubernetes@$K8S_VERSION (GOMODCACHE=$GOMODCACHE)"; return 1; }
  mkdir -p "$WORK/rootfs"
  # Same flags as kubernetes build/pause/Makefile.
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_TAG-$K8S_VERSION" -o "$WORK/rootfs/pause" \
    "$moddir/build/pause/linux/pause.c"
  strip "$WORK/rootfs/pause"
}
config_pause() {
  CONFIG=(--config.entrypoint /pause --config.user 65535:65535)
}

build_coredns() {
  mkdir -p "$WORK/rootfs"
  CGO_ENABLED=0 GOBIN="$WORK/rootfs" go install -trimpath -ldflags='-s -w' \
    "github.com/coredns/coredns@$COREDNS_VERSION"
}
config_coredns() {
  # Runs as root by default (binding :53 needs it or NET_BIND_SERVICE); the pod spec may override.
  CONFIG=(--config.entrypoint /coredns --config.exposedports 53/udp --config.exposedports 53/tcp)
}

build_python_mysql() {
  local app="$REPO_ROOT/python-mysql"
  [[ -f "$app/requirements.txt" ]] || { echo "missing $app/requirements.txt"; return 1; }
  mkdir -p "$WORK/in"
  cp "$app/requirements.txt" "$WORK/in/requirements.txt"
  # pip runs inside the rootfs (its own python 3.11) with a clean environment (host variables such as
  # REQUESTS_CA_BUNDLE would point at files missing in the chroot); the host's CA bundle lets it
  # through a TLS-intercepting proxy. PIP_INDEX_URL is passed on when set.
  cp /etc/ssl/certs/ca-certificates.crt "$WORK/in/ca.crt"
  local pip_env="env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 PIP_CERT=/tmp/in/ca.crt"
  pip_env+=" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=120"
  [[ -z "${PIP_INDEX_URL:-}" ]] || pip_env+=" PIP_INDEX_URL=$PIP_INDEX_URL"
  # /bin/sh + find/stat/cksum/awk/sleep/kill for the reload supervisor: dash, coreutils, findutils,
  # mawk are in minbase; procps adds ps/kill binaries for debugging.
  debian_rootfs "$WORK/rootfs" python3,python3-venv,procps \
    "mkdir -p \"\$1/tmp/in\" && cp -r '$WORK/in/.' \"\$1/tmp/in/\"" \
    "chroot \"\$1\" $pip_env sh -c 'python3 -m venv /opt/venv && /opt/venv/bin/pip install -r /tmp/in/requirements.txt'" \
    "chroot \"\$1\" sh -c 'groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app'" \
    "mkdir -p \"\$1/code\" && rm -rf \"\$1/tmp/in\" \"\$1\"/root/.cache"
  # Code copy (the pod mounts the live code over /code; this makes the image runnable on its own).
  tar -C "$app" --exclude=tests --exclude=__pycache__ --exclude='.venv' --exclude='*.pyc' -cf - . |
    tar -C "$WORK/rootfs/code" --no-same-owner -xf -
  chown -R 0:0 "$WORK/rootfs/code"
}
# Equivalent of python-mysql/Dockerfile (python:3.12-slim there, Debian's python 3.11 here): deps in a
# venv, user app uid/gid 10001, code owned by root in /code, same env and CMD.
config_python_mysql() {
  CONFIG=(--config.user 10001:10001 --config.workingdir /code
    --config.env PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    --config.env VIRTUAL_ENV=/opt/venv --config.env LANG=C.UTF-8
    --config.env PYTHONDONTWRITEBYTECODE=1 --config.env PYTHONUNBUFFERED=1
    --config.exposedports 3000/tcp)
  # Same CMD as python-mysql/Dockerfile.
  local a
  for a in gunicorn --bind 0.0.0.0:3000 --workers 2 application:application; do CONFIG+=(--config.cmd "$a"); done
}

build_mariadb() {
  mkdir -p "$WORK/in"
  cp "$IMAGES_DIR/mariadb-entrypoint.sh" "$WORK/in/docker-entrypoint.sh"
  # Server settings for a container: listen on all addresses, socket/pid in the /var/run/mysqld mount,
  # temp files in the /tmp mount, errors to stderr (no log_error), no DNS lookups of clients.
  cat >"$WORK/in/99-container.cnf" <<'EOF'
[mysqld]
bind-address = 0.0.0.0
port = 3306
datadir = /var/lib/mysql
socket = /var/run/mysqld/mysqld.sock
pid-file = /var/run/mysqld/mysqld.pid
tmpdir = /tmp
skip-name-resolve
host-cache-size = 0
[client-server]
socket = /var/run/mysqld/mysqld.sock
EOF
  # The package's postinst initialises /var/lib/mysql: empty it, the entrypoint initialises at runtime.
  # The mysql user gets uid/gid 999 as in the official mysql image (the package's postinst would pick
  # the next free system uid), created before the packages are installed; the postinst then reuses it.
  debian_rootfs "$WORK/rootfs" mariadb-server,mariadb-client \
    --essential-hook='echo "mysql:x:999:999:MySQL Server:/nonexistent:/bin/false" >>"$1/etc/passwd" && echo "mysql:x:999:" >>"$1/etc/group"' \
    "install -m 0755 '$WORK/in/docker-entrypoint.sh' \"\$1/usr/local/bin/docker-entrypoint.sh\"" \
    "install -m 0644 '$WORK/in/99-container.cnf' \"\$1/etc/mysql/mariadb.conf.d/99-container.cnf\"" \
    "rm -rf \"\$1\"/var/lib/mysql/* \"\$1\"/var/log/mysql/* && mkdir -p \"\$1/docker-entrypoint-initdb.d\""
  # After mmdebstrap, which empties /run: socket dir for runs without the chart's emptyDir.
  mkdir -p "$WORK/rootfs/run/mysqld"
  [[ -s "$WORK/rootfs/etc/hosts" ]] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$WORK/rootfs/etc/hosts"
  chroot "$WORK/rootfs" chown mysql:mysql /var/lib/mysql /run/mysqld
}
config_mariadb() {
  CONFIG=(--config.entrypoint /usr/local/bin/docker-entrypoint.sh --config.cmd mariadbd
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env LANG=C.UTF-8
    --config.exposedports 3306/tcp)
}

# A Node.js runtime for ReloadPresets.node() in a real pod (e2e/test-cluster.sh): Debian's nodejs, the
# same app user as python-mysql, code mounted over /code. No npm: the e2e app needs only node's own modules.
build_node_app() {
  debian_rootfs "$WORK/rootfs" nodejs,procps \
    "chroot \"\$1\" sh -c 'groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin app'" \
    "mkdir -p \"\$1/code\""
}
config_node_app() {
  CONFIG=(--config.user 10001:10001 --config.workingdir /code
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env LANG=C.UTF-8
    --config.exposedports 3000/tcp --config.cmd node --config.cmd server.js)
}

# Hash of everything an image is built from: recipe code, pins, mirror, input files.
input_hash() {
  local img="$1"
  {
    declare -f debian_rootfs oci_archive "build_${img//-/_}" "config_${img//-/_}"
    echo "$K8S_VERSION $PAUSE_TAG $COREDNS_VERSION $DEBIAN_SUITE $MIRROR $SOURCE_DATE_EPOCH"
    case "$img" in
      pause | coredns) go env GOVERSION; gcc --version 2>/dev/null | head -n1 ;;
      python-mysql) cat "$REPO_ROOT/python-mysql/requirements.txt" "$REPO_ROOT/python-mysql/Dockerfile" 2>/dev/null || true ;;
      mariadb) cat "$IMAGES_DIR/mariadb-entrypoint.sh" ;;
    esac
  } | sha256sum | cut -d' ' -f1
}

build_image() {
  local img="$1" dir="$CACHE/$1" want
  want=$(input_hash "$img")
  if ! $force && [[ -f "$dir/image.tar" && "$(cat "$dir/stamp" 2>/dev/null)" == "$want" ]]; then
    say "${REF[$img]}: up to date ($dir/image.tar)"
    return 0
  fi
  CUR_IMAGE="$img" CUR_LOG="$LOGS/$img.log"
  : >"$CUR_LOG"
  WORK=$(mktemp -d "$CACHE/tmp.$img.XXXXXX")
  local start=$SECONDS
  say "${REF[$img]}: building (log: $CUR_LOG)"
  CONFIG=()
  "config_${img//-/_}"
  step "build rootfs (build_${img//-/_})" "build_${img//-/_}"
  step "assemble OCI image (umoci)" oci_archive "$WORK/rootfs" "$dir/image.tar" "${CONFIG[@]}"
  echo "$want" >"$dir/stamp"
  safe_rm "$WORK"; WORK=""
  say "${REF[$img]}: built in $((SECONDS - start))s, $(du -h "$dir/image.tar" | cut -f1), manifest $(image_digest "$img")"
}

image_digest() { tar -xOf "$CACHE/$1/image.tar" index.json | jq -r '.manifests[0].digest'; }

# ---------- containerd import ----------
find_containerd() {
  local c
  if $address_explicit; then echo "$address"; return; fi
  for c in "${CONTAINERD_ADDRESS:-}" /run/hot-reload-e2e/containerd.sock /run/containerd/containerd.sock; do
    [[ -n "$c" && -S "$c" ]] && { echo "$c"; return; }
  done
}

import_images() {
  local sock img have want
  sock=$(find_containerd)
  if [[ -z "$sock" ]] || ! command -v ctr >/dev/null || ! timeout 10 ctr --address "$sock" version >/dev/null 2>&1; then
    $address_explicit && die "containerd is not reachable at $sock (is it running? is ctr installed?)"
    say "containerd not running (no reachable socket); images built but not imported. Archives: $CACHE/<image>/image.tar"
    return 0
  fi
  for img in "${images[@]}"; do
    want=$(image_digest "$img")
    have=$(timeout 30 ctr --address "$sock" -n k8s.io images ls "name==${REF[$img]}" | awk 'NR>1{print $3}') ||
      die "image ${REF[$img]} ($img): step 'ctr images ls' on $sock failed or timed out"
    if [[ "$have" == "$want" ]]; then
      say "${REF[$img]}: already in containerd ($sock) with digest $want"
      continue
    fi
    timeout 300 ctr --address "$sock" -n k8s.io images import --snapshotter "$SNAPSHOTTER" \
      --platform linux/amd64 "$CACHE/$img/image.tar" >"$LOGS/$img.import.log" 2>&1 ||
      die "image ${REF[$img]} ($img): step 'ctr images import' into $sock failed: $(tail -n 5 "$LOGS/$img.import.log")"
    say "${REF[$img]}: imported into containerd ($sock, namespace k8s.io, snapshotter $SNAPSHOTTER), digest $want"
  done
}

# ---------- main ----------
WORK=""
cleanup() { [[ -z "$WORK" ]] || safe_rm "$WORK"; }
trap cleanup EXIT
mkdir -p "$CACHE" "$LOGS" "${images[@]/#/$CACHE/}"
# One build at a time per cache (the cluster's up.sh and a developer may call this concurrently).
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die "another images/build.sh still holds $CACHE/.lock after 30 min"
safe_rm "$CACHE"/tmp.* # leftovers of an interrupted build (we hold the lock, so none is running)
ensure_tools
total=$SECONDS
for img in "${images[@]}"; do build_image "$img"; done
say "all images ready in $((SECONDS - total))s (cache: $CACHE)"
if $do_import; then import_images; fi
