import { QueueFullError, RunScheduler, type RunTicket } from '../../exporter/src/commands/scheduler';

/** A run the test ends by hand. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const flush = () => new Promise((r) => setImmediate(r));

class Harness {
  started: string[] = [];
  gates = new Map<string, ReturnType<typeof gate>>();
  changes = 0;
  readonly s: RunScheduler;
  constructor(globalLimit: number, queueLimit: number) {
    this.s = new RunScheduler({ globalLimit, queueLimit, onChange: () => this.changes++ });
  }
  submit(name: string, command: string, limit: number): RunTicket {
    const g = gate();
    this.gates.set(name, g);
    return this.s.submit(command, limit, () => {
      this.started.push(name);
      return g.promise;
    });
  }
  async finish(name: string): Promise<void> {
    this.gates.get(name)!.open();
    await flush();
  }
}

describe('RunScheduler', () => {
  it('starts at once under the limits and queues beyond the per-command limit', async () => {
    const h = new Harness(4, 10);
    expect(h.submit('a1', 'a', 1).position).toBe(0);
    const a2 = h.submit('a2', 'a', 1);
    expect(a2.position).toBe(1);
    expect(h.started).toEqual(['a1']);
    expect(h.s.active).toBe(1);
    expect(h.s.queued).toBe(1);
    expect(h.s.activeFor('a')).toBe(1);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'a2']);
    expect(a2.position).toBe(0);
    expect(h.s.queued).toBe(0);
  });

  it('honours the global limit across commands', async () => {
    const h = new Harness(2, 10);
    h.submit('a', 'a', 5);
    h.submit('b', 'b', 5);
    const c = h.submit('c', 'c', 5);
    expect(c.position).toBe(1);
    expect(h.s.active).toBe(2);
    await h.finish('b');
    expect(h.started).toEqual(['a', 'b', 'c']);
    expect(h.s.active).toBe(2);
  });

  it('does not let a run waiting on its own command block runs of other commands', async () => {
    const h = new Harness(3, 10);
    h.submit('a1', 'a', 1);
    const a2 = h.submit('a2', 'a', 1); // waits for a1
    const b1 = h.submit('b1', 'b', 1); // a slot is free and b is idle: starts, though a2 is ahead
    expect(a2.position).toBe(1);
    expect(b1.position).toBe(0);
    expect(h.started).toEqual(['a1', 'b1']);
  });

  it('keeps FIFO order among runs that can start', async () => {
    const h = new Harness(1, 10);
    h.submit('x', 'x', 1);
    const t = ['a', 'b', 'c'].map((n) => h.submit(n, n, 1));
    expect(t.map((x) => x.position)).toEqual([1, 2, 3]);
    await h.finish('x');
    expect(h.started).toEqual(['x', 'a']);
    expect(t.map((x) => x.position)).toEqual([0, 1, 2]);
    await h.finish('a');
    await h.finish('b');
    expect(h.started).toEqual(['x', 'a', 'b', 'c']);
  });

  it('skips a queued run still blocked by its command when a global slot frees', async () => {
    const h = new Harness(2, 10);
    h.submit('a1', 'a', 1);
    h.submit('b1', 'b', 1);
    const a2 = h.submit('a2', 'a', 1); // blocked by a1 (and the global limit)
    const c1 = h.submit('c1', 'c', 1); // blocked by the global limit
    expect([a2.position, c1.position]).toEqual([1, 2]);
    await h.finish('b1'); // frees a global slot: a2 still cannot run, c1 can
    expect(h.started).toEqual(['a1', 'b1', 'c1']);
    expect(a2.position).toBe(1);
    expect(c1.position).toBe(0);
  });

  it('refuses a run when the queue is full, but not one that can start now', async () => {
    const h = new Harness(1, 2);
    h.submit('r', 'r', 1);
    h.submit('q1', 'q', 1);
    h.submit('q2', 'q', 1);
    expect(() => h.submit('q3', 'q', 1)).toThrow(QueueFullError);
    expect(h.s.queued).toBe(2);
    const free = new Harness(2, 1);
    free.submit('a1', 'a', 1);
    free.submit('a2', 'a', 1); // fills the queue
    expect(free.submit('b1', 'b', 1).position).toBe(0);
    const none = new Harness(1, 0);
    none.submit('r', 'r', 1);
    expect(() => none.submit('x', 'x', 1)).toThrow(/queue is full/);
  });

  it('cancels a queued run and renumbers the others', async () => {
    const h = new Harness(1, 10);
    h.submit('r', 'r', 1);
    const a = h.submit('a', 'a', 1);
    const b = h.submit('b', 'b', 1);
    const c = h.submit('c', 'c', 1);
    expect(h.s.cancelQueued(b)).toBe(true);
    expect(h.s.cancelQueued(b)).toBe(false);
    expect(h.s.positions().map((p) => [p.ticket.commandId, p.position])).toEqual([
      ['a', 1],
      ['c', 2],
    ]);
    expect(c.position).toBe(2);
    expect(h.s.cancelQueued({ id: 999, commandId: 'a', position: 1 })).toBe(false);
    await h.finish('r');
    await h.finish('a');
    expect(h.started).toEqual(['r', 'a', 'c']);
    expect(a.position).toBe(0);
  });

  it('frees the slot when a run fails or throws', async () => {
    const h = new Harness(1, 10);
    h.submit('bad', 'a', 1);
    h.s.submit('b', 1, () => {
      throw new Error('sync failure');
    });
    h.submit('c', 'c', 1);
    h.gates.get('bad')!.fail(new Error('boom'));
    await flush();
    await flush();
    expect(h.started).toEqual(['bad', 'c']);
    expect(h.s.active).toBe(1);
  });

  it('notifies listeners of changes so positions can be shown live', async () => {
    const h = new Harness(1, 10);
    const seen: number[][] = [];
    const off = h.s.onChange(() => seen.push(h.s.positions().map((p) => p.position)));
    h.submit('r', 'r', 1);
    h.submit('a', 'a', 1);
    h.submit('b', 'b', 1);
    await h.finish('r');
    off();
    await h.finish('a');
    expect(seen).toEqual([[], [1], [1, 2], [1]]);
    expect(h.changes).toBe(5);
  });
});
