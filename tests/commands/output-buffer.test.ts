import { MAX_LINE_BYTES, OutputBuffer, splitUtf8 } from '../../exporter/src/commands/output-buffer';

describe('OutputBuffer', () => {
  it('keeps everything while it fits, with sequence numbers and streams', () => {
    const b = new OutputBuffer(1000);
    b.push('stdout', 'one', 1);
    const l = b.push('stderr', 'two', 2);
    expect(l).toEqual({ seq: 1, t: 2, stream: 'stderr', text: 'two' });
    expect(b.lines()).toEqual([
      { seq: 0, t: 1, stream: 'stdout', text: 'one' },
      { seq: 1, t: 2, stream: 'stderr', text: 'two' },
    ]);
    expect(b.truncated).toBe(false);
    expect(b.totalBytes).toBe(8); // text plus one newline each
  });

  it('keeps the head and the tail with one marker in between', () => {
    const b = new OutputBuffer(200); // 100 bytes of head, 100 of tail
    for (let i = 0; i < 100; i++) b.push('stdout', `line ${String(i).padStart(3, '0')}`, 1000 + i); // 9 bytes each with the newline
    const lines = b.lines();
    const head = lines.slice(0, 11);
    expect(head.map((l) => l.text)).toEqual(Array.from({ length: 11 }, (_, i) => `line ${String(i).padStart(3, '0')}`));
    const marker = lines[11];
    expect(marker.stream).toBe('system');
    const tail = lines.slice(12);
    expect(tail.length).toBe(11);
    expect(tail[tail.length - 1].text).toBe('line 099');
    expect(tail[0].text).toBe('line 089');
    const dropped = 100 - 22;
    expect(marker.text).toBe(`… ${dropped} lines (${dropped * 9} bytes) truncated …`);
    // the marker sits where the dropped lines were
    expect(marker.seq).toBe(11);
    expect(marker.t).toBe(1011);
    expect(b.truncated).toBe(true);
    expect(b.droppedLines).toBe(dropped);
    expect(b.totalBytes).toBe(900);
    expect(b.storedBytes).toBeLessThanOrEqual(200);
  });

  it('never lets a later short line into the head once a line went past it', () => {
    const b = new OutputBuffer(40);
    b.push('stdout', 'x'.repeat(15), 1); // head
    b.push('stdout', 'y'.repeat(15), 2); // does not fit the rest of the head → tail
    b.push('stdout', 'z', 3); // would fit the head, but must stay after y
    expect(b.lines().map((l) => l.text[0])).toEqual(['x', 'y', 'z']);
  });

  it('stays bounded however much is printed', () => {
    const max = 64 * 1024;
    const b = new OutputBuffer(max);
    const line = 'a'.repeat(100);
    for (let i = 0; i < 200_000; i++) b.push('stdout', line, i); // ~20 MB
    expect(b.totalBytes).toBe(200_000 * 101);
    expect(b.storedBytes).toBeLessThanOrEqual(max);
    const text = b.lines().reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
    expect(text).toBeLessThanOrEqual(max + 100);
    expect(b.lines().length).toBeLessThan(max / 100 + 2);
  });

  it('bounds the number of lines too (a flood of empty lines)', () => {
    const b = new OutputBuffer(64 * 1024);
    for (let i = 0; i < 1_000_000; i++) b.push('stdout', '', i);
    // one line is charged at least 32 bytes of the budget
    expect(b.lines().length).toBeLessThanOrEqual((64 * 1024) / 32 + 1);
    expect(b.truncated).toBe(true);
    expect(b.totalBytes).toBe(1_000_000);
  });

  it('splits a giant line into bounded pieces', () => {
    const b = new OutputBuffer(1024 * 1024);
    const made = b.append('stdout', 'g'.repeat(3 * MAX_LINE_BYTES + 10), 5);
    expect(made.map((l) => l.text.length)).toEqual([MAX_LINE_BYTES, MAX_LINE_BYTES, MAX_LINE_BYTES, 10]);
    expect(made.map((l) => l.seq)).toEqual([0, 1, 2, 3]);
    expect(b.push('stdout', 'after', 6).seq).toBe(4);
  });

  it('splits a line larger than the whole budget so the bound holds for tiny budgets', () => {
    const b = new OutputBuffer(100);
    b.push('stdout', 'h'.repeat(10_000), 1);
    expect(b.storedBytes).toBeLessThanOrEqual(100);
    expect(b.truncated).toBe(true);
    expect(b.totalBytes).toBe(10_001);
  });

  it('gives the last bytes of the output as text for the ledger', () => {
    const b = new OutputBuffer(1000);
    for (const t of ['first', 'second', 'third']) b.push('stdout', t, 1);
    expect(b.tailText(1000)).toBe('first\nsecond\nthird');
    expect(b.tailText(11)).toBe('econd\nthird');
    expect(b.tailText(0)).toBe('');
    const u = new OutputBuffer(1000);
    u.push('stdout', 'ééé', 1); // 2 bytes each: a cut in the middle of one is skipped
    expect(u.tailText(5)).toBe('éé');
  });

  it('includes the marker in the tail text when the cut crosses it', () => {
    const b = new OutputBuffer(40);
    for (let i = 0; i < 20; i++) b.push('stdout', `l${i}`, i);
    expect(b.tailText(10_000)).toContain('truncated');
    expect(b.tailText(10_000).endsWith('l19')).toBe(true);
  });
});

describe('splitUtf8', () => {
  it('never cuts inside a code point', () => {
    const s = 'aé€😀'.repeat(1000);
    const pieces = splitUtf8(s, 7);
    expect(pieces.join('')).toBe(s);
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(7);
      expect(Buffer.from(p).toString('utf8')).toBe(p);
      expect(p).not.toMatch(/[\ud800-\udbff]$/);
    }
  });

  it('returns short text unchanged', () => {
    expect(splitUtf8('', 10)).toEqual(['']);
    expect(splitUtf8('abc', 10)).toEqual(['abc']);
  });
});
