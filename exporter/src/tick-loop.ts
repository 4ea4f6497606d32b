/**
 * The tick: every interval, the collectors run, the live store takes one sample, and the samples
 * stream sends it to every client (docs/architecture.md, "Data flow").
 */
import type { CollectorSet } from './collectors/collector';
import type { Logger } from './log';
import type { LiveStore } from './store/live-store';
import type { SseHub } from './stream/sse-hub';

export class TickLoop {
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly collectors: CollectorSet,
    private readonly store: LiveStore,
    private readonly hub: Pick<SseHub, 'broadcast'>,
    private readonly log: Logger,
    /** Runs after each tick's sample has gone out (the heap bound, heap-bound.ts). */
    private readonly afterTick?: () => void,
  ) {}

  /**
   * Runs one tick now: collectors, then one sample into the store and out to every stream. After
   * stop() it does nothing: the collectors have let go of what they read (the system collector's
   * /proc descriptors) once the loop stopped, and a tick would open it again with nothing left to
   * close it.
   */
  async tick(now = Date.now()): Promise<void> {
    if (this.stopped) return;
    await this.collectors.collectAll(now);
    this.hub.broadcast(this.store.commit(now));
    this.afterTick?.();
  }

  /** Ticks on interval boundaries, one at a time: a slow tick delays the next, never overlaps it. */
  start(): void {
    if (this.stopped) return;
    const interval = this.store.intervalMs;
    const delay = interval - (Date.now() % interval);
    this.timer = setTimeout(() => {
      this.ticking = this.runTick().finally(() => {
        this.ticking = undefined;
        this.start();
      });
    }, delay);
  }

  /** No tick after this; resolves when a tick in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  private async runTick(): Promise<void> {
    try {
      await this.tick();
    } catch (err) {
      this.log.error(`tick failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
