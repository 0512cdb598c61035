# shellcheck shell=bash
# Shared settings for the e2e cluster scripts (sourced, not executed).
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$CLUSTER_DIR/../.." && pwd)"
# One cache root for everything this area builds or keeps (team contract).
CACHE="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/cluster"
BIN="$CACHE/bin"              # built binaries (kube-*, kubectl, etcd); kept across down/up
LOGS="$CACHE/logs"            # one log file per component
STATE="$CACHE/state"          # certs, kubeconfigs, configs, etcd data, kubelet root; wiped by down.sh
PKI="$STATE/pki"
ADMIN_KUBECONFIG="$STATE/admin.kubeconfig"
# containerd keeps its image store in the cache (imports survive down/up); its runtime
# state and socket live under /run with short paths (unix socket paths are limited to 108 bytes).
CONTAINERD_ROOT="$CACHE/containerd-root"
RUN_DIR="/run/hot-reload-e2e"
CONTAINERD_SOCK="$RUN_DIR/containerd.sock"
PID_DIR="$RUN_DIR/pids"

# The whole node runs inside its own network namespace: its servers, pod bridge and the
# iptables rules kube-proxy writes never touch the host network, and down.sh removes it all
# by deleting the namespace. Use e2e/cluster/ns-exec.sh (or kubectl.sh) to reach it.
NETNS=hot-reload-e2e
NETNS_PATH="/run/netns/$NETNS"
NODE_IF=node0                 # veth end carrying the node IP inside the namespace
NODE_IP=10.250.0.1            # the kubelet refuses a loopback node IP, so the node gets its own
NODE_NAME=hot-reload-e2e
SERVICE_CIDR=10.96.0.0/16
APISERVER_SERVICE_IP=10.96.0.1
CLUSTER_DNS_IP=10.96.0.10
POD_CIDR=10.88.0.0/16
APISERVER_URL=https://127.0.0.1:6443

# Go build settings: never download a toolchain; modules and build cache under the cache root.
export GOTOOLCHAIN=local GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOFLAGS=-mod=mod
export PATH="$BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH"
K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
K8S_VERSION=v1.33.13
