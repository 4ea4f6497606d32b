import type { ActionRecord, StateRecord } from '@runboard/protocol';
import { CounterChild, HistogramChild } from '../metrics/children';
import { OVERFLOW_VALUE } from '../metrics/label-guard';
import type { Metrics } from '../metrics/registry';
import { withLabels, type LiveStore, type SeriesSpec } from '../store/live-store';
import { RollingWindow } from '../store/rolling';
import { perMinute, type Collector } from './collector';

const LIVE = {
  perMinute: { name: 'actions_per_minute', unit: 'opm', description: 'Finished actions per minute over the rolling window.' },
  failures: { name: 'action_failures', unit: 'none', description: 'Failed actions in the rolling window.' },
  successRatio: { name: 'action_success_ratio', unit: 'percentunit', description: 'Share of actions that succeeded over the rolling window.' },
  mean: { name: 'action_duration_mean_seconds', unit: 's', description: 'Mean action duration over the rolling window.' },
  p95: { name: 'action_duration_p95_seconds', unit: 's', description: '95th percentile action duration over the rolling window.' },
  inFlight: { name: 'actions_in_flight', unit: 'none', description: 'Actions running now.' },
  queueDepth: { name: 'action_queue_depth', unit: 'none', description: 'Actions waiting to run.' },
} satisfies Record<string, SeriesSpec>;
type WindowSpecs = Record<'perMinute' | 'failures' | 'successRatio' | 'mean' | 'p95', SeriesSpec>;

/** What one action name (as admitted by the label guard) updates per record, made once. */
interface ActionSeries {
  w: RollingWindow;
  /** Made once: the live store caches series by spec object. */
  specs: WindowSpecs;
  success: CounterChild;
  failure: CounterChild;
  duration: HistogramChild;
}

/** Actions: finished actions (name, duration, success), what runs now and what waits. */
export class ActionsCollector implements Collector {
  readonly name = 'actions';
  private readonly total: RollingWindow;
  /** By admitted action name. */
  private readonly byAction = new Map<string, ActionSeries>();
  private inFlight = 0;
  private queueDepth = 0;
  private current: string | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly store: LiveStore,
    private readonly windowMs: number,
    /** Exporter start: a key seen first later still has its rate over the whole window. */
    private readonly startedAt = Date.now(),
  ) {
    this.total = new RollingWindow(windowMs, startedAt);
  }

  record(rec: Omit<ActionRecord, 'kind'>, now = Date.now()): void {
    // A name already admitted is its own series; any other goes through the guard, which may
    // fold it into "other" (and counts that each time).
    let s = this.byAction.get(rec.name);
    if (s === undefined || rec.name === OVERFLOW_VALUE) s = this.series(this.metrics.guards.action.admit(rec.name));
    (rec.success ? s.success : s.failure).inc();
    s.duration.observe(rec.duration_seconds);
    this.total.observe(now, rec.duration_seconds, !rec.success);
    s.w.observe(now, rec.duration_seconds, !rec.success);
  }

  private series(action: string): ActionSeries {
    let s = this.byAction.get(action);
    if (!s) {
      const m = this.metrics;
      s = {
        w: new RollingWindow(this.windowMs, this.startedAt),
        specs: withLabels(LIVE, { action }),
        success: new CounterChild(m.actions, { action, outcome: 'success' }),
        failure: new CounterChild(m.actions, { action, outcome: 'failure' }),
        duration: new HistogramChild(m.actionDuration, { action }),
      };
      this.byAction.set(action, s);
    }
    return s;
  }

  setState(state: Pick<StateRecord, 'current_action' | 'actions_in_flight' | 'action_queue_depth'>): void {
    if (state.actions_in_flight !== undefined) this.inFlight = state.actions_in_flight;
    if (state.action_queue_depth !== undefined) this.queueDepth = state.action_queue_depth;
    if (state.current_action !== undefined) {
      const next = state.current_action === null ? null : this.metrics.guards.action.admit(state.current_action);
      if (next !== this.current) {
        if (this.current !== null) this.metrics.currentAction.remove({ action: this.current });
        if (next !== null) this.metrics.currentAction.set({ action: next }, 1);
        this.current = next;
      }
    }
    this.metrics.actionsInFlight.set(this.inFlight);
    this.metrics.actionQueueDepth.set(this.queueDepth);
  }

  get currentAction(): string | null {
    return this.current;
  }

  collect(now: number): void {
    this.emit(this.total, LIVE, now);
    for (const s of this.byAction.values()) this.emit(s.w, s.specs, now);
    this.store.set(LIVE.inFlight, this.inFlight);
    this.store.set(LIVE.queueDepth, this.queueDepth);
  }

  private emit(w: RollingWindow, specs: WindowSpecs, now: number): void {
    const s = w.snapshot(now);
    const st = this.store;
    st.set(specs.perMinute, perMinute(s.count, s.spanSeconds));
    st.set(specs.failures, s.failures);
    if (s.count > 0) {
      st.set(specs.successRatio, (s.count - s.failures) / s.count);
      st.set(specs.mean, s.mean);
      st.set(specs.p95, s.p95);
    }
  }
}
