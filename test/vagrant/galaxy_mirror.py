#!/usr/bin/env python3
"""Build a static Galaxy (API v3) mirror of the collections pinned in ansible/requirements.yml.

usage: galaxy_mirror.py REQUIREMENTS_YML OUT_DIR BASE_URL

Galaxy is not reachable from this machine, so the VM's real `ansible-galaxy
collection install -r requirements.yml` is pointed (Vagrantfile: KUBE_GALAXY_SERVER)
at this mirror instead. Each artifact is the pinned version as Debian 12's `ansible`
package ships it (its tests/ and docs are stripped by Debian), rebuilt with
`ansible-galaxy collection build` so that FILES.json lists what the artifact holds;
ansible-galaxy then verifies every file's checksum on install, as with Galaxy.
The tree is served as files (python3 -m http.server): every API URL is a
directory whose index.html holds the JSON Galaxy would return.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

COLLECTIONS_ROOT = "/usr/lib/python3/dist-packages/ansible_collections"
# Keys of MANIFEST.json's collection_info that galaxy.yml accepts.
GALAXY_YML_KEYS = ("namespace", "name", "version", "readme", "authors", "description", "license",
                   "license_file", "tags", "dependencies", "repository", "documentation", "homepage", "issues")
# Fixed, so that the mirror is byte-identical from run to run.
TIMESTAMP = "2023-01-01T00:00:00Z"


def write_json(out_dir, url_path, data):
    path = os.path.join(out_dir, url_path.strip("/"), "index.html")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def build_artifact(src, info, download_dir):
    """ansible-galaxy collection build of a copy of the installed collection."""
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "src")
        shutil.copytree(src, work, ignore=shutil.ignore_patterns("MANIFEST.json", "FILES.json", "__pycache__"))
        galaxy = {k: info[k] for k in GALAXY_YML_KEYS if info.get(k) not in (None, [], "")}
        if galaxy.get("license_file") and not os.path.exists(os.path.join(work, galaxy["license_file"])):
            del galaxy["license_file"]
        if "license" not in galaxy and "license_file" not in galaxy:
            galaxy["license_file"] = "LICENSE" if os.path.exists(os.path.join(work, "LICENSE")) else None
        with open(os.path.join(work, "galaxy.yml"), "w", encoding="utf-8") as f:
            yaml.safe_dump({k: v for k, v in galaxy.items() if v is not None}, f)
        subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", download_dir, work],
                       check=True, stdout=subprocess.DEVNULL)
    return os.path.join(download_dir, f"{info['namespace']}-{info['name']}-{info['version']}.tar.gz")


def main(requirements, out_dir, base_url):
    with open(requirements, encoding="utf-8") as f:
        pins = yaml.safe_load(f)["collections"]
    download_dir = os.path.join(out_dir, "download")
    os.makedirs(download_dir, exist_ok=True)
    write_json(out_dir, "api", {"available_versions": {"v3": "v3/"}})
    for pin in pins:
        namespace, name = pin["name"].split(".")
        src = os.path.join(COLLECTIONS_ROOT, namespace, name)
        try:
            with open(os.path.join(src, "MANIFEST.json"), encoding="utf-8") as f:
                info = json.load(f)["collection_info"]
        except FileNotFoundError:
            sys.exit(f"galaxy_mirror: {pin['name']} is not installed under {COLLECTIONS_ROOT}; "
                     "install Debian's `ansible` package (apt-get install ansible)")
        if info["version"] != str(pin["version"]):
            sys.exit(f"galaxy_mirror: {requirements} pins {pin['name']} version={pin['version']}, "
                     f"Debian's ansible package has {info['version']}; the pins must equal Debian 12's versions")
        artifact = build_artifact(src, info, download_dir)
        with open(artifact, "rb") as f:
            sha256 = hashlib.sha256(f.read()).hexdigest()
        version = info["version"]
        base = f"/api/v3/collections/{namespace}/{name}/"
        href = f"{base}versions/{version}/"
        write_json(out_dir, base, {"namespace": namespace, "name": name,
                                   "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
                                   "highest_version": {"version": version, "href": href}})
        write_json(out_dir, base + "versions", {"meta": {"count": 1}, "links": {"next": None},
                                                 "data": [{"version": version, "href": href}]})
        write_json(out_dir, href, {
            "namespace": {"name": namespace}, "collection": {"name": name}, "version": version, "href": href,
            "download_url": f"{base_url.rstrip('/')}/download/{os.path.basename(artifact)}",
            "artifact": {"filename": os.path.basename(artifact), "sha256": sha256},
            "metadata": {"dependencies": info.get("dependencies") or {}},
            "signatures": [],
        })
        print(f"{pin['name']} {version} sha256={sha256}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
