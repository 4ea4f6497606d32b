#!/usr/bin/env node
'use strict';
// The package's bin. npm links a bin at install time only if its file exists then, and dist/ is
// built later (`npm run build`): this committed file is what `npm ci` links, so
// `npx runboard-exporter` works in a fresh clone once the exporter is built.
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('runboard-exporter: not built yet: run `npm run build` in the repository root first\n');
  process.exit(1);
}
require(cli).main();
