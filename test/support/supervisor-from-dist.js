#!/usr/bin/env node
// Extracts the reload supervisor exactly as synthesized: the script from the app's ConfigMap and
// the container command and plain env from its Deployment, so tests run what the pod runs.
//
//   node test/support/supervisor-from-dist.js --deployment python-mysql --out DIR [--dist dist]
// writes every file of the supervisor ConfigMap (DIR/supervisor.sh and its helpers), DIR/command.json and DIR/env.json.
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

/** Reads every object of every dist/*.k8s.yaml. */
function loadManifests(distDir) {
  if (!fs.existsSync(distDir)) throw new Error(`${distDir} does not exist: run "npm run synth" first`);
  return fs.readdirSync(distDir).filter((f) => f.endsWith('.k8s.yaml')).sort()
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(distDir, f), 'utf-8')).map((d) => d.toJSON()))
    .filter(Boolean);
}

/** { script, files, mountPath, command, env } of a HotReloadDeployment's app container in dist/ (files: every key of the supervisor ConfigMap). */
function supervisorFromDist(distDir, deploymentName) {
  const objects = loadManifests(distDir);
  const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === deploymentName);
  if (!deployment) throw new Error(`no Deployment "${deploymentName}" in ${distDir}`);
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'app');
  if (!container) throw new Error(`Deployment "${deploymentName}" has no container "app"`);
  const scriptPath = container.command[1];
  const mount = container.volumeMounts.find((m) => scriptPath.startsWith(`${m.mountPath}/`));
  const volume = pod.volumes.find((v) => v.name === mount.name);
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volume.configMap.name);
  const key = scriptPath.slice(mount.mountPath.length + 1);
  const env = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  return {
    script: configMap.data[key], files: configMap.data, mountPath: mount.mountPath, scriptPath,
    command: container.command, env, workingDir: container.workingDir,
  };
}

module.exports = { loadManifests, supervisorFromDist };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name, def) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
  const out = opt('out');
  if (!out) { console.error('usage: supervisor-from-dist.js --deployment NAME --out DIR [--dist DIR]'); process.exit(2); }
  const s = supervisorFromDist(opt('dist', path.join(__dirname, '..', '..', 'dist')), opt('deployment', 'python-mysql'));
  fs.mkdirSync(out, { recursive: true });
  for (const [key, text] of Object.entries(s.files)) fs.writeFileSync(path.join(out, key), text);
  fs.writeFileSync(path.join(out, 'command.json'), JSON.stringify(s.command, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'env.json'), JSON.stringify(s.env, null, 2) + '\n');
}
