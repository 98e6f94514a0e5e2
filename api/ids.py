"""Relay global ids: decoding the ones clients send back."""

from collections.abc import Sequence

from strawberry import relay

from api.errors import DomainError, ErrorCode


def decode(global_id: relay.GlobalID, type_name: str, field: Sequence[str]) -> int:
    """The database id inside a global id of `type_name`; anything else is NOT_FOUND."""
    if global_id.type_name == type_name:
        try:
            return int(global_id.node_id)
        except ValueError:
            pass
    raise DomainError.one(field, ErrorCode.NOT_FOUND, f"No {type_name} with this id.")


def decode_many(global_ids: Sequence[relay.GlobalID], type_name: str, field: Sequence[str]) -> list[int]:
    return [decode(g, type_name, [*field, str(i)]) for i, g in enumerate(global_ids)]


def node_ints(node_ids: Sequence[str]) -> list[int | None]:
    """Node ids as integers; None for ids that cannot exist."""
    result: list[int | None] = []
    for node_id in node_ids:
        try:
            result.append(int(node_id))
        except ValueError:
            result.append(None)
    return result
