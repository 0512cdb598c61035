#!/usr/bin/env bash
# Stops the e2e cluster started by up.sh and removes what it made: pods (via the kubelet when it
# still works, else via containerd), pod network namespaces, mounts, the node network namespace
# (and with it every iptables rule kube-proxy and the CNI plugins wrote) and $STATE.
# Kept: built binaries, Go caches, containerd's image store and the logs in $LOGS.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$CLUSTER_DIR/lib.sh"
[[ $EUID -eq 0 ]] || { echo "down.sh: must run as root" >&2; exit 1; }

ctr_() { timeout 30 ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }
kubectl_() { timeout 120 nsenter --net="$NETNS_PATH" -- "$BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# 1. Let the kubelet tear pods down properly (CNI DEL, netns removal) while it still runs.
if [[ -e $NETNS_PATH ]] && is_running kubelet "$BIN/kubelet" && is_running kube-apiserver "$BIN/kube-apiserver"; then
  log "deleting all workloads so the kubelet stops their pods"
  kubectl_ delete deployments,statefulsets,daemonsets,replicasets,jobs --all -A --wait=false >/dev/null 2>&1 || true
  kubectl_ delete pods --all -A --grace-period=5 --timeout=60s >/dev/null 2>&1 || log "some pods did not terminate in 60s"
  for _ in $(seq 1 30); do
    [[ -z "$(ctr_ tasks ls -q 2>/dev/null)" ]] && break
    sleep 1
  done
fi

# 2. Control plane and node agents.
for c in kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$c"; done

# 3. Whatever containers are left (kubelet dead or slow): kill and remove them through containerd.
if [[ -S $CONTAINERD_SOCK ]] && ctr_ version >/dev/null 2>&1; then
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 1
  for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks rm -f "$id" >/dev/null 2>&1 || true; done
  for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$id" >/dev/null 2>&1 || true; done
fi
stop_proc containerd
# Shims of our containerd that outlived it (they are started with -address <our socket>).
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" || true); do
  kill -KILL "$pid" 2>/dev/null || true
done

# 4. Pod network namespaces our CNI bridge created: they carry an address from $POD_CIDR.
for ns in /run/netns/cni-*; do
  [[ -e $ns ]] || continue
  if nsenter --net="$ns" -- ip -o -4 addr show 2>/dev/null | grep -qF " ${POD_CIDR%.*.*}."; then
    umount "$ns" 2>/dev/null || true; rm -f "$ns"
  fi
done

# 5. Mounts under our directories (pod volumes, container rootfs, shm), deepest first.
for dir in "$STATE" "$RUN_DIR" "$CONTAINERD_ROOT"; do
  awk -v d="$dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
done

# 6. The node namespace (cni0, veths, kube-proxy's iptables rules go with it) and runtime state.
if [[ -e $NETNS_PATH ]]; then ip netns del "$NETNS" && log "removed network namespace $NETNS"; fi
rm -rf "$STATE" "$RUN_DIR"
log "cluster down (logs kept in $LOGS)"
