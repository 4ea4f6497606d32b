import { test } from '@playwright/test';
import path from 'node:path';
import { freshToken, startDemoExporter } from './helpers/e2e';
import { startHost } from './host/server';

test('scratch', async ({ page }) => {
  const token = freshToken();
  const exporter = await startDemoExporter(token);
  const host = await startHost({ plugins: { 'fixture-live-datasource': path.join(__dirname, 'host/fixtures/fixture-live-datasource'), 'fixture-panel': path.join(__dirname, 'host/fixtures/fixture-panel') }, datasources: [{ uid: 'fixture', type: 'fixture-live-datasource', url: exporter.url, secureJsonData: { apiToken: token } }] });
  page.on('console', (m) => m.type() === 'error' && console.log('console:', m.text().slice(0, 1500)));
  page.on('pageerror', (e) => console.log('pageerror:', e.message, e.stack?.slice(0, 1500)));
  await page.goto(host.pageUrl({ theme: 'light', queries: [{ refId: 'A', series: ['system_memory_used_bytes'] }], panel: { type: 'fixture-panel', options: { label: 'x' }, fieldConfig: { defaults: { unit: 'bytes' }, overrides: [] } } }));
  await page.waitForTimeout(4000);
  await host.close();
  await exporter.stop();
});
