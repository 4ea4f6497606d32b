/**
 * @jest-environment <rootDir>/tests/panel/helpers/jsdom-with-fetch.js
 *
 * The console driving the REAL Runboard datasource (datasource-plugin's DataSource and api.ts,
 * its run output stream) against a REAL exporter (exporter/dist/cli.js, its built-in example
 * commands), as in Grafana: the console gets the datasource instance the panel accepts
 * (asConsoleApi) and calls it as a RunboardConsoleApi.
 *
 * The one mock is Grafana itself (helpers/grafana-proxy.ts): backendSrv and the data proxy exist
 * only in a running Grafana server, so a stand-in does their HTTP with fetch on the exporter and
 * adds what the proxy adds (the plugin.json route's token and X-Runboard-Via, X-Grafana-User).
 * jsdom renders React; the custom environment lends it Node's streaming fetch.
 */
import '../helpers/grafana-ui-dom';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { DataSourceInstanceSettings } from '@grafana/data';
import { setBackendSrv } from '@grafana/runtime';
import type { RunboardConsoleApi } from '@runboard/protocol';
import { DataSource } from '../../datasource-plugin/src/datasource';
import pluginJson from '../../datasource-plugin/src/plugin.json';
import type { RunboardOptions } from '../../datasource-plugin/src/types';
import { CommandConsole } from '../../panel-plugin/src/components/CommandConsole/CommandConsole';
import { asConsoleApi } from '../../panel-plugin/src/utils/datasource';
import { runPermission } from '../../panel-plugin/src/utils/permissions';
import { serverFieldError } from '../../panel-plugin/src/utils/parameters';
import { startExporter, type RunningExporter } from '../helpers/exporter-process';
import { grafanaProxy } from './helpers/grafana-proxy';

jest.setTimeout(60_000);

let exporter: RunningExporter;
let api: RunboardConsoleApi;
const browserFetch = globalThis.fetch;

beforeAll(async () => {
  // Output arrives from a real process whenever it likes, not inside act(): React should not warn
  // about that here (Testing Library still wraps its own render and events in act).
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
  exporter = await startExporter(['--interval', '0.5']);
  const grafana = grafanaProxy({ uid: 'runboard', exporterUrl: exporter.url, apiToken: exporter.token, login: 'test' });
  setBackendSrv(grafana.backendSrv);
  globalThis.fetch = grafana.fetch;
  const ds = new DataSource({
    id: 1,
    uid: 'runboard',
    type: pluginJson.id,
    name: 'Runboard',
    url: grafana.proxyUrl,
    access: 'proxy',
    jsonData: { exporterUrl: exporter.url },
    meta: { id: pluginJson.id, name: pluginJson.name, type: 'datasource' },
    readOnly: false,
  } as unknown as DataSourceInstanceSettings<RunboardOptions>);
  const checked = asConsoleApi(ds);
  if ('error' in checked) {
    throw new Error(checked.error);
  }
  api = checked.api;
});

afterAll(async () => {
  globalThis.fetch = browserFetch;
  await exporter?.stop();
});

const input = (label: RegExp) => screen.getByLabelText(label) as HTMLInputElement;
const type = (label: RegExp, value: string) => fireEvent.change(input(label), { target: { value } });
const LONG = { timeout: 20_000 };

async function renderConsole() {
  const view = render(<CommandConsole api={api} permission={runPermission({ orgRole: 'Editor' })} width={1200} historyPageSize={5} />);
  await screen.findByTestId('runboard-console', undefined, LONG);
  return view;
}

test('the panel accepts the datasource; its errors carry the exporter’s message and field, which the form marks', async () => {
  expect(api).toBeInstanceOf(DataSource);
  const err = await api.startRun('sample-task', { steps: 99 }).catch((e: unknown) => e as Error & { field?: string; status?: number });
  expect(err).toMatchObject({ status: 400, field: 'parameters.steps', message: 'parameters.steps: must be at most 50' });
  const [command] = (await api.listCommands()).filter((c) => c.id === 'sample-task');
  expect(serverFieldError(command, (err as { field?: string }).field, (err as Error).message)).toEqual({ name: 'steps', reason: 'must be at most 50' });
});

test('form → run → live progress and output → outcome → history → replay → re-run', async () => {
  const { unmount } = await renderConsole();
  const list = screen.getByRole('list', { name: 'Commands' });
  expect(within(list).getByRole('button', { name: /Sample AI task/ })).toHaveAttribute('aria-pressed', 'true');
  expect(within(list).getByRole('button', { name: /System report/ })).toBeInTheDocument();

  // Client-side validation with the exporter's bounds, before any request.
  type(/^Steps/, '51');
  fireEvent.click(screen.getByRole('button', { name: 'Run' }));
  expect(within(screen.getByTestId('runboard-parameter-steps')).getByRole('alert')).toHaveTextContent('must be at most 50');

  type(/^Steps/, '3');
  type(/^Delay \(ms\)/, '250');
  type(/^Topic/, 'panel test');
  fireEvent.click(screen.getByRole('button', { name: 'Run' }));

  const view = await screen.findByTestId('runboard-run-view', undefined, LONG);
  // Live: progress from ::progress lines, output as it is printed.
  await waitFor(() => expect(Number(within(view).getByRole('progressbar').getAttribute('aria-valuenow'))).toBeGreaterThan(0), LONG);
  await within(view).findByText('sample-task: done', undefined, LONG);
  await within(view).findByText('Succeeded', undefined, LONG);
  expect(within(view).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  expect(within(view).getByTestId('runboard-run-progress')).toHaveTextContent('step 3 of 3');
  expect(within(view).getByText('sample-task: 3 steps on "panel test" with gpt-4o-mini')).toBeInTheDocument();
  const facts = within(view).getByTestId('runboard-run-facts');
  expect(facts).toHaveTextContent('success, exit code 0');
  expect(facts).toHaveTextContent(/Tokens[\d,]+ in \/ [\d,]+ out/);
  expect(facts).toHaveTextContent(/Cost\$0\.\d+/); // gpt-4o-mini is in the price table
  const [stored] = (await api.listRuns({ limit: 1 })).runs;
  expect(stored).toMatchObject({ command: 'sample-task', outcome: 'success', startedBy: 'grafana:test', parameters: { steps: 3, delay_ms: 250, topic: 'panel test' } });

  // The history lists it; choosing it replays the stored output.
  const history = screen.getByTestId('runboard-run-history');
  const row = await within(history).findByText('Succeeded', undefined, LONG);
  fireEvent.click(row);
  await within(screen.getByTestId('runboard-run-view')).findByText('sample-task: done', undefined, LONG);

  // Re-run with the same parameters.
  fireEvent.click(within(screen.getByTestId('runboard-run-view')).getByRole('button', { name: 'Re-run' }));
  await waitFor(async () => expect((await api.listRuns({})).total).toBe(2), LONG);
  const [second] = (await api.listRuns({ limit: 1 })).runs;
  expect(second.parameters).toEqual(stored.parameters);
  await within(screen.getByTestId('runboard-run-view')).findByText('Succeeded', undefined, LONG);
  unmount();
});

test('a failing run: stderr is marked, exit code shown', async () => {
  const { unmount } = await renderConsole();
  type(/^Steps/, '2');
  type(/^Delay \(ms\)/, '50');
  fireEvent.click(input(/^Fail halfway/));
  fireEvent.click(screen.getByRole('button', { name: 'Run' }));
  const view = await screen.findByTestId('runboard-run-view', undefined, LONG);
  await within(view).findByText('Failed', undefined, LONG);
  const errLine = within(view).getByText('step 1 failed: the model returned an invalid answer').parentElement!;
  expect(errLine).toHaveAttribute('data-stream', 'stderr');
  expect(errLine).toHaveTextContent(/^stderr/);
  expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent('failure, exit code 1');
  unmount();
});

test('cancel a long run', async () => {
  const { unmount } = await renderConsole();
  type(/^Steps/, '50');
  type(/^Delay \(ms\)/, '400');
  fireEvent.click(screen.getByRole('button', { name: 'Run' }));
  const view = await screen.findByTestId('runboard-run-view', undefined, LONG);
  await within(view).findByText('Running', undefined, LONG);
  await within(view).findByText(/step 1\/50/, undefined, LONG);
  fireEvent.click(within(view).getByRole('button', { name: 'Cancel' }));
  await within(view).findByText('Cancelled', undefined, LONG);
  expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent(/cancelled/);
  expect(within(view).queryByRole('button', { name: /Cancel/ })).toBeNull();
  unmount();
});

test('templates: save, load, delete against the ledger', async () => {
  const { unmount } = await renderConsole();
  const bar = screen.getByTestId('runboard-templates');
  type(/^Steps/, '7');
  fireEvent.change(within(bar).getByLabelText('Template name'), { target: { value: 'seven steps' } });
  fireEvent.click(within(bar).getByRole('button', { name: 'Save template' }));
  await within(bar).findByText('Saved "seven steps".', undefined, LONG);
  const [saved] = await api.listTemplates('sample-task');
  expect(saved).toMatchObject({ name: 'seven steps', parameters: { steps: 7 } });

  type(/^Steps/, '1');
  fireEvent.keyDown(within(bar).getByRole('combobox'), { key: 'ArrowDown' });
  fireEvent.click(await screen.findByText('seven steps', { selector: '[role="option"] *, [role="option"]' }));
  expect(input(/^Steps/)).toHaveValue(7);

  fireEvent.click(within(bar).getByRole('button', { name: 'Delete template' }));
  fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Delete' }));
  await within(bar).findByText('Deleted "seven steps".', undefined, LONG);
  expect(await api.listTemplates('sample-task')).toEqual([]);
  await act(async () => undefined);
  unmount();
});

test('a command marked confirm: true runs only after the dialog', async () => {
  const { unmount } = await renderConsole();
  const before = (await api.listRuns({})).total;
  fireEvent.click(within(screen.getByRole('list', { name: 'Commands' })).getByRole('button', { name: /HTTP check/ }));
  type(/^URL/, `${exporter.url}/api/v1/health`);
  fireEvent.click(screen.getByRole('button', { name: 'Run' }));
  const dialog = await screen.findByRole('dialog');
  expect(dialog).toHaveTextContent('Run HTTP check?');
  expect((await api.listRuns({})).total).toBe(before);
  fireEvent.click(within(dialog).getByRole('button', { name: 'Run' }));
  const view = await screen.findByTestId('runboard-run-view', undefined, LONG);
  await within(view).findByText('Succeeded', undefined, LONG);
  expect((await api.listRuns({})).total).toBe(before + 1);
  unmount();
});
