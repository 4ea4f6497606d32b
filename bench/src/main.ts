/**
 * `npm run bench`: runs every benchmark of bench/README.md (Runboard and its baseline in the same run),
 * prints the table and writes bench/results/latest.json. Figures are medians over repeated
 * trials; nothing is asserted: a missed goal is reported, never a failure.
 *
 * Flags: --quick (short trials, < 2 min), --only a,b (a subset: collection, sdk, ingest, metrics,
 * sse, screen, proxy), --out FILE (default bench/results/latest.json), --profile DIR (exporter CPU
 * profiles, node --cpu-prof, for the benchmarks that support it; the figures then include the
 * profiler's own cost).
 */
import fs from 'node:fs';
import path from 'node:path';
import { collection } from './benchmarks/collection';
import { ingest } from './benchmarks/ingest';
import { metricsScrape } from './benchmarks/metrics';
import { proxy } from './benchmarks/proxy';
import { sdk } from './benchmarks/sdk';
import { screen } from './benchmarks/screen';
import { sse } from './benchmarks/sse';
import { machineFacts } from './lib/machine';
import { RESULTS } from './lib/paths';
import { loadAverage } from './lib/proc';
import { markdownTable, textTable, type BenchResult, type Context, type Row } from './lib/result';

const BENCHMARKS: Record<string, (ctx: Context) => Promise<BenchResult>> = {
  collection,
  sdk,
  ingest,
  metrics: metricsScrape,
  sse,
  screen,
  proxy,
};

interface Options {
  quick: boolean;
  only: string[];
  out: string;
  profileDir?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { quick: false, only: Object.keys(BENCHMARKS), out: path.join(RESULTS, 'latest.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') opts.quick = true;
    else if (a.startsWith('--only')) {
      opts.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (a.startsWith('--out')) opts.out = path.resolve(value());
    else if (a.startsWith('--profile')) opts.profileDir = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench [-- --quick] [--only collection,sdk,ingest,metrics,sse,screen,proxy] [--out FILE] [--profile DIR]\n');
      process.exit(0);
    } else throw new Error(`unknown flag ${a} (try --help)`);
  }
  const unknown = opts.only.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})`);
  return opts;
}

export async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const started = performance.now();
  const log = (msg: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${msg}\n`);
  if (opts.profileDir) fs.mkdirSync(opts.profileDir, { recursive: true });
  const machine = machineFacts();
  log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}${opts.quick ? ' (quick)' : ''}`);
  const ctx: Context = { quick: opts.quick, profileDir: opts.profileDir, log };
  const results: BenchResult[] = [];
  const failures: Array<{ name: string; error: string }> = [];
  for (const name of opts.only) {
    log(`${name}: start`);
    try {
      const loadBefore = loadAverage();
      const r = await BENCHMARKS[name](ctx);
      // Other work on the machine shows here: a 1-minute load above the core count means the
      // figures were measured on a shared machine.
      r.details.loadAverage = { before: loadBefore, after: loadAverage() };
      results.push(r);
      log(`${name}: done in ${r.seconds.toFixed(0)} s`);
      process.stderr.write(textTable(r.rows) + '\n');
    } catch (err) {
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      failures.push({ name, error });
      log(`${name}: FAILED: ${error}`);
    }
  }
  const rows: Row[] = results.flatMap((r) => r.rows);
  const totalSeconds = (performance.now() - started) / 1000;
  const report = {
    machine: { ...machine, loadAverageAtEnd: loadAverage() },
    mode: opts.quick ? 'quick' : 'full',
    totalSeconds: Math.round(totalSeconds),
    rows,
    benchmarks: results,
    failures,
  };
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  const notesMd = rows.filter((r) => r.note).map((r) => `- ${r.benchmark}: ${r.figure}: ${r.note}`);
  const machineLine = `${report.mode} run, ${report.totalSeconds} s, ${machine.date}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.os}, load average ${machine.loadAverageAtStart.join(' ')} at start`;
  fs.writeFileSync(opts.out.replace(/\.json$/, '.md'), `${machineLine}\n\n${markdownTable(rows)}\n${notesMd.length ? `\n${notesMd.join('\n')}\n` : ''}`);
  process.stdout.write(
    `\nRunboard benchmarks (${report.mode}, ${Math.round(totalSeconds)} s) — ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}\n\n`,
  );
  process.stdout.write(textTable(rows) + '\n');
  const notes = rows.filter((r) => r.note);
  if (notes.length > 0) process.stdout.write(`\n${notes.map((r) => `- ${r.benchmark}: ${r.figure}: ${r.note}`).join('\n')}\n`);
  process.stdout.write(`\nJSON: ${path.relative(process.cwd(), opts.out)}\n`);
  if (failures.length > 0) process.stdout.write(`benchmarks that could not run: ${failures.map((f) => f.name).join(', ')}\n`);
  return failures.length > 0 ? 1 : 0;
}
