/**
 * `runboard-exporter/sdk`: the in-process flavour (`startExporter`) next to the remote client,
 * which is re-exported from `@runboard/sdk` so code written against this entry point keeps
 * working. An app that only sends records should depend on `@runboard/sdk` alone: this entry
 * point belongs to the exporter package and brings its native and server dependencies along
 * (README "SDK").
 *
 * ```ts
 * import { startExporter } from 'runboard-exporter/sdk';
 * const rb = await startExporter({ port: 9477 }); // serves /metrics, the API and the stream
 * rb.recordAction({ name: 'sync-orders', duration_seconds: 1.42, success: true });
 * await rb.flush();
 * await rb.close(); // on SIGINT/SIGTERM too
 * ```
 */
import type { Config, ConfigInput } from '../config';
import type { Exporter, ExporterOptions } from '../exporter';

export * from '@runboard/sdk';
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
