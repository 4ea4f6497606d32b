import { ActionsCollector } from '../../exporter/src/collectors/actions';
import { CollectorSet, type Collector } from '../../exporter/src/collectors/collector';
import { EventsCollector } from '../../exporter/src/collectors/events';
import { LlmCollector, priceFor } from '../../exporter/src/collectors/llm';
import { createMetrics } from '../../exporter/src/metrics/registry';
import { LiveStore, toSample } from '../../exporter/src/store/live-store';

function setup() {
  const metrics = createMetrics(200);
  const store = new LiveStore(100, 1000, 1000, 1);
  return { metrics, store };
}

const T0 = 1_000_000;
const values = (store: LiveStore, now: number) => toSample(store.commit(now)).values;

describe('ActionsCollector', () => {
  it('derives per-minute rate, success ratio, mean and p95 per action and overall', async () => {
    const { metrics, store } = setup();
    const c = new ActionsCollector(metrics, store, 60_000);
    for (let i = 0; i < 30; i++) c.record({ name: 'build', duration_seconds: 1 + (i % 10) / 10, success: i % 10 !== 0 }, T0 + i * 1000);
    c.record({ name: 'deploy', duration_seconds: 5, success: true }, T0 + 1000);
    c.collect(T0 + 60_000);
    const v = values(store, T0 + 60_000);
    expect(v['actions_per_minute{action="build"}']).toBeCloseTo(30, 0);
    expect(v['action_success_ratio{action="build"}']).toBeCloseTo(0.9);
    expect(v['action_failures{action="build"}']).toBe(3);
    expect(v['action_duration_mean_seconds{action="build"}']).toBeCloseTo(1.45, 2);
    expect(v['action_duration_p95_seconds{action="build"}']).toBeGreaterThan(1.5);
    expect(v['action_duration_p95_seconds{action="build"}']).toBeLessThan(2.2);
    expect(v.actions_per_minute).toBeCloseTo(31, 0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('runboard_actions_total{action="build",outcome="failure"} 3');
    expect(text).toContain('runboard_action_duration_seconds_count{action="build"} 30');
  });

  it('keeps gauges from state snapshots and swaps the current action label', async () => {
    const { metrics, store } = setup();
    const c = new ActionsCollector(metrics, store, 60_000);
    c.setState({ current_action: 'a', actions_in_flight: 2, action_queue_depth: 5 });
    c.setState({ current_action: 'b' });
    let text = await metrics.registry.metrics();
    expect(text).toContain('runboard_current_action_info{action="b"} 1');
    expect(text).not.toContain('runboard_current_action_info{action="a"}');
    expect(text).toContain('runboard_action_queue_depth 5');
    c.setState({ current_action: null });
    text = await metrics.registry.metrics();
    expect(text).not.toContain('runboard_current_action_info{');
    expect(c.currentAction).toBeNull();
    c.collect(T0);
    expect(values(store, T0)).toMatchObject({ actions_in_flight: 2, action_queue_depth: 5 });
  });
});

describe('EventsCollector', () => {
  it('separates queued, processed and failed events and their processing time', async () => {
    const { metrics, store } = setup();
    const c = new EventsCollector(metrics, store, 60_000);
    for (let i = 0; i < 6; i++) c.record({ type: 'hook', outcome: 'queued' }, T0);
    for (let i = 0; i < 4; i++) c.record({ type: 'hook', outcome: 'processed', processing_seconds: 0.2 }, T0);
    c.record({ type: 'hook', outcome: 'failed', processing_seconds: 1 }, T0);
    c.setQueueDepth(2);
    c.collect(T0 + 60_000 - 1);
    const v = values(store, T0 + 60_000 - 1);
    expect(v['events_queued_per_minute{type="hook"}']).toBeCloseTo(6, 0);
    expect(v['events_processed_per_minute{type="hook"}']).toBeCloseTo(4, 0);
    expect(v['event_failures{type="hook"}']).toBe(1);
    expect(v['event_processing_mean_seconds{type="hook"}']).toBeCloseTo(0.36, 2);
    expect(v.event_queue_depth).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('runboard_events_total{type="hook",outcome="queued"} 6');
    expect(text).toContain('runboard_event_processing_seconds_count{type="hook"} 5');
  });
});

describe('LlmCollector', () => {
  const prices = { 'gpt-4o': { input: 2.5, output: 10 }, 'acme/special': { input: 1, output: 1 } };

  it('prices from the table (provider/model first), keeps client cost, and never invents one', async () => {
    expect(priceFor(prices, 'openai', 'gpt-4o', 1e6, 1e6)).toBe(12.5);
    expect(priceFor(prices, 'acme', 'special', 1e6, 0)).toBe(1);
    expect(priceFor(prices, 'x', 'unknown', 1, 1)).toBeUndefined();

    const { metrics, store } = setup();
    const c = new LlmCollector(metrics, store, 60_000, prices);
    expect(c.record({ provider: 'openai', model: 'gpt-4o', input_tokens: 1000, output_tokens: 500, source: 'sdk' }, T0)).toMatchObject({ cost_usd: 0.0075, priced: 'table' });
    expect(c.record({ provider: 'openai', model: 'gpt-4o', input_tokens: 1, output_tokens: 1, cost_usd: 0.5, source: 'sdk' }, T0)).toMatchObject({
      cost_usd: 0.5,
      priced: 'client',
    });
    expect(c.record({ provider: 'local', model: 'llama', input_tokens: 100, output_tokens: 50, success: false, duration_seconds: 3, source: 'sdk' }, T0)).toMatchObject({
      cost_usd: undefined,
      priced: 'unpriced',
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('runboard_llm_cost_usd_total{provider="openai",model="gpt-4o",source="sdk"} 0.5075');
    expect(text).not.toContain('runboard_llm_cost_usd_total{provider="local"');
    expect(text).toContain('runboard_llm_unpriced_requests_total{provider="local",model="llama",source="sdk"} 1');
    expect(text).toContain('runboard_llm_tokens_total{provider="local",model="llama",type="output",source="sdk"} 50');
    expect(text).toContain('runboard_llm_requests_total{provider="local",model="llama",outcome="failure",source="sdk"} 1');

    c.collect(T0 + 60_000 - 1);
    const v = values(store, T0 + 60_000 - 1);
    // 1,652 tokens in a 60 s window = 99,120 per hour
    const near = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThan(1e-3);
    near(v.llm_tokens_per_hour, 1652 * 60);
    near(v.llm_cost_usd_per_hour, 0.5075 * 60);
    // cost per request averages over priced requests only
    expect(v.llm_cost_usd_per_request).toBeCloseTo(0.5075 / 2, 8);
    expect(v['llm_failures{model="llama",provider="local"}']).toBe(1);
    expect(v['llm_latency_p95_seconds{model="llama",provider="local"}']).toBeGreaterThan(2.4);
    expect(v['llm_cost_usd_per_request{model="llama",provider="local"}']).toBeUndefined();
  });
});

describe('CollectorSet', () => {
  it('times each collector and keeps a failing one from stopping the others', async () => {
    const { metrics } = setup();
    const ran: string[] = [];
    const ok: Collector = { name: 'ok', collect: () => void ran.push('ok') };
    const bad: Collector = {
      name: 'bad',
      collect: () => {
        throw new Error('boom');
      },
    };
    const errors: string[] = [];
    const set = new CollectorSet([bad, ok], metrics, (name) => errors.push(name));
    await set.collectAll(T0);
    await set.collectAll(T0 + 1000);
    expect(ran).toEqual(['ok', 'ok']);
    expect(errors).toEqual(['bad']); // logged once, not every tick
    const status = set.statuses();
    expect(status.find((s) => s.name === 'bad')).toMatchObject({ ok: false, error: 'boom', lastRun: T0 + 1000 });
    expect(status.find((s) => s.name === 'ok')).toMatchObject({ ok: true });
    const text = await metrics.registry.metrics();
    expect(text).toContain('runboard_collect_success{collector="bad"} 0');
    expect(text).toMatch(/runboard_collect_duration_seconds\{collector="ok"\} \d/);
  });
});
