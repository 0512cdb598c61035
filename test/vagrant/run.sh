#!/usr/bin/env bash
# npm run test:vagrant — boot THE REAL Vagrantfile with `vagrant up --provider=libvirt`
# (Debian's vagrant + vagrant-libvirt + libvirt + qemu, software emulation) on a locally
# built Debian bookworm box, through the hand-off to ansible_local with its real settings,
# then prove from the guest what Vagrant did. See docs/vagrant-libvirt.md.
# Substituted (environment knobs of the Vagrantfile, defaults = what users get):
#   KUBE_BOX=<local box>, KUBE_LIBVIRT_DRIVER=qemu (no usable KVM),
#   KUBE_GALAXY_SERVER=<static Galaxy mirror on the host> (Galaxy is unreachable),
#   KUBE_ANSIBLE_TAGS=always (the first play starts and gathers facts as vagrant with
#   become; no role task runs: the roles need the internet and ~30 min of emulation).
# Needs root (libvirt's system instance, loop devices). Starts virtlogd/libvirtd by
# hand when they are not running and stops what it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/test/vagrant"
CACHE="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/vagrant"
APT_PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86
              qemu-utils dnsmasq-base iptables mmdebstrap fdisk ansible python3-yaml)
MGMT_NET=192.168.121      # vagrant-libvirt's management network (its default)
PRIVATE_NET=192.168.56    # the Vagrantfile's private network (KUBE_IP)
GALAXY_PORT=18480
BOX_NAME="k8s-hot-reload-test/bookworm-$(sha256sum "$HERE/build-box.sh" | cut -c1-12)"

[[ $(id -u) -eq 0 ]] || { echo "error: test:vagrant needs root (libvirt system instance, loop devices for the box)" >&2; exit 1; }
mkdir -p "$CACHE"
WORK="$(mktemp -d)"
START=$SECONDS
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
step() { echo "--- [$((SECONDS - START))s] $*"; }

# --- tools ----------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; echo "error: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi

# Vagrant's state in the cache (boxes) and in the work dir (this run's machine),
# never in $HOME or the work tree; no calls to HashiCorp's servers.
export VAGRANT_HOME="$CACHE/vagrant.d"
export VAGRANT_DOTFILE_PATH="$WORK/dot"
export VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_BOX_UPDATE_CHECK_DISABLE=1
export LIBVIRT_DEFAULT_URI=qemu:///system
# The Vagrantfile's knobs (see its header).
export KUBE_BOX="$BOX_NAME"
export KUBE_LIBVIRT_DRIVER="${KUBE_LIBVIRT_DRIVER:-qemu}"
export KUBE_GALAXY_SERVER="http://$MGMT_NET.1:$GALAXY_PORT/"
export KUBE_ANSIBLE_TAGS=always
unset KUBE_IP KUBE_MEMORY KUBE_CPUS KUBE_BOX_VERSION

# A wrong driver is refused before anything boots, naming the variable and the fix.
out="$(cd "$ROOT" && KUBE_LIBVIRT_DRIVER=xen vagrant validate --ignore-provider 2>&1)" && rc=0 || rc=$?
if ((rc != 0)) && grep -qF 'KUBE_LIBVIRT_DRIVER="xen" is not kvm or qemu; unset it (kvm) or set KUBE_LIBVIRT_DRIVER=qemu' <<<"$out"; then
  pass "the Vagrantfile refuses KUBE_LIBVIRT_DRIVER=xen naming the variable and the fix"
else
  fail "KUBE_LIBVIRT_DRIVER=xen (rc=$rc): $out"
fi

# --- cleanup: everything this run started, in reverse -----------------------------
started_pids=()
nets_before=""
cleanup() {
  set +e
  step "cleanup"
  if [[ -d $VAGRANT_DOTFILE_PATH ]]; then
    (cd "$ROOT" && timeout 300 vagrant destroy -f >"$WORK/destroy.log" 2>&1) || cat "$WORK/destroy.log"
  fi
  if [[ -n $nets_before ]]; then
    for net in $(virsh net-list --all --name 2>/dev/null); do
      grep -qx "$net" <<<"$nets_before" && continue
      virsh net-destroy "$net" >/dev/null 2>&1
      virsh net-undefine "$net" >/dev/null 2>&1
    done
  fi
  iptables -t raw -D PREROUTING -j HOTRELOAD_VAGRANT 2>/dev/null
  iptables -t raw -F HOTRELOAD_VAGRANT 2>/dev/null
  iptables -t raw -X HOTRELOAD_VAGRANT 2>/dev/null
  for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
    pid="${started_pids[i]}"
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
  rm -rf "$WORK"
  echo "test:vagrant took $((SECONDS - START))s"
}
trap cleanup EXIT

# --- libvirt: virtlogd + libvirtd by hand (no systemd), niced: qemu inherits it ------
start_daemon() {
  local name="$1" pidfile="/run/$1.pid"
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name is already running (pid $(cat "$pidfile")): using it, leaving it running"
    return
  fi
  rm -f "$pidfile"
  nice -n 10 "$name" -d
  for _ in $(seq 100); do [[ -s $pidfile ]] && break; sleep 0.1; done
  [[ -s $pidfile ]] || { echo "error: $name -d did not start (no $pidfile)" >&2; exit 1; }
  started_pids+=("$(cat "$pidfile")")
}
step "libvirt daemons"
start_daemon virtlogd
start_daemon libvirtd
for _ in $(seq 100); do virsh version >/dev/null 2>&1 && break; sleep 0.2; done
virsh version >/dev/null || { echo "error: libvirtd does not answer on qemu:///system" >&2; exit 1; }
nets_before="$(virsh net-list --all --name)"
# Box image and VM disk: libvirt's usual `default` pool (qemu runs as libvirt-qemu
# and cannot reach into $HOME). The box image stays there for warm reruns.
if ! virsh pool-info default >/dev/null 2>&1; then
  mkdir -p /var/lib/libvirt/images
  virsh pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
  virsh pool-autostart default >/dev/null
fi
# (libvirtd may be autostarting it right now)
virsh pool-start default >/dev/null 2>&1 || true
[[ $(virsh pool-info default) =~ State:\ +running ]] || { echo "error: libvirt storage pool 'default' is not running" >&2; exit 1; }

# Both networks exist only inside this machine: drop whatever the guest sends elsewhere.
iptables -t raw -N HOTRELOAD_VAGRANT 2>/dev/null || iptables -t raw -F HOTRELOAD_VAGRANT
for net in $MGMT_NET $PRIVATE_NET; do
  iptables -t raw -A HOTRELOAD_VAGRANT -s "$net.0/24" -d "$net.0/24" -j RETURN
  iptables -t raw -A HOTRELOAD_VAGRANT -s "$net.0/24" -d 255.255.255.255 -j RETURN
  iptables -t raw -A HOTRELOAD_VAGRANT -s "$net.0/24" -j DROP
done
iptables -t raw -C PREROUTING -j HOTRELOAD_VAGRANT 2>/dev/null || iptables -t raw -I PREROUTING -j HOTRELOAD_VAGRANT

# --- the box (built once per recipe, cached in VAGRANT_HOME) ----------------------
if grep -q "^$BOX_NAME " <<<"$(vagrant box list 2>/dev/null)"; then
  step "box $BOX_NAME: cached"
else
  step "building box $BOX_NAME (mmdebstrap, ~5 min)"
  nice -n 10 bash "$HERE/build-box.sh" "$CACHE/box.box" >"$WORK/box-build.log" 2>&1 ||
    { tail -40 "$WORK/box-build.log" >&2; echo "error: box build failed" >&2; exit 1; }
  tail -1 "$WORK/box-build.log"
  vagrant box add --name "$BOX_NAME" "$CACHE/box.box" >/dev/null
  rm -f "$CACHE/box.box"
fi
# Older recipes' boxes and their images in the libvirt pool.
for old in $(vagrant box list 2>/dev/null | awk '$1 ~ /^k8s-hot-reload-test\// {print $1}'); do
  [[ $old == "$BOX_NAME" ]] || vagrant box remove -f --all "$old" >/dev/null
done
for vol in $(virsh vol-list default 2>/dev/null | awk '$1 ~ /^k8s-hot-reload-test-VAGRANTSLASH-/ {print $1}'); do
  [[ $vol == "${BOX_NAME//\//-VAGRANTSLASH-}"_* ]] || virsh vol-delete --pool default "$vol" >/dev/null
done

# --- the Galaxy mirror the guest installs requirements.yml from ---------------------
step "Galaxy mirror"
MIRROR="$CACHE/galaxy-$(cat "$ROOT/ansible/requirements.yml" "$HERE/galaxy_mirror.py" | sha256sum | cut -c1-12)"
if [[ ! -f $MIRROR/done ]]; then
  rm -rf "$CACHE"/galaxy-*
  /usr/bin/python3 "$HERE/galaxy_mirror.py" "$ROOT/ansible/requirements.yml" "$MIRROR" "$KUBE_GALAXY_SERVER"
  touch "$MIRROR/done"
fi
# Its address appears with vagrant-libvirt's management network, during `vagrant up`.
(
  for _ in $(seq 600); do [[ $(ip -4 -o addr show) == *" $MGMT_NET.1/"* ]] && break; sleep 0.5; done
  exec /usr/bin/python3 -m http.server "$GALAXY_PORT" --bind "$MGMT_NET.1" --directory "$MIRROR"
) >"$WORK/galaxy.log" 2>&1 &
started_pids+=("$!")

# --- vagrant up ---------------------------------------------------------------------
# Only the provisioners up to ansible_local: app-url waits for a cluster that the
# limited play does not build.
step "vagrant up --provider=libvirt (driver $KUBE_LIBVIRT_DRIVER, box $KUBE_BOX)"
cd "$ROOT"
# Output live and in up.log, each line stamped with the seconds since `vagrant up`
# started (the stage times in docs/vagrant-libvirt.md), without the progress bar.
stamp() {
  local t0=$SECONDS line
  while IFS= read -r line; do
    line="${line//$'\e'\[K/}"
    [[ $line == Progress:* ]] && continue
    printf '[%4ds] %s\n' "$((SECONDS - t0))" "$line"
  done
}
set +e
VAGRANT_LOG=info timeout 1500 vagrant up --provider=libvirt --provision-with ansible-bootstrap,ansible \
  2>"$WORK/vagrant-info.log" | stdbuf -oL tr '\r' '\n' | stamp | tee "$WORK/up.log"
rc=${PIPESTATUS[0]}
set -e
sed -E 's/^\[ *[0-9]+s\] //' "$WORK/up.log" >"$WORK/up.txt"
step "vagrant up rc=$rc"
at() { grep -m1 -F "$1" "$WORK/up.log" | sed -E 's/^\[ *([0-9]+)s\].*/\1s/'; }
echo "stages (s since vagrant up): domain started $(at 'Starting domain.'), SSH ready $(at 'Machine booted and ready!')," \
     "virtiofs mounted $(at 'Configuring and enabling network'), galaxy $(at 'Running ansible-galaxy...')," \
     "playbook $(at 'Running ansible-playbook...'), recap $(at 'PLAY RECAP')"
if ((rc == 0)); then pass "vagrant up --provider=libvirt exits 0"; else
  fail "vagrant up --provider=libvirt rc=$rc"; grep -E 'ERROR|Error|error' "$WORK/vagrant-info.log" | tail -20
fi

# --- what Vagrant handed to ansible_local --------------------------------------------
# The commands vagrant ran in the guest, as logged by its SSH communicator.
executed() { sed -n "s/^.*Execute: \(cd \/vagrant\/ansible && .*$1.*\) (sudo=.*$/\1/p" "$WORK/vagrant-info.log" | tail -1; }
galaxy_cmd="$(executed ansible-galaxy)"
playbook_cmd="$(executed ansible-playbook)"
echo "galaxy:   ${galaxy_cmd:-<none>}"
echo "playbook: ${playbook_cmd:-<none>}"
if [[ $galaxy_cmd == *"ansible-galaxy collection install --requirements-file='/vagrant/ansible/requirements.yml' --server=$KUBE_GALAXY_SERVER"* ]]; then
  pass "ansible_local ran the Vagrantfile's galaxy_command on requirements.yml in /vagrant/ansible"
else
  fail "galaxy command: ${galaxy_cmd:-not run}"
fi
expect_args=('--limit="all,localhost"' '--inventory-file=/tmp/vagrant-ansible/inventory'
             '--extra-vars=\{\"node_name\":\"kube\",\"node_ip\":\"192.168.56.10\"\}' '--tags=always' ' main.yml')
ok=1
for a in "${expect_args[@]}"; do [[ $playbook_cmd == *"$a"* ]] || { ok=0; echo "  missing: $a"; }; done
if ((ok)); then pass "ansible-playbook got limit, inventory, extra vars {node_name: kube, node_ip: 192.168.56.10} and main.yml"; else
  fail "ansible-playbook command: ${playbook_cmd:-not run}"
fi
downloads="$(grep -cE "^$MGMT_NET\.[0-9]+ .*\"GET /download/[a-z]+-[a-z]+-[0-9.]+\.tar\.gz HTTP/1\.[01]\" 200" "$WORK/galaxy.log" || true)"
installed="$(grep -cE "^[a-z]+\.[a-z]+:[0-9.]+ was installed successfully" "$WORK/up.txt" || true)"
if ((downloads == 3 && installed == 3)); then
  pass "ansible-galaxy in the guest downloaded and installed the 3 pinned collections from the mirror"
else
  fail "galaxy: $downloads downloads from the guest, $installed installed"; cat "$WORK/galaxy.log"
fi
if ! grep -qE 'Reading package lists|apt-get' "$WORK/up.txt" && grep -q 'Running provisioner: ansible-bootstrap' "$WORK/up.txt"; then
  pass "ansible-bootstrap found ansible-core + python3-kubernetes in the box (no apt-get)"
else
  fail "ansible-bootstrap did not run, or ran apt-get"
fi
play1="PLAY [Provision a single-node Kubernetes 1.33 (containerd, kubeadm, Flannel) and the app image]"
if grep -qF "$play1" "$WORK/up.txt" && grep -A2 -F 'TASK [Gathering Facts]' "$WORK/up.txt" | grep -c '^ok: \[kube\]' >/dev/null &&
   grep -qE '^kube +: ok=1 +changed=0 +unreachable=0 +failed=0' "$WORK/up.txt"; then
  pass "main.yml's first play started on host kube and gathered facts (tags=always: no role task ran)"
else
  fail "main.yml's first play: $(grep -E '^(PLAY|TASK|ok|fatal|kube|localhost)' "$WORK/up.txt" | head -20)"
fi

# --- the guest itself ---------------------------------------------------------------
vagrant ssh-config >"$WORK/ssh-config" 2>/dev/null || true
gssh() { ssh -F "$WORK/ssh-config" -o LogLevel=ERROR kube "$@"; }
if ! gssh true; then
  fail "no SSH to the guest after vagrant up"
else
  # Synced folder: virtiofs, the same bytes, live both ways.
  mapfile -t files < <(git -C "$ROOT" ls-files ansible Vagrantfile dist)
  host_sums="$(cd "$ROOT" && sha256sum "${files[@]}")"
  guest_sums="$(gssh "cd /vagrant && sha256sum ${files[*]}" 2>&1)" || true
  fstype="$(gssh 'findmnt -n -o FSTYPE /vagrant')" || true
  if [[ $fstype == virtiofs && $host_sums == "$guest_sums" ]]; then
    pass "/vagrant is a virtiofs mount of the project: ${#files[@]} files (ansible/, Vagrantfile, dist/) byte-identical"
  else
    fail "/vagrant: fstype=${fstype:-none}; checksum diff: $(diff <(echo "$host_sums") <(echo "$guest_sums") | head -5)"
  fi
  mkdir -p "$ROOT/.vagrant"
  token="$RANDOM$RANDOM"
  echo "$token" >"$ROOT/.vagrant/test-vagrant-host"
  gssh "cat /vagrant/.vagrant/test-vagrant-host" >"$WORK/seen" 2>&1 || true
  gssh "echo guest-$token | sudo tee /vagrant/.vagrant/test-vagrant-guest >/dev/null" || true
  if [[ $(cat "$WORK/seen") == "$token" && $(cat "$ROOT/.vagrant/test-vagrant-guest" 2>/dev/null) == "guest-$token" ]]; then
    pass "the share is live both ways (host write seen in the guest, guest write seen on the host)"
  else
    fail "live share: guest saw '$(cat "$WORK/seen")', host saw '$(cat "$ROOT/.vagrant/test-vagrant-guest" 2>/dev/null)'"
  fi
  rm -f "$ROOT/.vagrant/test-vagrant-host" "$ROOT/.vagrant/test-vagrant-guest"
  rmdir "$ROOT/.vagrant" 2>/dev/null || true

  inventory="$(gssh 'cat /tmp/vagrant-ansible/inventory/vagrant_ansible_local_inventory')" || true
  if grep -qx 'kube ansible_connection=local' <<<"$inventory"; then
    pass "generated inventory: kube ansible_connection=local"
  else
    fail "inventory: $inventory"
  fi
  collections="$(gssh 'ansible-galaxy collection list --format json 2>/dev/null')" || true
  if got="$(/usr/bin/python3 "$ROOT/test/provision/check_pins.py" "$ROOT/ansible/requirements.yml" <<<"$collections" 2>&1)"; then
    pass "the vagrant user's collections equal requirements.yml's pins"
  else
    fail "guest collections vs requirements.yml: $got"
  fi
  # become: sudo's own log of ansible's module run (vagrant -> root).
  sudo_log="$(gssh 'sudo journalctl -q --no-pager -o cat _COMM=sudo')" || true
  become="$(grep -F 'vagrant : PWD=/vagrant/ansible ; USER=root ; ' <<<"$sudo_log" |
            grep -F "COMMAND=/bin/sh -c 'echo BECOME-SUCCESS-" | grep -F AnsiballZ_setup.py | head -1)" || true
  if [[ -n $become ]]; then
    pass "facts were gathered by vagrant through sudo to root (become): ${become:0:150}..."
  else
    fail "no sudo log of vagrant -> root running AnsiballZ_setup.py: $(tail -5 <<<"$sudo_log")"
  fi
  net="$(gssh 'hostname; ip -4 -o addr show')" || true
  if grep -qx kube <<<"$net" && grep -q " inet 192.168.56.10/24 " <<<"$net"; then
    pass "hostname kube, private network address 192.168.56.10/24"
  else
    fail "hostname/private network: $net"
  fi
fi

echo "vagrant: $passed passed, $failed failed ($((SECONDS - START))s)"
((failed == 0))
