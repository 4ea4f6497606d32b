/**
 * Admission of runs under a global limit and per-command limits, with one bounded FIFO queue.
 * A queued run that waits on its own command's limit does not hold up runs of other commands
 * (no head-of-line blocking), and positions are kept current for clients that show them.
 */

export class QueueFullError extends Error {
  constructor(readonly queueLimit: number) {
    super(`the run queue is full (${queueLimit} waiting)`);
    this.name = 'QueueFullError';
  }
}

export interface RunTicket {
  readonly id: number;
  readonly commandId: string;
  /** 0 once started; while queued, the 1-based place in the queue (kept current). */
  position: number;
}

interface Entry {
  ticket: RunTicket;
  limit: number;
  start: () => Promise<void>;
}

export interface SchedulerOptions {
  globalLimit: number;
  queueLimit: number;
  /** Called after every change of what runs or of queue positions. */
  onChange?: () => void;
}

export class RunScheduler {
  private readonly queue: Entry[] = [];
  private readonly running = new Map<string, number>();
  private activeCount = 0;
  private nextId = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: SchedulerOptions) {
    if (opts.onChange) this.listeners.add(opts.onChange);
  }

  get active(): number {
    return this.activeCount;
  }

  get queued(): number {
    return this.queue.length;
  }

  activeFor(commandId: string): number {
    return this.running.get(commandId) ?? 0;
  }

  /** Adds a change listener; returns its removal. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts the run now if the global and the command's limit allow (position 0), else queues it.
   * The slot is held until the promise from `start` settles. Throws QueueFullError when it would
   * have to wait and the queue is full.
   */
  submit(commandId: string, perCommandLimit: number, start: () => Promise<void>): RunTicket {
    const ticket: RunTicket = { id: this.nextId++, commandId, position: 0 };
    const entry: Entry = { ticket, limit: Math.max(1, perCommandLimit), start };
    if (this.canStart(entry)) {
      this.launch(entry);
    } else {
      if (this.queue.length >= this.opts.queueLimit) throw new QueueFullError(this.opts.queueLimit);
      this.queue.push(entry);
      ticket.position = this.queue.length;
    }
    this.changed();
    return ticket;
  }

  /** Removes a queued run; false when it is not queued (already started or unknown). */
  cancelQueued(ticket: RunTicket): boolean {
    const i = this.queue.findIndex((e) => e.ticket === ticket);
    if (i === -1) return false;
    this.queue.splice(i, 1);
    ticket.position = 0;
    this.renumber();
    this.changed();
    return true;
  }

  /** The queued tickets in order, with their positions. */
  positions(): Array<{ ticket: RunTicket; position: number }> {
    return this.queue.map((e) => ({ ticket: e.ticket, position: e.ticket.position }));
  }

  private canStart(e: Entry): boolean {
    return this.activeCount < this.opts.globalLimit && this.activeFor(e.ticket.commandId) < e.limit;
  }

  private launch(e: Entry): void {
    const id = e.ticket.commandId;
    this.activeCount += 1;
    this.running.set(id, this.activeFor(id) + 1);
    e.ticket.position = 0;
    let p: Promise<void>;
    try {
      p = Promise.resolve(e.start());
    } catch (err) {
      p = Promise.reject(err);
    }
    // The slot is freed however the run ends; reporting its failure is the caller's business.
    p.catch(() => undefined).then(() => this.release(id));
  }

  private release(commandId: string): void {
    this.activeCount -= 1;
    const n = this.activeFor(commandId) - 1;
    if (n > 0) this.running.set(commandId, n);
    else this.running.delete(commandId);
    this.pump();
    this.changed();
  }

  /** Starts, in queue order, every queued run that now fits. */
  private pump(): void {
    for (let i = 0; i < this.queue.length && this.activeCount < this.opts.globalLimit;) {
      const e = this.queue[i];
      if (this.canStart(e)) {
        this.queue.splice(i, 1);
        this.launch(e);
      } else {
        i += 1;
      }
    }
    this.renumber();
  }

  private renumber(): void {
    this.queue.forEach((e, i) => (e.ticket.position = i + 1));
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure must not break admission.
      }
    }
  }
}
