"""Render the failure message of deploy.yml's wait/rescue block from recorded cluster state.

Usage: render_failure_msg.py DEPLOY_YML STATE_JSON OUT_PLAYBOOK
Writes a one-task playbook that evaluates the *same* message template as the
"Name the objects that did not become ready" task of DEPLOY_YML (taken from the
file, not copied), with the k8s_info results from STATE_JSON.
"""
import json
import sys

import yaml

deploy_yml, state_json, out = sys.argv[1:4]
play = yaml.safe_load(open(deploy_yml, encoding="utf-8"))[0]
fail_task = next(
    t for block in play["tasks"] for t in block.get("rescue", [])
    if t.get("name") == "Name the objects that did not become ready"
)
state = json.load(open(state_json, encoding="utf-8"))
state.pop("_comment", None)
playbook = [{
    "name": "Render the not-ready message of deploy.yml",
    "hosts": "localhost",
    "gather_facts": False,
    "vars": {**play["vars"], **fail_task["vars"], **state},
    "tasks": [{"name": "Render", "ansible.builtin.debug": {"msg": fail_task["ansible.builtin.fail"]["msg"]}}],
}]
with open(out, "w", encoding="utf-8") as f:
    yaml.safe_dump(playbook, f)
