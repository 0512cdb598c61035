#!/usr/bin/env bash
# Brings up a single-node Kubernetes built from upstream sources (like hack/local-up-cluster.sh):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy,
# a CNI bridge and CoreDNS, all inside the network namespace $NETNS. Idempotent: running it
# again starts only what is not running. Logs: $CACHE/logs/<component>.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$CLUSTER_DIR/lib.sh"
source "$CLUSTER_DIR/pki.sh"

[[ $EUID -eq 0 ]] || { echo "up.sh: must run as root (containerd, kubelet and network namespaces need it)" >&2; exit 1; }
mkdir -p "$LOGS" "$STATE" "$PID_DIR"

# On failure, stop what this run brought up (logs stay in $LOGS) unless KEEP_ON_FAILURE=1.
on_exit() {
  local rc=$?
  if (( rc != 0 )) && [[ ${KEEP_ON_FAILURE:-0} != 1 ]]; then
    echo "up.sh: failed (exit $rc); stopping the cluster. Logs: $LOGS (KEEP_ON_FAILURE=1 keeps it running)" >&2
    bash "$CLUSTER_DIR/down.sh" >&2 || true
  fi
}
trap on_exit EXIT

install_deps() {
  # command -> Debian package that provides it
  local -A need=([containerd]=containerd [runc]=runc [ctr]=containerd [openssl]=openssl
    [iptables]=iptables [conntrack]=conntrack [nsenter]=util-linux [ip]=iproute2 [curl]=curl
    [jq]=jq [socat]=socat [ethtool]=ethtool)
  local missing=() c
  for c in "${!need[@]}"; do command -v "$c" >/dev/null || missing+=("${need[$c]}"); done
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  if (( ${#missing[@]} )); then
    log "installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >> "$LOGS/apt.log" 2>&1 || fail apt "apt-get update failed"
    # shellcheck disable=SC2046 # one word per package name
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends \
      $(printf '%s\n' "${missing[@]}" | sort -u) >> "$LOGS/apt.log" 2>&1 \
      || fail apt "apt-get install ${missing[*]} failed"
  fi
}

setup_netns() {
  [[ -e $NETNS_PATH ]] || ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  # The node interface is one end of a veth pair whose other end goes nowhere (the kernel here
  # has no "dummy" link type): it carries the node IP and a default route, which components use
  # to pick their address; anything actually routed out of it is dropped.
  if ! ip -n "$NETNS" link show "$NODE_IF" >/dev/null 2>&1; then
    ip -n "$NETNS" link add "$NODE_IF" type veth peer name "$NODE_IF-peer"
  fi
  ip -n "$NETNS" addr replace "$NODE_IP/24" dev "$NODE_IF"
  ip -n "$NETNS" link set "$NODE_IF-peer" up
  ip -n "$NETNS" link set "$NODE_IF" up
  ip -n "$NETNS" route replace default dev "$NODE_IF"
  in_ns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.ipv4.conf.all.route_localnet=1
}

# write_if_changed FILE < CONTENT: touch FILE only when its content changes (kube-proxy exits
# when its config file is rewritten, even with the same content).
write_if_changed() {
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat > "$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

write_configs() {
  mkdir -p "$STATE/cni/net.d" "$STATE/kubelet" "$RUN_DIR"
  local restrict_oom=false
  # CAP_SYS_RESOURCE is bit 24 of the effective capability mask.
  (( (0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24) & 1 )) || restrict_oom=true
  write_if_changed "$STATE/containerd.toml" <<TOML
version = 2
root = "$CONTAINERD_ROOT"
state = "$RUN_DIR/containerd-state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  # Without CAP_SYS_RESOURCE (absent in some sandboxes/VMs) runc cannot set the negative
  # oom_score_adj of pod sandboxes (-998): clamp it to containerd's own value instead.
  restrict_oom_score_adj = $restrict_oom
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$RUN_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
TOML
  write_if_changed "$STATE/cni/net.d/10-hot-reload-e2e.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "hot-reload-e2e",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
  write_if_changed "$STATE/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failSwapOn: false
clusterDNS: [$CLUSTER_DNS_IP]
clusterDomain: cluster.local
resolvConf: ""
address: $NODE_IP
healthzBindAddress: 127.0.0.1
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
# A test node: never evict for disk/memory pressure, never garbage-collect the imported images.
evictionHard: {memory.available: "1Mi", nodefs.available: "0%", imagefs.available: "0%", nodefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
YAML
  write_if_changed "$STATE/kube-proxy-config.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Leave conntrack table sizes alone: nf_conntrack_max is not writable from a network namespace.
conntrack: {maxPerCore: 0, min: 0}
YAML
}

start_containerd() {
  local bin; bin=$(command -v containerd)
  start_proc containerd "$bin" --config "$STATE/containerd.toml"
  wait_until containerd "$bin" 60 "containerd socket $CONTAINERD_SOCK answers" \
    ctr --address "$CONTAINERD_SOCK" version
}

import_images() {
  local script="$REPO_ROOT/e2e/images/build.sh"
  [[ -f $script ]] || fail images "$script not found: the e2e images (pause, coredns, python-mysql, mariadb, node-app) come from it"
  log "building/importing images with e2e/images/build.sh (log: $LOGS/images.log)"
  bash "$script" --address "$CONTAINERD_SOCK" >> "$LOGS/images.log" 2>&1 \
    || fail images "e2e/images/build.sh failed"
  local img have; have=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q)
  for img in registry.k8s.io/pause:3.10 localhost/coredns:dev localhost/python-mysql:dev localhost/mariadb:dev localhost/node-app:dev; do
    grep -qxF "$img" <<<"$have" || grep -qxF "docker.io/$img" <<<"$have" \
      || fail images "image $img not in containerd namespace k8s.io after e2e/images/build.sh"
  done
}

start_control_plane() {
  start_proc etcd "$BIN/etcd" --name hot-reload-e2e --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster hot-reload-e2e=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
  wait_until etcd "$BIN/etcd" 60 "etcd /health" in_ns curl -fsS http://127.0.0.1:2379/health

  start_proc kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 --advertise-address="$NODE_IP" --secure-port=6443 \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --authorization-mode=Node,RBAC --allow-privileged=true \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" --kubelet-certificate-authority="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
    --enable-admission-plugins=NodeRestriction --kubelet-preferred-address-types=InternalIP,Hostname
  wait_until kube-apiserver "$BIN/kube-apiserver" 180 "kube-apiserver /readyz" \
    in_ns curl -fsS --cacert "$PKI/ca.crt" "$APISERVER_URL/readyz"

  start_proc kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false
  start_proc kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false
  wait_until kube-controller-manager "$BIN/kube-controller-manager" 90 "controller-manager /healthz" \
    in_ns curl -fsSk https://127.0.0.1:10257/healthz
  wait_until kube-scheduler "$BIN/kube-scheduler" 90 "scheduler /healthz" \
    in_ns curl -fsSk https://127.0.0.1:10259/healthz
}

kubectl_() { in_ns "$BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

start_node() {
  # cadvisor's OOM watcher needs /dev/kmsg (missing in some containers/VMs); kind links it the same way.
  [[ -e /dev/kmsg ]] || ln -s /dev/console /dev/kmsg
  start_proc kubelet "$BIN/kubelet" --config="$STATE/kubelet-config.yaml" \
    --kubeconfig="$STATE/kubelet.kubeconfig" --root-dir="$STATE/kubelet" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
  wait_until kubelet "$BIN/kubelet" 120 "kubelet /healthz" in_ns curl -fsS http://127.0.0.1:10248/healthz
  wait_until kubelet "$BIN/kubelet" 120 "node $NODE_NAME Ready" \
    kubectl_ wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s

  start_proc kube-proxy "$BIN/kube-proxy" --config="$STATE/kube-proxy-config.yaml"
  wait_until kube-proxy "$BIN/kube-proxy" 90 "kube-proxy /healthz" in_ns curl -fsS http://127.0.0.1:10256/healthz
}

start_dns() {
  kubectl_ apply --server-side --force-conflicts -f "$CLUSTER_DIR/manifests/coredns.yaml" >> "$LOGS/coredns.log" 2>&1 \
    || fail coredns "applying e2e/cluster/manifests/coredns.yaml failed"
  if ! kubectl_ -n kube-system rollout status deploy/coredns --timeout=180s >> "$LOGS/coredns.log" 2>&1; then
    kubectl_ -n kube-system describe pods -l k8s-app=kube-dns >> "$LOGS/coredns.log" 2>&1 || true
    kubectl_ -n kube-system logs -l k8s-app=kube-dns --tail=30 >> "$LOGS/coredns.log" 2>&1 || true
    fail coredns "CoreDNS deployment not ready within 180s"
  fi
}

t0=$(date +%s)
log "cache: $CACHE  logs: $LOGS"
install_deps
bash "$CLUSTER_DIR/build.sh" 2>&1 | tee -a "$LOGS/build.log" || fail build "building kubernetes/etcd failed"
setup_netns
make_pki
write_configs
start_containerd
import_images
start_control_plane
start_node
start_dns
log "cluster up in $(( $(date +%s) - t0 ))s: node $NODE_NAME ($NODE_IP) in netns $NETNS"
log "use: bash e2e/cluster/kubectl.sh get pods -A    |    bash e2e/cluster/ns-exec.sh curl http://$NODE_IP:31000/"
