/**
 * The exporter: wires config, metrics, live store, collectors, the SSE hub and the HTTP server,
 * and runs the tick loop. It is also the in-process SDK (`Recorder`): an app can embed it and
 * record straight into it, with the same verbs as the remote client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, type Config, type ConfigInput } from './config';
import { ActionsCollector } from './collectors/actions';
import { CollectorSet, type Collector } from './collectors/collector';
import { EventsCollector } from './collectors/events';
import { LlmCollector, type PricedLlmRecord } from './collectors/llm';
import { SystemCollector } from './collectors/system';
import { CommandsCollector } from './collectors/commands';
import { checkCommandSpec } from './commands/parameters';
import { CommandService } from './commands/service';
import { Ledger, type CostRecordInput } from './store/ledger';
import path from 'node:path';
import { createApp } from './http/app';
import { consoleLogger, type Logger } from './log';
import { createMetrics, type Metrics } from './metrics/registry';
import { ingestRecordSchema, type ActionRecord, type CollectorStatus, type EventRecord, type IngestRecord, type IngestResponse, type LlmRecord, type RecordKind, type StateRecord } from './protocol';
import { LiveStore } from './store/live-store';
import { SseHub } from './stream/sse-hub';
import { resolveToken, type TokenSource } from './token';
import type { Recorder } from './sdk/recorder';

export interface ExporterOptions {
  log?: Logger;
  /** Skip the system collector (tests and embedders that only want their own metrics). */
  system?: boolean;
}

export class Exporter implements Recorder {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly store: LiveStore;
  readonly hub: SseHub;
  readonly token: string;
  readonly tokenSource: TokenSource;
  readonly tokenFile?: string;
  readonly startedAt = Date.now();
  readonly actions: ActionsCollector;
  readonly events: EventsCollector;
  readonly llm: LlmCollector;
  readonly ledger: Ledger;
  readonly commands: CommandService;
  private readonly commandsCollector: CommandsCollector;
  private pruneTimer?: NodeJS.Timeout;
  private readonly system?: SystemCollector;
  private readonly collectors: CollectorSet;
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;

  private constructor(config: Config, opts: ExporterOptions) {
    this.config = config;
    this.log = opts.log ?? consoleLogger();
    const tok = resolveToken(config.auth.token, config.dataDir);
    this.token = tok.token;
    this.tokenSource = tok.source;
    this.tokenFile = tok.file;
    const intervalMs = config.sampling.intervalSeconds * 1000;
    const windowMs = config.sampling.windowSeconds * 1000;
    this.metrics = createMetrics(config.limits.labelValues);
    this.store = new LiveStore(Math.max(1, Math.round(config.sampling.retentionSeconds / config.sampling.intervalSeconds)), intervalMs, config.limits.liveSeries);
    this.hub = new SseHub(this.store, this.metrics, {
      maxClients: config.limits.streamClients,
      maxBufferBytes: config.limits.streamBufferBytes,
      heartbeatMs: config.stream.heartbeatSeconds * 1000,
      retryMs: config.stream.retryMs,
    });
    this.actions = new ActionsCollector(this.metrics, this.store, windowMs, this.startedAt);
    this.events = new EventsCollector(this.metrics, this.store, windowMs, this.startedAt);
    this.llm = new LlmCollector(this.metrics, this.store, windowMs, config.prices, this.startedAt);
    // Checked before anything opens: a bad command fails the start with its id and the reason.
    const specs = config.commands.map((c) => ({ ...c, executable: checkCommandSpec(c) }));
    this.ledger = Ledger.open(path.join(config.dataDir, LEDGER_FILE), config.ledger);
    const interrupted = this.ledger.interruptActiveRuns(Date.now());
    if (interrupted > 0) this.log.warn(`${interrupted} command run(s) were active when the exporter last stopped; marked cancelled`);
    this.ledger.prune(Date.now());
    this.commandsCollector = new CommandsCollector(this.metrics, this.store, () => this.commands);
    this.commands = new CommandService(specs, {
      ledger: this.ledger,
      log: this.log,
      limits: config.limits,
      onFinished: (run) => {
        this.commandsCollector.recordFinished(run);
        if (run.startedAt !== null && run.durationSeconds !== null) {
          this.actions.record({ name: run.command, duration_seconds: run.durationSeconds, success: run.outcome === 'success' });
        }
      },
      onLlm: (rec, run) => this.recordCost(rec, 'command', run.command),
    });
    const list: Collector[] = [this.actions, this.events, this.llm, this.commandsCollector];
    if (opts.system !== false) {
      this.system = new SystemCollector(this.metrics, this.store, { filesystems: config.system.filesystems });
      list.unshift(this.system);
    }
    this.collectors = new CollectorSet(list, this.metrics, (name, err) => this.log.warn(`collector ${name} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Builds and starts an exporter: listens, then ticks every interval. */
  static async start(config: Config | ConfigInput = {}, opts: ExporterOptions = {}): Promise<Exporter> {
    const exp = new Exporter(isParsed(config) ? config : parseConfig(config), opts);
    try {
      await exp.listen();
    } catch (err) {
      exp.ledger.close();
      throw err;
    }
    exp.scheduleTick();
    // Retention is cheap to apply; every 5 minutes keeps the ledger near its limits.
    exp.pruneTimer = setInterval(() => exp.pruneLedger(), 5 * 60_000);
    exp.pruneTimer.unref();
    return exp;
  }

  get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('exporter is not listening');
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}`;
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

  // ---- Recorder: the in-process SDK ----
  // Records from code are checked like records from the wire, so a NaN or a negative duration
  // from a caller's bug throws at the call site instead of corrupting a histogram.
  recordAction(rec: Omit<ActionRecord, 'kind'>): void {
    this.apply(checkRecord({ ...rec, kind: 'action' }));
  }

  recordEvent(rec: Omit<EventRecord, 'kind'>): void {
    this.apply(checkRecord({ ...rec, kind: 'event' }));
  }

  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void {
    const checked = checkRecord({ ...rec, kind: 'llm' }) as LlmRecord;
    this.recordCost(checked, 'sdk');
    this.metrics.ingestRecords.inc({ kind: 'llm' });
  }

  setState(state: Omit<StateRecord, 'kind'>): void {
    this.apply(checkRecord({ ...state, kind: 'state' }));
  }

  /** In-process records apply at once; nothing to flush. Kept for parity with the remote client. */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.stop();
  }

  /**
   * Applies records that were already validated (by the ingest route), in order. Cost records
   * are in the ledger when this returns, so a 202 means they survive a crash.
   */
  ingest(records: IngestRecord[]): IngestResponse['byKind'] {
    const byKind: Partial<Record<RecordKind, number>> = {};
    const costs: CostRecordInput[] = [];
    for (const rec of records) {
      if (rec.kind === 'llm') {
        costs.push(this.costRecord(rec, this.llm.record(rec), 'ingest'));
        this.metrics.ingestRecords.inc({ kind: 'llm' });
      } else {
        this.apply(rec);
      }
      byKind[rec.kind] = (byKind[rec.kind] ?? 0) + 1;
    }
    if (costs.length > 0) this.ledger.insertCostRecords(costs);
    return byKind;
  }

  /** Records one LLM call in metrics and the ledger; returns the cost used. */
  private recordCost(rec: Omit<LlmRecord, 'kind'>, source: CostRecordInput['source'], command?: string): number | undefined {
    const priced = this.llm.record(rec);
    this.ledger.insertCostRecords([this.costRecord(rec, priced, source, command)]);
    return priced.cost_usd;
  }

  private costRecord(rec: Omit<LlmRecord, 'kind'>, priced: PricedLlmRecord, source: CostRecordInput['source'], command?: string): CostRecordInput {
    return {
      t: rec.t ?? Date.now(),
      provider: rec.provider,
      model: rec.model,
      input_tokens: rec.input_tokens,
      output_tokens: rec.output_tokens,
      cost_usd: priced.cost_usd,
      priced: priced.priced,
      duration_seconds: rec.duration_seconds,
      success: rec.success ?? true,
      run_id: rec.run_id,
      command,
      source,
    };
  }

  private apply(rec: IngestRecord): void {
    switch (rec.kind) {
      case 'action':
        this.actions.record(rec);
        break;
      case 'event':
        this.events.record(rec);
        break;
      case 'llm':
        this.recordCost(rec, 'sdk');
        break;
      case 'state':
        this.actions.setState(rec);
        if (rec.event_queue_depth !== undefined) this.events.setQueueDepth(rec.event_queue_depth);
        break;
    }
    this.metrics.ingestRecords.inc({ kind: rec.kind });
  }

  /** Runs one tick now: collectors, then one sample into the store and out to every stream. */
  async tick(now = Date.now()): Promise<void> {
    await this.collectors.collectAll(now);
    const tick = this.store.commit(now);
    this.hub.broadcast(tick);
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
    if (this.timer) clearTimeout(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    const server = this.server;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    this.hub.close();
    // Runs still going are cancelled and recorded; their output streams end with them.
    await this.commands.stop();
    await this.ticking;
    server?.closeIdleConnections();
    // Requests in progress get a moment to finish; then the rest are cut.
    const grace = setTimeout(() => server?.closeAllConnections(), 2000);
    await closed;
    clearTimeout(grace);
    this.ledger.close();
  }

  /** Retention in slices of 20k rows, yielding between them so ticks and requests keep flowing. */
  private pruneLedger(): void {
    if (this.stopped || !this.ledger.isOpen) return;
    const { done } = this.ledger.prune(Date.now(), { maxDeletes: 20_000 });
    if (!done) setImmediate(() => this.pruneLedger());
  }

  private listen(): Promise<void> {
    const app = createApp(this);
    const server = http.createServer(app);
    // Slow-loris bound: a client has 30 s to send its headers and body.
    server.headersTimeout = 30_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        const where = `${this.config.host}:${this.config.port}`;
        if (err.code === 'EADDRINUSE') reject(new Error(`port ${this.config.port} is already in use on ${this.config.host} (set --port or RUNBOARD_PORT)`));
        else if (err.code === 'EACCES') reject(new Error(`no permission to listen on ${where}`));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new Error(`cannot listen on ${where}: address not available`));
        else reject(new Error(`cannot listen on ${where}: ${err.message}`));
      };
      const onListening = () => {
        server.off('error', onError);
        server.on('error', (err) => this.log.error(`server error: ${err.message}`));
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(this.config.port, this.config.host);
    });
  }

  /** Ticks on interval boundaries, one at a time: a slow tick delays the next, never overlaps it. */
  private scheduleTick(): void {
    if (this.stopped) return;
    const interval = this.store.intervalMs;
    const delay = interval - (Date.now() % interval);
    this.timer = setTimeout(() => {
      this.ticking = this.runTick().finally(() => {
        this.ticking = undefined;
        this.scheduleTick();
      });
    }, delay);
  }

  private async runTick(): Promise<void> {
    try {
      await this.tick();
    } catch (err) {
      this.log.error(`tick failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const LEDGER_FILE = 'runboard.db';

function checkRecord(rec: unknown): IngestRecord {
  const parsed = ingestRecordSchema.safeParse(rec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new TypeError(`invalid record: ${issue.path.join('.') || 'record'}: ${issue.message}`);
}

function isParsed(c: Config | ConfigInput): c is Config {
  return typeof (c as Config).sampling?.intervalSeconds === 'number' && typeof (c as Config).limits?.bodyBytes === 'number' && typeof (c as Config).prices === 'object';
}
