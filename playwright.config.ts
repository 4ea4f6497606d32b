/**
 * Browser end-to-end tests (tests/e2e). Projects:
 * - `host-12.4` and `host-13.2`: the plugins' built module.js in the Grafana test host
 *   (tests/e2e/host: stands in for Grafana, which cannot run on these machines) against the real
 *   exporter, once per leg of the version matrix (tests/e2e/host/legs.ts): Grafana 12.4.10 with
 *   React 18 at `/`, and 13.2.3 with React 19 under the sub-path `/grafana`. Needs only Chromium.
 * - `grafana`: @grafana/plugin-e2e specs against a real Grafana (the compose stack); every test
 *   skips when GRAFANA_URL is unset.
 * Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here.
 */
import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig } from '@playwright/test';

const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Without the background-networking flags Chromium's own connections hit this machine's closed network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  },
};

const grafanaUrl = process.env.GRAFANA_URL;

export default defineConfig<PluginOptions>({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  globalSetup: require.resolve('./tests/e2e/global-setup'),
  // Specs start real exporters and restart them: one at a time on the 2-core machines.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['html', { outputFolder: 'test-results/e2e-report', open: 'never' }]],
  use: {
    ...chromium,
    viewport: { width: 1280, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    // Every host spec on each leg; `metadata.grafanaLeg` picks the leg in startHost (host/legs.ts).
    { name: 'host-12.4', testIgnore: ['**/grafana/**'], metadata: { grafanaLeg: 'grafana-12.4' } },
    { name: 'host-13.2', testIgnore: ['**/grafana/**'], metadata: { grafanaLeg: 'grafana-13.2' } },
    {
      name: 'grafana-auth',
      testDir: 'tests/e2e/grafana',
      testMatch: /auth\.setup\.ts/,
      use: { baseURL: grafanaUrl },
    },
    {
      name: 'grafana',
      testDir: 'tests/e2e/grafana',
      testMatch: /\.spec\.ts$/,
      dependencies: ['grafana-auth'],
      use: {
        baseURL: grafanaUrl,
        // Written by plugin-e2e's login (grafana/auth.setup.ts) for GRAFANA_ADMIN_USER (default admin),
        // whose password is GRAFANA_ADMIN_PASSWORD (default admin).
        storageState: `playwright/.auth/${process.env.GRAFANA_ADMIN_USER || 'admin'}.json`,
      },
    },
  ],
});
