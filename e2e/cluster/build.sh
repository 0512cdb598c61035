#!/usr/bin/env bash
# Builds the pinned upstream Kubernetes + etcd binaries (versions in go.mod) into $CACHE/bin.
# Idempotent: a stamp keyed on go.mod/go.sum/tools.go/this script skips the build when nothing changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

command -v go >/dev/null || { echo "build.sh: Go toolchain missing (install Go >= 1.24 at /usr/local/go)" >&2; exit 1; }
mkdir -p "$BIN" "$LOGS"
stamp="$BIN/.build-stamp"
want="$(cat "$CLUSTER_DIR/go.mod" "$CLUSTER_DIR/go.sum" "$CLUSTER_DIR/tools.go" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
all_present=true
for b in "${K8S_COMPONENTS[@]}" etcd; do [[ -x "$BIN/$b" ]] || all_present=false; done
if $all_present && [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
  echo "build.sh: binaries up to date in $BIN"; exit 0
fi

cd "$CLUSTER_DIR"
start=$(date +%s)
echo "build.sh: building kubernetes $K8S_VERSION + etcd into $BIN (cold: ~20-40 min on 2 cores; log: $LOGS/build.log)"
# Without these the binaries report v0.0.0-master, which kubectl flags as version skew.
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
pkgs=()
for c in "${K8S_COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
# One invocation so the k8s commands share compiled packages; -p 2 matches the 2 cores.
go build -p 2 -trimpath -ldflags="$ldflags" -o "$BIN/" "${pkgs[@]}"
# The etcd server module's main package would be named "v3": name the binary etcd.
go build -p 2 -trimpath -ldflags='-s -w' -o "$BIN/etcd" go.etcd.io/etcd/server/v3
echo "$want" > "$stamp"
echo "build.sh: done in $(( $(date +%s) - start ))s"
