import { synthChart, KubeObject } from './support/manifests';

// Readiness means "this pod can do its job" (issue 12): the app is Ready only when it can log in to
// its database and query; MySQL only when the app's account authenticates, with the password kept
// out of argv and logs.
const objects = synthChart();
const container = (deployment: string, name: string) => {
  const d = objects.find((o: KubeObject) => o.kind === 'Deployment' && o.metadata.name === deployment);
  const c = d?.spec.template.spec.containers.find((x: { name: string }) => x.name === name);
  if (!c) throw new Error(`no container ${name} in Deployment ${deployment}`);
  return c;
};

describe('app readiness', () => {
  const probe = container('python-mysql', 'app').readinessProbe;

  test('is the login+query endpoint /readyz, not the liveness-style /healthz', () => {
    expect(probe.httpGet).toEqual({ path: '/readyz', port: 3000, scheme: 'HTTP' });
  });

  test('allows more than the app\'s own 1 s database deadline', () => {
    expect(probe.timeoutSeconds).toBe(2);
    expect(probe.periodSeconds).toBe(2);
    expect(probe.failureThreshold).toBe(3);
  });
});

describe('mysql readiness', () => {
  const c = container('mysql', 'mysql');
  const cmd: string[] = c.readinessProbe.exec.command;
  const script = cmd[2];

  test('runs one sh -c script that logs in as the app user and queries its database', () => {
    expect(cmd.slice(0, 2)).toEqual(['sh', '-c']);
    expect(cmd).toHaveLength(3);
    expect(script).toMatch(/\bexec mysql --protocol=TCP --host=127\.0\.0\.1 --port=3306 /);
    expect(script).toContain('--user="$MYSQL_USER"');
    expect(script).toContain('--execute="SELECT 1" "$MYSQL_DATABASE"');
    expect(script).not.toMatch(/mysqladmin|\bping\b/); // ping passes on "access denied"
  });

  test('passes the password through the environment, never on the command line', () => {
    expect(script).toContain('MYSQL_PWD="$MYSQL_PASSWORD" exec mysql');
    expect(script).not.toMatch(/--password|\s-p\S/);
    // the variables it expands come from the credentials Secret, not from literals
    const env = Object.fromEntries(c.env.map((e: { name: string }) => [e.name, e]));
    for (const name of ['MYSQL_USER', 'MYSQL_PASSWORD']) {
      expect(env[name].valueFrom.secretKeyRef.name).toBe('mysql-credentials');
      expect(env[name].value).toBeUndefined();
    }
    expect(env.MYSQL_DATABASE.value).toBe('hotreload');
  });

  test('prints nothing on success and has its own short connect timeout', () => {
    expect(script).toMatch(/>\/dev\/null$/);
    expect(script).toContain('--connect-timeout=1');
    expect(c.readinessProbe.timeoutSeconds).toBe(2);
  });
});
