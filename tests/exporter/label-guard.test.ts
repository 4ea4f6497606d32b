import { Counter, Registry } from 'prom-client';
import { LabelGuard, OVERFLOW_VALUE } from '../../exporter/src/metrics/label-guard';

describe('LabelGuard', () => {
  it('passes the first N values and folds the rest into "other", counting each overflow', async () => {
    const registry = new Registry();
    const overflow = new Counter({ name: 'overflow_total', help: 'h', labelNames: ['metric', 'label'], registers: [registry] });
    const g = new LabelGuard('m', 'action', 3, overflow);
    expect(['a', 'b', 'c', 'a'].map((v) => g.admit(v))).toEqual(['a', 'b', 'c', 'a']);
    expect(g.admit('d')).toBe(OVERFLOW_VALUE);
    expect(g.admit('e')).toBe(OVERFLOW_VALUE);
    expect(g.admit('b')).toBe('b');
    expect(g.size).toBe(3);
    const v = await overflow.get();
    expect(v.values).toEqual([{ labels: { metric: 'm', label: 'action' }, value: 2 }]);
  });
});
