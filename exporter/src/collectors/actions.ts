import type { ActionRecord, StateRecord } from '@runboard/protocol';
import type { Metrics } from '../metrics/registry';
import type { LiveStore } from '../store/live-store';
import { RollingWindow } from '../store/rolling';
import { perMinute, type Collector } from './collector';

/** Actions: finished actions (name, duration, success), what runs now and what waits. */
export class ActionsCollector implements Collector {
  readonly name = 'actions';
  private readonly total: RollingWindow;
  private readonly byAction = new Map<string, RollingWindow>();
  /** One labels object per action, kept: the live store caches series ids by labels object. */
  private readonly labels = new Map<string, Record<string, string>>();
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
    const action = this.metrics.guards.action.admit(rec.name);
    const outcome = rec.success ? 'success' : 'failure';
    this.metrics.actions.inc({ action, outcome });
    this.metrics.actionDuration.observe({ action }, rec.duration_seconds);
    this.total.observe(now, rec.duration_seconds, !rec.success);
    let w = this.byAction.get(action);
    if (!w) this.byAction.set(action, (w = new RollingWindow(this.windowMs, this.startedAt)));
    w.observe(now, rec.duration_seconds, !rec.success);
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
    this.emit(this.total, undefined, now);
    for (const [action, w] of this.byAction) {
      let labels = this.labels.get(action);
      if (!labels) this.labels.set(action, (labels = { action }));
      this.emit(w, labels, now);
    }
    this.store.set({ name: 'actions_in_flight', unit: 'none', description: 'Actions running now.' }, this.inFlight);
    this.store.set({ name: 'action_queue_depth', unit: 'none', description: 'Actions waiting to run.' }, this.queueDepth);
  }

  private emit(w: RollingWindow, labels: Record<string, string> | undefined, now: number): void {
    const s = w.snapshot(now);
    const st = this.store;
    st.set({ name: 'actions_per_minute', labels, unit: 'opm', description: 'Finished actions per minute over the rolling window.' }, perMinute(s.count, s.spanSeconds));
    st.set({ name: 'action_failures', labels, unit: 'none', description: 'Failed actions in the rolling window.' }, s.failures);
    if (s.count > 0) {
      st.set(
        { name: 'action_success_ratio', labels, unit: 'percentunit', description: 'Share of actions that succeeded over the rolling window.' },
        (s.count - s.failures) / s.count,
      );
      st.set({ name: 'action_duration_mean_seconds', labels, unit: 's', description: 'Mean action duration over the rolling window.' }, s.mean);
      st.set({ name: 'action_duration_p95_seconds', labels, unit: 's', description: '95th percentile action duration over the rolling window.' }, s.p95);
    }
  }
}
