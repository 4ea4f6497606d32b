/**
 * `runboard-exporter commands | runs list|show|output|cancel | templates list|save|delete | costs`:
 * the allow-listed commands, run history, saved parameter sets and the cost ledger of a running
 * exporter, as aligned tables (or the API's JSON with --json; costs also as the API's CSV).
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  costGroupings,
  costSources,
  runOutcomes,
  type CommandsResponse,
  type CostGrouping,
  type CostSource,
  type CostsResponse,
  type RunInfo,
  type RunsPage,
  type Template,
} from '@runboard/protocol';
import { apiError, badInputIsUsage, rawRequest } from './api';
import { addConnectionOptions, EXIT_USAGE, ExporterClient, resolveConnection, type ConnectionFlags } from './connection';
import { CliError } from './errors';
import { exitCodeOf, followRun, formatDuration, formatUsd } from './follow';
import { findCommand, findTemplate } from './lookup';
import { collectParam, convertParams, formatParamValues, summarizeParameters, type RawParam } from './params';
import { formatTable, print } from './table';
import { checkTimeRange } from './time-range';

interface JsonFlag {
  json?: boolean;
}

interface RunsListFlags extends ConnectionFlags, JsonFlag {
  command?: string;
  outcome?: string;
  status?: string;
  limit: number;
  offset: number;
}

interface TemplatesFlags extends ConnectionFlags, JsonFlag {
  command?: string;
  param?: RawParam[];
}

interface CostsFlags extends ConnectionFlags, JsonFlag {
  groupBy: CostGrouping;
  source?: CostSource;
  from: string;
  to: string;
  csv?: boolean;
}

function oneOf(flag: string, values: readonly string[]) {
  return (value: string): string => {
    if (!values.includes(value)) throw new InvalidArgumentError(`${flag} must be one of ${values.join(', ')}`);
    return value;
  };
}

function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

export function registerCommands(program: Command): void {
  registerCommandList(program);
  registerRuns(program);
  registerTemplates(program);
  registerCosts(program);
}

function registerCommandList(program: Command): void {
  addConnectionOptions(
    program
      .command('commands')
      .description('list the commands the exporter may run, with their parameters (name:type=default)')
      .option('--json', 'print the API response as JSON (with the full parameter schemas)'),
  ).action(async (flags: ConnectionFlags & JsonFlag) => {
    const res = await new ExporterClient(resolveConnection(flags)).get<CommandsResponse>('/commands');
    if (flags.json) return print(JSON.stringify(res, null, 2));
    if (res.commands.length === 0) process.stderr.write('runboard-exporter: the exporter allows no commands (see `commands:` in its config)\n');
    print(
      formatTable(
        ['id', 'title', 'parameters'],
        res.commands.map((c) => [c.id, c.title, summarizeParameters(c) || '-']),
      ),
    );
  });
}

function registerRuns(program: Command): void {
  const runs = program.command('runs').description('run history: list, show, output, cancel (see `runs <command> --help`)');

  addConnectionOptions(
    runs
      .command('list')
      .description('recent runs, newest first')
      .option('--command <id>', 'only runs of this command')
      .option('--outcome <outcome>', `only runs that ended so: ${runOutcomes.join(', ')}`, oneOf('--outcome', runOutcomes))
      .option('--status <status>', 'only runs that are queued, running or finished', oneOf('--status', ['queued', 'running', 'finished']))
      .option('--limit <n>', 'most runs to show (1-500)', wholeNumber('--limit', 1, 500), 20)
      .option('--offset <n>', 'skip this many of the newest', wholeNumber('--offset', 0, Number.MAX_SAFE_INTEGER), 0)
      .option('--json', 'print the API response as JSON'),
  ).action(async (flags: RunsListFlags) => {
    const client = new ExporterClient(resolveConnection(flags));
    const page = await client.get<RunsPage>('/runs', {
      command: flags.command,
      outcome: flags.outcome,
      status: flags.status,
      limit: flags.limit,
      offset: flags.offset,
    });
    if (flags.json) return print(JSON.stringify(page, null, 2));
    const rows = page.runs.map((r) => [
      r.id,
      r.command,
      stateOf(r),
      r.exitCode !== null ? String(r.exitCode) : '-',
      isoSeconds(r.startedAt ?? r.requestedAt),
      r.durationSeconds !== null ? formatDuration(r.durationSeconds) : '-',
      String(r.inputTokens + r.outputTokens),
      formatUsd(r.costUsd),
      r.startedBy ?? '-',
    ]);
    print(
      formatTable(['id', 'command', 'state', 'exit', 'started', 'duration', 'tokens', 'cost', 'by'], rows, [
        'left',
        'left',
        'left',
        'right',
        'left',
        'right',
        'right',
        'right',
        'left',
      ]),
    );
    if (page.total > page.offset + page.runs.length) {
      process.stderr.write(`runboard-exporter: showing ${page.offset + 1}-${page.offset + page.runs.length} of ${page.total} (use --limit / --offset for more)\n`);
    }
  });

  addConnectionOptions(
    runs.command('show').description('one run: parameters, times, outcome, exit code, tokens, cost').argument('<id>', 'run id').option('--json', 'print the API response as JSON'),
  ).action(async (id: string, flags: ConnectionFlags & JsonFlag) => {
    const run = await new ExporterClient(resolveConnection(flags)).get<RunInfo>(`/runs/${encodeURIComponent(id)}`);
    if (flags.json) return print(JSON.stringify(run, null, 2));
    print(describeRun(run));
  });

  addConnectionOptions(
    runs
      .command('output')
      .description("print a run's output: all of it for a finished run, else so far and then live until it ends")
      .argument('<id>', 'run id')
      .option('--json', 'every output event as one JSON line')
      .addHelpText('after', "\nExits with the run's exit code (124 timeout, 130 cancelled). Ctrl-C stops watching; it does not cancel the run."),
  ).action(async (id: string, flags: ConnectionFlags & JsonFlag) => {
    const final = await followRun(resolveConnection(flags), id, { json: flags.json });
    process.exitCode = exitCodeOf(final);
  });

  addConnectionOptions(
    runs
      .command('cancel')
      .description('cancel a queued or running run (its process group gets SIGTERM, then SIGKILL)')
      .argument('<id>', 'run id')
      .option('--json', 'print the API response as JSON'),
  ).action(async (id: string, flags: ConnectionFlags & JsonFlag) => {
    const run = await new ExporterClient(resolveConnection(flags)).post<RunInfo>(`/runs/${encodeURIComponent(id)}/cancel`, {});
    if (flags.json) return print(JSON.stringify(run, null, 2));
    print(run.status === 'finished' ? `cancelled run ${run.id} (${run.command})` : `cancelling run ${run.id} (${run.command}): it ends shortly`);
  });
}

function registerTemplates(program: Command): void {
  const templates = program.command('templates').description('saved parameter sets for commands: list, save, delete');

  addConnectionOptions(
    templates.command('list').description('the saved templates').option('--command <id>', "only this command's templates").option('--json', 'print the API response as JSON'),
  ).action(async (flags: TemplatesFlags) => {
    const res = await new ExporterClient(resolveConnection(flags)).get<{ templates: Template[] }>('/templates', { command: flags.command });
    if (flags.json) return print(JSON.stringify(res, null, 2));
    const rows = res.templates.map((t) => [t.id, t.command, t.name, formatParamValues(t.parameters) || '-', isoSeconds(t.updatedAt)]);
    print(formatTable(['id', 'command', 'name', 'parameters', 'updated'], rows));
  });

  addConnectionOptions(
    templates
      .command('save')
      .description('save (or replace) a named parameter set for a command; unset parameters take their defaults')
      .argument('<command>', 'command id')
      .argument('<name>', 'template name (unique per command; saving an existing name replaces it)')
      .option('-p, --param <name=value>', 'a parameter value, repeatable', collectParam)
      .option('--json', 'print the saved template as JSON'),
  ).action(async (commandId: string, name: string, flags: TemplatesFlags) => {
    const client = new ExporterClient(resolveConnection(flags));
    const command = await findCommand(client, commandId);
    const parameters = convertParams(command, flags.param);
    const t = await badInputIsUsage(() => client.post<Template>('/templates', { command: command.id, name, parameters }));
    if (flags.json) return print(JSON.stringify(t, null, 2));
    print(`saved template "${t.name}" for ${t.command} (id ${t.id}): ${formatParamValues(t.parameters) || 'no parameters'}`);
  });

  addConnectionOptions(
    templates
      .command('delete')
      .description('delete a template by id, or by name (with --command when two commands share the name)')
      .argument('<id-or-name>', 'template id or name')
      .option('--command <id>', 'the command the named template belongs to'),
  ).action(async (ref: string, flags: TemplatesFlags) => {
    const conn = resolveConnection(flags);
    const t = await findTemplate(new ExporterClient(conn), ref, flags.command, 'template');
    const res = await rawRequest(conn, 'DELETE', `/templates/${encodeURIComponent(t.id)}`);
    if (res.status !== 204 && res.status !== 200) throw apiError(conn, res);
    print(`deleted template "${t.name}" of ${t.command} (id ${t.id})`);
  });
}

function registerCosts(program: Command): void {
  addConnectionOptions(
    program
      .command('costs')
      .description('LLM cost breakdown from the ledger: requests, tokens and USD per group, with a total')
      .option('-g, --group-by <grouping>', `one of ${costGroupings.join(', ')}`, oneOf('--group-by', costGroupings), 'model')
      .option('--source <source>', `only records from one of ${costSources.join(', ')}`, oneOf('--source', costSources))
      .option('--from <time>', 'start: ms since the epoch, ISO 8601 or now-<n><ms|s|m|h|d>', 'now-7d')
      .option('--to <time>', 'end, same forms as --from', 'now')
      .option('--csv', "print the exporter's CSV")
      .option('--json', 'print the API response as JSON'),
  ).action(async (flags: CostsFlags) => {
    if (flags.csv && flags.json) throw new CliError('--csv/--json: give only one of them', EXIT_USAGE);
    const { from, to } = checkTimeRange(flags);
    const conn = resolveConnection(flags);
    // Absolute times, so the table's period and the exporter's agree to the millisecond.
    const query = { groupBy: flags.groupBy, from, to, source: flags.source };
    if (flags.csv) {
      const res = await rawRequest(conn, 'GET', '/costs', { query: { ...query, format: 'csv' }, accept: 'text/csv' });
      if (res.status !== 200) throw apiError(conn, res);
      return print(res.text);
    }
    const costs = await badInputIsUsage(() => new ExporterClient(conn).get<CostsResponse>('/costs', query));
    if (flags.json) return print(JSON.stringify(costs, null, 2));
    const row = (key: string, r: CostsResponse['total']) => [key, String(r.requests), String(r.inputTokens), String(r.outputTokens), formatUsd(r.costUsd), String(r.unpriced)];
    const rows = [...costs.rows.map((r) => row(r.key, r)), row('total', costs.total)];
    print(
      `${costs.groupBy === 'hour' || costs.groupBy === 'day' ? 'costs per' : 'costs by'} ${costs.groupBy}, ${isoSeconds(costs.from)} to ${isoSeconds(costs.to)}${flags.source ? `, source ${flags.source}` : ''}\n` +
        formatTable([costs.groupBy, 'requests', 'input tokens', 'output tokens', 'cost', 'unpriced'], rows, ['left', 'right', 'right', 'right', 'right', 'right']),
    );
    if (costs.total.unpriced > 0) {
      process.stderr.write(
        `runboard-exporter: ${costs.total.unpriced} request(s) have no known price and are not in the cost (add the model under \`prices:\` in the exporter's config)\n`,
      );
    }
  });
}

function stateOf(r: RunInfo): string {
  if (r.status === 'finished') return r.outcome ?? 'finished';
  if (r.status === 'queued') return r.queuePosition ? `queued #${r.queuePosition}` : 'queued';
  return r.progress !== null ? `running ${r.progress}%` : 'running';
}

function isoSeconds(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describeRun(r: RunInfo): string {
  const fields: Array<[string, string]> = [
    ['id', r.id],
    ['command', r.command],
    ['status', r.status],
    ['outcome', r.outcome ?? '-'],
    ['exit code', r.exitCode !== null ? String(r.exitCode) : '-'],
  ];
  if (r.signal) fields.push(['signal', r.signal]);
  if (r.queuePosition) fields.push(['queue position', String(r.queuePosition)]);
  fields.push(
    ['parameters', formatParamValues(r.parameters) || '-'],
    ['started by', r.startedBy ?? '-'],
    ['requested', isoSeconds(r.requestedAt)],
    ['started', r.startedAt !== null ? isoSeconds(r.startedAt) : '-'],
    ['finished', r.finishedAt !== null ? isoSeconds(r.finishedAt) : '-'],
    ['duration', r.durationSeconds !== null ? formatDuration(r.durationSeconds) : '-'],
  );
  if (r.progress !== null) fields.push(['progress', `${r.progress}%${r.progressMessage ? ` ${r.progressMessage}` : ''}`]);
  fields.push(
    ['tokens', `${r.inputTokens} in / ${r.outputTokens} out`],
    ['cost', formatUsd(r.costUsd)],
    ['output', `${r.outputBytes} bytes${r.truncated ? ' (stored output truncated)' : ''}`],
  );
  if (r.error) fields.push(['error', r.error]);
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)}  ${v}`).join('\n');
}
