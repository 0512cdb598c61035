// The charts the reload bench measures, synthesized from the current lib/: the shipped dev-environment
// chart (its python-mysql app, exactly as main.ts builds it without overrides) and one app per other
// runtime preset, so that each language runs under the command and env its preset really gives.
//   npx ts-node --transpile-only bench/reload/presets-chart.ts OUTDIR
import { App, Chart } from 'cdk8s';
import { DevEnvironmentChart, HostPathStorage, HotReloadDeployment, ReloadPresets } from '../../lib';

const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: presets-chart.ts OUTDIR');
  process.exit(2);
}

const app = new App({ outdir });
new DevEnvironmentChart(app, 'dev-environment');
const chart = new Chart(app, 'bench-presets', { namespace: 'default' });
const presets = {
  'bench-node': ReloadPresets.node({ main: 'server.js' }),
  'bench-go': ReloadPresets.go(),
};
for (const [name, preset] of Object.entries(presets)) {
  new HotReloadDeployment(chart, name, {
    ...preset,
    image: `localhost/${name}:dev`,
    codeStorage: new HostPathStorage(chart, `${name}-code`, { path: `/srv/${name}` }),
  });
}
app.synth();
