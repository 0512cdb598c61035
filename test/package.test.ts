import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { REPO } from './support/manifests';

// What `npm pack` ships is what consumers run: the jsii build, never the TypeScript sources or tests.

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf-8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface PackedFile { path: string; size: number }

let files: string[] = [];
beforeAll(() => {
  run('npm', ['run', 'compile']);
  const packed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'])) as { files: PackedFile[] }[];
  files = packed[0].files.map((f) => f.path).sort();
}, 300_000);

test('the tarball holds the compiled library, its types, the supervisor script, the jsii assembly and the docs', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf-8'));
  expect(files).toEqual(expect.arrayContaining([
    pkg.main, pkg.types, 'build/lib/hot-reload-deployment.js', 'build/lib/host-path-storage.d.ts',
    'build/lib/supervisor/supervisor.sh', '.jsii', 'API.md', 'README.md', 'LICENSE', 'package.json',
  ]));
  for (const js of files.filter((f) => f.endsWith('.js'))) expect(files).toContain(js.replace(/\.js$/, '.d.ts'));
});

test('no TypeScript sources (which would shadow or be shadowed), tests, manifests or build leftovers', () => {
  expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => /^(lib|test|imports|dist|bench|e2e|ansible|python-mysql|scripts|node_modules)\//.test(f))).toEqual([]);
  expect(files.filter((f) => /(test|spec)\.[jt]s$|tsbuildinfo|\.tgz$|\.whl$|__pycache__|\.pyc$/.test(f))).toEqual([]);
  expect(files.every((f) => f.startsWith('build/lib/') || ['.jsii', 'API.md', 'README.md', 'LICENSE', 'package.json'].includes(f))).toBe(true);
});

test('compiled output never lands beside the sources: lib/ holds no .js or .d.ts after a compile', () => {
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  expect(walk(path.join(REPO, 'lib')).filter((f) => /\.(js|d\.ts)$/.test(f))).toEqual([]);
  expect(require.resolve('../lib')).toBe(path.join(REPO, 'lib', 'index.ts')); // what synth and the tests load
});

test('the package is a library: not private, peer dependencies with ranges, no runtime copies of cdk8s', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf-8'));
  expect(pkg.private).toBeUndefined();
  expect(pkg.keywords).toContain('cdk8s');
  expect(pkg.dependencies ?? {}).toEqual({});
  for (const peer of ['cdk8s', 'constructs', 'cdk8s-plus-25']) expect(pkg.peerDependencies[peer]).toMatch(/^\^\d+\.\d+\.\d+$/);
});

test('API.md is what jsii-docgen generates from the doc comments now', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'api-md-'));
  try {
    run(path.join(REPO, 'node_modules', '.bin', 'jsii-docgen'), ['--output', path.join(dir, 'API.md')]);
    expect(readFileSync(path.join(REPO, 'API.md'), 'utf-8')).toBe(readFileSync(path.join(dir, 'API.md'), 'utf-8')); // else: npm run docgen
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
