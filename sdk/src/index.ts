/**
 * `@runboard/sdk`: the remote client. Sends records to a running Runboard exporter over HTTP
 * (batched, bounded, retried); no native or server dependencies.
 *
 * ```ts
 * import { createClient } from '@runboard/sdk';          // or: const { createClient } = require('@runboard/sdk');
 * const rb = createClient({ url: 'http://127.0.0.1:9477', token: process.env.RUNBOARD_API_TOKEN });
 * rb.recordAction({ name: 'sync-orders', duration_seconds: 1.42, success: true });
 * rb.recordLlmCall({ provider: 'openai', model: 'gpt-4o-mini', input_tokens: 812, output_tokens: 96 });
 * await rb.flush(); // resolves once everything so far is acknowledged
 * await rb.close(); // on SIGINT/SIGTERM too: Node's beforeExit hook does not run on signals
 * ```
 */
export { createClient, RunboardClient, RunboardClientError, InvalidRecordError, type RunboardClientOptions, type RunboardClientStats } from './client.js';
export type { Recorder } from './recorder.js';
export { SDK_VERSION } from './version.js';
export type { ActionRecord, EventRecord, LlmRecord, StateRecord, IngestRecord, IngestBatch, IngestResponse, RecordKind, ApiError } from '@runboard/protocol';
