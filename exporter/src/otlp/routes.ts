/**
 * POST /v1/traces and /v1/metrics: OTLP/HTTP (README "OpenTelemetry (OTLP)"), protobuf or JSON,
 * optionally gzip. Answers as the OTLP specification says: 200 with an Export*ServiceResponse
 * (partial_success when some GenAI items were rejected), every error with a google.rpc.Status
 * body in the request's encoding, 503 + Retry-After when the ledger refused the records (the
 * exporter's retry then counts nothing twice: nothing of the request was counted).
 */
import zlib from 'node:zlib';
import express, { type Request, type Response } from 'express';
import type protobuf from 'protobufjs';
import { describeValue } from '../config';
import { LEDGER_RETRY_AFTER_SECONDS } from '../http/errors';
import type { IngestService } from '../ingest/ingest-service';
import type { Metrics } from '../metrics/registry';
import { GenAiMapper, type Mapped } from './genai';
import { checkOtlpProtos, otlpTypes, type MetricsRequest, type OtlpTypes, type TraceRequest } from './proto';

export interface OtlpDeps {
  limits: { bodyBytes: number; batchRecords: number };
  otlp: { genAiMetrics: boolean; maxStreams: number };
  checkToken: (header: string | undefined) => boolean;
  ingest: Pick<IngestService, 'recordCalls'>;
  metrics: Pick<Metrics, 'ingestRejected' | 'otlpReceived' | 'otlpIgnored' | 'otlpRejected' | 'otlpEvicted'>;
}

type Encoding = 'protobuf' | 'json';

/** google.rpc.Code values used. */
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const UNIMPLEMENTED = 12;
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;

class OtlpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function otlpRoutes(d: OtlpDeps): express.Router {
  checkOtlpProtos();
  const mapper = new GenAiMapper({
    maxRecords: d.limits.batchRecords,
    useMetrics: d.otlp.genAiMetrics,
    maxStreams: d.otlp.maxStreams,
    onEvict: () => d.metrics.otlpEvicted.inc(),
  });
  const router = express.Router();
  const route = (signal: 'traces' | 'metrics', pick: (t: OtlpTypes) => [request: protobuf.Type, response: protobuf.Type], map: (msg: never) => Mapped) => {
    router.post(`/v1/${signal}`, async (req: Request, res: Response) => {
      // Loaded on the first OTLP request (proto.ts); a failure to load is a server error, not an OtlpError.
      const types = otlpTypes();
      const [request, response] = pick(types);
      // Every answer, errors before the body is read (401) included, is in the request's encoding
      // (README "OpenTelemetry (OTLP)"); JSON when the content type is neither.
      let encoding: Encoding = encodingOf(req.headers['content-type']) ?? 'json';
      try {
        if (!d.checkToken(req.headers.authorization)) {
          res.setHeader('WWW-Authenticate', 'Bearer realm="runboard"');
          throw new OtlpError(
            401,
            UNAUTHENTICATED,
            'unauthorized',
            req.headers.authorization ? 'invalid API token' : 'missing API token: send "Authorization: Bearer <token>" (OTEL_EXPORTER_OTLP_HEADERS)',
          );
        }
        encoding = mediaType(req.headers['content-type']);
        const body = await readBody(req, d.limits.bodyBytes);
        let msg: protobuf.Message;
        try {
          msg = encoding === 'protobuf' ? request.decode(body) : request.fromObject(jsonObject(body));
        } catch (err) {
          throw new OtlpError(
            400,
            INVALID_ARGUMENT,
            'invalid_otlp',
            `body is not a valid OTLP ${request.name} in ${encoding === 'protobuf' ? 'protobuf' : 'JSON'}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        const mapped = map(msg as never);
        const refused = d.ingest.recordCalls(mapped.records, 'otlp');
        if (refused) {
          res.setHeader('Retry-After', String(LEDGER_RETRY_AFTER_SECONDS));
          throw new OtlpError(503, UNAVAILABLE, refused.code, refused.message);
        }
        mapped.commit();
        if (mapped.received > 0) d.metrics.otlpReceived.inc({ signal }, mapped.received);
        if (mapped.ignoredNotGenAi > 0) d.metrics.otlpIgnored.inc({ signal, reason: 'not_genai' }, mapped.ignoredNotGenAi);
        if (mapped.ignoredSpansPreferred > 0) d.metrics.otlpIgnored.inc({ signal, reason: 'spans_preferred' }, mapped.ignoredSpansPreferred);
        if (mapped.ignoredInMetrics > 0) d.metrics.otlpIgnored.inc({ signal, reason: 'counted_in_metrics' }, mapped.ignoredInMetrics);
        if (mapped.rejected > 0) d.metrics.otlpRejected.inc({ signal }, mapped.rejected);
        const partial =
          mapped.rejected > 0
            ? { partialSuccess: { [signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints']: mapped.rejected, errorMessage: mapped.reasons.join('; ').slice(0, 2000) } }
            : {};
        send(res, 200, encoding, response, partial);
      } catch (err) {
        if (!(err instanceof OtlpError)) throw err;
        d.metrics.ingestRejected.inc({ reason: err.reason });
        send(res, err.status, encoding, types.status, { code: err.code, message: err.message });
      }
    });
  };
  route(
    'traces',
    (t) => [t.traceRequest, t.traceResponse],
    (m: TraceRequest) => mapper.traces(m),
  );
  route(
    'metrics',
    (t) => [t.metricsRequest, t.metricsResponse],
    (m: MetricsRequest) => mapper.metrics(m),
  );
  return router;
}

/** The OTLP/HTTP encoding a Content-Type names (parameters such as charset aside), if any. */
function encodingOf(header: string | undefined): Encoding | undefined {
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/** The OTLP/HTTP encodings (application/x-protobuf, application/json); 415 otherwise. */
function mediaType(header: string | undefined): Encoding {
  const encoding = encodingOf(header);
  if (encoding) return encoding;
  const type = (header ?? '').split(';')[0].trim().toLowerCase();
  throw new OtlpError(415, INVALID_ARGUMENT, 'unsupported_media_type', `Content-Type must be application/x-protobuf or application/json, not "${type.slice(0, 100)}"`);
}

/**
 * The request body, inflated when gzip. Both the bytes read and the bytes inflated are bounded by
 * limits.bodyBytes: inflating stops at the limit (zlib's maxOutputLength), so a gzip bomb costs
 * at most that much memory.
 */
async function readBody(req: Request, limit: number): Promise<Buffer> {
  // An empty Content-Encoding names no coding: the body is as sent.
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase() || 'identity';
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new OtlpError(415, UNIMPLEMENTED, 'unsupported_encoding', `Content-Encoding must be gzip or identity, not "${encoding.slice(0, 100)}"`);
  }
  const tooLarge = () => new OtlpError(413, RESOURCE_EXHAUSTED, 'body_too_large', `request body is larger than the limit of ${limit} bytes (limits.bodyBytes)`);
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    refuseRest(req);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        refuseRest(req);
        return reject(tooLarge());
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', () => reject(new OtlpError(400, INVALID_ARGUMENT, 'request_aborted', 'request body was cut short')));
  });
  if (encoding === 'identity') return raw;
  return new Promise<Buffer>((resolve, reject) => {
    zlib.gunzip(raw, { maxOutputLength: limit }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return reject(tooLarge());
      reject(new OtlpError(400, INVALID_ARGUMENT, 'invalid_gzip', `body is not valid gzip: ${err.message}`));
    });
  });
}

/**
 * An OTLP/JSON body: one JSON object (an Export*ServiceRequest). protobufjs's fromObject would
 * take an array or another value as an empty request and answer 200 to what is not OTLP.
 */
function jsonObject(body: Buffer): Record<string, unknown> {
  const value: unknown = JSON.parse(body.toString('utf8'));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected a JSON object, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/** What is left of a refused body is read and dropped, and the connection closed after the answer. */
function refuseRest(req: Request): void {
  req.res?.setHeader('Connection', 'close');
  req.resume();
}

function send(res: Response, status: number, encoding: Encoding, type: protobuf.Type, body: Record<string, unknown>): void {
  const msg = type.fromObject(body);
  if (encoding === 'protobuf') {
    res
      .status(status)
      .type('application/x-protobuf')
      .send(Buffer.from(type.encode(msg).finish()));
  } else {
    res
      .status(status)
      .type('application/json')
      .send(JSON.stringify(type.toObject(msg, { longs: String })));
  }
}
