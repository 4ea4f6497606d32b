/**
 * The OTLP messages, from the OpenTelemetry project's own .proto files (exporter/proto, vendored
 * unmodified), loaded by protobufjs: no decoder of ours reads a byte of the wire. protobufjs and
 * the parsed protos (~1.5 MB of heap) are loaded on the first OTLP request, not at start-up: an
 * exporter that never receives OTLP does not keep them resident (README "Performance").
 */
import fs from 'node:fs';
import path from 'node:path';
import type protobuf from 'protobufjs';

/** exporter/proto, from exporter/dist/otlp (and from exporter/src/otlp under ts-jest). */
const PROTO_DIR = path.join(__dirname, '../../proto');

export interface OtlpTypes {
  traceRequest: protobuf.Type;
  traceResponse: protobuf.Type;
  metricsRequest: protobuf.Type;
  metricsResponse: protobuf.Type;
  /** google.rpc.Status, the body of every OTLP/HTTP error answer (code and message; no details). */
  status: protobuf.Type;
}

let loaded: OtlpTypes | undefined;

const PROTO_FILES = ['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto'];

/**
 * Fails at start, as loading the protos there did, when they are not where the exporter looks
 * (an install without exporter/proto), rather than on the first OTLP request.
 */
export function checkOtlpProtos(): void {
  for (const file of PROTO_FILES) {
    const p = path.join(PROTO_DIR, file);
    try {
      fs.accessSync(p, fs.constants.R_OK);
    } catch (err) {
      throw new Error(`cannot read the OTLP proto ${p}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

export function otlpTypes(): OtlpTypes {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pb = require('protobufjs') as typeof protobuf;
  const root = new pb.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  try {
    root.loadSync(PROTO_FILES);
  } catch (err) {
    throw new Error(`cannot load the OTLP protos from ${PROTO_DIR}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // google/rpc/status.proto is not vendored: its two fields we send are declared here.
  root.define('google.rpc').add(new pb.Type('Status').add(new pb.Field('code', 1, 'int32')).add(new pb.Field('message', 2, 'string')));
  root.resolveAll();
  loaded = {
    traceRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    traceResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    metricsRequest: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    metricsResponse: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    status: root.lookupType('google.rpc.Status'),
  };
  return loaded;
}

// ---- the decoded shapes the receiver reads (protobufjs messages; int64 are Long, numbers or strings) ----

export type Int64 = number | string | { toNumber(): number };

export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Int64;
  doubleValue?: number;
}
export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}
export interface Resource {
  attributes?: KeyValue[];
}
export interface Scope {
  name?: string;
  version?: string;
}
export interface Span {
  name?: string;
  startTimeUnixNano?: Int64;
  endTimeUnixNano?: Int64;
  attributes?: KeyValue[];
  status?: { code?: number } | null;
}
export interface TraceRequest {
  resourceSpans?: Array<{ resource?: Resource | null; scopeSpans?: Array<{ scope?: Scope | null; spans?: Span[] }> }>;
}
export interface HistogramPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano?: Int64;
  count?: Int64;
  sum?: number | null;
}
export interface Metric {
  name?: string;
  gauge?: { dataPoints?: unknown[] } | null;
  sum?: { dataPoints?: unknown[] } | null;
  summary?: { dataPoints?: unknown[] } | null;
  histogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number } | null;
  exponentialHistogram?: { dataPoints?: HistogramPoint[]; aggregationTemporality?: number } | null;
}
export interface MetricsRequest {
  resourceMetrics?: Array<{ resource?: Resource | null; scopeMetrics?: Array<{ scope?: Scope | null; metrics?: Metric[] }> }>;
}

/** AGGREGATION_TEMPORALITY_CUMULATIVE (metrics.proto). */
export const CUMULATIVE = 2;
/** STATUS_CODE_ERROR (trace.proto). */
export const STATUS_ERROR = 2;

/** An int64 as a JS number (nanosecond times lose sub-microsecond precision, which no figure uses); NaN when not a number. */
export function toNumber(v: Int64 | null | undefined): number {
  if (v === undefined || v === null) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.trim() === '' ? NaN : Number(v);
  return v.toNumber();
}

/** The seconds between two nanosecond times, exact (int64 arithmetic: as doubles they are only ~256 ns apart). */
export function nsBetweenSeconds(start: Int64 | null | undefined, end: Int64 | null | undefined): number {
  const big = (v: Int64 | null | undefined): bigint => {
    const text = v === undefined || v === null ? '0' : v.toString();
    if (/^\d+$/.test(text)) return BigInt(text);
    const n = Number(text);
    return Number.isFinite(n) ? BigInt(Math.round(n)) : 0n;
  };
  return Number(big(end) - big(start)) / 1e9;
}

/**
 * An attribute's value as a string, number or boolean (arrays, maps and bytes are not used by the
 * mapping). Read through the oneof's name (`value`): protobufjs gives the other members their
 * defaults ("" and 0), so a set member cannot be told from an unset one by its value.
 */
export function attrValue(v: AnyValue | null | undefined): string | number | boolean | undefined {
  switch ((v as { value?: string } | null | undefined)?.value) {
    case 'stringValue':
      return v!.stringValue;
    case 'intValue':
      return toNumber(v!.intValue);
    case 'doubleValue':
      return v!.doubleValue;
    case 'boolValue':
      return v!.boolValue;
    default:
      return undefined;
  }
}

export function attrMap(attrs: KeyValue[] | undefined | null): Map<string, string | number | boolean> {
  const m = new Map<string, string | number | boolean>();
  for (const kv of attrs ?? []) {
    const v = attrValue(kv.value);
    if (v !== undefined && typeof kv.key === 'string') m.set(kv.key, v);
  }
  return m;
}
