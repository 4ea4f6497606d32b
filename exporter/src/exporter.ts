/**
 * The exporter: wires config, metrics, live store, collectors, the SSE hub and the HTTP server,
 * and runs the tick loop. It is also the in-process SDK (`Recorder`): an app can embed it and
 * record straight into it, with the same verbs as the remote client.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseConfig, type Config, type ConfigInput } from './config';
import { ActionsCollector } from './collectors/actions';
import { CollectorSet, type Collector } from './collectors/collector';
import { EventsCollector } from './collectors/events';
import { LlmCollector, type LlmPricing } from './collectors/llm';
import { SystemCollector } from './collectors/system';
import { CommandsCollector } from './collectors/commands';
import { checkCommandSpec } from './commands/parameters';
import { CommandService } from './commands/service';
import { Ledger, LedgerVersionError, LedgerWriteError, type CostRecordInput } from './store/ledger';
import { DataDirLock, LEDGER_FILE, startError } from './store/data-dir';
import path from 'node:path';
import { createRequestListener } from './http/app';
import { tokenChecker } from './http/auth';
import { consoleLogger, type Logger } from './log';
import { createMetrics, type Metrics } from './metrics/registry';
import { actionRecordSchema, eventRecordSchema, ingestRecordSchema, llmRecordSchema, stateRecordSchema, type ActionRecord, type CollectorStatus, type EventRecord, type IngestRecord, type IngestResponse, type LlmRecord, type RecordKind, type StateRecord } from '@runboard/protocol';
import { LiveStore } from './store/live-store';
import { SseHub } from './stream/sse-hub';
import { EventStreams } from './stream/event-stream';
import { isValidRecord } from './ingest/validate';
import { compileFastCheck } from './ingest/fast-check';
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
  private readonly commandsCollector: CommandsCollector;
  private readonly dataDirLock: DataDirLock;
  private pruneTimer?: NodeJS.Timeout;
  /** SDK cost records waiting for the end of the event-loop turn (see recordLlmCall). */
  private pendingCosts: CostRecordInput[] = [];
  private costFlush?: NodeJS.Immediate;
  /** The last refusal of SDK cost records since the last flush(), which then rejects with it. */
  private sdkRefused?: LedgerWriteError;
  private readonly system?: SystemCollector;
  private readonly collectors: CollectorSet;
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private tokenCheck?: (authorization: string | undefined) => boolean;

  private constructor(config: Config, opts: ExporterOptions) {
    this.config = config;
    this.log = opts.log ?? consoleLogger();
    const intervalMs = config.sampling.intervalSeconds * 1000;
    const windowMs = config.sampling.windowSeconds * 1000;
    this.metrics = createMetrics(config.limits.labelValues);
    this.store = new LiveStore(Math.max(1, Math.round(config.sampling.retentionSeconds / config.sampling.intervalSeconds)), intervalMs, config.limits.liveSeries);
    this.streams = new EventStreams(this.metrics, {
      maxClients: config.limits.streamClients,
      maxClientsPerClient: config.limits.streamClientsPerClient,
      maxBufferBytes: config.limits.streamBufferBytes,
      heartbeatMs: config.stream.heartbeatSeconds * 1000,
      retryMs: config.stream.retryMs,
      // The token is read from the data dir below; the check is built on first use.
      hasToken: (authorization) => (this.tokenCheck ??= tokenChecker(this.token))(authorization),
    });
    this.hub = new SseHub(this.store);
    this.actions = new ActionsCollector(this.metrics, this.store, windowMs, this.startedAt);
    this.events = new EventsCollector(this.metrics, this.store, windowMs, this.startedAt);
    this.llm = new LlmCollector(this.metrics, this.store, windowMs, config.prices, this.startedAt);
    // Checked before anything opens: a bad command fails the start with its id and the reason.
    const specs = config.commands.map((c) => ({ ...c, executable: checkCommandSpec(c) }));
    const owned = this.openDataDir(config);
    this.dataDirLock = owned.lock;
    this.token = owned.token.token;
    this.tokenSource = owned.token.source;
    this.tokenFile = owned.token.file;
    this.ledger = owned.ledger;
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
      selfUrl: () => (this.server?.address() ? this.url : undefined),
    });
    const list: Collector[] = [this.actions, this.events, this.llm, this.commandsCollector];
    if (opts.system !== false) {
      this.system = new SystemCollector(this.metrics, this.store, { filesystems: config.system.filesystems });
      list.unshift(this.system);
    }
    this.collectors = new CollectorSet(list, this.metrics, (name, err) => this.log.warn(`collector ${name} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  /**
   * Claims the data dir, then reads the token and opens the ledger, marking runs left active by a
   * previous owner cancelled. The claim comes first: a second exporter on the same dir stops there,
   * before it could touch the owner's token, ledger or live runs. Start-up errors are one line
   * naming the file and the setting; whatever was opened is closed again.
   */
  private openDataDir(config: Config): { lock: DataDirLock; token: ReturnType<typeof resolveToken>; ledger: Ledger } {
    const lock = DataDirLock.claim(config.dataDir, this.log);
    let ledger: Ledger | undefined;
    try {
      const token = resolveToken(config.auth.token, lock.dir);
      const file = path.join(lock.dir, LEDGER_FILE);
      try {
        ledger = Ledger.open(file, {
          ...config.ledger,
          // A full disk refuses every write until space is freed: one line when a burst of
          // refusals starts and one when writes succeed again, never a line (or a stack) per request.
          onStorage: (e) =>
            'refused' in e
              ? this.log.error(`${e.refused.message}: writes that need the ledger (LLM calls, run starts, templates) answer 503 and nothing is counted until a write succeeds; further failures are counted in runboard_ledger_refused_records_total and runboard_ingest_rejected_total, not logged`)
              : this.log.info(`ledger writes recovered after ${e.recoveredAfter} failure${e.recoveredAfter === 1 ? '' : 's'}`),
        });
        const interrupted = ledger.interruptActiveRuns(Date.now());
        if (interrupted > 0) this.log.warn(`${interrupted} command run(s) were active when the exporter last stopped; marked cancelled`);
        ledger.prune(Date.now());
      } catch (err) {
        // A newer Runboard's ledger already says so in one line, with the file.
        throw err instanceof LedgerVersionError ? err : startError('cannot open the ledger', file, err);
      }
      return { lock, token, ledger };
    } catch (err) {
      try {
        ledger?.close();
      } catch {
        // The error being thrown already says what is wrong with the ledger.
      }
      lock.release();
      throw err;
    }
  }

  private closeDataDir(): void {
    try {
      this.ledger.close();
    } finally {
      this.dataDirLock.release();
    }
  }

  /** Builds and starts an exporter: listens, then ticks every interval. */
  static async start(config: Config | ConfigInput = {}, opts: ExporterOptions = {}): Promise<Exporter> {
    const exp = new Exporter(isParsed(config) ? config : parseConfig(config), opts);
    try {
      await exp.listen();
    } catch (err) {
      exp.closeDataDir();
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
  // A valid record (the fast check, see ingest/fast-check.ts) is used as it is; anything else
  // goes through zod, which accepts it or throws naming the field.
  recordAction(rec: Omit<ActionRecord, 'kind'>): void {
    if (SDK_FAST.action(rec)) this.actions.record(rec);
    else this.apply(checkRecord({ ...rec, kind: 'action' }));
    this.metrics.countIngested('action');
  }

  recordEvent(rec: Omit<EventRecord, 'kind'>): void {
    if (SDK_FAST.event(rec)) this.events.record(rec);
    else this.apply(checkRecord({ ...rec, kind: 'event' }));
    this.metrics.countIngested('event');
  }

  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void {
    const checked = SDK_FAST.llm(rec) ? rec : (checkRecord({ ...rec, kind: 'llm' }) as LlmRecord);
    // Into the ledger with the other SDK calls of this event-loop turn, in one transaction: a
    // commit per call (~70 µs) would cost 30× the metric updates. flush() and stop() write at once.
    // Counted in the metrics only once that write has committed (flushCosts).
    this.queueCost(this.costRecord(checked, this.llm.price(checked), 'sdk'));
  }

  setState(state: Omit<StateRecord, 'kind'>): void {
    this.apply(SDK_FAST.state(state) ? { ...state, kind: 'state' } : checkRecord({ ...state, kind: 'state' }));
    this.metrics.countIngested('state');
  }

  /**
   * In-process records apply to metrics at once; LLM calls reach the ledger (and then the
   * metrics) at the end of the event-loop turn, and by the time this resolves. Rejects with the
   * LedgerWriteError (`code` 'ledger_unavailable') when the ledger refused LLM calls recorded
   * since the previous flush(): those are in neither the ledger nor the metrics.
   */
  async flush(): Promise<void> {
    this.flushCosts();
    const refused = this.sdkRefused;
    this.sdkRefused = undefined;
    if (refused) throw refused;
  }

  async close(): Promise<void> {
    await this.stop();
  }

  /**
   * Applies records that were already validated (by the ingest route), in order. Ledger first:
   * the batch's cost records are written in one transaction, and only then does any record of the
   * batch reach the metrics or the live store, so a 202 means they survive a crash. Throws
   * LedgerWriteError (the route answers 503) when the ledger refuses: then nothing of the batch
   * is counted, and the client's retry cannot count anything twice.
   */
  ingest(records: IngestRecord[]): IngestResponse['byKind'] {
    const costs: CostRecordInput[] = [];
    for (const rec of records) if (rec.kind === 'llm') costs.push(this.costRecord(rec, this.llm.price(rec), 'ingest'));
    if (costs.length > 0) {
      const refused = this.writeCosts(costs, 'ingest');
      if (refused) throw refused;
    }
    const byKind: Partial<Record<RecordKind, number>> = {};
    const now = Date.now();
    let c = 0;
    for (const rec of records) {
      if (rec.kind === 'llm') this.llm.count(costs[c++], now);
      else this.apply(rec);
      byKind[rec.kind] = (byKind[rec.kind] ?? 0) + 1;
    }
    for (const kind of Object.keys(byKind) as RecordKind[]) this.metrics.countIngested(kind, byKind[kind]);
    return byKind;
  }

  private queueCost(c: CostRecordInput): void {
    this.pendingCosts.push(c);
    this.costFlush ??= setImmediate(() => this.flushCosts());
  }

  /**
   * Writes the queued SDK cost records in one transaction, then counts them. A refused batch has
   * no caller to answer: it is logged (once per burst), counted nowhere but in
   * runboard_ledger_refused_records_total, and the next flush() rejects.
   */
  private flushCosts(): void {
    if (this.costFlush) clearImmediate(this.costFlush);
    this.costFlush = undefined;
    if (this.pendingCosts.length === 0 || !this.ledger.isOpen) return;
    const batch = this.pendingCosts;
    this.pendingCosts = [];
    const refused = this.writeCosts(batch, 'sdk');
    if (refused) {
      this.sdkRefused = refused;
      return;
    }
    const now = Date.now();
    for (const c of batch) this.llm.count(c, now);
    this.metrics.countIngested('llm', batch.length);
  }

  /**
   * Records one LLM call in the ledger, then in the metrics; returns the cost used, or undefined
   * when the ledger refused it (logged once per burst; nothing counted).
   */
  private recordCost(rec: Omit<LlmRecord, 'kind'>, source: CostRecordInput['source'], command?: string): LlmPricing | undefined {
    const c = this.costRecord(rec, this.llm.price(rec), source, command);
    if (this.writeCosts([c], source)) return undefined;
    this.llm.count(c);
    return c;
  }

  /**
   * Stores cost records; returns the LedgerWriteError when the ledger refused them (counted
   * here, logged once per burst by the ledger's onStorage, see openDataDir).
   */
  private writeCosts(batch: CostRecordInput[], source: CostRecordInput['source']): LedgerWriteError | undefined {
    try {
      this.ledger.insertCostRecords(batch);
    } catch (err) {
      if (!(err instanceof LedgerWriteError)) throw err;
      this.metrics.ledgerRefusedRecords.inc({ source }, batch.length);
      return err;
    }
    return undefined;
  }

  private costRecord(rec: Omit<LlmRecord, 'kind'>, priced: LlmPricing, source: CostRecordInput['source'], command?: string): CostRecordInput {
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
    this.streams.close();
    await this.ticking;
    server?.closeIdleConnections();
    // Requests in progress get a moment to finish; then the rest are cut.
    const grace = setTimeout(() => server?.closeAllConnections(), 2000);
    await closed;
    clearTimeout(grace);
    // A refusal here is logged by writeCosts; stopping goes on.
    this.flushCosts();
    this.closeDataDir();
  }

  /**
   * Retention in slices of 5k rows, yielding between them so ticks and requests keep flowing
   * (a 20k-row slice held the event loop ~150 ms under a 10k records/s load: the soak test).
   */
  private pruneLedger(): void {
    if (this.stopped || !this.ledger.isOpen) return;
    const { done } = this.ledger.prune(Date.now(), { maxDeletes: 5_000 });
    if (!done) setImmediate(() => this.pruneLedger());
  }

  private listen(): Promise<void> {
    // The app itself refuses an HTTP/1.1 request without Host (RFC 9112), with a JSON body.
    const server = http.createServer({ requireHostHeader: false }, createRequestListener(this));
    // Slow-loris bound: a client has 30 s to send its headers and body.
    server.headersTimeout = 30_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    // Requests Node's parser refuses (bad framing, headers too large, too slow) get DESIGN §4's
    // JSON error body too, not a bare status line.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket));
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


const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'request headers are too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'body_too_large', 'chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request was not complete in time'],
};

/** Sockets already answered: Node reports the parse error again for every later chunk. */
const answered = new WeakSet<Duplex>();

/**
 * Node's own answer to a malformed request (see http's clientError), with a JSON body. The rest
 * of what the client sends is read and dropped until it closes (at most 5 s): closing with unread
 * bytes would reset the connection and could destroy the answer before the client reads it.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (answered.has(socket)) return;
  answered.add(socket);
  const inResponse = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || inResponse) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad_request', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  // A client that never closes its side is cut after a few seconds.
  setTimeout(() => socket.destroy(), 5000).unref();
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The SDK's records are the wire records without `kind`: checked as such, without a copy. */
const SDK_FAST = {
  action: compileFastCheck(actionRecordSchema.omit({ kind: true })),
  event: compileFastCheck(eventRecordSchema.omit({ kind: true })),
  llm: compileFastCheck(llmRecordSchema.omit({ kind: true })),
  state: compileFastCheck(stateRecordSchema.omit({ kind: true })),
};

function checkRecord(rec: unknown): IngestRecord {
  // Valid records (nearly all) skip zod's ~1-2.5 µs; zod still decides and words every rejection.
  if (isValidRecord(rec)) return rec as IngestRecord;
  const parsed = ingestRecordSchema.safeParse(rec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new TypeError(`invalid record: ${issue.path.join('.') || 'record'}: ${issue.message}`);
}

function isParsed(c: Config | ConfigInput): c is Config {
  return typeof (c as Config).sampling?.intervalSeconds === 'number' && typeof (c as Config).limits?.bodyBytes === 'number' && typeof (c as Config).prices === 'object';
}
