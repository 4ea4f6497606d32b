/** What every benchmark returns, and the table the suite prints. */
import { round } from './stats';

export interface Row {
  /** Benchmark id (collection, sdk, ingest, metrics, sse, screen). */
  benchmark: string;
  figure: string;
  unit: string;
  runboard: number | null;
  baseline: number | null;
  /** What the baseline is (e.g. "node_exporter 1.5", "raw prom-client"). */
  baselineName?: string;
  /** runboard / baseline. */
  ratio: number | null;
  /** The issue's goal for this figure, in words. */
  goal?: string;
  /** Whether the figure meets its goal (reported, never asserted). */
  met?: boolean | null;
  note?: string;
}

export interface BenchResult {
  name: string;
  title: string;
  seconds: number;
  rows: Row[];
  /** Trials, per-trial values, settings: everything needed to check the medians. */
  details: Record<string, unknown>;
}

export interface Context {
  quick: boolean;
  /** Write exporter CPU profiles (node --cpu-prof) here when set. */
  profileDir?: string;
  log(msg: string): void;
}

export function row(r: Omit<Row, 'ratio'> & { ratio?: number | null }): Row {
  const ratio = r.ratio !== undefined ? r.ratio : r.runboard !== null && r.baseline !== null && r.baseline !== 0 ? r.runboard / r.baseline : null;
  return {
    ...r,
    runboard: r.runboard === null ? null : round(r.runboard, 4),
    baseline: r.baseline === null ? null : round(r.baseline, 4),
    ratio: ratio === null ? null : round(ratio, 3),
  };
}

function fmt(v: number | null, unit = ''): string {
  if (v === null || !Number.isFinite(v)) return '—';
  const abs = Math.abs(v);
  const s =
    abs >= 1e6
      ? `${(v / 1e6).toFixed(2)}M`
      : abs >= 1e4
        ? `${(v / 1e3).toFixed(1)}k`
        : abs >= 100
          ? v.toFixed(0)
          : abs >= 10
            ? v.toFixed(1)
            : abs >= 1
              ? v.toFixed(2)
              : v.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

export function formatRows(rows: Row[]): { header: string[]; lines: string[][] } {
  const header = ['figure', 'Runboard', 'baseline', 'ratio', 'goal', 'met'];
  const lines = rows.map((r) => [
    `${r.benchmark}: ${r.figure}`,
    fmt(r.runboard, r.unit),
    r.baseline === null ? '—' : `${fmt(r.baseline, r.unit)}${r.baselineName ? ` (${r.baselineName})` : ''}`,
    r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
    r.goal ?? '',
    r.met === undefined || r.met === null ? '' : r.met ? 'yes' : 'NO',
  ]);
  return { header, lines };
}

export function textTable(rows: Row[]): string {
  const { header, lines } = formatRows(rows);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(line)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const { header, lines } = formatRows(rows);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...lines.map((l) => `| ${l.map(esc).join(' | ')} |`)].join('\n');
}
