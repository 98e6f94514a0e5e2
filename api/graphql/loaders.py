"""Per-request DataLoaders: one batch query per kind of lookup, whatever the page size."""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from api.auth.principal import Principal
from api.graphql.ids import node_ints

BatchFn = Callable[..., Awaitable[Sequence[Any]]]
Value = TypeVar("Value")
Result = TypeVar("Result")


class Loaders:
    """Creates each DataLoader on first use and keeps it for the rest of the request."""

    def __init__(self, *, session: AsyncSession, principal: Principal) -> None:
        self._session = session
        self._principal = principal
        self._loaders: dict[BatchFn, DataLoader] = {}
        # One AsyncSession allows one statement at a time; loaders of sibling fields dispatch together.
        self.lock = asyncio.Lock()

    def __call__(self, batch: BatchFn) -> DataLoader:
        """The loader for `batch(keys, *, session, principal)`."""
        loader = self._loaders.get(batch)
        if loader is None:

            async def load(keys: list[Hashable]) -> Sequence[Any]:
                async with self.lock:
                    return await batch(keys, session=self._session, principal=self._principal)

            loader = DataLoader(load_fn=load)
            self._loaders[batch] = loader
        return loader

    def resolve(self, batch: BatchFn, key: Hashable, convert: Callable[[Value], Result]) -> Result | Awaitable[Result]:
        """`convert` of the value `batch` loads for `key`, for a field resolver to return.

        When the value is already loaded (a page prefetched it, or a sibling field asked first) the answer comes
        back at once, so graphql-core completes the field without scheduling a task: that per-field task is
        most of what a nested page costs. Otherwise the resolver hands back an awaitable, as an async one would.
        """
        pending = self(batch).load(key)
        if isinstance(pending, asyncio.Future) and pending.done():
            return convert(pending.result())

        async def when_loaded() -> Result:
            return convert(await pending)

        return when_loaded()

    def clear(self) -> None:
        """Forget cached values (after a mutation changed what they hold)."""
        for loader in self._loaders.values():
            loader.clear_all()


async def load_nodes(info: Any, node_ids: Sequence[str], loader: Callable, build: Callable) -> list[Any]:  # noqa: ANN401
    """`resolve_nodes` of a record type read through one batch loader: a node per id, None for an id
    that names no record the caller may read. `build(row, term_cache)` makes the GraphQL object."""
    rows = await info.context.loaders(loader).load_many([i or 0 for i in node_ints(node_ids)])
    return [build(r, info.context.terms) if r is not None else None for r in rows]


def load_one(info: Any, loader: Callable, row_id: int | None, build: Callable) -> Any:  # noqa: ANN401
    """A related record as a field shows it, through the request's batch loader: `build(row,
    term_cache)`, or None when there is no such record."""
    return info.context.loaders.resolve(
        loader, row_id, lambda row: build(row, info.context.terms) if row is not None else None
    )
