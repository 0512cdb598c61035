import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { DevEnvironmentChart, DevEnvironmentChartProps } from '../../lib';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dist = require('./supervisor-from-dist.js') as {
  loadManifests(distDir: string): KubeObject[];
  supervisorFromDist(distDir: string, deployment: string): SynthesizedSupervisor;
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // Tests index into specs freely; the schema test is what checks their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
}

export interface SynthesizedSupervisor {
  script: string;
  scriptPath: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string;
}

export const REPO = path.resolve(__dirname, '..', '..');
export const DIST = path.join(REPO, 'dist');

export const loadManifests = (distDir = DIST): KubeObject[] => dist.loadManifests(distDir);
export const supervisorFromDist = (deployment: string, distDir = DIST): SynthesizedSupervisor => dist.supervisorFromDist(distDir, deployment);

/** The chart's objects, synthesized in memory. */
export function synthChart(props: DevEnvironmentChartProps = {}): KubeObject[] {
  const app = Testing.app();
  const chart = new DevEnvironmentChart(app, 'dev-environment', props);
  return Testing.synth(chart) as KubeObject[];
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
}

/** Runs the app's validations (as `cdk8s synth` does) and returns the error message, or '' if valid. */
export function validationError(build: (chart: Chart) => void): string {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  try {
    build(chart);
    app.synthYaml();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

