"""Traces over OTLP/HTTP, when OTEL_EXPORTER_OTLP_ENDPOINT names a collector.

Without it nothing here runs: no SDK is set up, FastAPI's own telemetry is switched
off and the database and mail spans are not made, so tracing costs nothing.

With it, the app has a tracer provider of its own (not the process-wide one, which
can be set only once) that batches spans to `<endpoint>/v1/traces`:
- the server span of each request, made by FastAPI and named by its method and route
  template (`GET /api/v1/items/{item_id}`), joining the caller's trace when the request
  carries a W3C `traceparent`;
- a span per database round trip (psycopg's instrumentation, on each connection the
  pool makes);
- a span around each run of a job (`job_span`), in the trace of the request that
  queued it: the job carries that request's W3C `traceparent` (`job_traceparent`),
  so an email's database and SMTP spans show under the request that asked for it;
- a span around each email handed to SMTP (`smtp_span`).

OpenTelemetry's own variables apply: `OTEL_SERVICE_NAME` (the project name otherwise),
`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`
(every request by default), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from app.core.config import Settings

# FastAPI's telemetry when tracing is off: none at all.
OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "auto_configure": False,
}

# The tracer of the app (or worker) that is running with tracing on, for spans made
# outside FastAPI and the pool (jobs, mail). One app serves per process.
_tracer: Tracer | None = None
_W3C = TraceContextTextMapPropagator()


class Tracing:
    def __init__(self, settings: Settings) -> None:
        # The SDK is imported only here: with tracing off it is not even loaded.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )
        from opentelemetry.sdk.resources import (
            SERVICE_NAME,
            OTELResourceDetector,
            Resource,
        )
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        assert settings.OTEL_EXPORTER_OTLP_ENDPOINT is not None
        endpoint = str(settings.OTEL_EXPORTER_OTLP_ENDPOINT).rstrip("/")
        resource = Resource.create({SERVICE_NAME: settings.PROJECT_NAME}).merge(
            OTELResourceDetector().detect()  # OTEL_SERVICE_NAME, when set, wins
        )
        self.provider: TracerProvider = TracerProvider(resource=resource)
        self.provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
        )
        self.tracer = self.provider.get_tracer("app")

    def fastapi_telemetry(self) -> TelemetryConfig:
        """Server spans from FastAPI itself, on this provider; its metrics and logs
        stay off (the app has its own)."""
        return {
            "tracer_provider": self.provider,
            "tracing": True,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }

    def instrument_connection(self, connection: Any) -> None:
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

        PsycopgInstrumentor.instrument_connection(
            connection, tracer_provider=self.provider
        )

    def activate(self) -> None:
        global _tracer
        _tracer = self.tracer

    def shutdown(self) -> None:
        """Send what is batched, then stop."""
        global _tracer
        if _tracer is self.tracer:
            _tracer = None
        self.provider.shutdown()


@contextmanager
def smtp_span(host: str, port: int) -> Iterator[None]:
    """A client span around handing one email to SMTP, when tracing is on."""
    if _tracer is None:
        yield
        return
    attributes: dict[str, str | int] = {"server.address": host, "server.port": port}
    with _tracer.start_as_current_span(
        "smtp send", kind=SpanKind.CLIENT, attributes=attributes
    ):
        yield


def job_traceparent() -> str | None:
    """The current span as a W3C `traceparent`, for a job queued now to carry; None
    when tracing is off or no span is current."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def job_span(
    task: str, *, queue: str, job_id: int, traceparent: str | None
) -> Iterator[None]:
    """A consumer span around one run of a job, when tracing is on: a child of the
    span that queued it (`traceparent`), else the root of a trace of its own."""
    if _tracer is None:
        yield
        return
    parent = _W3C.extract({"traceparent": traceparent}) if traceparent else None
    attributes: dict[str, str] = {
        "messaging.system": "procrastinate",
        "messaging.operation.type": "process",
        "messaging.destination.name": queue,
        "messaging.message.id": str(job_id),
    }
    with _tracer.start_as_current_span(
        f"process {task}", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ):
        yield
