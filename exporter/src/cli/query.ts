/**
 * `runboard-exporter query series|latest|history`: read a running exporter's live series as
 * aligned tables (or the API's JSON with --json).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { HistoryResponse, LatestResponse, SeriesResponse } from '@runboard/protocol';
import { splitSeriesList } from '@runboard/protocol/series';
import { addConnectionOptions, EXIT_USAGE, ExporterClient, resolveConnection, type ConnectionFlags } from './connection';
import { CliError } from './errors';
import { formatTable, formatValue, print, type Align } from './table';
import { checkTimeRange } from './time-range';

interface JsonFlag {
  json?: boolean;
}

interface LatestFlags extends ConnectionFlags, JsonFlag {
  series?: string[];
}

interface HistoryFlags extends ConnectionFlags, JsonFlag {
  series?: string[];
  from: string;
  to: string;
  maxPoints: number;
}

/** `--series` may be repeated and each value may be a comma-separated list of ids. */
function collectSeries(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...splitSeriesList(value)];
}

function parseMaxPoints(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('--max-points must be a whole number of at least 1');
  return Number(value);
}

const SERIES_HELP = 'series ids, comma-separated or repeated, e.g. \'actions_per_minute{action="deploy"}\'';

export function registerQuery(program: Command): void {
  const query = program.command('query').description("read a running exporter's live series (see `query <command> --help`)");

  addConnectionOptions(query.command('series').description('list the live series: id, unit, description').option('--json', 'print the API response as JSON')).action(
    async (flags: ConnectionFlags & JsonFlag) => {
      const client = new ExporterClient(resolveConnection(flags));
      const res = await client.get<SeriesResponse>('/series');
      if (flags.json) return print(JSON.stringify(res, null, 2));
      print(
        formatTable(
          ['id', 'unit', 'description'],
          res.series.map((s) => [s.id, s.unit, s.description]),
        ),
      );
    },
  );

  addConnectionOptions(
    query
      .command('latest')
      .description('the newest value of each series (or of the given ones)')
      .option('--series <ids>', SERIES_HELP, collectSeries)
      .option('--json', 'print the API response as JSON'),
  ).action(async (flags: LatestFlags) => {
    const client = new ExporterClient(resolveConnection(flags));
    const wanted = flags.series ?? [];
    const params = { series: wanted.length > 0 ? wanted.join(',') : undefined };
    if (flags.json) return print(JSON.stringify(await client.get<LatestResponse>('/latest', params), null, 2));
    const [latest, info] = await Promise.all([client.get<LatestResponse>('/latest', params), client.get<SeriesResponse>('/series')]);
    const units = unitsOf(info);
    for (const id of wanted) {
      if (!(id in latest.values)) process.stderr.write(`runboard-exporter: no current value for ${id}${units.has(id) ? '' : ' (unknown series, see `query series`)'}\n`);
    }
    if (latest.t === null) return print('no samples yet: the exporter has not taken its first tick');
    const rows = Object.entries(latest.values).map(([id, v]) => [id, formatValue(v, units.get(id))]);
    print(`at ${new Date(latest.t).toISOString()}\n` + formatTable(['series', 'value'], rows, ['left', 'right']));
  });

  addConnectionOptions(
    query
      .command('history')
      .description('recent values of the given series from the live store, one row per tick')
      .requiredOption('--series <ids>', SERIES_HELP, collectSeries)
      .option('--from <time>', 'start: ms since the epoch, ISO 8601 or now-<n><ms|s|m|h|d>', 'now-15m')
      .option('--to <time>', 'end, same forms as --from', 'now')
      .option('--max-points <n>', 'most rows to return (the exporter downsamples)', parseMaxPoints, 100)
      .option('--json', 'print the API response as JSON (columnar: t and values per series)'),
  ).action(async (flags: HistoryFlags) => {
    const ids = flags.series ?? [];
    if (ids.length === 0) throw new CliError('--series: give at least one series id', EXIT_USAGE);
    checkTimeRange(flags);
    const client = new ExporterClient(resolveConnection(flags));
    const params = { series: ids.join(','), from: flags.from, to: flags.to, maxPoints: flags.maxPoints };
    if (flags.json) return print(JSON.stringify(await client.get<HistoryResponse>('/history', params), null, 2));
    const [hist, info] = await Promise.all([client.get<HistoryResponse>('/history', params), client.get<SeriesResponse>('/series')]);
    const units = unitsOf(info);
    const columns = Object.keys(hist.values);
    const rows = hist.t.map((t, i) => [
      new Date(t).toISOString(),
      ...columns.map((id) => {
        const v = hist.values[id][i];
        return v === null || v === undefined ? '-' : formatValue(v, units.get(id));
      }),
    ]);
    if (rows.length === 0) process.stderr.write('runboard-exporter: no samples in that time range\n');
    const align: Align[] = ['left', ...columns.map((): Align => 'right')];
    print(formatTable(['time', ...columns], rows, align));
  });
}

function unitsOf(info: SeriesResponse): Map<string, string> {
  return new Map(info.series.map((s) => [s.id, s.unit]));
}
