/**
 * A local OpenAI-compatible server: the recording proxy's upstream in the tests. It is the one
 * stand-in of these tests (there is no internet here); the clients are the official `openai`
 * packages. It answers chat completions, the Responses API and embeddings in OpenAI's shapes,
 * with usage figures the tests know, and the request's `model` decides what it does:
 *
 * - `error-400`, `error-429`, `error-500`: that status with OpenAI's error body;
 * - `slow`: never answers (the proxy's timeout);
 * - `cut-upstream` (streamed): two chunks, then the connection is destroyed;
 * - `hold` (streamed): the first chunk, then it waits for `release()` before the rest;
 * - `cut-client` (streamed): the first chunk, then waits for the client to go away;
 * - `huge-event` (streamed): the first chunk, then one event of HUGE_EVENT_BYTES, then the usage
 *   chunk and `[DONE]`; what it wrote (bytes and SHA-256 of the whole body) resolves `huge`.
 *
 * Every other model gets a normal answer whose `model` is the request's plus `-2024`, so a
 * test can tell the answer's model from the request's.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The `huge-event` stream's one big event: far more than the proxy may hold of one event. */
export const HUGE_EVENT_BYTES = 200 * 1024 * 1024;

export interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Usage figures the stand-in reports, per endpoint and mode. */
export const USAGE = {
  chat: { prompt_tokens: 11, completion_tokens: 7 },
  chatStream: { prompt_tokens: 13, completion_tokens: 5 },
  responses: { input_tokens: 21, output_tokens: 9 },
  responsesStream: { input_tokens: 23, output_tokens: 8 },
  embeddings: { prompt_tokens: 31 },
};

export interface StandIn {
  url: string;
  seen: SeenRequest[];
  /** Raw bytes of every answer body sent, by request index. */
  sent: Buffer[];
  /** Set once a `hold` stream has written its last chunk. */
  sentLast: boolean;
  /** Lets a `hold` stream go on. */
  release(): void;
  /** Resolves when a `cut-client` stream saw its client go away. */
  clientGone: Promise<void>;
  /** Resolves with the size and SHA-256 (hex) of the body a `huge-event` stream wrote. */
  huge: Promise<{ bytes: number; sha256: string }>;
  close(): Promise<void>;
}

export async function startStandIn(): Promise<StandIn> {
  let releaseHold: () => void = () => undefined;
  let holdReleased = new Promise<void>((r) => (releaseHold = r));
  let clientGoneResolve: () => void = () => undefined;
  let hugeResolve: (v: { bytes: number; sha256: string }) => void = () => undefined;
  const state: StandIn = {
    url: '',
    seen: [],
    sent: [],
    sentLast: false,
    release: () => releaseHold(),
    clientGone: new Promise<void>((r) => (clientGoneResolve = r)),
    huge: new Promise((r) => (hugeResolve = r)),
    close: async () => undefined,
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const index = state.seen.push({ path: req.url ?? '', headers: req.headers, body }) - 1;
      const out: Buffer[] = [];
      const write = (s: string) => {
        const b = Buffer.from(s);
        out.push(b);
        state.sent[index] = Buffer.concat(out);
        return res.write(b);
      };
      const json = (status: number, value: unknown) => {
        const text = JSON.stringify(value);
        state.sent[index] = Buffer.from(text);
        res.writeHead(status, { 'Content-Type': 'application/json', 'x-request-id': `req_${index}`, 'openai-processing-ms': '12' });
        res.end(text);
      };
      let req_: { model?: string; stream?: boolean; encoding_format?: string; input?: unknown };
      try {
        req_ = JSON.parse(body.toString('utf8'));
      } catch {
        return json(400, { error: { message: 'body is not JSON', type: 'invalid_request_error', param: null, code: null } });
      }
      const model = String(req_.model ?? '');
      const m = /^error-(\d{3})$/.exec(model);
      if (m) {
        const status = Number(m[1]);
        return json(status, {
          error: { message: `stand-in error ${status}`, type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error', param: null, code: `e${status}` },
        });
      }
      if (model === 'slow') return; // never answers
      const answerModel = `${model}-2024`;
      const path = (req.url ?? '').replace(/\?.*$/, '');

      if (path === '/v1/embeddings') {
        const inputs = Array.isArray(req_.input) ? req_.input : [req_.input];
        const vector = [0.25, -0.5, 0.125];
        const embedding = req_.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return json(200, {
          object: 'list',
          data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding })),
          model: answerModel,
          usage: { ...USAGE.embeddings, total_tokens: USAGE.embeddings.prompt_tokens },
        });
      }

      if (path === '/v1/chat/completions') {
        const base = { id: `chatcmpl-${index}`, created: 1_700_000_000, model: answerModel, system_fingerprint: 'fp_standin' };
        if (!req_.stream) {
          return json(200, {
            ...base,
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the stand-in.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
            usage: { ...USAGE.chat, total_tokens: USAGE.chat.prompt_tokens + USAGE.chat.completion_tokens },
          });
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'x-request-id': `req_${index}` });
        res.flushHeaders();
        const chunk = (delta: object, finish: string | null, usage: object | null = null) =>
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: finish === 'none' ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage })}\n\n`;
        const rest = async () => {
          write(chunk({ content: ' world' }, null));
          write(chunk({}, 'stop'));
          write(chunk({}, 'none', { ...USAGE.chatStream, total_tokens: USAGE.chatStream.prompt_tokens + USAGE.chatStream.completion_tokens }));
          write('data: [DONE]\n\n');
          res.end();
        };
        write(chunk({ role: 'assistant', content: 'Hello' }, null));
        if (model === 'cut-upstream') {
          write(chunk({ content: ' wor' }, null));
          // Destroyed once the chunks are on the wire: the proxy sees the upstream go away mid-stream.
          return void setImmediate(() => res.socket?.destroy());
        }
        if (model === 'huge-event') {
          // The body so far (the first chunk, written above) counts too.
          const hash = createHash('sha256').update(state.sent[index]);
          let bytes = state.sent[index].length;
          const send = (b: Buffer) => {
            hash.update(b);
            bytes += b.length;
            return res.write(b);
          };
          const usage = { ...USAGE.chatStream, total_tokens: USAGE.chatStream.prompt_tokens + USAGE.chatStream.completion_tokens };
          const piece = Buffer.alloc(1024 * 1024, 'x');
          let left = HUGE_EVENT_BYTES;
          const more = () => {
            // Written as fast as the proxy takes it (back-pressure), never all at once.
            while (left > 0) {
              const n = Math.min(left, piece.length);
              left -= n;
              if (!send(n === piece.length ? piece : piece.subarray(0, n))) return void res.once('drain', more);
            }
            send(Buffer.from('\n\n' + chunk({}, 'none', usage) + 'data: [DONE]\n\n'));
            res.end(() => hugeResolve({ bytes, sha256: hash.digest('hex') }));
          };
          send(Buffer.from('data: '));
          return more();
        }
        if (model === 'cut-client') {
          res.once('close', () => clientGoneResolve());
          return;
        }
        if (model === 'hold') {
          return void holdReleased.then(async () => {
            await rest();
            state.sentLast = true;
            holdReleased = new Promise<void>((r) => (releaseHold = r));
          });
        }
        return void rest();
      }

      if (path === '/v1/responses') {
        const response = (status: string, usage: object | null, text: string) => ({
          id: `resp_${index}`,
          object: 'response',
          created_at: 1_700_000_000,
          status,
          model: answerModel,
          output:
            status === 'completed'
              ? [{ type: 'message', id: `msg_${index}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }]
              : [],
          usage,
          error: null,
          incomplete_details: null,
          parallel_tool_calls: true,
          tool_choice: 'auto',
          tools: [],
        });
        const full = (u: { input_tokens: number; output_tokens: number }) => ({
          ...u,
          total_tokens: u.input_tokens + u.output_tokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens_details: { reasoning_tokens: 0 },
        });
        if (!req_.stream) return json(200, response('completed', full(USAGE.responses), 'Hi from responses.'));
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
        res.flushHeaders();
        let seq = 0;
        const event = (type: string, data: object) => write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
        event('response.created', { response: response('in_progress', null, '') });
        event('response.output_text.delta', { item_id: `msg_${index}`, output_index: 0, content_index: 0, delta: 'Hi there' });
        event('response.completed', { response: response('completed', full(USAGE.responsesStream), 'Hi there') });
        return void res.end();
      }
      json(404, { error: { message: `no route ${path}`, type: 'invalid_request_error', param: null, code: null } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
