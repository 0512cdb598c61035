"""Write a playbook that runs named tasks of a role exactly as the role has them.

Usage: role_tasks_playbook.py OUT.yml ROLE_TASKS.yml "Task name" [ROLE_TASKS.yml "Task name" ...]
The play is the one Vagrant's ansible_local runs (hosts: all, become: true); the
tasks are taken from the role files (found by name, blocks searched), not copied
into the test, so the test runs whatever the roles do today.
"""
import sys

import yaml


def find(tasks, name):
    for t in tasks or []:
        if t.get("name") == name:
            return t
        for key in ("block", "rescue", "always"):
            hit = find(t.get(key), name)
            if hit:
                return hit
    return None


out, pairs = sys.argv[1], sys.argv[2:]
tasks = []
for path, name in zip(pairs[::2], pairs[1::2]):
    task = find(yaml.safe_load(open(path, encoding="utf-8")), name)
    if task is None:
        sys.exit(f"{path}: no task named {name!r}")
    tasks.append(task)
play = [{"name": "Role tasks as ansible_local runs them", "hosts": "all", "become": True,
         "gather_facts": False, "tasks": tasks}]
with open(out, "w", encoding="utf-8") as f:
    yaml.safe_dump(play, f, sort_keys=False)
