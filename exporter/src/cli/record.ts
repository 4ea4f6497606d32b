/**
 * `runboard-exporter record action|event|llm`: send one record to a running exporter's ingest
 * endpoint. The record is validated here with the wire schema first, so a bad value is a one-line
 * exit 2 naming the flag before anything goes over the network.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { eventOutcomes, ingestRecordSchema, type EventRecord, type IngestRecord, type IngestResponse } from '@runboard/protocol';
import { addConnectionOptions, EXIT_USAGE, ExporterClient, resolveConnection, type ConnectionFlags } from './connection';
import { CliError } from './errors';
import { print } from './table';

interface QuietFlag {
  quiet?: boolean;
}

interface ActionFlags extends ConnectionFlags, QuietFlag {
  name: string;
  duration: string;
  success?: boolean;
  failure?: boolean;
}

interface EventFlags extends ConnectionFlags, QuietFlag {
  type: string;
  outcome: string;
  processing?: string;
}

interface LlmFlags extends ConnectionFlags, QuietFlag {
  provider: string;
  model: string;
  inputTokens: string;
  outputTokens: string;
  duration?: string;
  cost?: string;
  failure?: boolean;
  runId?: string;
}

/** Wire field → the flag that sets it, for error messages. */
const FLAG_OF: Record<string, string> = {
  name: '--name',
  duration_seconds: '--duration',
  success: '--success/--failure',
  type: '--type',
  outcome: '--outcome',
  processing_seconds: '--processing',
  provider: '--provider',
  model: '--model',
  input_tokens: '--input-tokens',
  output_tokens: '--output-tokens',
  cost_usd: '--cost',
  run_id: '--run-id',
};

export function registerRecord(program: Command): void {
  const record = program.command('record').description('send one action, event or LLM-call record to a running exporter');

  withCommon(
    record
      .command('action')
      .description('record a finished action (a deploy, a job, a step)')
      .requiredOption('--name <name>', 'action name (the `action` label)')
      .requiredOption('--duration <seconds>', 'how long it took, in seconds')
      .option('--success', 'it succeeded')
      .option('--failure', 'it failed'),
  ).action(async (flags: ActionFlags) => {
    if (flags.success && flags.failure) throw new CliError('--success/--failure: give only one of them', EXIT_USAGE);
    if (!flags.success && !flags.failure) throw new CliError('--success/--failure: give one of them', EXIT_USAGE);
    await send(flags, {
      kind: 'action',
      name: flags.name,
      duration_seconds: toNumber('--duration', flags.duration),
      success: flags.success === true,
    });
  });

  withCommon(
    record
      .command('event')
      .description('record an event queued, processed or failed')
      .requiredOption('--type <type>', 'event type (the `type` label)')
      .requiredOption('--outcome <outcome>', `one of ${eventOutcomes.join(', ')}`)
      .option('--processing <seconds>', 'processing time in seconds (processed or failed events)'),
  ).action(async (flags: EventFlags) => {
    await send(flags, {
      kind: 'event',
      type: flags.type,
      outcome: flags.outcome as EventRecord['outcome'],
      ...(flags.processing !== undefined ? { processing_seconds: toNumber('--processing', flags.processing) } : {}),
    });
  });

  withCommon(
    record
      .command('llm')
      .description('record an LLM call: tokens, and optionally latency and cost')
      .requiredOption('--provider <provider>', 'e.g. openai, anthropic')
      .requiredOption('--model <model>', 'e.g. gpt-4o-mini')
      .requiredOption('--input-tokens <n>', 'input (prompt) tokens')
      .requiredOption('--output-tokens <n>', 'output (completion) tokens')
      .option('--duration <seconds>', 'request latency in seconds')
      .option('--cost <usd>', 'cost in USD (default: priced by the exporter from its price table)')
      .option('--failure', 'the call failed')
      .option('--run-id <id>', 'the command run this call belongs to'),
  ).action(async (flags: LlmFlags) => {
    await send(flags, {
      kind: 'llm',
      provider: flags.provider,
      model: flags.model,
      input_tokens: toNumber('--input-tokens', flags.inputTokens),
      output_tokens: toNumber('--output-tokens', flags.outputTokens),
      ...(flags.duration !== undefined ? { duration_seconds: toNumber('--duration', flags.duration) } : {}),
      ...(flags.cost !== undefined ? { cost_usd: toNumber('--cost', flags.cost) } : {}),
      success: !flags.failure,
      ...(flags.runId !== undefined ? { run_id: flags.runId } : {}),
    });
  });
}

function withCommon(cmd: Command): Command {
  return addConnectionOptions(cmd.option('-q, --quiet', 'print nothing on success'));
}

function toNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new CliError(`${flag}: "${raw}" is not a number`, EXIT_USAGE);
  return n;
}

/** Validates the record locally (exit 2 on a bad value), then posts it. */
async function send(flags: ConnectionFlags & QuietFlag, rec: IngestRecord): Promise<void> {
  const parsed = ingestRecordSchema.safeParse(rec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue.path[0] ?? '');
    throw new CliError(`${FLAG_OF[field] ?? (field || 'record')}: ${describeIssue(issue, rec)}`, EXIT_USAGE);
  }
  const client = new ExporterClient(resolveConnection(flags));
  await client.post<IngestResponse>('/ingest', parsed.data);
  if (!flags.quiet) print('accepted');
}

function describeIssue(issue: z.core.$ZodIssue, rec: IngestRecord): string {
  const value = (rec as Record<string, unknown>)[String(issue.path[0])];
  const got = typeof value === 'string' ? ` (got "${value.length > 40 ? value.slice(0, 40) + '…' : value}")` : '';
  const isDefault = /^(Too small|Too big|Invalid)/.test(issue.message);
  switch (issue.code) {
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}${got}`;
    case 'too_small':
      if (!isDefault) return issue.message;
      if (issue.origin === 'number' && Number(issue.minimum) === 0 && issue.inclusive) return 'must not be negative';
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (!isDefault) return issue.message;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}
