#!/usr/bin/env node
// Regenerates imports/k8s.ts offline with cdk8s-cli's own code generator.
//
// `cdk8s import k8s@1.33.0` downloads _definitions.json from GitHub, which this
// environment cannot reach. We run the very same importer, but serve that URL
// from the copy of that file committed as imports/k8s-1.33.0.schema.json (the schema tests
// validate dist/ against the same file).
// With internet access, `npx cdk8s import k8s@1.33.0 --language typescript`
// produces the same file.
'use strict';
const fs = require('fs');
const path = require('path');
// The importer is not in cdk8s-cli's public "exports", so load it by file path.
const cliDir = path.dirname(require.resolve('cdk8s-cli/package.json'));
const util = require(path.join(cliDir, 'lib', 'util'));
const { importDispatch } = require(path.join(cliDir, 'lib', 'import', 'dispatch'));

const K8S_VERSION = '1.33.0';
const root = path.resolve(__dirname, '..');
const schemaFile = path.resolve(
  process.env.K8S_SCHEMA_FILE ?? path.join(root, 'imports', `k8s-${K8S_VERSION}.schema.json`),
);

if (!fs.existsSync(schemaFile)) {
  console.error(`import-k8s: schema not found at ${schemaFile}.\n` +
    'Set K8S_SCHEMA_FILE to a copy of kubernetes-schemas/v1.33.0/_definitions.json, ' +
    `or run "npx cdk8s import k8s@${K8S_VERSION} --language typescript" with internet access.`);
  process.exit(1);
}

const download = util.download;
util.download = async (url) => {
  if (url.endsWith(`/v${K8S_VERSION}/_definitions.json`)) {
    return fs.readFileSync(schemaFile, 'utf-8');
  }
  return download(url);
};

importDispatch([{ source: `k8s@${K8S_VERSION}` }], {}, {
  outdir: path.join(root, 'imports'),
  targetLanguage: 'typescript',
  save: false,
}).catch((err) => {
  console.error(`import-k8s: ${err.stack ?? err}`);
  process.exit(1);
});
