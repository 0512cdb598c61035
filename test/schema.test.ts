import { readFileSync } from 'fs';
import * as path from 'path';
import Ajv, { AnySchemaObject } from 'ajv';
import addFormats from 'ajv-formats';
import { loadManifests, REPO } from './support/manifests';

// Every object in dist/ against the Kubernetes 1.33 OpenAPI definitions (the file cdk8s import uses),
// in strict mode: unknown fields are errors, as they are for `kubectl apply --validate=strict`.
const SCHEMA_FILE = path.join(REPO, 'imports', 'k8s-1.33.0.schema.json');

type Definitions = Record<string, AnySchemaObject>;

function strictDefinitions(): Definitions {
  const definitions = (JSON.parse(readFileSync(SCHEMA_FILE, 'utf-8')) as { definitions: Definitions }).definitions;
  const forbidUnknown = (s: unknown): void => {
    if (Array.isArray(s)) return s.forEach(forbidUnknown);
    if (!s || typeof s !== 'object') return;
    const o = s as AnySchemaObject;
    if (o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
    Object.values(o).forEach(forbidUnknown);
  };
  forbidUnknown(definitions);
  return definitions;
}

function definitionName(definitions: Definitions, apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const name = Object.keys(definitions).find((n) => (definitions[n]['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined)
    ?.some((g) => g.group === group && g.version === version && g.kind === kind));
  if (!name) throw new Error(`${apiVersion} ${kind} is not an API of Kubernetes 1.33`);
  return name;
}

const definitions = strictDefinitions();
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv, ['date-time', 'byte', 'double']);
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addSchema({ definitions }, 'k8s');

const objects = loadManifests();

test('dist/ holds the whole environment', () => {
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'ConfigMap/python-mysql-supervisor', 'Deployment/mysql', 'Deployment/python-mysql',
    'PersistentVolume/mysql-data', 'PersistentVolume/python-mysql-code',
    'PersistentVolumeClaim/mysql-data', 'PersistentVolumeClaim/python-mysql-code',
    'Service/mysql', 'Service/python-mysql',
  ]);
});

test.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))('%s is valid Kubernetes 1.33', (_, obj) => {
  const validate = ajv.getSchema(`k8s#/definitions/${definitionName(definitions, obj.apiVersion, obj.kind)}`)!;
  const valid = validate(obj);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
});

test('the strict schema does reject a misspelt field', () => {
  const validate = ajv.getSchema(`k8s#/definitions/${definitionName(definitions, 'v1', 'PersistentVolume')}`)!;
  expect(validate({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'x' }, spec: { hostPath: { path: '/x', typ: 'Directory' } } })).toBe(false);
  expect(JSON.stringify(validate.errors)).toContain('typ');
});

test('no password or secret value in dist/', () => {
  const text = JSON.stringify(objects);
  expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  expect(text).not.toMatch(/MYSQL_(ROOT_)?PASSWORD","value"/);
});
