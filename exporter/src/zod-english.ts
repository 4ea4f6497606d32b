/**
 * zod's classic entry (`import { z } from 'zod'`) requires all of its ~60 locales when it loads,
 * for `z.locales`; its messages come from `en` whatever is loaded. The exporter's messages are
 * English and it never reads `z.locales`, so the standalone exporter (cli.ts imports this first)
 * gives zod a locales index that holds only `en`: ~1.2 MB of heap and ~4 MB of RSS less
 * (bench/README.md change 16), as webpack users drop moment's locales. The SDK never imports
 * this: inside a user's app `z.locales` stays whole.
 *
 * If zod's layout is not the one expected (another version), nothing is replaced.
 */
import Module from 'node:module';

function englishOnly(): void {
  let index: string;
  let en: unknown;
  try {
    index = require.resolve('zod/v4/locales');
    // What the real index exports as `en` (the module, or its default export).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('zod/v4/locales/en.cjs') as unknown;
    en = typeof mod === 'function' ? mod : (mod as { default?: unknown } | null)?.default;
  } catch {
    return;
  }
  if (typeof en !== 'function' || require.cache[index] !== undefined) return;
  const m = new Module(index);
  m.filename = index;
  m.loaded = true;
  m.exports = Object.freeze(Object.defineProperty({ en }, '__esModule', { value: true }));
  require.cache[index] = m;
}

englishOnly();
