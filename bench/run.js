#!/usr/bin/env node
/** `npm run bench [-- --quick] [-- --only collection,sdk]`: see bench/README.md. */
'use strict';
require('./register');
require('./src/main.ts').main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
