import type { EventRecord } from '@runboard/protocol';
import type { Metrics } from '../metrics/registry';
import type { LiveStore } from '../store/live-store';
import { RollingWindow } from '../store/rolling';
import { perMinute, type Collector } from './collector';

interface EventWindows {
  queued: RollingWindow;
  /** Finished events (processed or failed), with their processing time. */
  done: RollingWindow;
}

/** Events: queued, processed and failed events with their processing time, and the queue. */
export class EventsCollector implements Collector {
  readonly name = 'events';
  private readonly total: EventWindows;
  private readonly byType = new Map<string, EventWindows>();
  private readonly labels = new Map<string, Record<string, string>>();
  private queueDepth = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly store: LiveStore,
    private readonly windowMs: number,
    /** Exporter start: a key seen first later still has its rate over the whole window. */
    private readonly startedAt = Date.now(),
  ) {
    this.total = this.windows();
  }

  record(rec: Omit<EventRecord, 'kind'>, now = Date.now()): void {
    const type = this.metrics.guards.eventType.admit(rec.type);
    this.metrics.events.inc({ type, outcome: rec.outcome });
    if (rec.processing_seconds !== undefined && rec.outcome !== 'queued') {
      this.metrics.eventProcessing.observe({ type }, rec.processing_seconds);
    }
    let w = this.byType.get(type);
    if (!w) this.byType.set(type, (w = this.windows()));
    for (const win of [this.total, w]) {
      if (rec.outcome === 'queued') win.queued.observe(now, NaN);
      else win.done.observe(now, rec.processing_seconds ?? NaN, rec.outcome === 'failed');
    }
  }

  setQueueDepth(depth: number): void {
    this.queueDepth = depth;
    this.metrics.eventQueueDepth.set(depth);
  }

  collect(now: number): void {
    this.emit(this.total, undefined, now);
    for (const [type, w] of this.byType) {
      // One labels object per type, kept: the live store caches series ids by labels object.
      let labels = this.labels.get(type);
      if (!labels) this.labels.set(type, (labels = { type }));
      this.emit(w, labels, now);
    }
    this.store.set({ name: 'event_queue_depth', unit: 'none', description: 'Events waiting to be processed.' }, this.queueDepth);
  }

  private windows(): EventWindows {
    return { queued: new RollingWindow(this.windowMs, this.startedAt), done: new RollingWindow(this.windowMs, this.startedAt) };
  }

  private emit(w: EventWindows, labels: Record<string, string> | undefined, now: number): void {
    const q = w.queued.snapshot(now);
    const d = w.done.snapshot(now);
    const st = this.store;
    st.set({ name: 'events_queued_per_minute', labels, unit: 'opm', description: 'Events queued per minute over the rolling window.' }, perMinute(q.count, q.spanSeconds));
    st.set(
      { name: 'events_processed_per_minute', labels, unit: 'opm', description: 'Events processed successfully per minute over the rolling window.' },
      perMinute(d.count - d.failures, d.spanSeconds),
    );
    st.set({ name: 'event_failures', labels, unit: 'none', description: 'Failed events in the rolling window.' }, d.failures);
    if (!Number.isNaN(d.mean)) {
      st.set({ name: 'event_processing_mean_seconds', labels, unit: 's', description: 'Mean event processing time over the rolling window.' }, d.mean);
      st.set({ name: 'event_processing_p95_seconds', labels, unit: 's', description: '95th percentile event processing time over the rolling window.' }, d.p95);
    }
  }
}
