import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { REPO } from './support/manifests';

// `npm run synth` (scripts/synth.js) on a stand-in for dist/: cdk8s empties its output directory first,
// so a failed synthesis used to leave the committed manifests deleted.

function synth(target: string, env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVENV_')));
  const r = spawnSync('node', [path.join(REPO, 'scripts', 'synth.js')], {
    cwd: REPO, env: { ...clean, ...env, SYNTH_DIST: target }, encoding: 'utf-8', timeout: 180_000,
  });
  return { status: r.status, stderr: r.stderr };
}

let work: string;
let target: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'synth-script-'));
  target = path.join(work, 'dist');
  mkdirSync(target);
  writeFileSync(path.join(target, 'previous.k8s.yaml'), 'kind: Previous\n');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

test('a failed synthesis leaves the previous manifests in place, and no temp directory behind', () => {
  const run = synth(target, { DEVENV_RELOAD_STRATEGY: 'not-a-strategy' });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/DEVENV_RELOAD_STRATEGY="not-a-strategy" is not a reload strategy/);
  expect(run.stderr).toMatch(/synthesis failed: .* left as it was/);
  expect(readdirSync(target)).toEqual(['previous.k8s.yaml']);
  expect(readFileSync(path.join(target, 'previous.k8s.yaml'), 'utf-8')).toBe('kind: Previous\n');
  expect(readdirSync(work)).toEqual(['dist']);
}, 200_000);

test('a successful synthesis replaces the directory whole', () => {
  expect(synth(target).status).toBe(0);
  expect(readdirSync(target)).toEqual(['dev-environment.k8s.yaml']);
  expect(readdirSync(work)).toEqual(['dist']);
  expect(readFileSync(path.join(target, 'dev-environment.k8s.yaml'), 'utf-8')).toMatch(/^kind: Deployment$/m); // dist.test.ts compares the bytes
}, 200_000);

test('why: plain `cdk8s synth --output` empties the directory even when the app then fails', () => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVENV_')));
  const r = spawnSync(path.join(REPO, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '--output', target], {
    cwd: REPO, env: { ...clean, DEVENV_RELOAD_STRATEGY: 'not-a-strategy' }, encoding: 'utf-8', timeout: 180_000,
  });
  expect(r.status).not.toBe(0);
  expect(existsSync(path.join(target, 'previous.k8s.yaml'))).toBe(false);
}, 200_000);
