/**
 * Every Prometheus metric the exporter serves (names as in README "Metrics (Prometheus)"), on a registry of its own
 * so an embedding app's default registry is left alone.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registerDefaultMetrics } from './default-metrics';
import { ExpositionRegistry } from './exposition';
import { LabelGuard } from './label-guard';

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const llmBuckets = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];

export function createMetrics(labelValues: number) {
  // prom-client's registry with a /metrics writer that keeps unchanged series' text (exposition.ts).
  const registry = new ExpositionRegistry();
  // prom-client's default metrics; the event-loop delay is measured per turn of the loop rather
  // than by a timer that wakes the process (default-metrics.ts).
  const stopDefaultMetrics = registerDefaultMetrics(registry);

  const r = [registry];
  /** Records accepted since runboard_ingest_records_total was last read, by kind. */
  const ingested: Record<string, number> = {};
  const labelOverflow = new Counter({
    name: 'runboard_label_overflow_total',
    help: 'Label values folded into "other" because the label reached its limit of distinct values.',
    labelNames: ['metric', 'label'] as const,
    registers: r,
  });
  const guard = (metric: string, label: string) => new LabelGuard(metric, label, labelValues, labelOverflow);

  const m = {
    registry,
    labelOverflow,
    // system
    cpuUsage: new Gauge({ name: 'runboard_system_cpu_usage_ratio', help: 'Share of CPU time spent busy across all cores over the last interval (0-1).', registers: r }),
    load1: new Gauge({ name: 'runboard_system_load1', help: 'One-minute load average.', registers: r }),
    memoryUsed: new Gauge({ name: 'runboard_system_memory_used_bytes', help: 'Memory in use (total minus available).', registers: r }),
    memoryTotal: new Gauge({ name: 'runboard_system_memory_total_bytes', help: 'Total physical memory.', registers: r }),
    networkReceive: new Counter({
      name: 'runboard_system_network_receive_bytes_total',
      help: 'Bytes received per network interface.',
      labelNames: ['interface'] as const,
      registers: r,
    }),
    networkTransmit: new Counter({
      name: 'runboard_system_network_transmit_bytes_total',
      help: 'Bytes transmitted per network interface.',
      labelNames: ['interface'] as const,
      registers: r,
    }),
    diskRead: new Counter({ name: 'runboard_system_disk_read_bytes_total', help: 'Bytes read from block devices (whole disks).', registers: r }),
    diskWritten: new Counter({ name: 'runboard_system_disk_written_bytes_total', help: 'Bytes written to block devices (whole disks).', registers: r }),
    processes: new Gauge({ name: 'runboard_system_processes', help: 'Number of processes.', registers: r }),
    threads: new Gauge({ name: 'runboard_system_threads', help: 'Number of threads (kernel scheduling entities).', registers: r }),
    filesystemSize: new Gauge({
      name: 'runboard_system_filesystem_size_bytes',
      help: 'Size of the filesystem at a configured mount point.',
      labelNames: ['mountpoint'] as const,
      registers: r,
    }),
    filesystemAvail: new Gauge({
      name: 'runboard_system_filesystem_avail_bytes',
      help: 'Space available to unprivileged users on the filesystem at a configured mount point.',
      labelNames: ['mountpoint'] as const,
      registers: r,
    }),
    systemInfo: new Gauge({
      name: 'runboard_system_info',
      help: 'Static host inventory; the value is always 1.',
      labelNames: ['hostname', 'os', 'cpu_model', 'cores'] as const,
      registers: r,
    }),
    // actions
    actions: new Counter({ name: 'runboard_actions_total', help: 'Finished actions by outcome.', labelNames: ['action', 'outcome'] as const, registers: r }),
    actionDuration: new Histogram({
      name: 'runboard_action_duration_seconds',
      help: 'Duration of finished actions.',
      labelNames: ['action'] as const,
      buckets: durationBuckets,
      registers: r,
    }),
    actionsInFlight: new Gauge({ name: 'runboard_actions_in_flight', help: 'Actions running now.', registers: r }),
    actionQueueDepth: new Gauge({ name: 'runboard_action_queue_depth', help: 'Actions waiting to run.', registers: r }),
    currentAction: new Gauge({
      name: 'runboard_current_action_info',
      help: 'The action running now (value 1 on its label; absent when idle).',
      labelNames: ['action'] as const,
      registers: r,
    }),
    // events
    events: new Counter({ name: 'runboard_events_total', help: 'Events by outcome (queued, processed, failed).', labelNames: ['type', 'outcome'] as const, registers: r }),
    eventProcessing: new Histogram({
      name: 'runboard_event_processing_seconds',
      help: 'Processing time of events.',
      labelNames: ['type'] as const,
      buckets: durationBuckets,
      registers: r,
    }),
    eventQueueDepth: new Gauge({ name: 'runboard_event_queue_depth', help: 'Events waiting to be processed.', registers: r }),
    // llm
    llmRequests: new Counter({
      name: 'runboard_llm_requests_total',
      help: 'LLM requests by outcome and source (ingest, sdk, command, otlp, proxy).',
      labelNames: ['provider', 'model', 'outcome', 'source'] as const,
      registers: r,
    }),
    llmTokens: new Counter({
      name: 'runboard_llm_tokens_total',
      help: 'LLM tokens by type (input, output).',
      labelNames: ['provider', 'model', 'type', 'source'] as const,
      registers: r,
    }),
    llmCost: new Counter({
      name: 'runboard_llm_cost_usd_total',
      help: 'LLM cost in US dollars (sent by the client or priced from the price table).',
      labelNames: ['provider', 'model', 'source'] as const,
      registers: r,
    }),
    llmUnpriced: new Counter({
      name: 'runboard_llm_unpriced_requests_total',
      help: 'LLM requests without cost_usd whose model has no price in the price table (tokens counted, cost not).',
      labelNames: ['provider', 'model', 'source'] as const,
      registers: r,
    }),
    llmDuration: new Histogram({
      name: 'runboard_llm_request_duration_seconds',
      help: 'LLM request latency.',
      labelNames: ['provider', 'model', 'source'] as const,
      buckets: llmBuckets,
      registers: r,
    }),
    // commands
    commandRuns: new Counter({
      name: 'runboard_command_runs_total',
      help: 'Finished command runs by outcome (success, failure, timeout, cancelled).',
      labelNames: ['command', 'outcome'] as const,
      registers: r,
    }),
    commandDuration: new Histogram({
      name: 'runboard_command_duration_seconds',
      help: 'Duration of finished command runs.',
      labelNames: ['command'] as const,
      buckets: durationBuckets,
      registers: r,
    }),
    commandRunsActive: new Gauge({ name: 'runboard_command_runs_active', help: 'Command runs running now.', registers: r }),
    commandQueueDepth: new Gauge({ name: 'runboard_command_queue_depth', help: 'Command runs waiting for a free slot.', registers: r }),
    // exporter
    streamClients: new Gauge({ name: 'runboard_stream_clients', help: 'Connected SSE stream clients.', registers: r }),
    streamDisconnects: new Counter({
      name: 'runboard_stream_disconnects_total',
      help: 'SSE stream disconnects by reason (client, slow, shutdown, limit).',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    ingestRejected: new Counter({ name: 'runboard_ingest_rejected_total', help: 'Ingest requests or records rejected, by reason.', labelNames: ['reason'] as const, registers: r }),
    ledgerRefusedRecords: new Counter({
      name: 'runboard_ledger_refused_records_total',
      help: 'LLM cost records the ledger refused to store (full disk or ledger.maxSizeBytes, read-only file, I/O error), by source (ingest, sdk, command, otlp, proxy); none of them is counted in the LLM metrics.',
      labelNames: ['source'] as const,
      registers: r,
    }),
    otlpReceived: new Counter({
      name: 'runboard_otlp_received_total',
      help: 'Spans and metric data points received on the OTLP receiver (/v1/traces, /v1/metrics), by signal.',
      labelNames: ['signal'] as const,
      registers: r,
    }),
    otlpIgnored: new Counter({
      name: 'runboard_otlp_ignored_total',
      help: 'OTLP spans and data points accepted but not recorded, by signal and reason (not_genai, spans_preferred).',
      labelNames: ['signal', 'reason'] as const,
      registers: r,
    }),
    otlpRejected: new Counter({
      name: 'runboard_otlp_rejected_total',
      help: 'OTLP GenAI spans and data points rejected as invalid (reported to the client as partial success), by signal.',
      labelNames: ['signal'] as const,
      registers: r,
    }),
    otlpEvicted: new Counter({
      name: 'runboard_otlp_streams_evicted_total',
      help: 'Cumulative OTLP metric streams or span-sending apps forgotten because otlp.maxStreams was reached.',
      registers: r,
    }),
    proxyRequests: new Counter({
      name: 'runboard_proxy_requests_total',
      help: 'Requests to the recording proxy by upstream and outcome (success, upstream_error, timeout, unreachable, cut, refused).',
      labelNames: ['upstream', 'outcome'] as const,
      registers: r,
    }),
    ingestRecords: new Counter({
      name: 'runboard_ingest_records_total',
      help: 'Records accepted through ingest and the SDK, by kind.',
      labelNames: ['kind'] as const,
      registers: r,
      // Counted in plain numbers on the record path (countIngested) and added when read.
      collect() {
        for (const kind of Object.keys(ingested)) {
          const n = ingested[kind];
          if (n > 0) {
            ingested[kind] = 0;
            this.inc({ kind }, n);
          }
        }
      },
    }),
    collectDuration: new Gauge({
      name: 'runboard_collect_duration_seconds',
      help: 'Duration of the last run of each collector.',
      labelNames: ['collector'] as const,
      registers: r,
    }),
    collectSuccess: new Gauge({
      name: 'runboard_collect_success',
      help: 'Whether the last run of each collector succeeded (1) or failed (0).',
      labelNames: ['collector'] as const,
      registers: r,
    }),
  };

  const guards = {
    action: guard('runboard_actions_total', 'action'),
    eventType: guard('runboard_events_total', 'type'),
    provider: guard('runboard_llm_requests_total', 'provider'),
    model: guard('runboard_llm_requests_total', 'model'),
    // Two guarded labels still make labelValues² pairs (40,000 series sets by default): the
    // pairs are bounded too, a new pair past the limit folds its model into "other".
    providerModel: guard('runboard_llm_requests_total', 'provider,model'),
    networkInterface: guard('runboard_system_network_receive_bytes_total', 'interface'),
  };
  /** Counts accepted records (a labelled counter inc per record would cost more than the record). */
  const countIngested = (kind: string, n = 1) => {
    ingested[kind] = (ingested[kind] ?? 0) + n;
  };
  return { ...m, guards, countIngested, stopDefaultMetrics };
}

export type Metrics = ReturnType<typeof createMetrics>;
