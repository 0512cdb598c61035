'use strict';
// The Node.js runtime of ReloadPresets.node, shipped in the supervisor ConfigMap:
//
//   node /hot-reload/node-reload.cjs MAIN [ARG...]
//
// A small primary process runs MAIN in one cluster worker and keeps the listening sockets (cluster
// shares them with its workers). On HUP (the supervisor's reload action) a new worker loads the code
// as it is on disk now; only once it listens does the old worker stop accepting, finish its requests
// and exit. The port never closes, and new code that fails to load (a syntax error, a throw at start)
// leaves the old worker serving: node's own error, with file and line, is in the log.
// A spare worker is kept booted, with none of the app loaded, so a reload does not wait for node to
// start (HOT_RELOAD_NODE_SPARE=0 turns that off and saves its memory).
// MAIN runs as the main module of its worker (process.argv, require.main and ES modules as usual);
// only an app that forks its own cluster workers is better off with the plain restart.
const cluster = require('cluster');
const path = require('path');

const READY = 'hot-reload:ready';
const LOAD = 'hot-reload:load';

if (cluster.isPrimary) primary();
else spare();

function spare() {
  // The code is loaded only now, so it is the code on disk when the primary asked for it. Once the
  // listener is gone the IPC channel no longer keeps the process alive: the app's handles do.
  process.once('message', (msg) => {
    if (msg !== LOAD) throw new Error(`node-reload: unexpected message ${JSON.stringify(msg)}`);
    process.argv.splice(1, 2, path.resolve(process.argv[2]));
    require('module').runMain();
  });
  process.send(READY);
}

function primary() {
  const [main, ...args] = process.argv.slice(2);
  if (!main) {
    console.error('node-reload: usage: node node-reload.cjs MAIN [ARG...]');
    process.exit(2);
  }
  const graceMs = 1000 * (Number(process.env.HOT_RELOAD_GRACE) || 5);
  const keepSpare = process.env.HOT_RELOAD_NODE_SPARE !== '0';
  const log = (text) => process.stderr.write(`hot-reload: node: ${text}\n`);
  const secs = (since) => `${(Number(process.hrtime.bigint() - since) / 1e9).toFixed(2)}s`;

  // Each worker accepts on the shared socket itself (not round-robin through this process).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: __filename, args: [main, ...args] });

  let current = null; // the worker serving
  let pending = null; // the worker loading the new code
  let standby = null; // booted, nothing loaded
  let stopping = false;
  const listened = new WeakSet();
  const ready = new WeakSet(); // booted and waiting for LOAD
  const retiring = new WeakSet();

  const take = () => {
    const w = standby && standby.isConnected() ? standby : cluster.fork();
    standby = null;
    return w;
  };
  const refill = () => {
    if (keepSpare && !standby && !stopping) standby = cluster.fork();
  };
  const retire = (w) => {
    if (!w || retiring.has(w)) return;
    retiring.add(w);
    // Stop accepting and finish the requests in flight (idle keep-alive connections are closed),
    // then exit; an app that holds on (timers, open connections) is stopped after the grace period.
    const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
    w.once('exit', () => clearTimeout(kill));
    w.once('disconnect', () => w.process.kill('SIGTERM'));
    if (w.isConnected()) w.disconnect();
    else w.process.kill('SIGTERM');
  };
  const promote = (w, started) => {
    const old = current;
    current = w;
    pending = null;
    log(old
      ? `new code serving (pid ${w.process.pid}) ${secs(started)} after the reload signal; pid ${old.process.pid} finishes its requests and exits`
      : `app listening (pid ${w.process.pid}) ${secs(started)} after its start`);
    retire(old);
    refill();
  };
  const load = () => {
    if (pending) retire(pending); // superseded by a newer save
    // A server is swapped once the new worker listens; anything else (a worker that never listened)
    // is stopped first, so that two copies never run side by side.
    if (current && !listened.has(current)) {
      retire(current);
      current = null;
    }
    const w = take();
    const started = process.hrtime.bigint();
    pending = w;
    w.once('listening', () => { if (pending === w) promote(w, started); });
    w.once('exit', (code, signal) => {
      if (pending !== w) return;
      pending = null;
      const how = signal ? `signal ${signal}` : `status ${code}`;
      log(current
        ? `the new code exited (${how}) before listening; pid ${current.process.pid} keeps serving the last good version until the next change`
        : `the app exited (${how}); waiting for the next change`);
      refill();
    });
    if (ready.has(w)) w.send(LOAD);
    else w.once('message', () => w.send(LOAD));
  };

  cluster.on('listening', (w) => listened.add(w));
  cluster.on('message', (w, msg) => { if (msg === READY) ready.add(w); });
  cluster.on('exit', (w, code, signal) => {
    if (w === standby) standby = null;
    if (w === current && !retiring.has(w)) {
      current = null;
      if (!stopping && pending !== w) log(`the app exited (${signal ? `signal ${signal}` : `status ${code}`}); waiting for the next change`);
    }
    if (stopping && Object.keys(cluster.workers).length === 0) process.exit(0);
  });
  process.on('SIGHUP', () => { if (!stopping) load(); });
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      stopping = true;
      const workers = Object.values(cluster.workers);
      if (workers.length === 0) process.exit(0);
      for (const w of workers) w.process.kill('SIGTERM');
      setTimeout(() => process.exit(0), graceMs).unref();
    });
  }
  load();
  // The spare boots once the app is up, so that it does not slow the first start down.
  cluster.once('listening', refill);
}
