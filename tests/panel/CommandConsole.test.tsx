/**
 * The command console against a FAKE datasource instance (tests/panel/helpers/fake-console-api.ts):
 * Grafana cannot run here, so instead of `getDataSourceSrv().get(…)` the console gets an object
 * implementing the same RunboardConsoleApi, whose run output the test pushes event by event.
 * console-exporter.test.tsx runs the same console against a real exporter.
 */
import { setScrollMetrics } from '../helpers/grafana-ui-dom';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { RunInfo } from '@runboard/protocol';
import { CommandConsole, type CommandConsoleProps } from '../../panel-plugin/src/components/CommandConsole/CommandConsole';
import { runPermission } from '../../panel-plugin/src/utils/permissions';
import { FakeConsoleApi, line, makeRun } from './helpers/fake-console-api';

const EDITOR = runPermission({ orgRole: 'Editor' });
const VIEWER = runPermission({ orgRole: 'Viewer' });

async function renderConsole(api: FakeConsoleApi, props: Partial<CommandConsoleProps> = {}) {
  const view = render(<CommandConsole api={api} permission={EDITOR} width={1200} {...props} />);
  await screen.findByTestId('runboard-console');
  // Templates and history load after the commands; let their answers land before the test acts.
  await waitFor(() => expect(api.listRuns).toHaveBeenCalled());
  await act(async () => undefined);
  return view;
}

const input = (label: RegExp) => screen.getByLabelText(label) as HTMLInputElement;
const type = (label: RegExp, value: string) => fireEvent.change(input(label), { target: { value } });
const runButton = () => screen.getByRole('button', { name: 'Run' });

async function chooseOption(inputEl: HTMLElement, option: string) {
  fireEvent.keyDown(inputEl, { key: 'ArrowDown' });
  fireEvent.click(await screen.findByText(option, { selector: '[role="option"] *, [role="option"]' }));
}

/** Fills the one required field and starts a run; returns the run the fake started. */
async function startRun(api: FakeConsoleApi): Promise<RunInfo> {
  type(/^Ticket/, 'OPS-42');
  fireEvent.click(runButton());
  await waitFor(() => expect(api.startRun).toHaveBeenCalled());
  const run = await api.startRun.mock.results[api.startRun.mock.results.length - 1].value;
  await screen.findByTestId('runboard-run-view');
  return run;
}

function running(run: RunInfo, over: Partial<RunInfo> = {}): RunInfo {
  return { ...run, status: 'running', startedAt: Date.now() - 3000, ...over };
}

function finished(run: RunInfo, over: Partial<RunInfo>): RunInfo {
  return { ...run, status: 'finished', startedAt: Date.now() - 3000, finishedAt: Date.now(), ...over };
}

describe('commands and the generated form', () => {
  test('lists commands with title and description; the first is selected', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const list = screen.getByRole('list', { name: 'Commands' });
    expect(
      within(list)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual([
      'Sample AI taskWorks through a few steps, asking a model at each one.',
      // The warning icon's title says it in words.
      'HTTP checkAsks for confirmation before runningChecks that a URL answers.',
    ]);
    expect(within(list).getByRole('button', { name: /Sample AI task/ })).toHaveAttribute('aria-pressed', 'true');
  });

  test('one input per parameter type, defaults filled, constraints as hints', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    // string: text box with its default and the pattern as a hint
    expect(input(/^Topic/).type).toBe('text');
    expect(input(/^Topic/)).toHaveValue('quarterly report');
    expect(screen.getByText(/Issue key\. · up to 16 characters, matching \[A-Z\]\+-\\d\+/)).toBeInTheDocument();
    expect(input(/^Ticket/)).toHaveAttribute('title', 'Must match [A-Z]+-\\d+');
    // integer: number box with bounds
    expect(input(/^Steps/)).toHaveAttribute('type', 'number');
    expect(input(/^Steps/)).toHaveAttribute('min', '1');
    expect(input(/^Steps/)).toHaveAttribute('max', '5');
    expect(input(/^Steps/)).toHaveValue(3);
    // enum: a select showing its default
    expect(within(screen.getByTestId('runboard-parameter-model')).getByText('gpt-4o-mini')).toBeInTheDocument();
    expect(input(/^Model/)).toHaveAttribute('role', 'combobox');
    // boolean: a switch
    expect(input(/^Fail halfway/)).toHaveAttribute('role', 'switch');
    expect(input(/^Fail halfway/)).not.toBeChecked();
  });

  test('selecting another command renders its form', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    fireEvent.click(screen.getByRole('button', { name: /HTTP check/ }));
    expect(input(/^URL/)).toHaveValue('http://127.0.0.1:9477/api/v1/health');
    expect(screen.queryByLabelText(/^Steps/)).toBeNull();
    await waitFor(() => expect(api.listTemplates).toHaveBeenLastCalledWith('http-check'));
    await act(async () => undefined);
  });

  test('every type reaches startRun as its JSON type', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    type(/^Ticket/, 'OPS-1');
    type(/^Steps/, '4');
    await chooseOption(input(/^Model/), 'claude-sonnet-4');
    fireEvent.click(input(/^Fail halfway/));
    fireEvent.click(runButton());
    await waitFor(() => expect(api.startRun).toHaveBeenCalledWith('sample-task', { topic: 'quarterly report', ticket: 'OPS-1', steps: 4, model: 'claude-sonnet-4', fail: true }));
  });
});

describe('validation', () => {
  test('client checks mirror the server: nothing is sent while a field is wrong', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    type(/^Topic/, 'x'.repeat(21));
    type(/^Steps/, '9');
    fireEvent.click(runButton());
    const err = (name: string) => within(screen.getByTestId(`runboard-parameter-${name}`)).getByRole('alert');
    expect(err('topic')).toHaveTextContent('must be at most 20 characters (got 21)');
    expect(err('ticket')).toHaveTextContent('is required');
    expect(err('steps')).toHaveTextContent('must be at most 5');
    expect(input(/^Steps/)).toHaveAttribute('aria-invalid', 'true');

    type(/^Ticket/, 'ops-1');
    expect(err('ticket')).toHaveTextContent('must match the pattern [A-Z]+-\\d+');
    type(/^Ticket/, 'OPS-1\u0000');
    expect(err('ticket')).toHaveTextContent('must not contain NUL characters');
    type(/^Steps/, '0');
    expect(err('steps')).toHaveTextContent('must be at least 1');
    type(/^Steps/, '2.5');
    expect(err('steps')).toHaveTextContent('expected an integer, got "2.5"');
    expect(api.startRun).not.toHaveBeenCalled();

    // Fixed fields lose their error as the user types.
    type(/^Steps/, '2');
    expect(within(screen.getByTestId('runboard-parameter-steps')).queryByRole('alert')).toBeNull();
  });

  test("the server's 400 is shown on the field it names", async () => {
    const api = new FakeConsoleApi();
    api.startRun.mockRejectedValueOnce(Object.assign(new Error('parameters.steps: must be at most 4'), { field: 'parameters.steps', status: 400 }));
    await renderConsole(api);
    type(/^Ticket/, 'OPS-1');
    fireEvent.click(runButton());
    const alert = await within(screen.getByTestId('runboard-parameter-steps')).findByRole('alert');
    expect(alert).toHaveTextContent('must be at most 4');
    expect(input(/^Steps/)).toHaveAttribute('aria-invalid', 'true');
  });

  test('a FetchError body (Grafana backendSrv) lands on the field too', async () => {
    const api = new FakeConsoleApi();
    api.startRun.mockRejectedValueOnce({
      status: 400,
      data: { error: { code: 'invalid_request', message: 'parameters.topic: must be at most 20 characters (got 30)', field: 'parameters.topic' } },
    });
    await renderConsole(api);
    type(/^Ticket/, 'OPS-1');
    fireEvent.click(runButton());
    expect(await within(screen.getByTestId('runboard-parameter-topic')).findByRole('alert')).toHaveTextContent('must be at most 20 characters (got 30)');
  });

  test('an error about no field is shown under the form', async () => {
    const api = new FakeConsoleApi();
    api.startRun.mockRejectedValueOnce(Object.assign(new Error('command "sample-task" has 2 runs queued already'), { status: 429 }));
    await renderConsole(api);
    type(/^Ticket/, 'OPS-1');
    fireEvent.click(runButton());
    expect(await screen.findByText('command "sample-task" has 2 runs queued already')).toHaveAttribute('role', 'alert');
  });
});

describe('run lifecycle', () => {
  test('status → lines → progress → end: live view, then outcome, and the history reloads', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const run = await startRun(api);
    expect(api.streamRunOutput).toHaveBeenCalledWith(run.id);
    const historyLoads = api.listRuns.mock.calls.length;

    act(() => {
      api.emit(
        run.id,
        { event: 'status', data: running(run) },
        line(0, 'starting'),
        line(1, 'rate limited, retrying', 'stderr'),
        { event: 'progress', data: { percent: 40, message: 'step 2 of 5' } },
        { event: 'llm', data: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 120, output_tokens: 30, cost_usd: 0.0125 } },
      );
    });
    const view = screen.getByTestId('runboard-run-view');
    expect(await within(view).findByText('step 2 of 5')).toBeInTheDocument();
    expect(within(view).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
    expect(within(view).getByTestId('runboard-run-status')).toHaveTextContent('Running');
    expect(within(view).getByTestId('runboard-run-elapsed')).toHaveTextContent(/^0:0\d$/);
    const output = within(view).getByRole('log', { name: 'Run output' });
    const lines = output.querySelectorAll('[data-stream]');
    expect([...lines].map((l) => [l.getAttribute('data-stream'), l.textContent])).toEqual([
      ['stdout', 'starting'],
      ['stderr', 'stderrrate limited, retrying'],
    ]);
    expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent('120 in / 30 out');
    expect(within(view).getByRole('button', { name: 'Cancel' })).toBeInTheDocument();

    act(() => {
      api.emit(
        run.id,
        line(2, 'done'),
        { event: 'progress', data: { percent: 100, message: 'finished' } },
        {
          event: 'end',
          data: finished(run, {
            outcome: 'success',
            exitCode: 0,
            durationSeconds: 2.5,
            progress: 100,
            progressMessage: 'finished',
            inputTokens: 120,
            outputTokens: 30,
            costUsd: 0.0125,
          }),
        },
      );
    });
    await within(view).findByText('done');
    expect(within(view).getByTestId('runboard-run-status')).toHaveTextContent('Succeeded');
    const facts = within(view).getByTestId('runboard-run-facts');
    expect(facts).toHaveTextContent('Outcomesuccess, exit code 0');
    expect(facts).toHaveTextContent('Duration2.50 s');
    expect(facts).toHaveTextContent('Tokens120 in / 30 out');
    expect(facts).toHaveTextContent('Cost$0.0125');
    expect(within(view).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
    expect(within(view).queryByRole('button', { name: 'Cancel' })).toBeNull();
    await waitFor(() => expect(api.listRuns.mock.calls.length).toBeGreaterThan(historyLoads));
  });

  test('a failed run shows its exit code and stays re-runnable', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const run = await startRun(api);
    act(() => api.emit(run.id, line(0, 'boom', 'stderr'), { event: 'end', data: finished(run, { outcome: 'failure', exitCode: 3, durationSeconds: 0.4 }) }));
    const view = screen.getByTestId('runboard-run-view');
    expect(await within(view).findByText('Failed')).toBeInTheDocument();
    expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent('failure, exit code 3');
    expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent('400 ms');

    fireEvent.click(within(view).getByRole('button', { name: 'Re-run' }));
    await waitFor(() => expect(api.startRun).toHaveBeenCalledTimes(2));
    expect(api.startRun.mock.calls[1]).toEqual(['sample-task', run.parameters]);
  });

  test('cancel asks the datasource, and the end event shows the outcome', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const run = await startRun(api);
    act(() => api.emit(run.id, { event: 'status', data: running(run) }, line(0, 'working')));
    const view = screen.getByTestId('runboard-run-view');
    fireEvent.click(await within(view).findByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(api.cancelRun).toHaveBeenCalledWith(run.id));
    expect(within(view).getByRole('button', { name: 'Cancelling…' })).toHaveAttribute('disabled');
    act(() =>
      api.emit(run.id, line(1, 'cancelled by the user', 'system'), { event: 'end', data: finished(run, { outcome: 'cancelled', signal: 'SIGTERM', durationSeconds: 1.2 }) }),
    );
    expect(await within(view).findByText('Cancelled')).toBeInTheDocument();
    expect(within(view).getByTestId('runboard-run-facts')).toHaveTextContent('cancelled, signal SIGTERM');
    expect(within(view).getByText('cancelled by the user').parentElement).toHaveAttribute('data-stream', 'system');
  });

  test('a cancel refused by the server says why', async () => {
    const api = new FakeConsoleApi();
    api.cancelRun.mockRejectedValueOnce(Object.assign(new Error('run is already finished'), { status: 409 }));
    await renderConsole(api);
    const run = await startRun(api);
    act(() => api.emit(run.id, { event: 'status', data: running(run) }));
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    expect(await screen.findByText('Cannot cancel: run is already finished')).toBeInTheDocument();
  });

  test('a broken output stream is reported with the run’s latest state and a reconnect', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const run = await startRun(api);
    api.update(running(run));
    act(() => api.fail(run.id, new Error('connection lost')));
    expect(await screen.findByText(/Output stream stopped: connection lost/)).toBeInTheDocument();
    await waitFor(() => expect(api.getRun).toHaveBeenCalledWith(run.id));
    expect(await screen.findByText('Running')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Reconnect' })).toBeInTheDocument();
  });

  test('auto-scroll follows the output until the user scrolls up; "jump to latest" resumes', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const run = await startRun(api);
    act(() => api.emit(run.id, { event: 'status', data: running(run) }, line(0, 'one')));
    const log = await screen.findByRole('log', { name: 'Run output' });
    await within(log).findByText('one');
    expect(log).toHaveAttribute('data-following', 'true');

    // The user scrolls up: 600 px of content, 200 visible, at the top.
    setScrollMetrics(log, { scrollHeight: 600, clientHeight: 200, scrollTop: 0 });
    fireEvent.scroll(log);
    expect(log).toHaveAttribute('data-following', 'false');
    act(() => api.emit(run.id, line(1, 'two'), line(2, 'three')));
    await within(log).findByText('three');
    expect(log.scrollTop).toBe(0); // not dragged down while reading
    const jump = screen.getByRole('button', { name: /Jump to latest \(2 new\)/ });

    setScrollMetrics(log, { scrollHeight: 660 });
    fireEvent.click(jump);
    expect(log.scrollTop).toBe(660);
    expect(log).toHaveAttribute('data-following', 'true');
    expect(screen.queryByRole('button', { name: /Jump to latest/ })).toBeNull();
    act(() => api.emit(run.id, line(3, 'four')));
    setScrollMetrics(log, { scrollHeight: 700 });
    await within(log).findByText('four');
    expect(log.scrollTop).toBe(700); // following again
  });
});

describe('history', () => {
  function seedHistory(api: FakeConsoleApi, n: number) {
    for (let i = 0; i < n; i++) {
      api.runs.push(
        makeRun({
          id: `old-${i}`,
          command: i % 2 ? 'http-check' : 'sample-task',
          status: 'finished',
          outcome: i % 3 ? 'success' : 'failure',
          exitCode: i % 3 ? 0 : 1,
          startedAt: 1_700_000_000_000 - i * 60_000,
          durationSeconds: 1 + i,
          inputTokens: 100 * i,
          outputTokens: 10 * i,
          costUsd: 0.5 * i,
          parameters: i % 2 ? { url: 'http://example.com' } : { topic: 't', ticket: `OPS-${i}`, steps: 2, model: 'gpt-4o-mini', fail: false },
        }),
      );
    }
  }

  test('a table of recent runs with paging', async () => {
    const api = new FakeConsoleApi();
    seedHistory(api, 12);
    await renderConsole(api, { historyPageSize: 5 });
    const history = screen.getByTestId('runboard-run-history');
    const rows = await within(history).findAllByTestId('runboard-history-row');
    expect(rows).toHaveLength(5);
    expect(
      within(history)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Command', 'Started', 'Duration', 'Outcome', 'Tokens', 'Cost']);
    const cells = within(rows[1])
      .getAllByRole('cell')
      .map((c) => c.textContent);
    expect(cells[0]).toBe('HTTP check');
    expect(cells[2]).toBe('2.00 s');
    expect(cells[3]).toBe('Succeeded');
    expect(cells[4]).toBe('110');
    expect(cells[5]).toBe('$0.50');
    expect(within(rows[0]).getAllByRole('cell')[3]).toHaveTextContent('Failed');
    expect(within(history).getByText('Runs 1–5 of 12')).toBeInTheDocument();

    fireEvent.click(within(history).getByRole('button', { name: '2' }));
    await within(history).findByText('Runs 6–10 of 12');
    expect(api.listRuns).toHaveBeenLastCalledWith({ limit: 5, offset: 5 });
  });

  test('choosing a run replays its stored output; re-run uses its parameters', async () => {
    const api = new FakeConsoleApi();
    seedHistory(api, 3);
    await renderConsole(api);
    const old = api.runs[2];
    act(() => api.emit(old.id, { event: 'status', data: old }, line(0, 'stored line'), line(1, 'stored error', 'stderr'), { event: 'end', data: old }));
    const rows = await screen.findAllByTestId('runboard-history-row');
    fireEvent.click(within(rows[2]).getByRole('button', { name: 'Sample AI task' }));
    const view = await screen.findByTestId('runboard-run-view');
    expect(await within(view).findByText('stored line')).toBeInTheDocument();
    expect(within(view).getByText('stored error').parentElement).toHaveAttribute('data-stream', 'stderr');
    expect(api.streamRunOutput).toHaveBeenCalledWith(old.id);
    expect(rows[2]).toHaveAttribute('aria-current', 'true');

    fireEvent.click(within(view).getByRole('button', { name: 'Re-run' }));
    await waitFor(() => expect(api.startRun).toHaveBeenCalledWith('sample-task', old.parameters));
    expect(input(/^Ticket/)).toHaveValue('OPS-2');
  });

  test('a running run in the history refreshes until it finishes', async () => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      const api = new FakeConsoleApi();
      api.runs.push(makeRun({ id: 'live', status: 'running', startedAt: Date.now() }));
      await renderConsole(api);
      expect(await screen.findByText('Running')).toBeInTheDocument();
      const calls = api.listRuns.mock.calls.length;
      api.update(makeRun({ id: 'live', status: 'finished', outcome: 'success', exitCode: 0, durationSeconds: 3 }));
      await act(async () => {
        jest.advanceTimersByTime(2100);
      });
      await waitFor(() => expect(api.listRuns.mock.calls.length).toBe(calls + 1));
      expect(await screen.findByText('Succeeded')).toBeInTheDocument();
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('templates', () => {
  test('load fills the form; save creates, saving the same name updates; delete asks first', async () => {
    const api = new FakeConsoleApi();
    api.templates.push({ id: 'tpl-9', command: 'sample-task', name: 'weekly', parameters: { ticket: 'OPS-7', steps: 5, fail: true }, createdAt: 1, updatedAt: 1 });
    await renderConsole(api);
    await waitFor(() => expect(api.listTemplates).toHaveBeenCalledWith('sample-task'));
    const bar = screen.getByTestId('runboard-templates');

    await chooseOption(within(bar).getByRole('combobox'), 'weekly');
    expect(input(/^Ticket/)).toHaveValue('OPS-7');
    expect(input(/^Steps/)).toHaveValue(5);
    expect(input(/^Fail halfway/)).toBeChecked();
    expect(input(/^Topic/)).toHaveValue('quarterly report'); // not in the template: its default

    // Save under a new name
    type(/^Steps/, '2');
    fireEvent.change(within(bar).getByLabelText('Template name'), { target: { value: 'nightly' } });
    fireEvent.click(within(bar).getByRole('button', { name: 'Save template' }));
    await waitFor(() =>
      expect(api.saveTemplate).toHaveBeenCalledWith({
        command: 'sample-task',
        name: 'nightly',
        parameters: { topic: 'quarterly report', ticket: 'OPS-7', steps: 2, model: 'gpt-4o-mini', fail: true },
      }),
    );
    expect(await within(bar).findByText('Saved "nightly".')).toBeInTheDocument();

    // Same name again: replaces it
    type(/^Steps/, '3');
    fireEvent.click(within(bar).getByRole('button', { name: 'Save template' }));
    await waitFor(() =>
      expect(api.saveTemplate).toHaveBeenLastCalledWith(expect.objectContaining({ id: 'tpl-2', name: 'nightly', parameters: expect.objectContaining({ steps: 3 }) })),
    );
    expect(await within(bar).findByText('Updated "nightly".')).toBeInTheDocument();

    // Delete the selected one, after confirming
    fireEvent.click(within(bar).getByRole('button', { name: 'Delete template' }));
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Delete the template "nightly" of Sample AI task?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(api.deleteTemplate).toHaveBeenCalledWith('tpl-2'));
    expect(await within(bar).findByText('Deleted "nightly".')).toBeInTheDocument();
    expect(api.templates.map((t) => t.name)).toEqual(['weekly']);

    // Enter in the name box saves; it never starts a run.
    const name = within(bar).getByLabelText('Template name');
    fireEvent.change(name, { target: { value: 'by enter' } });
    fireEvent.keyDown(name, { key: 'Enter' });
    expect(await within(bar).findByText('Saved "by enter".')).toBeInTheDocument();
    expect(api.startRun).not.toHaveBeenCalled();
  });

  test('an invalid form is not saved', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    const bar = screen.getByTestId('runboard-templates');
    fireEvent.change(within(bar).getByLabelText('Template name'), { target: { value: 'broken' } });
    fireEvent.click(within(bar).getByRole('button', { name: 'Save template' }));
    expect(await within(bar).findByText('Fix the form before saving it as a template.')).toBeInTheDocument();
    expect(within(screen.getByTestId('runboard-parameter-ticket')).getByRole('alert')).toHaveTextContent('is required');
    expect(api.saveTemplate).not.toHaveBeenCalled();
  });
});

describe('confirmation', () => {
  test('a command marked confirm: true asks before running, listing the parameters', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    fireEvent.click(screen.getByRole('button', { name: /HTTP check/ }));
    fireEvent.click(runButton());
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Run HTTP check?');
    expect(dialog).toHaveTextContent('url = "http://127.0.0.1:9477/api/v1/health"');
    expect(api.startRun).not.toHaveBeenCalled();

    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.startRun).not.toHaveBeenCalled();

    fireEvent.click(runButton());
    fireEvent.click(within(await screen.findByRole('dialog')).getByRole('button', { name: 'Run' }));
    await waitFor(() => expect(api.startRun).toHaveBeenCalledWith('http-check', { url: 'http://127.0.0.1:9477/api/v1/health' }));
  });

  test('commands without confirm run at once', async () => {
    const api = new FakeConsoleApi();
    await renderConsole(api);
    await startRun(api);
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});

describe('viewer mode', () => {
  test('Run, Cancel, Save and Delete are disabled with a tooltip saying why; commands and history stay visible', async () => {
    const api = new FakeConsoleApi();
    api.templates.push({ id: 'tpl-1', command: 'sample-task', name: 'weekly', parameters: { ticket: 'OPS-7' }, createdAt: 1, updatedAt: 1 });
    const live = makeRun({ id: 'live', status: 'running', startedAt: Date.now() });
    api.runs.push(live);
    await renderConsole(api, { permission: VIEWER });
    const reason = 'Your role in this organization is Viewer. Running, cancelling and saving templates needs the Editor or Admin role.';
    expect(screen.getByRole('note')).toHaveTextContent(`Read-only: ${reason}`);
    expect(screen.getByRole('list', { name: 'Commands' })).toBeInTheDocument();

    const run = runButton();
    expect(run).toHaveAttribute('aria-disabled', 'true');
    fireEvent.click(run);
    fireEvent.submit(run.closest('form')!); // Enter in a field
    // Nothing happens: not even validation.
    expect(within(screen.getByTestId('runboard-parameter-ticket')).queryByRole('alert')).toBeNull();
    act(() => run.focus());
    expect(await screen.findByRole('tooltip')).toHaveTextContent(reason);
    expect(api.startRun).not.toHaveBeenCalled();

    const bar = screen.getByTestId('runboard-templates');
    expect(within(bar).getByRole('button', { name: 'Save template' })).toHaveAttribute('aria-disabled', 'true');
    expect(within(bar).getByRole('button', { name: 'Delete template' })).toHaveAttribute('aria-disabled', 'true');
    // Loading a template is reading: allowed.
    await chooseOption(within(bar).getByRole('combobox'), 'weekly');
    expect(input(/^Ticket/)).toHaveValue('OPS-7');

    // A running run from the history: Cancel is there but disabled.
    const rows = await screen.findAllByTestId('runboard-history-row');
    fireEvent.click(rows[0]);
    act(() => api.emit('live', { event: 'status', data: live }));
    const cancel = await within(await screen.findByTestId('runboard-run-view')).findByRole('button', { name: 'Cancel' });
    expect(cancel).toHaveAttribute('aria-disabled', 'true');
    fireEvent.click(cancel);
    expect(api.cancelRun).not.toHaveBeenCalled();
    expect(api.saveTemplate).not.toHaveBeenCalled();
  });
});

describe('loading and errors', () => {
  test('commands that fail to load: the message and a retry', async () => {
    const api = new FakeConsoleApi();
    api.listCommands.mockRejectedValueOnce(new Error('Authentication to data source failed'));
    render(<CommandConsole api={api} permission={EDITOR} />);
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot load the commandsAuthentication to data source failed');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByTestId('runboard-console')).toBeInTheDocument();
  });

  test('no commands declared', async () => {
    const api = new FakeConsoleApi();
    api.commands = [];
    render(<CommandConsole api={api} permission={EDITOR} />);
    expect(await screen.findByText(/The exporter declares no commands/)).toBeInTheDocument();
  });
});
