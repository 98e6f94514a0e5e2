"""Prometheus metrics: what the application counts, the pools it watches, the readings taken at
scrape time, and `GET /metrics` (docs/operations.md, "Metrics").

One process keeps its counts in prometheus-client's default registry. With several processes
(`coplab serve --workers N`), PROMETHEUS_MULTIPROC_DIR names a directory where every process writes
its own counts and /metrics adds them up; prometheus-client reads that variable when it is first
imported, so it must be set before the processes start (`coplab serve` does).

Labels never hold a raw path, an id or a name the client chose freely: routes are templates,
methods and GraphQL operation names are capped (see `method_label`, `operation_label`).
"""

import asyncio
import hmac
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.openmetrics import exposition as openmetrics_exposition
from sqlalchemy import event
from sqlalchemy.pool import Pool
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.logs import request_id_var
from api.core.settings import Settings

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.137.2 keeps included routes flat
    iter_route_contexts = None

log = logging.getLogger("coplab.metrics")

# Seconds; from a cached read to a large export page.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUEST_SECONDS = Histogram(
    "coplab_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response.",
    ["method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REFUSALS = Counter(
    "coplab_http_refusals",
    "Responses refusing a caller: 401 (no valid credentials), 403 (not allowed), 429 (too many attempts).",
    ["status", "route"],
)
GRAPHQL_OPERATION_SECONDS = Histogram(
    "coplab_graphql_operation_duration_seconds",
    "Time to parse, validate and execute one GraphQL operation.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter(
    "coplab_graphql_errors",
    "GraphQL errors by their code: `errors[].extensions.code` (kind=error) and mutations' `userErrors[].code` (kind=user_error).",
    ["code", "kind"],
)
RATE_LIMITED = Counter(
    "coplab_rate_limited",
    "Attempts refused because their source failed too often (token endpoint, sign-in pages).",
    ["limiter"],
)
DB_POOL_CHECKED_OUT = Gauge(
    "coplab_db_pool_checked_out",
    "Database connections in use, by engine (summed over the server's processes).",
    ["engine"],
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "coplab_db_pool_size",
    "Connections each engine's pool keeps open (summed over the server's processes); overflow comes on top.",
    ["engine"],
    multiprocess_mode="livesum",
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REFUSALS = frozenset({401, 403, 429})
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


# OpenMetrics allows an exemplar 128 characters of label names and values.
EXEMPLAR_ROOM = 128 - len("request_id")


def exemplar() -> dict[str, str] | None:
    """The request being handled, attached to the latency it is observed in: a scrape in OpenMetrics
    shows, per bucket, the id of the latest request that fell in it, to look up in the logs. Kept
    by one process only (prometheus-client's multiprocess mode drops exemplars)."""
    request_id = request_id_var.get()
    return {"request_id": request_id} if request_id and len(request_id) <= EXEMPLAR_ROOM else None


def method_label(method: str) -> str:
    return method if method in METHODS else "OTHER"


# Clients name their operations freely: past this many distinct names in one process, new ones
# are counted as "other", so a client inventing names cannot grow the series without bound.
MAX_OPERATION_NAMES = 500
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A GraphQL operation's name as a label: "anonymous" without one, "invalid" for anything that
    is not a plain name of at most 64 characters, "other" for a new name once MAX_OPERATION_NAMES
    are known."""
    if not name:
        return "anonymous"
    if not OPERATION_NAME.fullmatch(name):
        return "invalid"
    if name not in _operation_names:
        if len(_operation_names) >= MAX_OPERATION_NAMES:
            return "other"
        _operation_names.add(name)
    return name


def matchable_routes(routes: Iterable[BaseRoute]) -> list[Any]:
    """The application's routes, each matchable and knowing its whole template: FastAPI nests the
    routes of an included router, and flattens them with `iter_route_contexts` (from 0.137.2)."""
    return list(iter_route_contexts(list(routes))) if iter_route_contexts is not None else list(routes)


def _template(route: Any) -> str:  # noqa: ANN401
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


def route_label(routes: Iterable[Any], scope: Scope) -> str:
    """The template of the route serving the request ("/oauth/clients/{client_id}"), never the
    path itself; "unmatched" when no route does (404)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return _template(route)
        if match is Match.PARTIAL and partial is None:  # the path, with another method (405)
            partial = _template(route)
    return partial or "unmatched"


# The engines of the application's state, by the label they are reported under.
ENGINES = {"api": "engine", "indexer": "indexer_engine", "sync": "sync_engine"}


def _sync_pool(engine: Any) -> Pool:  # noqa: ANN401
    return getattr(engine, "sync_engine", engine).pool


def watch_pools(state: Any) -> None:  # noqa: ANN401
    """Keep each engine's pool gauges current as connections are checked out and in."""
    for label, attribute in ENGINES.items():
        engine = getattr(state, attribute, None)
        if engine is None:
            continue
        pool = _sync_pool(engine)
        checked_out = DB_POOL_CHECKED_OUT.labels(engine=label)
        event.listen(pool, "checkout", lambda *_, gauge=checked_out: gauge.inc())
        event.listen(pool, "checkin", lambda *_, gauge=checked_out: gauge.dec())
        read_pool(label, pool)


def read_pool(label: str, pool: Pool) -> None:
    """This process's pool as it is now (a QueuePool has a size; SQLite's in-memory pools do not)."""
    if hasattr(pool, "checkedout"):
        DB_POOL_CHECKED_OUT.labels(engine=label).set(pool.checkedout())
    if hasattr(pool, "size"):
        DB_POOL_SIZE.labels(engine=label).set(pool.size())


def read_pools(state: Any) -> None:  # noqa: ANN401
    for label, attribute in ENGINES.items():
        engine = getattr(state, attribute, None)
        if engine is not None:
            read_pool(label, _sync_pool(engine))


class RequestMetrics:
    """ASGI middleware: each HTTP request's latency by method, route template and status class, and
    the refusals. It also sees the application start and stop: the engines exist once startup is
    complete, and then `on_startup(state)` runs (watching the pools, tracing the engines);
    `on_shutdown(state)` runs as the application stops."""

    def __init__(
        self,
        app: ASGIApp,
        on_startup: Iterable[Callable[[Any], None]] = (),
        on_shutdown: Iterable[Callable[[Any], None]] = (),
    ) -> None:
        self.app = app
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)
        self._routes: list[Any] | None = None  # read at the first request, once every route is added

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts
        if self._routes is None:
            self._routes = matchable_routes(scope["app"].routes)
        route = route_label(self._routes, scope)

        async def measured_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, measured_send)
        finally:
            HTTP_REQUEST_SECONDS.labels(
                method=method_label(scope.get("method", "")), route=route, status_class=f"{status // 100}xx"
            ).observe(time.perf_counter() - started, exemplar())
            if status in REFUSALS:
                HTTP_REFUSALS.labels(status=str(status), route=route).inc()

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state

        async def watching_send(message: Message) -> None:
            hooks = {"lifespan.startup.complete": self.on_startup, "lifespan.shutdown.complete": self.on_shutdown}
            for hook in hooks.get(message["type"], []):
                try:
                    hook(state)
                except Exception:
                    log.exception("%s hook failed", message["type"])
            await send(message)

        await self.app(scope, receive, watching_send)


# A reading taken at scrape time: the metric families it reports, from the application's state.
ReadingFunction = Callable[[Any], Awaitable[list[Metric]]]


@dataclass(frozen=True)
class Reading:
    name: str
    read: ReadingFunction


class _Families:
    """A collector of metric families already taken."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


_unfinished: set[asyncio.Task] = set()  # readings that overran their time, kept until they end


def _forget(task: asyncio.Task) -> None:
    _unfinished.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("a metrics reading that timed out failed later: %r", task.exception())


async def take_readings(state: Any, readings: Iterable[Reading], *, timeout: float) -> list[Metric]:  # noqa: ANN401
    """Every reading's families, plus coplab_metrics_reading_up: 1 for a reading taken, 0 for one that
    failed or took longer than `timeout` (its families are then left out; the failure is logged).
    A reading that overruns is left to finish on its own: a database statement or an engine call
    in a thread is not stopped halfway."""
    up = GaugeMetricFamily(
        "coplab_metrics_reading_up", "Whether a reading taken at scrape time succeeded (1) or not (0).", labels=["reading"]
    )
    families: list[Metric] = [up]
    readings = list(readings)
    tasks = [asyncio.ensure_future(reading.read(state)) for reading in readings]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    for reading, task in zip(readings, tasks):
        if not task.done():
            log.warning("metrics reading %s took longer than %s s", reading.name, timeout)
            _unfinished.add(task)
            task.add_done_callback(_forget)
            up.add_metric([reading.name], 0)
        elif task.exception() is not None:
            log.warning("metrics reading %s failed: %r", reading.name, task.exception())
            up.add_metric([reading.name], 0)
        else:
            families.extend(task.result())
            up.add_metric([reading.name], 1)
    return families


def exposition(settings: Settings, families: list[Metric], *, openmetrics: bool = False) -> tuple[bytes, str]:
    """The exposition and its content type: every process's counts (multiprocess mode) or this
    process's, then the readings just taken; in OpenMetrics (with exemplars) when asked for."""
    generate, content_type = (
        (openmetrics_exposition.generate_latest, openmetrics_exposition.CONTENT_TYPE_LATEST)
        if openmetrics
        else (generate_latest, CONTENT_TYPE_LATEST)
    )
    if settings.prometheus_multiproc_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        counted = generate(registry)
    else:
        counted = generate(REGISTRY)
    taken = CollectorRegistry()
    taken.register(_Families(families))
    # An OpenMetrics exposition ends with one "# EOF" line: the first part's goes.
    return counted.removesuffix(b"# EOF\n") + generate(taken), content_type


def wants_openmetrics(request: Request) -> bool:
    return "application/openmetrics-text" in request.headers.get("accept", "")


def authorized(request: Request, token: str) -> bool:
    if not token:
        return True
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode())


def metrics_endpoint(settings: Settings, readings: Iterable[Reading]) -> Callable[[Request], Awaitable[Response]]:
    """GET /metrics: 401 without the token when COPLAB_METRICS_TOKEN is set."""
    readings = list(readings)

    async def metrics(request: Request) -> Response:
        if not authorized(request, settings.metrics_token):
            return Response(
                "A bearer token is required.\n", status_code=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'}
            )
        state = request.app.state
        read_pools(state)
        families = await take_readings(state, readings, timeout=settings.metrics_reading_timeout_seconds)
        body, content_type = exposition(settings, families, openmetrics=wants_openmetrics(request))
        return Response(body, media_type=content_type)

    return metrics


def prepare_multiprocess_directory(given: str | None) -> str:
    """For a server of several processes, before they start: the directory they count in, emptied
    of an earlier run's files (which would add its counts again), or a fresh one when none is given.
    The caller sets PROMETHEUS_MULTIPROC_DIR to it (`coplab serve --workers N`)."""
    if not given:
        return tempfile.mkdtemp(prefix="coplab-metrics-")
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for file in directory.glob("*.db"):
        file.unlink()
    return str(directory)


def process_stopped(settings: Settings) -> None:
    """In multiprocess mode, drop this process's live gauges (its pools) as it stops."""
    if settings.prometheus_multiproc_dir:
        multiprocess.mark_process_dead(os.getpid(), settings.prometheus_multiproc_dir)
