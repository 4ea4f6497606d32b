import type { CostSource, LlmRecord } from '@runboard/protocol';
import { CounterChild, HistogramChild } from '../metrics/children';
import { OVERFLOW_VALUE } from '../metrics/label-guard';
import type { Metrics } from '../metrics/registry';
import { withLabels, type LiveStore, type SeriesSpec } from '../store/live-store';
import { RollingWindow } from '../store/rolling';
import { roundUsd } from '../money';
import { perHour, perMinute, type Collector } from './collector';

export type PriceTable = Record<string, { input: number; output: number }>;

/** Amount slots in the LLM rolling windows. */
const INPUT = 0;
const OUTPUT = 1;
const COST = 2;
const PRICED = 3;

const LIVE = {
  requestsPerMinute: { name: 'llm_requests_per_minute', unit: 'reqpm', description: 'LLM requests per minute over the rolling window.' },
  failures: { name: 'llm_failures', unit: 'none', description: 'Failed LLM requests in the rolling window.' },
  tokensPerHour: { name: 'llm_tokens_per_hour', unit: 'none', description: 'Input plus output tokens per hour, extrapolated from the rolling window.' },
  inputPerHour: { name: 'llm_input_tokens_per_hour', unit: 'none', description: 'Input tokens per hour, extrapolated from the rolling window.' },
  outputPerHour: { name: 'llm_output_tokens_per_hour', unit: 'none', description: 'Output tokens per hour, extrapolated from the rolling window.' },
  costPerHour: { name: 'llm_cost_usd_per_hour', unit: 'currencyUSD', description: 'Cost in USD per hour, extrapolated from the rolling window.' },
  costPerRequest: { name: 'llm_cost_usd_per_request', unit: 'currencyUSD', description: 'Mean cost in USD of a priced request over the rolling window.' },
  p95: { name: 'llm_latency_p95_seconds', unit: 's', description: '95th percentile LLM request latency over the rolling window.' },
  mean: { name: 'llm_latency_mean_seconds', unit: 's', description: 'Mean LLM request latency over the rolling window.' },
} satisfies Record<string, SeriesSpec>;
type WindowSpecs = Record<keyof typeof LIVE, SeriesSpec>;

/** The cost used for an LLM record. */
export interface LlmPricing {
  /** The cost used: sent by the client, priced from the table, or undefined when unknown. */
  cost_usd?: number;
  priced: 'client' | 'table' | 'unpriced';
}

export interface PricedLlmRecord extends Omit<LlmRecord, 'kind'>, LlmPricing {}

/** What counting a call needs: the call, its source and the cost used (a ledger CostRecordInput is one). */
export type CountableLlmCall = Pick<LlmRecord, 'provider' | 'model' | 'input_tokens' | 'output_tokens' | 'duration_seconds' | 'success'> & LlmPricing & { source: CostSource };

/**
 * The label objects of one provider x model x source, made once: the counters are updated with
 * the same objects on every call instead of fresh literals (README "Prometheus metrics").
 */
interface LabelSet {
  success: { provider: string; model: string; outcome: 'success'; source: CostSource };
  failure: { provider: string; model: string; outcome: 'failure'; source: CostSource };
  input: { provider: string; model: string; type: 'input'; source: CostSource };
  output: { provider: string; model: string; type: 'output'; source: CostSource };
  /** runboard_llm_cost_usd_total, _unpriced_requests_total and _request_duration_seconds. */
  call: { provider: string; model: string; source: CostSource };
  /** runboard_llm_cost_usd_total's value, summed in whole nano-dollars (money.ts). */
  costTotal: number;
  /** Handles on the label sets above (metrics/children.ts), made on first count. */
  children?: LlmChildren;
}

interface LlmChildren {
  success: CounterChild;
  failure: CounterChild;
  input: CounterChild;
  output: CounterChild;
  cost: CounterChild;
  unpriced: CounterChild;
  duration: HistogramChild;
}

function llmChildren(m: Metrics, set: LabelSet): LlmChildren {
  return {
    success: new CounterChild(m.llmRequests, set.success),
    failure: new CounterChild(m.llmRequests, set.failure),
    input: new CounterChild(m.llmTokens, set.input),
    output: new CounterChild(m.llmTokens, set.output),
    cost: new CounterChild(m.llmCost, set.call),
    unpriced: new CounterChild(m.llmUnpriced, set.call),
    duration: new HistogramChild(m.llmDuration, set.call),
  };
}

function labelSet(provider: string, model: string, source: CostSource): LabelSet {
  return {
    success: { provider, model, outcome: 'success', source },
    failure: { provider, model, outcome: 'failure', source },
    input: { provider, model, type: 'input', source },
    output: { provider, model, type: 'output', source },
    call: { provider, model, source },
    costTotal: 0,
  };
}

/**
 * Looks a model up as `provider/model` first, then `model`. Prices are USD per million tokens.
 * Returns undefined for an unknown model: we never invent a price.
 */
export function priceFor(table: PriceTable, provider: string, model: string, input: number, output: number): number | undefined {
  const p = table[`${provider}/${model}`] ?? table[model];
  if (!p) return undefined;
  return roundUsd((input * p.input + output * p.output) / 1e6);
}

/** AI / LLM calls: requests, tokens, cost and latency per provider and model. */
export class LlmCollector implements Collector {
  readonly name = 'llm';
  private readonly total: RollingWindow;
  /**
   * Per provider x model: the rolling window behind the live llm_* series (per model, not per
   * source: the dashboard selects sources on the Prometheus metrics) and the metrics' label sets
   * per source.
   */
  private readonly byModel = new Map<string, { provider: string; model: string; w: RollingWindow; specs: WindowSpecs; sets: Partial<Record<CostSource, LabelSet>> }>();

  constructor(
    private readonly metrics: Metrics,
    private readonly store: LiveStore,
    private readonly windowMs: number,
    private readonly prices: PriceTable,
    /** Exporter start: a key seen first later still has its rate over the whole window. */
    private readonly startedAt = Date.now(),
  ) {
    this.total = new RollingWindow(windowMs, startedAt, 4);
  }

  /**
   * The cost of a call, with no side effect: callers price a call, store it in the ledger, and
   * only once the ledger has it count() it (README "The ledger": ledger first).
   */
  price(rec: Omit<LlmRecord, 'kind'>): LlmPricing {
    if (rec.cost_usd !== undefined) return { cost_usd: roundUsd(rec.cost_usd), priced: 'client' };
    const cost = priceFor(this.prices, rec.provider, rec.model, rec.input_tokens, rec.output_tokens);
    return { cost_usd: cost, priced: cost === undefined ? 'unpriced' : 'table' };
  }

  /** Counts a priced call in the metrics and the rolling windows (it is hot: no copies). */
  count(rec: CountableLlmCall, now = Date.now()): void {
    const provider = this.metrics.guards.provider.admit(rec.provider);
    let model = this.metrics.guards.model.admit(rec.model);
    if (model !== OVERFLOW_VALUE && this.metrics.guards.providerModel.admit(`${provider}\u0000${model}`) === OVERFLOW_VALUE) model = OVERFLOW_VALUE;
    const success = rec.success ?? true;
    const cost = rec.priced === 'unpriced' ? undefined : rec.cost_usd;
    const key = `${provider}\u0000${model}`;
    let entry = this.byModel.get(key);
    // The specs are made once: the live store caches series by spec object.
    if (!entry) {
      entry = { provider, model, w: new RollingWindow(this.windowMs, this.startedAt, 4), specs: withLabels(LIVE, { provider, model }), sets: {} };
      this.byModel.set(key, entry);
    }
    const set = (entry.sets[rec.source] ??= labelSet(provider, model, rec.source));
    const c = (set.children ??= llmChildren(this.metrics, set));
    (success ? c.success : c.failure).inc();
    if (rec.input_tokens > 0) c.input.inc(rec.input_tokens);
    if (rec.output_tokens > 0) c.output.inc(rec.output_tokens);
    if (cost !== undefined) this.addCost(set, c.cost, cost);
    else c.unpriced.inc();
    if (rec.duration_seconds !== undefined) c.duration.observe(rec.duration_seconds);

    const amounts = [rec.input_tokens, rec.output_tokens, cost ?? 0, cost === undefined ? 0 : 1];
    const duration = rec.duration_seconds ?? NaN;
    this.total.observe(now, duration, !success, amounts);
    entry.w.observe(now, duration, !success, amounts);
  }

  /**
   * Adds to runboard_llm_cost_usd_total so that the counter holds the rounded sum exactly:
   * prom-client adds the step to its value, which lands on the rounded sum unless the addition
   * itself rounds; then the label set is written afresh with the sum.
   */
  private addCost(set: LabelSet, child: CounterChild, cost: number): void {
    const before = set.costTotal;
    const after = roundUsd(before + cost);
    set.costTotal = after;
    const step = after - before;
    if (before + step === after) return void child.inc(step);
    this.metrics.llmCost.remove(set.call);
    this.metrics.llmCost.inc(set.call, after);
  }

  /** Prices and counts a call at once, for callers with nothing to store; returns the cost used. */
  record(rec: Omit<LlmRecord, 'kind'> & { source: CostSource }, now = Date.now()): LlmPricing {
    const priced = this.price(rec);
    this.count({ ...rec, ...priced }, now);
    return priced;
  }

  collect(now: number): void {
    this.emit(this.total, LIVE, now);
    for (const { w, specs } of this.byModel.values()) this.emit(w, specs, now);
  }

  private emit(w: RollingWindow, specs: WindowSpecs, now: number): void {
    const s = w.snapshot(now);
    const a = s.amounts;
    const st = this.store;
    const span = s.spanSeconds;
    st.set(specs.requestsPerMinute, perMinute(s.count, span));
    st.set(specs.failures, s.failures);
    st.set(specs.tokensPerHour, perHour(a[INPUT] + a[OUTPUT], span));
    st.set(specs.inputPerHour, perHour(a[INPUT], span));
    st.set(specs.outputPerHour, perHour(a[OUTPUT], span));
    st.set(specs.costPerHour, roundUsd(perHour(a[COST], span)));
    if (a[PRICED] > 0) st.set(specs.costPerRequest, roundUsd(a[COST] / a[PRICED]));
    if (!Number.isNaN(s.p95)) {
      st.set(specs.p95, s.p95);
      st.set(specs.mean, s.mean);
    }
  }
}
