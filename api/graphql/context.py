"""The per-request GraphQL context: session, principal, loaders and request id; `request_context`
builds it for /graphql and for the portal's pages alike."""

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypedDict

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from api.auth.principal import Principal
from api.auth.tokens import InvalidToken
from api.core.logs import organisation_var
from api.graphql.bearer import principal_from_token
from api.graphql.loaders import Loaders
from api.search.backend import SearchBackend
from api.core.settings import Settings
from api.vocabularies.cache import TermCache


class Acting(TypedDict):
    """Who acts and in which transaction: the two keywords every service function takes first."""

    session: AsyncSession
    principal: Principal


@dataclass
class Context(BaseContext):
    session: AsyncSession
    principal: Principal
    loaders: Loaders
    settings: Settings
    request_id: str
    terms: TermCache
    search: SearchBackend
    # The evidence and best-practice indexes, by record type (api/search/records.py).
    record_search: Mapping[str, SearchBackend] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def acting(self) -> Acting:
        """`service.update(**info.context.acting, …)`: the request's session and principal, by name."""
        return Acting(session=self.session, principal=self.principal)


Info = StrawberryInfo[Context, None]

log = logging.getLogger("coplab")


@asynccontextmanager
async def request_context(request: Request, *, token: str | None) -> AsyncIterator[Context]:
    """One database session and one principal (from `token`, or anonymous without one) for a request;
    the session closes with it. /graphql passes the request's bearer token; the portal's pages run
    their operations through the same context, so visibility and limits are the same."""
    state = request.app.state
    async with state.session_factory() as session:
        try:
            principal = await principal_from_token(token, session=session, keys=state.key_cache, settings=state.settings)
        except InvalidToken as error:
            # The details are logged for operators; the client learns what kind of problem it is.
            log.info("rejected bearer token: %s", error)
            raise  # answered by `invalid_token_response`
        organisation_var.set(principal.organisation_id)  # every later log line of the request names it
        await state.term_cache.refresh_if_stale(session=session)
        context = Context(
            session=session,
            principal=principal,
            loaders=Loaders(session=session, principal=principal),
            settings=state.settings,
            request_id=request.scope.get("state", {}).get("request_id") or "-",
            terms=state.term_cache,
            search=state.search,
            record_search=state.record_search,
        )
        context.request = request  # as strawberry's router sets it (the evidence map reads the app's state)
        yield context
