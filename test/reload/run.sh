#!/usr/bin/env bash
# npm run test:reload — robustness suite of the reload supervisor exactly as synthesized in dist/,
# under dash + GNU tools and under busybox sh + busybox applets. Extra args go to pytest (e.g. -k burst).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"

need_apt_packages busybox=busybox-static cmp=diffutils find=findutils setsid=util-linux node=nodejs mkfs.ext4=e2fsprogs losetup=mount md5sum=coreutils
ensure_venv
cd "$here"
# PYTHONDONTWRITEBYTECODE: the suite's own imports leave no __pycache__ in the repo
PYTHONDONTWRITEBYTECODE=1 exec "$VENV/bin/python" -m pytest -c pytest.ini "$@" test_supervisor.py test_hostile.py test_reload_actions.py test_node_reload.py
