"""Static checks of the roles for defects that linting does not catch.

Usage: check_roles.py ANSIBLE_DIR
Prints one line per problem and exits 1 when there is any, else a summary line.
  - kubernetes.core tasks must not pass `kubeconfig=`: the collection's action
    plugin opens that file in the controller process, as the user running
    ansible-playbook (vagrant under ansible_local) before `become`, and
    admin.conf is root's 0600. The roles pass K8S_AUTH_KUBECONFIG instead,
    which only the module (running as root) reads.
  - `kubeadm init` must not be skipped just because admin.conf exists (`creates:`):
    kubeadm writes it before the control plane starts; a partial init must be
    reset (`kubeadm reset`) and retried.
  - a role that writes /etc/crictl.yaml must install crictl (cri-tools).
The real proof of the first two is the playbook run of `npm run test:vm`.
"""
import glob
import os
import sys

import yaml

root = sys.argv[1]
problems = []
checked = 0


def tasks_of(items):
    for t in items or []:
        yield t
        for key in ("block", "rescue", "always"):
            yield from tasks_of(t.get(key))


def module_of(task):
    skip = {"name", "when", "loop", "loop_control", "register", "environment", "vars", "block", "rescue",
            "always", "until", "retries", "delay", "changed_when", "failed_when", "notify", "no_log",
            "become", "tags", "args"}
    return next((k for k in task if k not in skip), None)


role_vars = {}
for path in glob.glob(os.path.join(root, "roles/*/defaults/main.yml")):
    role_vars.update(yaml.safe_load(open(path, encoding="utf-8")) or {})

installed = set()
role_tasks = {}
for path in sorted(glob.glob(os.path.join(root, "roles/*/tasks/*.yml"))):
    role = path.split(os.sep)[-3]
    tasks = list(tasks_of(yaml.safe_load(open(path, encoding="utf-8"))))
    role_tasks.setdefault(role, []).extend(tasks)
    for t in tasks:
        mod = module_of(t)
        args = t.get(mod) if isinstance(t.get(mod), dict) else {}
        if mod in ("ansible.builtin.apt", "apt"):
            names = args.get("name", [])
            if isinstance(names, str) and names.startswith("{{"):
                names = role_vars.get(names.strip("{} ").split("|")[0].strip(), [])
            installed.update([names] if isinstance(names, str) else names)

for role, tasks in sorted(role_tasks.items()):
    commands = [(t, str(t.get("ansible.builtin.command", ""))) for t in tasks if "ansible.builtin.command" in t]
    for t in tasks:
        checked += 1
        mod = module_of(t) or ""
        args = t.get(mod) if isinstance(t.get(mod), dict) else {}
        if mod.startswith("kubernetes.core.") and "kubeconfig" in args:
            problems.append(f"roles/{role}: task '{t.get('name')}' passes kubeconfig= to {mod}: read by the controller "
                            "as the unprivileged user before become; pass environment K8S_AUTH_KUBECONFIG instead")
        if args.get("dest") == "/etc/crictl.yaml" and "cri-tools" not in installed:
            problems.append(f"roles/{role}: writes /etc/crictl.yaml but no role installs cri-tools (crictl)")
    for t, cmd in commands:
        if "kubeadm init" in cmd:
            creates = (t.get("ansible.builtin.command") or {}).get("creates") if isinstance(t.get("ansible.builtin.command"), dict) else None
            if creates:
                problems.append(f"roles/{role}: '{t.get('name')}' is skipped when {creates} exists, which a failed init leaves behind")
            if not any("kubeadm reset" in c for _, c in commands):
                problems.append(f"roles/{role}: runs kubeadm init but never resets a partial init (kubeadm reset) before retrying")

if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"{checked} role tasks: kubeconfig via K8S_AUTH_KUBECONFIG, kubeadm init retried after reset, crictl installed")
