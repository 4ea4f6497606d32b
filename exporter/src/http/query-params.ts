/**
 * Every route's query parameters as a zod schema. A bad value is a 400 naming the parameter and
 * the reason (README "HTTP API"); what a route reads from its schema is typed and already has its
 * defaults. Express's query parser (and node's querystring on the stream's fast path) gives a
 * string, or an array of strings for a repeated parameter.
 */
import { z } from 'zod';
import { costGroupings, costSources, runOutcomes, type CostSource } from '@runboard/protocol';
import { badRequest } from './errors';

/** Parses `query` with `schema`; the first problem is thrown as a 400 naming its parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badRequest(String(issue.path[0] ?? 'query'), issue.message);
}

/** An empty value (`?from=`) counts as absent. */
const blank = (v: unknown) => (v === '' ? undefined : v);

/** A text value; a repeated one (`?series=a&series=b`) reads as its values joined by commas. */
export const stringParam = z.union([z.string(), z.array(z.unknown()).transform((a) => a.map(String).join(','))], { error: 'must be a string' }).optional();

const enumParam = <const T extends readonly [string, ...string[]]>(values: T, message = `must be one of ${values.join(', ')}`) =>
  stringParam.pipe(z.enum(values, { error: message }).optional());

/** A whole number in [min, max]. */
export const intParam = (min: number, max: number) =>
  z.preprocess(
    blank,
    z
      .string({ error: 'must be a whole number' })
      .regex(/^\d+$/, { error: 'must be a whole number' })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, { error: `must be between ${min} and ${max}` })
          .max(max, { error: `must be between ${min} and ${max}` }),
      )
      .optional(),
  );

/** A time, resolved against the request's one `now` (so `from=now&to=now` is one instant). */
export type TimeParam = (now: number) => number;

const TIME_UNITS_MS = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 } as const;

/** ms since the epoch, an ISO 8601 date, `now` or `now-<n><ms|s|m|h|d>`. */
export const timeParam = z.preprocess(
  blank,
  z
    .string({ error: 'must be given once' })
    .transform((raw, ctx): TimeParam => {
      if (/^\d+$/.test(raw)) return () => Number(raw);
      const rel = /^now(?:-(\d+(?:\.\d+)?)(ms|s|m|h|d))?$/.exec(raw);
      if (rel) return rel[1] ? (now) => now - Number(rel[1]) * TIME_UNITS_MS[rel[2] as keyof typeof TIME_UNITS_MS] : (now) => now;
      const parsed = Date.parse(raw);
      if (!Number.isNaN(parsed)) return () => parsed;
      ctx.addIssue({ code: 'custom', message: `"${raw.slice(0, 40)}" is not a time (ms since epoch, ISO 8601 or now-5m)` });
      return z.NEVER;
    })
    .optional(),
);

/** A `Last-Event-ID` (header, or the `lastEventId` parameter for clients that cannot set one). */
const lastEventIdParam = (what: string) =>
  z.preprocess(
    blank,
    stringParam.pipe(
      z
        .string()
        .regex(/^\d+$/, { error: `must be ${what}` })
        .transform(Number)
        .optional(),
    ),
  );

/**
 * The same check for a time given elsewhere (the CLI's --from/--to): `fallback` when absent,
 * else the time, or a 400-style HttpError naming `name`.
 */
export function parseTime(name: string, raw: unknown, fallback: number, now = Date.now()): number {
  const parsed = timeParam.safeParse(raw);
  if (!parsed.success) throw badRequest(name, parsed.error.issues[0].message);
  return parsed.data ? parsed.data(now) : fallback;
}

/** `from` and `to` with defaults; `from` after `to` is refused naming `from`. */
function timeRange(defaultSpanMs: number) {
  return z.object({ to: timeParam, from: timeParam }).transform((q, ctx) => {
    const now = Date.now();
    const to = q.to ? q.to(now) : now;
    const from = q.from ? q.from(now) : to - defaultSpanMs;
    if (from > to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
      return z.NEVER;
    }
    return { from, to };
  });
}

/** GET /api/v1/history. */
export const historyQuery = (o: { retentionMs: number; historyMaxPoints: number }) =>
  z
    .object({ series: stringParam })
    .and(timeRange(o.retentionMs))
    .and(z.object({ maxPoints: intParam(1, o.historyMaxPoints).transform((n) => n ?? Math.min(1000, o.historyMaxPoints)) }));

/** GET /api/v1/latest. */
export const latestQuery = z.object({ series: stringParam });

/** GET /api/v1/stream (the header overrides the parameter: see streamQueryInput). */
export const streamQuery = z.object({ 'Last-Event-ID': lastEventIdParam('a sequence number'), series: stringParam });

/** GET /api/v1/runs/:id/output. */
export const runOutputQuery = z.object({ 'Last-Event-ID': lastEventIdParam('a line number') });

/** What a Last-Event-ID schema reads: the header when sent, else the `lastEventId` parameter. */
export function withLastEventId(query: Record<string, unknown>, header: string | string[] | undefined): Record<string, unknown> {
  return { ...query, 'Last-Event-ID': header ?? query.lastEventId };
}

/** GET /api/v1/runs. */
export const runsQuery = z.object({
  outcome: enumParam(runOutcomes),
  status: enumParam(['queued', 'running', 'finished']),
  limit: intParam(1, 500).transform((n) => n ?? 50),
  offset: intParam(0, Number.MAX_SAFE_INTEGER).transform((n) => n ?? 0),
  from: timeParam,
  to: timeParam,
  command: stringParam,
});

/** GET /api/v1/templates. */
export const templatesQuery = z.object({ command: stringParam });

/** CostSources, comma-separated (or repeated): the records of any of them; absent or empty, every source. */
const sourcesParam = stringParam.transform((raw, ctx) => {
  const names = [
    ...new Set(
      (raw ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
  const bad = names.find((n) => !(costSources as readonly string[]).includes(n));
  if (bad !== undefined) {
    ctx.addIssue({ code: 'custom', message: `"${bad.slice(0, 40)}" is not a source: give one or more of ${costSources.join(', ')}, comma-separated` });
    return z.NEVER;
  }
  return names.length === 0 ? undefined : (names as CostSource[]);
});

/** GET /api/v1/costs: the last 7 days by default. */
export const costsQuery = z
  .object({ groupBy: enumParam(costGroupings).transform((g) => g ?? 'model'), source: sourcesParam })
  .and(timeRange(7 * 86_400_000))
  .and(z.object({ format: enumParam(['json', 'csv'], 'must be json or csv').transform((f) => f ?? 'json') }));

/** GET /api/v1/costs/records: the last 7 days by default, oldest first. */
export const costRecordsQuery = z
  .object({ source: sourcesParam, limit: intParam(1, 100_000).transform((n) => n ?? 1000) })
  .and(timeRange(7 * 86_400_000))
  .and(z.object({ format: enumParam(['json', 'csv'], 'must be json or csv').transform((f) => f ?? 'json') }));
