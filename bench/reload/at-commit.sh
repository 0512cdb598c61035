#!/usr/bin/env bash
# Runs a benchmark on exactly what a commit holds, while the working tree is being edited by others:
#   bash bench/reload/at-commit.sh REV reload|cluster
# exports REV (git archive) into a temp dir, links this checkout's node_modules, runs the bench there
# (lib/, the supervisor, python-mysql/, the bench itself: all from REV) and writes the result into this
# checkout's bench/results/ (BENCH_OUT overrides). The result records the commit (BENCH_SOURCE_COMMIT).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rev=${1:?usage: at-commit.sh REV reload|cluster}
bench=${2:?usage: at-commit.sh REV reload|cluster}
case $bench in
  reload) script=bench/reload/run.sh ;;
  cluster) script=e2e/bench-cluster.sh ;;
  *) echo "at-commit.sh: unknown bench '$bench': use reload or cluster" >&2; exit 2 ;;
esac
commit=$(git -C "$root" rev-parse --verify "$rev^{commit}") || { echo "at-commit.sh: '$rev' is not a commit" >&2; exit 2; }
[ -d "$root/node_modules" ] || { echo "at-commit.sh: $root/node_modules missing: run npm ci first" >&2; exit 1; }
snap=$(mktemp -d /var/tmp/hot-reload-at-commit.XXXXXX)
trap 'rm -rf "$snap"' EXIT
git -C "$root" archive "$commit" | tar -x -C "$snap"
ln -s "$root/node_modules" "$snap/node_modules"
chmod 0755 "$snap"
echo "at-commit.sh: $bench bench on $commit (snapshot $snap)" >&2
BENCH_SOURCE_COMMIT=$commit BENCH_OUT=${BENCH_OUT:-$root/bench/results/$bench.json} bash "$snap/$script"
