import { ChildProcess, spawn } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import * as http from 'http';
import * as net from 'net';
import { tmpdir } from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { HostPathStorage, HotReloadDeployment, HotReloadDeploymentProps, ReloadAction, ReloadOptions, ReloadPresets, ReloadStrategy } from '../lib';
import { DIST, find, KubeObject, loadManifests, supervisorFromDist, validationError } from './support/manifests';

// The reload loop, locally: the supervisor script and container command exactly as dist/ ships them,
// around a tiny stdlib-only WSGI app. Only what is host-specific is swapped: the watched directory
// (/code in the pod) and the state directory become temp dirs, and since gunicorn is not needed for
// `npm test`, the app command after "--" runs the same module with wsgiref instead, reloaded by a
// restart (a wsgiref server has no in-place reload: the preset's HUP is for gunicorn). The real
// gunicorn app and its in-place reload are exercised by `npm run test:reload`.

// RELOAD_DIST_DIR: a synth of lib/ elsewhere, while dist/ is not regenerated yet (never in CI).
if (process.env.RELOAD_DIST_DIR && process.env.CI === 'true') throw new Error('RELOAD_DIST_DIR must not be set in CI: CI tests dist/');
const distDir = process.env.RELOAD_DIST_DIR ?? DIST;
const synthesized = supervisorFromDist('python-mysql', distDir);
// Every file of the supervisor ConfigMap (the script and the preset's helpers, e.g. check-python.py).
const shipped = find(loadManifests(distDir), 'ConfigMap', 'python-mysql-supervisor').data ?? {};
const mountPath = path.posix.dirname(synthesized.scriptPath);
const WAIT_MS = 20_000;

const appSource = (message: string) => `def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"${message}"]
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    }).on('error', reject);
  });
}

function get(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; }).on('end', () => resolve(body));
    });
    req.on('error', () => resolve(undefined)).on('timeout', () => { req.destroy(); resolve(undefined); });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, log: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; supervisor log:\n${log()}`);
}

/** Every file under dir with its size and mtime, to prove the supervisor wrote nothing there. */
function snapshotTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf-8' }).sort()
    .map((f) => { const s = statSync(path.join(dir, f)); return `${f} ${s.size} ${s.mtimeMs}`; });
}

describe('the synthesized supervisor reloads a real app', () => {
  let work: string;
  let code: string;
  let port: number;
  let supervisor: ChildProcess;
  let log = '';
  const logText = () => log;

  const write = (message: string) => writeFileSync(path.join(code, 'application.py'), appSource(message));

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'reload-test-'));
    code = path.join(work, 'code');
    mkdirSync(code);
    write('hot-loading-apps v1');
    for (const [key, text] of Object.entries(shipped)) writeFileSync(path.join(work, key), text);
    const script = path.join(work, 'supervisor.sh');
    expect(readFileSync(script, 'utf-8')).toBe(synthesized.script);
    const local = (v: string) => v.split(`${mountPath}/`).join(`${work}/`);
    port = await freePort();

    const [shell, scriptPath, mode, separator] = synthesized.command;
    expect([shell, scriptPath, mode, separator]).toEqual(['/bin/sh', synthesized.scriptPath, 'supervise', '--']);
    const serve = `from wsgiref.simple_server import make_server; import application; make_server("127.0.0.1", ${port}, application.application).serve_forever()`;
    supervisor = spawn(shell, [script, mode, separator, 'python3', '-c', serve], {
      cwd: code,
      env: {
        PATH: process.env.PATH,
        ...Object.fromEntries(Object.entries(synthesized.env).map(([k, v]) => [k, local(v)])),
        HOT_RELOAD_WATCH: code,
        HOT_RELOAD_STATE_DIR: path.join(work, 'state'),
        HOT_RELOAD_ACTION: 'restart',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    supervisor.stdout!.on('data', (d) => { log += d; });
    supervisor.stderr!.on('data', (d) => { log += d; });
  });

  afterAll(() => {
    if (supervisor.exitCode === null) supervisor.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  test('serves, reloads on save, keeps serving across a syntax error, and stops cleanly on TERM', async () => {
    await waitFor('the first response', async () => ((await get(port)) === 'hot-loading-apps v1' ? true : undefined), logText);
    const before = snapshotTree(code);

    const t0 = Date.now();
    write('hot-loading-apps v2');
    await waitFor('the edited response', async () => ((await get(port)) === 'hot-loading-apps v2' ? true : undefined), logText);
    console.log(`reload latency: ${Date.now() - t0} ms (informational; npm run bench:reload measures it properly)`);

    writeFileSync(path.join(code, 'application.py'), 'def application(environ, start_response)\n    return []\n');
    // The preset's check compiles the changed file first: the broken save is logged with file and
    // line, and the last good version keeps serving.
    await waitFor('the failed check to be logged', () => (/check FAILED \(exit 1\) in [0-9.]+s: .*application\.py:1: SyntaxError/.test(log) ? true : undefined), logText);
    expect(supervisor.exitCode).toBeNull(); // the supervisor, i.e. the container, stays up
    expect(await get(port)).toBe('hot-loading-apps v2');

    write('hot-loading-apps v3');
    await waitFor('the fixed response', async () => ((await get(port)) === 'hot-loading-apps v3' ? true : undefined), logText);
    expect(log).toMatch(/change: 1 file\(s\): .*application\.py/);
    expect(log).toMatch(/restarted \(pid \d+\) in \d+\.\d\ds/);

    // Only our own edits in the tree: the supervisor never wrote there.
    expect(snapshotTree(code).map((l) => l.split(' ')[0])).toEqual(before.map((l) => l.split(' ')[0]));

    const exited = new Promise<number | null>((resolve) => supervisor.on('exit', (c) => resolve(c)));
    supervisor.kill('SIGTERM');
    const grace = Number(synthesized.env.HOT_RELOAD_GRACE) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([exited, new Promise<string>((r) => { timer = setTimeout(() => r('still running'), grace + 2000); })]);
    clearTimeout(timer);
    expect(status).toBe(0);
    expect(log).toMatch(/received TERM: stopping the app and exiting/);
    expect(await get(port)).toBeUndefined(); // the app went with it
  }, 120_000);
});

// The configuration contract (lib/supervisor/): what the construct renders for the script.
describe('the supervisor configuration contract', () => {
  const synthApp = (props: Partial<HotReloadDeploymentProps>) => {
    const chart = new Chart(Testing.app(), 'test');
    new HotReloadDeployment(chart, 'web', {
      ...ReloadPresets.node({ port: 8080 }),
      image: 'node:22-slim',
      codeStorage: new HostPathStorage(chart, 'web-code', { path: '/src/web' }),
      ...props,
    });
    const objects = Testing.synth(chart) as KubeObject[];
    const c = find(objects, 'Deployment', 'web').spec.template.spec.containers[0];
    const env = Object.fromEntries((c.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));
    return { env, data: find(objects, 'ConfigMap', 'web-supervisor').data ?? {} };
  };

  test('presets choose the reload: gunicorn HUP + python check (helpers shipped), node HUP (its primary shipped), go build-then-swap', () => {
    const gunicorn = synthApp({ ...ReloadPresets.gunicorn({ app: 'app:app', port: 8080 }), image: 'python:3.12-slim' });
    expect(gunicorn.env.HOT_RELOAD_ACTION).toBe('signal:HUP');
    expect(gunicorn.env.HOT_RELOAD_CHECK).toBe('python3 -S /hot-reload/check-python.py "$@"');
    expect(gunicorn.env.GUNICORN_CMD_ARGS).toBe('--config /hot-reload/gunicorn.conf.py');
    expect(Object.keys(gunicorn.data).sort()).toEqual(['check-python.py', 'gunicorn.conf.py', 'supervisor.sh']);
    const node = synthApp({});
    expect(node.env.HOT_RELOAD_ACTION).toBe('signal:HUP');
    expect(node.env.HOT_RELOAD_CHECK).toBeUndefined();   // the new worker loading is the check
    expect(Object.keys(node.data).sort()).toEqual(['node-reload.cjs', 'supervisor.sh']);
    const go = ReloadPresets.go({ pkg: './cmd/web' });
    expect(go.command).toEqual(['/tmp/hot-reload-go/app']);
    expect(go.reload.check).toBe('mkdir -p /tmp/hot-reload-go && go build -o /tmp/hot-reload-go/app.next ./cmd/web && mv -f /tmp/hot-reload-go/app.next /tmp/hot-reload-go/app');
  });

  test('any command defaults to a plain restart without a check; RESTART_CONTAINER ignores reload options', () => {
    const plain = synthApp({ command: ['./server'], reload: undefined });
    expect(plain.env.HOT_RELOAD_ACTION).toBeUndefined();
    expect(plain.env.HOT_RELOAD_CHECK).toBeUndefined();
    const rc = synthApp({ strategy: ReloadStrategy.RESTART_CONTAINER, reload: { action: ReloadAction.signal('HUP'), check: 'true' } });
    expect(rc.env.HOT_RELOAD_ACTION).toBeUndefined();
    expect(rc.env.HOT_RELOAD_CHECK).toBeUndefined();
    expect(synthApp({ reload: { action: ReloadAction.signal('SIGUSR2') } }).env.HOT_RELOAD_ACTION).toBe('signal:USR2');
  });

  test('bad reload options name path, field, value and fix', () => {
    const error = (reload: ReloadOptions) => validationError((chart) => new HotReloadDeployment(chart, 'web', {
      ...ReloadPresets.node(), image: 'node:22-slim', codeStorage: new HostPathStorage(chart, 'code', { path: '/src' }), reload,
    }));
    expect(error({ action: ReloadAction.signal('BOGUS') })).toMatch(/^\[test\/web\] reload\.action="signal:BOGUS": not a reload signal \(one of HUP, .*\)\. Fix: use ReloadAction\.signal\("HUP"\)/);
    expect(error({ check: '  ' })).toMatch(/^\[test\/web\] reload\.check="  ": an empty command checks nothing\. Fix: omit reload\.check/);
  });
});
