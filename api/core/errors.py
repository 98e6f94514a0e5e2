"""Domain errors carrying stable codes: what services raise, before any GraphQL shape is given to them."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import strawberry


@strawberry.enum(description="Stable machine-readable codes for user errors.")
class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    BLANK = "BLANK"
    TOO_SHORT = "TOO_SHORT"
    TOO_LONG = "TOO_LONG"
    CONTROL_CHARACTERS = "CONTROL_CHARACTERS"
    INVALID_URL = "INVALID_URL"
    INVALID_CODE = "INVALID_CODE"
    INVALID_COUNTRY = "INVALID_COUNTRY"
    INVALID_LANGUAGE = "INVALID_LANGUAGE"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    INVALID_ID = "INVALID_ID"
    INVALID_VALUE = "INVALID_VALUE"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    TOO_MANY = "TOO_MANY"
    ROLE_TOO_HIGH = "ROLE_TOO_HIGH"
    LAST_ADMIN = "LAST_ADMIN"
    # A finding coded against itself or its study: a comparison its design cannot give, a
    # significance its direction denies, a confidence interval without its estimate.
    CONTRADICTS_DESIGN = "CONTRADICTS_DESIGN"
    INCONSISTENT_FINDING = "INCONSISTENT_FINDING"
    CI_EXCLUDES_ESTIMATE = "CI_EXCLUDES_ESTIMATE"
    CONTEXT_ONLY_OUTCOME = "CONTEXT_ONLY_OUTCOME"
    SAME_ORGANISATION = "SAME_ORGANISATION"
    # Questioning a rating: the organisation filing an inquiry has no stake in the rating.
    NO_STAKE = "NO_STAKE"
    # The record is not in the state this change needs (a review already in, an inquiry appealed already).
    WRONG_STATUS = "WRONG_STATUS"
    # Webhook endpoints: an event type no event has; a plain-http URL or one whose host resolves to a private,
    # loopback, link-local or reserved address (refused outside development and test).
    UNKNOWN_EVENT_TYPE = "UNKNOWN_EVENT_TYPE"
    INSECURE_URL = "INSECURE_URL"
    PRIVATE_ADDRESS = "PRIVATE_ADDRESS"
    # Review before publication (docs/reviews.md): a submitted revision is locked for its authors; a
    # reviewer must hold the role and have no stake; publishing needs two reviews, no open disagreement,
    # an agreed ACCEPT and the study design the reviewers agreed on.
    LOCKED = "LOCKED"
    NOT_A_REVIEWER = "NOT_A_REVIEWER"
    HAS_STAKE = "HAS_STAKE"
    NOT_ENOUGH_REVIEWERS = "NOT_ENOUGH_REVIEWERS"
    NEEDS_TWO_REVIEWS = "NEEDS_TWO_REVIEWS"
    OPEN_DISAGREEMENTS = "OPEN_DISAGREEMENTS"
    NOT_ACCEPTED = "NOT_ACCEPTED"
    DESIGN_DIFFERS = "DESIGN_DIFFERS"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a path below `input`), what, why, and the value the
    caller probably meant, when there is one."""

    field: tuple[str, ...]
    code: ErrorCode
    message: str
    suggestion: str | None = None


@dataclass
class DomainError(Exception):
    """Raised by services; the mutation boundary rolls back and returns `userErrors`."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(p.field)}: {p.code} {p.message}" for p in self.problems)

    @classmethod
    def one(cls, field: Sequence[str], code: ErrorCode, message: str) -> "DomainError":
        return cls([Problem(tuple(field), code, message)])


def not_found(field: Sequence[str], what: str = "record") -> DomainError:
    """The one answer for both a missing record and one the caller may not see."""
    return DomainError.one(field, ErrorCode.NOT_FOUND, f"No {what} with this id.")


class Problems:
    """Collects every problem of an input before raising, so a caller sees them all at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: Sequence[str], code: ErrorCode, message: str, suggestion: str | None = None) -> None:
        self.items.append(Problem(tuple(field), code, message, suggestion))

    def extend(self, other: "DomainError") -> None:
        self.items.extend(other.problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise DomainError(list(self.items))
