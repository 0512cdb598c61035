#!/usr/bin/env node
// The supervisor a consumer synthesized, run locally around a tiny Node.js server: the script from the
// chart's ConfigMap, the container command and env from its Deployment. Only what is host-specific is
// swapped: the watched directory (/code in the pod), the ConfigMap's mount (its files are written to a
// directory here), the state directory and the port. A real edit of server.js must be served over HTTP
// within the deadline, and the reload logged as the preset's in-place one.
//   reload-check.js CHART_DIR
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { supervisorFromDist } = require('../support/supervisor-from-dist');

const DEADLINE_MS = 15000;
const s = supervisorFromDist(process.argv[2], 'web');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-reload-'));
const code = path.join(work, 'code');
fs.mkdirSync(code);
const server = (message) => `require('http').createServer((req, res) => res.end(${JSON.stringify(message)})).listen(Number(process.env.PORT), '127.0.0.1');\n`;

const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); }).on('error', reject);
});
const get = (port) => new Promise((resolve) => {
  const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 1000, agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; }).on('end', () => resolve(body));
  });
  req.on('error', () => resolve(undefined)).on('timeout', () => { req.destroy(); resolve(undefined); });
});

async function main() {
  fs.writeFileSync(path.join(code, 'server.js'), server('v1'));
  const files = path.join(work, 'hot-reload');
  fs.mkdirSync(files);
  for (const [key, text] of Object.entries(s.files)) fs.writeFileSync(path.join(files, key), text);
  const local = (arg) => (arg.startsWith(`${s.mountPath}/`) ? path.join(files, arg.slice(s.mountPath.length + 1)) : arg);
  const port = await freePort();
  const [shell, script, mode, separator, ...command] = s.command.map(local);
  let log = '';
  const child = spawn(shell, [script, mode, separator, ...command], {
    cwd: code,
    env: { PATH: process.env.PATH, ...s.env, PORT: String(port), HOT_RELOAD_WATCH: code, HOT_RELOAD_STATE_DIR: path.join(work, 'state') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const pause = () => new Promise((r) => setTimeout(r, 20));
  const until = async (what, body) => {
    const end = Date.now() + DEADLINE_MS;
    while (Date.now() < end) {
      if ((await get(port)) === body) return;
      await pause();
    }
    throw new Error(`timed out waiting for ${what}; supervisor log:\n${log}`);
  };
  try {
    await until('the first response', 'v1');
    const t0 = Date.now();
    fs.writeFileSync(path.join(code, 'server.js'), server('v2'));
    await until('the edited response', 'v2');
    // The primary logs the swap when the new worker's 'listening' message reaches it, which can be just after
    // that worker's first answer reached us.
    const swapLogged = () => /new code serving \(pid \d+\)/.test(log);
    const end = Date.now() + 5000;
    while (!swapLogged() && Date.now() < end) await pause();
    if (!swapLogged()) throw new Error(`served v2, but not by the node preset's in-place reload; log:\n${log}`);
    console.log(`ok: the synthesized supervisor served the edit in ${Date.now() - t0} ms (${command.join(' ')})`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => { child.on('exit', r); setTimeout(r, 5000); });
    fs.rmSync(work, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e.message); process.exit(1); });
