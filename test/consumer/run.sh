#!/usr/bin/env bash
# npm run test:consumer: the library as its users get it. Builds the npm tarball (npm pack) and the
# Python wheel (jsii-pacmak), then creates fresh apps in a temp dir outside the repository:
#   a. TypeScript on cdk8s-plus-33 (as `cdk8s init typescript-app` scaffolds), `cdk8s synth` via ts-node,
#      running the README's example verbatim; the supervisor from its YAML then reloads a real edit;
#   b. the same app compiled with tsc and run with node (plus every construct, type-checked with no casts);
#   c. plain JavaScript (require);
#   d. Python, installing the wheel plus cdk8s and cdk8s-plus-25 from PyPI into a venv.
# Downloads are cached under ${HOT_RELOAD_CACHE:-~/.cache/k8s-hot-reload}/consumer (npm cache, pip cache, venv).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$REPO/test/consumer"
CACHE="${HOT_RELOAD_CACHE:-$HOME/.cache/k8s-hot-reload}/consumer"
mkdir -p "$CACHE"
export npm_config_cache="$CACHE/npm" npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CDK8S_CHECK_UPGRADE=false
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hot-reload-consumer.XXXXXX")"
case "$WORK" in "$REPO"/*) echo "temp dir $WORK is inside the repository" >&2; exit 1 ;; esac
trap 'rm -rf "$WORK"' EXIT
for tool in node npm python3; do command -v "$tool" >/dev/null || { echo "test:consumer needs $tool on PATH" >&2; exit 1; }; done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
START=$(now_ms)
declare -a SUMMARY=()
t0=0
begin() { printf '\n=== %s\n' "$*"; t0=$(now_ms); }
done_() { local ms=$(( $(now_ms) - t0 )); SUMMARY+=("$(printf '%-58s %6.1fs' "$1" "$((ms / 1000)).$(( (ms % 1000) / 100 ))")"); }

begin "build: jsii compile, then jsii-pacmak: npm pack (js) and the Python wheel, from one build"
cd "$REPO"
rm -rf build/packages
nice -n 10 npm run --silent compile
# The js target is `npm pack` (prepack compiles again); the wheel embeds that same tarball.
nice -n 10 npx jsii-pacmak --targets js python >/dev/null
TARBALL="$WORK/cdk8s-hot-reload.tgz"
cp build/packages/js/*.tgz "$TARBALL"
mkdir "$WORK/unpacked" && tar xzf "$TARBALL" -C "$WORK/unpacked"
export SHIPPED_SUPERVISOR="$WORK/unpacked/package/build/lib/supervisor/supervisor.sh"
for f in supervisor.sh node-reload.cjs; do
  cmp "$(dirname "$SHIPPED_SUPERVISOR")/$f" "lib/supervisor/$f" || { echo "the packed $f is not lib/supervisor/$f" >&2; exit 1; }
done
WHEEL="$(ls "$REPO"/build/packages/python/*.whl)"
done_ "build (jsii, npm pack, wheel)"
SUMMARY+=("$(printf '%-58s %s' "size: $(basename "$TARBALL")" "$(du -k "$TARBALL" | cut -f1) KiB ($(tar tzf "$TARBALL" | wc -l) files)")")
SUMMARY+=("$(printf '%-58s %s' "size: $(basename "$WHEEL")" "$(du -k "$WHEEL" | cut -f1) KiB")")

# --- a. TypeScript app on cdk8s-plus-33, the README example, cdk8s synth through ts-node
begin "a. TypeScript app (cdk8s-plus-33), README example, cdk8s synth via ts-node"
TS="$WORK/ts-app"
mkdir -p "$TS"
cp "$REPO/node_modules/cdk8s-cli/templates/typescript-app/tsconfig.json" "$TS/"   # the scaffold's compiler options
printf 'language: typescript\napp: npx ts-node main.ts\n' > "$TS/cdk8s.yaml"
CLI_VERSION="$(node -p "require('$REPO/node_modules/cdk8s-cli/package.json').version")"
cat > "$TS/package.json" <<JSON
{
  "name": "ts-app", "version": "1.0.0", "private": true, "license": "Apache-2.0",
  "dependencies": { "cdk8s": "^2", "cdk8s-plus-33": "^2", "constructs": "^10", "cdk8s-hot-reload": "file:$TARBALL" },
  "devDependencies": { "cdk8s-cli": "$CLI_VERSION", "@types/node": "^20", "typescript": "5.9.x", "ts-node": "^10" }
}
JSON
node "$HERE/extract-readme-example.js" "$TS/main.ts"
cp "$HERE/apps/all-constructs.ts" "$TS/"
cd "$TS"
npm install --prefer-offline --no-package-lock --silent
# One copy of cdk8s, constructs and cdk8s-plus-25: the library's peers are the app's.
node -e "
const path = require('path');
const lib = path.dirname(require.resolve('cdk8s-hot-reload/package.json'));
for (const m of ['cdk8s', 'constructs', 'cdk8s-plus-25']) {
  const mine = require.resolve(m), theirs = require.resolve(m, { paths: [lib] });
  if (mine !== theirs) { console.error(m + ': two copies: ' + mine + ' and ' + theirs); process.exit(1); }
}
console.log('ok: one copy each of cdk8s, constructs, cdk8s-plus-25; app on cdk8s-plus-33 ' + require('cdk8s-plus-33/package.json').version);"
done_ "a. install (tarball + cdk8s-plus-33 + cdk8s-cli)"
t0=$(now_ms)
npx cdk8s synth >/dev/null
done_ "a. cdk8s synth (ts-node, README example)"
node "$HERE/check-chart.js" "$TS/dist"
t0=$(now_ms)
node "$HERE/reload-check.js" "$TS/dist"
done_ "a. reload of a real edit by the synthesized supervisor"

# --- b. the same app compiled with tsc, run with node
begin "b. the same app compiled with tsc (every construct, no casts), run with node"
t0=$(now_ms)
npx tsc
done_ "b. tsc (main.ts + all-constructs.ts)"
t0=$(now_ms)
CDK8S_OUTDIR="$TS/dist-tsc" node main.js
done_ "b. node main.js"
node "$HERE/check-chart.js" "$TS/dist-tsc" "$TS/dist"
CDK8S_OUTDIR="$TS/dist-all" node all-constructs.js
node -e "
const assert = require('assert/strict');
const { loadManifests } = require('$REPO/test/support/supervisor-from-dist');
const all = loadManifests('$TS/dist-all');
const api = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api').spec.template.spec;
const claim = all.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name.includes('api-code')).metadata.name;
assert.equal(api.volumes.find((v) => v.name === 'code').persistentVolumeClaim.claimName, claim);
const configMap = all.find((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('api-settings')).metadata.name;
assert.deepEqual(api.volumes.find((v) => v.name === 'volume-0').configMap, { name: configMap });
const secret = all.find((o) => o.kind === 'Secret').metadata.name;
assert.deepEqual(api.containers[0].env.find((e) => e.name === 'DB_PASSWORD').valueFrom.secretKeyRef, { name: secret, key: 'password' });
assert.deepEqual(api.containers[0].envFrom, [{ secretRef: { name: secret } }]);
assert.ok(api.containers[0].readinessProbe.exec.command[0] === 'python3');
assert.equal(all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mysql').spec.template.spec.containers[0].resources.limits.memory, '1Gi');
console.log('ok: every construct from a cdk8s-plus-33 chart (' + all.length + ' objects)');"
if cmp -s "$TS/dist-all/dev-environment.k8s.yaml" "$REPO/dist/dev-environment.k8s.yaml"; then
  echo "ok: DevEnvironmentChart from the installed package equals the repository's dist/"
else
  echo "DevEnvironmentChart from the installed package differs from dist/ (stale dist/? run npm run synth)" >&2
  diff "$REPO/dist/dev-environment.k8s.yaml" "$TS/dist-all/dev-environment.k8s.yaml" | head -20 >&2
  exit 1
fi

# --- c. plain JavaScript
begin "c. plain JavaScript app (require)"
JS="$WORK/js-app"
mkdir -p "$JS"
cp "$HERE/apps/main.js" "$JS/"
printf '{ "name": "js-app", "version": "1.0.0", "private": true, "dependencies": { "cdk8s": "^2", "constructs": "^10", "cdk8s-hot-reload": "file:%s" } }\n' "$TARBALL" > "$JS/package.json"
cd "$JS"
npm install --prefer-offline --no-package-lock --silent
done_ "c. install"
t0=$(now_ms)
CDK8S_OUTDIR="$JS/dist" node main.js
done_ "c. node main.js"
node "$HERE/check-chart.js" "$JS/dist" "$TS/dist"

# --- d. Python
begin "d. Python app: the wheel + cdk8s + cdk8s-plus-25 from PyPI"
VENV="$CACHE/venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --force-reinstall --no-deps "$WHEEL"
"$VENV/bin/pip" install --quiet "$WHEEL" cdk8s cdk8s-plus-25
"$VENV/bin/python" -c "import cdk8s, cdk8s_plus_25, importlib.metadata as m; print('ok: python', m.version('cdk8s-hot-reload'), 'cdk8s', m.version('cdk8s'), 'cdk8s-plus-25', m.version('cdk8s-plus-25'))"
done_ "d. venv + pip install"
PY="$WORK/py-app"
mkdir -p "$PY"
cp "$HERE/apps/main.py" "$PY/"
cd "$PY"
t0=$(now_ms)
CDK8S_OUTDIR="$PY/dist" "$VENV/bin/python" main.py
done_ "d. python main.py"
node "$HERE/check-chart.js" "$PY/dist" "$TS/dist"

printf '\n=== test:consumer summary (total %ss, load average %s)\n' $(( ($(now_ms) - START) / 1000 )) "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${SUMMARY[@]}"
