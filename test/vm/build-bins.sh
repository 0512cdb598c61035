#!/usr/bin/env bash
# Builds the binaries the VM's packages and images need that the e2e cluster does not build, from the
# Go module proxy, into $VM_BIN: kubeadm (same module, module cache and flags as e2e/cluster/build.sh),
# crictl (cri-tools), the CNI plugins (kubernetes-cni), flanneld and the flannel CNI plugin.
# kubelet, kubectl, kube-* and etcd come from e2e/cluster/build.sh (run first, idempotent).
# Idempotent: a stamp of the pins and this script skips the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash "$REPO_ROOT/e2e/cluster/build.sh"
mkdir -p "$VM_BIN" "$VM_LOGS"
stamp="$VM_BIN/.stamp"
want="$(cat "$CLUSTER_DIR/go.mod" "$CLUSTER_DIR/go.sum" "${BASH_SOURCE[0]}" "$VM_DIR/env.sh" | sha256sum | cut -d' ' -f1) $(go env GOVERSION)"
if [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then vm_say "binaries up to date in $VM_BIN"; exit 0; fi
start=$SECONDS
log="$VM_LOGS/build-bins.log"
vm_say "building kubeadm, crictl, CNI plugins, flannel into $VM_BIN (cold ~6 min on 2 cores; log $log)"
build() {
  set -euxo pipefail
  # kubeadm: the e2e wrapper module (copied: building adds kubeadm's requirements to go.mod/go.sum).
  mod="$VM_CACHE/kubeadm-module"
  rm -rf "$mod" && mkdir -p "$mod"
  cp "$CLUSTER_DIR/go.mod" "$CLUSTER_DIR/go.sum" "$mod/"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  vpkg=k8s.io/component-base/version
  ldflags="-s -w -X $vpkg.gitVersion=$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
  (cd "$mod" && go build -p 2 -trimpath -ldflags="$ldflags" -o "$VM_BIN/kubeadm" k8s.io/kubernetes/cmd/kubeadm)
  # Static binaries (CGO off) for the rest: they run in minimal images and on the node.
  export CGO_ENABLED=0
  cni="$VM_BIN/cni"; mkdir -p "$cni"
  plugins=(main/bridge main/host-device main/ipvlan main/loopback main/macvlan main/ptp main/vlan main/dummy
    ipam/dhcp ipam/host-local ipam/static meta/bandwidth meta/firewall meta/portmap meta/sbr meta/tuning meta/vrf)
  plugins=("${plugins[@]/#/github.com/containernetworking/plugins/plugins/}")
  GOBIN="$cni" go install -p 2 -trimpath -ldflags="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" \
    "${plugins[@]/%/@$CNI_PLUGINS_VERSION}"
  mkdir -p "$VM_BIN/flannel-cni"
  GOBIN="$VM_BIN/flannel-cni" go install -p 2 -trimpath -ldflags="-s -w" \
    "github.com/containernetworking/plugins/plugins/meta/flannel@$FLANNEL_CNI_PLUGIN_SOURCE"
  GOBIN="$VM_BIN" go install -p 2 -trimpath -ldflags="-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION"
  rm -rf "$VM_BIN/flanneld" && mkdir -p "$VM_BIN/flanneld"
  # flanneld's udp backend needs cgo (it runs on the image's glibc).
  CGO_ENABLED=1 GOBIN="$VM_BIN/flanneld" go install -p 2 -trimpath -ldflags="-s -w -X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION" \
    "github.com/flannel-io/flannel@$FLANNEL_VERSION"
  mv "$VM_BIN/flanneld/flannel" "$VM_BIN/flanneld/flanneld"
}
# In the background, not under `||`: bash ignores set -e in a function called as a condition.
build >"$log" 2>&1 &
wait $! || { tail -n 30 "$log" >&2; vm_die "binary build failed (log: $log)"; }
echo "$want" >"$stamp"
vm_say "binaries built in $((SECONDS - start))s"
