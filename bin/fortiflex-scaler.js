#!/usr/bin/env node
'use strict';
// Entry shim: run the compiled CLI (built by `npm ci` through the prepare script).
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('fortiflex-scaler: not built yet; run `npm run build` first\n');
  process.exit(1);
}
require(compiled)
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`fortiflex-scaler: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
