#!/usr/bin/env node
/** `npm run bench [-- --quick] [-- --only collection,sdk]`: see bench/README.md. */
'use strict';
const { execSync, spawnSync } = require('node:child_process');

// 10k stream clients need ~10k descriptors on each side. When the soft limit is lower and the
// hard limit allows more, run the whole bench again under a raised soft limit (children inherit it).
const WANTED = 20_480;
if (process.platform === 'linux' && !process.env.BENCH_ULIMIT_RAISED) {
  try {
    const soft = Number(execSync('ulimit -Sn', { encoding: 'utf8', shell: '/bin/sh' }).trim());
    const hardText = execSync('ulimit -Hn', { encoding: 'utf8', shell: '/bin/sh' }).trim();
    const hard = hardText === 'unlimited' ? Infinity : Number(hardText);
    const target = Math.min(hard, WANTED);
    if (Number.isFinite(soft) && soft < 10_240 && target > soft) {
      const r = spawnSync('/bin/sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, __filename, ...process.argv.slice(2)], {
        stdio: 'inherit',
        env: { ...process.env, BENCH_ULIMIT_RAISED: '1' },
      });
      process.exit(r.status ?? 1);
    }
  } catch {
    // No shell or no ulimit: go on; the SSE benchmark reports the limit it found.
  }
}

require('./register');
require('./src/main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code ?? 0),
    (err) => {
      console.error(err && err.stack ? err.stack : String(err));
      process.exit(1);
    },
  );
