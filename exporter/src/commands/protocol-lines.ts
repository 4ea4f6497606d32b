/**
 * Protocol lines a command may print on stdout (README "Commands, runs, templates and costs"). Parsing is strict and never throws:
 * anything not exactly right is null, and the caller keeps it as ordinary output, so a command
 * that happens to print "::progress soon" does not break its run.
 */
import { llmRecordSchema, type LlmRecord } from '@runboard/protocol';

export type ProtocolLine = { kind: 'progress'; percent: number; message: string } | { kind: 'llm'; record: Omit<LlmRecord, 'kind'> };

const PROGRESS = /^::progress(?:[ \t]+(\S+)(?:[ \t]+(.*))?)?$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;
const INTEGER = /^\d+$/;

/**
 * Keys a command may set. run_id and t are left out on purpose: the runner attributes the record
 * to the run, and a command must not be able to book its usage onto another run.
 */
const LLM_KEYS: Record<string, 'text' | 'integer' | 'decimal' | 'boolean'> = {
  provider: 'text',
  model: 'text',
  input_tokens: 'integer',
  output_tokens: 'integer',
  cost_usd: 'decimal',
  duration_seconds: 'decimal',
  success: 'boolean',
};

export function parseProtocolLine(text: string): ProtocolLine | null {
  if (!text.startsWith('::')) return null;
  const line = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (line.startsWith('::progress')) return parseProgress(line);
  if (line.startsWith('::llm')) return parseLlm(line);
  return null;
}

function parseProgress(line: string): ProtocolLine | null {
  const m = PROGRESS.exec(line);
  if (!m || m[1] === undefined || !DECIMAL.test(m[1])) return null;
  const percent = Number(m[1]);
  if (!(percent >= 0 && percent <= 100)) return null;
  return { kind: 'progress', percent, message: (m[2] ?? '').trim() };
}

function parseLlm(line: string): ProtocolLine | null {
  const rest = line.slice('::llm'.length);
  // "::llmfoo" is some other word, not this line.
  if (rest.length > 0 && rest[0] !== ' ' && rest[0] !== '\t') return null;
  const fields: Record<string, unknown> = {};
  for (const token of rest.split(/[ \t]+/)) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq <= 0) return null;
    const key = token.slice(0, eq);
    const raw = token.slice(eq + 1);
    const type = Object.prototype.hasOwnProperty.call(LLM_KEYS, key) ? LLM_KEYS[key] : undefined;
    if (!type || key in fields || raw === '') return null;
    if (type === 'text') fields[key] = raw;
    else if (type === 'integer') {
      if (!INTEGER.test(raw)) return null;
      fields[key] = Number(raw);
    } else if (type === 'decimal') {
      if (!DECIMAL.test(raw)) return null;
      fields[key] = Number(raw);
    } else {
      if (raw !== 'true' && raw !== 'false') return null;
      fields[key] = raw === 'true';
    }
  }
  const parsed = llmRecordSchema.safeParse({ kind: 'llm', ...fields });
  if (!parsed.success) return null;
  const { kind: _kind, ...record } = parsed.data;
  return { kind: 'llm', record };
}
