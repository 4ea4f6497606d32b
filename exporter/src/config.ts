/**
 * Configuration: embedded defaults < config file (YAML or JSON) < environment < CLI flags.
 * Every limit has a default here and a key users can set; an unknown key or a bad value names
 * the key and the reason (ConfigError), and the CLI prints that as one line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type YAML from 'yaml';
import { z } from 'zod';
import { patternProblem } from './commands/pattern';
import { describeError } from './store/data-dir';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

const priceSchema = z.strictObject({
  /** USD per million input tokens. */
  input: z.number().nonnegative(),
  /** USD per million output tokens. */
  output: z.number().nonnegative(),
});

const paramName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a letter or _ followed by letters, digits or _');

const paramBase = { help: z.string().default(''), title: z.string().optional() };

/**
 * An admin's `pattern`, compiled by the linear-time RE2 engine (re2js) that checks values: a
 * pattern it cannot compile (backreferences, lookaround) fails the start here, naming its key.
 */
const patternField = z.string().superRefine((p, ctx) => {
  const problem = patternProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: `is not a valid pattern for the linear-time (RE2) engine: ${problem}` });
});

/** A proxy upstream: an OpenAI-compatible base URL (http or https, no credentials, query or fragment). */
const upstreamSchema = z.strictObject({
  url: z.string().refine((u) => {
    try {
      const p = new URL(u);
      return (p.protocol === 'http:' || p.protocol === 'https:') && !p.username && !p.password && !p.search && !p.hash;
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL without credentials, query or fragment'),
  /** Recorded as the calls' provider (a label of runboard_llm_* metrics). */
  provider: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be letters, digits, ".", "_" or "-" (at most 64)'),
});

/** Typed command parameters (README "Parameter rules"); values are validated against these before a run. */
export const parameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('string'),
    ...paramBase,
    default: z.string().optional(),
    /** An RE2 regular expression the whole value must match. */
    pattern: patternField.optional(),
    maxLength: z.number().int().positive().max(65536).default(256),
    /** A value may begin with "-" (refused by default: a program could read it as an option). */
    allowLeadingDash: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('enum'),
    ...paramBase,
    values: z.array(z.string().min(1)).min(1, 'needs at least one value'),
    default: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('integer'),
    ...paramBase,
    /** Unset means 0: a negative number is an option to most programs ("-5"). */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    default: z.number().int().optional(),
  }),
  z.strictObject({
    type: z.literal('boolean'),
    ...paramBase,
    default: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('path'),
    ...paramBase,
    /** Absolute directory every value must resolve inside (symbolic links included); checked at start. */
    root: z.string().refine((r) => path.isAbsolute(r), 'must be an absolute path'),
    default: z.string().optional(),
    maxLength: z.number().int().positive().max(4096).default(1024),
  }),
]);

export const commandSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (at most 64)'),
  title: z.string().min(1),
  description: z.string().default(''),
  /** Program to run: an absolute path, or a name looked up on PATH at start. Never a shell line. */
  executable: z.string().min(1),
  /**
   * Argument template, one argv entry each. `{name}` is replaced by the parameter's value inside
   * its entry (never split into more entries); an entry `{name?text}` becomes `text` when the
   * boolean parameter is true and is left out when false.
   */
  args: z.array(z.string()).default([]),
  parameters: z.record(paramName, parameterSchema).default({}),
  timeoutSeconds: z.number().positive().max(86_400).default(600),
  /** Runs of this command at once; more wait in the queue. */
  maxConcurrent: z.number().int().positive().default(1),
  cwd: z.string().min(1).optional(),
  /** Names of the exporter's environment variables passed to the command; nothing else is. */
  env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')).default(['PATH', 'HOME', 'LANG', 'TZ']),
  /** Ask the user to confirm before a run (the console panel shows a dialog). */
  confirm: z.boolean().default(false),
});

export type ParameterSpec = z.infer<typeof parameterSchema>;
export type CommandSpec = z.infer<typeof commandSchema>;

export const configSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(9477),
  /** Where the API token (and, later, the ledger) live. */
  dataDir: z.string().min(1).default(defaultDataDir()),
  /** Run the built-in demo workload. */
  demo: z.boolean().default(false),
  server: z
    .strictObject({
      /**
       * Host header names answered besides the built-ins (localhost, *.localhost, IP literals, the
       * bind address, this machine's name, `exporter`); others get 421 (a DNS-rebinding defence).
       * `*.example.com` matches its subdomains; `["*"]` turns the check off.
       */
      allowedHosts: z.array(z.string().regex(/^(\*|(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?)$/, 'must be a host name, "*." followed by a domain, or "*"')).default([]),
    })
    .prefault({}),
  sampling: z
    .strictObject({
      /** Seconds between ticks: collectors run, the live store takes a sample, streams get it. */
      intervalSeconds: z.number().min(0.1).max(3600).default(1),
      /** How long the live store keeps ticks for back-fill and Last-Event-ID replay. */
      retentionSeconds: z.number().min(1).max(86_400).default(900),
      /** Width of the rolling window for derived values (rates, ratios, p95). */
      windowSeconds: z.number().min(1).max(3600).default(60),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** API token; when absent one is generated at first start and kept in the data dir. */
      token: z.string().min(16, 'must be at least 16 characters').optional(),
      /** Serve read endpoints (series, history, stream) without a token. */
      readPublic: z.boolean().default(false),
      /** Serve /metrics without a token (Prometheus scrapes it). */
      metricsPublic: z.boolean().default(true),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Largest accepted request body. */
      bodyBytes: positiveInt.default(1024 * 1024),
      /** Most records in one ingest batch. */
      batchRecords: positiveInt.default(10_000),
      /** Distinct values each label keeps before folding into `other`. */
      labelValues: positiveInt.default(200),
      /** Most concurrent SSE stream clients; more get 503. */
      streamClients: positiveInt.default(1000),
      /**
       * Most concurrent SSE streams (samples and run output together) per client: the
       * X-Grafana-User header when present, else the remote address. 503 beyond.
       */
      streamClientsPerClient: positiveInt.default(50),
      /** Unsent bytes a stream client may lag behind before it is dropped. */
      streamBufferBytes: positiveInt.default(1024 * 1024),
      /** Largest maxPoints a history request may ask for. */
      historyMaxPoints: positiveInt.default(10_000),
      /** Most live series the store tracks; new ones beyond are not created. */
      liveSeries: positiveInt.default(5000),
      /** Command runs at once across all commands. */
      concurrentRuns: positiveInt.default(4),
      /** Runs waiting for a free slot; more are refused with 429. */
      runQueue: z.number().int().nonnegative().default(20),
      /** Output kept per run (head and tail, with a truncation marker in between). */
      runOutputBytes: positiveInt.default(1024 * 1024),
      /** Mutating requests per second per client IP (bursts of twice that); more get 429. 0 = off. */
      requestsPerSecond: z.number().nonnegative().default(1000),
    })
    .prefault({}),
  stream: z
    .strictObject({
      heartbeatSeconds: z.number().min(1).max(300).default(15),
      /** Reconnect delay hinted to clients in the SSE `retry:` field. */
      retryMs: positiveInt.default(2000),
    })
    .prefault({}),
  system: z
    .strictObject({
      /** Mount points whose size and free space are reported. */
      filesystems: z.array(z.string().min(1)).default(['/']),
    })
    .prefault({}),
  /** The allow-list: only these commands can be run, with only their declared parameters. */
  commands: z.array(commandSchema).prefault(defaultCommands),
  ledger: z
    .strictObject({
      /** Runs and cost records older than this are deleted (0 = keep forever). */
      retentionDays: z.number().nonnegative().default(90),
      /** Most runs kept (oldest deleted first). */
      maxRuns: positiveInt.default(10_000),
      /** Most cost records kept (oldest deleted first). */
      maxCostRecords: positiveInt.default(1_000_000),
      /** Largest size of runboard.db in bytes (0 = unlimited); when reached, writes fail as on a full disk. */
      maxSizeBytes: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
  /** USD per million tokens by model (or `provider/model`), used when a record has no cost_usd. */
  prices: z.record(z.string().min(1), priceSchema).default(defaultPrices()),
  /** The OTLP/HTTP receiver for GenAI telemetry (README "OpenTelemetry (OTLP)"). */
  otlp: z
    .strictObject({
      /** Serve POST /v1/traces and /v1/metrics. */
      enabled: z.boolean().default(true),
      /** Use gen_ai.client.* metric points from apps (resources) that send no GenAI spans. */
      genAiMetrics: z.boolean().default(true),
      /** Cumulative metric streams (and span-sending resources) remembered; the least recently seen is forgotten beyond. */
      maxStreams: positiveInt.default(10_000),
    })
    .prefault({}),
  /** The OpenAI-compatible recording proxy (README "OpenAI-compatible recording proxy"); off by default. */
  proxy: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Named upstreams: an app's base URL `/proxy/<name>/v1` forwards to `url`, recorded under `provider`. */
      upstreams: z
        .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _ (at most 64)'), upstreamSchema)
        .default({ openai: { url: 'https://api.openai.com/v1', provider: 'openai' } }),
      /** Longest wait for the upstream's answer to start, and for each next part of it. */
      timeoutSeconds: z.number().positive().max(3600).default(600),
      /** Largest request body forwarded (it is read whole to learn the model). */
      bodyBytes: positiveInt.default(4 * 1024 * 1024),
      /** Proxied requests in progress at once, in all; more get 503. */
      maxConcurrent: positiveInt.default(64),
      /** Proxied requests in progress at once per client address; more get 503. */
      maxConcurrentPerClient: positiveInt.default(16),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function defaultDataDir(): string {
  const xdg = process.env.XDG_DATA_HOME;
  return path.join(xdg && xdg.length > 0 ? xdg : path.join(os.homedir(), '.local', 'share'), 'runboard');
}

/**
 * Example list prices (USD per million tokens) so cost shows up out of the box. Prices change:
 * override them under `prices:` in the config file.
 */
export function defaultPrices(): Record<string, { input: number; output: number }> {
  return {
    'gpt-4o': { input: 2.5, output: 10 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
    'gpt-4.1': { input: 2, output: 8 },
    'gpt-4.1-mini': { input: 0.4, output: 1.6 },
    'claude-sonnet-4': { input: 3, output: 15 },
    'claude-haiku-3.5': { input: 0.8, output: 4 },
    'claude-opus-4': { input: 15, output: 75 },
    'gemini-2.5-pro': { input: 1.25, output: 10 },
    'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  };
}

/** The example commands (exporter/examples/commands), run by this Node binary, never a shell. */
export function defaultCommands(): Array<z.input<typeof commandSchema>> {
  const dir = path.resolve(__dirname, '..', 'examples', 'commands');
  return [
    {
      id: 'sample-task',
      title: 'Sample AI task',
      description: 'Works through a few steps, asking a model at each one; reports progress and token usage.',
      executable: process.execPath,
      args: [path.join(dir, 'sample-task.js'), '--steps', '{steps}', '--delay-ms', '{delay_ms}', '--model', '{model}', '{fail?--fail}', '--', '{topic}'],
      parameters: {
        // Free text after `--`, which sample-task.js honours (node:util parseArgs): "-" may begin it.
        topic: { type: 'string', title: 'Topic', help: 'What the task works on.', default: 'quarterly report', maxLength: 80, allowLeadingDash: true },
        steps: { type: 'integer', title: 'Steps', help: 'How many model calls to make.', min: 1, max: 50, default: 5 },
        delay_ms: { type: 'integer', title: 'Delay (ms)', help: 'Time each step takes.', min: 0, max: 10000, default: 400 },
        model: { type: 'enum', title: 'Model', help: 'Model the task asks.', values: ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'gemini-2.5-flash'], default: 'gpt-4o-mini' },
        fail: { type: 'boolean', title: 'Fail halfway', help: 'Make the task fail at its middle step.', default: false },
      },
      timeoutSeconds: 300,
      maxConcurrent: 2,
    },
    {
      id: 'system-report',
      title: 'System report',
      description: 'A short report on the exporter host: overview, disk, network or processes.',
      executable: process.execPath,
      args: [path.join(dir, 'system-report.js'), '{section}'],
      parameters: {
        section: { type: 'enum', title: 'Section', help: 'What to report on.', values: ['overview', 'disk', 'network', 'processes'], default: 'overview' },
      },
      timeoutSeconds: 30,
      maxConcurrent: 2,
    },
    {
      id: 'http-check',
      title: 'HTTP check',
      description: 'Checks that an allowed URL answers with the expected status in time.',
      executable: process.execPath,
      // Only the exporter's own origin (whatever its port): a user must not probe internal ports
      // through it. More origins or origin + path prefixes are `--allow` entries (README "Commands").
      args: [path.join(dir, 'http-check.js'), '--allow-exporter', '--expect', '{expect_status}', '--timeout', '{timeout_seconds}', '--', '{url}'],
      parameters: {
        // Empty by default: the script then checks the exporter that runs it, on whatever port it listens.
        url: {
          type: 'string',
          title: 'URL',
          help: "http:// or https:// address to request; only allowed origins are reached. Empty: this exporter's own /api/v1/health.",
          pattern: '(https?://[^\\s]+)?',
          maxLength: 2048,
          default: '',
        },
        expect_status: { type: 'integer', title: 'Expected status', help: 'HTTP status that counts as success.', min: 100, max: 599, default: 200 },
        timeout_seconds: { type: 'integer', title: 'Timeout (s)', help: 'How long to wait for an answer.', min: 1, max: 60, default: 10 },
      },
      timeoutSeconds: 90,
      maxConcurrent: 4,
      confirm: true,
    },
  ];
}

/** Environment variables and the config key each sets. */
export const ENV_KEYS: Record<string, { key: string; type: 'string' | 'number' | 'boolean' | 'list' }> = {
  RUNBOARD_HOST: { key: 'host', type: 'string' },
  RUNBOARD_PORT: { key: 'port', type: 'number' },
  RUNBOARD_DATA_DIR: { key: 'dataDir', type: 'string' },
  RUNBOARD_DEMO: { key: 'demo', type: 'boolean' },
  RUNBOARD_INTERVAL: { key: 'sampling.intervalSeconds', type: 'number' },
  RUNBOARD_API_TOKEN: { key: 'auth.token', type: 'string' },
  RUNBOARD_READ_PUBLIC: { key: 'auth.readPublic', type: 'boolean' },
  RUNBOARD_METRICS_PUBLIC: { key: 'auth.metricsPublic', type: 'boolean' },
  RUNBOARD_ALLOWED_HOSTS: { key: 'server.allowedHosts', type: 'list' },
  RUNBOARD_PROXY: { key: 'proxy.enabled', type: 'boolean' },
};

export interface LoadOptions {
  /** Path of a YAML or JSON config file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags, as dotted keys (`port`, `sampling.intervalSeconds`). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  let raw: Record<string, unknown> = {};
  const file = opts.file ?? (env.RUNBOARD_CONFIG || undefined);
  if (file) raw = readConfigFile(file);
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, spec.key, parseEnvValue(name, value, spec.type));
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value !== undefined) setPath(raw, key, value);
  }
  return parseConfig(raw);
}

export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = formatKey(issue);
    throw new ConfigError(`config key "${key}": ${describeIssue(issue, raw)}`, key);
  }
  const config = result.data;
  if (config.sampling.windowSeconds < config.sampling.intervalSeconds) {
    throw new ConfigError('config key "sampling.windowSeconds": must be at least sampling.intervalSeconds', 'sampling.windowSeconds');
  }
  if (config.sampling.retentionSeconds < config.sampling.intervalSeconds) {
    throw new ConfigError('config key "sampling.retentionSeconds": must be at least sampling.intervalSeconds', 'sampling.retentionSeconds');
  }
  return config;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${file} (--config, RUNBOARD_CONFIG): ${describeError(err)}`);
  }
  let parsed: unknown;
  try {
    // yaml (~70 modules) is loaded only for a YAML file: the exporter's resident memory counts it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    parsed = file.endsWith('.json') ? JSON.parse(text) : (require('yaml') as typeof YAML).parse(text, { uniqueKeys: true });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${first}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping of keys, not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
  }
  return parsed as Record<string, unknown>;
}

function parseEnvValue(name: string, value: string, type: 'string' | 'number' | 'boolean' | 'list'): unknown {
  if (type === 'string') return value;
  // Comma-separated (RUNBOARD_ALLOWED_HOSTS=grafana.example.com,*.corp.example).
  if (type === 'list') {
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }
  if (type === 'number') {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new ConfigError(`environment variable ${name}: "${value}" is not a number`, name);
    return n;
  }
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`environment variable ${name}: "${value}" is not a boolean (true/false)`, name);
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

function formatKey(issue: z.core.$ZodIssue): string {
  const base = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return base ? `${base}.${key}` : key;
  }
  return base || '(root)';
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  if (issue.code === 'unrecognized_keys') return 'unknown key';
  if (issue.code === 'invalid_type') {
    const received = valueAt(raw, issue.path);
    return received === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${describeValue(received)}`;
  }
  return issue.message;
}

/** The value at a zod issue path (zod 4 leaves the input out of issues by default). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return typeof v === 'number' ? `number ${v}` : typeof v;
}
