/**
 * The recording proxy's added latency: the same local OpenAI-compatible upstream
 * (workers/openai-upstream.ts, its own process) called directly and through the built
 * exporter's proxy (`/proxy/bench/v1`), alternating ABBA, one request at a time on keep-alive
 * connections. Non-streamed: request to last byte, p50 and p99. Streamed: per chunk, the time
 * from the upstream writing it to the client reading it (both clocks are
 * performance.timeOrigin + now on one machine; their offset is the same for both paths, so the
 * difference is the proxy's). Each proxied call is recorded (ledger write included).
 */
import http from 'node:http';
import { startWorker } from '../lib/child';
import { startExporter } from '../lib/exporter';
import { agent, request } from '../lib/http';
import { row, type BenchResult, type Context } from '../lib/result';
import { median, percentile } from '../lib/stats';

const API_KEY = 'sk-bench-not-a-real-key';
const now = () => performance.timeOrigin + performance.now();

/** Reads one streamed answer; returns each chunk's delay (read time − upstream's write time), ms. */
function streamDelays(url: string, headers: Record<string, string>, body: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent }, (res) => {
      const delays: number[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = now();
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const m = /"sentAt":([0-9.]+)/.exec(buf.slice(0, end));
          if (m) delays.push(at - Number(m[1]));
          buf = buf.slice(end + 2);
        }
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(delays) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function proxy(ctx: Context): Promise<BenchResult> {
  const started = performance.now();
  const upstream = startWorker('openai-upstream');
  const { url: upstreamUrl } = await upstream.ask<{ url: string }>({});
  const exp = await startExporter({ config: { proxy: { enabled: true, upstreams: { bench: { url: upstreamUrl, provider: 'bench' } } } } });
  const requests = ctx.quick ? 400 : 3000;
  const streams = ctx.quick ? 10 : 40;
  const chunksPerStream = 20;
  try {
    const direct = `${upstreamUrl}/chat/completions`;
    const proxied = `${exp.url}/proxy/bench/v1/chat/completions`;
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${API_KEY}` };
    const proxyHeaders = { ...headers, 'X-Runboard-Token': exp.token, 'X-Runboard-Tag': 'bench' };
    const body = JSON.stringify({
      model: 'bench-model',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say something short.' },
      ],
    });
    const call = async (url: string, h: Record<string, string>) => {
      const r = await request(url, { method: 'POST', headers: h, body });
      if (r.status !== 200) throw new Error(`POST ${url}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      return r.ms;
    };
    for (let i = 0; i < 200; i++) {
      await call(direct, headers);
      await call(proxied, proxyHeaders);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < requests; i++) {
      if (i % 2 === 0) {
        b.push(await call(direct, headers));
        a.push(await call(proxied, proxyHeaders));
      } else {
        a.push(await call(proxied, proxyHeaders));
        b.push(await call(direct, headers));
      }
    }
    const streamBody = JSON.stringify({
      model: 'bench-model',
      stream: true,
      stream_options: { include_usage: true },
      chunks: chunksPerStream,
      gapMs: 5,
      messages: [{ role: 'user', content: 'Count.' }],
    });
    const sa: number[] = [];
    const sb: number[] = [];
    for (let i = 0; i < streams; i++) {
      const pair = i % 2 === 0 ? [false, true] : [true, false];
      for (const viaProxy of pair) {
        const d = await streamDelays(viaProxy ? proxied : direct, viaProxy ? proxyHeaders : headers, streamBody);
        if (d.length !== chunksPerStream) throw new Error(`a stream gave ${d.length} chunks, not ${chunksPerStream}`);
        (viaProxy ? sa : sb).push(...d);
      }
    }
    const p50 = [median(a), median(b)];
    const p99 = [percentile(a, 99), percentile(b, 99)];
    const c50 = [median(sa), median(sb)];
    const c99 = [percentile(sa, 99), percentile(sb, 99)];
    ctx.log(`  non-streamed p50 ${p50[0].toFixed(3)} ms via proxy, ${p50[1].toFixed(3)} ms direct; per-chunk p50 ${c50[0].toFixed(3)} / ${c50[1].toFixed(3)} ms`);
    const baselineName = 'direct to the same upstream';
    const rows = [
      row({ benchmark: 'proxy', figure: 'non-streamed chat completion, p50', unit: 'ms', runboard: p50[0], baseline: p50[1], baselineName }),
      row({ benchmark: 'proxy', figure: 'non-streamed chat completion, p99', unit: 'ms', runboard: p99[0], baseline: p99[1], baselineName }),
      row({ benchmark: 'proxy', figure: 'added latency, non-streamed, p50', unit: 'ms', runboard: p50[0] - p50[1], baseline: null, goal: '< 1 ms', met: p50[0] - p50[1] < 1 }),
      row({ benchmark: 'proxy', figure: 'stream: chunk delay (upstream write → client read), p50', unit: 'ms', runboard: c50[0], baseline: c50[1], baselineName }),
      row({ benchmark: 'proxy', figure: 'stream: chunk delay, p99', unit: 'ms', runboard: c99[0], baseline: c99[1], baselineName }),
      row({
        benchmark: 'proxy',
        figure: 'added delay per chunk, p50',
        unit: 'ms',
        runboard: c50[0] - c50[1],
        baseline: null,
        goal: 'no per-chunk delay (no buffering)',
        note: 'what one more loopback hop costs a chunk; a buffering proxy would hold chunks for the 5 ms gap or the whole stream',
      }),
    ];
    return {
      name: 'proxy',
      title: 'recording proxy added latency',
      seconds: (performance.now() - started) / 1000,
      rows,
      details: { requests, streams, chunksPerStream, gapMs: 5, proxiedMs: a, directMs: b, proxiedChunkMs: sa, directChunkMs: sb },
    };
  } finally {
    await exp.stop();
    await upstream.stop();
  }
}
