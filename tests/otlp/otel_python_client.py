"""An app instrumented with the OpenTelemetry Python SDK, sending GenAI telemetry to Runboard.

Configured only by OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS (the exporters read
them), as README "OpenTelemetry (OTLP)" shows. argv[1] is a JSON plan:
{"service", "provider", "model", "old": bool, "spans": [call], "metric_batches": [[call]]}
with call = {"input", "output", "seconds", "failed"?}. Metrics are cumulative (the SDK default),
one export per batch.
"""
import json
import sys
import time

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

plan = json.loads(sys.argv[1])
resource = Resource.create({"service.name": plan["service"]})


def names(call):
    if plan.get("old"):
        # v1.36-and-earlier conventions (gen_ai.system; prompt/completion tokens up to v1.26).
        return {"gen_ai.system": plan["provider"], "gen_ai.request.model": plan["model"]}
    return {"gen_ai.operation.name": "chat", "gen_ai.provider.name": plan["provider"], "gen_ai.response.model": plan["model"]}


if plan.get("spans"):
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
    tracer = tp.get_tracer("genai-test")
    t0 = time.time_ns() - 60_000_000_000
    for i, c in enumerate(plan["spans"]):
        attrs = dict(names(c))
        if plan.get("old"):
            attrs.update({"gen_ai.usage.prompt_tokens": c["input"], "gen_ai.usage.completion_tokens": c["output"]})
        else:
            attrs.update({"gen_ai.usage.input_tokens": c["input"], "gen_ai.usage.output_tokens": c["output"]})
        start = t0 + i * 1_000_000_000
        span = tracer.start_span("chat " + plan["model"], kind=SpanKind.CLIENT, start_time=start, attributes=attrs)
        if c.get("failed"):
            span.set_attribute("error.type", "timeout")
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=start + int(c["seconds"] * 1e9))
    tracer.start_span("GET /health").end()
    tp.shutdown()

if plan.get("metric_batches"):
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=3_600_000)
    mp = MeterProvider(resource=resource, metric_readers=[reader])
    meter = mp.get_meter("genai-test")
    tokens = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    other = meter.create_counter("app.jobs")
    for batch in plan["metric_batches"]:
        for c in batch:
            attrs = names(c)
            if not c.get("failed"):
                tokens.record(c["input"], {**attrs, "gen_ai.token.type": "input"})
                tokens.record(c["output"], {**attrs, "gen_ai.token.type": "output"})
            duration.record(c["seconds"], {**attrs, "error.type": "timeout"} if c.get("failed") else attrs)
            other.add(1)
        if not reader.force_flush():
            sys.exit("metric export failed")
    mp.shutdown()
