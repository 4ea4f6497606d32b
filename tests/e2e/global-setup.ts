/**
 * Playwright global setup: builds the test host's page bundle of each matrix leg when stale (tests/e2e/host/build.ts)
 * and checks the exporter is built. Building the exporter and the plugins is the caller's job
 * (`npm run build`), so a half-written plugin in the tree never gets rebuilt behind a test's back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildAllLegs } from './host/build';

export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  if (!fs.existsSync(path.join(root, 'exporter/dist/cli.js'))) {
    throw new Error('exporter/dist/cli.js is missing: build the exporter first (npx tsc -p exporter, or npm run build)');
  }
  buildAllLegs();
}
