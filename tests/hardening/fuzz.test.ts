/**
 * Property-based fuzzing of every HTTP endpoint of the real exporter (README "Reliability"): wrong types, huge
 * numbers, NaN/Infinity, deep nesting, huge strings, invalid UTF-8, wrong content types and
 * encodings, duplicate keys, malformed percent-encoding, odd methods, and broken HTTP framing
 * (Content-Length larger than sent then close, smaller, conflicting, bad chunks, huge headers).
 *
 * Verdict for every case: no 5xx, no crash, and every rejection is a 4xx whose body is
 * `{"error": {"code", "message"}}`. Health is polled throughout and between batches.
 * Short run: ~3,000 cases; HARDENING_FULL=1: 100,000+ (HARDENING_FUZZ_CASES overrides).
 */
import { isDeepStrictEqual } from 'node:util';
import zlib from 'node:zlib';
import fc from 'fast-check';
import * as validate from '../../exporter/src/ingest/validate';
import { ingestRecordSchema } from '@runboard/protocol';
import type { RunningExporter } from '../helpers/exporter-process';
import { errorBodyProblem, FULL, healthLatency, mb, rawExchange, report, request, rssOf, scale, startWith, unexpectedErrors, watchHealth } from './harness';

const TOTAL = scale('FUZZ_CASES', 3000, 100_000);
const RAW_SHARE = 0.04; // framing cases need a socket each
const PARALLEL = scale('FUZZ_PARALLEL', 4, 4);

let exp: RunningExporter;
const knownRuns: string[] = [];
const knownTemplates: string[] = [];
const byStatus: Record<string, number> = {};
const byEndpoint: Record<string, number> = {};
let caseCount = 0;

beforeAll(async () => {
  exp = await startWith(
    {
      // Big enough that the limiter's bookkeeping runs on every mutating request, never trips.
      limits: { concurrentRuns: 2, runQueue: 4, runOutputBytes: 4096, requestsPerSecond: 1e6 },
      sampling: { intervalSeconds: 0.5 },
    },
    { commands: true },
  );
});
afterAll(async () => {
  await exp?.stop();
});

// ---------- generators ----------

const MALFORMED_ESCAPES = [
  '%',
  '%2',
  '%zz',
  '%G0',
  '%FF',
  '%C0%AF',
  '%ED%A0%80',
  '%E0%A4%A',
  '%F8%88%80%80%80',
  '%00',
  '%0A',
  '%0D%0A',
  '%25',
  '%2F..%2F',
  '%2e%2e%2f',
  '%u0041',
  '%EF%BB%BF',
];

const weirdText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\u001f',
      '\u007f',
      '\ud800',
      '\udfff',
      'x\ud83d',
      '\u202e',
      '\u2028',
      '\ufeff',
      '💥',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'other',
      '../../etc/passwd',
      '$(id)',
      '`id`',
      '"',
      '\\',
      '{}',
      '[]',
      '%s%n',
      'null',
      'true',
      '-1',
      'NaN',
      '1e400',
      '--help',
      'x'.repeat(256),
      'x'.repeat(257),
      '\u0080',
      'a\u009fb',
      'é'.repeat(256),
      '😀'.repeat(128),
      '😀'.repeat(129),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 257, max: 70_000 }).map((n) => 'x'.repeat(n)) },
);

const weirdNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1e308,
    -1e308,
    2 ** 53,
    2 ** 53 - 1,
    2 ** 53 + 2,
    -(2 ** 53),
    2 ** 63,
    1e21,
    5e-324,
    8.64e15,
    8.64e15 + 1,
    86_400 * 365,
    86_400 * 365 + 1e-9,
    1e9,
    1e9 + 1e-6,
  ),
  fc.double(),
  fc.integer(),
);

/** Any JSON-ish value with hostile leaves (NaN/Infinity become null in JSON; text mutations add them back). */
const hostile: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    weirdText,
    weirdNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(weirdText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const label = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('fz-a', 'fz-b', 'gpt-4o', 'openai', 'deploy') }, { weight: 1, arbitrary: weirdText });
const seconds = fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), weirdNumber);
const tokens = fc.oneof(fc.nat({ max: 1e6 }), weirdNumber);

const record = fc.oneof(
  fc.record({ kind: fc.constant('action'), name: label, duration_seconds: seconds, success: fc.oneof(fc.boolean(), hostile) }),
  fc.record(
    { kind: fc.constant('event'), type: label, outcome: fc.oneof(fc.constantFrom('queued', 'processed', 'failed'), weirdText), processing_seconds: seconds, t: weirdNumber },
    { requiredKeys: ['kind', 'type', 'outcome'] },
  ),
  fc.record(
    {
      kind: fc.constant('llm'),
      provider: label,
      model: label,
      input_tokens: tokens,
      output_tokens: tokens,
      cost_usd: weirdNumber,
      duration_seconds: seconds,
      success: fc.boolean(),
      run_id: weirdText,
      t: weirdNumber,
    },
    { requiredKeys: ['kind', 'provider', 'model', 'input_tokens', 'output_tokens'] },
  ),
  fc.record(
    { kind: fc.constant('state'), current_action: fc.oneof(label, fc.constant(null)), actions_in_flight: tokens, action_queue_depth: tokens, event_queue_depth: tokens },
    { requiredKeys: ['kind'] },
  ),
);

/** A record with one field set to something hostile, or removed, or left alone. */
const mutatedRecord = fc.tuple(record, fc.nat(), fc.constantFrom('keep', 'set', 'delete', 'extra'), hostile, weirdText).map(([rec, i, how, value, key]) => {
  const r: Record<string, unknown> = { ...rec };
  const keys = Object.keys(r);
  const k = keys[i % keys.length];
  if (how === 'set') r[k] = value;
  else if (how === 'delete') delete r[k];
  else if (how === 'extra') r[key] = value;
  return r;
});

const ingestBody = fc.oneof(
  { weight: 3, arbitrary: mutatedRecord },
  { weight: 3, arbitrary: fc.array(mutatedRecord, { maxLength: 12 }) },
  { weight: 2, arbitrary: fc.array(mutatedRecord, { maxLength: 12 }).map((records) => ({ records })) },
  { weight: 1, arbitrary: fc.tuple(fc.array(mutatedRecord, { maxLength: 3 }), weirdText, hostile).map(([records, k, v]) => ({ records, [k]: v })) },
  { weight: 1, arbitrary: hostile },
);

const runBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        parameters: fc.record(
          {
            text: fc.oneof(weirdText, hostile),
            verbose: fc.oneof(fc.boolean(), hostile),
            count: fc.oneof(fc.integer({ min: 0, max: 12 }), hostile),
            mode: fc.oneof(fc.constantFrom('a', 'b', 'c'), hostile),
          },
          { requiredKeys: [] },
        ),
        startedBy: fc.oneof(weirdText, hostile),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.dictionary(weirdText, hostile, { maxKeys: 3 }).map((parameters) => ({ parameters })) },
  { weight: 1, arbitrary: hostile },
);

const templateBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        command: fc.oneof(fc.constantFrom('echo', 'proto', 'nope'), weirdText, hostile),
        name: fc.oneof(fc.constantFrom('t1', 't2', 't3'), weirdText, hostile),
        parameters: fc.oneof(fc.record({ text: weirdText, count: fc.oneof(fc.integer({ min: 0, max: 12 }), weirdNumber) }, { requiredKeys: [] }), hostile),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: hostile },
);

/** Text-level damage to a JSON body. */
const textMutation = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '0x1F', '.5', '+1', '01', '1.', '-', 'undefined')
      .map((lit) => ({ kind: 'number' as const, lit })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '"kind":"action",',
        '"kind":"llm","kind":"state",',
        '"records":5,',
        '"__proto__":{"kind":"x"},',
        '"constructor":{"prototype":{}},',
        '"parameters":{},"parameters":[],',
      )
      .map((ins) => ({ kind: 'dupKey' as const, ins })),
  },
  { weight: 2, arbitrary: fc.nat().map((at) => ({ kind: 'truncate' as const, at })) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean()).map(([depth, obj]) => ({ kind: 'deep' as const, depth, obj })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((tail) => ({ kind: 'garbage' as const, tail })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 - 64, 1024 * 1024 + 1, 3 * 1024 * 1024).map((size) => ({ kind: 'pad' as const, size })) },
);

/** Byte-level damage: invalid UTF-8 sequences, or a whole other encoding. */
const byteMutation = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(), fc.constantFrom([0x80], [0xbf], [0xc0, 0xaf], [0xc1], [0xf5], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xe0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]))
      .map(([at, bytes]) => ({ kind: 'invalidUtf8' as const, at, bytes })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'utf16' as const }) },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset=utf-8',
      'application/json; charset="utf-8"',
      'application/json; charset=nonsense',
      'application/octet-stream',
      ';;;=',
      'application/json; ' + 'a=b; '.repeat(200),
      'text/event-stream',
      '*/*',
    ),
  },
);

const contentEncoding = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'gzip-broken', 'compress', 'gzip, gzip', 'x-unknown') },
);

function applyText(text: string, m: { kind: string; [k: string]: unknown }): string {
  switch (m.kind) {
    case 'number':
      return text.replace(/(?<=:)\s*-?\d[\d.eE+-]*/, String(m.lit));
    case 'dupKey':
      return text.startsWith('{') ? `{${m.ins as string}${text.slice(1)}` : `{${m.ins as string}"records":${text}}`;
    case 'truncate':
      return text.slice(0, (m.at as number) % Math.max(1, text.length));
    case 'deep': {
      const d = m.depth as number;
      return m.obj ? '{"a":'.repeat(d) + text + '}'.repeat(d) : '['.repeat(d) + text + ']'.repeat(d);
    }
    case 'garbage':
      return text + (m.tail as string);
    case 'bom':
      return '\ufeff' + text;
    case 'pad':
      return text.padEnd(m.size as number, ' ');
    default:
      return text;
  }
}

function applyBytes(text: string, m: { kind: string; at?: number; bytes?: number[] }): Buffer {
  if (m.kind === 'utf16') return Buffer.from(text, 'utf16le');
  const buf = Buffer.from(text, 'utf8');
  if (m.kind !== 'invalidUtf8') return buf;
  const at = (m.at ?? 0) % (buf.length + 1);
  return Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes ?? []), buf.subarray(at)]);
}

function encodeBody(buf: Buffer, enc: string | undefined): { body: Buffer; header?: string } {
  switch (enc) {
    case 'gzip':
      return { body: zlib.gzipSync(buf), header: 'gzip' };
    case 'deflate':
      return { body: zlib.deflateSync(buf), header: 'deflate' };
    case 'br':
      return { body: zlib.brotliCompressSync(buf), header: 'br' };
    case 'gzip-broken': {
      const z = zlib.gzipSync(buf);
      return { body: z.subarray(0, Math.max(1, z.length >> 1)), header: 'gzip' };
    }
    case undefined:
      return { body: buf };
    default:
      return { body: buf, header: enc };
  }
}

/** One piece of a path segment or query value: text to percent-encode, or a raw (maybe malformed) escape. */
const piece = fc.oneof(
  { weight: 4, arbitrary: weirdText.map((t) => ({ text: t.slice(0, 2000) })) },
  { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_ESCAPES).map((raw) => ({ raw })) },
);
const segment = fc.array(piece, { minLength: 1, maxLength: 3 });

function encodePieces(pieces: Array<{ text?: string; raw?: string }>): string {
  let out = '';
  for (const p of pieces) {
    if (p.raw !== undefined) {
      out += p.raw;
      continue;
    }
    for (const ch of p.text ?? '') {
      if (/^[A-Za-z0-9\-_.~*,:]$/.test(ch)) out += ch;
      else {
        // Lone surrogates have no UTF-8: send the bytes a careless encoder would (CESU-8).
        const code = ch.charCodeAt(0);
        out +=
          code >= 0xd800 && code <= 0xdfff && ch.length === 1 ? `%ED%${(0xa0 | ((code >> 6) & 0x1f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}` : encodeURIComponent(ch);
      }
    }
  }
  return out;
}

const TIME_VALUES = [
  '',
  'now',
  'now-5m',
  'now-15m',
  'now-1e308d',
  'now-99999999999999999999d',
  'now+5m',
  'now-5x',
  '0',
  '-1',
  '99999999999999999999999',
  '8640000000000001',
  '1700000000000',
  '2024-01-01',
  '2024-13-45',
  '2024-01-01T00:00:00Z',
  'T',
  '1e3',
  'NaN',
  'Infinity',
  '-8640000000000000',
];
const INT_VALUES = ['', '0', '1', '-1', '1.5', '1e3', '50', '500', '501', '10000', '10001', '9'.repeat(400), '0x10', ' 5', '５', '9007199254740993'];

/** A query value: a known interesting one, or encoded pieces. */
const qValue = (known: readonly string[]) =>
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known).map((v) => encodePieces([{ text: v }])) }, { weight: 2, arbitrary: segment.map(encodePieces) });

/** A query string over `params`: each present or not, repeated, bracketed, plus a stray one. */
function query(params: Record<string, readonly string[]>): fc.Arbitrary<string> {
  const entries = Object.entries(params).map(([name, known]) =>
    fc.option(
      fc
        .tuple(fc.constantFrom('', '', '', '[]', '[x]'), fc.array(qValue(known), { minLength: 1, maxLength: 2 }))
        .map(([suffix, values]) => values.map((v) => `${name}${suffix}=${v}`).join('&')),
      { freq: 2 },
    ),
  );
  return fc.tuple(fc.tuple(...entries), fc.option(fc.tuple(segment, segment), { freq: 5 })).map(([parts, stray]) => {
    const all = parts.filter((p): p is string => p !== null);
    if (stray) all.push(`${encodePieces(stray[0])}=${encodePieces(stray[1])}`);
    return all.length ? `?${all.join('&')}` : '';
  });
}

/** A path id: a known one (resolved when the case runs), or a hostile segment. */
const idRef = fc.oneof({ weight: 2, arbitrary: fc.nat().map((i) => ({ known: i })) }, { weight: 3, arbitrary: segment.map((s) => ({ raw: encodePieces(s) })) });
type IdRef = { known: number } | { raw: string };
// Known ids came back decoded (a PUT may have made one from hostile text): encode them again.
const resolveId = (ref: IdRef, pool: string[]) => ('raw' in ref ? ref.raw || 'x' : pool.length ? encodePieces([{ text: pool[ref.known % pool.length] }]) || 'x' : 'none');

const otherMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'FOO');
const method = (right: string) => fc.oneof({ weight: 12, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: otherMethod });

/** Authorization: mostly right; sometimes missing or wrong, which must be answered before anything is parsed. */
const authChoice = fc.oneof({ weight: 20, arbitrary: fc.constant('right') }, { weight: 1, arbitrary: fc.constantFrom('none', 'wrong') });

interface Case {
  endpoint: string;
  method: string;
  path: string | ((runs: string[], templates: string[]) => string);
  body?: {
    value: unknown;
    text: { kind: string; [k: string]: unknown };
    bytes: { kind: string; at?: number; bytes?: number[] };
    type: string | undefined;
    encoding: string | undefined;
  };
  auth: string;
  lastEventId?: string;
}

const bodyParts = (value: fc.Arbitrary<unknown>) =>
  fc.record({ value, text: textMutation, bytes: byteMutation, type: contentType, encoding: contentEncoding }).map((b) => b as NonNullable<Case['body']>);

const API = '/api/v1';
const anyCase: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({ endpoint: fc.constant('ingest'), method: method('POST'), path: fc.constant(`${API}/ingest`), body: bodyParts(ingestBody), auth: authChoice }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      endpoint: fc.constant('history'),
      method: method('GET'),
      path: query({ series: ['actions_per_minute', 'system_*', 'a{b="c,d"}', ',,,', 'nope'], from: TIME_VALUES, to: TIME_VALUES, maxPoints: INT_VALUES }).map(
        (q) => `${API}/history${q}`,
      ),
      auth: authChoice,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      endpoint: fc.constant('latest'),
      method: method('GET'),
      path: query({ series: ['actions_per_minute', 'llm_*', '', 'x'.repeat(3000)] }).map((q) => `${API}/latest${q}`),
      auth: authChoice,
    }),
  },
  { weight: 2, arbitrary: fc.record({ endpoint: fc.constant('series'), method: method('GET'), path: query({ x: ['1'] }).map((q) => `${API}/series${q}`), auth: authChoice }) },
  {
    weight: 4,
    arbitrary: fc.record({
      endpoint: fc.constant('stream'),
      method: method('GET'),
      path: query({ series: ['system_*', 'actions_per_minute', '*', ''], lastEventId: ['0', '1', '-1', 'abc', '9'.repeat(400), '1.5', ''] }).map((q) => `${API}/stream${q}`),
      auth: authChoice,
      lastEventId: fc.option(fc.constantFrom('0', '-1', 'x', '9'.repeat(50), '1, 2', ' 5'), { freq: 3 }).map((v) => v ?? undefined),
    }),
  },
  { weight: 1, arbitrary: fc.record({ endpoint: fc.constant('commands'), method: method('GET'), path: fc.constant(`${API}/commands`), auth: authChoice }) },
  {
    weight: 10,
    arbitrary: fc.record({
      endpoint: fc.constant('runs.start'),
      method: method('POST'),
      path: fc
        .oneof({ weight: 4, arbitrary: fc.constantFrom('echo', 'proto', 'fail') }, { weight: 1, arbitrary: segment.map(encodePieces) })
        .map((id) => `${API}/commands/${id || 'x'}/runs`),
      body: bodyParts(runBody),
      auth: authChoice,
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      endpoint: fc.constant('runs.list'),
      method: method('GET'),
      path: query({
        command: ['echo', 'nope', ''],
        outcome: ['success', 'failure', 'timeout', 'cancelled', 'x'],
        status: ['queued', 'running', 'finished', 'x'],
        from: TIME_VALUES,
        to: TIME_VALUES,
        limit: INT_VALUES,
        offset: INT_VALUES,
      }).map((q) => `${API}/runs${q}`),
      auth: authChoice,
    }),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({
        endpoint: fc.constantFrom('runs.get', 'runs.output', 'runs.cancel'),
        method: fc.constant(''),
        path: idRef,
        auth: authChoice,
      })
      .chain((c) =>
        method(c.endpoint === 'runs.cancel' ? 'POST' : 'GET').map((m) => ({
          ...c,
          method: m,
          path: (runs: string[]) => `${API}/runs/${resolveId(c.path as IdRef, runs)}${c.endpoint === 'runs.get' ? '' : c.endpoint === 'runs.output' ? '/output' : '/cancel'}`,
        })),
      ),
  },
  {
    weight: 12,
    arbitrary: fc.oneof(
      fc.record({
        endpoint: fc.constant('templates.list'),
        method: method('GET'),
        path: query({ command: ['echo', 'proto', 'nope'] }).map((q) => `${API}/templates${q}`),
        auth: authChoice,
      }),
      fc.record({ endpoint: fc.constant('templates.post'), method: method('POST'), path: fc.constant(`${API}/templates`), body: bodyParts(templateBody), auth: authChoice }),
      fc.record({ endpoint: fc.constantFrom('templates.get', 'templates.put', 'templates.delete'), ref: idRef, body: bodyParts(templateBody), auth: authChoice }).chain((c) =>
        method(c.endpoint === 'templates.get' ? 'GET' : c.endpoint === 'templates.put' ? 'PUT' : 'DELETE').map((m) => ({
          endpoint: c.endpoint,
          method: m,
          path: (_runs: string[], templates: string[]) => `${API}/templates/${resolveId(c.ref, templates)}`,
          body: c.endpoint === 'templates.put' ? c.body : undefined,
          auth: c.auth,
        })),
      ),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      endpoint: fc.constant('costs'),
      method: method('GET'),
      path: query({ groupBy: ['model', 'provider', 'command', 'hour', 'day', 'x'], from: TIME_VALUES, to: TIME_VALUES, format: ['json', 'csv', 'xml'] }).map(
        (q) => `${API}/costs${q}`,
      ),
      auth: authChoice,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      endpoint: fc.constant('other'),
      method: otherMethod,
      path: fc.oneof(
        fc.constantFrom('/', '/metrics', '/api', '/api/v1', '/api/v2/ingest', '/api/v1/ingest/', '/API/V1/HEALTH', '//api//v1//series', '/api/v1/health?x=%'),
        segment.map((s) => `/${encodePieces(s)}`),
        fc.constant('/' + 'a'.repeat(9000)),
      ),
      auth: authChoice,
    }),
  },
);

// ---------- the checks ----------

/** The slowest answers (as the client saw them), to find what holds the exporter up. */
const slowest: Array<{ ms: number; what: string }> = [];
function noteSlow(ms: number, what: () => string): void {
  if (slowest.length >= 5 && ms <= slowest[slowest.length - 1].ms) return;
  slowest.push({ ms: Math.round(ms), what: what() });
  slowest.sort((a, b) => b.ms - a.ms);
  slowest.length = Math.min(slowest.length, 5);
}

function headersFor(c: Case, token: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.auth === 'right') h.Authorization = `Bearer ${token}`;
  else if (c.auth === 'wrong') h.Authorization = `Bearer ${token.slice(0, -1)}x`;
  if (c.lastEventId !== undefined) h['Last-Event-ID'] = c.lastEventId;
  return h;
}

async function runCase(c: Case): Promise<void> {
  const target = typeof c.path === 'function' ? c.path(knownRuns, knownTemplates) : c.path;
  const headers = headersFor(c, exp.token);
  let body: Buffer | undefined;
  if (c.body) {
    const json = JSON.stringify(c.body.value) ?? 'null';
    const encoded = encodeBody(applyBytes(applyText(json, c.body.text), c.body.bytes), c.body.encoding);
    body = encoded.body;
    if (c.body.type !== undefined) headers['Content-Type'] = c.body.type;
    if (encoded.header) headers['Content-Encoding'] = encoded.header;
  }
  const t0 = performance.now();
  const res = await request(exp.url, c.method, target, { headers, body, timeoutMs: 20000 });
  noteSlow(
    performance.now() - t0,
    () =>
      `${c.method} ${target.slice(0, 100)} body ${body?.length ?? 0} B ${c.body ? JSON.stringify({ text: c.body.text.kind, depth: c.body.text.depth, bytes: c.body.bytes.kind, enc: c.body.encoding, type: c.body.type?.slice(0, 40) }) : ''} → ${res.status}`,
  );
  caseCount++;
  byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
  byEndpoint[c.endpoint] = (byEndpoint[c.endpoint] ?? 0) + 1;
  if (exp.child.exitCode !== null || exp.child.signalCode !== null) throw new Error('the exporter exited');
  if (res.status >= 500) throw new Error(`${c.method} ${target.slice(0, 200)} answered ${res.status}: ${res.text.slice(0, 200)}`);
  if (res.status >= 400 && c.method !== 'HEAD') {
    const problem = errorBodyProblem(res);
    if (problem) throw new Error(`${c.method} ${target.slice(0, 200)}: ${problem}`);
  }
  if (res.status >= 200 && res.status < 300 && res.text.startsWith('{')) {
    const parsed = JSON.parse(res.text) as { id?: unknown; command?: unknown; status?: unknown };
    if (typeof parsed.id === 'string' && c.endpoint === 'runs.start' && knownRuns.length < 500) knownRuns.push(parsed.id);
    if (typeof parsed.id === 'string' && c.endpoint.startsWith('templates.') && knownTemplates.length < 500) knownTemplates.push(parsed.id);
  }
}

// ---------- broken HTTP framing, on raw sockets ----------

const rawCase = fc.oneof(
  fc.record({ kind: fc.constant('cl-larger-then-close'), extra: fc.integer({ min: 1, max: 1_000_000 }), sent: fc.nat({ max: 2000 }), rst: fc.boolean() }),
  fc.record({ kind: fc.constant('cl-smaller'), short: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('cl-invalid'), value: fc.constantFrom('abc', '-1', '1e3', '0x10', '18446744073709551616', ' ', '5, 6') }),
  fc.record({ kind: fc.constant('cl-twice'), a: fc.nat({ max: 50 }), b: fc.nat({ max: 50 }) }),
  fc.record({ kind: fc.constant('cl-and-chunked') }),
  fc.record({ kind: fc.constant('bad-chunk'), size: fc.constantFrom('zz', '-1', 'ffffffffffffffff', '5;' + 'x'.repeat(20000), '3'), close: fc.boolean() }),
  fc.record({ kind: fc.constant('huge-header'), size: fc.integer({ min: 8000, max: 100_000 }) }),
  fc.record({
    kind: fc.constant('garbage'),
    text: fc.constantFrom(
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET /api/v1/health\n\n',
      'GET /\u0000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      '\r\n\r\n\r\n',
      'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: y\r\n\r\n',
      'GET /api/v1/health HTTP/1.1\r\n\r\n',
      'POST /api/v1/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n folded: y\r\n\r\n',
    ),
  }),
  fc.record({ kind: fc.constant('pipelined'), n: fc.integer({ min: 2, max: 20 }) }),
  fc.record({ kind: fc.constant('partial-headers'), cut: fc.nat({ max: 60 }) }),
);

type RawCase = typeof rawCase extends fc.Arbitrary<infer T> ? T : never;

/** Every answer in a raw exchange: status and body, split by Content-Length. */
function splitAnswers(text: string): Array<{ status: number; body: string; json: boolean }> {
  const out: Array<{ status: number; body: string; json: boolean }> = [];
  let rest = text;
  for (let guard = 0; guard < 100; guard++) {
    const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(rest);
    if (!m) break;
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const len = /\r\ncontent-length: (\d+)/i.exec(head);
    const bodyLen = len ? Number(len[1]) : rest.length - end - 4;
    out.push({ status: Number(m[1]), body: rest.slice(end + 4, end + 4 + bodyLen), json: /\r\ncontent-type: application\/json/i.test(head) });
    rest = rest.slice(end + 4 + bodyLen);
  }
  return out;
}

async function runRawCase(c: RawCase): Promise<void> {
  const auth = `Authorization: Bearer ${exp.token}\r\n`;
  const post = (headers: string, body: string) => `POST ${API}/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\n${headers}\r\n${body}`;
  const rec = JSON.stringify({ kind: 'action', name: 'fz-raw', duration_seconds: 1, success: true });
  let bytes: string;
  let opts: { halfClose?: boolean; destroyAfterMs?: number; timeoutMs?: number } = { timeoutMs: 5000 };
  switch (c.kind) {
    case 'cl-larger-then-close':
      bytes = post(`Content-Length: ${c.sent + c.extra}\r\n`, rec.padEnd(c.sent, ' ').slice(0, c.sent));
      opts = c.rst ? { destroyAfterMs: 20, timeoutMs: 3000 } : { halfClose: true, timeoutMs: 5000 };
      break;
    case 'cl-smaller':
      bytes = post(`Content-Length: ${Math.max(0, rec.length - c.short)}\r\nConnection: close\r\n`, rec);
      break;
    case 'cl-invalid':
      bytes = post(`Content-Length: ${c.value}\r\n`, rec);
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
    case 'cl-twice':
      bytes = post(`Content-Length: ${c.a}\r\nContent-Length: ${c.b}\r\n`, rec);
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
    case 'cl-and-chunked':
      bytes = post(`Content-Length: 5\r\nTransfer-Encoding: chunked\r\n`, `${rec.length.toString(16)}\r\n${rec}\r\n0\r\n\r\n`);
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
    case 'bad-chunk':
      bytes = post('Transfer-Encoding: chunked\r\n', `${c.size}\r\nabc\r\n`);
      opts = { halfClose: c.close, destroyAfterMs: c.close ? undefined : 300, timeoutMs: 5000 };
      break;
    case 'huge-header':
      bytes = `GET ${API}/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(c.size)}\r\n\r\n`;
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
    case 'garbage':
      bytes = c.text;
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
    case 'pipelined':
      bytes =
        Array.from({ length: c.n }, (_, i) => (i % 2 ? `GET ${API}/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` : post(`Content-Length: ${Buffer.byteLength(rec)}\r\n`, rec))).join(
          '',
        ) + `GET ${API}/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      break;
    case 'partial-headers':
      bytes = post(`Content-Length: ${rec.length}\r\n`, rec).slice(0, c.cut);
      opts = { halfClose: true, timeoutMs: 5000 };
      break;
  }
  const res = await rawExchange(exp.url, Buffer.from(bytes, 'latin1'), opts);
  caseCount++;
  byEndpoint[`raw.${c.kind}`] = (byEndpoint[`raw.${c.kind}`] ?? 0) + 1;
  const answers = splitAnswers(res.text);
  byStatus[answers.length ? answers[answers.length - 1].status : 'closed'] = (byStatus[answers.length ? answers[answers.length - 1].status : 'closed'] ?? 0) + 1;
  if (exp.child.exitCode !== null || exp.child.signalCode !== null) throw new Error('the exporter exited');
  if (res.closedBy === 'timeout') throw new Error(`${c.kind}: the server neither answered nor closed in ${opts.timeoutMs} ms`);
  for (const a of answers) {
    if (a.status >= 500) throw new Error(`${c.kind}: answered ${a.status}: ${a.body.slice(0, 200)}`);
    if (a.status >= 400) {
      const problem = errorBodyProblem({ status: a.status, headers: {}, body: Buffer.from(a.body), text: a.body });
      if (problem) throw new Error(`${c.kind}: ${problem}`);
    }
  }
  if (c.kind === 'pipelined' && answers.length !== c.n + 1) throw new Error(`pipelined: ${c.n + 1} requests, ${answers.length} answers`);
}

it(
  `answers ${TOTAL} generated hostile requests with no 5xx, no crash, and a JSON reason for every rejection`,
  async () => {
    const started = Date.now();
    const rssBefore = rssOf(exp.child.pid);
    // 5 s: the box has 2 cores shared by the exporter, this worker, spawned commands and (in npm test) other suites.
    const health = watchHealth(exp, 250, 5000);
    const rawTotal = Math.max(50, Math.round(TOTAL * RAW_SHARE));
    const httpTotal = TOTAL - rawTotal;
    const batches = Math.max(1, Math.ceil(httpTotal / 4000));
    const betweenBatches: number[] = [];
    const seed = Number(process.env.HARDENING_SEED) || Date.now() % 2 ** 31;
    try {
      for (let b = 0; b < batches; b++) {
        const runs = Math.ceil(httpTotal / batches / PARALLEL);
        await Promise.all(
          Array.from({ length: PARALLEL }, (_, k) =>
            fc.assert(
              fc.asyncProperty(anyCase, (c) => runCase(c)),
              { numRuns: runs, seed: seed + b * PARALLEL + k, endOnFailure: true, interruptAfterTimeLimit: FULL ? 3_600_000 : 240_000 },
            ),
          ),
        );
        betweenBatches.push(Math.round(await healthLatency(exp, 5000)));
      }
      await fc.assert(
        fc.asyncProperty(rawCase, (c) => runRawCase(c)),
        { numRuns: rawTotal, seed, endOnFailure: true },
      );
      betweenBatches.push(Math.round(await healthLatency(exp, 5000)));
    } finally {
      const h = await health.stop();
      const seconds = (Date.now() - started) / 1000;
      report('fuzz', {
        seed,
        cases: caseCount,
        seconds: Math.round(seconds),
        casesPerSecond: Math.round(caseCount / seconds),
        byStatus,
        fiveHundreds: Object.entries(byStatus)
          .filter(([s]) => Number(s) >= 500)
          .reduce((n, [, v]) => n + v, 0),
        rejections4xx: Object.entries(byStatus)
          .filter(([s]) => Number(s) >= 400 && Number(s) < 500)
          .reduce((n, [, v]) => n + v, 0),
        byEndpoint,
        healthChecks: h.checks,
        healthFailures: h.failures.length,
        healthWorstMs: h.worstMs,
        exporterStallMaxMs: h.exporterStallMaxMs,
        healthBetweenBatchesMs: betweenBatches,
        rssBeforeMb: mb(rssBefore),
        rssAfterMb: mb(rssOf(exp.child.pid)),
        unexpectedErrorLogs: unexpectedErrors(exp).length,
        slowest,
      });
      expect(h.failures).toEqual([]);
    }
    expect(caseCount).toBeGreaterThanOrEqual(TOTAL);
    expect(unexpectedErrors(exp)).toEqual([]);
    expect(exp.child.exitCode).toBeNull();
  },
  FULL ? 3_600_000 : 300_000,
);

// The ingest fast path (a predicate compiled from the zod schema, in front of zod) may only say
// yes where zod says yes and returns the same value: a wrong yes would store what zod refuses.
const fastPath = (validate as { isValidRecord?: (v: unknown) => boolean }).isValidRecord;
const DIFFERENTIAL = scale('FAST_PATH_CASES', 20_000, 1_000_000);
(fastPath ? it : it.skip)(
  `the ingest fast path accepts nothing zod refuses or changes (${DIFFERENTIAL} generated records)`,
  () => {
    let yes = 0;
    const check = (rec: unknown) => {
      if (!fastPath!(rec)) return;
      yes++;
      const parsed = ingestRecordSchema.safeParse(rec);
      if (!parsed.success) throw new Error(`fast path accepted what zod refuses: ${parsed.error.issues[0].message}`);
      // (structuredClone: the same content, whatever the prototype; zod returns plain objects.)
      if (!isDeepStrictEqual(structuredClone(parsed.data), structuredClone(rec))) {
        throw new Error(`fast path accepted what zod changes: ${JSON.stringify(rec)} → ${JSON.stringify(parsed.data)}`);
      }
    };
    fc.assert(
      fc.property(mutatedRecord, (rec) => {
        check(rec);
        // As it arrives over HTTP: JSON turns NaN/Infinity into null and drops undefined.
        check(JSON.parse(JSON.stringify(rec)));
      }),
      { numRuns: DIFFERENTIAL },
    );
    report('fuzz-fast-path', { cases: DIFFERENTIAL * 2, fastPathAccepted: yes });
    expect(yes).toBeGreaterThan(0);
  },
  FULL ? 1_800_000 : 120_000,
);
