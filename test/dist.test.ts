import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { DIST, REPO } from './support/manifests';

// dist/ is committed: it must be exactly what main.ts synthesizes now, and synthesizing twice gives the same bytes.
function synthTo(outdir: string): void {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DEVENV_')));
  const run = spawnSync(path.join(REPO, 'node_modules', '.bin', 'ts-node'), ['--transpile-only', 'main.ts'], {
    cwd: REPO, env: { ...env, CDK8S_OUTDIR: outdir }, encoding: 'utf-8', timeout: 180_000,
  });
  if (run.status !== 0) throw new Error(`synth failed (${run.status}): ${run.stderr}`);
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(path.join(dir, f), 'utf-8')]));
}

test('dist/ equals a fresh synth, byte for byte, every time', () => {
  const a = mkdtempSync(path.join(tmpdir(), 'synth-a-'));
  const b = mkdtempSync(path.join(tmpdir(), 'synth-b-'));
  try {
    synthTo(a);
    synthTo(b);
    expect(files(a)).toEqual(files(b));
    expect(files(DIST)).toEqual(files(a));
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
}, 400_000);
