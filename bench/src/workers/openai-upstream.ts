/**
 * The proxy benchmark's upstream: a minimal OpenAI-compatible server on plain node:http (the
 * same one for the direct calls and the proxied ones). `POST /v1/chat/completions` answers a
 * fixed chat completion (~0.6 KB) with usage; with `"stream": true` it sends `chunks` SSE chunks
 * `gapMs` apart, each carrying the time it was written (performance.timeOrigin + now, the
 * same clock as the bench's), then a usage chunk and `[DONE]`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveWorker } from '../lib/child';

const now = () => performance.timeOrigin + performance.now();

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench-model',
  system_fingerprint: 'fp_bench',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'A short answer of a few words, as most chat answers in a benchmark are.', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 42, completion_tokens: 17, total_tokens: 59 },
});

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stream?: boolean; chunks?: number; gapMs?: number };
    if (!body.stream) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(COMPLETION) });
      return void res.end(COMPLETION);
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    const total = body.chunks ?? 20;
    let i = 0;
    const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-model' };
    const send = () => {
      if (i < total) {
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: `t${i}` }, finish_reason: null }], sentAt: now() })}\n\n`);
        i++;
        return void setTimeout(send, body.gapMs ?? 5);
      }
      res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 42, completion_tokens: total, total_tokens: 42 + total } })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    send();
  });
});

server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  serveWorker(() => ({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` }));
});
