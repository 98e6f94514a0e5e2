"""The operators' view of the application: Prometheus metrics at /metrics and OpenTelemetry
tracing (docs/operations.md, "Metrics" and "Tracing"). `install` wires both into the app."""

import logging
from typing import Any

from fastapi import FastAPI

from api.core import metrics, tracing
from api.core.settings import Settings
from api.search.metrics import READINGS

log = logging.getLogger("coplab.metrics")

# The engines whose statements are traced: the requests'. The in-process indexer's engine is left
# out: it polls the outbox several times a second, and each poll would be a trace of its own.
TRACED_ENGINES = ("engine", "sync_engine")


def _traced_engines(state: Any) -> list[Any]:  # noqa: ANN401
    return [engine for name in TRACED_ENGINES if (engine := getattr(state, name, None)) is not None]


def install(app: FastAPI, settings: Settings) -> None:
    """/metrics when enabled, the request metrics (and the pools watched once the engines exist),
    and tracing when configured. Call it before the middleware that should see requests first."""
    if settings.metrics_enabled:
        if settings.is_production and not settings.metrics_token:
            log.warning("/metrics is served without COPLAB_METRICS_TOKEN: keep it off the public internet")
        app.add_api_route(
            "/metrics", metrics.metrics_endpoint(settings, READINGS), methods=["GET"], include_in_schema=False
        )
    on_startup = [metrics.watch_pools]
    on_shutdown = [lambda state: metrics.process_stopped(settings)]
    tracer_provider = tracing.provider(settings)
    if tracer_provider is not None:
        tracing.instrument_app(app, tracer_provider)
        on_startup.append(lambda state: tracing.instrument_engines(_traced_engines(state), tracer_provider))
        on_shutdown.append(lambda state: tracing.stop(tracer_provider))
    app.add_middleware(metrics.RequestMetrics, on_startup=on_startup, on_shutdown=on_shutdown)
