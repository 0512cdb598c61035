import { Chart, Duration, Testing } from 'cdk8s';
import { HostPathStorage, HotReloadDeployment, HotReloadDeploymentProps, ReloadPresets, ReloadStrategy, SupervisorScript } from '../lib';
import { find, KubeObject, loadManifests } from './support/manifests';

function synth(props: Partial<HotReloadDeploymentProps> = {}, chart = new Chart(Testing.app(), 'test')): KubeObject[] {
  new HotReloadDeployment(chart, 'web', {
    ...ReloadPresets.node({ port: 8080 }),
    image: 'node:22-slim',
    codeStorage: new HostPathStorage(chart, 'web-code', { path: '/src/web' }),
    ...props,
  });
  return Testing.synth(chart) as KubeObject[];
}

const container = (objects: KubeObject[]) => find(objects, 'Deployment', 'web').spec.template.spec.containers[0];
const env = (objects: KubeObject[]) => Object.fromEntries(container(objects).env.map((e: { name: string; value?: string }) => [e.name, e.value]));

describe('HotReloadDeployment', () => {
  test('runs the command under the supervisor, shipped read-only in a ConfigMap', () => {
    const objects = synth();
    expect(container(objects).command).toEqual(['/bin/sh', '/hot-reload/supervisor.sh', 'supervise', '--', 'node', '/hot-reload/node-reload.cjs', 'index.js']);
    expect(find(objects, 'ConfigMap', 'web-supervisor').data).toEqual({
      'supervisor.sh': SupervisorScript.source(), 'node-reload.cjs': SupervisorScript.file('node-reload.cjs'),
    });
    expect(container(objects).volumeMounts).toEqual(expect.arrayContaining([
      { mountPath: '/hot-reload', name: 'hot-reload-supervisor', readOnly: true },
      { mountPath: '/code', name: 'code' },
      { mountPath: '/tmp', name: 'tmp' },
    ]));
    expect(container(objects).workingDir).toBe('/code');
  });

  test('passes the watch settings to the supervisor', () => {
    const objects = synth({
      watch: { paths: ['/code/src'], include: ['*.js', '*.json'], exclude: ['node_modules'], interval: Duration.millis(500), debounce: Duration.millis(200), maxInterval: Duration.seconds(2) },
      onChange: [{ glob: 'package.json', command: 'npm install' }, { glob: '*.proto', command: 'make protos' }],
      stopGracePeriod: Duration.seconds(4),
    });
    expect(env(objects)).toMatchObject({
      HOT_RELOAD_WATCH: '/code/src', HOT_RELOAD_INCLUDE: '*.js *.json package.json *.proto', HOT_RELOAD_EXCLUDE: 'node_modules',
      HOT_RELOAD_INTERVAL: '0.5', HOT_RELOAD_MAX_INTERVAL: '2', HOT_RELOAD_DEBOUNCE: '0.2', HOT_RELOAD_GRACE: '4', HOT_RELOAD_STATE_DIR: '/tmp/hot-reload',
      HOT_RELOAD_ON_CHANGE: 'package.json npm install\n*.proto make protos',
    });
    // The kubelet waits one second longer than the supervisor, so the supervisor's KILL comes first.
    expect(find(objects, 'Deployment', 'web').spec.template.spec.terminationGracePeriodSeconds).toBe(5);
  });

  test('a grace period in milliseconds still gives whole seconds to the kubelet', () => {
    const objects = synth({ stopGracePeriod: Duration.millis(2500) });
    expect(env(objects).HOT_RELOAD_GRACE).toBe('2.5');
    expect(find(objects, 'Deployment', 'web').spec.template.spec.terminationGracePeriodSeconds).toBe(4);
  });

  test('the files of onChange triggers are watched even when not included', () => {
    const objects = synth({ watch: { include: ['*.js'] }, onChange: [{ glob: 'package.json', command: 'npm install' }] });
    expect(env(objects).HOT_RELOAD_INCLUDE).toBe('*.js package.json');
  });

  test('keeps cdk8s-plus secure defaults: non-root, read-only root filesystem, no privilege escalation', () => {
    expect(container(synth({ user: 1000 })).securityContext).toEqual({
      allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000,
    });
  });

  test('env, env from Secret keys, envFrom Secrets and a NodePort Service selecting only its pods', () => {
    const chart = new Chart(Testing.app(), 'test');
    const objects = synth({
      env: { LOG_LEVEL: 'debug' },
      secretEnv: { API_TOKEN: { secretName: 'tokens', key: 'api' } },
      envFromSecrets: ['more-settings'],
      nodePort: 30080,
    }, chart);
    const c = container(objects);
    expect(c.env).toEqual(expect.arrayContaining([
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'tokens', key: 'api' } } },
    ]));
    expect(c.envFrom).toEqual([{ secretRef: { name: 'more-settings' } }]);
    const svc = find(objects, 'Service', 'web');
    expect(svc.spec).toMatchObject({ type: 'NodePort', ports: [{ port: 8080, targetPort: 8080, nodePort: 30080 }] });
    const podLabels = find(objects, 'Deployment', 'web').spec.template.metadata.labels;
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(podLabels[k]).toBe(v);
  });

  test('more volumes by plain description: claim, host path, ConfigMap and Secret (read-only), emptyDir', () => {
    const objects = synth({
      volumes: [
        { mountPath: '/data', claimName: 'uploads' },
        { mountPath: '/srv/shared', hostPath: '/var/shared', readOnly: true },
        { mountPath: '/etc/app', configMapName: 'settings' },
        { mountPath: '/run/secrets/app', secretName: 'tokens' },
        { mountPath: '/cache', emptyDir: true },
      ],
    });
    const pod = find(objects, 'Deployment', 'web').spec.template.spec;
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(['code', 'hot-reload-supervisor', 'tmp', 'volume-0', 'volume-1', 'volume-2', 'volume-3', 'volume-4']);
    expect(pod.volumes.slice(3)).toEqual([
      { name: 'volume-0', persistentVolumeClaim: { claimName: 'uploads' } },
      { name: 'volume-1', hostPath: { path: '/var/shared', type: 'DirectoryOrCreate' } },
      { name: 'volume-2', configMap: { name: 'settings' } },
      { name: 'volume-3', secret: { secretName: 'tokens' } },
      { name: 'volume-4', emptyDir: {} },
    ]);
    expect(pod.containers[0].volumeMounts.slice(3)).toEqual([
      { mountPath: '/data', name: 'volume-0' },
      { mountPath: '/srv/shared', name: 'volume-1', readOnly: true },
      { mountPath: '/etc/app', name: 'volume-2', readOnly: true },
      { mountPath: '/run/secrets/app', name: 'volume-3', readOnly: true },
      { mountPath: '/cache', name: 'volume-4' },
    ]);
  });

  test('RESTART_CONTAINER: baseline at start, liveness probe fails on a change', () => {
    const c = container(synth({ strategy: ReloadStrategy.RESTART_CONTAINER, watch: { interval: Duration.seconds(2) } }));
    expect(c.command.slice(0, 4)).toEqual(['/bin/sh', '/hot-reload/supervisor.sh', 'baseline', '--']);
    expect(c.livenessProbe).toMatchObject({ exec: { command: ['/bin/sh', '/hot-reload/supervisor.sh', 'probe'] }, periodSeconds: 2, failureThreshold: 1 });
  });

  test('SUPERVISOR has no liveness probe, so a crashed app is never restarted by the kubelet', () => {
    expect(container(synth()).livenessProbe).toBeUndefined();
  });

  test('presets are plain commands', () => {
    expect(ReloadPresets.gunicorn({ app: 'app:app', port: 3000, workers: 3 }).command).toEqual(['gunicorn', '--bind', '0.0.0.0:3000', '--workers', '3', 'app:app']);
    expect(ReloadPresets.node({ main: 'server.js' }).command).toEqual(['node', '/hot-reload/node-reload.cjs', 'server.js']);
  });
});

describe('dist/ app', () => {
  const objects = loadManifests();
  const app = find(objects, 'Deployment', 'python-mysql').spec.template.spec;

  test('the app gets the env names it reads; passwords only from the Secret', () => {
    const byName = Object.fromEntries(app.containers[0].env.map((e: { name: string }) => [e.name, e]));
    expect(byName.MYSQL_TCP_ADDR.value).toBe('mysql.default.svc');
    expect(byName.MYSQL_TCP_PORT.value).toBe('3306');
    expect(byName.MYSQL_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'mysql-credentials', key: 'password' });
    expect(byName.MYSQL_USERNAME.valueFrom.secretKeyRef).toEqual({ name: 'mysql-credentials', key: 'username' });
  });

  test('served on NodePort 31000, short grace period, code mounted read-only', () => {
    expect(find(objects, 'Service', 'python-mysql').spec.ports[0].nodePort).toBe(31000);
    expect(app.terminationGracePeriodSeconds).toBeLessThanOrEqual(5);
    expect(app.containers[0].volumeMounts).toContainEqual({ mountPath: '/code', name: 'code', readOnly: true });
  });

  test('MySQL: one writer, its own selector, ready when the server answers', () => {
    const mysql = find(objects, 'Deployment', 'mysql');
    expect(mysql.spec.strategy).toEqual({ type: 'Recreate' });
    expect(mysql.spec.replicas).toBe(1);
    expect(mysql.spec.template.spec.containers[0].readinessProbe.exec.command.join(' ')).toMatch(/\bmysql(admin)?\b.*(\bping\b|SELECT 1)/);
    const selector = find(objects, 'Service', 'mysql').spec.selector;
    const appLabels = find(objects, 'Deployment', 'python-mysql').spec.template.metadata.labels;
    expect(Object.entries(selector).every(([k, v]) => appLabels[k] === v)).toBe(false);
  });
});
