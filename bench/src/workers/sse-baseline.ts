/**
 * The SSE fan-out baseline: the smallest correct SSE server in Node (node:http, no framework, no
 * collectors), sending the same frame (same series, same bytes) to every client once a second on
 * the second boundary, with `res.write` per client as a hand-written server would. What it costs
 * is what Node and the kernel cost for the fan-out itself on this machine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveWorker } from '../lib/child';

let server: http.Server | undefined;
const clients = new Set<http.ServerResponse>();
let timer: NodeJS.Timeout | undefined;
let seq = Date.now();

function schedule(valuesJson: string): void {
  timer = setTimeout(
    () => {
      const t = Date.now();
      const frame = Buffer.from(`id: ${seq++}\nevent: sample\ndata: {"t":${t},"values":${valuesJson}}\n\n`);
      for (const res of clients) res.write(frame);
      schedule(valuesJson);
    },
    1000 - (Date.now() % 1000),
  );
}

serveWorker(async (msg: { valuesJson: string }) => {
  server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/api/v1/stream')) {
      res.statusCode = 404;
      return res.end();
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.socket?.setNoDelay(true);
    res.write('retry: 2000\n\n');
    clients.add(res);
    res.on('close', () => clients.delete(res));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  schedule(msg.valuesJson);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});

process.on('SIGTERM', () => {
  if (timer) clearTimeout(timer);
  for (const res of clients) res.destroy();
  server?.close();
});
