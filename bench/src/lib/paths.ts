import path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');
export const BENCH = path.join(REPO, 'bench');
/** The exporter under test: the built one, or another build (BENCH_EXPORTER_CLI) to compare two builds. */
export const CLI = process.env.BENCH_EXPORTER_CLI ? path.resolve(process.env.BENCH_EXPORTER_CLI) : path.join(REPO, 'exporter/dist/cli.js');
/** The dist the in-process benchmarks (sdk) load: the one next to CLI. */
export const EXPORTER_DIST = path.dirname(CLI);
export const REGISTER = path.join(BENCH, 'register.js');
export const WORKERS = path.join(BENCH, 'src/workers');
export const RESULTS = path.join(BENCH, 'results');
