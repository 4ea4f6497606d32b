/**
 * Helpers of the panel plugin's browser specs (tests/e2e/panel.spec.ts): the panel configs the
 * host renders, the exporter's write API for setting up runs behind the page's back, DOM-identity
 * tags for "updated in place, not re-mounted", tooltips, and screenshots that are both test
 * artifacts and the README's pictures (docs/screenshots/).
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningExporter } from '../../helpers/exporter-process';
import type { HostPanelConfig } from '../host/src/types';

export const PANEL_ID = 'runboard-console-panel';
export const DATASOURCE_REF = { type: 'runboard-live-datasource', uid: 'runboard' };
export const DOCS_SCREENSHOTS = path.resolve(__dirname, '../../../docs/screenshots');

/** Runs and templates as the exporter answers them (the fields the specs look at). */
export interface ExporterRun {
  id: string;
  command: string;
  parameters: Record<string, string | number | boolean>;
  status: 'queued' | 'running' | 'finished';
  outcome: 'success' | 'failure' | 'timeout' | 'cancelled' | null;
  startedBy: string | null;
  exitCode: number | null;
  signal: string | null;
  durationSeconds: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}
export interface ExporterTemplate {
  id: string;
  command: string;
  name: string;
  parameters: Record<string, string | number | boolean>;
}

/** A write call on the exporter itself (with the token: the test's side, never the browser's). */
export async function exporterPost<T>(exp: RunningExporter, pathAndQuery: string, body?: unknown): Promise<T> {
  const res = await fetch(`${exp.url}${pathAndQuery}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${pathAndQuery}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The cards view over a live Runboard query; `options`/`fieldConfig` as a dashboard would save them. */
export function cardsPanel(opts: {
  width: number;
  height: number;
  title?: string;
  cards?: Record<string, unknown>;
  fieldConfig?: HostPanelConfig['fieldConfig'];
}): HostPanelConfig {
  return {
    type: PANEL_ID,
    title: opts.title ?? 'Now',
    width: opts.width,
    height: opts.height,
    options: { view: 'cards', ...(opts.cards ? { cards: opts.cards } : {}) },
    fieldConfig: opts.fieldConfig,
  };
}

export function consolePanel(opts: { width: number; height: number; title?: string; console?: Record<string, unknown> }): HostPanelConfig {
  return {
    type: PANEL_ID,
    title: opts.title ?? 'Console',
    width: opts.width,
    height: opts.height,
    options: { view: 'console', console: { datasource: DATASOURCE_REF, ...opts.console } },
  };
}

/**
 * Tags every element matching `selector` with an expando property (index) and starts recording
 * removals of such elements under `root`. `checkTags` later says which are new or gone: a
 * re-mounted card is a new element without the tag, even if it looks the same.
 */
export async function tagElements(page: Page, root: string, selector: string, key: string): Promise<number> {
  return page.evaluate(
    ({ root, selector, key }) => {
      const w = window as unknown as Record<string, unknown>;
      const removed: string[] = [];
      w[`__removed_${key}`] = removed;
      const els = Array.from(document.querySelectorAll(selector));
      els.forEach((el, i) => ((el as unknown as Record<string, number>)[key] = i));
      new MutationObserver((records) => {
        for (const r of records) {
          r.removedNodes.forEach((n) => {
            if (n instanceof Element && (n.matches(selector) || n.querySelector(selector))) removed.push(n.outerHTML.slice(0, 120));
          });
        }
      }).observe(document.querySelector(root)!, { childList: true, subtree: true });
      return els.length;
    },
    { root, selector, key },
  );
}

export function checkTags(page: Page, selector: string, key: string): Promise<{ count: number; untagged: number; reordered: number; removed: string[] }> {
  return page.evaluate(
    ({ selector, key }) => {
      const els = Array.from(document.querySelectorAll(selector)) as unknown as Array<Record<string, number | undefined>>;
      return {
        count: els.length,
        untagged: els.filter((el) => el[key] === undefined).length,
        reordered: els.filter((el, i) => el[key] !== undefined && el[key] !== i).length,
        removed: (window as unknown as Record<string, string[]>)[`__removed_${key}`] ?? [],
      };
    },
    { selector, key },
  );
}

/** Hovers `target` and returns the text of the tooltip Grafana shows for it. */
export async function tooltipOf(page: Page, target: Locator): Promise<string> {
  await page.mouse.move(0, 0);
  await target.hover({ force: true });
  const tip = page.getByRole('tooltip');
  await tip.first().waitFor({ state: 'visible', timeout: 5_000 });
  const text = (await tip.first().textContent()) ?? '';
  await page.mouse.move(0, 0);
  return text.trim();
}

/**
 * Screenshot of the panel (the host's panel frame: title bar and the plugin at its configured
 * size), attached to the test; with RUNBOARD_UPDATE_SCREENSHOTS=1 also written to
 * docs/screenshots/<name> for the README (so ordinary runs leave the work tree clean).
 */
export async function panelScreenshot(page: Page, testInfo: TestInfo, name: string, opts: { docs?: boolean } = {}): Promise<string> {
  // No hover, focus ring or caret in a picture meant for the docs.
  await page.mouse.move(0, 0);
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur?.());
  const file = testInfo.outputPath(name);
  await page.getByTestId('panel').screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
  if (opts.docs !== false && process.env.RUNBOARD_UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, name));
  }
  return file;
}
