#!/usr/bin/env node
// jsii compiles lib/*.ts into build/lib; files read at run time from beside their module (the
// supervisor script and its helpers in lib/supervisor/) need their copies there too: every file in
// lib/ that is not TypeScript.
'use strict';
const fs = require('fs');
const path = require('path');

const SRC = path.join(__dirname, '..', 'lib');
const OUT = path.join(__dirname, '..', 'build', 'lib');

function copyAssets(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.name === '__pycache__' || entry.name.endsWith('.pyc')) continue;
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) {
      const to = path.join(OUT, path.relative(SRC, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}

copyAssets(SRC);
