#!/usr/bin/env node
// Asserts what a consumer synthesized: the Node.js app chart of the README example (HotReloadDeployment
// + HostPathStorage + NodePort), with the supervisor the package ships, found at run time from the
// installed package. With a second directory, the two charts must be byte-identical.
//   check-chart.js DIR [REFERENCE_DIR]
'use strict';
const assert = require('assert/strict');
const fs = require('fs');
const path = require('path');
const { loadManifests } = require('../support/supervisor-from-dist');

const [dir, reference] = process.argv.slice(2);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort();
assert.deepEqual(files, ['web.k8s.yaml'], `${dir}: expected the chart "web" only`);
const objects = loadManifests(dir);
const find = (kind, name) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${dir}: no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};

const deployment = find('Deployment', 'web');
const pod = deployment.spec.template.spec;
const app = pod.containers.find((c) => c.name === 'app');
assert.deepEqual(app.command, ['/bin/sh', '/hot-reload/supervisor.sh', 'supervise', '--', 'node', '/hot-reload/node-reload.cjs', 'server.js']);
assert.equal(app.image, 'node:22-alpine');
const env = Object.fromEntries(app.env.map((e) => [e.name, e]));
assert.equal(env.PORT.value, '3000');
assert.equal(env.HOT_RELOAD_INCLUDE.value, '*.js *.json package.json');
assert.deepEqual(env.API_TOKEN.valueFrom, { secretKeyRef: { name: 'web-secrets', key: 'api-token' } });
assert.deepEqual(app.readinessProbe.httpGet, { path: '/healthz', port: 3000, scheme: 'HTTP' });

// The ConfigMap holds the files the package ships (run.sh checks that they are lib/supervisor's): the
// script and the node preset's primary, nothing else.
const shipped = path.dirname(process.env.SHIPPED_SUPERVISOR);
const data = find('ConfigMap', 'web-supervisor').data;
assert.deepEqual(Object.keys(data).sort(), ['node-reload.cjs', 'supervisor.sh']);
for (const key of Object.keys(data)) {
  assert.equal(data[key], fs.readFileSync(path.join(shipped, key), 'utf-8'), `${key} in the ConfigMap differs from the packed ${shipped}/${key}`);
}

const pv = find('PersistentVolume', 'web-code');
const pvc = find('PersistentVolumeClaim', 'web-code');
assert.deepEqual(pv.spec.hostPath, { path: '/vagrant/web', type: 'DirectoryOrCreate' });
assert.deepEqual(pv.spec.claimRef, { name: 'web-code', namespace: 'default' });
assert.equal(pvc.spec.volumeName, 'web-code');
assert.equal(pv.spec.capacity.storage, '1Gi');
assert.ok(pod.volumes.some((v) => v.persistentVolumeClaim?.claimName === 'web-code'), 'the code claim is not mounted');

const service = find('Service', 'web');
assert.equal(service.spec.type, 'NodePort');
assert.deepEqual(service.spec.ports.map((p) => p.nodePort), [31001]);
for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(deployment.spec.template.metadata.labels[k], v);

const yaml = fs.readFileSync(path.join(dir, files[0]), 'utf-8');
for (const dropped of [/minReadySeconds: 0/, /hostNetwork: false/, /readOnly: false/, /externalIPs: \[\]/]) assert.doesNotMatch(yaml, dropped);
if (reference) assert.equal(yaml, fs.readFileSync(path.join(reference, files[0]), 'utf-8'), `${dir} differs from ${reference}`);
console.log(`ok: ${dir}/${files[0]} (${objects.length} objects${reference ? `, identical to ${reference}` : ''})`);
