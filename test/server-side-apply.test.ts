import { Chart, Testing } from 'cdk8s';
import { DevEnvironmentChart, HostPathStorage, HotReloadDeployment, MySql, ReloadPresets } from '../lib';
import { synthChart } from './support/manifests';

// `kubectl apply --server-side -f dist/` after ansible's apply must find nothing to change. The API
// server drops zero values of `omitempty` fields and stores quantities canonically, so a manifest that
// spells them out claims fields the stored object does not have and conflicts with the other manager.

const DROPPED = [/^\s*minReadySeconds: 0$/m, /^\s*hostNetwork: false$/m, /^\s*readOnly: false$/m, /^\s*externalIPs: \[\]$/m];

function yamlOf(build: (chart: Chart) => void): string {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  build(chart);
  return app.synthYaml();
}

test.each(DROPPED)('the dev-environment chart has no %s', (field) => {
  const app = Testing.app();
  new DevEnvironmentChart(app, 'dev-environment');
  expect(app.synthYaml()).not.toMatch(field);
});

test('quantities are canonical: 1Gi, never 1024Mi; 1, never 1000m', () => {
  const objects = synthChart();
  const quantities = JSON.stringify(objects).match(/"(\d+(?:Mi|Gi|Ki|m))"/g) ?? [];
  expect(quantities.length).toBeGreaterThan(0);
  expect(quantities.filter((q) => /"(1024Mi|\d*000m|1024Ki)"/.test(q))).toEqual([]);
  const yaml = yamlOf((c) => {
    new HostPathStorage(c, 'data', { path: '/srv/data', storage: '2048Mi' });
    new MySql(c, 'db', { database: 'app', credentialsSecret: 'creds', data: new HostPathStorage(c, 'db-data', { path: '/srv/db', storage: '0.5Gi' }),
      resources: { memoryLimit: '1024Mi', cpuLimit: '2000m', cpuRequest: '0.25' } });
  });
  expect(yaml).toMatch(/storage: 2Gi/);
  expect(yaml).toMatch(/storage: 512Mi/);
  expect(yaml).toMatch(/limits:\n\s+cpu: "2"\n\s+memory: 1Gi\n\s+requests:\n\s+cpu: 250m\n\s+memory: 512Mi/);
  for (const field of DROPPED) expect(yaml).not.toMatch(field);
});

test('a writable code mount from a claim and a NodePort Service carry none of the dropped fields either', () => {
  const yaml = yamlOf((c) => new HotReloadDeployment(c, 'web', {
    ...ReloadPresets.node(), image: 'node:22-slim', nodePort: 30080, codeVolume: { claimName: 'web-code' },
    volumes: [{ mountPath: '/cache', emptyDir: true }, { mountPath: '/data', claimName: 'uploads' }],
  }));
  expect(yaml).toMatch(/claimName: web-code/);
  expect(yaml).toMatch(/claimName: uploads/);
  expect(yaml).toMatch(/type: NodePort/);
  for (const field of DROPPED) expect(yaml).not.toMatch(field);
});
