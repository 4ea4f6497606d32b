/**
 * The modules the host shares with plugins, by the names plugins import them with. Mirrors
 * Grafana's `sharedDependenciesMap` (public/app/features/plugins/loader/sharedDependencies.ts):
 * the same names, the same `__useDefault` wrapping (lodash, moment, jquery), and @grafana/ui
 * carrying the plugin base classes that moved to @grafana/data in 6.5. Everything comes from the
 * real npm packages; the rarely used ones load lazily as separate chunks, as in Grafana.
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

export const sharedModules: SharedMap = {
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
