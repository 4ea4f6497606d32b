/**
 * The exporter's composition root: builds the parts (docs/architecture.md) and wires them —
 * metrics and the live store, the collectors, the data dir (token, ledger), the command runner,
 * the ingest service, the HTTP server and the tick loop. It is also the in-process SDK
 * (`Recorder`): an app can embed it and record straight into it, with the same verbs as the
 * remote client; those calls go to the ingest service.
 */
import { parseConfig, type Config, type ConfigInput } from './config';
import { ActionsCollector } from './collectors/actions';
import { CollectorSet, type Collector } from './collectors/collector';
import { EventsCollector } from './collectors/events';
import { LlmCollector } from './collectors/llm';
import { SystemCollector } from './collectors/system';
import { CommandsCollector } from './collectors/commands';
import { checkCommandSpec } from './commands/parameters';
import { CommandService } from './commands/service';
import type { Ledger } from './store/ledger';
import { openDataDir, startRetention, type OwnedDataDir } from './store/owned-data-dir';
import { createRequestListener } from './http/app';
import { tokenChecker } from './http/auth';
import { HttpServer } from './http/server';
import { createProxy } from './proxy/proxy';
import { IngestService } from './ingest/ingest-service';
import { consoleLogger, type Logger } from './log';
import { createMetrics, type Metrics } from './metrics/registry';
import type { ActionRecord, CollectorStatus, EventRecord, LlmRecord, StateRecord } from '@runboard/protocol';
import { LiveStore } from './store/live-store';
import { SseHub } from './stream/sse-hub';
import { EventStreams } from './stream/event-stream';
import { TickLoop } from './tick-loop';
import { processHeapBound } from './heap-bound';
import type { TokenSource } from './token';
import type { Recorder } from './sdk/recorder';

export interface ExporterOptions {
  log?: Logger;
  /** Skip the system collector (tests and embedders that only want their own metrics). */
  system?: boolean;
  /**
   * Bound the heap after each tick when `gc` is exposed (heap-bound.ts). Only for a process that
   * is the exporter's own (`serve`): in an app that embeds it the heap is the app's.
   */
  boundHeap?: boolean;
}

export class Exporter implements Recorder {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly store: LiveStore;
  readonly hub: SseHub;
  /** Every SSE stream (samples and run output): limits, heartbeats, back-pressure. */
  readonly streams: EventStreams;
  readonly token: string;
  readonly tokenSource: TokenSource;
  readonly tokenFile?: string;
  readonly startedAt = Date.now();
  readonly actions: ActionsCollector;
  readonly events: EventsCollector;
  readonly llm: LlmCollector;
  readonly ledger: Ledger;
  readonly commands: CommandService;
  private readonly ingestion: IngestService;
  private readonly dataDir: OwnedDataDir;
  private readonly system?: SystemCollector;
  private readonly collectors: CollectorSet;
  private readonly ticks: TickLoop;
  private readonly server: HttpServer;
  private stopRetention?: () => void;
  private stopped = false;

  private constructor(config: Config, opts: ExporterOptions) {
    this.config = config;
    this.log = opts.log ?? consoleLogger();
    const intervalMs = config.sampling.intervalSeconds * 1000;
    const windowMs = config.sampling.windowSeconds * 1000;
    this.metrics = createMetrics(config.limits.labelValues);
    this.store = new LiveStore(Math.max(1, Math.round(config.sampling.retentionSeconds / config.sampling.intervalSeconds)), intervalMs, config.limits.liveSeries);
    // Checked before anything opens: a bad command fails the start with its id and the reason.
    const specs = config.commands.map((c) => ({ ...c, executable: checkCommandSpec(c) }));
    this.dataDir = openDataDir(config, this.log);
    this.token = this.dataDir.token.token;
    this.tokenSource = this.dataDir.token.source;
    this.tokenFile = this.dataDir.token.file;
    this.ledger = this.dataDir.ledger;
    // From here on a failure releases the data dir again.
    try {
      const checkToken = tokenChecker(this.token);
      this.streams = new EventStreams(this.metrics, {
        maxClients: config.limits.streamClients,
        maxClientsPerClient: config.limits.streamClientsPerClient,
        maxBufferBytes: config.limits.streamBufferBytes,
        heartbeatMs: config.stream.heartbeatSeconds * 1000,
        retryMs: config.stream.retryMs,
        hasToken: checkToken,
      });
      this.hub = new SseHub(this.store);
      this.actions = new ActionsCollector(this.metrics, this.store, windowMs, this.startedAt);
      this.events = new EventsCollector(this.metrics, this.store, windowMs, this.startedAt);
      this.llm = new LlmCollector(this.metrics, this.store, windowMs, config.prices, this.startedAt);
      this.ingestion = new IngestService({ ledger: this.ledger, metrics: this.metrics, actions: this.actions, events: this.events, llm: this.llm });
      const commandsCollector = new CommandsCollector(this.metrics, this.store, () => this.commands);
      this.commands = new CommandService(specs, {
        ledger: this.ledger,
        log: this.log,
        limits: config.limits,
        onFinished: (run) => {
          commandsCollector.recordFinished(run);
          if (run.startedAt !== null && run.durationSeconds !== null) {
            this.actions.record({ name: run.command, duration_seconds: run.durationSeconds, success: run.outcome === 'success' });
          }
        },
        onLlm: (rec, run) => this.ingestion.recordCommandCost(rec, run.command),
        selfUrl: () => this.server.url,
      });
      const list: Collector[] = [this.actions, this.events, this.llm, commandsCollector];
      if (opts.system !== false) {
        this.system = new SystemCollector(this.metrics, this.store, { filesystems: config.system.filesystems });
        list.unshift(this.system);
      }
      this.collectors = new CollectorSet(list, this.metrics, (name, err) => this.log.warn(`collector ${name} failed: ${err instanceof Error ? err.message : String(err)}`));
      const heapBound = opts.boundHeap ? processHeapBound() : undefined;
      this.ticks = new TickLoop(this.collectors, this.store, this.hub, this.log, heapBound && (() => heapBound.check()));
      this.server = new HttpServer(
        createRequestListener({
          config,
          token: this.token,
          log: this.log,
          metrics: this.metrics,
          store: this.store,
          hub: this.hub,
          streams: this.streams,
          ingest: this.ingestion,
          commands: this.commands,
          ledger: this.ledger,
          status: this,
          proxy: config.proxy.enabled
            ? createProxy({ config: config.proxy, checkToken, log: this.log, metrics: this.metrics, record: (rec) => this.ingestion.recordCalls([rec], 'proxy') })
            : undefined,
        }),
        this.log,
      );
    } catch (err) {
      this.dataDir.close();
      throw err;
    }
  }

  /** Builds and starts an exporter: listens, then ticks every interval and applies retention. */
  static async start(config: Config | ConfigInput = {}, opts: ExporterOptions = {}): Promise<Exporter> {
    const exp = new Exporter(isParsed(config) ? config : parseConfig(config), opts);
    try {
      await exp.server.listen(exp.config.host, exp.config.port);
    } catch (err) {
      exp.dataDir.close();
      throw err;
    }
    exp.ticks.start();
    exp.stopRetention = startRetention(exp.ledger, exp.log);
    return exp;
  }

  get url(): string {
    const url = this.server.url;
    if (url === undefined) throw new Error('exporter is not listening');
    return url;
  }

  get currentAction(): string | null {
    return this.actions.currentAction;
  }

  get inventory() {
    return this.system?.inventory();
  }

  collectorStatuses(): CollectorStatus[] {
    return this.collectors.statuses();
  }

  // ---- Recorder: the in-process SDK (ingest/ingest-service.ts) ----

  recordAction(rec: Omit<ActionRecord, 'kind'>): void {
    this.ingestion.recordAction(rec);
  }

  recordEvent(rec: Omit<EventRecord, 'kind'>): void {
    this.ingestion.recordEvent(rec);
  }

  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void {
    this.ingestion.recordLlmCall(rec);
  }

  setState(state: Omit<StateRecord, 'kind'>): void {
    this.ingestion.setState(state);
  }

  /**
   * In-process records apply to metrics at once; LLM calls reach the ledger (and then the
   * metrics) at the end of the event-loop turn, and by the time this resolves. Rejects with the
   * LedgerWriteError (`code` 'ledger_unavailable') when the ledger refused LLM calls recorded
   * since the previous flush(): those are in neither the ledger nor the metrics.
   */
  flush(): Promise<void> {
    return this.ingestion.flush();
  }

  async close(): Promise<void> {
    await this.stop();
  }

  /** Runs one tick now: collectors, then one sample into the store and out to every stream (none after stop()). */
  tick(now = Date.now()): Promise<void> {
    return this.ticks.tick(now);
  }

  /** Adds a collector that runs every tick (the command runner and embedders use this). */
  addCollector(c: Collector): void {
    this.collectors.add(c);
  }

  /**
   * Stops accepting connections, ends streams cleanly, waits for a running tick, and closes the
   * server. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopRetention?.();
    this.metrics.stopDefaultMetrics();
    const ticked = this.ticks.stop();
    this.server.stopAccepting();
    this.hub.close();
    // Runs still going are cancelled and recorded; their output streams end with them.
    await this.commands.stop();
    this.streams.close();
    await ticked;
    this.collectors.close();
    await this.server.close();
    // A refusal here is logged by the ledger (once per burst); stopping goes on.
    this.ingestion.flushCosts();
    this.dataDir.close();
  }
}

function isParsed(c: Config | ConfigInput): c is Config {
  return typeof (c as Config).sampling?.intervalSeconds === 'number' && typeof (c as Config).limits?.bodyBytes === 'number' && typeof (c as Config).prices === 'object';
}
