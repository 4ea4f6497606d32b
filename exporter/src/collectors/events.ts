import type { EventRecord } from '@runboard/protocol';
import { CounterChild, HistogramChild } from '../metrics/children';
import { OVERFLOW_VALUE } from '../metrics/label-guard';
import type { Metrics } from '../metrics/registry';
import { withLabels, type LiveStore, type SeriesSpec } from '../store/live-store';
import { RollingWindow } from '../store/rolling';
import { perMinute, type Collector } from './collector';

const LIVE = {
  queuedPerMinute: { name: 'events_queued_per_minute', unit: 'opm', description: 'Events queued per minute over the rolling window.' },
  processedPerMinute: { name: 'events_processed_per_minute', unit: 'opm', description: 'Events processed successfully per minute over the rolling window.' },
  failures: { name: 'event_failures', unit: 'none', description: 'Failed events in the rolling window.' },
  mean: { name: 'event_processing_mean_seconds', unit: 's', description: 'Mean event processing time over the rolling window.' },
  p95: { name: 'event_processing_p95_seconds', unit: 's', description: '95th percentile event processing time over the rolling window.' },
  queueDepth: { name: 'event_queue_depth', unit: 'none', description: 'Events waiting to be processed.' },
} satisfies Record<string, SeriesSpec>;
type WindowSpecs = Record<'queuedPerMinute' | 'processedPerMinute' | 'failures' | 'mean' | 'p95', SeriesSpec>;

interface EventWindows {
  queued: RollingWindow;
  /** Finished events (processed or failed), with their processing time. */
  done: RollingWindow;
}

/** What one event type (as admitted by the label guard) updates per record, made once. */
interface EventSeries extends EventWindows {
  /** Made once: the live store caches series by spec object. */
  specs: WindowSpecs;
  outcomes: Record<EventRecord['outcome'], CounterChild>;
  processing: HistogramChild;
}

/** Events: queued, processed and failed events with their processing time, and the queue. */
export class EventsCollector implements Collector {
  readonly name = 'events';
  private readonly total: EventWindows;
  /** By admitted type. */
  private readonly byType = new Map<string, EventSeries>();
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
    // A type already admitted is its own series; any other goes through the guard, which may
    // fold it into "other" (and counts that each time).
    let s = this.byType.get(rec.type);
    if (s === undefined || rec.type === OVERFLOW_VALUE) s = this.series(this.metrics.guards.eventType.admit(rec.type));
    s.outcomes[rec.outcome].inc();
    if (rec.outcome === 'queued') {
      this.total.queued.observe(now, NaN);
      s.queued.observe(now, NaN);
      return;
    }
    const seconds = rec.processing_seconds;
    if (seconds !== undefined) s.processing.observe(seconds);
    const failed = rec.outcome === 'failed';
    this.total.done.observe(now, seconds ?? NaN, failed);
    s.done.observe(now, seconds ?? NaN, failed);
  }

  private series(type: string): EventSeries {
    let s = this.byType.get(type);
    if (!s) {
      const m = this.metrics;
      const outcome = (o: EventRecord['outcome']) => new CounterChild(m.events, { type, outcome: o });
      s = {
        ...this.windows(),
        specs: withLabels(LIVE, { type }),
        outcomes: { queued: outcome('queued'), processed: outcome('processed'), failed: outcome('failed') },
        processing: new HistogramChild(m.eventProcessing, { type }),
      };
      this.byType.set(type, s);
    }
    return s;
  }

  setQueueDepth(depth: number): void {
    this.queueDepth = depth;
    this.metrics.eventQueueDepth.set(depth);
  }

  collect(now: number): void {
    this.emit(this.total, LIVE, now);
    for (const s of this.byType.values()) this.emit(s, s.specs, now);
    this.store.set(LIVE.queueDepth, this.queueDepth);
  }

  private windows(): EventWindows {
    return { queued: new RollingWindow(this.windowMs, this.startedAt), done: new RollingWindow(this.windowMs, this.startedAt) };
  }

  private emit(w: EventWindows, specs: WindowSpecs, now: number): void {
    const q = w.queued.snapshot(now);
    const d = w.done.snapshot(now);
    const st = this.store;
    st.set(specs.queuedPerMinute, perMinute(q.count, q.spanSeconds));
    st.set(specs.processedPerMinute, perMinute(d.count - d.failures, d.spanSeconds));
    st.set(specs.failures, d.failures);
    if (!Number.isNaN(d.mean)) {
      st.set(specs.mean, d.mean);
      st.set(specs.p95, d.p95);
    }
  }
}
