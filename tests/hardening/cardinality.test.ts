/**
 * Cardinality bomb (README "Reliability"): 50,000 (full run: 1,000,000) distinct action names and as many
 * distinct models. Every label keeps at most limits.labelValues values (the rest fold into
 * "other" and count in runboard_label_overflow_total), provider × model pairs are bounded too,
 * the live store stays within limits.liveSeries, /metrics stays small and quick, RSS stays
 * bounded, what the exporter keeps (its JS heap after a full garbage collection, forced through
 * the V8 inspector) does not grow with the number of distinct values, and every LLM record still
 * reaches the ledger (costs are not folded).
 */
import type { RunningExporter } from '../helpers/exporter-process';
import { FULL, heapAfterGc, labelValues, mb, metricsText, metricValue, report, request, rssOf, scale, sleep, startWith, watchHealth } from './harness';

const N = scale('CARDINALITY', 50_000, 1_000_000);
const BATCH = 5_000; // ~500 KB bodies, under limits.bodyBytes

async function ingest(exp: RunningExporter, records: object[]): Promise<void> {
  const res = await request(exp.url, 'POST', '/api/v1/ingest', {
    headers: { Authorization: `Bearer ${exp.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(records),
    timeoutMs: 60000,
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 200)}`);
}

async function seriesCount(exp: RunningExporter): Promise<{ total: number; withAction: number; withModel: number }> {
  const body = JSON.parse((await request(exp.url, 'GET', '/api/v1/series', { headers: { Authorization: `Bearer ${exp.token}` } })).text) as {
    series: Array<{ labels: Record<string, string> }>;
  };
  return { total: body.series.length, withAction: body.series.filter((s) => 'action' in s.labels).length, withModel: body.series.filter((s) => 'model' in s.labels).length };
}

/** Waits for two ticks so the collectors have turned the records into series. */
const ticks = () => sleep(2200);

it(
  `keeps ${N} distinct action names and models within limits.labelValues, with RSS bounded`,
  async () => {
    const exp = await startWith({ ledger: { maxCostRecords: 2_000_000 } }, { env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
    const figures: Record<string, unknown> = { distinctValues: N };
    const health = watchHealth(exp, 500, 5000);
    try {
      await ticks();
      const heapBefore = await heapAfterGc(exp);
      const rssBefore = rssOf(exp.child.pid);
      let rssPeak = rssBefore;
      const t0 = Date.now();
      for (let start = 0; start < N; start += BATCH) {
        const n = Math.min(BATCH, N - start);
        await ingest(
          exp,
          Array.from({ length: n }, (_, i) => ({ kind: 'action', name: `bomb-action-${start + i}`, duration_seconds: 0.25, success: (start + i) % 3 !== 0 })),
        );
        await ingest(
          exp,
          Array.from({ length: n }, (_, i) => ({ kind: 'llm', provider: 'bomb', model: `bomb-model-${start + i}`, input_tokens: 10, output_tokens: 5, cost_usd: 0.0001 })),
        );
        rssPeak = Math.max(rssPeak, rssOf(exp.child.pid));
      }
      const seconds = (Date.now() - t0) / 1000;
      figures.recordsPerSecond = Math.round((2 * N) / seconds);
      await ticks();

      const t1 = Date.now();
      const text = await metricsText(exp);
      figures.metricsScrapeMs = Date.now() - t1;
      figures.metricsBytes = text.length;
      const actions = labelValues(text, 'runboard_actions_total', 'action');
      const models = labelValues(text, 'runboard_llm_requests_total', 'model');
      const actionOverflow = metricValue(text, 'runboard_label_overflow_total', { metric: 'runboard_actions_total', label: 'action' });
      const modelOverflow = metricValue(text, 'runboard_label_overflow_total', { metric: 'runboard_llm_requests_total', label: 'model' });
      const series = await seriesCount(exp);
      const costs = JSON.parse(
        (await request(exp.url, 'GET', '/api/v1/costs?groupBy=provider&from=now-1h', { headers: { Authorization: `Bearer ${exp.token}` }, timeoutMs: 60000 })).text,
      ) as { rows: Array<{ key: string; requests: number }> };
      await sleep(1000);
      const rssAfter = rssOf(exp.child.pid);
      const heapAfter = await heapAfterGc(exp);
      Object.assign(figures, {
        actionLabelValues: actions.size,
        modelLabelValues: models.size,
        actionOverflowTotal: actionOverflow,
        modelOverflowTotal: modelOverflow,
        liveSeries: series,
        costRecordsInLedger: costs.rows.find((r) => r.key === 'bomb')?.requests,
        rssBeforeMb: mb(rssBefore),
        rssPeakMb: mb(rssPeak),
        rssAfterMb: mb(rssAfter),
        heapAfterGcMb: { before: mb(heapBefore), after: mb(heapAfter) },
      });

      expect(actions.size).toBe(201);
      expect(actions.has('other')).toBe(true);
      expect(models.size).toBe(201);
      expect(actionOverflow).toBe(N - 200);
      expect(modelOverflow).toBe(N - 200);
      expect(series.withAction).toBeLessThanOrEqual(201 * 5);
      expect(series.total).toBeLessThanOrEqual(5000);
      // Costs are never folded: every record is in the ledger under its own model.
      expect(costs.rows.find((r) => r.key === 'bomb')?.requests).toBe(N);
      expect(text.length).toBeLessThan(5 * 1024 * 1024);
      expect(rssPeak - rssBefore).toBeLessThan(200 * 1048576);
      expect(rssAfter - rssBefore).toBeLessThan(200 * 1048576);
      // What stays reachable: the capped label sets and series, not a trace of each distinct value.
      expect(heapAfter - heapBefore).toBeLessThan(16 * 1048576);
    } finally {
      const h = await health.stop();
      figures.healthWorstMs = h.worstMs;
      figures.healthFailures = h.failures.length;
      figures.exporterStallMaxMs = h.exporterStallMaxMs;
      report('cardinality', figures);
      await exp.stop();
    }
  },
  FULL ? 1_800_000 : 120_000,
);

it('bounds provider × model pairs and the live store (limits.liveSeries)', async () => {
  const exp = await startWith({ limits: { labelValues: 100, liveSeries: 1500 } });
  try {
    // 150 providers × 150 models: each label alone is capped at 100, yet 100 × 100 pairs would pass.
    for (let p = 0; p < 150; p += 10) {
      const records = [];
      for (let q = p; q < p + 10; q++) for (let m = 0; m < 150; m++) records.push({ kind: 'llm', provider: `prov-${q}`, model: `mod-${m}`, input_tokens: 1, output_tokens: 1 });
      await ingest(exp, records);
    }
    // 1,000 actions with 5 series each, far past liveSeries.
    await ingest(
      exp,
      Array.from({ length: 1000 }, (_, i) => ({ kind: 'action', name: `many-${i}`, duration_seconds: 1, success: true })),
    );
    await ticks();
    const text = await metricsText(exp);
    const pairs = new Set([...text.matchAll(/^runboard_llm_requests_total\{provider="([^"]*)",model="([^"]*)"/gm)].map((m) => `${m[1]}/${m[2]}`));
    const providers = labelValues(text, 'runboard_llm_requests_total', 'provider');
    const series = await seriesCount(exp);
    report('cardinality-pairs', {
      sentPairs: 150 * 150,
      pairs: pairs.size,
      providers: providers.size,
      pairOverflowTotal: metricValue(text, 'runboard_label_overflow_total', { metric: 'runboard_llm_requests_total', label: 'provider,model' }),
      liveSeries: series.total,
      liveSeriesLimit: 1500,
      metricsBytes: text.length,
    });
    expect(providers.size).toBe(101);
    // At most labelValues pairs, plus one (provider, "other") per provider.
    expect(pairs.size).toBeLessThanOrEqual(100 + 101);
    expect(series.total).toBe(1500);
  } finally {
    await exp.stop();
  }
}, 120_000);
