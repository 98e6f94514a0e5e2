"""The fields clients write, declared once on a domain's data class (docs/architecture.md, "One list of
writable fields"); the GraphQL create and update inputs are made from them (api/graphql/inputs.py)."""

from dataclasses import dataclass, field
from typing import Any

from strawberry import UNSET

WRITABLE = "writable"


@dataclass(frozen=True)
class Writable:
    """How clients write one field: what it is, whether a record must have it, its default on create."""

    description: str
    # Create must name it, and update cannot clear it.
    required: bool = False
    # The value create writes when the field is omitted; a field with a default cannot be cleared either.
    default: Any = None
    # How the update input names the field, when the create description says more than that.
    on_update: str | None = None

    @property
    def clearable(self) -> bool:
        return not self.required and self.default is None


def writable(description: str, *, required: bool = False, default: Any = None, on_update: str | None = None) -> Any:
    """A data class field that clients write through the API; UNSET until a client names it."""
    return field(default=UNSET, metadata={WRITABLE: Writable(description, required, default, on_update)})
