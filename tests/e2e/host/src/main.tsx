/**
 * The test host's page: a stand-in for the parts of Grafana's frontend a plugin touches (no
 * Grafana can run on these machines; see ../server.ts). It wires @grafana/runtime's services,
 * loads plugins' built `module.js` through the AMD loader with Grafana's shared modules, renders
 * the datasource's QueryEditor and a "panel" fed by `ds.query()`: either the host's own value
 * table (data-testid `value-<field display name>`, `rows-<refId>`) or a panel plugin inside
 * Grafana's ThemeContext. `window.__host` gives tests a plain-JSON snapshot of the panel data.
 */
import {
  applyFieldOverrides,
  CoreApp,
  dateMath,
  EventBusSrv,
  FieldType,
  getFieldDisplayName,
  getThemeById,
  isDataFrame,
  LoadingState,
  ThemeContext,
  toDataFrame,
  type DataFrame,
  type DataQuery,
  type DataQueryError,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type DataSourceInstanceSettings,
  type FieldConfigSource,
  type InterpolateFunction,
  type PanelData,
  type PanelPlugin,
  type ScopedVars,
  type TimeRange,
} from '@grafana/data';
import { FakeEchoSrv, setAppEvents, setBackendSrv, setDataSourceSrv, setEchoSrv, setTemplateSrv } from '@grafana/runtime';
import { GlobalStyles, PanelContextProvider } from '@grafana/ui';
import React, { Component, useCallback, useEffect, useMemo, useRef, useState, type ErrorInfo, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { from, isObservable, type Observable } from 'rxjs';
import { AmdLoader } from './amd-loader';
import { HostBackendSrv } from './backend-srv';
import { HostDataSourceSrv } from './datasource-srv';
import { initOptionRegistries } from './registries';
import { sharedModules } from './shared';
import { HostTemplateSrv } from './template-srv';
import type { HostPageConfig, HostQuery } from './types';

export interface FieldSnapshot {
  name: string;
  displayName: string;
  type: string;
  labels?: Record<string, string>;
  values: unknown[];
}
export interface FrameSnapshot {
  refId?: string;
  name?: string;
  length: number;
  /** frame.meta.notices (Grafana shows them on the panel). */
  notices: Array<{ severity: string; text: string }>;
  fields: FieldSnapshot[];
}
export interface HostSnapshot {
  state: string;
  updates: number;
  error?: string;
  frames: FrameSnapshot[];
}

interface HostApi {
  config: HostPageConfig;
  ready: boolean;
  bootError?: string;
  snapshot(): HostSnapshot;
  run(): void;
  setQueries(queries: HostQuery[]): void;
  datasource?: DataSourceApi;
  /** The settings a datasource instance is constructed with (what Grafana gives the browser). */
  instanceSettings(uid: string): DataSourceInstanceSettings | undefined;
  backendSrv: HostBackendSrv;
}

declare global {
  interface Window {
    __hostConfig: HostPageConfig;
    __host: HostApi;
    __grafanaShared: typeof sharedModules;
  }
}

const config = window.__hostConfig;
initOptionRegistries();
const backendSrv = new HostBackendSrv();
const templateSrv = new HostTemplateSrv(config.variables);
const loader = new AmdLoader(sharedModules);
const dataSourceSrv = new HostDataSourceSrv(config, loader);
const appEvents = new EventBusSrv();
setBackendSrv(backendSrv);
setTemplateSrv(templateSrv);
setDataSourceSrv(dataSourceSrv);
setAppEvents(appEvents);
setEchoSrv(new FakeEchoSrv());
window.__grafanaShared = sharedModules;

let current: PanelData | undefined;
let updates = 0;
const host: HostApi = {
  config,
  ready: false,
  backendSrv,
  instanceSettings: (uid) => dataSourceSrv.getInstanceSettings(uid),
  snapshot: () => snapshot(current, updates),
  run: () => undefined,
  setQueries: () => undefined,
};
window.__host = host;

function timeRange(): TimeRange {
  const from = dateMath.parse(config.from)!;
  const to = dateMath.parse(config.to, true)!;
  return { from, to, raw: { from: config.from, to: config.to } };
}

function errorText(err: unknown): string {
  if (!err) return '';
  if (typeof err === 'string') return err;
  const e = err as { message?: string; data?: { message?: string }; status?: number };
  return e.data?.message ?? e.message ?? JSON.stringify(err);
}

function snapshot(data: PanelData | undefined, n: number): HostSnapshot {
  const frames = (data?.series ?? []).map((frame) => ({
    refId: frame.refId,
    name: frame.name,
    length: frame.length,
    notices: (frame.meta?.notices ?? []).map((n) => ({ severity: n.severity, text: n.text })),
    fields: frame.fields.map((f) => ({
      name: f.name,
      displayName: getFieldDisplayName(f, frame, data?.series),
      type: f.type,
      labels: f.labels,
      values: Array.from(f.values as ArrayLike<unknown>),
    })),
  }));
  return {
    state: data?.state ?? 'NotStarted',
    updates: n,
    error: data?.errors?.length ? data.errors.map(errorText).join('; ') : data?.error ? errorText(data.error) : undefined,
    frames,
  };
}

function buildRequest(ds: DataSourceApi, queries: HostQuery[], range: TimeRange, id: number): DataQueryRequest<DataQuery> {
  const intervalMs = 1000;
  const scopedVars: ScopedVars = { __interval: { text: '1s', value: '1s' }, __interval_ms: { text: String(intervalMs), value: intervalMs } };
  return {
    requestId: `host-${id}`,
    app: CoreApp.Dashboard,
    dashboardUID: 'test-host',
    panelId: 1,
    interval: '1s',
    intervalMs,
    maxDataPoints: 600,
    range,
    rangeRaw: range.raw,
    scopedVars,
    targets: queries.map((q) => ({ ...q, datasource: { uid: ds.uid, type: ds.type } })),
    timezone: 'browser',
    startTime: Date.now(),
    liveStreaming: true,
  };
}

/** Like Grafana's runRequest: packets are kept by `key` and their frames merged in order. */
function runQuery(ds: DataSourceApi, request: DataQueryRequest<DataQuery>, onData: (d: PanelData) => void): () => void {
  const packets = new Map<string, DataQueryResponse>();
  let last: PanelData = { state: LoadingState.Loading, series: [], timeRange: request.range, request };
  onData(last);
  let result: Observable<DataQueryResponse>;
  try {
    const r = ds.query(request);
    result = isObservable(r) ? r : from(r as Promise<DataQueryResponse>);
  } catch (err) {
    onData({ ...last, state: LoadingState.Error, error: { message: errorText(err) } });
    return () => undefined;
  }
  const sub = result.subscribe({
    next: (packet) => {
      packets.set(packet.key ?? 'A', packet);
      const series: DataFrame[] = [];
      const errors: DataQueryError[] = [];
      for (const p of packets.values()) {
        for (const d of p.data ?? []) series.push(isDataFrame(d) ? d : toDataFrame(d));
        if (p.errors) errors.push(...p.errors);
        else if (p.error) errors.push(p.error);
      }
      last = { state: packet.state ?? LoadingState.Done, series, errors: errors.length ? errors : undefined, error: errors[0], timeRange: request.range, request };
      onData(last);
    },
    error: (err) => {
      last = { ...last, state: LoadingState.Error, error: { message: errorText(err) }, errors: [{ message: errorText(err) }] };
      onData(last);
    },
    complete: () => {
      if (last.state === LoadingState.Loading) onData((last = { ...last, state: LoadingState.Done }));
    },
  });
  return () => sub.unsubscribe();
}

class Boundary extends Component<{ name: string; children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(`${this.props.name} crashed`, error, info.componentStack);
  }
  override render() {
    if (this.state.error) return <pre data-testid="plugin-error">{`${this.props.name}: ${this.state.error.message}`}</pre>;
    return this.props.children;
  }
}

function ValueTable({ data }: { data: PanelData }) {
  const seen = new Map<string, number>();
  const refIds = new Set<string>();
  const testId = (base: string) => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  };
  return (
    <div data-testid="frames">
      {data.series.map((frame, i) => {
        const firstOfRef = frame.refId !== undefined && !refIds.has(frame.refId);
        if (frame.refId !== undefined) refIds.add(frame.refId);
        return (
          <table key={i} data-testid={`frame-${i}`} style={{ margin: '8px 0', borderCollapse: 'collapse' }}>
            <caption style={{ textAlign: 'left' }}>
              {frame.name ?? frame.refId ?? `frame ${i}`} ({frame.refId}): <span data-testid={firstOfRef ? `rows-${frame.refId}` : undefined}>{frame.length}</span> rows
            </caption>
            <tbody>
              {frame.fields.map((field, j) => {
                const name = getFieldDisplayName(field, frame, data.series);
                const value = frame.length > 0 ? field.values[frame.length - 1] : undefined;
                const shown = field.type === FieldType.time && typeof value === 'number' ? new Date(value).toISOString() : value === undefined ? '' : String(value);
                return (
                  <tr key={j}>
                    <th style={{ textAlign: 'left', paddingRight: 16 }}>{name}</th>
                    <td data-testid={testId(field.type === FieldType.time ? `time-${frame.refId}` : `value-${name}`)} data-field={field.name}>
                      {shown}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        );
      })}
    </div>
  );
}

/** Grafana's panel content padding (theme.spacing(1)). */
const PANEL_PADDING = 8;

function PanelView({ plugin, data, range, renderCounter }: { plugin: PanelPlugin; data: PanelData; range: TimeRange; renderCounter: number }) {
  const panel = config.panel!;
  const theme = React.useContext(ThemeContext);
  const [options, setOptions] = useState<Record<string, unknown>>(() => ({ ...plugin.defaults, ...panel.options }));
  const [fieldConfig, setFieldConfig] = useState<FieldConfigSource>(() => {
    const defaults = plugin.fieldConfigDefaults;
    return {
      defaults: { ...defaults.defaults, ...panel.fieldConfig?.defaults, custom: { ...defaults.defaults.custom, ...(panel.fieldConfig?.defaults?.custom as object) } },
      overrides: (panel.fieldConfig?.overrides ?? defaults.overrides) as FieldConfigSource['overrides'],
    };
  });
  const eventBus = useMemo(() => new EventBusSrv(), []);
  const replaceVariables = useCallback<InterpolateFunction>((value, scoped, format) => templateSrv.replace(value, scoped, format), []);
  const processed = useMemo<PanelData>(
    () => ({
      ...data,
      series: applyFieldOverrides({ data: data.series, fieldConfig, fieldConfigRegistry: plugin.fieldConfigRegistry, replaceVariables, theme, timeZone: 'browser' }),
    }),
    // renderCounter: streaming frames change in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [data, fieldConfig, theme, renderCounter],
  );
  const PanelComponent = plugin.panel;
  const width = panel.width ?? 900;
  const height = panel.height ?? 500;
  if (!PanelComponent) return <pre data-testid="plugin-error">panel plugin has no panel component</pre>;
  // As Grafana's PanelChrome: the plugin gets the content box's size; padding and border are around
  // it (Grafana's global styles make every box border-box, which plugins rely on).
  const pad = PANEL_PADDING;
  return (
    <section
      data-testid="panel"
      style={{ width: width + 2 * pad + 2, border: `1px solid ${theme.colors.border.weak}`, borderRadius: theme.shape.radius.default, background: theme.colors.background.primary }}
    >
      <h2 style={{ fontSize: theme.typography.h6.fontSize, fontWeight: theme.typography.fontWeightMedium, margin: 0, padding: `${pad}px ${pad}px 0`, lineHeight: '24px' }}>
        {panel.title ?? plugin.meta?.name}
      </h2>
      <div style={{ width: width + 2 * pad, height: height + 2 * pad, padding: pad, position: 'relative' }}>
        <PanelContextProvider value={{ eventsScope: 'panel', eventBus, app: CoreApp.Dashboard }}>
          <Boundary name={`panel ${panel.type}`}>
            <PanelComponent
              id={1}
              data={processed}
              timeRange={range}
              timeZone="browser"
              options={options}
              onOptionsChange={setOptions}
              fieldConfig={fieldConfig}
              onFieldConfigChange={setFieldConfig}
              renderCounter={renderCounter}
              transparent={false}
              width={width}
              height={height}
              title={panel.title ?? ''}
              eventBus={eventBus}
              replaceVariables={replaceVariables}
              onChangeTimeRange={() => undefined}
            />
          </Boundary>
        </PanelContextProvider>
      </div>
    </section>
  );
}

function App() {
  const [ds, setDs] = useState<DataSourceApi>();
  const [panelPlugin, setPanelPlugin] = useState<PanelPlugin>();
  const [bootError, setBootError] = useState<string>();
  const [queries, setQueries] = useState<HostQuery[]>(config.queries);
  const [runId, setRunId] = useState(0);
  const [data, setData] = useState<PanelData>();
  const [counter, setCounter] = useState(0);
  // A fresh range on every run: config.from/to are relative (e.g. now-5m).
  // eslint-disable-next-line react-hooks/use-memo
  const range = useMemo(timeRange, [runId]);
  const queriesRef = useRef(queries);
  // eslint-disable-next-line react-hooks/refs -- the latest queries, read only by the effects below
  queriesRef.current = queries;

  useEffect(() => {
    (async () => {
      if (config.datasources.length > 0) {
        const instance = await dataSourceSrv.get(config.datasource);
        host.datasource = instance;
        setDs(instance);
      }
      if (config.panel) setPanelPlugin(await dataSourceSrv.importPanelPlugin(config.panel.type));
      host.ready = true;
    })().catch((err) => {
      console.error(err);
      host.bootError = errorText(err);
      setBootError(errorText(err));
    });
  }, []);

  useEffect(() => {
    host.run = () => setRunId((n) => n + 1);
    host.setQueries = (q) => {
      setQueries(q);
      setRunId((n) => n + 1);
    };
  }, []);

  useEffect(() => {
    templateSrv.updateTimeRange(range);
    if (queriesRef.current.length === 0) {
      // No queries (e.g. a console panel): the panel still renders, with empty data.
      const empty: PanelData = { state: LoadingState.Done, series: [], timeRange: range };
      current = empty;
      setData(empty);
      return;
    }
    if (!ds) return;
    return runQuery(ds, buildRequest(ds, queriesRef.current, range, runId), (d) => {
      current = d;
      updates++;
      setData(d);
      setCounter((n) => n + 1);
    });
  }, [ds, runId, range]);

  const QueryEditor = ds?.components?.QueryEditor;
  return (
    <main style={{ padding: 16 }}>
      <header data-testid="host-header" style={{ marginBottom: 12 }}>
        Runboard test host (stands in for Grafana) — user role <span data-testid="host-role">{config.role}</span> · theme {config.theme} · datasource <b>{config.datasource}</b>
      </header>
      {bootError && <pre data-testid="boot-error">{bootError}</pre>}
      {ds && QueryEditor && config.showQueryEditor && (
        <section data-testid="query-editors">
          {queries.map((q, i) => (
            <div key={q.refId} data-testid={`query-editor-row-${q.refId}`} style={{ marginBottom: 8 }}>
              <Boundary name="QueryEditor">
                <QueryEditor
                  datasource={ds}
                  query={q as DataQuery}
                  queries={queries as DataQuery[]}
                  data={data}
                  range={range}
                  app={CoreApp.Dashboard}
                  onChange={(next: DataQuery) => setQueries((qs) => qs.map((x, j) => (j === i ? (next as HostQuery) : x)))}
                  onRunQuery={() => setRunId((n) => n + 1)}
                />
              </Boundary>
            </div>
          ))}
          <button data-testid="host-run" onClick={() => setRunId((n) => n + 1)}>
            Run queries
          </button>
        </section>
      )}
      <section style={{ marginTop: 12 }}>
        <div>
          state <span data-testid="panel-state">{data?.state ?? 'NotStarted'}</span> · updates <span data-testid="panel-updates">{counter}</span>
        </div>
        {data?.error && <pre data-testid="panel-error">{errorText(data.error)}</pre>}
        {data && panelPlugin ? <PanelView plugin={panelPlugin} data={data} range={range} renderCounter={counter} /> : data && !config.panel ? <ValueTable data={data} /> : null}
      </section>
    </main>
  );
}

const theme = getThemeById(config.theme);
document.body.classList.add(`theme-${config.theme}`);
createRoot(document.getElementById('reactRoot')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <App />
  </ThemeContext.Provider>,
);
