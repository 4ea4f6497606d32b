/**
 * 4. /metrics: ms per scrape (client side, request to last byte, keep-alive) of the built
 * exporter at ~1k and ~10k series, against a raw prom-client registry with the same series served
 * by plain node:http in its own process. Scrapes alternate Runboard / raw; medians.
 */
import { startWorker } from '../lib/child';
import { startExporter } from '../lib/exporter';
import { postJson, request } from '../lib/http';
import { countSamples } from '../lib/node-exporter';
import { row, type BenchResult, type Context, type Row } from '../lib/result';
import { median, percentile, sleep } from '../lib/stats';
import { actionName } from '../lib/workload';

/** Series per action name: actions_total{action,outcome="success"} + a 15-bucket histogram (18 lines). */
const SERIES_PER_ACTION = 19;

export async function metricsScrape(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  const targets = [1_000, 10_000];
  const scrapes: Record<number, number> = ctx.quick ? { 1000: 40, 10000: 12 } : { 1000: 150, 10000: 40 };
  const exp = await startExporter({ config: { limits: { labelValues: 5000, liveSeries: 100_000 } } });
  const raw = startWorker('raw-metrics');
  const rows: Row[] = [];
  const details: Record<string, unknown> = {};
  try {
    const scrape = async (url: string) => {
      const r = await request(`${url}/metrics`);
      if (r.status !== 200) throw new Error(`GET ${url}/metrics: HTTP ${r.status}`);
      return r;
    };
    const base = countSamples((await scrape(exp.url)).body);
    let actions = 0;
    for (const target of targets) {
      const want = Math.max(0, Math.ceil((target - base) / SERIES_PER_ACTION));
      const records = [];
      for (let i = actions; i < want; i++) records.push({ kind: 'action', name: actionName(i), duration_seconds: 0.01 * (1 + (i % 500)), success: true });
      for (let i = 0; i < records.length; i += 5000) await postJson(`${exp.url}/api/v1/ingest`, exp.token, { records: records.slice(i, i + 5000) });
      actions = want;
      await sleep(1200); // a tick with the new series
      const exposition = (await scrape(exp.url)).body;
      const rbSeries = countSamples(exposition);
      const { url: rawUrl } = await raw.ask<{ url: string; series: number }>({ exposition }, 60_000);
      const rawSeries = countSamples((await scrape(rawUrl)).body);
      // Warm-up (both code paths optimised), then alternate (ABBA).
      for (let i = 0; i < 10; i++) {
        await scrape(exp.url);
        await scrape(rawUrl);
      }
      const rb: number[] = [];
      const rw: number[] = [];
      for (let i = 0; i < scrapes[target]; i++) {
        if (i % 2 === 0) {
          rb.push((await scrape(exp.url)).ms);
          rw.push((await scrape(rawUrl)).ms);
        } else {
          rw.push((await scrape(rawUrl)).ms);
          rb.push((await scrape(exp.url)).ms);
        }
      }
      const a = median(rb);
      const b = median(rw);
      const label = target >= 10_000 ? '10k' : '1k';
      rows.push(
        row({
          benchmark: 'metrics',
          figure: `ms per scrape, ${label} series (${rbSeries})`,
          unit: 'ms',
          runboard: a,
          baseline: b,
          baselineName: 'raw prom-client',
          goal: '≤ 1.2× raw',
          met: a / b <= 1.2,
        }),
      );
      details[label] = {
        actions,
        runboardSeries: rbSeries,
        rawSeries,
        bytes: Buffer.byteLength(exposition),
        scrapes: scrapes[target],
        runboardMs: rb,
        rawMs: rw,
        runboardP90: percentile(rb, 90),
        rawP90: percentile(rw, 90),
      };
      ctx.log(`  ${label}: ${rbSeries} series, Runboard ${a.toFixed(2)} ms, raw ${b.toFixed(2)} ms`);
    }
  } finally {
    await raw.stop();
    await exp.stop();
  }
  return { name: 'metrics', title: '/metrics scrape', seconds: (performance.now() - started) / 1000, rows, details };
}
