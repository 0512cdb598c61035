import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-25';
import { HostPathStorage, HotReloadDeployment, ReloadPresets } from '../lib';

// The README's "Using it from another chart" example, verbatim but for the import path.
test('README example: HotReloadDeployment in another chart synthesizes and validates', () => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'readme-')) });
  const chart = new Chart(app, 'shop');

  new HotReloadDeployment(chart, 'api', {
    ...ReloadPresets.gunicorn({ app: 'shop.wsgi:application', port: 8000 }),
    image: 'localhost/shop-api:dev',
    user: 10001,                                   // numeric UID, so runAsNonRoot can be verified
    codeStorage: new HostPathStorage(chart, 'api-code', { path: '/vagrant/shop' }),
    watch: { include: ['*.py', '*.html'], interval: Duration.millis(250) },
    onChange: [{ glob: 'requirements.txt', command: 'pip install --target /tmp/deps -r requirements.txt' }],
    env: { PYTHONPATH: '/tmp/deps', DJANGO_DEBUG: '1' },
    secretEnv: { DB_PASSWORD: { secret: kplus.Secret.fromSecretName(chart, 'db', 'shop-db'), key: 'password' } },
    nodePort: 31001,
  });

  const yaml = app.synthYaml();
  expect(yaml).toContain('nodePort: 31001');
  expect(yaml).toContain('HOT_RELOAD_ON_CHANGE');
  expect(yaml).toContain('claimName: api-code');
});
