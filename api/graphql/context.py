"""The per-request GraphQL context: session, principal, loaders and request id."""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.fastapi import BaseContext
from strawberry.types import Info as StrawberryInfo

from api.auth.principal import Principal
from api.graphql.loaders import Loaders
from api.search.backend import SearchBackend
from api.core.settings import Settings
from api.vocabularies.cache import TermCache


@dataclass
class Context(BaseContext):
    session: AsyncSession
    principal: Principal
    loaders: Loaders
    settings: Settings
    request_id: str
    terms: TermCache
    search: SearchBackend

    def __post_init__(self) -> None:
        super().__init__()


Info = StrawberryInfo[Context, None]
