/**
 * Plain aligned tables for the CLI: a header row, columns separated by two spaces, numbers (or
 * any column marked 'right') right-aligned, no trailing spaces.
 */
export type Align = 'left' | 'right';

let pipeGuarded = false;

/** Writes command output to stdout; a reader that goes away (`| head`) ends the process quietly. */
export function print(text: string): void {
  if (!pipeGuarded) {
    pipeGuarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function formatTable(headers: string[], rows: string[][], align: Align[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    widths
      .map((w, i) => {
        const c = cells[i] ?? '';
        return align[i] === 'right' ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** A number for people: integers as they are, others with about four significant digits. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return v.toFixed(0);
  if (abs >= 100) return v.toFixed(1);
  if (abs >= 1) return trimZeros(v.toFixed(3));
  if (abs >= 0.0001) return trimZeros(v.toPrecision(3));
  return v.toExponential(2);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

function formatBytes(v: number, suffix = ''): string {
  let i = 0;
  let n = Math.abs(v);
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${i === 0 ? formatNumber(n) : n.toFixed(1)} ${BYTE_UNITS[i]}${suffix}`;
}

/** A value with its series unit (the Grafana unit ids the exporter reports). */
export function formatValue(v: number, unit: string | undefined): string {
  if (!Number.isFinite(v)) return String(v);
  switch (unit) {
    case 'percentunit':
      return `${trimZeros((v * 100).toFixed(1))}%`;
    case 'percent':
      return `${trimZeros(v.toFixed(1))}%`;
    case 's':
      return `${formatNumber(v)} s`;
    case 'ms':
      return `${formatNumber(v)} ms`;
    case 'bytes':
      return formatBytes(v);
    case 'Bps':
      return formatBytes(v, '/s');
    case 'currencyUSD':
      return `$${Math.abs(v) >= 1 ? v.toFixed(2) : formatNumber(v)}`;
    case 'opm':
    case 'reqpm':
      return `${formatNumber(v)}/min`;
    default:
      return formatNumber(v);
  }
}
