# shellcheck shell=bash
# The guest: a Debian bookworm rootfs booted by systemd-nspawn with systemd as PID 1, in its own network
# namespace and cgroup subtree (sourced by run.sh; needs env.sh). Functions:
#   guest_up ROOTFS VAGRANT_DIR   boot it (/vagrant bind-mounted from VAGRANT_DIR, the apt repository and
#                                 image archives bind-mounted read-only under /var/cache/hot-reload-vm)
#   guest_exec CMD...             run a command inside as root, as a unit of the guest's systemd
#   guest_down                    power it off and remove the netns, NAT rules and cgroups (idempotent)
GUEST_PID=""          # systemd-nspawn
GUEST_LEADER=""       # the guest's PID 1 (systemd), seen from the host
GUEST_LOG="$VM_LOGS/guest-console.log"
GUEST_NODE_IP=""      # the Vagrantfile's node_ip, on eth1 inside (VirtualBox's private network)
GUEST_MNT=/var/cache/hot-reload-vm
IP_FORWARD_BEFORE=""

nat_rules() { # nat_rules -A|-D: the guest's NAT and forwarding, only for our /30 and veth
  local rc=0
  iptables -t nat "$1" POSTROUTING -s "$VM_NET" ! -o "$VM_HOST_IF" -j MASQUERADE -m comment --comment hot-reload-vm || rc=1
  # Cluster-internal addresses never leave the guest (should kube-proxy or Flannel be down).
  iptables "$1" FORWARD -i "$VM_HOST_IF" -d 10.96.0.0/12 -j REJECT -m comment --comment hot-reload-vm || rc=1
  iptables "$1" FORWARD -i "$VM_HOST_IF" -d 10.244.0.0/16 -j REJECT -m comment --comment hot-reload-vm || rc=1
  iptables "$1" FORWARD -i "$VM_HOST_IF" -j ACCEPT -m comment --comment hot-reload-vm || rc=1
  iptables "$1" FORWARD -o "$VM_HOST_IF" -j ACCEPT -m comment --comment hot-reload-vm || rc=1
  return $rc
}

guest_nsenter() { # guest_nsenter CMD...: CMD in the guest's namespaces, but in the harness's cgroup
  [[ -n "$GUEST_LEADER" ]] || vm_die "guest_exec: the guest is not running"
  nsenter --target "$GUEST_LEADER" --mount --uts --ipc --net --pid --cgroup -- \
    /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}
# CMD as a transient unit of the guest's systemd (stdin/stdout/stderr piped, exit status returned), so
# that it and its children live in the guest's own cgroups, as an ssh session's commands do in a VM
# (buildah/runc create their cgroups relative to the caller's).
guest_exec() {
  guest_nsenter systemd-run --quiet --pipe --wait --collect --setenv=HOME=/root --setenv=LANG=C.UTF-8 -- "$@"
}

cgroup_dirs() { # every v1 hierarchy (and the v2 one of the hybrid layout) mounted under /sys/fs/cgroup
  findmnt -rn -t cgroup,cgroup2 -o TARGET | grep '^/sys/fs/cgroup/'
}

guest_network_up() {
  local node_ip="$1"
  ip netns add "$VM_NETNS"
  ip link add "$VM_HOST_IF" type veth peer name hrvm-guest
  ip link set hrvm-guest netns "$VM_NETNS"
  ip addr add "$VM_HOST_IP/30" dev "$VM_HOST_IF"
  ip link set "$VM_HOST_IF" up
  ip -n "$VM_NETNS" link set hrvm-guest name eth0
  ip -n "$VM_NETNS" addr add "$VM_GUEST_IP/30" dev eth0
  ip -n "$VM_NETNS" link set lo up
  ip -n "$VM_NETNS" link set eth0 up
  ip -n "$VM_NETNS" route add default via "$VM_HOST_IP"
  # The private network of the Vagrantfile (node_ip, e.g. 192.168.56.10/24) exists only inside: the host
  # reaches the guest on $VM_GUEST_IP, so nothing collides with a libvirt/VirtualBox 192.168.56.0/24.
  # (A veth pair with its peer left unaddressed inside: this kernel has no dummy link type.)
  ip -n "$VM_NETNS" link add eth1 type veth peer name eth1-peer
  ip -n "$VM_NETNS" addr add "$node_ip/24" dev eth1
  ip -n "$VM_NETNS" link set eth1-peer up
  ip -n "$VM_NETNS" link set eth1 up
  # NAT for the guest's apt and pip (package mirrors only), scoped to our /30 and removed by guest_down.
  IP_FORWARD_BEFORE=$(sysctl -n net.ipv4.ip_forward)
  sysctl -qw net.ipv4.ip_forward=1
  nat_rules -A
}

guest_up() {
  local rootfs="$1" vagrant_dir="$2" node_ip="$3" d
  GUEST_NODE_IP="$node_ip"
  guest_down quiet
  command -v systemd-nspawn >/dev/null && command -v iptables >/dev/null ||
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends systemd-container iptables >/dev/null
  guest_network_up "$node_ip"
  # Own cgroup subtree in every hierarchy, apart from the host e2e cluster's /kubepods.
  for d in $(cgroup_dirs); do
    mkdir -p "$d/$VM_CGROUP"
    if [[ -f "$d/cpuset.cpus" ]]; then
      cat "$d/cpuset.cpus" >"$d/$VM_CGROUP/cpuset.cpus"; cat "$d/cpuset.mems" >"$d/$VM_CGROUP/cpuset.mems"
    fi
  done
  : >"$GUEST_LOG"
  # Settings measured in the issue-13 spike: v1 cgroup layout inside, all capabilities, /dev/kmsg for the
  # kubelet, host modules for modprobe, a syscall filter widened for kubelet/runc (keyrings, bpf, ...),
  # no registration with a machined the host does not run, console read-only (passive hangs poweroff).
  # /proc/sys writable: the kubelet sets kernel tunables (vm.overcommit_memory, kernel.panic...) as on a VM.
  (
    for d in $(cgroup_dirs); do echo "$BASHPID" >"$d/$VM_CGROUP/cgroup.procs"; done
    exec env SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=0 SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 systemd-nspawn --boot \
      --directory="$rootfs" --machine="$VM_NAME" --hostname="$VM_NAME" --register=no --keep-unit \
      --capability=all --system-call-filter='@keyring @module @raw-io @swap @clock @cpu-emulation @debug @obsolete @pkey bpf' \
      --bind=/dev/kmsg $([[ -d /lib/modules ]] && echo --bind-ro=/lib/modules) --network-namespace-path="/run/netns/$VM_NETNS" \
      --resolv-conf=copy-host --timezone=off --console=read-only \
      --bind="$vagrant_dir:/vagrant" --bind-ro="$VM_APT:$GUEST_MNT/apt" --bind-ro="$VM_IMAGES:$GUEST_MNT/images"
  ) >"$GUEST_LOG" 2>&1 </dev/null &
  GUEST_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    GUEST_LEADER=$(pgrep -P "$GUEST_PID" -x systemd || true)
    [[ -n "$GUEST_LEADER" ]] && break
    kill -0 "$GUEST_PID" 2>/dev/null || { tail -n 20 "$GUEST_LOG" >&2; vm_die "systemd-nspawn exited (log: $GUEST_LOG)"; }
    sleep 0.2
  done
  [[ -n "$GUEST_LEADER" ]] || vm_die "no systemd inside the guest after 20 s (log: $GUEST_LOG)"
  local state=""
  for ((i = 0; i < 120; i++)); do
    state=$(guest_nsenter systemctl is-system-running 2>/dev/null || true)
    [[ "$state" == running || "$state" == degraded ]] && break
    sleep 0.5
  done
  [[ "$state" == running || "$state" == degraded ]] ||
    vm_die "guest systemd not up after 60 s (state '$state', log: $GUEST_LOG)"
  # nspawn mounts the v1 controllers read-only; the kubelet and runc create cgroups in them. Then
  # systemd re-executes to see them writable.
  guest_nsenter sh -c 'for d in /sys/fs/cgroup/*/; do mount -o remount,bind,rw "$d" 2>/dev/null || true; done
    mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true; systemctl daemon-reexec'
  sleep 1
  vm_say "guest up: systemd $state as PID 1 (host pid $GUEST_LEADER), node IP $node_ip, reachable from the host at $VM_GUEST_IP"
}

guest_down() {
  local quiet="${1:-}" i d
  if [[ -n "$GUEST_PID" ]] && kill -0 "$GUEST_PID" 2>/dev/null; then
    [[ -n "$quiet" ]] || vm_say "powering the guest off"
    guest_nsenter systemctl poweroff >/dev/null 2>&1 || kill -TERM "$GUEST_PID" 2>/dev/null || true
    # The guest is thrown away: 20 s for a clean poweroff (containerd's shims otherwise take ~1 min),
    # then its PID 1 is killed, which ends every process of its PID namespace.
    for ((i = 0; i < 40; i++)); do kill -0 "$GUEST_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$GUEST_PID" 2>/dev/null; then
      [[ -n "$quiet" ]] || vm_say "guest still stopping after 20 s: killing its PID 1 (host pid $GUEST_LEADER) and systemd-nspawn"
      [[ -z "$GUEST_LEADER" ]] || kill -KILL "$GUEST_LEADER" 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do kill -0 "$GUEST_PID" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$GUEST_PID" 2>/dev/null || true
      sleep 1
    fi
  fi
  GUEST_PID="" GUEST_LEADER=""
  for d in 1 2 3; do nat_rules -D 2>/dev/null || true; done
  [[ -z "$IP_FORWARD_BEFORE" ]] || sysctl -qw net.ipv4.ip_forward="$IP_FORWARD_BEFORE"
  IP_FORWARD_BEFORE=""
  ip link del "$VM_HOST_IF" 2>/dev/null || true
  ip netns del "$VM_NETNS" 2>/dev/null || true
  # Empty cgroups left by the guest (kubepods, system.slice...): remove depth-first.
  for d in $(cgroup_dirs 2>/dev/null); do
    [[ -d "$d/$VM_CGROUP" ]] && find "$d/$VM_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}
