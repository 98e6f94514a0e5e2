"""Relay connections over SQL: keyset pagination, `first` bounded, `totalCount` on demand.

The bound on `first` is `Settings.max_page_size` (COPLAB_MAX_PAGE_SIZE), the one page-size limit of
every list and of search's `hitsPerPage`.

A cursor is base64url of JSON `[order, value, row id]`; one this server could not have issued for
the list and order it is given to (not base64 or JSON, another shape, a value of the wrong type or
text no database holds, a row id past 2^31-1, another order's cursor) is a top-level INVALID_CURSOR error, never a query.
"""

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
import strawberry
from graphql import ExecutionResult, FieldNode, GraphQLError, IntValueNode, TypeInfo, TypeInfoVisitor, VariableNode, Visitor, visit
from graphql.utilities import get_operation_ast
from strawberry import relay
from strawberry.extensions import SchemaExtension
from sqlmodel import select

from api.core.ordering import SortKey
from api.core.validation import storable
from api.graphql.context import Info
from api.graphql.errors import ApiError
from api.graphql.ids import MAX_ROW_ID

NodeT = TypeVar("NodeT")
DEFAULT_PAGE_SIZE = 20


@strawberry.type(name="Connection", description="A page of records and how to get the next one.")
class Connection(relay.Connection[relay.NodeType], Generic[relay.NodeType]):
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many records match, across all pages (only those the caller may see).")
    async def total_count(self) -> int:
        return await self._count()


MAX_CURSOR_LENGTH = 2000  # a title of 500 characters, escaped and encoded, fits well within


def _order(key: SortKey) -> str:
    return f"{key.column.key}:{'desc' if key.descending else 'asc'}"


def _encode(key: SortKey, values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, (date, datetime)) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps([_order(key), *plain], separators=(",", ":")).encode()).decode()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ROW_ID


def _value(value: Any, kind: str) -> Any:
    """The sort value a cursor holds, as the column compares it; ValueError if it cannot be one."""
    if value is None:
        return None
    if kind == "int" and _is_int(value):
        return value
    if kind == "str" and isinstance(value, str) and storable(value):
        return value
    if kind in ("datetime", "date") and isinstance(value, str):
        if kind == "date":
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:  # the server only ever stores and issues UTC times
            return parsed
    raise ValueError(f"not a {kind}")


def _decode(cursor: str, key: SortKey, argument: str = "after") -> tuple[Any, int]:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        order, value, row_id = json.loads(base64.b64decode(cursor, altchars=b"-_", validate=True).decode("utf-8"))
        if order != _order(key) or not _is_int(row_id):
            raise ValueError("another list's cursor")
        value = _value(value, key.kind)
    except (ValueError, TypeError, RecursionError, binascii.Error) as error:
        raise ApiError(
            "INVALID_CURSOR", f"The `{argument}` cursor was not issued for this list and order; start again without it.",
            field=[argument],
        ) from error
    return value, row_id


def first_problem(first: int, max_page_size: int, argument: str = "first") -> str | None:
    if first < 1 or first > max_page_size:
        return f"`{argument}` must be between 1 and {max_page_size}, not {first}."
    return None


def check_first(first: int | None, max_page_size: int, argument: str = "first") -> int:
    """`first` (or `last`) between 1 and `max_page_size` (SECURITY.md 3); otherwise a top-level validation error."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    problem = first_problem(first, max_page_size, argument)
    if problem is not None:
        raise ApiError("BAD_USER_INPUT", problem, field=[argument])
    return first


# The page-size arguments of connections: `first`, and `last` where a connection also pages backwards.
PAGE_SIZE_ARGUMENTS = ("first", "last")


class _FirstArguments(Visitor):
    """Every `first` and `last` given to a field of the operation, as a literal or a variable."""

    def __init__(self, type_info: TypeInfo, variables: dict[str, Any], max_page_size: int) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.max_page_size = max_page_size
        self.errors: list[GraphQLError] = []

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        field = self.type_info.get_field_def()
        parent = self.type_info.get_parent_type()
        if field is None or not any(name in field.args for name in PAGE_SIZE_ARGUMENTS):
            return
        for argument in node.arguments or ():
            name = argument.name.value
            if name not in PAGE_SIZE_ARGUMENTS or name not in field.args:
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            if isinstance(value, int) and not isinstance(value, bool) and (
                problem := first_problem(value, self.max_page_size, name)
            ):
                where = f"{parent.name}.{node.name.value}" if parent else node.name.value
                self.errors.append(
                    GraphQLError(
                        f"{problem[:-1]} (on {where}).",
                        nodes=[argument],
                        extensions={"code": "BAD_USER_INPUT", "field": [node.name.value, name]},
                    )
                )


class PageSizes(SchemaExtension):
    """Every `first` and `last` of the operation, nested connections included, checked before anything runs:
    an out-of-range page size refuses the whole request (data null), so no part of it reaches the
    database. (Out-of-range literals that are not 32-bit integers are refused by validation, and
    variables by their coercion, before this.)"""

    def __init__(self, *, max_page_size: int) -> None:
        self.max_page_size = max_page_size

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                schema = context.schema._schema
                type_info = TypeInfo(schema)
                visitor = _FirstArguments(type_info, context.variables or {}, self.max_page_size)
                fragments = [d for d in document.definitions if d.kind == "fragment_definition"]
                for definition in (operation, *fragments):
                    visit(definition, TypeInfoVisitor(type_info, visitor))
                if visitor.errors:
                    context.result = ExecutionResult(data=None, errors=visitor.errors)
        yield


def _following(key: SortKey, id_column: Any, value: Any, row_id: int) -> sa.ColumnElement[bool]:
    """Rows after (value, row id) in the list's order: the key's direction, rows without a value last."""
    op = sa.Column.__lt__ if key.descending else sa.Column.__gt__
    if value is None:
        # Rows without a value come last in either direction, so only they can follow.
        return sa.and_(key.column.is_(None), op(id_column, row_id))
    return sa.or_(op(key.column, value), sa.and_(key.column == value, op(id_column, row_id)), key.column.is_(None))


def _preceding(key: SortKey, id_column: Any, value: Any, row_id: int) -> sa.ColumnElement[bool]:
    """Rows before (value, row id) in the list's order."""
    op = sa.Column.__gt__ if key.descending else sa.Column.__lt__
    if value is None:
        return sa.or_(key.column.is_not(None), sa.and_(key.column.is_(None), op(id_column, row_id)))
    return sa.and_(key.column.is_not(None), sa.or_(op(key.column, value), sa.and_(key.column == value, op(id_column, row_id))))


async def paginate(
    info: Info,
    *,
    statement: sa.Select,
    id_column: Any,
    key: SortKey,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], Any],
    last: int | None = None,
    before: str | None = None,
) -> Connection:
    """One page of `statement` (already restricted to readable rows) as a connection, in the
    request's session; the page size is bounded by the setting (`PageSizes` has refused a larger
    `first` before anything ran). `last` (with `before`) pages backwards from the end of the list
    or from a cursor, for the connections that offer it; `first` and `last` together are refused."""
    session, lock, max_page_size = info.context.session, info.context.loaders.lock, info.context.settings.max_page_size
    if first is not None and last is not None:
        raise ApiError("BAD_USER_INPUT", "Give `first` or `last`, not both.", field=["last"])
    backward = last is not None
    size = check_first(last, max_page_size, "last") if backward else check_first(first, max_page_size)
    ordered = statement
    if after is not None:
        ordered = ordered.where(_following(key, id_column, *_decode(after, key)))
    if before is not None:
        ordered = ordered.where(_preceding(key, id_column, *_decode(before, key, "before")))
    descending = key.descending != backward  # a backward page is read in the opposite order, then turned round
    direction = sa.desc if descending else sa.asc
    value_order = direction(key.column).nulls_first() if backward else direction(key.column).nulls_last()
    ordered = ordered.order_by(value_order, direction(id_column)).limit(size + 1)
    async with lock:
        rows = list((await session.exec(ordered)).all())
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    key_name = key.column.key
    edges = [
        relay.Edge(cursor=_encode(key, [getattr(row, key_name), row.id]), node=to_node(row)) for row in rows
    ]

    async def count() -> int:
        counted = select(sa.func.count()).select_from(statement.order_by(None).subquery())
        async with lock:
            return (await session.exec(counted)).one()

    return Connection(
        page_info=relay.PageInfo(
            has_next_page=before is not None if backward else more,
            has_previous_page=more if backward else after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
        _count=count,
    )
