/**
 * What the recording proxy learns from an upstream's answer: the model and the token usage
 * (README "OpenAI-compatible recording proxy"). It reads a copy; the answer itself is passed on
 * unchanged. Only the small state below is kept per request: a streamed answer is never
 * accumulated beyond one event of at most SSE_EVENT_BYTES, and a JSON answer only up to
 * JSON_PARSE_BYTES (then its head and tail).
 */
import { readSse, type SseByteStream } from '@runboard/protocol/sse';

/** The endpoints the proxy forwards, as the path after the base URL's `/v1`. */
export const ENDPOINTS = ['chat/completions', 'responses', 'embeddings'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface Usage {
  model?: string;
  inputTokens: number;
  outputTokens: number;
}

/** A JSON answer up to this size is parsed whole; a larger one (a big embeddings batch) by its tail. */
const JSON_PARSE_BYTES = 1024 * 1024;
/** Kept of a larger answer: `model` and `usage` come last in OpenAI's answers (and `model` early too). */
const HEAD_BYTES = 4096;
const TAIL_BYTES = 64 * 1024;
/**
 * Largest streamed event read for usage. The SSE parser holds the event it is reading whole, so
 * one endless event (a broken or hostile upstream) would grow memory without bound: past this
 * size the reader stops, and the call is recorded with what it had seen before.
 */
export const SSE_EVENT_BYTES = 1024 * 1024;

const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** Tokens of a `usage` object: chat and embeddings name them prompt/completion, the Responses API input/output. */
export function usageTokens(endpoint: Endpoint, usage: unknown): { inputTokens: number; outputTokens: number } | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const u = usage as Record<string, unknown>;
  if (endpoint === 'responses') return { inputTokens: count(u.input_tokens), outputTokens: count(u.output_tokens) };
  return { inputTokens: count(u.prompt_tokens), outputTokens: endpoint === 'embeddings' ? 0 : count(u.completion_tokens) };
}

function modelOf(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Collects a JSON answer's copy (bounded) and reads model and usage from it at the end. */
export class JsonUsageReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private head?: string;
  private tail = '';

  constructor(private readonly endpoint: Endpoint) {}

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.head === undefined) {
      this.chunks.push(chunk);
      if (this.size <= JSON_PARSE_BYTES) return;
      // Too large to keep: from here on only the head and a rolling tail.
      const all = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.head = all.slice(0, HEAD_BYTES);
      this.tail = all.slice(-TAIL_BYTES);
      return;
    }
    this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  }

  result(): Usage | undefined {
    if (this.head === undefined) {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(this.chunks).toString('utf8'));
      } catch {
        return undefined;
      }
      if (body === null || typeof body !== 'object') return undefined;
      const b = body as Record<string, unknown>;
      const tokens = usageTokens(this.endpoint, b.usage);
      return tokens ? { model: modelOf(b.model), ...tokens } : { model: modelOf(b.model), inputTokens: 0, outputTokens: 0 };
    }
    const tokens = usageTokens(this.endpoint, lastObjectAfterKey(this.tail, 'usage'));
    const model = lastStringOf(this.tail, 'model') ?? lastStringOf(this.head, 'model');
    return { model, inputTokens: tokens?.inputTokens ?? 0, outputTokens: tokens?.outputTokens ?? 0 };
  }
}

/** The last `"key": "…"` string value in a JSON text fragment. */
function lastStringOf(text: string, key: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(new RegExp(`"${key}"\\s*:\\s*("(?:[^"\\\\]|\\\\.){1,512}")`, 'g'))) found = m[1];
  if (found === undefined) return undefined;
  try {
    return modelOf(JSON.parse(found));
  } catch {
    return undefined;
  }
}

/** The last `"key": { … }` object in a JSON text fragment, parsed; undefined when cut or absent. */
function lastObjectAfterKey(text: string, key: string): unknown {
  const at = text.lastIndexOf(`"${key}"`);
  if (at < 0) return undefined;
  const start = text.indexOf('{', at);
  if (start < 0 || !/^"[^"]*"\s*:\s*$/.test(text.slice(at, start))) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return JSON.parse(text.slice(start, i + 1));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Reads a streamed (SSE) answer's copy with the protocol's SSE reader, keeping only the model,
 * the last usage seen and whether the stream ended as its protocol says a complete one does
 * (chat: `data: [DONE]`; Responses: `response.completed`).
 */
export class StreamUsageReader {
  model?: string;
  inputTokens = 0;
  outputTokens = 0;
  /** The stream said it completed. */
  completed = false;
  /** The stream reported a failure (an `error` event, `response.failed` or `response.incomplete`). */
  failed = false;
  /** An event was larger than SSE_EVENT_BYTES: the rest of the stream was not read. */
  overflowed = false;
  /** Bytes since the last blank line (the end of an event), and the line-scanning state. */
  private eventBytes = 0;
  private lineEmpty = true;
  private afterCr = false;
  private readonly queue: Uint8Array[] = [];
  private wake?: () => void;
  private ended = false;
  readonly done: Promise<void>;

  constructor(private readonly endpoint: Endpoint) {
    const body: SseByteStream = {
      getReader: () => ({
        read: async () => {
          while (this.queue.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
          const value = this.queue.shift();
          return value ? { done: false, value } : { done: true };
        },
        cancel: async () => {
          this.ended = true;
          this.queue.length = 0;
        },
      }),
    };
    this.done = (async () => {
      for await (const msg of readSse(body)) if (msg.type === 'event') this.event(msg.event, msg.data);
    })().catch(() => undefined);
  }

  /** A chunk as it was passed on; parsed on a later microtask, so it never delays the answer. */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    if (!this.withinEventLimit(chunk)) {
      this.overflowed = true;
      this.queue.length = 0;
      this.end();
      return;
    }
    this.queue.push(chunk);
    this.wakeUp();
  }

  /** Follows the chunk's lines (ended by CR, LF or CRLF) to count the bytes of the current event. */
  private withinEventLimit(chunk: Uint8Array): boolean {
    let { eventBytes, lineEmpty, afterCr } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a && afterCr) {
        afterCr = false;
        continue;
      }
      afterCr = b === 0x0d;
      if (b === 0x0a || b === 0x0d) {
        if (lineEmpty) eventBytes = 0;
        lineEmpty = true;
      } else {
        lineEmpty = false;
        if (++eventBytes > SSE_EVENT_BYTES) return false;
      }
    }
    this.eventBytes = eventBytes;
    this.lineEmpty = lineEmpty;
    this.afterCr = afterCr;
    return true;
  }

  end(): void {
    this.ended = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private event(name: string, data: string): void {
    if (this.endpoint === 'responses') return this.responsesEvent(name, data);
    if (data === '[DONE]') {
      this.completed = true;
      return;
    }
    // Only the chunks that can tell something are parsed: the first (model), usage, errors.
    if (this.model !== undefined && !data.includes('"usage"') && !data.includes('"error"')) return;
    const chunk = parseObject(data);
    if (!chunk) return;
    this.model ??= modelOf(chunk.model);
    if (chunk.error !== undefined && chunk.error !== null) this.failed = true;
    const tokens = usageTokens(this.endpoint, chunk.usage);
    if (tokens) Object.assign(this, tokens);
  }

  private responsesEvent(name: string, data: string): void {
    const type = name !== 'message' ? name : undefined;
    // Events named in the `event:` field (as OpenAI sends them) are filtered before parsing.
    if (type !== undefined && !RESPONSE_EVENTS.has(type)) return;
    const ev = parseObject(data);
    if (!ev) return;
    const kind = typeof ev.type === 'string' ? ev.type : type;
    if (kind === undefined || !RESPONSE_EVENTS.has(kind)) return;
    if (kind === 'error') {
      this.failed = true;
      return;
    }
    const response = ev.response as Record<string, unknown> | undefined;
    if (!response || typeof response !== 'object') return;
    this.model = modelOf(response.model) ?? this.model;
    const tokens = usageTokens('responses', response.usage);
    if (tokens) Object.assign(this, tokens);
    if (kind === 'response.completed') this.completed = true;
    if (kind === 'response.failed' || kind === 'response.incomplete') this.failed = true;
  }
}

const RESPONSE_EVENTS = new Set(['response.created', 'response.in_progress', 'response.completed', 'response.failed', 'response.incomplete', 'error']);

function parseObject(data: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(data);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
