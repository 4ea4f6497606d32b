/**
 * Accessibility of the Runboard panel's built module.js in the Grafana test host (both legs of the
 * version matrix): an automated WCAG 2.1 AA check (axe) of both views — the cards, the console, the
 * console as a Viewer — in the light and the dark theme, and the console used with the keyboard
 * only (pick a command, fill a parameter, run, cancel).
 *
 * axe looks only at the plugin's own DOM (the content box the host gives the panel), not at the
 * host page around it, which stands in for Grafana's chrome.
 *
 * Build first: `npm run build` (exporter and both plugins).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { RunningExporter } from '../helpers/exporter-process';
import { expectHostBooted, expectPluginsBuilt, exporterJson, freshToken, startDemoExporter, startRunboardHost, waitForSeries, watchErrors } from './helpers/e2e';
import { cardsPanel, consolePanel, exporterPost, type ExporterRun } from './helpers/panel';
import type { RunningHost } from './host/server';
import type { HostQuery, ThemeMode } from './host/src/types';

const DS_PLUGIN = 'runboard-live-datasource';
const PANEL_PLUGIN = 'runboard-console-panel';
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** The plugin's content box inside the host's panel frame (the frame's title is the host's). */
const PANEL_ROOT = '[data-testid="panel"] > div';
const THEMES: ThemeMode[] = ['light', 'dark'];
/** Series whose cards show each threshold state's colours and a unit. */
const SERIES = ['actions_per_minute', 'action_success_ratio', 'event_queue_depth', 'llm_cost_usd_per_hour'];
const LIVE: HostQuery = { refId: 'A', queryType: 'live', series: SERIES };

let exporter: RunningExporter;
let host: RunningHost;
const token = freshToken();

test.use({ viewport: { width: 1280, height: 1000 } });

test.beforeAll(async () => {
  expectPluginsBuilt();
  exporter = await startDemoExporter(token);
  await waitForSeries(exporter, SERIES);
  host = await startRunboardHost(exporter, token, [DS_PLUGIN, PANEL_PLUGIN]);
});

test.afterAll(async () => {
  await host?.close();
  await exporter?.stop();
});

/** axe's findings, one readable line per offending element, for the failure message. */
async function wcagViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(PANEL_ROOT).withTags(WCAG_21_AA).analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n    element: ${n.target.join(' ')}\n    ${n.failureSummary?.replace(/\n/g, '\n    ') ?? ''}`),
  );
}

async function openCards(page: Page, theme: ThemeMode): Promise<void> {
  await page.goto(host.pageUrl({ theme, datasource: 'runboard', queries: [LIVE], queryEditor: false, panel: cardsPanel({ width: 1200, height: 400, cards: { columns: 2 } }) }));
  await expectHostBooted(page);
  await expect(page.getByTestId('panel-state')).toHaveText('Streaming');
  await expect(page.getByTestId('runboard-card')).toHaveCount(SERIES.length);
  // Every card shows its value (not the loading placeholder) before axe looks at the colours.
  for (const value of await page.getByTestId('runboard-card-value').all()) await expect(value).toHaveText(/\d/);
}

async function openConsole(page: Page, theme: ThemeMode, opts: { role?: 'Viewer'; history?: boolean } = {}): Promise<void> {
  const panel = consolePanel({ width: 1200, height: 1100, console: { historyPageSize: 5 } });
  await page.goto(host.pageUrl({ role: opts.role, theme, datasource: 'runboard', queries: [], queryEditor: false, panel }));
  await expectHostBooted(page);
  await expect(page.getByTestId('runboard-console')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Commands' }).getByRole('button')).toHaveCount(3);
  // The history has loaded (it lists runs, or says there are none).
  if (opts.history !== false) await expect(page.getByTestId('runboard-history-row').first()).toBeVisible();
  else await expect(page.getByTestId('runboard-run-history').getByRole('table').or(page.getByText('No runs yet.'))).toBeVisible();
}

const runView = (page: Page) => page.getByTestId('runboard-run-view');
const runStatus = (page: Page) => runView(page).getByTestId('runboard-run-status');

for (const theme of THEMES) {
  test(`cards pass WCAG 2.1 AA (${theme} theme)`, async ({ page }) => {
    const errors = watchErrors(page);
    await openCards(page, theme);
    expect((await wcagViolations(page)).join('\n')).toBe('');
    expect(errors).toEqual([]);
  });

  test(`console as an Editor passes WCAG 2.1 AA, with a finished run shown (${theme} theme)`, async ({ page }) => {
    const errors = watchErrors(page);
    // A finished run, so the history, the run view, its facts and its output are all on the page.
    const run = await exporterPost<ExporterRun>(exporter, '/api/v1/commands/sample-task/runs', { parameters: { steps: 2, delay_ms: 0, topic: 'a11y' }, startedBy: 'e2e' });
    await expect.poll(async () => (await exporterJson<ExporterRun>(exporter, `/api/v1/runs/${run.id}`)).status).toBe('finished');
    await openConsole(page, theme);
    await page
      .getByRole('list', { name: 'Commands' })
      .getByRole('button', { name: /^Sample AI task/ })
      .click();
    await expect(page.getByTestId('runboard-parameter-form')).toBeVisible();
    await page.getByTitle(`Show the output of run ${run.id}`).click();
    await expect(runStatus(page)).toHaveText('Succeeded');
    await expect(runView(page).getByTestId('runboard-run-output').locator('[data-stream]').last()).toHaveText('sample-task: done');
    expect((await wcagViolations(page)).join('\n')).toBe('');
    expect(errors).toEqual([]);
  });

  test(`console as a Viewer passes WCAG 2.1 AA, with a running run shown (${theme} theme)`, async ({ page }) => {
    const errors = watchErrors(page);
    const long = await exporterPost<ExporterRun>(exporter, '/api/v1/commands/sample-task/runs', {
      parameters: { steps: 50, delay_ms: 2000, topic: 'a11y viewer' },
      startedBy: 'e2e',
    });
    try {
      await openConsole(page, theme, { role: 'Viewer' });
      await expect(page.getByTestId('host-role')).toHaveText('Viewer');
      await expect(page.getByRole('note')).toContainText('Read-only');
      await page.getByTitle(`Show the output of run ${long.id}`).click();
      await expect(runStatus(page)).toHaveText('Running');
      // The disabled Cancel of a Viewer is on the page, and so is the read-only form.
      await expect(runView(page).getByRole('button', { name: 'Cancel' })).toHaveAttribute('aria-disabled', 'true');
      await expect(runView(page).getByTestId('runboard-run-output').locator('[data-stream]').first()).toBeVisible();
      expect((await wcagViolations(page)).join('\n')).toBe('');
    } finally {
      await exporterPost(exporter, `/api/v1/runs/${long.id}/cancel`).catch(() => undefined);
    }
    expect(errors).toEqual([]);
  });
}

/** What has the keyboard focus: its tag, role, accessible name bits and test id. */
function focused(page: Page): Promise<{ tag: string; text: string; label: string; testid: string; name: string; outline: boolean; chain: string } | null> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    // Visible focus: a visible outline or a box-shadow ring (Grafana's focus styles are either) on the
    // element or, for composite inputs such as Grafana's Select, on its wrapper a few levels up.
    const ring = (node: Element) => {
      const style = getComputedStyle(node);
      const visibleOutline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 && !/rgba\(.*,\s*0\)|transparent/.test(style.outlineColor);
      return visibleOutline || (style.boxShadow !== 'none' && style.boxShadow !== '');
    };
    let outline = false;
    const chain: string[] = [];
    for (let n: Element | null = el, up = 0; n && up < 6 && !outline; n = n.parentElement, up++) {
      outline = ring(n);
      chain.push(`${n.tagName}.${n.className}: ${getComputedStyle(n).outline} / ${getComputedStyle(n).boxShadow}`);
    }
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent ?? '').trim(),
      label: el.getAttribute('aria-label') ?? '',
      testid: el.closest('[data-testid]')?.getAttribute('data-testid') ?? '',
      name: el.getAttribute('name') ?? el.id ?? '',
      outline,
      chain: chain.join(' | '),
    };
  });
}

/** Presses `key` until `target` has the focus (at most `max` presses); every stop has a visible focus ring. */
async function pressUntilFocused(page: Page, key: string, target: Locator, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(key);
    const f = await focused(page);
    if (f && (await page.locator(PANEL_ROOT).evaluate((root) => root.contains(document.activeElement)))) {
      expect(f.outline, `focus ring on ${JSON.stringify(f)}`).toBe(true);
    }
  }
  throw new Error(`${key} × ${max} never reached ${target.toString()}; focus on ${JSON.stringify(await focused(page))}`);
}

test('console with the keyboard only: pick a command, fill a parameter, run, see output, cancel', async ({ page }) => {
  const errors = watchErrors(page);
  await openConsole(page, 'dark', { history: false });
  const runsBefore = (await exporterJson<{ runs: ExporterRun[] }>(exporter, '/api/v1/runs?limit=100')).runs.length;
  // Start from the top of the page, as a keyboard user arriving on it does.
  await page.locator('body').focus();
  const sample = page.getByRole('list', { name: 'Commands' }).getByRole('button', { name: /^Sample AI task/ });
  await pressUntilFocused(page, 'Tab', sample);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Sample AI task', exact: true })).toBeVisible();

  // Into the form: the steps and delay fields, typed into.
  const steps = page.getByTestId('runboard-parameter-steps').locator('input');
  await pressUntilFocused(page, 'Tab', steps);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('50');
  const delay = page.getByTestId('runboard-parameter-delay_ms').locator('input');
  await pressUntilFocused(page, 'Tab', delay);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('2000');
  await expect(steps).toHaveValue('50');
  await expect(delay).toHaveValue('2000');

  // Run: reached with Tab, pressed with Space.
  const run = page.getByRole('button', { name: 'Run', exact: true });
  await pressUntilFocused(page, 'Tab', run);
  await page.keyboard.press('Space');
  await expect(runStatus(page)).toHaveText('Running');
  await expect(runView(page).getByTestId('runboard-run-output').locator('[data-stream]').first()).toHaveText(/sample-task: 50 steps/);
  const [started] = (await exporterJson<{ runs: ExporterRun[] }>(exporter, '/api/v1/runs?limit=100')).runs;
  expect(started).toMatchObject({ command: 'sample-task', status: 'running', parameters: { steps: 50, delay_ms: 2000 }, startedBy: 'grafana:editor' });
  expect((await exporterJson<{ runs: ExporterRun[] }>(exporter, '/api/v1/runs?limit=100')).runs.length).toBe(runsBefore + 1);

  // Cancel: in the run view, after the form; reached with Tab (or back with Shift+Tab) and pressed with Enter.
  const cancel = runView(page).getByRole('button', { name: 'Cancel' });
  const cancelAfterRun = await page.evaluate(() => {
    const buttons = Array.from(document.querySelectorAll('button'));
    const runIdx = buttons.findIndex((b) => b.textContent?.trim() === 'Run');
    const cancelIdx = buttons.findIndex((b) => b.textContent?.trim() === 'Cancel');
    return cancelIdx > runIdx;
  });
  await pressUntilFocused(page, cancelAfterRun ? 'Tab' : 'Shift+Tab', cancel);
  await page.keyboard.press('Enter');
  await expect(runStatus(page)).toHaveText('Cancelled', { timeout: 10_000 });
  const [cancelled] = (await exporterJson<{ runs: ExporterRun[] }>(exporter, '/api/v1/runs?limit=100')).runs;
  expect(cancelled).toMatchObject({ id: started.id, status: 'finished', outcome: 'cancelled' });
  // Cancel is gone: the focus is not lost to the page's body but on Re-run, where Cancel was.
  await expect(cancel).toHaveCount(0);
  await expect(runView(page).getByRole('button', { name: 'Re-run' })).toBeFocused();
  expect((await focused(page))?.outline).toBe(true);
  expect(errors).toEqual([]);
});
