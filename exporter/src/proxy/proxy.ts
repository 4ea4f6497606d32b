/**
 * The OpenAI-compatible recording proxy (README "OpenAI-compatible recording proxy"): an app sets
 * its client's base URL to `/proxy/<upstream>/v1` and adds `X-Runboard-Token`; chat completions,
 * the Responses API and embeddings go to the configured upstream, and the answer comes back as
 * the upstream sent it (status, headers but hop-by-hop ones, body chunk by chunk). Each call is
 * then recorded, ledger first, with source `proxy`.
 *
 * The app's `Authorization` (its provider key) is passed to the upstream and nowhere else: it is
 * never read, logged, stored or put in a metric. The request runs before Express (like the
 * stream fast path in app.ts): the body must reach the upstream as it was sent, and the answer
 * must not wait for any middleware.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { COST_TAG_PATTERN, COST_TAG_RULE, type LlmRecord } from '@runboard/protocol';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Metrics } from '../metrics/registry';
import { sendError, sendErrorUnread } from '../http/errors';
import type { LedgerWriteError } from '../store/ledger';
import { ENDPOINTS, JsonUsageReader, SSE_EVENT_BYTES, StreamUsageReader, type Endpoint, type Usage } from './usage';

export const PROXY_PREFIX = '/proxy/';
export const TOKEN_HEADER = 'x-runboard-token';
export const TAG_HEADER = 'x-runboard-tag';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus ours and those the proxy sets itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** `expect` too: the body is read whole before forwarding (Node answered the app's 100-continue itself). */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'accept-encoding', 'expect', TOKEN_HEADER, TAG_HEADER]);

/** The end-to-end headers of a message: without hop-by-hop ones, nor those its `Connection` names (RFC 9110 §7.6.1). */
function endToEnd(headers: http.IncomingHttpHeaders, skip: ReadonlySet<string>): Record<string, string | string[]> {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (!skip.has(k) && !listed.has(k) && v !== undefined) out[k] = v;
  return out;
}

export interface ProxyDeps {
  config: Config['proxy'];
  /** The API token check (http/auth.ts), given `Bearer <token>`. */
  checkToken: (authorization: string | undefined) => boolean;
  record: (rec: Omit<LlmRecord, 'kind'>) => LedgerWriteError | undefined;
  metrics: Pick<Metrics, 'proxyRequests'>;
  log: Logger;
}

/**
 * How a proxied request ended (runboard_proxy_requests_total's `outcome`): answered and complete;
 * an upstream error status or a stream that reported a failure; no answer in time; no connection;
 * cut by either side; or answered by the proxy itself without calling the upstream.
 */
type Outcome = 'success' | 'upstream_error' | 'timeout' | 'unreachable' | 'cut' | 'refused';

interface Upstream {
  name: string;
  provider: string;
  base: URL;
  /** `base` without a trailing slash: the endpoint is appended to it (a bare origin's href ends in "/"). */
  prefix: string;
  agent: http.Agent;
  request: typeof http.request;
}

/** The request listener for paths under /proxy/ when the proxy is on. */
export function createProxy(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config } = deps;
  const upstreams = new Map<string, Upstream>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    const base = new URL(u.url.replace(/\/+$/, ''));
    const secure = base.protocol === 'https:';
    // Kept-alive connections: a new TCP (and TLS) handshake per call would be most of the added latency.
    const agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, maxSockets: config.maxConcurrent });
    upstreams.set(name, { name, provider: u.provider, base, prefix: base.href.replace(/\/+$/, ''), agent, request: secure ? https.request : http.request });
  }
  const timeoutMs = config.timeoutSeconds * 1000;
  let inFlight = 0;
  const perClient = new Map<string, number>();
  const warned = new Map<string, number>();

  /** An upstream that cannot be reached is logged once a minute, not once per call. */
  const warnUpstream = (up: Upstream, what: string) => {
    const now = Date.now();
    if ((warned.get(up.name) ?? 0) > now - 60_000) return;
    warned.set(up.name, now);
    deps.log.warn(`proxy: upstream "${up.name}" (${up.base.origin}): ${what}`);
  };

  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const match = /^\/proxy\/([^/]+)\/v1\/(.+)$/.exec(pathname);
    const up = match ? upstreams.get(match[1]) : undefined;
    const endpoint = match ? (ENDPOINTS as readonly string[]).find((e) => e === match[2]) : undefined;
    /** Answered by the proxy itself. Counted only for a configured upstream: any other path text would become a label value. */
    const refuse = (status: number, code: string, message: string, field?: string) => {
      if (up) deps.metrics.proxyRequests.inc({ upstream: up.name, outcome: 'refused' });
      sendErrorUnread(req, res, status, code, message, field);
    };
    if (!up || !endpoint) {
      return refuse(
        404,
        'not_found',
        `no proxy route ${req.method} ${pathname.slice(0, 200)}: use /proxy/<upstream>/v1/{${ENDPOINTS.join(',')}} with an upstream of proxy.upstreams`,
      );
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return refuse(405, 'method_not_allowed', `${pathname.slice(0, 200)} takes POST`);
    }
    const token = req.headers[TOKEN_HEADER];
    if (typeof token !== 'string' || !deps.checkToken(`Bearer ${token}`)) {
      return refuse(
        401,
        'unauthorized',
        token ? 'invalid API token in X-Runboard-Token' : 'missing API token: send "X-Runboard-Token: <token>" (the provider key stays in Authorization)',
      );
    }
    const tagHeader = req.headers[TAG_HEADER];
    if (tagHeader !== undefined && (typeof tagHeader !== 'string' || !COST_TAG_PATTERN.test(tagHeader))) {
      return refuse(400, 'invalid_request', `X-Runboard-Tag: ${COST_TAG_RULE}`, 'X-Runboard-Tag');
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.bodyBytes) {
      res.setHeader('Connection', 'close');
      return refuse(413, 'body_too_large', `request body is larger than the limit of ${config.bodyBytes} bytes (proxy.bodyBytes)`);
    }
    let addr = req.socket.remoteAddress ?? '';
    if (addr.startsWith('::ffff:') && addr.includes('.')) addr = addr.slice(7);
    const mine = perClient.get(addr) ?? 0;
    if (inFlight >= config.maxConcurrent || mine >= config.maxConcurrentPerClient) {
      res.setHeader('Retry-After', '1');
      const which =
        inFlight >= config.maxConcurrent
          ? `${config.maxConcurrent} proxied requests in progress (proxy.maxConcurrent)`
          : `${config.maxConcurrentPerClient} proxied requests in progress from this client (proxy.maxConcurrentPerClient)`;
      return refuse(503, 'proxy_busy', `${which}; retry later`);
    }
    inFlight++;
    perClient.set(addr, mine + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight--;
      const n = (perClient.get(addr) ?? 1) - 1;
      if (n <= 0) perClient.delete(addr);
      else perClient.set(addr, n);
    };
    res.once('close', release);
    readBody(req, config.bodyBytes, (err, body) => {
      if (err || !body) {
        if (err === 'too_large') {
          res.setHeader('Connection', 'close');
          deps.metrics.proxyRequests.inc({ upstream: up.name, outcome: 'refused' });
          return sendError(res, 413, 'body_too_large', `request body is larger than the limit of ${config.bodyBytes} bytes (proxy.bodyBytes)`);
        }
        deps.metrics.proxyRequests.inc({ upstream: up.name, outcome: 'cut' });
        return void res.destroy();
      }
      forward({ req, res, up, endpoint: endpoint as Endpoint, body, tag: tagHeader, query: q < 0 ? '' : url.slice(q) });
    });
  };

  function forward(o: { req: IncomingMessage; res: ServerResponse; up: Upstream; endpoint: Endpoint; body: Buffer; tag: string | undefined; query: string }): void {
    const { req, res, up, endpoint, body, tag } = o;
    const t = Date.now();
    const started = performance.now();
    const requestModel = modelOfRequest(body);
    const headers: http.OutgoingHttpHeaders = endToEnd(req.headers, NOT_FORWARDED);
    // Uncompressed, so the proxy can read the usage from its copy of the answer.
    headers['accept-encoding'] = 'identity';
    headers['content-length'] = body.length;
    const target = new URL(up.prefix + '/' + endpoint + o.query);

    let finished = false;
    let usage: Usage | undefined;
    let status = 0;
    let timedOut = false;
    const finish = (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      const rec: Omit<LlmRecord, 'kind'> = {
        t,
        provider: up.provider,
        model: boundedModel(usage?.model ?? requestModel),
        input_tokens: usage?.inputTokens ?? 0,
        output_tokens: usage?.outputTokens ?? 0,
        duration_seconds: (performance.now() - started) / 1000,
        success: outcome === 'success',
        tag,
      };
      deps.metrics.proxyRequests.inc({ upstream: up.name, outcome });
      // Ledger first; a refusal was counted (runboard_ledger_refused_records_total) and logged by
      // the ledger's owner, and the app already has its answer: nothing more to do here.
      deps.record(rec);
    };

    const upReq = up.request(target, { method: 'POST', headers, agent: up.agent });
    upReq.on('socket', (s) => s.setNoDelay(true));
    upReq.setTimeout(timeoutMs, () => {
      timedOut = true;
      upReq.destroy(new TimeoutError());
    });
    // The app went away: stop the upstream call too; recorded as a failure with what was seen.
    let appGone = false;
    res.once('close', () => {
      if (res.writableFinished) return;
      appGone = true;
      upReq.destroy();
    });
    let responded = false;
    upReq.on('error', (err) => {
      // Once the answer has started, its own handlers record it, with what the copy showed.
      if (responded) return void res.destroy();
      if (!res.headersSent) {
        if (err instanceof TimeoutError) {
          warnUpstream(up, `no answer within ${config.timeoutSeconds} s (proxy.timeoutSeconds)`);
          sendError(res, 504, 'upstream_timeout', `upstream "${up.name}" did not answer within ${config.timeoutSeconds} s (proxy.timeoutSeconds)`);
        } else if (!res.destroyed) {
          warnUpstream(up, describe(err));
          sendError(res, 502, 'upstream_unreachable', `upstream "${up.name}" could not be reached: ${describe(err)}`);
        }
      } else {
        res.destroy();
      }
      finish(err instanceof TimeoutError ? 'timeout' : appGone ? 'cut' : 'unreachable');
    });
    upReq.on('response', (upRes) => {
      responded = true;
      status = upRes.statusCode ?? 502;
      const outHeaders = endToEnd(upRes.headers, HOP_BY_HOP);
      const streamed = /^text\/event-stream\b/i.test(String(upRes.headers['content-type'] ?? ''));
      try {
        res.writeHead(status, upRes.statusMessage, outHeaders);
      } catch {
        // A status line or header Node will not write (e.g. status 099): thrown here, it would
        // stop the exporter. The answer cannot be passed on as sent, so the app gets a 502.
        upRes.destroy();
        warnUpstream(up, `an answer that cannot be passed on (status ${status})`);
        sendError(res, 502, 'upstream_invalid_answer', `upstream "${up.name}" sent a status line or header that cannot be passed on`);
        return finish('upstream_error');
      }
      if (streamed) res.flushHeaders();
      const json = !streamed && status < 400 ? new JsonUsageReader(endpoint) : undefined;
      const sse = streamed ? new StreamUsageReader(endpoint) : undefined;
      // Each chunk goes to the app as it arrives; back-pressure from a slow app pauses the upstream.
      upRes.on('data', (chunk: Buffer) => {
        if (!res.write(chunk)) {
          upRes.pause();
          res.once('drain', () => upRes.resume());
        }
        json?.push(chunk);
        sse?.push(chunk);
      });
      const done = (complete: boolean) => {
        sse?.end();
        void (sse?.done ?? Promise.resolve()).then(() => {
          if (json) usage = json.result();
          if (sse) usage = { model: sse.model, inputTokens: sse.inputTokens, outputTokens: sse.outputTokens };
          if (sse?.overflowed) warnUpstream(up, `a streamed event over ${SSE_EVENT_BYTES} bytes: the rest of that answer's usage was not read`);
          // A stream whose events were not all read ends as its connection did.
          const streamOk = !sse || sse.overflowed || sse.completed;
          finish(timedOut ? 'timeout' : !complete ? 'cut' : status >= 400 || sse?.failed ? 'upstream_error' : streamOk ? 'success' : 'cut');
        });
      };
      upRes.on('end', () => res.end(() => done(true)));
      // Cut by the upstream (or by the timeout between chunks): the app's answer is cut too.
      upRes.on('aborted', () => {
        res.destroy();
        done(false);
      });
      upRes.on('error', () => {
        res.destroy();
        done(false);
      });
      res.once('close', () => {
        if (!res.writableFinished) done(false);
      });
    });
    upReq.end(body);
  }
}

class TimeoutError extends Error {
  constructor() {
    super('timeout');
  }
}

function describe(err: NodeJS.ErrnoException): string {
  return err.code ? `${err.code}` : err.message.slice(0, 200);
}

/** The request's `model`, when the body is a JSON object that names one. */
function modelOfRequest(body: Buffer): string | undefined {
  try {
    const v = JSON.parse(body.toString('utf8')) as { model?: unknown } | null;
    return v !== null && typeof v === 'object' && typeof v.model === 'string' && v.model !== '' ? v.model : undefined;
  } catch {
    return undefined;
  }
}

/** A model name as a record's label value (README "HTTP API": bounded, printable). */
function boundedModel(model: string | undefined): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const m = (model ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 256);
  return m === '' ? 'unknown' : m;
}

/** Reads the request body up to `limit` bytes; a longer one is refused as soon as it passes the limit. */
function readBody(req: IncomingMessage, limit: number, done: (err: 'too_large' | 'aborted' | undefined, body?: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > limit) {
      over = true;
      chunks.length = 0;
      done('too_large');
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (!over) done(undefined, Buffer.concat(chunks, size));
  });
  req.on('aborted', () => {
    if (!over) done('aborted');
  });
}
