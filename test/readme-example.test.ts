import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { REPO } from './support/manifests';

// Runs the README's "Using it from another chart" example exactly as written, with the package
// import resolved to this checkout's lib/.
const readme = readFileSync(path.join(REPO, 'README.md'), 'utf-8');
const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('new HotReloadDeployment('));

test('README example: HotReloadDeployment in another chart synthesizes and validates', () => {
  expect(example).toBeDefined();
  const js = ts.transpileModule(example!, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const load = (id: string) => require(id === 'k8s-hot-reload' ? path.join(REPO, 'lib') : id);
  const outdir = mkdtempSync(path.join(tmpdir(), 'readme-'));
  const previous = process.env.CDK8S_OUTDIR;
  process.env.CDK8S_OUTDIR = outdir; // app.synth() must not write into dist/
  try {
    new Function('require', 'module', 'exports', js)(load, { exports: {} }, {});
    const files = readdirSync(outdir);
    expect(files).toEqual(['shop.k8s.yaml']);
    const yaml = readFileSync(path.join(outdir, files[0]), 'utf-8');
    expect(yaml).toContain('nodePort: 31001');
    expect(yaml).toContain('claimName: api-code');
    // The trigger's file is watched although it is not one of the included globs.
    expect(yaml).toMatch(/name: HOT_RELOAD_INCLUDE\n\s+value: "\*\.py \*\.html requirements\.txt"/);
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR; else process.env.CDK8S_OUTDIR = previous;
    rmSync(outdir, { recursive: true, force: true });
  }
});
