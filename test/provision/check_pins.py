"""Compare the collection pins of requirements.yml with the installed collections.

Usage: ansible-galaxy collection list --format json | check_pins.py requirements.yml
Prints one line per drift and exits 1 when a pin differs from what is installed.
"""
import json
import sys

import yaml

installed = {}
for collections in json.load(sys.stdin).values():
    for name, info in collections.items():
        installed.setdefault(name, info["version"])  # first path wins, as in Ansible

with open(sys.argv[1], encoding="utf-8") as f:
    requirements = yaml.safe_load(f)
drift = []
for pin in requirements.get("collections", []):
    have = installed.get(pin["name"], "<not installed>")
    if have != str(pin["version"]):
        drift.append(f"{pin['name']}: pinned {pin['version']}, installed {have}")
print("; ".join(drift))
sys.exit(1 if drift else 0)
