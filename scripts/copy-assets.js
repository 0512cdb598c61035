#!/usr/bin/env node
// jsii compiles lib/*.ts into build/lib; the supervisor script is read at run time from beside its
// module (lib/supervisor/supervisor.sh), so the compiled package needs its copy there too.
'use strict';
const fs = require('fs');
const path = require('path');

const SRC = path.join(__dirname, '..', 'lib');
const OUT = path.join(__dirname, '..', 'build', 'lib');

function copyShellScripts(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copyShellScripts(from);
    else if (entry.name.endsWith('.sh')) {
      const to = path.join(OUT, path.relative(SRC, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}

copyShellScripts(SRC);
