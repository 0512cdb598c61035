// Every construct of the library, from a chart on cdk8s-plus-33 (what `cdk8s init typescript-app`
// scaffolds today): the chart's own Secret and claim are handed over by name, options as plain
// structs. It must type-check under the scaffold's tsconfig with no casts.
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-33';
import {
  ChartValidations, DevEnvironmentChart, HostPathPersistentVolume, HostPathStorage, HostPathType, HotReloadDeployment,
  ImagePullPolicy, MySql, ReloadPresets, ReloadStrategy, StorageAccessMode, StorageReclaimPolicy, SupervisorScript,
} from 'cdk8s-hot-reload';

const app = new App();
const chart = new Chart(app, 'everything', { namespace: 'shop' });

const credentials = new kplus.Secret(chart, 'db-credentials', { stringData: { 'username': 'shop', 'password': 'dev', 'root-password': 'dev' } });
const code = new kplus.PersistentVolumeClaim(chart, 'api-code', { storage: Size.gibibytes(1), accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE] });
const settings = new kplus.ConfigMap(chart, 'api-settings', { data: { 'settings.toml': 'debug = true\n' } });

const db = new MySql(chart, 'db', {
  database: 'shop',
  credentialsSecret: credentials.name,
  data: new HostPathStorage(chart, 'db-data', { path: '/var/lib/shop/db', storage: '5Gi', reclaimPolicy: StorageReclaimPolicy.RETAIN }),
  resources: { memoryLimit: '1024Mi' },
});

new HotReloadDeployment(chart, 'api', {
  ...ReloadPresets.gunicorn({ app: 'shop.wsgi:application', port: 8000 }),
  image: 'python:3.12-slim',
  imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
  codeVolume: { claimName: code.name },
  volumes: [{ mountPath: '/etc/shop', configMapName: settings.name }, { mountPath: '/var/cache/shop', emptyDir: true }],
  env: { DB_HOST: db.host('shop') },
  secretEnv: { DB_PASSWORD: { secretName: credentials.name, key: 'password' } },
  envFromSecrets: [credentials.name],
  readiness: { command: ['python3', '-c', 'import urllib.request as u; u.urlopen("http://127.0.0.1:8000/healthz")'], period: Duration.seconds(5) },
  resources: { cpuLimit: '1' },
  strategy: ReloadStrategy.SUPERVISOR,
  nodePort: 31002,
});

new HostPathPersistentVolume(chart, 'spare', { path: '/srv/spare', storage: '2Gi', accessModes: [StorageAccessMode.READ_WRITE_ONCE], type: HostPathType.DIRECTORY });
ChartValidations.addTo(chart);

new DevEnvironmentChart(app, 'dev-environment');

if (!SupervisorScript.source().startsWith('#!')) throw new Error('the installed package did not find its supervisor script');
app.synth();
