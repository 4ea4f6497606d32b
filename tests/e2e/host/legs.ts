/**
 * The Grafana version matrix of the browser tests (README "Grafana plugins"). Every host spec runs
 * once per leg (one Playwright project each, playwright.config.ts):
 *
 * - `grafana-12.4`: the oldest release plugin.json's `grafanaDependency` claims (>=12.4.10), with
 *   its `@grafana/*` packages and React 18 from the repo root's node_modules, served at `/`;
 * - `grafana-13.2`: the current release, 13.2.3 with React 19, from its own install root
 *   (grafana-13/: 13.x requires React 19 as a peer, the root pins React 18), served under the
 *   sub-path `/grafana` (`root_url=…/grafana/` + `serve_from_sub_path`), so a plugin URL that
 *   ignores `config.appSubUrl` fails that leg.
 *
 * Each leg has its own page bundle (build.ts: dist/<leg>/) whose shared-module map offers what that
 * release shares with plugins (src/shared.ts, `SHARED_BY_RELEASE`).
 */
import path from 'node:path';

export interface GrafanaLeg {
  /** Playwright project name and dist/ folder. */
  id: 'grafana-12.4' | 'grafana-13.2';
  /** The Grafana release the leg stands in for (buildInfo.version, /api/health). */
  version: string;
  /** Folder whose node_modules holds that release's @grafana/* packages and React. */
  root: string;
  /** Grafana's sub-path (`config.appSubUrl`): '' or e.g. '/grafana'. */
  subPath: string;
  /** The leg's page bundle. */
  dist: string;
}

const HOST = __dirname;
const REPO_ROOT = path.resolve(HOST, '../../..');

/**
 * The sub-path leg can be switched off with E2E_SUB_PATH=0 (for bisecting a failure to the
 * sub-path rather than to React 19); it is on by default.
 */
const subPathOn = process.env.E2E_SUB_PATH !== '0';

export const LEGS: Record<GrafanaLeg['id'], GrafanaLeg> = {
  'grafana-12.4': { id: 'grafana-12.4', version: '12.4.10', root: REPO_ROOT, subPath: '', dist: path.join(HOST, 'dist', 'grafana-12.4') },
  'grafana-13.2': {
    id: 'grafana-13.2',
    version: '13.2.3',
    root: path.join(HOST, 'grafana-13'),
    subPath: subPathOn ? '/grafana' : '',
    dist: path.join(HOST, 'dist', 'grafana-13.2'),
  },
};

/** The leg of the running Playwright project (its `metadata.grafanaLeg`); the 12.4 leg outside Playwright. */
export function currentLeg(): GrafanaLeg {
  let id: string | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- only inside a Playwright worker
    const { test } = require('@playwright/test') as typeof import('@playwright/test');
    id = (test.info().project.metadata as { grafanaLeg?: string } | undefined)?.grafanaLeg;
  } catch {
    id = undefined;
  }
  return LEGS[(id as GrafanaLeg['id']) ?? 'grafana-12.4'] ?? LEGS['grafana-12.4'];
}
