#!/usr/bin/env bash
# npm run bench:reload — reload latency of the synthesized supervisor vs gunicorn --reload, entr -r and the
# liveness-probe approach; idle CPU and detection time on a 10k-file tree. Writes bench/results/reload.json.
# Knobs: BENCH_EDITS (100), BENCH_PEER_EDITS (=BENCH_EDITS), BENCH_PROBE_EDITS (10), BENCH_INTERVAL_S (0.5),
#        BENCH_IDLE_S (30, minimum 30), BENCH_OUT (bench/results/reload.json).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../../test/reload/env.sh
. "$root/test/reload/env.sh"

need_apt_packages entr=entr cmp=diffutils find=findutils node=nodejs
ensure_venv
# gunicorn/flask from the pinned venv; everything else from the system
export PATH="$VENV/bin:$PATH"
cd "$root"
exec "$VENV/bin/python" bench/reload/bench.py "$@"
