"""Record visibility, shared by every domain that owns records."""

import sqlalchemy as sa

from enum import StrEnum

import strawberry


@strawberry.enum(description="Who may read a record.")
class Visibility(StrEnum):
    PUBLIC = "PUBLIC"
    MEMBERS = "MEMBERS"
    ORGANISATION = "ORGANISATION"


def visible_to(principal, *, scope, visibility_column, owned_by) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """The one visibility rule: public to all; members-only to admitted member organisations;
    organisation-only to the organisations `owned_by(org_id)` names. Reading beyond public needs
    the domain's `:read` scope."""

    conditions = [visibility_column == Visibility.PUBLIC]
    organisation_id = principal.reads_with(scope)
    if organisation_id is not None:
        if principal.organisation_is_member:
            conditions.append(visibility_column == Visibility.MEMBERS)
        conditions.append(owned_by(organisation_id))
    return sa.or_(*conditions)
