"""Relay connections over SQL: keyset pagination, `first` bounded, `totalCount` on demand."""

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry
from strawberry import relay
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError

NodeT = TypeVar("NodeT")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@strawberry.type(name="Connection", description="A page of records and how to get the next one.")
class Connection(relay.Connection[relay.NodeType], Generic[relay.NodeType]):
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many records match, across all pages (only those the caller may see).")
    async def total_count(self) -> int:
        return await self._count()


@dataclass(frozen=True)
class SortKey:
    """A column to order by, with the primary key as tie-breaker in the same direction."""

    column: Any
    descending: bool
    kind: str  # "datetime" | "date" | "str" | "int"


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, (date, datetime)) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode(cursor: str, key: SortKey) -> tuple[Any, int]:
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if value is not None and key.kind == "datetime":
            value = datetime.fromisoformat(value)
        elif value is not None and key.kind == "date":
            value = date.fromisoformat(value)
        if not isinstance(row_id, int):
            raise ValueError
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError("BAD_USER_INPUT", "The `after` cursor is not valid for this list.") from error
    return value, row_id


def check_first(first: int | None) -> int:
    """`first` between 1 and 100 (SECURITY.md 3); otherwise a top-level validation error."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 1 or first > MAX_PAGE_SIZE:
        raise ApiError("BAD_USER_INPUT", f"`first` must be between 1 and {MAX_PAGE_SIZE}.")
    return first


async def paginate(
    *,
    session: AsyncSession,
    statement: sa.Select,
    id_column: Any,
    key: SortKey,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any],
    lock: asyncio.Lock,
) -> Connection:
    """One page of `statement` (already restricted to readable rows) as a connection."""
    size = check_first(first)
    ordered = statement
    if after is not None:
        value, row_id = _decode(after, key)
        op = sa.Column.__lt__ if key.descending else sa.Column.__gt__
        if value is None:
            # Rows without a value come last in either direction, so only they can follow.
            ordered = ordered.where(sa.and_(key.column.is_(None), op(id_column, row_id)))
        else:
            ordered = ordered.where(
                sa.or_(
                    op(key.column, value),
                    sa.and_(key.column == value, op(id_column, row_id)),
                    key.column.is_(None),
                )
            )
    direction = sa.desc if key.descending else sa.asc
    ordered = ordered.order_by(direction(key.column).nulls_last(), direction(id_column)).limit(size + 1)
    async with lock:
        rows = list((await session.exec(ordered)).all())
    has_next = len(rows) > size
    rows = rows[:size]
    key_name = key.column.key
    edges = [
        relay.Edge(cursor=_encode([getattr(row, key_name), row.id]), node=to_node(row)) for row in rows
    ]

    async def count() -> int:
        counted = select(sa.func.count()).select_from(statement.order_by(None).subquery())
        async with lock:
            return (await session.exec(counted)).one()

    return Connection(
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
        _count=count,
    )
