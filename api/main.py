"""create_app(): the FastAPI application, its lifespan, and the routes under it."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any
from contextlib import asynccontextmanager

from cross_web import HTTPException as GraphQLHTTPException  # what strawberry's router turns into a 400
from fastapi import FastAPI, Request
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.middleware.cors import CORSMiddleware
from strawberry.fastapi import GraphQLRouter
from strawberry.http.parse_content_type import parse_content_type

from api import migrations, observability
from api.core import health, log_redaction
from api.auth import keys as signing_keys
from api.graphql.bearer import bearer_token, invalid_token_response
from api.auth.key_encryption import KeyEncryption
from api.auth.keys import KeyCache
from api.auth.tokens import InvalidToken
from api.graphql.context import Context, request_context
from api.core.db import create_engine, create_sync_engine, pool_options, session_factory, transaction
from api.exports.routes import exports_router
from api.maps.routes import maps_router
from api.core.middleware import BodySizeLimit, GraphQLRequestBody, RequestId
from api.oauth.limits import GuessingLimits
from api.oauth.routes import router as oauth_router
from api.organisations.pages import router as account_router
from api.portal_sessions import store as portal_sessions
from api.portal.admin import router as portal_admin_router
from api.portal.contribute import router as portal_contribute_router
from api.portal.member_routes import router as portal_member_router
from api.portal.review import router as portal_review_router
from api.portal.routes import router as portal_router
from api.portal.routes import unknown_address as portal_unknown_address
from api.core.pages import graphiql
from api.schema import build_schema
from api.search.engines import create_backend
from api.search.records import create_backends as create_record_backends
from api.search.indexer import SearchProgress, run_indexer, wait_until_built
from api.search.indexer import readiness as search_readiness
from api.core.settings import Settings, settings_or_exit
from api.vocabularies.cache import TermCache
from api.webhooks.worker import WorkerState, run_worker

log = logging.getLogger("coplab")


async def get_context(request: Request) -> AsyncIterator[Context]:
    """/graphql's context: the request's bearer token (or none) through `request_context`, which the
    portal's pages share."""
    async with request_context(request, token=bearer_token(request)) as context:
        yield context


REQUEST_FIELDS = {"query": str, "operationName": str, "variables": dict, "extensions": dict}


def check_request_shape(data: object) -> None:
    """A 400 for JSON that is not a GraphQL request (or a batch of them), before strawberry reads it:
    strawberry assumes objects and answered 500 to `[1]` or `"text"`."""
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            raise GraphQLHTTPException(
                400, "The body must be a GraphQL request: a JSON object with a `query` string, or a list of them."
            )
        for name, kind in REQUEST_FIELDS.items():
            if item.get(name) is not None and not isinstance(item[name], kind):
                raise GraphQLHTTPException(400, f"`{name}` must be {'a string' if kind is str else 'an object'}.")


class GraphQLEndpoint(GraphQLRequestBody, GraphQLRouter):
    """strawberry's router with the request body's shape checked first."""

    async def parse_http_body(self, request):  # noqa: ANN001, ANN201
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method == "POST" and "application/json" in content_type:
            check_request_shape(self.parse_json(await request.get_body()))  # the body is read once, then cached
        return await super().parse_http_body(request)

    async def render_graphql_ide(self, request):  # noqa: ANN001, ANN201
        return graphiql.page(request)


def tune_garbage_collector(*, young_threshold: int) -> None:
    """Keep the long-lived startup heap (modules, schema, ORM mappers, caches) out of collections.

    A page of 50 nested initiatives allocates tens of thousands of short-lived objects, so full
    collections came often, and each walked the whole startup heap: the slowest 5% of pages took
    more than twice the median. Frozen objects are never traversed again; the larger
    youngest-generation threshold makes the cheap collections less frequent too.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, oldest)


async def portal_client(state: Any, settings: Settings) -> portal_sessions.Credentials | None:  # noqa: ANN401
    """The portal's client credentials, registering the client if no process has yet; a process that
    loses the race to register it reads the winner's. None on a database behind the code's
    migrations (the process starts and reports itself not ready): sign-in registers it once the
    database is upgraded, as it does when there is no secretariat yet."""
    for attempt in range(2):
        try:
            async with transaction(state.session_factory) as session:
                return await portal_sessions.credentials(session, encryption=state.key_encryption, issuer=settings.issuer)
        except IntegrityError:
            if attempt:
                raise
        except DBAPIError:
            log.warning("the portal's OAuth client is not registered yet: the database is behind the code's migrations")
            return None
    return None


def create_app(settings: Settings | None = None) -> FastAPI:
    """The coplab application for `settings` (the environment's by default: refused ones stop the
    process with one line a problem, as `uvicorn api.main:create_app --factory` runs it)."""
    settings = settings or settings_or_exit()
    log_redaction.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url,
            **pool_options(
                settings.database_url,
                size=settings.db_pool_size,
                overflow=settings.db_max_overflow,
                statement_timeout_seconds=settings.db_statement_timeout_seconds,
            ),
        )
        app.state.engine = engine
        # Authlib's grant logic is synchronous: it runs in worker threads with sessions of this engine.
        app.state.sync_engine = create_sync_engine(settings.database_url)
        app.state.session_factory = session_factory(engine)
        async with app.state.session_factory() as session:
            await app.state.term_cache.refresh_if_stale(session=session)
        async with transaction(app.state.session_factory) as session:
            # So the published key set is never empty; a key the configured encryption keys do not open
            # stops the start here (`coplab serve` checks it first, and says so in one line).
            await signing_keys.active_key(session=session, encryption=app.state.key_encryption)
        # The portal's own OAuth client, registered by the first process to start (docs/portal.md).
        app.state.portal_credentials = await portal_client(app.state, settings)
        indexer = stop_indexer = None
        # An embedded index lives in this process: only this process can keep it current.
        if settings.search_indexer_in_process or app.state.search.name == "embedded":
            # Its own engine (and pool): background indexing never waits for, nor counts among, requests' connections.
            app.state.indexer_engine = create_engine(
                settings.database_url,
                **pool_options(
                    settings.database_url,
                    size=settings.db_indexer_pool_size,
                    overflow=0,
                    statement_timeout_seconds=settings.db_statement_timeout_seconds,
                ),
            )
            app.state.indexer_session_factory = session_factory(app.state.indexer_engine)
            stop_indexer = asyncio.Event()
            indexer = asyncio.create_task(run_indexer(app.state, stop_indexer), name="coplab-search-indexer")
            if settings.search_build_before_serving and app.state.search.name == "embedded":
                # The server takes connections once the lifespan has started: not before the index is built.
                await wait_until_built(app.state.search_progress, indexer)
        webhooks = stop_webhooks = None
        if settings.webhook_worker_in_process:
            # Its own small pool too: deliveries never wait for, nor count among, requests' connections.
            app.state.webhook_engine = create_engine(
                settings.database_url,
                **pool_options(
                    settings.database_url,
                    size=2,
                    overflow=0,
                    statement_timeout_seconds=settings.db_statement_timeout_seconds,
                ),
            )
            worker = WorkerState(settings, session_factory(app.state.webhook_engine), app.state.key_encryption)
            stop_webhooks = asyncio.Event()
            webhooks = asyncio.create_task(run_worker(worker, stop_webhooks), name="coplab-webhooks")
        if settings.tune_gc:
            tune_garbage_collector(young_threshold=settings.gc_young_threshold)
        yield
        # From here /readyz answers 503 (docs/operations.md, Health probes).
        app.state.shutting_down = True
        if indexer is not None and stop_indexer is not None:
            stop_indexer.set()
            try:
                await asyncio.wait_for(indexer, timeout=10)
            except TimeoutError:
                log.warning("search indexer did not stop within 10 s; cancelled")
            await app.state.indexer_engine.dispose()
        if webhooks is not None and stop_webhooks is not None:
            stop_webhooks.set()
            try:
                # The batch under way finishes: each attempt is bounded by the webhook timeout.
                await asyncio.wait_for(webhooks, timeout=settings.webhook_timeout_seconds + 10)
            except TimeoutError:
                log.warning("webhook worker did not stop in time; cancelled (its leases lapse by themselves)")
            await app.state.webhook_engine.dispose()
        await engine.dispose()
        app.state.sync_engine.dispose()

    app = FastAPI(
        title="coplab",
        description="The registry of the Children Online Protection Lab.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load from a CDN; docs/api.md says where the HTTP routes are described
        redoc_url=None,
        openapi_url=None if settings.is_production else "/openapi.json",
    )
    app.state.settings = settings
    app.state.shutting_down = False
    # What /readyz checks, in order (docs/operations.md, Health probes). Each is an async callable
    # taking the app and returning (ok, short reason); a check that raises or takes longer than
    # COPLAB_READINESS_TIMEOUT_SECONDS fails. "search": the index built and caught up with the change log.
    app.state.readiness_checks = health.readiness_checks(
        ("database", health.database_reachable),
        ("migrations", lambda app: migrations.at_head(app.state.engine)),
        ("shutdown", health.not_shutting_down),
        ("search", search_readiness),
    )
    app.add_exception_handler(InvalidToken, invalid_token_response)
    # A browser asking for an address nothing serves gets the portal's 404 page, not JSON.
    app.add_exception_handler(StarletteHTTPException, portal_unknown_address)
    app.state.key_cache = KeyCache()
    app.state.key_encryption = KeyEncryption.of(settings.key_encryption_keys)
    app.state.term_cache = TermCache()
    app.state.search = create_backend(settings)
    app.state.record_search = create_record_backends(settings)  # evidence and best practices
    app.state.search_progress = SearchProgress()
    app.state.token_failures = GuessingLimits.of(
        kind="token",
        limit=settings.token_failure_limit,
        source_limit=settings.token_source_failure_limit,
        window_seconds=settings.token_failure_window_seconds,
    )
    app.state.sign_in_failures = GuessingLimits.of(
        kind="sign_in",
        limit=settings.sign_in_failure_limit,
        source_limit=settings.sign_in_source_failure_limit,
        window_seconds=settings.sign_in_failure_window_seconds,
    )
    # The portal's pages run their operations through this same schema (api/portal/operations.py).
    app.state.schema = build_schema(settings)
    graphql = GraphQLEndpoint(
        app.state.schema,
        context_getter=get_context,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
    )
    app.include_router(graphql, prefix="/graphql")
    if not settings.is_production:
        graphiql.mount_assets(app)
    app.include_router(oauth_router)
    app.include_router(account_router)
    app.include_router(maps_router())
    app.include_router(exports_router(settings))
    app.include_router(portal_router)  # in every environment, with its own files (not GraphiQL's /static)
    app.include_router(portal_member_router)  # sign-in, sign-out and the members' pages
    app.include_router(portal_contribute_router)  # the contributors' forms
    app.include_router(portal_review_router)  # the reviewer's pages
    app.include_router(portal_admin_router)  # an organisation's administration

    @app.get("/.well-known/jwks.json", include_in_schema=False)
    async def jwks(request: Request) -> dict:
        """The public keys that verify this server's access tokens."""
        async with request.app.state.session_factory() as session:
            key_set = await signing_keys.public_key_set(session=session)
        return key_set.as_dict(private=False)

    app.include_router(health.router)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    observability.install(app, settings)  # /metrics, request metrics, tracing (docs/operations.md)
    app.add_middleware(RequestId)
    return app
