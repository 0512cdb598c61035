import { App } from 'cdk8s';
import { DevEnvironmentChart, ReloadStrategy } from './lib';

// Overrides for other clusters (e.g. the e2e cluster's locally built images):
//   DEVENV_APP_IMAGE=... DEVENV_MYSQL_IMAGE=... DEVENV_CODE_PATH=... DEVENV_MYSQL_DATA_PATH=...
//   DEVENV_RELOAD_STRATEGY=restart-container npx cdk8s synth --output /tmp/manifests
// dist/ is always synthesized without them.
const env = process.env;
const strategy = env.DEVENV_RELOAD_STRATEGY;
if (strategy !== undefined && !Object.values<string>(ReloadStrategy).includes(strategy)) {
  throw new Error(`DEVENV_RELOAD_STRATEGY="${strategy}" is not a reload strategy. Fix: use one of ${Object.values(ReloadStrategy).join(', ')}`);
}

const app = new App();
new DevEnvironmentChart(app, 'dev-environment', {
  appImage: env.DEVENV_APP_IMAGE,
  mysqlImage: env.DEVENV_MYSQL_IMAGE,
  codePath: env.DEVENV_CODE_PATH,
  mysqlDataPath: env.DEVENV_MYSQL_DATA_PATH,
  reloadStrategy: strategy as ReloadStrategy | undefined,
});
app.synth();
