"""Relay global ids: decoding the ones clients send back.

A global id is base64 of `TypeName:row id`. One that could never have come from this API (not
base64, a type that is not a record type, a row id that is not a whole number from 0 to 2^31-1,
the largest the INTEGER primary keys hold on PostgreSQL, where a larger number in a query is an
error of the database rather than no match) is INVALID_ID wherever it is accepted; so is a
well-formed id of another type than the field takes. A valid id of a record that is missing or
hidden from the caller is a different matter: NOT_FOUND, or null, never telling the two apart.
"""

from collections.abc import Sequence

from strawberry import relay

from api.errors import ApiError, DomainError, ErrorCode

MAX_ROW_ID = 2**31 - 1


def row_id(node_id: str) -> int | None:
    """The row id a global id's node id names, or None if it names none: ASCII digits only (no
    sign, no spaces, no other numerals), within an INTEGER column."""
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > 10:
        return None
    value = int(node_id)
    return value if value <= MAX_ROW_ID else None


def _problem(global_id: relay.GlobalID, type_name: str) -> str | None:
    if global_id.type_name != type_name:
        return f"Not an id of type {type_name}."
    if row_id(global_id.node_id) is None:
        return f"Not a valid {type_name} id."
    return None


def decode(global_id: relay.GlobalID, type_name: str, field: Sequence[str]) -> int:
    """The database id inside a global id of `type_name`; anything else is an INVALID_ID problem."""
    problem = _problem(global_id, type_name)
    if problem is not None:
        raise DomainError.one(field, ErrorCode.INVALID_ID, problem)
    return int(global_id.node_id)


def decode_many(global_ids: Sequence[relay.GlobalID], type_name: str, field: Sequence[str]) -> list[int]:
    return [decode(g, type_name, [*field, str(i)]) for i, g in enumerate(global_ids)]


def invalid_id(message: str, field: Sequence[str]) -> ApiError:
    return ApiError(ErrorCode.INVALID_ID, message, field=field)


def decode_argument(global_id: relay.GlobalID, type_name: str, field: Sequence[str]) -> int:
    """As `decode`, for a query argument or filter: a bad id is a top-level INVALID_ID error."""
    problem = _problem(global_id, type_name)
    if problem is not None:
        raise invalid_id(problem, field)
    return int(global_id.node_id)


def decode_arguments(global_ids: Sequence[relay.GlobalID], type_name: str, field: Sequence[str]) -> list[int]:
    return [decode_argument(g, type_name, [*field, str(i)]) for i, g in enumerate(global_ids)]


def check_node_id(global_id: relay.GlobalID, type_names: Sequence[str], field: Sequence[str]) -> None:
    """A top-level INVALID_ID error unless `global_id` is well-formed for one of `type_names`."""
    if global_id.type_name not in type_names:
        raise invalid_id("Not an id of a record type of this API.", field)
    if row_id(global_id.node_id) is None:
        raise invalid_id(f"Not a valid {global_id.type_name} id.", field)


def node_ints(node_ids: Sequence[str]) -> list[int | None]:
    """Node ids as integers; None for ids that cannot exist."""
    return [row_id(node_id) for node_id in node_ids]
