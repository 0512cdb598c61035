#!/usr/bin/env bash
# npm run test:vm — the real provisioning, run the way Vagrant's ansible_local runs it, in a systemd guest.
#
# Boots a Debian bookworm guest with systemd as PID 1 (systemd-nspawn, see guest.sh), then runs the
# provisioners the Vagrantfile declares, in its order, with the settings read from the Vagrantfile itself
# (vagrantfile-settings.rb): the ansible-bootstrap shell script as root; ansible_local as the unprivileged
# `vagrant` user in /vagrant/ansible (galaxy_command on requirements.yml, then ansible-playbook main.yml
# with Vagrant's inventory `kube ansible_connection=local`, --limit and --extra-vars); the app-url script.
# /vagrant is a bind mount of a copy of this repository. What the sandbox cannot reach is substituted by
# role variables in the inventory's group_vars (docs/vm-test.md), never by editing the command line.
#
# Proves, each step failing loudly with what it saw:
#   1 the first provisioning fails inside `kubeadm init` (the harness kills kubeadm once admin.conf
#     exists: defect 3's partial init), 2 `vagrant provision` then succeeds as `vagrant` (defect 1: the
#     kubeconfig reads happen as an unprivileged user; defect 3: the partial init is reset and retried),
#   3 node Ready, Flannel ready, every pod Ready, the app image built by the role in containerd,
#   4 the app answers on NodePort 31000 from the host (into the guest's netns) and stores a score in MySQL,
#   5 an edit of application.py in the synced folder is served by the running pod (no restart of the pod),
#   6 a second `vagrant provision` reports changed=0.
# Env: HOT_RELOAD_CACHE (cache root), TEST_VM_KEEP=1 (leave the guest rootfs in the cache for a post-mortem).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$VM_DIR/guest.sh"
[[ $(id -u) == 0 ]] || vm_die "must run as root (systemd-nspawn, network namespace, cgroups)"
T0=$SECONDS
step() { vm_say "[$((SECONDS - T0))s] $*"; }

# ---------- artifacts (idempotent, cached under $VM_CACHE) ----------
# `grep -q PATTERN <<<"$(CMD)"`, never `CMD | grep -q`: grep -q exits at the first match, CMD may then die of
# SIGPIPE, and pipefail turns that into a failed check (CI saw it once in ~60 runs: a 4 KB `grep -B3` output).

step "building/checking cached artifacts"
bash "$VM_DIR/build-bins.sh"
bash "$VM_DIR/build-debs.sh"
bash "$VM_DIR/build-images.sh"
bash "$VM_DIR/build-rootfs.sh"
command -v ruby >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends ruby >/dev/null
# Galaxy is unreachable here: the collections come from Debian's `ansible` package (the same versions
# requirements.yml pins), placed where the galaxy command installs them; it then finds them installed.
collections=/usr/lib/python3/dist-packages/ansible_collections
[[ -d "$collections/kubernetes/core" ]] ||
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends ansible >/dev/null

# ---------- what the Vagrantfile hands to the guest ----------
settings=$(ruby "$VM_DIR/vagrantfile-settings.rb" "$REPO_ROOT/Vagrantfile")
jq_s() { jq -r "$1" <<<"$settings"; }
hostname=$(jq_s .hostname)
ansible_cfg='.provisioners[] | select(.options.type == "ansible_local") | .settings'
prov_path=$(jq_s "$ansible_cfg.provisioning_path")
playbook=$(jq_s "$ansible_cfg.playbook")
limit=$(jq_s "$ansible_cfg.limit")
extra_vars=$(jq -c "$ansible_cfg.extra_vars" <<<"$settings")
galaxy_cmd=$(jq_s "$ansible_cfg.galaxy_command")
role_file="$prov_path/$(jq_s "$ansible_cfg.galaxy_role_file")"
galaxy_cmd="${galaxy_cmd//%\{role_file\}/\'$role_file\'}"
node_ip=$(jq -r .node_ip <<<"$extra_vars")
[[ "$hostname" == "$VM_NAME" && "$node_ip" =~ ^[0-9.]+$ && -n "$playbook" ]] ||
  vm_die "unexpected Vagrantfile settings (hostname=$hostname node_ip=$node_ip playbook=$playbook)"

# ---------- a fresh guest ----------
rootfs="$VM_WORK/rootfs" vagrant_dir="$VM_WORK/vagrant"
http_pid=""
cleanup() {
  local rc=$?
  [[ -z "$http_pid" ]] || kill "$http_pid" 2>/dev/null || true
  guest_down
  if [[ "${TEST_VM_KEEP:-}" != 1 ]]; then rm -rf --one-file-system "$VM_WORK"; fi
  [[ $rc == 0 ]] || vm_say "FAILED after $((SECONDS - T0))s (logs: $VM_LOGS)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
guest_down quiet
rm -rf --one-file-system "$VM_WORK"
mkdir -p "$rootfs" "$vagrant_dir" "$VM_LOGS"
step "unpacking the guest rootfs and copying the project to the synced folder"
tar -C "$rootfs" -xf "$VM_ROOTFS_TAR"
# The synced folder: the project as a developer has it (no node_modules/.git), owned by vagrant.
tar -C "$REPO_ROOT" --exclude=./node_modules --exclude=./.git --exclude='./test/consumer/*/node_modules' -cf - . |
  tar -C "$vagrant_dir" -xf -
chown -R 1000:1000 "$vagrant_dir" && chmod -R a+rX "$vagrant_dir"
[[ -n "$(ls "$vagrant_dir"/dist/*.k8s.yaml 2>/dev/null)" ]] || vm_die "no dist/*.k8s.yaml in the repo: run npm run synth"
mkdir -p "$rootfs/home/vagrant/.ansible/collections/ansible_collections"/{kubernetes,ansible,community}
for c in kubernetes/core ansible/posix community/general; do
  cp -a "$collections/$c" "$rootfs/home/vagrant/.ansible/collections/ansible_collections/$c"
done
chown -R 1000:1000 "$rootfs/home/vagrant/.ansible"

# Vagrant's generated inventory, plus the substitutions as inventory group_vars (role variables whose
# defaults are the real sources; see docs/vm-test.md).
# (Staged on the host, copied to /tmp after boot: the guest's /tmp is a fresh tmpfs.)
inv="$VM_WORK/inventory"
mkdir -p "$inv/group_vars/all"
printf '# Generated by Vagrant\n\n%s ansible_connection=local\n' "$hostname" >"$inv/vagrant_ansible_local_inventory"
img=/var/cache/hot-reload-vm/images
preload=$(for a in k8s pause coredns mysql; do
  tar -xOf "$VM_IMAGES/$a.tar" ./index.json |
    jq -c --arg a "$img/$a.tar" '{archive: $a, names: [.manifests[].annotations["io.containerd.image.name"]]}'
done | jq -s .)
# The Flannel manifest over HTTP from the host end of the veth (as from GitHub: get_url's If-Modified-Since
# gets a 304 on a re-run, where a file:// URL would be copied again over the role's --iface edit).
flannel_port=8731
flannel_url="http://$VM_HOST_IP:$flannel_port/kube-flannel.yml"
jq -n --argjson preload "$preload" --arg img "$img" --arg flannel_url "$flannel_url" --argjson nomods "$([[ -e /proc/modules ]] && echo false || echo true)" '{
  kubernetes_node_repo_url: "file:///var/cache/hot-reload-vm/apt/",
  containerd_preload_images: $preload,
  containerd_restrict_oom_score_adj: true,
  control_plane_kube_proxy_conntrack_max_per_core: 0,
  control_plane_flannel_manifest_url: $flannel_url,
  app_image_base_images: [{archive: ($img + "/python.tar"), name: "docker.io/library/python:3.12-slim"}]
} + (if $nomods then {node_prep_kernel_modules: []} else {} end)' >"$inv/group_vars/all/test-vm-substitutions.json"

step "booting the guest"
guest_up "$rootfs" "$vagrant_dir" "$node_ip"
python3 -m http.server --bind "$VM_HOST_IP" --directory "$VM_IMAGES" "$flannel_port" >"$VM_LOGS/http.log" 2>&1 &
http_pid=$!
tar -C "$inv" -cf - . | guest_exec sh -c 'mkdir -p /tmp/vagrant-ansible/inventory && tar -C /tmp/vagrant-ansible/inventory -xf - &&
  chown -R vagrant:vagrant /tmp/vagrant-ansible'

as_vagrant() { # as_vagrant CMD: a login-less shell of the vagrant user, as Vagrant's ssh runs commands
  guest_exec runuser -u vagrant -- env HOME=/home/vagrant USER=vagrant LOGNAME=vagrant SHELL=/bin/bash \
    bash -c "$1"
}
shell_provisioner() { # shell_provisioner NAME: run a shell provisioner's inline script (root unless privileged: false)
  local p; p=$(jq -c --arg n "$1" '.provisioners[] | select(.name == $n)' <<<"$settings")
  local script; script=$(jq -r .options.inline <<<"$p")
  if [[ "$(jq -r '.options.privileged' <<<"$p")" == false ]]; then as_vagrant "$script"; else guest_exec bash -c "$script"; fi
}
playbook_cmd="cd '$prov_path' && PYTHONUNBUFFERED=1 ansible-playbook --limit=\"$limit\" --inventory-file=/tmp/vagrant-ansible/inventory --extra-vars=$(printf '%q' "$extra_vars") $playbook"
provision() { # provision LOG: `vagrant provision`'s ansible_local part (galaxy, then the playbook), as vagrant
  # In the background + wait: a signal to the test interrupts the wait (and the trap cleans up).
  { as_vagrant "cd '$prov_path' && $galaxy_cmd" >"$1" 2>&1 && as_vagrant "$playbook_cmd" >>"$1" 2>&1; } &
  wait $!
}
recap() { sed -n '/PLAY RECAP/,$p' "$1"; }

step "provisioner ansible-bootstrap (shell, root)"
shell_provisioner ansible-bootstrap >"$VM_LOGS/bootstrap.log" 2>&1 || { tail -n 20 "$VM_LOGS/bootstrap.log" >&2; vm_die "ansible-bootstrap failed"; }

# 1: the first provisioning, with kubeadm init killed once it has written admin.conf.
step "provisioner ansible (1st run: kubeadm init is killed after writing admin.conf, as a timeout would leave it)"
log1="$VM_LOGS/provision-1.log"
provision "$log1" &
prov=$!
killed=false
while kill -0 "$prov" 2>/dev/null; do
  if ! $killed && [[ -s "$rootfs/etc/kubernetes/admin.conf" ]] && guest_nsenter pkill -KILL -x kubeadm; then
    killed=true; step "killed kubeadm init (admin.conf written)"
  fi
  sleep 0.1
done
rc1=0; wait "$prov" || rc1=$?
$killed || { recap "$log1" >&2; vm_die "kubeadm init was never seen running with admin.conf written (log: $log1)"; }
((rc1 != 0)) || vm_die "the first provisioning passed although kubeadm init was killed (log: $log1)"
grep -q 'Initialise the control plane with kubeadm' <<<"$(grep -B3 'fatal: \[kube\]' "$log1")" ||
  { tail -n 30 "$log1" >&2; vm_die "the first provisioning failed, but not in the kubeadm init task (log: $log1)"; }
step "1st run failed in kubeadm init as forced"

# 2: vagrant provision.
step "provisioner ansible (2nd run = vagrant provision: reset of the partial init, init, Flannel, image, deploy)"
log2="$VM_LOGS/provision-2.log"
provision "$log2" || { tail -n 40 "$log2" >&2; vm_die "vagrant provision after the failed init failed (log: $log2)"; }
recap "$log2"
grep -q '^changed' <<<"$(grep -A2 'TASK \[control_plane : Reset the unfinished kubeadm init' "$log2")" ||
  vm_die "the 2nd run did not reset the partial init (log: $log2)"

step "provisioner app-url (shell, vagrant)"
shell_provisioner app-url 2>&1 | tee "$VM_LOGS/app-url.log" | tail -n 3

# 3: cluster state, as the vagrant user.
step "checking the node, Flannel, the pods and the app image"
kc() { as_vagrant "kubectl $*"; }
[[ "$(kc "get node $hostname -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'")" == True ]] ||
  vm_die "node $hostname is not Ready: $(kc get nodes -o wide)"
kc "-n kube-flannel rollout status daemonset/kube-flannel-ds --timeout=120s" >/dev/null ||
  vm_die "Flannel is not ready: $(kc -n kube-flannel get pods -o wide)"
kc "wait --for=condition=Ready pods --all --all-namespaces --timeout=300s" >/dev/null ||
  vm_die "not every pod is Ready: $(kc get pods -A -o wide)"
kc "get pods -A -o wide"
grep -qx localhost/python-mysql:dev <<<"$(guest_exec ctr --namespace k8s.io images list --quiet "name==localhost/python-mysql:dev")" ||
  vm_die "containerd has no localhost/python-mysql:dev (the app_image role did not import its build)"
grep -q 'TASK \[app_image : Build the image with buildah' "$log2" || vm_die "the app image was not built by the role (log: $log2)"

# 4: the app on NodePort 31000, from the host into the guest's network namespace.
url="http://$VM_GUEST_IP:31000"
step "checking the app at $url"
for ((i = 0; i < 60; i++)); do curl -fsS -m 5 "$url/readyz" >/dev/null 2>&1 && break; sleep 2; done
curl -fsS -m 5 "$url/readyz" >/dev/null || vm_die "$url/readyz does not answer 200"
curl -fsS -m 10 -H 'Content-Type: application/json' -d '{"score": 42}' "$url/scores" >/dev/null || vm_die "POST $url/scores failed"
body=$(curl -fsS -m 5 "$url/")
[[ "$body" == "hot-loading-apps 42" ]] || vm_die "GET $url/ answered '$body', expected 'hot-loading-apps 42'"

# 5: an edit in the synced folder, served by the running pod.
app_pods() { kc "get pods -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.uid} restarts={.status.containerStatuses[*].restartCount}{\"\\n\"}{end}'" | grep '^python-mysql-'; }
pod_before=$(app_pods)
marker="edited-by-test-vm-$$"
app="$vagrant_dir/python-mysql/application.py"
sed "s/hot-loading-apps {rows/$marker {rows/" "$app" >"$app.tmp" && chown 1000:1000 "$app.tmp" && chmod 0644 "$app.tmp" && mv "$app.tmp" "$app"
grep -q "$marker" "$app" || vm_die "the edit did not apply to $app"
step "edited python-mysql/application.py in the synced folder; waiting for the pod to serve it"
t_edit=$SECONDS
for ((i = 0; i < 120; i++)); do body=$(curl -fsS -m 5 "$url/" 2>/dev/null || true); [[ "$body" == "$marker 42" ]] && break; sleep 0.5; done
[[ "$body" == "$marker 42" ]] || vm_die "the edit was not served within 60 s (last answer: '$body')"
pod_after=$(app_pods)
[[ "$pod_before" == "$pod_after" ]] || vm_die "the pod was replaced or restarted to serve the edit ($pod_before -> $pod_after)"
step "the running pod serves the edit ($((SECONDS - t_edit))s after saving)"

# 6: idempotence.
step "provisioner ansible (3rd run = vagrant provision again: expect changed=0)"
log3="$VM_LOGS/provision-3.log"
provision "$log3" || { tail -n 40 "$log3" >&2; vm_die "the 3rd provisioning failed (log: $log3)"; }
recap "$log3"
recap "$log3" | grep -E '^(kube|localhost) ' | grep -v 'changed=0 ' &&
  { grep -B2 '^changed:' "$log3" | grep TASK >&2 || true; vm_die "the 3rd provisioning changed something (log: $log3)"; }
grep -qE '^kube .*failed=0' <<<"$(recap "$log3")" || vm_die "no recap for kube in the 3rd run (log: $log3)"
step "PASS: all 6 checks (total $((SECONDS - T0))s)"
