"""Who may read a revision: its authors, the reviewers assigned to it, and (once it is submitted) the
Lab's secretariat, which assigns the reviewers and publishes. Nobody else: a draft is never in a list,
a count, a search, an export, a map or a rating, because none of those reads revisions."""

import sqlalchemy as sa
from sqlmodel import col, select

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.reviews.models import ReviewAssignment, ReviewedType, Revision, RevisionState

READ_SCOPES = {
    ReviewedType.EVIDENCE_ASSESSMENT: Scope.ASSESSMENTS_READ,
    ReviewedType.BEST_PRACTICE: Scope.PRACTICES_READ,
    ReviewedType.RATING_INQUIRY: Scope.ASSESSMENTS_READ,
}


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    conditions = []
    # Its organisation reads a draft with the scope that reads the kind of record it proposes.
    authored = [
        Revision.record_type == record_type
        for record_type, scope in READ_SCOPES.items()
        if principal.reads_with(scope) is not None
    ]
    if authored:
        conditions.append(sa.and_(Revision.organisation_id == principal.organisation_id, sa.or_(*authored)))
    if principal.user_id is not None:
        conditions.append(
            sa.exists().where(ReviewAssignment.revision_id == Revision.id, ReviewAssignment.user_id == principal.user_id)
        )
    if principal.is_lab_admin:
        conditions.append(Revision.state != RevisionState.DRAFT)
    return sa.or_(*conditions) if conditions else sa.false()


def readable(principal: Principal) -> sa.Select:
    """Revisions the principal may read; every read path starts here."""
    return select(Revision).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(Revision.id).where(visible_condition(principal))


# Once both reviews of the current round are in, or the round is over.
_REVIEWS_OPEN = [
    RevisionState.RECONCILIATION,
    RevisionState.CHANGES_REQUESTED,
    RevisionState.PUBLISHED,
    RevisionState.WITHDRAWN,
]


def assignments_visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Reviews are blind: a reviewer sees only their own until both are in; once the revision reaches
    reconciliation, everyone who may read it sees both, and those of earlier rounds (the secretariat always does)."""
    if principal.is_lab_admin:
        return sa.true()
    own = ReviewAssignment.user_id == principal.user_id if principal.user_id is not None else sa.false()
    open_to_readers = sa.exists().where(
        Revision.id == ReviewAssignment.revision_id,
        sa.or_(ReviewAssignment.round < Revision.round, col(Revision.state).in_(_REVIEWS_OPEN)),
    )
    return sa.or_(own, open_to_readers)
