/**
 * An app instrumented with the OpenTelemetry JS SDK, sending GenAI telemetry to the exporter over
 * OTLP/HTTP. Run as its own process (the SDK's exporters load their transport with a dynamic
 * import, which jest's module sandbox refuses). argv[2] is a JSON plan:
 * { signal: 'traces'|'metrics', protocol: 'proto'|'json', temporality?: 'delta'|'cumulative',
 *   url?, token? (else OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS from the environment),
 *   service, provider, model, old?: boolean (v1.36-and-earlier attribute names),
 *   batches: [[{ input, output, seconds, failed? }, ...], ...] (metrics: one export per batch),
 *   startAt?: ms since the epoch (spans: the calls start there 1 ms apart; else a minute ago, 1 s apart) }
 */
const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');

const plan = JSON.parse(process.argv[2]);
const options = plan.url ? { url: `${plan.url}/v1/${plan.signal}`, headers: { Authorization: `Bearer ${plan.token}` } } : {};
const resource = resourceFromAttributes({ 'service.name': plan.service });
const calls = plan.batches.flat();

function attributes(c, forMetric) {
  const a = plan.old
    ? { 'gen_ai.system': plan.provider, 'gen_ai.request.model': plan.model }
    : { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': plan.provider, 'gen_ai.request.model': forMetric ? plan.model : 'alias', 'gen_ai.response.model': plan.model };
  if (forMetric) return a;
  if (plan.old) return { ...a, 'gen_ai.usage.prompt_tokens': c.input, 'gen_ai.usage.completion_tokens': c.output };
  return { ...a, 'gen_ai.usage.input_tokens': c.input, 'gen_ai.usage.output_tokens': c.output };
}

async function traces() {
  const { OTLPTraceExporter } = require(plan.protocol === 'json' ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto');
  const tp = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter(options))] });
  const tracer = tp.getTracer('genai-test');
  const t0 = plan.startAt ?? Date.now() - 60_000;
  const gap = plan.startAt ? 1 : 1000;
  calls.forEach((c, i) => {
    const start = t0 + i * gap;
    const span = tracer.startSpan(`chat ${plan.model}`, { kind: SpanKind.CLIENT, startTime: start, attributes: attributes(c, false) });
    if (c.failed) {
      if (plan.old) span.setStatus({ code: SpanStatusCode.ERROR });
      else span.setAttribute('error.type', 'timeout');
    }
    span.end(start + c.seconds * 1000);
  });
  // A span of the app that is not a GenAI call: accepted and ignored.
  tracer.startSpan('GET /health').end();
  await tp.forceFlush();
  await tp.shutdown();
}

async function metrics() {
  const mod = require(plan.protocol === 'json' ? '@opentelemetry/exporter-metrics-otlp-http' : '@opentelemetry/exporter-metrics-otlp-proto');
  const { AggregationTemporalityPreference } = require('@opentelemetry/exporter-metrics-otlp-http');
  const temporalityPreference = plan.temporality === 'delta' ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE;
  const reader = new PeriodicExportingMetricReader({ exporter: new mod.OTLPMetricExporter({ ...options, temporalityPreference }), exportIntervalMillis: 3_600_000 });
  const mp = new MeterProvider({ resource, readers: [reader] });
  const meter = mp.getMeter('genai-test');
  const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's' });
  const other = meter.createCounter('app.jobs');
  for (const batch of plan.batches) {
    for (const c of batch) {
      const a = attributes(c, true);
      // As instrumentations do: token usage of a failed call is unknown, its duration has error.type.
      if (!c.failed) {
        tokens.record(c.input, { ...a, 'gen_ai.token.type': 'input' });
        tokens.record(c.output, { ...a, 'gen_ai.token.type': 'output' });
      }
      duration.record(c.seconds, c.failed ? { ...a, 'error.type': 'timeout' } : a);
      other.add(1);
    }
    await reader.forceFlush();
  }
  await mp.shutdown();
}

(plan.signal === 'traces' ? traces() : metrics()).then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
