# shellcheck shell=bash
# Shared settings of the test:vm scripts (sourced). Everything built or downloaded lives under $VM_CACHE.
VM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$VM_DIR/../.." && pwd)"
# The upstream Kubernetes build of the e2e cluster (same go.mod, module cache, build cache, version).
source "$REPO_ROOT/e2e/cluster/env.sh"
K8S_BIN="$BIN"
VM_CACHE="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/vm"
VM_BIN="$VM_CACHE/bin"            # kubeadm, crictl, CNI plugins, flanneld
VM_APT="$VM_CACHE/apt"            # signed flat apt repository (the pkgs.k8s.io stand-in)
VM_IMAGES="$VM_CACHE/images"      # OCI archives named as the upstream registry images
VM_ROOTFS_TAR="$VM_CACHE/rootfs.tar"
VM_LOGS="$VM_CACHE/logs"
VM_WORK="$VM_CACHE/work"          # the guest's rootfs and the /vagrant copy of one run

# Pins of what pkgs.k8s.io / the registries would serve for Kubernetes $K8S_VERSION.
DEB_REVISION=1.1                  # pkgs.k8s.io's package revision (kubelet_1.33.x-1.1_amd64.deb)
CNI_PLUGINS_VERSION=v1.6.2        # kubernetes-cni
CRI_TOOLS_VERSION=v1.34.0         # cri-tools (v1.33.0 is not on the module proxy here)
FLANNEL_VERSION=v0.27.4           # = control_plane_flannel_version
FLANNEL_CNI_PLUGIN_SOURCE=v0.9.1  # containernetworking/plugins, the last release with plugins/meta/flannel
FLANNEL_CNI_PLUGIN_TAG=v1.8.0-flannel1  # the tag kube-flannel.yml names (not on the module proxy here)
DEBIAN_SUITE=bookworm

# Guest network: our own namespace and veth, apart from the e2e cluster (hot-reload-e2e, 10.250.0.0/24).
VM_NETNS=hot-reload-vm
VM_HOST_IF=hrvm0                  # host end of the veth
VM_HOST_IP=10.251.0.1
VM_GUEST_IP=10.251.0.2            # the guest's uplink (default route, NAT to the package mirrors)
VM_NET=10.251.0.0/30
VM_NAME=kube
VM_CGROUP=hot-reload-vm           # cgroup subtree of the guest in every v1 hierarchy (not /kubepods)
export DEBIAN_FRONTEND=noninteractive SOURCE_DATE_EPOCH=1735689600

vm_say() { echo "test:vm: $*"; }
vm_die() { echo "test:vm: ERROR: $*" >&2; exit 1; }
