/**
 * The Runboard console panel's built `dist/module.js` in Chromium, with the datasource plugin's
 * built module.js, against the real exporter with `--demo`.
 *
 * The page is the Grafana TEST HOST (tests/e2e/host), which stands in for Grafana because no
 * Grafana can run on these machines: it loads both plugins the way Grafana does (AMD, Grafana's
 * shared modules from the real npm packages), renders the panel with the query data and field
 * config applied, and proxies the datasource's requests by the routes of its built plugin.json,
 * with the signed-in user's role (Editor, or Viewer per page). The same flows against a real
 * Grafana are in tests/e2e/grafana/panel.spec.ts.
 *
 * Screenshots of both views in both themes are test artifacts and are copied to docs/screenshots/
 * for the README.
 *
 * Build first: `npm run build` (exporter and both plugins).
 */
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningExporter } from '../helpers/exporter-process';
import { expectHostBooted, expectPluginsBuilt, exporterJson, freshToken, startDemoExporter, startRunboardHost, waitForSeries, watchErrors } from './helpers/e2e';
import { cardsPanel, checkTags, consolePanel, exporterPost, panelScreenshot, tagElements, tooltipOf, type ExporterRun, type ExporterTemplate } from './helpers/panel';
import { REPO_ROOT, type RunningHost } from './host/server';
import type { HostPanelConfig, HostQuery, ThemeMode } from './host/src/types';

const DS_PLUGIN = 'runboard-live-datasource';
const PANEL_PLUGIN = 'runboard-console-panel';
/** A wide dashboard panel: nine large cards in three columns fit it without scrolling. */
const CARDS_SIZE = { width: 1200, height: 580 };
/** The console as a dashboard panel: it scrolls inside (the form and history are taller). */
const CONSOLE_SIZE = { width: 1200, height: 700 };
/** Tall enough for the whole console (commands, form, run, a history page of 5): the pictures show all of it. */
const CONSOLE_FULL_HEIGHT = 1100;
const FULL_CONSOLE = { height: CONSOLE_FULL_HEIGHT, console: { historyPageSize: 5 } };

type HigherIs = 'good' | 'bad' | 'neutral';
interface CardSpec {
  field: string;
  title: string;
  higherIs: HigherIs;
  /**
   * Where Warning and where Critical start, read upwards (the base step is Normal); when higher is
   * good, read downwards: [20, 5] is Normal from 20 up, Warning from 5, Critical below 5.
   */
  steps: [number, number];
  unit?: string;
  /** The value as Grafana formats it with the series' unit. */
  text: RegExp;
}
/** What a dashboard author would put on a "Now" row: titles, thresholds and which way is good. */
const CARDS: CardSpec[] = [
  { field: 'actions_per_minute', title: 'Actions / min', higherIs: 'good', steps: [20, 5], text: /^\d+(\.\d+)?\s?ops\/m$/ },
  { field: 'action_success_ratio', title: 'Action success', higherIs: 'good', steps: [0.97, 0.9], text: /^\d+(\.\d+)?%$/ },
  { field: 'action_duration_p95_seconds', title: 'Action p95 duration', higherIs: 'bad', steps: [5, 10], text: /^\d+(\.\d+)?\s?(ms|s)$/ },
  { field: 'event_queue_depth', title: 'Event queue', higherIs: 'bad', steps: [40, 100], text: /^\d+(\.\d+)?$/ },
  { field: 'llm_cost_usd_per_hour', title: 'LLM spend / hour', higherIs: 'bad', steps: [25, 100], text: /^\$\d+(\.\d+)?$/ },
  { field: 'llm_tokens_per_hour', title: 'LLM tokens / hour', higherIs: 'neutral', steps: [20e6, 50e6], unit: 'short', text: /^\d+(\.\d+)?\s?(K|Mil)$/ },
  { field: 'llm_latency_p95_seconds', title: 'LLM p95 latency', higherIs: 'bad', steps: [3, 6], text: /^\d+(\.\d+)?\s?(ms|s)$/ },
  { field: 'system_cpu_usage_ratio', title: 'CPU', higherIs: 'bad', steps: [0.75, 0.9], text: /^\d+(\.\d+)?%$/ },
  // The exporter runs on this machine: its memory series is this machine's.
  {
    field: 'system_memory_used_bytes',
    title: 'Memory used',
    higherIs: 'bad',
    steps: [Math.round(os.totalmem() * 0.8), Math.round(os.totalmem() * 0.92)],
    text: /^\d+(\.\d+)?\s?(MiB|GiB)$/,
  },
];
const LIVE: HostQuery = { refId: 'A', queryType: 'live', series: CARDS.map((c) => c.field) };
const LEVEL_ICON: Record<string, string> = { Normal: 'check-circle', Warning: 'exclamation-triangle', Critical: 'exclamation-circle' };
const ARROW_ICON: Record<string, string> = { up: 'arrow-up', down: 'arrow-down', flat: 'arrow-right' };
/**
 * Which icon an SVG on the page shows, by its drawing (the path of Grafana's icon file), not by its
 * data-testid: when Grafana's Icon changes name, the attribute changes at once while the drawing is
 * still the previous icon's until the new file is loaded.
 */
const ICON_BY_PATH: Record<string, string> = Object.fromEntries(
  [...Object.values(LEVEL_ICON), ...Object.values(ARROW_ICON)].map((name) => {
    const svg = fs.readFileSync(path.join(REPO_ROOT, 'node_modules/@grafana/ui/dist/public/img/icons/unicons', `${name}.svg`), 'utf8');
    return [/<path d="([^"]+)"/.exec(svg)![1], name];
  }),
);
const VIEWER_REASON = 'Your role in this organization is Viewer. Running, cancelling and saving templates needs the Editor or Admin role.';

let exporter: RunningExporter;
let exporterStartedAt = 0;
let host: RunningHost;
const token = freshToken();

test.use({ viewport: { width: 1280, height: 1000 } });

test.beforeAll(async () => {
  expectPluginsBuilt();
  exporter = await startDemoExporter(token);
  exporterStartedAt = Date.now();
  await waitForSeries(
    exporter,
    CARDS.map((c) => c.field),
  );
  host = await startRunboardHost(exporter, token, [DS_PLUGIN, PANEL_PLUGIN]);
});

test.afterAll(async () => {
  await host?.close();
  await exporter?.stop();
});

test.afterEach(() => {
  // Whatever a test did, the API token never crossed between the host and the browser.
  expect(host.leaks()).toEqual([]);
});

// ---------- cards ----------

const override = (name: string, properties: Array<{ id: string; value: unknown }>) => ({ matcher: { id: 'byName', options: name }, properties });

/** Field config as a dashboard saves it: per-field display name, thresholds, unit and "higher is". */
function cardsFieldConfig(): NonNullable<HostPanelConfig['fieldConfig']> {
  return {
    defaults: {},
    overrides: CARDS.map((c) => {
      const [warn, crit] = c.steps;
      // Good-when-high series: red at the bottom, green at the top.
      const steps =
        c.higherIs === 'good'
          ? [
              { value: null, color: 'red' },
              { value: crit, color: 'orange' },
              { value: warn, color: 'green' },
            ]
          : [
              { value: null, color: 'green' },
              { value: warn, color: 'orange' },
              { value: crit, color: 'red' },
            ];
      return override(c.field, [
        { id: 'displayName', value: c.title },
        { id: 'thresholds', value: { mode: 'absolute', steps } },
        { id: 'custom.higherIs', value: c.higherIs },
        ...(c.unit ? [{ id: 'unit', value: c.unit }] : []),
      ]);
    }),
  };
}

async function openCards(page: Page, opts: { theme?: ThemeMode; from?: string; cards?: Record<string, unknown> } = {}): Promise<void> {
  await page.goto(
    host.pageUrl({
      theme: opts.theme,
      from: opts.from,
      datasource: 'runboard',
      queries: [LIVE],
      queryEditor: false,
      panel: cardsPanel({ ...CARDS_SIZE, cards: { columns: 3, size: 'lg', ...opts.cards }, fieldConfig: cardsFieldConfig() }),
    }),
  );
  await expectHostBooted(page);
  await expect(page.getByTestId('panel-state')).toHaveText('Streaming');
  await expect(page.getByTestId('runboard-card')).toHaveCount(CARDS.length);
}

interface CardReading {
  label: string;
  /** The icon drawn beside the state word (by its SVG path; null while none is drawn). */
  icon: string | null;
  value: string;
  delta: string;
  direction: string | null;
  /** The arrow drawn beside the change. */
  arrow: string | null;
}
/** Every card's state word and icon, value, and change with its arrow, read in one pass. */
async function cardStates(page: Page): Promise<CardReading[]> {
  const raw = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="runboard-card"]')).map((card) => {
      const delta = card.querySelector('[data-testid="runboard-card-delta"]');
      return {
        label: card.querySelector('[data-testid="runboard-card-state"]')?.textContent ?? '',
        icon: card.querySelector('[data-testid="runboard-card-state"] svg[data-icon-active] path')?.getAttribute('d') ?? null,
        value: card.querySelector('[data-testid="runboard-card-value"]')?.textContent ?? '',
        delta: delta?.textContent ?? '',
        direction: delta?.getAttribute('data-direction') ?? null,
        arrow: delta?.querySelector('svg[data-icon-active] path')?.getAttribute('d') ?? null,
      };
    }),
  );
  return raw.map((r) => ({ ...r, icon: r.icon === null ? null : (ICON_BY_PATH[r.icon] ?? 'unknown'), arrow: r.arrow === null ? null : (ICON_BY_PATH[r.arrow] ?? 'unknown') }));
}

const cardByTitle = (page: Page, title: string) => page.getByTestId('runboard-card').filter({ has: page.getByRole('heading', { name: title, exact: true }) });

test('cards: live values from the exporter change in place, with units and threshold states', async ({ page }) => {
  const errors = watchErrors(page);
  await openCards(page);

  const cards = page.getByTestId('runboard-card');
  // One card per series, in query order, titled by the field config's display names.
  await expect(cards.getByRole('heading')).toHaveText(CARDS.map((c) => c.title));
  for (const c of CARDS) {
    const card = cardByTitle(page, c.title);
    // The unit from the exporter's series metadata (or the override), formatted by Grafana.
    await expect(card.getByTestId('runboard-card-value'), c.field).toHaveText(c.text);
    // The threshold state in words and an icon, not only a colour; the card carries it too.
    const label = card.getByTestId('runboard-card-state');
    await expect(label, c.field).toHaveText(/^(Normal|Warning|Critical)$/);
    // Read both in one evaluate: live values can cross a threshold between two separate reads.
    const pair = await card.evaluate((el) => ({ attr: el.getAttribute('data-state'), word: el.querySelector('[data-testid="runboard-card-state"]')?.textContent ?? '' }));
    expect(pair.attr, c.field).toBe(pair.word.toLowerCase());
  }
  // Each word has its icon, and the word follows the thresholds: for the cards whose text is a
  // plain number or percent, the shown value (read in the same render) is on the right step.
  await expect.poll(async () => (await cardStates(page)).every((s) => LEVEL_ICON[s.label] === s.icon), { timeout: 5_000 }).toBe(true);
  const states = await cardStates(page);
  for (const field of ['system_cpu_usage_ratio', 'action_success_ratio', 'event_queue_depth']) {
    const i = CARDS.findIndex((c) => c.field === field);
    const { steps, higherIs } = CARDS[i];
    const v = states[i].value.endsWith('%') ? parseFloat(states[i].value) / 100 : parseFloat(states[i].value);
    const [warn, crit] = steps;
    const expected = higherIs === 'good' ? (v >= warn ? 'Normal' : v >= crit ? 'Warning' : 'Critical') : v >= crit ? 'Critical' : v >= warn ? 'Warning' : 'Normal';
    // A value within rounding of a threshold could be either side of it.
    if ([warn, crit].every((t) => Math.abs(v - t) > Math.abs(t) * 0.01 + 0.005)) expect(states[i].label, `${field} = ${states[i].value}`).toBe(expected);
  }
  // Three columns as configured, and nine large cards fit the panel without a scrollbar.
  const grid = await page
    .getByTestId('runboard-cards')
    .evaluate((el) => ({ scroll: el.scrollHeight - el.clientHeight, columns: getComputedStyle(el.lastElementChild!).gridTemplateColumns.split(' ').length }));
  expect(grid).toEqual({ scroll: 0, columns: 3 });
  // Sparklines are drawn (canvas) once a few points are in.
  await expect(page.getByTestId('runboard-card-sparkline').locator('canvas')).toHaveCount(CARDS.length);

  // Tag the card and value elements, then read the values twice: the text changes, the elements do not.
  await tagElements(page, '[data-testid="panel"]', '[data-testid="runboard-card"]', '__e2eCard');
  await tagElements(page, '[data-testid="panel"]', '[data-testid="runboard-card-value"]', '__e2eValue');
  const values = () => page.getByTestId('runboard-card-value').allTextContents();
  const first = await values();
  const updates0 = Number(await page.getByTestId('panel-updates').textContent());
  await expect.poll(async () => (await values()).filter((v, i) => v !== first[i]).length, { timeout: 10_000, intervals: [500] }).toBeGreaterThanOrEqual(2);
  const second = await values();
  expect(Number(await page.getByTestId('panel-updates').textContent())).toBeGreaterThan(updates0);
  for (const [key, sel] of [
    ['__e2eCard', '[data-testid="runboard-card"]'],
    ['__e2eValue', '[data-testid="runboard-card-value"]'],
  ] as const) {
    expect(await checkTags(page, sel, key), `${sel} re-mounted between ${first.join(' | ')} and ${second.join(' | ')}`).toEqual({
      count: CARDS.length,
      untagged: 0,
      reordered: 0,
      removed: [],
    });
  }
  expect(errors).toEqual([]);
});

// ---------- console ----------

async function openConsole(page: Page, opts: { role?: 'Viewer' | 'Editor'; theme?: ThemeMode; height?: number; console?: Record<string, unknown> } = {}): Promise<void> {
  const panel = consolePanel({ width: CONSOLE_SIZE.width, height: opts.height ?? CONSOLE_SIZE.height, console: opts.console });
  await page.goto(host.pageUrl({ role: opts.role, theme: opts.theme, datasource: 'runboard', queries: [], queryEditor: false, panel }));
  await expectHostBooted(page);
  await expect(page.getByTestId('runboard-console')).toBeVisible();
}

const param = (page: Page, name: string) => page.getByTestId(`runboard-parameter-${name}`).locator('input');
const runView = (page: Page) => page.getByTestId('runboard-run-view');
const runStatus = (page: Page) => runView(page).getByTestId('runboard-run-status');
const outputLines = (page: Page) => runView(page).getByTestId('runboard-run-output').locator('[data-stream]');
const fact = (page: Page, name: string) =>
  runView(page)
    .getByTestId('runboard-run-facts')
    .locator('div')
    .filter({ has: page.locator('dt', { hasText: name }) })
    .locator('dd');
const runButton = (page: Page) => page.getByRole('button', { name: 'Run', exact: true });
const historyRows = (page: Page) => page.getByTestId('runboard-history-row');
const runs = async () => (await exporterJson<{ runs: ExporterRun[] }>(exporter, '/api/v1/runs?limit=100')).runs;
const posts = (what: RegExp) => host.proxyLog.filter((e) => e.method === 'POST' && what.test(e.proxyPath));

interface LiveReading {
  status: string;
  percent: number | null;
  progress: string;
  lines: number;
  elapsed: string;
  cancel: boolean;
}
/** One moment of the run view, read in a single pass. */
function liveReading(page: Page): Promise<LiveReading> {
  return page.getByTestId('runboard-run-view').evaluate((view) => {
    const now = view.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow');
    return {
      status: view.querySelector('[data-testid="runboard-run-status"]')?.textContent ?? '',
      percent: now === null || now === undefined ? null : Number(now),
      progress: view.querySelector('[data-testid="runboard-run-progress"]')?.textContent ?? '',
      lines: view.querySelectorAll('[data-testid="runboard-run-output"] [data-stream]').length,
      elapsed: view.querySelector('[data-testid="runboard-run-elapsed"]')?.textContent ?? '',
      cancel: Array.from(view.querySelectorAll('button')).some((b) => b.textContent === 'Cancel'),
    };
  });
}

async function chooseCommand(page: Page, title: string): Promise<void> {
  await page
    .getByRole('list', { name: 'Commands' })
    .getByRole('button', { name: new RegExp(`^${title}`) })
    .click();
  await expect(page.getByRole('heading', { name: title, exact: true })).toBeVisible();
}

async function fillSampleTask(page: Page, values: { topic?: string; steps: number; delay: number }): Promise<void> {
  if (values.topic !== undefined) await param(page, 'topic').fill(values.topic);
  await param(page, 'steps').fill(String(values.steps));
  await param(page, 'delay_ms').fill(String(values.delay));
}

test('console: a run from the form streams progress and output live, lands in history; cancel, failure and replay', async ({ page }) => {
  const errors = watchErrors(page);
  await openConsole(page);
  const commands = page.getByRole('list', { name: 'Commands' });
  await expect(commands.getByRole('button')).toHaveText([/^Sample AI task/, /^System report/, /^HTTP check/]);
  await expect(commands.getByText('Works through a few steps, asking a model at each one')).toBeVisible();

  // ---- a run that succeeds: progress and output arrive while it runs ----
  await chooseCommand(page, 'Sample AI task');
  await fillSampleTask(page, { topic: 'e2e smoke', steps: 6, delay: 300 });
  const startedAt = Date.now();
  await runButton(page).click();
  // Mid-run, twice: the bar and its message have moved, output is there and grows, and the run is
  // still going (each reading is one moment of the DOM).
  let first: LiveReading | undefined;
  await expect
    .poll(
      async () => {
        const r = await liveReading(page);
        if (r.status === 'Running' && r.percent !== null && r.percent > 0 && r.percent < 100 && r.lines >= 2) first ??= r;
        return first;
      },
      { timeout: 10_000, intervals: [50] },
    )
    .toBeTruthy();
  expect(first!.progress).toMatch(/^step [1-5] of 6\d+%$/);
  expect(first!.elapsed).toMatch(/^0:0\d$/);
  expect(first!.cancel).toBe(true);
  await expect
    .poll(
      async () => {
        const r = await liveReading(page);
        return r.status === 'Running' && r.lines > first!.lines && r.percent! > first!.percent!;
      },
      { timeout: 10_000, intervals: [50] },
    )
    .toBe(true);
  // The end: more lines, the bar full, and the outcome with exit code, duration, tokens and cost.
  await expect(runStatus(page)).toHaveText('Succeeded', { timeout: 15_000 });
  expect(Date.now() - startedAt).toBeGreaterThan(1_500);
  await expect(runView(page).getByRole('progressbar', { name: 'Progress' })).toHaveAttribute('aria-valuenow', '100');
  await expect(runView(page).getByTestId('runboard-run-progress')).toContainText('step 6 of 6');
  await expect(outputLines(page).first()).toHaveText('sample-task: 6 steps on "e2e smoke" with gpt-4o-mini');
  await expect(outputLines(page).filter({ hasText: 'step 6/6: asked gpt-4o-mini' })).toHaveCount(1);
  await expect(outputLines(page).last()).toHaveText('sample-task: done');
  // The exporter keeps the ::llm and ::progress protocol lines in the log (what the command said).
  await expect(outputLines(page).filter({ hasText: /^::progress \d+ step \d of 6$/ })).toHaveCount(6);
  await expect(fact(page, 'Outcome')).toHaveText('success, exit code 0');
  await expect(fact(page, 'Duration')).toHaveText(/^\d\.\d\d s$/);
  await expect(fact(page, 'Cost')).toHaveText(/^\$0\.\d{2,4}$/);
  const [ok] = await runs();
  expect(ok).toMatchObject({
    command: 'sample-task',
    outcome: 'success',
    exitCode: 0,
    startedBy: 'grafana:editor',
    parameters: { topic: 'e2e smoke', steps: 6, delay_ms: 300, model: 'gpt-4o-mini', fail: false },
  });
  await expect(runView(page).getByRole('heading')).toContainText(ok.id);
  // Tokens and cost as the exporter booked them from the ::llm lines.
  expect(ok.inputTokens).toBeGreaterThan(6 * 400 - 1);
  await expect(fact(page, 'Tokens')).toHaveText(`${ok.inputTokens.toLocaleString('en-US')} in / ${ok.outputTokens.toLocaleString('en-US')} out`);
  await expect(fact(page, 'Cost')).toHaveText(`$${ok.costUsd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 })}`);
  // The history lists it, newest first.
  await expect(historyRows(page).first()).toContainText('Sample AI task');
  await expect(historyRows(page).first()).toContainText('Succeeded');
  await expect(historyRows(page).first()).toHaveAttribute('aria-current', 'true');

  // ---- a long run, cancelled ----
  await fillSampleTask(page, { steps: 50, delay: 2000 });
  await runButton(page).click();
  await expect(runStatus(page)).toHaveText('Running');
  await expect(outputLines(page).first()).toHaveText(/sample-task: 50 steps/);
  await expect(historyRows(page).first()).toContainText('Running');
  await runView(page).getByRole('button', { name: 'Cancel' }).click();
  await expect(runStatus(page)).toHaveText('Cancelled', { timeout: 10_000 });
  await expect(fact(page, 'Outcome')).toHaveText(/^cancelled/);
  await expect(runView(page).getByRole('button', { name: 'Cancel' })).toHaveCount(0);
  const [cancelled] = await runs();
  expect(cancelled).toMatchObject({ command: 'sample-task', status: 'finished', outcome: 'cancelled', parameters: { steps: 50, delay_ms: 2000 } });
  expect(cancelled.durationSeconds!).toBeLessThan(10);
  await expect(historyRows(page).first()).toContainText('Cancelled');

  // ---- a run that fails: its stderr line is marked in words, the outcome has the exit code ----
  await fillSampleTask(page, { steps: 2, delay: 0 });
  await page.getByTestId('runboard-parameter-fail').locator('input').check({ force: true });
  await runButton(page).click();
  await expect(runStatus(page)).toHaveText('Failed', { timeout: 10_000 });
  await expect(fact(page, 'Outcome')).toHaveText('failure, exit code 1');
  const stderr = runView(page).locator('[data-stream="stderr"]');
  await expect(stderr).toHaveText('stderrstep 1 failed: the model returned an invalid answer');
  await expect(stderr.locator('span').first()).toHaveText('stderr');
  await expect(runView(page).locator('[data-stream="stdout"]').first()).toHaveText('sample-task: 2 steps on "e2e smoke" with gpt-4o-mini');
  await expect(historyRows(page).first()).toContainText('Failed');

  // ---- a past run from the history replays its stored output ----
  await expect(historyRows(page)).toHaveCount(3);
  await page.getByTitle(`Show the output of run ${ok.id}`).click();
  await expect(runView(page).getByRole('heading')).toContainText(ok.id);
  await expect(runStatus(page)).toHaveText('Succeeded');
  await expect(outputLines(page).first()).toHaveText('sample-task: 6 steps on "e2e smoke" with gpt-4o-mini');
  await expect(outputLines(page).last()).toHaveText('sample-task: done');
  // 1 + 6 × (step, ::llm, ::progress) + 1 lines.
  await expect(outputLines(page)).toHaveCount(20);
  await expect(fact(page, 'Outcome')).toHaveText('success, exit code 0');
  await expect(historyRows(page).nth(2)).toHaveAttribute('aria-current', 'true');
  expect(errors).toEqual([]);
});

test('console: parameter templates save, load and delete', async ({ page }) => {
  const errors = watchErrors(page);
  await openConsole(page);
  await chooseCommand(page, 'Sample AI task');
  const templates = page.getByTestId('runboard-templates');
  const name = `e2e seven steps ${Date.now() % 10_000}`;
  await fillSampleTask(page, { topic: 'templated', steps: 7, delay: 120 });
  // The enum parameter is a select.
  await page.getByTestId('runboard-parameter-model').getByRole('combobox').click();
  await page.getByRole('option', { name: 'gpt-4o', exact: true }).click();
  await expect(page.getByTestId('runboard-parameter-model')).toContainText('gpt-4o');
  await templates.getByRole('textbox', { name: 'Template name' }).fill(name);
  await templates.getByRole('button', { name: 'Save template' }).click();
  await expect(templates.getByRole('status')).toHaveText(`Saved "${name}".`);
  const saved = (await exporterJson<{ templates: ExporterTemplate[] }>(exporter, '/api/v1/templates')).templates.find((t) => t.name === name);
  expect(saved).toMatchObject({ command: 'sample-task', parameters: { topic: 'templated', steps: 7, delay_ms: 120, model: 'gpt-4o', fail: false } });

  // Change the form, then load the template back into it.
  await fillSampleTask(page, { topic: 'other', steps: 2, delay: 0 });
  await page.getByTestId('runboard-parameter-model').getByRole('combobox').click();
  await page.getByRole('option', { name: 'gemini-2.5-flash' }).click();
  await templates.getByRole('combobox').click();
  await page.getByRole('option', { name }).click();
  await expect(param(page, 'steps')).toHaveValue('7');
  await expect(param(page, 'delay_ms')).toHaveValue('120');
  await expect(param(page, 'topic')).toHaveValue('templated');
  await expect(page.getByTestId('runboard-parameter-model')).toContainText('gpt-4o');
  await expect(page.getByTestId('runboard-parameter-model')).not.toContainText('gemini');

  // Delete, after the confirmation.
  await templates.getByRole('button', { name: 'Delete template' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Delete the template "${name}" of Sample AI task?`);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(templates.getByRole('status')).toHaveText(`Deleted "${name}".`);
  expect((await exporterJson<{ templates: ExporterTemplate[] }>(exporter, '/api/v1/templates')).templates.map((t) => t.name)).not.toContain(name);
  expect(errors).toEqual([]);
});

test('console: a command marked confirm: true asks before it runs', async ({ page }) => {
  const errors = watchErrors(page);
  await openConsole(page);
  const commands = page.getByRole('list', { name: 'Commands' });
  // The command list marks it (an icon with a title), and only it.
  await expect(commands.locator('svg title')).toHaveText(['Asks for confirmation before running']);
  await expect(commands.getByRole('button', { name: /^HTTP check/ }).locator('svg title')).toHaveCount(1);
  await chooseCommand(page, 'HTTP check');
  const url = `${exporter.url}/api/v1/health`;
  await param(page, 'url').fill(url);
  const before = posts(/commands\/http-check\/runs$/).length;
  await runButton(page).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Run HTTP check?');
  await expect(dialog.getByRole('list', { name: 'Parameters' })).toContainText(`url = "${url}"`);
  // Nothing was sent while the dialog asks; dismissing it sends nothing either.
  expect(posts(/commands\/http-check\/runs$/).length).toBe(before);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toHaveCount(0);
  expect(posts(/commands\/http-check\/runs$/).length).toBe(before);

  await runButton(page).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Run' }).click();
  await expect(runStatus(page)).toHaveText('Succeeded', { timeout: 15_000 });
  await expect(fact(page, 'Outcome')).toHaveText('success, exit code 0');
  expect(posts(/commands\/http-check\/runs$/).length).toBe(before + 1);
  const [run] = await runs();
  expect(run).toMatchObject({ command: 'http-check', outcome: 'success', parameters: { url } });
  expect(errors).toEqual([]);
});

test('console as a Viewer: commands and history shown, Run/Cancel/Save disabled with the reason, and the proxy refuses anyway', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  // A run that is still going, so the Viewer sees a Cancel button too.
  await exporterPost(exporter, '/api/v1/commands/system-report/runs', { parameters: { section: 'overview' }, startedBy: 'e2e' });
  const long = await exporterPost<ExporterRun>(exporter, '/api/v1/commands/sample-task/runs', { parameters: { steps: 50, delay_ms: 2000, topic: 'long run' }, startedBy: 'e2e' });
  try {
    await openConsole(page, { role: 'Viewer', ...FULL_CONSOLE });
    await expect(page.getByTestId('host-role')).toHaveText('Viewer');
    await expect(page.getByRole('note')).toHaveText(`Read-only: ${VIEWER_REASON}`);
    await expect(page.getByRole('list', { name: 'Commands' }).getByRole('button')).toHaveCount(3);
    await expect(page.getByTestId('runboard-parameter-form')).toBeVisible();
    await expect(historyRows(page).first()).toContainText('Running');
    expect(await historyRows(page).count()).toBeGreaterThanOrEqual(2);

    // Run and Save template: disabled, each with the reason on hover.
    const run = runButton(page);
    await expect(run).toHaveAttribute('aria-disabled', 'true');
    expect(await tooltipOf(page, run)).toBe(VIEWER_REASON);
    const save = page.getByRole('button', { name: 'Save template' });
    await expect(save).toHaveAttribute('aria-disabled', 'true');
    expect(await tooltipOf(page, save)).toBe(VIEWER_REASON);
    // Cancel on the running run, opened from the history.
    await historyRows(page).first().getByRole('button').click();
    await expect(runView(page).getByRole('heading')).toContainText(long.id);
    await expect(runStatus(page)).toHaveText('Running');
    const cancel = runView(page).getByRole('button', { name: 'Cancel' });
    await expect(cancel).toHaveAttribute('aria-disabled', 'true');
    expect(await tooltipOf(page, cancel)).toBe(VIEWER_REASON);
    // The Viewer still sees the run live.
    await expect(outputLines(page).first()).toHaveText('sample-task: 50 steps on "long run" with gpt-4o-mini');

    // Pressing them anyway (and Enter in a field) sends nothing.
    const proxied = host.proxyLog.length;
    await run.click({ force: true });
    await cancel.click({ force: true });
    await param(page, 'topic').press('Enter');
    await page.waitForTimeout(300);
    expect(host.proxyLog.slice(proxied).filter((e) => e.method !== 'GET')).toEqual([]);
    await expect(page.getByRole('dialog')).toHaveCount(0);

    // The proxy enforces it regardless of the panel: the datasource's own calls get 403.
    const refused = await page.evaluate(async (runId) => {
      const ds = window.__host.datasource as unknown as {
        startRun(id: string, p: object): Promise<unknown>;
        cancelRun(id: string): Promise<unknown>;
        saveTemplate(t: object): Promise<unknown>;
      };
      const status = async (p: Promise<unknown>) =>
        p.then(
          () => 200,
          (e: { status?: number }) => e.status,
        );
      return {
        start: await status(ds.startRun('sample-task', { steps: 1, delay_ms: 0 })),
        cancel: await status(ds.cancelRun(runId)),
        save: await status(ds.saveTemplate({ command: 'sample-task', name: 'viewer', parameters: {} })),
      };
    }, long.id);
    expect(refused).toEqual({ start: 403, cancel: 403, save: 403 });
    const denied = host.proxyLog.slice(proxied).filter((e) => e.denied);
    expect(denied.map((e) => `${e.method} ${e.proxyPath}`).sort()).toEqual(
      [`POST api/v1/commands/sample-task/runs`, `POST api/v1/runs/${long.id}/cancel`, 'POST api/v1/templates'].sort(),
    );
    expect(denied.every((e) => e.role === 'Viewer')).toBe(true);
    expect((await exporterJson<ExporterRun>(exporter, `/api/v1/runs/${long.id}`)).status).toBe('running');
    await panelScreenshot(page, testInfo, 'console-viewer.png');
  } finally {
    await exporterPost(exporter, `/api/v1/runs/${long.id}/cancel`).catch(() => undefined);
  }
  expect(errors).toEqual([]);
});

// ---------- screenshots ----------

/** Each state word and change direction is drawn with its own icon. */
const consistent = (states: CardReading[]) => states.every((s) => LEVEL_ICON[s.label] === s.icon && (s.direction === null || ARROW_ICON[s.direction] === s.arrow));

/**
 * A screenshot of live cards that shows one coherent moment: every state word and change with its
 * own icon, and no update during the shot. When a state or direction changes, Grafana's Icon
 * reloads its SVG: for a moment it is blank or still the previous icon, which a picture must
 * not catch.
 */
async function cardsScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    await expect.poll(async () => consistent(await cardStates(page)), { timeout: 5_000 }).toBe(true);
    const before = JSON.stringify(await cardStates(page));
    await panelScreenshot(page, testInfo, name);
    const after = await cardStates(page);
    if (JSON.stringify(after) === before && consistent(after)) return;
  }
  throw new Error(`${name}: the cards kept changing during every screenshot`);
}

test('screenshots: both views in the light and dark theme', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 1300 });
  // A finished run in the history: each theme's picture re-runs it from the console.
  const parameters = { topic: 'weekly summary', steps: 8, delay_ms: 100, model: 'claude-sonnet-4', fail: false };
  // Straight to the exporter: a direct client may not claim to be Grafana; the re-run below goes through the proxy.
  const seed = await exporterPost<ExporterRun>(exporter, '/api/v1/commands/sample-task/runs', { parameters, startedBy: 'e2e' });
  await expect.poll(async () => (await exporterJson<ExporterRun>(exporter, `/api/v1/runs/${seed.id}`)).status, { timeout: 10_000 }).toBe('finished');

  for (const theme of ['light', 'dark'] as const) {
    await openConsole(page, { theme, ...FULL_CONSOLE });
    // Re-run from the history: the form takes the run's parameters and a new run starts with them.
    await page.getByTitle(`Show the output of run ${seed.id}`).click();
    await expect(runView(page).getByRole('heading')).toContainText(seed.id);
    await runView(page).getByRole('button', { name: 'Re-run' }).click();
    await expect(runView(page).getByRole('heading')).not.toContainText(seed.id);
    await expect(runStatus(page)).toHaveText('Succeeded', { timeout: 10_000 });
    await expect(outputLines(page).last()).toHaveText('sample-task: done');
    await expect(fact(page, 'Outcome')).toHaveText('success, exit code 0');
    await expect(param(page, 'topic')).toHaveValue('weekly summary');
    await expect(param(page, 'steps')).toHaveValue('8');
    await expect(page.getByTestId('runboard-parameter-model')).toContainText('claude-sonnet-4');
    const [rerun] = await runs();
    expect(rerun).toMatchObject({ command: 'sample-task', parameters, outcome: 'success', startedBy: 'grafana:editor' });
    expect(rerun.id).not.toBe(seed.id);
    await expect(runView(page).getByRole('heading')).toContainText(rerun.id);
    await expect(historyRows(page).first()).toHaveAttribute('aria-current', 'true');
    // All of the console is in the picture: nothing scrolled out of the panel.
    const overflow = await page.getByTestId('runboard-console').evaluate((el) => el.scrollHeight - el.clientHeight);
    expect(overflow).toBeLessThanOrEqual(0);
    await panelScreenshot(page, testInfo, `console-${theme}.png`);
  }

  // The change against 30 s ago needs 30 s of history, and the exporter keeps none across starts:
  // wait for what the tests before this one have not already spent. (The options offer 1, 5 and
  // 15 min; 30 s is a value a dashboard's JSON may set, and keeps this spec under a minute.)
  const lookbackSeconds = 30;
  await page.waitForTimeout(Math.max(0, exporterStartedAt + (lookbackSeconds + 3) * 1000 - Date.now()));

  for (const theme of ['light', 'dark'] as const) {
    await openCards(page, { theme, from: 'now-1m', cards: { lookbackSeconds } });
    await expect(page.getByTestId('runboard-card-sparkline').locator('canvas')).toHaveCount(CARDS.length);
    await expect(page.getByTestId('runboard-card-state')).toHaveCount(CARDS.length);
    await expect(
      page
        .getByTestId('runboard-card-delta')
        .locator('span')
        .filter({ hasText: `vs ${lookbackSeconds} s ago` }),
    ).toHaveCount(CARDS.length);
    await cardsScreenshot(page, testInfo, `cards-${theme}.png`);
  }
  expect(errors).toEqual([]);
});
