/** Minimal HTTP client on node:http with keep-alive: the same client for Runboard and baselines. */
import http from 'node:http';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export interface Reply {
  status: number;
  body: string;
  /** ms from the request to the last body byte. */
  ms: number;
}

export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function getJson<T>(url: string, token?: string): Promise<T> {
  const r = await request(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return JSON.parse(r.body) as T;
}

export async function postJson(url: string, token: string, body: unknown): Promise<Reply> {
  const r = await request(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`POST ${url}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

/**
 * A stream client that reads and discards SSE frames, counting them (the 10 clients of the
 * collection benchmark). Returns a function that closes it.
 */
export function openStream(url: string, token: string, onSample?: (data: string) => void): { close(): void; samples(): number } {
  let samples = 0;
  const req = http.get(`${url}/api/v1/stream`, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (frame.includes('event: sample')) {
          samples++;
          if (onSample) onSample(frame.slice(frame.indexOf('data: ') + 6));
        }
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  return { close: () => req.destroy(), samples: () => samples };
}
