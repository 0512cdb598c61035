import { Chart, Duration } from 'cdk8s';
import * as k8s from '../imports/k8s';
import { ChartValidations, HostPathStorage, HotReloadDeployment, HotReloadDeploymentProps, MySql, ReloadStrategy } from '../lib';
import { validationError } from './support/manifests';

// Bad input must fail at synth with a message naming the construct path, the field, the value and the fix.

function app(chart: Chart, props: Partial<HotReloadDeploymentProps> = {}, id = 'web'): HotReloadDeployment {
  return new HotReloadDeployment(chart, id, {
    image: 'python:3.12-slim',
    command: ['python3', 'app.py'],
    port: 8000,
    codeStorage: new HostPathStorage(chart, `${id}-code`, { path: `/src/${id}` }),
    ...props,
  });
}

/** A plain Deployment, as a hand-written chart would have it, with the given pod spec. */
function rawDeployment(chart: Chart, name: string, labels: Record<string, string>, spec: Partial<k8s.PodSpec> = {}): void {
  ChartValidations.addTo(chart); // what the library's constructs do for their chart
  new k8s.KubeDeployment(chart, name, {
    metadata: { name },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } } },
  });
}

const cases: [string, (chart: Chart) => void, RegExp[]][] = [
  ['name with upper case and "_"', (c) => app(c, { name: 'Web_App' }), [/\[test\/web\] name="Web_App": not a valid DNS-1123 name/, /Fix: use a name like "web-app"/]],
  ['name starting with a digit', (c) => app(c, { name: '1web' }), [/name="1web": not a valid DNS-1123 name/]],
  ['name longer than 63 characters', (c) => app(c, { name: 'a'.repeat(64) }), [/name="a{64}": not a valid DNS-1123 name .*at most 63/]],
  ['port 0', (c) => app(c, { port: 0 }), [/\[test\/web\] port=0: not a TCP port. Fix: use an integer from 1 to 65535/]],
  ['port 70000', (c) => app(c, { port: 70000 }), [/port=70000: not a TCP port/]],
  ['NodePort outside 30000-32767', (c) => app(c, { nodePort: 8080 }), [/\[test\/web\] nodePort=8080: outside the cluster's NodePort range 30000-32767. Fix: pick a port from 30000 to 32767/]],
  ['the same NodePort twice in the app', (c) => { app(c, { nodePort: 31000 }); app(c, { nodePort: 31000 }, 'api'); },
    [/\[test\/web\/Deployment\/webService\/Resource\] nodePort=31000: used by 2 Services: .*\(Service web\).*\(Service api\)/, /Fix: give each Service its own nodePort/]],
  ['relative host path', (c) => new HostPathStorage(c, 'data', { path: 'data/mysql' }),
    [/\[test\/data\/Volume\] path="data\/mysql": not an absolute path/, /Fix: give the full path, e\.g\. "\/vagrant\/data\/mysql"/]],
  ['empty host path', (c) => new HostPathStorage(c, 'data', { path: '' }), [/\[test\/data\/Volume\] path="": not an absolute path/]],
  ['host path with ".."', (c) => new HostPathStorage(c, 'data', { path: '/srv/../etc' }), [/path="\/srv\/..\/etc": contains "..". Fix: use the resolved path "\/etc"/]],
  ['watch path outside every mount', (c) => app(c, { watch: { paths: ['/srv/app'] } }),
    [/\[test\/web\] watch.paths\[0\]="\/srv\/app": outside the code mount \/code/, /Fix: watch \/code or a directory under it/]],
  ['relative watch path', (c) => app(c, { watch: { paths: ['src'] } }), [/watch.paths\[0\]="src": not an absolute path/]],
  ['code mounted over /tmp, where the supervisor keeps its state', (c) => app(c, { codeMountPath: '/tmp/code' }),
    [/codeMountPath="\/tmp\/code": collides with \/tmp/, /Fix: mount the code elsewhere/]],
  ['Service selecting another workload\'s pods (the original mysql Service)', (c) => {
    rawDeployment(c, 'mysql', { app: 'python-mysql', name: 'mysql' });
    rawDeployment(c, 'python-mysql', { app: 'python-mysql' });
    new k8s.KubeService(c, 'mysql-svc', { metadata: { name: 'mysql' }, spec: { selector: { app: 'python-mysql' }, ports: [{ port: 3306 }] } });
  }, [/\[test\/mysql-svc\] Service mysql spec.selector=\{"app":"python-mysql"\}: selects the pods of Deployment mysql and Deployment python-mysql/, /Fix: select on a label only that workload's pods carry/]],
  ['Service selecting no pods', (c) => {
    rawDeployment(c, 'web', { app: 'web' });
    new k8s.KubeService(c, 'svc', { metadata: { name: 'web' }, spec: { selector: { app: 'wbe' }, ports: [{ port: 80 }] } });
  }, [/Service web spec.selector=\{"app":"wbe"\}: selects no pods of any workload in namespace default/]],
  ['Secret neither defined nor declared external', (c) => rawDeployment(c, 'web', { app: 'web' }, {
    containers: [{ name: 'c', image: 'busybox', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-pass', key: 'pw' } } }] }],
  }), [/Deployment web spec.template.spec.containers\[c\].env\[PW\].valueFrom.secretKeyRef.name="db-pass": no Secret "db-pass" is defined in this app or declared external/,
    /Fix: .*kplus.Secret.fromSecretName\(scope, id, "db-pass"\)/]],
  ['ConfigMap neither defined nor declared external', (c) => rawDeployment(c, 'web', { app: 'web' }, { volumes: [{ name: 'cfg', configMap: { name: 'settings' } }] }),
    [/volumes\[0\].configMap.name="settings": no ConfigMap "settings" is defined/, /kplus.ConfigMap.fromConfigMapName\(scope, id, "settings"\)/]],
  ['claim neither defined nor declared external', (c) => rawDeployment(c, 'web', { app: 'web' }, { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] }),
    [/persistentVolumeClaim.claimName="data": no PersistentVolumeClaim "data" is defined/]],
  ['zero poll interval', (c) => app(c, { watch: { interval: Duration.millis(0) } }), [/\[test\/web\] watch.interval="0ms": must be longer than zero. Fix: use e.g. Duration.millis\(250\)/]],
  ['zero debounce', (c) => app(c, { watch: { debounce: Duration.seconds(0) } }), [/watch.debounce="0ms": must be longer than zero/]],
  ['zero stop grace period', (c) => app(c, { stopGracePeriod: Duration.seconds(0) }), [/stopGracePeriod="0ms": must be longer than zero/]],
  ['empty command', (c) => app(c, { command: [] }), [/\[test\/web\] command=\[\]: no program to run. Fix: give the program and its arguments/]],
  ['blank program', (c) => app(c, { command: ['  ', 'app.py'] }), [/command=\["  ","app.py"\]: no program to run/]],
  ['empty onChange command', (c) => app(c, { onChange: [{ glob: 'requirements.txt', command: ' ' }] }), [/onChange\[0\].command=" ": must be one non-empty line of shell/]],
  ['glob with white space', (c) => app(c, { watch: { include: ['my file.py'] } }), [/watch.include\[0\]="my file.py": globs match base names/, /Fix: use a base-name pattern such as "\*.py"/]],
  ['zero storage size', (c) => new HostPathStorage(c, 'data', { path: '/srv/data', storage: '0Mi' }), [/\[test\/data\] storage="0Mi": must be at least 1Mi. Fix: use e.g. "1Gi"/]],
  ['no code to mount', (c) => new HotReloadDeployment(c, 'web', { image: 'x', command: ['x'], port: 80 }), [/\[test\/web\] codeStorage=undefined: no code to mount/]],
  ['empty image', (c) => app(c, { image: ' ' }), [/\[test\/web\] image=" ": empty image reference/]],
  ['invalid env name', (c) => app(c, { env: { 'LOG-LEVEL': 'x' } }), [/env="LOG-LEVEL": not a portable environment variable name/]],
  ['bad node name for pinning', (c) => new HostPathStorage(c, 'data', { path: '/srv', nodeName: 'Kube Node' }), [/nodeName="Kube Node": not a valid node name/]],
  ['MySQL database name with "-"', (c) => new MySql(c, 'db', {
    database: 'hot-reload', credentialsSecret: 'mysql-credentials', data: new HostPathStorage(c, 'db-data', { path: '/srv/db' }),
  }), [/\[test\/db\] database="hot-reload": not a plain MySQL database name/]],
  ['onChange with the restart-container strategy, which would never run it', (c) => app(c, {
    strategy: ReloadStrategy.RESTART_CONTAINER, onChange: [{ glob: 'package.json', command: 'npm install' }],
  }), [/\[test\/web\] onChange=.*: ReloadStrategy.RESTART_CONTAINER restarts the container and runs no onChange commands. Fix: use ReloadStrategy.SUPERVISOR/]],
  ['image pull Secret neither defined nor declared external', (c) => rawDeployment(c, 'web', { app: 'web' }, { imagePullSecrets: [{ name: 'regcred' }] }),
    [/imagePullSecrets\[0\].name="regcred": no Secret "regcred" is defined/]],
  ['extra volume over the code mount', (c) => app(c, { volumes: [{ mountPath: '/code/cache', emptyDir: true }] }),
    [/\[test\/web\] volumes\[0\]\.mountPath="\/code\/cache": overlaps the code mount \/code\. Fix: mount it elsewhere/]],
  ['extra volume with two sources', (c) => app(c, { volumes: [{ mountPath: '/data', claimName: 'data', emptyDir: true }] }),
    [/\[test\/web\] volumes\[0\]=.*: must name exactly one source \(got claimName, emptyDir\)\. Fix: give one of claimName, hostPath/]],
  ['upper-case storage name', (c) => new HostPathStorage(c, 'MySQL', { path: '/srv/db' }), [/\[test\/MySQL\] name="MySQL": not a valid DNS-1123 name.*Fix: use a name like "mysql"/]],
];

test('at least 20 bad inputs are covered', () => expect(cases.length).toBeGreaterThanOrEqual(20));

test.each(cases)('%s', (_, build, expected) => {
  const message = validationError(build);
  expect(message).not.toBe('');
  expect(message).toContain('Fix:');
  for (const re of expected) expect(message).toMatch(re);
});

test('optional Secret and ConfigMap volumes need not exist', () => {
  expect(validationError((c) => rawDeployment(c, 'web', { app: 'web' }, {
    volumes: [{ name: 's', secret: { secretName: 'maybe', optional: true } }, { name: 'c', configMap: { name: 'maybe', optional: true } }],
  }))).toBe('');
});

test('a valid app passes every check', () => {
  expect(validationError((c) => {
    const db = new MySql(c, 'mysql', { database: 'app', credentialsSecret: 'mysql-credentials', data: new HostPathStorage(c, 'mysql-data', { path: '/srv/db' }) });
    app(c, { nodePort: 31000, secretEnv: { DB_PASSWORD: { secretName: 'mysql-credentials', key: 'password' } }, env: { DB_HOST: db.host() } });
  })).toBe('');
});
