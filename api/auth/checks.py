"""Checks raised before anything is written: the role and ownership rules services share (a field's
scope is the edge's: `api.graphql.permissions`)."""

from api.auth.principal import Principal, Role
from api.core.errors import DomainError, ErrorCode



def require_role(principal: Principal, minimum: Role, field: str | None = None) -> None:
    """A role too low is about the caller, not a field: the error names the whole input unless told."""
    if not principal.has_role(minimum):
        raise DomainError.one(
            [field] if field else [], ErrorCode.FORBIDDEN, f"This needs the {minimum.name.lower()} role in your organisation."
        )


def may_edit(principal: Principal, *, owner_id: int, created_by: str) -> bool:
    """Editors edit their organisation's records; contributors only those they created."""
    if principal.organisation_id != owner_id:
        return False
    return principal.has_role(Role.EDITOR) or (
        principal.has_role(Role.CONTRIBUTOR) and created_by == principal.subject
    )


def require_editor(
    principal: Principal, *, field: str, owner_id: int | None, created_by: str, owner: str, record: str
) -> None:
    """For a record the caller has just read: FORBIDDEN naming what is missing, ownership or role.

    Only call this after the record was found among the readable ones: an unreadable record is
    NOT_FOUND, and saying who owns it would confirm that it exists."""
    if owner_id is None or principal.organisation_id != owner_id:
        raise DomainError.one([field], ErrorCode.FORBIDDEN, f"Only the {owner} can change this {record}.")
    if not may_edit(principal, owner_id=owner_id, created_by=created_by):
        raise DomainError.one(
            [field],
            ErrorCode.FORBIDDEN,
            f"This needs the editor role in your organisation; contributors change only the {record}s they created.",
        )
