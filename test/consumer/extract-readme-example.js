#!/usr/bin/env node
// Writes the README's library example, byte for byte, to the file given: the TypeScript block that
// follows the "consumer-example" marker in README.md. The consumer suite runs exactly that.
'use strict';
const fs = require('fs');
const path = require('path');

const MARKER = '<!-- consumer-example';
const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf-8');
const at = readme.indexOf(MARKER);
if (at < 0) throw new Error(`README.md has no "${MARKER} -->" line before its library example`);
const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
if (!block) throw new Error('README.md: no ```ts block after the consumer-example marker');
fs.writeFileSync(process.argv[2], block[1]);
