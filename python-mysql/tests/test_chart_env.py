"""The chart (dist/*.k8s.yaml) gives the app container exactly the env the app reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from config import REQUIRED_ENV
from conftest import REPO_DIR

# Env the chart may set beyond what the app reads: interpreter settings, and the
# reload supervisor's own settings (it wraps the app's command in the same container).
# GUNICORN_CMD_ARGS: the gunicorn preset's config (it loads the app's gunicorn.conf.py; test_reload.py
# runs the app under it).
ALLOWED_EXTRAS = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "GUNICORN_CMD_ARGS"}
SUPERVISOR_PREFIX = "HOT_RELOAD_"


def chart_objects() -> list[dict]:
    """The objects of the synthesized chart (dist/, or CHART_DIR to check a fresh synth)."""
    chart_dir = Path(os.environ.get("CHART_DIR", REPO_DIR / "dist"))
    files = sorted(chart_dir.glob("*.k8s.yaml"))
    if not files:
        pytest.fail(f"no {chart_dir}/*.k8s.yaml found: run `npm run synth` first")
    return [doc for path in files for doc in yaml.safe_load_all(path.read_text()) if doc]


def chart_container(deployment: str, name: str) -> dict:
    found = [container for doc in chart_objects()
             if doc.get("kind") == "Deployment" and doc["metadata"]["name"] == deployment
             for container in doc["spec"]["template"]["spec"]["containers"] if container["name"] == name]
    assert len(found) == 1, f"expected one Deployment {deployment} with container {name}, found {len(found)}"
    return found[0]


def chart_gunicorn_env(dest: Path) -> dict[str, str]:
    """GUNICORN_CMD_ARGS of the app container, if the chart sets it, with the config files it names
    (from the chart's ConfigMaps) written to dest: gunicorn configured exactly as in the pod."""
    env = {e["name"]: e.get("value") for e in chart_container("python-mysql", "app").get("env", [])}
    args = env.get("GUNICORN_CMD_ARGS")
    if not args:
        return {}
    mount_paths = [m["mountPath"] for m in chart_container("python-mysql", "app").get("volumeMounts", [])]
    dest.mkdir(parents=True, exist_ok=True)
    for doc in chart_objects():
        if doc.get("kind") != "ConfigMap":
            continue
        for key, content in (doc.get("data") or {}).items():
            for mount_path in mount_paths:
                path = f"{mount_path}/{key}"
                if path in args:
                    local = dest / key
                    local.write_text(content)
                    args = args.replace(path, str(local))
    return {"GUNICORN_CMD_ARGS": args}


def app_container() -> dict:
    return chart_container("python-mysql", "app")


def test_chart_env_matches_required_env():
    container = app_container()
    names = [e["name"] for e in container.get("env", [])]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    assert not container.get("envFrom"), "use explicit env entries so they can be checked against REQUIRED_ENV"
    missing = set(REQUIRED_ENV) - set(names)
    unexpected = {n for n in names if not n.startswith(SUPERVISOR_PREFIX)} - set(REQUIRED_ENV) - ALLOWED_EXTRAS
    assert not missing, f"chart lacks env the app requires: {sorted(missing)}"
    assert not unexpected, f"chart sets env the app does not read: {sorted(unexpected)}"
