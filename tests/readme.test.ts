/**
 * The README's curl examples work as written: every ```sh block that calls curl runs in bash
 * against a real exporter started with the README's own settings, with $RB and $TOKEN set as the
 * README says. Each curl gets -f (an HTTP error fails the block) and a time limit (the stream
 * examples never end by themselves; a time-out is their success).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startExporter, type RunningExporter } from './helpers/exporter-process';

const README = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
const shBlocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
const blocks = shBlocks.filter((b) => /^\s*(\w+=\$\()?curl /m.test(b));
/** The CLI examples as a user types them in the repository: through the bin npm linked. */
const cliBlocks = shBlocks.filter((b) => /^npx runboard-exporter /m.test(b));

let exp: RunningExporter;
beforeAll(async () => {
  exp = await startExporter(['--demo']);
  // A reader runs the examples against an exporter that has been up for a while: wait for the
  // first ticks so the series the examples name exist.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const latest = (await (await fetch(`${exp.url}/api/v1/latest`, { headers: { Authorization: `Bearer ${exp.token}` } })).json()) as { values: Record<string, number> };
    if (latest.values.system_load1 !== undefined && latest.values.actions_per_minute !== undefined) break;
    await new Promise((r) => setTimeout(r, 200));
  }
});
afterAll(async () => {
  await exp?.stop();
});

it('has curl examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(2);
});

it.each(blocks.map((b, i) => [i, b]))('curl block %i runs without an HTTP error', (_i, block) => {
  const prelude = [
    'set -euo pipefail',
    `export RB=${exp.url}`,
    `export TOKEN=${exp.token}`,
    // -f: fail on HTTP errors; --max-time: end streams (curl exit 28 = time-out, expected for -N)
    'curl() { local rc=0; command curl -fsS --max-time 3 "$@" || rc=$?; if [ $rc -ne 0 ] && [ $rc -ne 28 ]; then echo "curl failed ($rc): $*" >&2; return $rc; fi; }',
  ].join('\n');
  const res = spawnSync('bash', ['-c', `${prelude}\n${block}`], { encoding: 'utf8', timeout: 60000 });
  if (res.status !== 0) throw new Error(`block failed (${res.status}):\n${block}\n--- stderr ---\n${res.stderr}`);
  expect(res.status).toBe(0);
});

it('has npx runboard-exporter examples', () => {
  expect(cliBlocks.length).toBeGreaterThanOrEqual(1);
});

it.each(cliBlocks.map((b, i) => [i, b]))('npx runboard-exporter block %i runs from the repository root', (_i, block) => {
  // The README's "CLI": the exporter's address and token come from RUNBOARD_URL and
  // RUNBOARD_API_TOKEN when it is not the default one.
  const prelude = ['set -euo pipefail', `export RUNBOARD_URL=${exp.url}`, `export RUNBOARD_API_TOKEN=${exp.token}`].join('\n');
  const res = spawnSync('bash', ['-c', `${prelude}\n${block}`], { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', timeout: 60000 });
  if (res.status !== 0) throw new Error(`block failed (${res.status}):\n${block}\n--- stderr ---\n${res.stderr}`);
  expect(res.stdout).toMatch(/system_load1/);
});
