import type { Counter } from 'prom-client';

export const OVERFLOW_VALUE = 'other';

/**
 * Bounds a label's distinct values (README "Metrics (Prometheus)"): the first `max` values pass through, later ones
 * fold into `other` and count in runboard_label_overflow_total{metric,label}. It protects
 * Prometheus and the live store from a client that sends unbounded names (ids, prompts, …).
 */
export class LabelGuard {
  private readonly seen = new Set<string>();

  constructor(
    readonly metric: string,
    readonly label: string,
    private readonly max: number,
    private readonly overflow: Counter<'metric' | 'label'>,
  ) {}

  admit(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size < this.max) {
      this.seen.add(value);
      return value;
    }
    this.overflow.inc({ metric: this.metric, label: this.label });
    return OVERFLOW_VALUE;
  }

  get size(): number {
    return this.seen.size;
  }
}
