/**
 * The Runboard SDK (`runboard-exporter/sdk`): one set of verbs, two flavours.
 *
 * Remote: send records to a running exporter over HTTP (batched, bounded, retried):
 * ```ts
 * import { createClient } from 'runboard-exporter/sdk';
 * const rb = createClient({ url: 'http://127.0.0.1:9477', token: process.env.RUNBOARD_API_TOKEN });
 * ```
 * In-process: embed the exporter itself (it serves /metrics, the API and the stream):
 * ```ts
 * import { startExporter } from 'runboard-exporter/sdk';
 * const rb = await startExporter({ port: 9477 });
 * ```
 * Either way, the same calls:
 * ```ts
 * rb.recordAction({ name: 'sync-orders', duration_seconds: 1.42, success: true });
 * rb.recordEvent({ type: 'order.created', outcome: 'processed', processing_seconds: 0.03 });
 * rb.recordLlmCall({ provider: 'openai', model: 'gpt-4o-mini', input_tokens: 812, output_tokens: 96 });
 * rb.setState({ current_action: 'sync-orders', action_queue_depth: 3 });
 * await rb.flush(); // remote: resolves once everything so far is acknowledged
 * await rb.close(); // on SIGINT/SIGTERM too: Node's beforeExit hook does not run on signals
 * ```
 */
import type { Config, ConfigInput } from '../config';
import type { Exporter, ExporterOptions } from '../exporter';

export {
  createClient,
  RunboardClient,
  RunboardClientError,
  InvalidRecordError,
  type RunboardClientOptions,
  type RunboardClientStats,
} from './client';
export type { Recorder } from './recorder';
export type { ActionRecord, EventRecord, LlmRecord, StateRecord, IngestRecord, IngestBatch, IngestResponse, RecordKind, ApiError } from '@runboard/protocol';
export type { Exporter, ExporterOptions } from '../exporter';
export type { Config, ConfigInput } from '../config';

/**
 * The in-process flavour: `Exporter.start(config, opts)`. The exporter module (express,
 * prom-client, the collectors) is loaded on first call, so apps that only use the remote client
 * never load it.
 */
export async function startExporter(config?: Config | ConfigInput, opts?: ExporterOptions): Promise<Exporter> {
  const { Exporter } = await import('../exporter');
  return Exporter.start(config, opts);
}
