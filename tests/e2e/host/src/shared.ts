/**
 * The modules the host shares with plugins, by the names plugins import them with. Mirrors
 * Grafana's `sharedDependenciesMap` (public/app/features/plugins/loader/sharedDependencies.ts):
 * the same names, the same `__useDefault` wrapping (lodash, moment, jquery), and @grafana/ui
 * carrying the plugin base classes that moved to @grafana/data in 6.5. Everything comes from the
 * real npm packages of the matrix leg the page was built for (../legs.ts); the rarely used ones
 * load lazily as separate chunks, as in Grafana.
 *
 * What a release shares differs between releases: `react/jsx-runtime` and `react/jsx-dev-runtime`
 * only from 12.3.0 (and the patches 11.6.11, 12.0.10, 12.1.7, 12.2.5). Both legs (12.4.10 and
 * 13.2.3) share every name below; `sharedFor()` drops what a release does not share, so a plugin
 * that imports it fails that leg as it would fail to load in that Grafana.
 */
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUIraw from '@grafana/ui';
import * as lodash from 'lodash';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as jsxRuntime from 'react/jsx-runtime';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';
import type { SharedMap } from './amd-loader';

const grafanaUI: Record<string, unknown> = {
  ...grafanaUIraw,
  PanelPlugin: grafanaData.PanelPlugin,
  DataSourcePlugin: grafanaData.DataSourcePlugin,
  AppPlugin: grafanaData.AppPlugin,
  DataSourceApi: grafanaData.DataSourceApi,
};

type Ns = Record<string, unknown>;
const ns = (m: unknown): Ns => m as Ns;
// Grafana's `{ ...module, __useDefault: true }` over a namespace whose `default` is the CommonJS export.
const withDefault = (m: unknown): Ns => ({ ...ns(m), default: ns(m).default ?? m, __useDefault: true });

const allShared: SharedMap = {
  '@emotion/css': ns(emotionCss),
  '@emotion/react': ns(emotionReact),
  '@grafana/data': ns(grafanaData),
  '@grafana/runtime': ns(grafanaRuntime),
  '@grafana/ui': grafanaUI,
  emotion: ns(emotionCss),
  lodash: withDefault(lodash),
  react: ns(React),
  'react-dom': ns(ReactDOM),
  'react-dom/client': ns(ReactDOMClient),
  'react/jsx-runtime': ns(jsxRuntime),
  'react/jsx-dev-runtime': ns(jsxDevRuntime),
  rxjs: ns(rxjs),
  'rxjs/operators': ns(rxjsOperators),
  moment: () => import('moment').then(withDefault),
  jquery: () => import('jquery').then((m) => ({ default: ns(m).default ?? m, __useDefault: true })),
  // Grafana shares its i18next instance.
  i18next: () => import('i18next').then((m) => ({ default: ns(m).default ?? m, __useDefault: true })),
  // @ts-expect-error -- untyped package, only handed to plugins
  prismjs: () => import('prismjs').then(ns),
  redux: () => import('redux').then(ns),
  'react-redux': () => import('react-redux').then(ns),
  // @ts-expect-error -- untyped package, only handed to plugins
  'react-router-dom': () => import('react-router-dom').then(ns),
};

/** Names Grafana shares with plugins only from a given release on (README "Grafana plugins"). */
const SHARED_SINCE: Record<string, [number, number, number]> = {
  'react/jsx-runtime': [12, 3, 0],
  'react/jsx-dev-runtime': [12, 3, 0],
};
/** Patch releases of older lines that also share them. */
const SHARED_IN_PATCHES: Record<string, string[]> = {
  'react/jsx-runtime': ['11.6.11', '12.0.10', '12.1.7', '12.2.5'],
  'react/jsx-dev-runtime': ['11.6.11', '12.0.10', '12.1.7', '12.2.5'],
};

function atLeast(version: string, min: [number, number, number]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  return true;
}

function sharedBy(name: string, release: string): boolean {
  const since = SHARED_SINCE[name];
  if (!since || atLeast(release, since)) return true;
  // A later patch of a line that got the backport shares it too.
  return (SHARED_IN_PATCHES[name] ?? []).some((p) => {
    const [maj, min, patch] = p.split('.').map(Number);
    const [vMaj, vMin, vPatch] = release.split('.').map(Number);
    return vMaj === maj && vMin === min && vPatch >= patch;
  });
}

/** The shared-module map of Grafana `release`. */
export function sharedFor(release: string): SharedMap {
  return Object.fromEntries(Object.entries(allShared).filter(([name]) => sharedBy(name, release)));
}

/** The Grafana release this page stands in for (set per leg by webpack.config.js). */
export const GRAFANA_RELEASE: string = process.env.GRAFANA_RELEASE ?? '12.4.10';

export const sharedModules: SharedMap = sharedFor(GRAFANA_RELEASE);
