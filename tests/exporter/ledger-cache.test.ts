/**
 * The ledger's page cache is SQLite's 2 MB default, not better-sqlite3's 16 MB (README
 * "Performance"): a scan of a large ledger would otherwise keep ~28 MB more resident.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../exporter/src/store/ledger/open';
import { tmpDir } from '../helpers/exporter-process';

it('opens the ledger with a page cache of at most 2 MB', () => {
  const dir = tmpDir();
  const db = openDatabase(path.join(dir, 'ledger.db'), { retentionDays: 0, maxRuns: 100, maxCostRecords: 100 });
  try {
    const kib = db.pragma('cache_size', { simple: true }) as number;
    // Negative means KiB; positive would be pages.
    const bytes = kib < 0 ? -kib * 1024 : kib * (db.pragma('page_size', { simple: true }) as number);
    expect(bytes).toBeLessThanOrEqual(2000 * 1024);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
