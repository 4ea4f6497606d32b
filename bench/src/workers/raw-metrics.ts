/**
 * The /metrics baseline: a raw prom-client registry with the same series as a Runboard exporter
 * (rebuilt from its exposition: same families, help, label sets and histogram buckets; process
 * and Node.js metrics from prom-client's collectDefaultMetrics, as Runboard has), served by a
 * plain node:http server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { serveWorker } from '../lib/child';
import { parseExposition } from '../lib/exposition';

let server: http.Server | undefined;

function build(exposition: string): { registry: Registry; series: number } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const defaults = new Set(registry.getMetricsAsArray().map((m) => m.name));
  let series = 0;
  for (const f of parseExposition(exposition)) {
    if (defaults.has(f.name)) continue;
    // A family without samples is a labelled metric nothing was recorded on yet: give it a label
    // so prom-client prints only its HELP and TYPE, as Runboard's does (no default 0 sample).
    const labelNames = f.samples.length === 0 ? ['label'] : [...new Set(f.samples.flatMap((s) => Object.keys(s.labels)))].filter((l) => l !== 'le');
    const cfg = { name: f.name, help: f.help || f.name, labelNames, registers: [registry] };
    series += f.samples.length;
    if (f.type === 'counter') {
      const c = new Counter(cfg);
      for (const s of f.samples) c.inc(s.labels, s.value);
    } else if (f.type === 'histogram') {
      const buckets = [...new Set(f.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.le !== '+Inf').map((s) => Number(s.labels.le)))].sort((a, b) => a - b);
      const h = new Histogram({ ...cfg, buckets });
      for (const s of f.samples) {
        if (!s.name.endsWith('_sum')) continue;
        h.observe(s.labels, s.value);
      }
    } else {
      const g = new Gauge(cfg);
      for (const s of f.samples) g.set(s.labels, s.value);
    }
  }
  return { registry, series };
}

serveWorker(async (msg: { exposition: string }) => {
  const { registry, series } = build(msg.exposition);
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  server = http.createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return res.end();
    }
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.end(body);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, series };
});
