// The node preset as a user's chart would use it, for e2e/test-cluster.sh: one HotReloadDeployment running
// ReloadPresets.node() on the code in a hostPath directory, image localhost/node-app:dev (e2e/images), on a
// NodePort of its own (e2e/lib/cluster-e2e.sh passes 31001; the sample has 31000).
//   npx ts-node --transpile-only e2e/node-chart.ts OUTDIR CODE_DIR NODE_PORT
import { App, Chart } from 'cdk8s';
import { HostPathStorage, HostPathType, HotReloadDeployment, ImagePullPolicy, ReloadPresets, StorageAccessMode } from '../lib';

const [outdir, codePath, nodePort] = process.argv.slice(2);
if (!outdir || !codePath || !Number(nodePort)) {
  console.error('usage: node-chart.ts OUTDIR CODE_DIR NODE_PORT');
  process.exit(2);
}

const app = new App({ outdir });
const chart = new Chart(app, 'e2e-node', { namespace: 'default' });
new HotReloadDeployment(chart, 'node-app', {
  ...ReloadPresets.node({ main: 'server.js' }),
  image: 'localhost/node-app:dev',
  imagePullPolicy: ImagePullPolicy.NEVER,
  user: 10001,
  codeStorage: new HostPathStorage(chart, 'node-app-code', {
    path: codePath,
    type: HostPathType.DIRECTORY,
    accessModes: [StorageAccessMode.READ_ONLY_MANY],
  }),
  readOnlyCode: true,
  nodePort: Number(nodePort),
});
app.synth();
