"""requirements.txt pins the whole runtime closure: every dependency of every pinned package (with the
extras it names) is pinned too, and what is installed is what is pinned. The test venv also holds the
test dependencies, which can hide a missing runtime pin (`packaging`, needed by gunicorn's gevent
worker, came in through pytest here and was missing from the app image)."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import APP_DIR

PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[([A-Za-z0-9_,.-]+)\])?==(\S+)$")


def pins() -> dict[str, tuple[str, list[str]]]:
    out = {}
    for line in (APP_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = PIN.match(line)
        assert m, f"requirements.txt: {line!r} is not pinned as name==version (or name[extra]==version)"
        out[canonicalize_name(m.group(1))] = (m.group(3), (m.group(2) or "").split(",") if m.group(2) else [])
    return out


def test_every_runtime_dependency_is_pinned_and_installed_as_pinned():
    pinned = pins()
    problems = []
    for name, (version, extras) in sorted(pinned.items()):
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            problems.append(f"{name}=={version} is pinned but not installed")
            continue
        if dist.version != version:
            problems.append(f"{name}: pinned {version}, installed {dist.version}")
        for raw in dist.requires or []:
            req = Requirement(raw)
            wanted = req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ["", *extras])
            if wanted and canonicalize_name(req.name) not in pinned:
                problems.append(f"{name}{extras or ''} needs {req}, which requirements.txt does not pin")
    assert not problems, "\n".join(problems)
