/**
 * The standalone exporter loads only zod's English locale (exporter/src/zod-english.ts); the SDK
 * entry leaves zod whole, since it runs inside the user's app. Checked in fresh Node processes
 * on the built exporter, by what each one has loaded.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const DIST = path.resolve(__dirname, '../../exporter/dist');

/** Runs `script` in a fresh node from the exporter package (so `zod` resolves as it does there). */
function inNode(script: string, args: string[] = []): string {
  return execFileSync(process.execPath, [...args, '-e', script], { cwd: path.dirname(DIST), encoding: 'utf8' });
}

const LOADED_LOCALES = 'Object.keys(require.cache).filter((k) => /[\\\\/]zod[\\\\/]v4[\\\\/]locales[\\\\/]/.test(k)).map((k) => path.basename(k)).sort()';

describe('zod locales', () => {
  it('the CLI loads only the English locale, and zod still validates with its English messages', () => {
    const out = inNode(
      `const path = require('node:path');
       require(${JSON.stringify(path.join(DIST, 'cli.js'))});
       const { z } = require('zod');
       const r = z.object({ n: z.number().min(3) }).safeParse({ n: 1 });
       console.log(JSON.stringify({ locales: ${LOADED_LOCALES}, message: r.error.issues[0].message, keys: Object.keys(z.locales) }));`,
    );
    expect(JSON.parse(out)).toEqual({ locales: ['en.cjs', 'index.cjs'], message: 'Too small: expected number to be >=3', keys: ['en'] });
  });

  it('the SDK entry leaves zod whole', () => {
    const out = inNode(
      `const path = require('node:path');
       require(${JSON.stringify(path.join(DIST, 'index.js'))});
       const { z } = require('zod');
       console.log(JSON.stringify({ count: ${LOADED_LOCALES}.length, de: typeof z.locales.de }));`,
    );
    const got = JSON.parse(out) as { count: number; de: string };
    expect(got.de).toBe('function');
    expect(got.count).toBeGreaterThan(50);
  });
});
