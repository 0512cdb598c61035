#!/usr/bin/env bash
# npm run test:provision — static and offline checks of the VM provisioning:
#   1. the collection pins in ansible/requirements.yml equal the versions linted here
#   2. `vagrant validate` (provider blocks ignored: no hypervisor or libvirt plugin in CI)
#      plus the Vagrantfile's environment overrides (accepted and rejected values)
#   3. `ansible-playbook --syntax-check` of every playbook
#   4. ansible-lint, production profile (ansible/.ansible-lint), then every rule
#      incl. the experimental module-argument check, warnings fatal
#   4c. static checks of the roles for issue-13 defects linting cannot see (kubeconfig=
#      on kubernetes.core tasks, kubeadm init skipped on admin.conf, crictl not installed)
#   5. deploy.yml's own failure paths, run for real without a cluster: no manifests,
#      unreachable API server (no reserved-name warning); its "not ready" message
#      rendered from recorded state (the real queries: npm run test:deploy-path)
# Tools come from Debian packages, installed when missing. Nothing here needs a VM,
# a cluster or Ansible Galaxy.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/provision"
APT_PACKAGES=(ansible ansible-lint vagrant python3-kubernetes python3-yaml)
# Debian's tools run on Debian's python, whatever python3 is first on PATH.
PY=/usr/bin/python3

mkdir -p "$CACHE"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Keep Vagrant's and Ansible's state out of $HOME and out of the work tree.
export VAGRANT_HOME="$CACHE/vagrant.d"
export VAGRANT_DOTFILE_PATH="$WORK/vagrant-dot"
export VAGRANT_CHECKPOINT_DISABLE=1
export VAGRANT_DEFAULT_PROVIDER=virtualbox
export ANSIBLE_HOME="$CACHE/ansible"
export XDG_CACHE_HOME="$CACHE/xdg"  # ansible-lint's (ansible-compat's) cache
export ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp"
export ANSIBLE_NOCOLOR=1
export ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_LOCALHOST_WARNING=0
export ANSIBLE_INVENTORY_UNPARSED_WARNING=0
export PY_COLORS=0 NO_COLOR=1

passed=0
failed=0
last=$SECONDS
# Each result line carries the seconds spent since the previous one.
pass() { passed=$((passed + 1)); echo "PASS ($((SECONDS - last))s): $*"; last=$SECONDS; }
fail() { failed=$((failed + 1)); echo "FAIL ($((SECONDS - last))s): $*"; last=$SECONDS; }

# --- tools -------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo -n"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { echo "error: apt-get install ${missing[*]} failed" >&2; exit 1; }
fi
for tool in ansible-playbook ansible-galaxy ansible-lint vagrant; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing after installing ${APT_PACKAGES[*]}" >&2; exit 1; }
done
# sed, not head: head would close the pipe early and ansible dies of SIGPIPE under pipefail.
last=$SECONDS
echo "tools: $(ansible --version 2>/dev/null | sed -n 1p), $(ansible-lint --nocolor --version 2>/dev/null | sed -n 1p), $(vagrant --version)"

# --- 1. pins == linted versions ----------------------------------------------
# The VM installs exactly the pinned versions; lint them, not something else.
if drift="$(ansible-galaxy collection list --format json 2>/dev/null |
             "$PY" "$ROOT/test/provision/check_pins.py" "$ROOT/ansible/requirements.yml")"; then
  pass "requirements.yml pins equal the installed collections ansible-lint checks against"
else
  fail "requirements.yml pins differ from the linted collections: $drift (update the pins or the Debian packages)"
fi

# --- 2. Vagrantfile ------------------------------------------------------------
cd "$ROOT"
if out="$(vagrant validate --ignore-provider 2>&1)"; then
  pass "vagrant validate"
else
  fail "vagrant validate: $out"
fi
if out="$(KUBE_IP=192.168.56.20 KUBE_MEMORY=6144 KUBE_CPUS=4 vagrant validate --ignore-provider 2>&1)"; then
  pass "vagrant validate with KUBE_IP/KUBE_MEMORY/KUBE_CPUS overrides"
else
  fail "vagrant validate with overrides: $out"
fi
# Bad overrides must be refused with a message naming the variable.
for bad in KUBE_CPUS=1 KUBE_MEMORY=lots KUBE_IP=192.168.56.300 KUBE_IP=192.168.56.10/24; do
  if out="$(env "$bad" vagrant validate --ignore-provider 2>&1)"; then
    fail "Vagrantfile accepted $bad"
  elif grep -q "${bad%%=*}=" <<<"$out"; then
    pass "Vagrantfile rejects $bad: $(grep -m1 "${bad%%=*}=" <<<"$out")"
  else
    fail "Vagrantfile rejected $bad without naming ${bad%%=*}: $out"
  fi
done

# --- 3. syntax-check -----------------------------------------------------------
cd "$ROOT/ansible"
for pb in main.yml deploy.yml; do
  if out="$(ansible-playbook -i localhost, --syntax-check "$pb" 2>&1)"; then
    pass "ansible-playbook --syntax-check $pb"
  else
    fail "ansible-playbook --syntax-check $pb: $out"
  fi
done

# --- 4. ansible-lint -----------------------------------------------------------
# ansible-lint lists files with git; in a tree that is not a git checkout it
# falls back to walking the directory.
if out="$(ansible-lint --nocolor 2>&1)"; then
  pass "ansible-lint (profile production): $(tail -1 <<<"$out")"
else
  fail "ansible-lint (profile production):"$'\n'"$out"
fi
# Same config without the profile = every rule, incl. experimental `args`
# (module options validated against the installed modules); --strict: warnings fail.
grep -v '^profile:' .ansible-lint >"$WORK/all-rules.ansible-lint"
if out="$(ansible-lint --nocolor --strict -c "$WORK/all-rules.ansible-lint" 2>&1)"; then
  pass "ansible-lint (all rules incl. args, strict): $(tail -1 <<<"$out")"
else
  fail "ansible-lint (all rules incl. args, strict):"$'\n'"$out"
fi

# --- 4b. the kubeadm configuration the control_plane role renders --------------
if ansible localhost -o -m ansible.builtin.template \
     -a "src=roles/control_plane/templates/kubeadm-config.yaml.j2 dest=$WORK/kubeadm-config.yaml mode=0600" \
     -e @roles/control_plane/defaults/main.yml -e @roles/kubernetes_node/defaults/main.yml \
     -e node_name=kube -e node_ip=192.168.56.10 >"$WORK/template.log" 2>&1 &&
   out="$("$PY" "$ROOT/test/provision/check_kubeadm_config.py" "$WORK/kubeadm-config.yaml" \
            roles/kubernetes_node/defaults/main.yml 2>&1)"; then
  pass "kubeadm config renders: $out"
else
  fail "kubeadm config: ${out:-$(cat "$WORK/template.log")}"
fi

# --- 4c. role defects linting cannot see (issue 13: 1, 3, crictl) -------------
if out="$("$PY" "$ROOT/test/provision/check_roles.py" "$ROOT/ansible" 2>&1)"; then
  pass "roles: $out"
else
  fail "roles: $out"
fi

# --- 5. deploy.yml failure paths (real runs, no cluster) ----------------------
mkdir -p "$WORK/empty"
# a) nothing to deploy
out="$(ansible-playbook deploy.yml -e manifest_dir="$WORK/empty" -e kubeconfig=/nonexistent 2>&1)" && rc=0 || rc=$?
if ((rc != 0)) && grep -q "No \*.k8s.yaml manifests in manifest_dir=$WORK/empty" <<<"$out"; then
  pass "deploy.yml without manifests fails naming the directory"
else
  fail "deploy.yml without manifests (rc=$rc): $out"
fi
# b) the real dist/, an API server that does not answer (nothing listens on
#    127.0.0.1:1): the manifests parse, then the failure names the kubeconfig.
if [[ ! -f $ROOT/dist/dev-environment.k8s.yaml ]]; then
  fail "dist/dev-environment.k8s.yaml is missing (run npm run synth)"
else
  cat >"$WORK/kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: nobody, user: {token: not-a-token}}]
contexts: [{name: closed, context: {cluster: closed, user: nobody}}]
current-context: closed
EOF
  out="$(ansible-playbook deploy.yml -e manifest_dir="$ROOT/dist" -e kubeconfig="$WORK/kubeconfig" 2>&1)" && rc=0 || rc=$?
  if ((rc != 0)) && grep -q "ok: \[localhost\]" <<<"$out" &&
     grep -q "Cannot read Namespace default with kubeconfig=$WORK/kubeconfig" <<<"$out" &&
     grep -qi "connection refused" <<<"$out" && ! grep -q "reserved name" <<<"$out"; then
    pass "deploy.yml parses dist/ and fails readably when the API server is unreachable (no reserved-name warning)"
  else
    fail "deploy.yml against an unreachable API server (rc=$rc): $out"
  fi
fi
# c) the not-ready message, rendered by deploy.yml's own template from recorded state
"$PY" "$ROOT/test/provision/render_failure_msg.py" deploy.yml "$ROOT/test/provision/fixtures/k8s-state.json" "$WORK/render.yml"
msg="$(ansible-playbook "$WORK/render.yml" 2>&1 | sed -n 's/^ *"msg": //p')"
expect=(
  'PersistentVolumeClaim default/python-mysql-code is Pending, not Bound'
  'Deployment default/python-mysql did not become available within 600s: 0/1 replicas available; pod python-mysql-5c7b9-abcde container app: ErrImageNeverPull'
  'Deployment default/worker does not exist in the cluster'
)
ok=1
for e in "${expect[@]}"; do grep -qF "$e" <<<"$msg" || ok=0; done
# Ready objects must not be blamed.
grep -qE 'default/mysql(-data)? ' <<<"$msg" && ok=0
if ((ok)); then
  pass "deploy.yml names exactly the objects that did not become ready"
else
  fail "deploy.yml not-ready message: ${msg:-<empty>}"
fi

echo "provision: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
((failed == 0))
