import { badRequest } from './errors';

/** Reads a time parameter: ms since the epoch, an ISO 8601 date, or `now-<n><s|m|h|d>`. */
export function parseTime(name: string, raw: unknown, fallback: number, now = Date.now()): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string') throw badRequest(name, 'must be given once');
  if (/^\d+$/.test(raw)) return Number(raw);
  const rel = /^now(?:-(\d+(?:\.\d+)?)(ms|s|m|h|d))?$/.exec(raw);
  if (rel) {
    if (!rel[1]) return now;
    const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(rel[1]) * unit;
  }
  const parsed = Date.parse(raw);
  if (Number.isNaN(parsed)) throw badRequest(name, `"${raw.slice(0, 40)}" is not a time (ms since epoch, ISO 8601 or now-5m)`);
  return parsed;
}

export function parseIntParam(name: string, raw: unknown, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw badRequest(name, 'must be a whole number');
  const n = Number(raw);
  if (n < min || n > max) throw badRequest(name, `must be between ${min} and ${max}`);
  return n;
}

export function parseStringParam(name: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return raw.map((r) => String(r)).join(',');
  if (typeof raw !== 'string') throw badRequest(name, 'must be a string');
  return raw;
}
