"""Relay global ids: decoding the ones clients send back.

A global id is base64 of `TypeName:row id`. One that could never have come from this API (not
base64, a type that is not a record type, a row id that is not a whole number from 0 to 2^31-1,
the largest the INTEGER primary keys hold on PostgreSQL, where a larger number in a query is an
error of the database rather than no match) is INVALID_ID wherever it is accepted. A well-formed
id of a record that is missing, hidden from the caller, or of another record type than the field
takes is a different matter: NOT_FOUND in mutations, null or no match in queries and filters,
never telling these apart.
"""

from collections.abc import Sequence

from strawberry import relay

from api.core.errors import DomainError, ErrorCode
from api.graphql.errors import ApiError

MAX_ROW_ID = 2**31 - 1
# The types of the records global ids name (the schema's Node types; api/schema.py checks they agree).
RECORD_TYPES = frozenset(
    {"Organisation", "Membership", "NetworkMembership", "Initiative", "Participation", "Study", "EvidenceAssessment",
     "BestPractice", "OutcomeRating", "Figure", "RatingInquiry", "WebhookEndpoint", "Revision", "Activity"}
)


def row_id(node_id: str) -> int | None:
    """The row id a global id's node id names, or None if it names none: ASCII digits only (no
    sign, no spaces, no other numerals), within an INTEGER column."""
    if not (node_id.isascii() and node_id.isdigit()) or len(node_id) > 10:
        return None
    value = int(node_id)
    return value if value <= MAX_ROW_ID else None


def malformed(global_id: relay.GlobalID) -> str | None:
    """Why no record could have `global_id`, or None if one could."""
    if global_id.type_name not in RECORD_TYPES:
        return "Not an id of a record type of this API."
    if row_id(global_id.node_id) is None:
        return f"Not a valid {global_id.type_name} id."
    return None


def decode(global_id: relay.GlobalID, type_name: str, field: Sequence[str]) -> int:
    """The database id inside a global id of `type_name`: INVALID_ID if the id is malformed,
    NOT_FOUND if it is of another record type (as for a missing record)."""
    problem = malformed(global_id)
    if problem is not None:
        raise DomainError.one(field, ErrorCode.INVALID_ID, problem)
    if global_id.type_name != type_name:
        raise DomainError.one(field, ErrorCode.NOT_FOUND, f"No {type_name} with this id.")
    return int(global_id.node_id)


def decode_many(global_ids: Sequence[relay.GlobalID], type_name: str, field: Sequence[str]) -> list[int]:
    return [decode(g, type_name, [*field, str(i)]) for i, g in enumerate(global_ids)]


def invalid_id(message: str, field: Sequence[str]) -> ApiError:
    return ApiError(ErrorCode.INVALID_ID, message, field=field)


def decode_argument(global_id: relay.GlobalID, type_name: str, field: Sequence[str]) -> int | None:
    """For a query argument or filter: the database id; None for an id of another record type
    (it names nothing here, as a missing id does); a top-level INVALID_ID error if malformed."""
    check_node_id(global_id, field)
    return int(global_id.node_id) if global_id.type_name == type_name else None


def decode_arguments(global_ids: Sequence[relay.GlobalID], type_name: str, field: Sequence[str]) -> list[int]:
    """The database ids of a filter's ids, leaving out those of other record types (matching
    nothing, as missing ids do; 0 is no row's id, so an all-other-types list still matches nothing)."""
    decoded = [decode_argument(g, type_name, [*field, str(i)]) for i, g in enumerate(global_ids)]
    return [i if i is not None else 0 for i in decoded]


def check_node_id(global_id: relay.GlobalID, field: Sequence[str]) -> None:
    """A top-level INVALID_ID error if no record could have `global_id`."""
    problem = malformed(global_id)
    if problem is not None:
        raise invalid_id(problem, field)


def node_ints(node_ids: Sequence[str]) -> list[int | None]:
    """Node ids as integers; None for ids that cannot exist."""
    return [row_id(node_id) for node_id in node_ids]
