/**
 * Checks the ingest fast path (exporter/src/ingest/fast-check.ts) against zod on generated
 * records, valid and invalid: whenever the fast predicate says "valid", zod must accept the record
 * and return an equal one; and for these schemas it should say "valid" for every record zod
 * accepts (otherwise the fast path is just unused). `node -r ./bench/register.js
 * bench/src/checks/fast-check-equivalence.ts [runs]` (uses exporter/dist: build first).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import * as protocol from '@runboard/protocol';
import { EXPORTER_DIST } from '../lib/paths';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isValidRecord } = require(path.join(EXPORTER_DIST, 'ingest/validate.js')) as typeof import('../../../exporter/src/ingest/validate');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compileFastCheck } = require(path.join(EXPORTER_DIST, 'ingest/fast-check.js')) as typeof import('../../../exporter/src/ingest/fast-check');
const { ingestRecordSchema } = protocol;
/** The in-process SDK's checks: the record schemas without `kind` (as exporter.ts builds them). */
const sdkChecks = {
  action: compileFastCheck(protocol.actionRecordSchema.omit({ kind: true })),
  event: compileFastCheck(protocol.eventRecordSchema.omit({ kind: true })),
  llm: compileFastCheck(protocol.llmRecordSchema.omit({ kind: true })),
  state: compileFastCheck(protocol.stateRecordSchema.omit({ kind: true })),
};

const strings = fc.oneof(
  fc.constantFrom(
    'deploy',
    'a',
    '',
    'x'.repeat(256),
    'x'.repeat(257),
    'tab\there',
    'nul\u0000',
    'del\u007f',
    'ünïcödé',
    '😀'.repeat(128),
    '😀'.repeat(129),
    '😀'.repeat(256),
    '😀'.repeat(257),
    '\ud800',
    '\udc00\ud800',
    'x'.repeat(255) + '😀',
    ' ',
  ),
  fc.string({ maxLength: 10 }),
);
const numbers = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1.5,
    0.001,
    NaN,
    Infinity,
    -Infinity,
    31_536_000,
    31_536_000.5,
    1e9,
    1e9 + 1,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 1,
    2 ** 53 + 2,
    8.64e15,
    8.64e15 + 2,
    1.7e12,
    1.7e12 + 0.5,
  ),
  fc.double(),
  fc.integer(),
);
const anyValue = fc.oneof(strings, numbers, fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constantFrom({}, [], [1], new Date(0), 'true', '1'));
const fields = [
  'kind',
  'name',
  'duration_seconds',
  'success',
  't',
  'type',
  'outcome',
  'processing_seconds',
  'provider',
  'model',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'run_id',
  'current_action',
  'actions_in_flight',
  'action_queue_depth',
  'event_queue_depth',
  'extra',
  '__proto__x',
];
const kinds = fc.constantFrom('action', 'event', 'llm', 'state', 'other', undefined);
const outcomes = fc.constantFrom('queued', 'processed', 'failed', 'done');

const typed: Record<string, fc.Arbitrary<unknown>> = {
  name: strings,
  type: strings,
  provider: strings,
  model: strings,
  run_id: strings,
  current_action: fc.oneof(strings, fc.constant(null)),
  duration_seconds: numbers,
  processing_seconds: numbers,
  t: numbers,
  input_tokens: numbers,
  output_tokens: numbers,
  cost_usd: numbers,
  actions_in_flight: numbers,
  action_queue_depth: numbers,
  event_queue_depth: numbers,
  success: fc.boolean(),
  outcome: outcomes,
};

// Mostly well-typed records (so many are valid), sometimes any value in any field, plus extras.
const record = fc
  .record({
    kind: kinds,
    picks: fc.subarray(fields),
    wild: fc.array(fc.tuple(fc.constantFrom(...fields), anyValue), { maxLength: 2 }),
    values: fc.record(Object.fromEntries(Object.entries(typed).map(([k, a]) => [k, a])) as Record<string, fc.Arbitrary<unknown>>),
  })
  .map(({ kind, picks, wild, values }) => {
    const r: Record<string, unknown> = {};
    if (kind !== undefined) r.kind = kind;
    for (const f of picks) if (f !== 'kind' && f in values) r[f] = values[f];
    for (const [k, v] of wild) r[k] = v;
    return r;
  });

// Valid records of each kind with optional fields present or not, then 0-2 fields changed to any value.
const bases: Array<Record<string, unknown>> = [
  { kind: 'action', name: 'deploy', duration_seconds: 12.5, success: true, t: 1_700_000_000_000 },
  { kind: 'event', type: 'webhook', outcome: 'processed', processing_seconds: 0.04, t: 1 },
  { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 812, output_tokens: 96, duration_seconds: 0.9, success: true, cost_usd: 0.0002, run_id: 'r', t: 8.64e15 },
  { kind: 'state', current_action: 'deploy', actions_in_flight: 1, action_queue_depth: 3, event_queue_depth: 12, t: 5 },
];
const nearValid = fc
  .record({
    base: fc.constantFrom(...bases),
    drop: fc.subarray(fields),
    changes: fc.array(fc.tuple(fc.constantFrom(...fields), fc.oneof(anyValue, ...Object.values(typed))), { maxLength: 2 }),
  })
  .map(({ base, drop, changes }) => {
    const r: Record<string, unknown> = { ...base };
    for (const f of drop) if (f !== 'kind') delete r[f];
    for (const [k, v] of changes) r[k] = v;
    return r;
  });

const runs = Number(process.argv[2] ?? 200_000);
let fastValid = 0;
let zodValid = 0;
let missed = 0;
let sdkFast = 0;
fc.assert(
  fc.property(fc.oneof(record, nearValid, nearValid, anyValue), (v) => {
    const fast = isValidRecord(v);
    const parsed = ingestRecordSchema.safeParse(v);
    if (parsed.success) zodValid++;
    if (fast) {
      fastValid++;
      assert.ok(parsed.success, `fast path accepted a record zod rejects: ${JSON.stringify(v)}`);
      assert.deepEqual(parsed.data, v, `zod returned a different record for ${JSON.stringify(v)}`);
    } else if (parsed.success) {
      missed++;
      if (missed <= 3) process.stdout.write(`zod-valid, not fast: ${JSON.stringify(v, (_k, x) => (x === undefined ? '<undefined>' : x))}\n`);
    }
    // The SDK path: the same record without its kind, checked against the kind-less schema.
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { kind?: unknown }).kind === 'string' && (v as { kind: string }).kind in sdkChecks) {
      const { kind, ...rest } = v as Record<string, unknown> & { kind: keyof typeof sdkChecks };
      if (sdkChecks[kind](rest)) {
        sdkFast++;
        assert.ok(parsed.success, `SDK fast path accepted a record zod rejects: ${JSON.stringify(v)}`);
      }
    }
  }),
  { numRuns: runs },
);
// Hand-picked valid records must take the fast path.
for (const v of [
  { kind: 'action', name: 'deploy', duration_seconds: 12.5, success: true },
  { kind: 'event', type: 'webhook', outcome: 'processed', processing_seconds: 0.04, t: 1_700_000_000_000 },
  { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', input_tokens: 812, output_tokens: 96, duration_seconds: 0.9, cost_usd: 0.0002, run_id: 'r1', success: false },
  { kind: 'state', current_action: null, actions_in_flight: 0, action_queue_depth: 3, event_queue_depth: 12 },
]) {
  assert.ok(isValidRecord(v), `fast path refused ${JSON.stringify(v)}`);
}
process.stdout.write(
  `fast-check vs zod: ${runs} values, zod accepted ${zodValid}, fast path accepted ${fastValid} (all accepted by zod, equal output), zod-valid but not fast: ${missed}; SDK fast path accepted ${sdkFast}, all accepted by zod\n`,
);
