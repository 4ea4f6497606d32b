/**
 * The panel as Grafana mounts it: the view option, and the console bound to a datasource looked up
 * through @grafana/runtime (a fake DataSourceSrv here: no Grafana runs in these tests) and to the
 * signed-in user's role from `config.bootData.user`.
 */
import '../helpers/grafana-ui-dom';
import { render, screen, waitFor, act } from '@testing-library/react';
import { dateTime, LoadingState, type DataSourceInstanceSettings, type PanelProps } from '@grafana/data';
import { config, setDataSourceSrv, type DataSourceSrv } from '@grafana/runtime';
import { RunboardPanel } from '../../panel-plugin/src/components/RunboardPanel/RunboardPanel';
import { DEFAULT_CARDS, DEFAULT_CONSOLE } from '../../panel-plugin/src/constants';
import type { PanelOptions } from '@runboard/protocol';
import { FakeConsoleApi } from './helpers/fake-console-api';
import { wideFrame } from './helpers/frames';

jest.mock('@grafana/ui', () => ({ ...jest.requireActual('@grafana/ui'), Sparkline: () => <div data-testid="sparkline-stub" /> }));

function props(options: Partial<PanelOptions>): PanelProps<PanelOptions> {
  const timeRange = { from: dateTime(0), to: dateTime(600_000), raw: { from: 'now-10m', to: 'now' } };
  return {
    id: 1,
    data: { state: LoadingState.Done, series: [wideFrame({ cpu: { values: [1, 2] } })], timeRange },
    timeRange,
    timeZone: 'utc',
    options: { view: 'cards', cards: DEFAULT_CARDS, console: DEFAULT_CONSOLE, ...options },
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: 800,
    height: 400,
    renderCounter: 0,
    title: 'Runboard',
    eventBus: {} as never,
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (s: string) => s,
    onChangeTimeRange: jest.fn(),
  };
}

/** A DataSourceSrv answering with the given instances by uid; getList lists the Runboard ones. */
function fakeDataSourceSrv(instances: Record<string, object>): DataSourceSrv {
  const settings = (uid: string) => ({ uid, name: uid, type: (instances[uid] as { type?: string }).type ?? 'x' }) as DataSourceInstanceSettings;
  return {
    get: jest.fn(async (ref?: string | { uid?: string } | null) => {
      const uid = typeof ref === 'string' ? ref : ref?.uid;
      if (!uid || !instances[uid]) {
        throw new Error(`Datasource ${uid} was not found`);
      }
      return instances[uid];
    }),
    getList: jest.fn((filter?: { pluginId?: string }) =>
      Object.keys(instances)
        .map(settings)
        .filter((s) => !filter?.pluginId || s.type === filter.pluginId),
    ),
    getInstanceSettings: jest.fn((ref) => settings(typeof ref === 'string' ? ref : ref!.uid!)),
    reload: jest.fn(),
    registerRuntimeDataSource: jest.fn(),
  } as unknown as DataSourceSrv;
}

function runboardInstance(api = new FakeConsoleApi()) {
  return Object.assign(api, { type: 'runboard-live-datasource', meta: { id: 'runboard-live-datasource' }, name: 'Runboard', uid: 'runboard' });
}

const originalUser = config.bootData.user;
afterEach(() => {
  config.bootData.user = originalUser;
});

test('view "cards" shows the query as cards', () => {
  render(<RunboardPanel {...props({ view: 'cards' })} />);
  expect(screen.getByTestId('runboard-card')).toHaveTextContent('cpu');
});

test('options a dashboard leaves out take their defaults', () => {
  render(<RunboardPanel {...props({ view: 'cards', cards: undefined as never, console: undefined as never })} />);
  expect(screen.getByTestId('runboard-card')).toHaveTextContent('cpu');
  expect(screen.getByTestId('runboard-card-delta')).toBeInTheDocument();
});

test('view "console" with the chosen datasource, for an editor', async () => {
  const api = runboardInstance();
  setDataSourceSrv(fakeDataSourceSrv({ runboard: api }));
  config.bootData.user = { ...originalUser, orgRole: 'Editor', login: 'alice' } as typeof originalUser;
  render(<RunboardPanel {...props({ view: 'console', console: { ...DEFAULT_CONSOLE, datasource: { uid: 'runboard', type: 'runboard-live-datasource' } } })} />);
  expect(await screen.findByTestId('runboard-console')).toBeInTheDocument();
  expect(screen.queryByRole('note')).toBeNull();
  expect(screen.getByRole('button', { name: 'Run' })).not.toHaveAttribute('aria-disabled', 'true');
  await act(async () => undefined);
});

test('no datasource chosen: the first Runboard datasource is used', async () => {
  const api = runboardInstance();
  const srv = fakeDataSourceSrv({ prom: { type: 'prometheus' }, runboard: api });
  setDataSourceSrv(srv);
  render(<RunboardPanel {...props({ view: 'console' })} />);
  expect(await screen.findByTestId('runboard-console')).toBeInTheDocument();
  expect(srv.get).toHaveBeenCalledWith({ uid: 'runboard', type: 'runboard-live-datasource' });
  await act(async () => undefined);
});

test('a viewer sees the console read-only (role from config.bootData.user)', async () => {
  setDataSourceSrv(fakeDataSourceSrv({ runboard: runboardInstance() }));
  config.bootData.user = { ...originalUser, orgRole: 'Viewer', login: 'vic' } as typeof originalUser;
  render(<RunboardPanel {...props({ view: 'console' })} />);
  await screen.findByTestId('runboard-console');
  expect(screen.getByRole('note')).toHaveTextContent('Your role in this organization is Viewer');
  expect(screen.getByRole('button', { name: 'Run' })).toHaveAttribute('aria-disabled', 'true');
  await act(async () => undefined);
});

test('a Grafana server admin who is a Viewer in this org is read-only too: the proxy checks the org role', async () => {
  setDataSourceSrv(fakeDataSourceSrv({ runboard: runboardInstance() }));
  config.bootData.user = { ...originalUser, orgRole: 'Viewer', isGrafanaAdmin: true, login: 'root' } as typeof originalUser;
  render(<RunboardPanel {...props({ view: 'console' })} />);
  await screen.findByTestId('runboard-console');
  expect(screen.getByRole('note')).toHaveTextContent('Your role in this organization is Viewer');
  expect(screen.getByRole('button', { name: 'Run' })).toHaveAttribute('aria-disabled', 'true');
  await act(async () => undefined);
});

test('a datasource of another plugin is refused with a message, even with the console’s method names', async () => {
  const lookalike = Object.assign(new FakeConsoleApi(), { type: 'prometheus', meta: { id: 'prometheus' }, name: 'Prometheus' });
  setDataSourceSrv(fakeDataSourceSrv({ prom: lookalike }));
  render(<RunboardPanel {...props({ view: 'console', console: { ...DEFAULT_CONSOLE, datasource: { uid: 'prom' } } })} />);
  expect(
    await screen.findByText('"Prometheus" is a prometheus datasource, not a Runboard one: choose a Runboard Live datasource (runboard-live-datasource) in the panel options.'),
  ).toBeInTheDocument();
  expect(lookalike.listCommands).not.toHaveBeenCalled();
});

test('no Runboard datasource at all', async () => {
  setDataSourceSrv(fakeDataSourceSrv({ prom: { type: 'prometheus' } }));
  render(<RunboardPanel {...props({ view: 'console' })} />);
  expect(await screen.findByText(/No Runboard datasource is configured/)).toBeInTheDocument();
});

test('a datasource that cannot be loaded', async () => {
  setDataSourceSrv(fakeDataSourceSrv({}));
  render(<RunboardPanel {...props({ view: 'console', console: { ...DEFAULT_CONSOLE, datasource: { uid: 'gone' } } })} />);
  await waitFor(() => expect(screen.getByText(/Cannot load the datasource: Datasource gone was not found/)).toBeInTheDocument());
});
