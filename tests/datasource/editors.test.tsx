/**
 * The editors render with Grafana UI and report changes through onChange. The datasource is a
 * stub with the few methods the editors call (listSeries, listCommands, getVariableOptions).
 */
import '../helpers/grafana-ui-dom';
import type { DataSourceSettings } from '@grafana/data';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { ConfigEditor } from '../../datasource-plugin/src/components/ConfigEditor';
import { QueryEditor } from '../../datasource-plugin/src/components/QueryEditor';
import { VariableQueryEditor } from '../../datasource-plugin/src/components/VariableQueryEditor';
import type { DataSource } from '../../datasource-plugin/src/datasource';
import type { RunboardOptions, RunboardSecureOptions, RunboardVariableQuery } from '../../datasource-plugin/src/types';
import type { RunboardQuery } from '@runboard/protocol';
import { COMMANDS, SERIES } from './fixtures';

function stubDatasource(): DataSource {
  return {
    listSeries: jest.fn(async () => SERIES),
    listCommands: jest.fn(async () => COMMANDS),
    getVariableOptions: () => [{ label: '$action_series', value: '$action_series', description: 'Dashboard variable' }],
  } as unknown as DataSource;
}

/** Opens a Grafana Select (react-select) by its aria-label and clicks the option with this text. */
async function choose(selectLabel: string, optionText: string | RegExp) {
  const input = screen.getByLabelText(selectLabel);
  fireEvent.keyDown(input, { key: 'ArrowDown' });
  const option = await screen.findByText(optionText);
  fireEvent.click(option);
}

/** Renders and lets the pickers' option lists load. */
async function renderQueryEditor(query: RunboardQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const datasource = stubDatasource();
  const utils = render(<QueryEditor datasource={datasource} query={query} onChange={onChange} onRunQuery={onRunQuery} />);
  await act(async () => undefined);
  return { ...utils, onChange, onRunQuery, datasource };
}

describe('ConfigEditor', () => {
  const base = {
    id: 1,
    uid: 'runboard',
    orgId: 1,
    name: 'Runboard',
    type: 'runboard-live-datasource',
    typeName: 'Runboard Live',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
  } as DataSourceSettings<RunboardOptions, RunboardSecureOptions>;

  test('the URL goes to options.url (proxy access) and is copied for messages', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={base} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByPlaceholderText('http://localhost:9477'), { target: { value: ' http://exporter:9477 ' } });
    expect(onOptionsChange).toHaveBeenCalledWith(expect.objectContaining({ url: 'http://exporter:9477', access: 'proxy', jsonData: { exporterUrl: 'http://exporter:9477' } }));
  });

  test('the token goes to secureJsonData; once stored it shows as configured and can be reset', () => {
    const onOptionsChange = jest.fn();
    const { rerender } = render(<ConfigEditor options={base} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByPlaceholderText('API token'), { target: { value: 's3cret' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonData: { apiToken: 's3cret' } }));

    rerender(<ConfigEditor options={{ ...base, secureJsonFields: { apiToken: true } }} onOptionsChange={onOptionsChange} />);
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonFields: { apiToken: false }, secureJsonData: { apiToken: '' } }));
  });
});

describe('QueryEditor', () => {
  test('the query type switch changes the query type and re-runs', async () => {
    const { onChange, onRunQuery } = await renderQueryEditor({ refId: 'A', queryType: 'live', series: [] });
    fireEvent.click(screen.getByText('Costs'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'costs', series: [] });
    expect(onRunQuery).toHaveBeenCalled();
  });

  test('live: the series picker lists the exporter’s series with their labels; picking one adds it', async () => {
    const { onChange, onRunQuery, datasource } = await renderQueryEditor({ refId: 'A', queryType: 'live', series: ['system_load1'] });
    await waitFor(() => expect(datasource.listSeries).toHaveBeenCalled());
    // The selected series shows by its name; an option shows name and labels.
    expect(await screen.findByText('system_load1')).toBeInTheDocument();
    await choose('Series', 'actions_per_minute · action=deploy');
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'live', series: ['system_load1', 'actions_per_minute{action="deploy"}'] });
    expect(onRunQuery).toHaveBeenCalled();
  });

  test('live: variables are offered, and a typed value or list can be added', async () => {
    const { onChange } = await renderQueryEditor({ refId: 'A', queryType: 'live', series: [] });
    await choose('Series', '$action_series');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ series: ['$action_series'] }));
    const input = screen.getByLabelText('Series');
    fireEvent.change(input, { target: { value: 'new_metric{a="1,2"},other' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ series: ['new_metric{a="1,2"}', 'other'] }));
  });

  test('live: the alias is typed, and the query runs when the field is left', async () => {
    const { onChange, onRunQuery } = await renderQueryEditor({ refId: 'A', queryType: 'live', series: [] });
    const alias = screen.getByLabelText('Alias');
    fireEvent.change(alias, { target: { value: '{{action}}' } });
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ alias: '{{action}}' }));
    fireEvent.blur(alias);
    expect(onRunQuery).toHaveBeenCalled();
  });

  test('history: the same picker', async () => {
    const { onChange } = await renderQueryEditor({ refId: 'B', queryType: 'history', series: [] });
    await choose('Series', 'system_memory_used_bytes');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'B', queryType: 'history', series: ['system_memory_used_bytes'] });
  });

  test('runs: command and outcome pickers', async () => {
    const { onChange, datasource } = await renderQueryEditor({ refId: 'R', queryType: 'runs' });
    await waitFor(() => expect(datasource.listCommands).toHaveBeenCalled());
    await choose('Command', 'Back up the database');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'R', queryType: 'runs', command: 'backup' });
    await choose('Outcome', 'Failure');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'R', queryType: 'runs', outcome: 'failure' });
    const limit = screen.getByLabelText('Limit');
    fireEvent.change(limit, { target: { value: '900' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'R', queryType: 'runs', limit: 500 });
    fireEvent.change(limit, { target: { value: '0' } });
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'R', queryType: 'runs', limit: 1 });
  });

  test('costs: group by', async () => {
    const { onChange } = await renderQueryEditor({ refId: 'C', queryType: 'costs' });
    expect(screen.getByText('Model')).toBeInTheDocument();
    await choose('Group by', 'Day');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'C', queryType: 'costs', groupBy: 'day' });
    await choose('Group by', 'Tag');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'C', queryType: 'costs', groupBy: 'tag' });
  });

  test('costs: sources are picked, added to those chosen, or a variable', async () => {
    const { onChange, onRunQuery } = await renderQueryEditor({ refId: 'C', queryType: 'costs', source: 'sdk' });
    expect(screen.getByText('SDK')).toBeInTheDocument();
    await choose('Source', 'Recording proxy');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'C', queryType: 'costs', source: 'sdk,proxy' });
    expect(onRunQuery).toHaveBeenCalled();
    await choose('Source', '$action_series');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'C', queryType: 'costs', source: 'sdk,$action_series' });
  });
});

describe('VariableQueryEditor', () => {
  test('the kind picker, and the metric filter for series', async () => {
    const onChange = jest.fn();
    const datasource = stubDatasource();
    const props = { datasource, onChange, onRunQuery: jest.fn() } as unknown as Parameters<typeof VariableQueryEditor>[0];
    const { rerender } = render(<VariableQueryEditor {...props} query={{ refId: 'v', kind: 'series' }} />);
    await act(async () => undefined);
    await choose('Metric', 'actions_per_minute');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'series', metric: 'actions_per_minute' });
    await choose('Variable kind', 'Models');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'models' });

    rerender(<VariableQueryEditor {...props} query={{ refId: 'v', kind: 'models' } as RunboardVariableQuery} />);
    await choose('Provider', 'openai');
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'models', provider: 'openai' });
    expect(screen.queryByLabelText('Metric')).not.toBeInTheDocument();
    expect(within(document.body).getByText('Models')).toBeInTheDocument();
  });
});
