/**
 * Records into the exporter, from the wire (POST /api/v1/ingest), from code (the in-process
 * SDK) and from commands' `::llm` lines. Ledger first (README "The ledger"): an LLM call reaches
 * the metrics only once its cost record has committed, so whatever was acknowledged survives a
 * crash and a refused write counts nothing. Metrics and the live store are written by the
 * collectors; this only decides what goes where, and when.
 */
import {
  actionRecordSchema,
  eventRecordSchema,
  ingestRecordSchema,
  llmRecordSchema,
  stateRecordSchema,
  type ActionRecord,
  type EventRecord,
  type IngestRecord,
  type IngestResponse,
  type LlmRecord,
  type RecordKind,
  type StateRecord,
} from '@runboard/protocol';
import type { ActionsCollector } from '../collectors/actions';
import type { EventsCollector } from '../collectors/events';
import type { LlmCollector, LlmPricing } from '../collectors/llm';
import type { Metrics } from '../metrics/registry';
import { LedgerWriteError, type CostRecordInput, type Ledger } from '../store/ledger';
import { compileFastCheck } from './fast-check';
import { isValidRecord } from './validate';

export interface IngestDeps {
  ledger: Pick<Ledger, 'insertCostRecords' | 'isOpen'>;
  metrics: Pick<Metrics, 'countIngested' | 'ledgerRefusedRecords'>;
  actions: Pick<ActionsCollector, 'record' | 'setState'>;
  events: Pick<EventsCollector, 'record' | 'setQueueDepth'>;
  llm: Pick<LlmCollector, 'price' | 'count'>;
}

export class IngestService {
  /** SDK cost records waiting for the end of the event-loop turn (see recordLlmCall). */
  private pendingCosts: CostRecordInput[] = [];
  private costFlush?: NodeJS.Immediate;
  /** The last refusal of SDK cost records since the last flush(), which then rejects with it. */
  private sdkRefused?: LedgerWriteError;

  constructor(private readonly d: IngestDeps) {}

  /**
   * Applies records that were already validated (by the ingest route), in order. Ledger first:
   * the batch's cost records are written in one transaction, and only then does any record of the
   * batch reach the metrics or the live store, so a 202 means they survive a crash. Throws
   * LedgerWriteError (the route answers 503) when the ledger refuses: then nothing of the batch
   * is counted, and the client's retry cannot count anything twice.
   */
  ingest(records: IngestRecord[]): IngestResponse['byKind'] {
    const costs: CostRecordInput[] = [];
    for (const rec of records) if (rec.kind === 'llm') costs.push(this.costRecord(rec, this.d.llm.price(rec), 'ingest'));
    if (costs.length > 0) {
      const refused = this.writeCosts(costs, 'ingest');
      if (refused) throw refused;
    }
    const byKind: Partial<Record<RecordKind, number>> = {};
    const now = Date.now();
    let c = 0;
    for (const rec of records) {
      if (rec.kind === 'llm') this.d.llm.count(costs[c++], now);
      else this.apply(rec);
      byKind[rec.kind] = (byKind[rec.kind] ?? 0) + 1;
    }
    for (const kind of Object.keys(byKind) as RecordKind[]) this.d.metrics.countIngested(kind, byKind[kind]);
    return byKind;
  }

  // ---- the in-process SDK (the Exporter's Recorder verbs) ----
  // Records from code are checked like records from the wire, so a NaN or a negative duration
  // from a caller's bug throws at the call site instead of corrupting a histogram.
  // A valid record (the fast check, see fast-check.ts) is used as it is; anything else
  // goes through zod, which accepts it or throws naming the field.

  recordAction(rec: Omit<ActionRecord, 'kind'>): void {
    if (SDK_FAST.action(rec)) this.d.actions.record(rec);
    else this.apply(checkRecord({ ...rec, kind: 'action' }));
    this.d.metrics.countIngested('action');
  }

  recordEvent(rec: Omit<EventRecord, 'kind'>): void {
    if (SDK_FAST.event(rec)) this.d.events.record(rec);
    else this.apply(checkRecord({ ...rec, kind: 'event' }));
    this.d.metrics.countIngested('event');
  }

  recordLlmCall(rec: Omit<LlmRecord, 'kind'>): void {
    const checked = SDK_FAST.llm(rec) ? rec : (checkRecord({ ...rec, kind: 'llm' }) as LlmRecord);
    // Into the ledger with the other SDK calls of this event-loop turn, in one transaction: a
    // commit per call (~70 µs) would cost 30× the metric updates. flush() and stop() write at once.
    // Counted in the metrics only once that write has committed (flushCosts).
    this.pendingCosts.push(this.costRecord(checked, this.d.llm.price(checked), 'sdk'));
    this.costFlush ??= setImmediate(() => this.flushCosts());
  }

  setState(state: Omit<StateRecord, 'kind'>): void {
    this.apply(SDK_FAST.state(state) ? { ...state, kind: 'state' } : checkRecord({ ...state, kind: 'state' }));
    this.d.metrics.countIngested('state');
  }

  /**
   * Writes the LLM calls recorded so far. Rejects with the LedgerWriteError (`code`
   * 'ledger_unavailable') when the ledger refused LLM calls recorded since the previous flush():
   * those are in neither the ledger nor the metrics.
   */
  async flush(): Promise<void> {
    this.flushCosts();
    const refused = this.sdkRefused;
    this.sdkRefused = undefined;
    if (refused) throw refused;
  }

  /**
   * Records one LLM call a command reported, in the ledger, then in the metrics; returns the cost
   * used, or undefined when the ledger refused it (logged once per burst; nothing counted).
   */
  recordCommandCost(rec: Omit<LlmRecord, 'kind'>, command: string): LlmPricing | undefined {
    return this.recordCost(rec, 'command', command);
  }

  /**
   * Records LLM calls that arrived by another path than the ingest API (the OTLP receiver, the
   * recording proxy), already checked by that path: ledger first, in one transaction, then
   * counted. Returns the LedgerWriteError when the ledger refused them (then nothing of them is
   * counted, and the caller answers so its client retries). A record's `tag` (the proxy's
   * X-Runboard-Tag, README "OpenAI-compatible recording proxy") is kept with it.
   */
  recordCalls(records: Array<Omit<LlmRecord, 'kind'>>, source: 'otlp' | 'proxy'): LedgerWriteError | undefined {
    if (records.length === 0) return undefined;
    const costs = records.map((rec) => this.costRecord(rec, this.d.llm.price(rec), source));
    const refused = this.writeCosts(costs, source);
    if (refused) return refused;
    const now = Date.now();
    for (const c of costs) this.d.llm.count(c, now);
    this.d.metrics.countIngested('llm', costs.length);
    return undefined;
  }

  /**
   * Writes the queued SDK cost records in one transaction, then counts them. A refused batch has
   * no caller to answer: it is logged (once per burst), counted nowhere but in
   * runboard_ledger_refused_records_total, and the next flush() rejects.
   */
  flushCosts(): void {
    if (this.costFlush) clearImmediate(this.costFlush);
    this.costFlush = undefined;
    if (this.pendingCosts.length === 0 || !this.d.ledger.isOpen) return;
    const batch = this.pendingCosts;
    this.pendingCosts = [];
    const refused = this.writeCosts(batch, 'sdk');
    if (refused) {
      this.sdkRefused = refused;
      return;
    }
    const now = Date.now();
    for (const c of batch) this.d.llm.count(c, now);
    this.d.metrics.countIngested('llm', batch.length);
  }

  private recordCost(rec: Omit<LlmRecord, 'kind'>, source: CostRecordInput['source'], command?: string): LlmPricing | undefined {
    const c = this.costRecord(rec, this.d.llm.price(rec), source, command);
    if (this.writeCosts([c], source)) return undefined;
    this.d.llm.count(c);
    return c;
  }

  /**
   * Stores cost records; returns the LedgerWriteError when the ledger refused them (counted
   * here, logged once per burst by the ledger's onStorage).
   */
  private writeCosts(batch: CostRecordInput[], source: CostRecordInput['source']): LedgerWriteError | undefined {
    try {
      this.d.ledger.insertCostRecords(batch);
    } catch (err) {
      if (!(err instanceof LedgerWriteError)) throw err;
      this.d.metrics.ledgerRefusedRecords.inc({ source }, batch.length);
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
      tag: rec.tag,
    };
  }

  private apply(rec: IngestRecord): void {
    switch (rec.kind) {
      case 'action':
        this.d.actions.record(rec);
        break;
      case 'event':
        this.d.events.record(rec);
        break;
      case 'llm':
        this.recordCost(rec, 'sdk');
        break;
      case 'state':
        this.d.actions.setState(rec);
        if (rec.event_queue_depth !== undefined) this.d.events.setQueueDepth(rec.event_queue_depth);
        break;
    }
  }
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
