"""How a list is ordered: the services declare their orderings, keyset pagination (api/graphql/pagination.py) reads them."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SortKey:
    """A column to order by, with the primary key as tie-breaker in the same direction."""

    column: Any
    descending: bool
    kind: str  # "datetime" | "date" | "str" | "int"
