"""OpenTelemetry tracing, off unless configured (docs/operations.md, "Tracing"): a span for each
HTTP request, one for each GraphQL operation (with its resolvers below it), and one for each SQL
statement, all of one request in one trace.

COPLAB_TRACING picks where spans go: `otlp` (an OpenTelemetry collector over HTTP, configured by
the standard OTEL_EXPORTER_OTLP_* variables; the default when OTEL_EXPORTER_OTLP_ENDPOINT is set),
`console` (standard output), `file` (one JSON object per line in COPLAB_TRACING_FILE), or `off`.
The OpenTelemetry packages are the `tracing` extra; they are imported only when tracing is on.
"""

import logging
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.core.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("coplab.tracing")

# Probes and scrapes would be most of the spans and tell nothing.
UNTRACED_PATHS = ("/metrics", "/health", "/livez", "/readyz")


def provider(settings: Settings) -> "TracerProvider | None":
    """This process's tracer provider for `settings`, or None when tracing is off."""
    if settings.tracing == "off":
        return None
    return _provider(settings.tracing, settings.tracing_file, settings.tracing_sample_ratio)


def requests_only(ratio: float) -> Any:  # noqa: ANN401
    """A trace starts only at a request (a SERVER span), for `ratio` of them; below it, spans follow
    their parent, and a caller's `traceparent` decides for its own requests. Work outside requests
    (the in-process indexer polling its outbox several times a second) starts no trace."""
    from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult, TraceIdRatioBased
    from opentelemetry.trace import SpanKind

    class RequestsOnly(Sampler):
        def __init__(self) -> None:
            self.requests = TraceIdRatioBased(ratio)

        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None):  # noqa: ANN001, ANN201, PLR0913
            if kind is not SpanKind.SERVER:
                return SamplingResult(Decision.DROP)
            return self.requests.should_sample(parent_context, trace_id, name, kind, attributes, links)

        def get_description(self) -> str:
            return f"RequestsOnly{{{ratio}}}"

    return ParentBased(root=RequestsOnly())


@lru_cache
def _provider(exporter: str, path: Path | None, sample_ratio: float) -> "TracerProvider":
    # Imported only when tracing is on: a server without it never loads the SDK.
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    # service.name is "coplab" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise.
    resource = Resource.create({"service.name": "coplab"}).merge(OTELResourceDetector().detect())
    tracer_provider = TracerProvider(resource=resource, sampler=requests_only(sample_ratio))
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter == "console":
        tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    else:  # file: written as each span ends, one line each, appended by every process
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("a", encoding="utf-8")
        tracer_provider.add_span_processor(
            SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + os.linesep))
        )
    log.info("tracing on: spans go to %s", exporter)
    return tracer_provider


def instrument_app(app: "FastAPI", tracer_provider: "TracerProvider") -> None:
    """A server span for every HTTP request but the probes and scrapes."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    excluded = ",".join(f"{path}$" for path in UNTRACED_PATHS)
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=tracer_provider, excluded_urls=excluded, exclude_spans=["receive", "send"]
    )


def instrument_engines(engines: list[Any], tracer_provider: "TracerProvider") -> None:
    """A span for every SQL statement of these engines (asynchronous ones through their sync core).
    SQLAlchemy's instrumentation is one per process: a later application instruments again once
    `stop` has run. Its declared SQLAlchemy range lags behind SQLAlchemy's releases while the event
    hooks it uses stay the same, so the range is not checked (tests/test_tracing.py shows the spans)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(
        engines=[getattr(engine, "sync_engine", engine) for engine in engines],
        tracer_provider=tracer_provider,
        skip_dep_check=True,
    )


def stop(tracer_provider: "TracerProvider") -> None:
    """Send the spans still waiting and stop tracing SQL (as the application stops)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().uninstrument()
    tracer_provider.force_flush()


def _no_arguments(arguments: dict[str, Any], info: Any) -> dict[str, Any]:  # noqa: ANN401
    """Resolver arguments stay out of spans: they may hold passwords, secrets or personal data."""
    return {}


def graphql_extension(settings: Settings) -> Callable[[], Any] | None:
    """strawberry's OpenTelemetry extension for the schema (an operation span named after the
    operation, with parsing, validation and each resolver below it), or None when tracing is off."""
    tracer_provider = provider(settings)
    if tracer_provider is None:
        return None
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return lambda: OpenTelemetryExtension(tracer_provider=tracer_provider, arg_filter=_no_arguments)
