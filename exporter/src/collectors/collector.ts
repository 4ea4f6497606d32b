import type { CollectorStatus } from '@runboard/protocol';
import type { Metrics } from '../metrics/registry';

/**
 * One collector per file, all behind this interface (after node_exporter): `collect` runs once
 * per tick, reads its source and writes Prometheus metrics and live-store values.
 */
export interface Collector {
  readonly name: string;
  collect(now: number): void | Promise<void>;
  /** Releases what the collector keeps open (called once, when the exporter stops). */
  close?(): void;
}

/**
 * Runs every collector each tick, times each one into runboard_collect_duration_seconds, and keeps
 * a failing collector from taking the others (or the tick) down.
 */
export class CollectorSet {
  private readonly status = new Map<string, CollectorStatus>();

  constructor(
    private readonly collectors: Collector[],
    private readonly metrics: Metrics,
    private readonly onError: (collector: string, err: unknown) => void,
  ) {
    for (const c of collectors) this.status.set(c.name, { name: c.name, lastRun: null, lastDurationSeconds: null, ok: true });
  }

  add(c: Collector): void {
    this.collectors.push(c);
    this.status.set(c.name, { name: c.name, lastRun: null, lastDurationSeconds: null, ok: true });
  }

  async collectAll(now: number): Promise<void> {
    await Promise.all(this.collectors.map((c) => this.run(c, now)));
  }

  close(): void {
    for (const c of this.collectors) c.close?.();
  }

  statuses(): CollectorStatus[] {
    return [...this.status.values()].map((s) => ({ ...s }));
  }

  private async run(c: Collector, now: number): Promise<void> {
    const start = process.hrtime.bigint();
    let ok = true;
    let error: string | undefined;
    try {
      await c.collect(now);
    } catch (err) {
      ok = false;
      error = err instanceof Error ? err.message : String(err);
      const prev = this.status.get(c.name);
      // Log a failure once when it starts, not on every tick.
      if (prev?.ok !== false || prev.error !== error) this.onError(c.name, err);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    this.metrics.collectDuration.set({ collector: c.name }, seconds);
    this.metrics.collectSuccess.set({ collector: c.name }, ok ? 1 : 0);
    this.status.set(c.name, { name: c.name, lastRun: now, lastDurationSeconds: seconds, ok, ...(error ? { error } : {}) });
  }
}

/** Rates over a window that may be shorter than configured right after start. */
export function perMinute(count: number, spanSeconds: number): number {
  return spanSeconds > 0 ? (count / spanSeconds) * 60 : 0;
}
export function perHour(amount: number, spanSeconds: number): number {
  return spanSeconds > 0 ? (amount / spanSeconds) * 3600 : 0;
}
