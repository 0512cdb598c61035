// The README example's chart from plain JavaScript (require, no TypeScript).
const { App, Chart, Duration } = require('cdk8s');
const { HostPathStorage, HotReloadDeployment, ReloadPresets } = require('cdk8s-hot-reload');

const app = new App();
const chart = new Chart(app, 'web', { namespace: 'default' });

new HotReloadDeployment(chart, 'web', {
  ...ReloadPresets.node({ main: 'server.js', port: 3000 }),
  image: 'node:22-alpine',
  codeStorage: new HostPathStorage(chart, 'web-code', { path: '/vagrant/web', storage: '1Gi' }),
  watch: { include: ['*.js', '*.json'], interval: Duration.millis(100) },
  onChange: [{ glob: 'package.json', command: 'npm install --omit=dev' }],
  secretEnv: { API_TOKEN: { secretName: 'web-secrets', key: 'api-token' } },
  readiness: { httpPath: '/healthz' },
  nodePort: 31001,
});
app.synth();
