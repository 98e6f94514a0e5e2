"""The per-request GraphQL context: session, principal, loaders and request id."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from api.auth.principal import Principal
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
