#!/usr/bin/env node
// Runs the compiled CLI (npm install builds dist/ through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('tugboat is not built yet: run `npm install` (or `npm run build`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(entry).main();
