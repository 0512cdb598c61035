"""The chart (dist/*.k8s.yaml) gives the app container exactly the env the app reads."""

from __future__ import annotations

import pytest
import yaml

from config import REQUIRED_ENV
from conftest import REPO_DIR

# Env the chart may set beyond what the app reads: interpreter settings, and the
# reload supervisor's own settings (it wraps the app's command in the same container).
ALLOWED_EXTRAS = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
SUPERVISOR_PREFIX = "HOT_RELOAD_"


def app_container() -> dict:
    files = sorted((REPO_DIR / "dist").glob("*.k8s.yaml"))
    if not files:
        pytest.fail(f"no {REPO_DIR}/dist/*.k8s.yaml found: run `npm run synth` first")
    found = []
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if (doc or {}).get("kind") == "Deployment" and doc["metadata"]["name"] == "python-mysql":
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    if container["name"] == "app":
                        found.append((path.name, container))
    assert len(found) == 1, f"expected one Deployment python-mysql with container app in {files}, found {len(found)}"
    return found[0][1]


def test_chart_env_matches_required_env():
    container = app_container()
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    assert not container.get("envFrom"), "use explicit env entries so they can be checked against REQUIRED_ENV"
    missing = set(REQUIRED_ENV) - set(names)
    unexpected = {n for n in names if not n.startswith(SUPERVISOR_PREFIX)} - set(REQUIRED_ENV) - ALLOWED_EXTRAS
    assert not missing, f"chart lacks env the app requires: {sorted(missing)}"
    assert not unexpected, f"chart sets env the app does not read: {sorted(unexpected)}"
