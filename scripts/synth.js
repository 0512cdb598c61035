#!/usr/bin/env node
// npm run synth: `cdk8s synth` into a fresh directory beside dist/, then swap it in. cdk8s empties its
// output directory before synthesizing, so synthesizing into dist/ directly would leave the committed
// manifests deleted whenever synthesis fails (a bad prop, a type error in lib/).
//   SYNTH_DIST=DIR npm run synth   replaces DIR instead of dist/ (used by the tests)
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..');
const target = path.resolve(repo, process.env.SYNTH_DIST || 'dist');
const parent = path.dirname(target);
const fresh = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}-synth-`));
const cdk8s = path.join(repo, 'node_modules', '.bin', 'cdk8s');

const run = spawnSync(cdk8s, ['synth', '--no-check-upgrade', '--output', fresh, ...process.argv.slice(2)], { cwd: repo, stdio: 'inherit' });
if (run.status !== 0) {
  fs.rmSync(fresh, { recursive: true, force: true });
  console.error(`synthesis failed: ${path.relative(repo, target) || target} left as it was`);
  process.exit(run.status ?? 1);
}
// Two renames in one directory: dist/ is either the old or the new manifests, never half of each.
const old = `${fresh}-old`;
if (fs.existsSync(target)) fs.renameSync(target, old);
fs.renameSync(fresh, target);
fs.rmSync(old, { recursive: true, force: true });
