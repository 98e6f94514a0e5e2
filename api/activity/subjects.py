"""Which records an activity entry (or a webhook delivery made from it) may concern, and who may read
each: the domain's own `readable_ids`, so an entry is readable by exactly those who may read its record."""

from collections.abc import Callable

import sqlalchemy as sa

from api.auth.principal import Principal
from api.evidence import service as evidence
from api.evidence import studies
from api.evidence.models import EvidenceAssessment
from api.initiatives import service as initiatives
from api.inquiries import service as inquiries
from api.inquiries.models import RatingInquiry
from api.organisations import service as organisations
from api.practices import service as practices
from api.practices.models import BestPractice
from api.ratings import readable as ratings
from api.ratings.models import OutcomeRating
from api.reviews import readable as revisions
from api.webhooks import outbox as webhooks

READABLE_IDS: dict[str, Callable[[Principal], sa.Select]] = {
    "Initiative": initiatives.readable_ids,
    # A withdrawn record's trail stays with its tombstone (and its withdrawal reaches webhooks).
    "EvidenceAssessment": lambda principal: evidence.resolvable(principal).with_only_columns(EvidenceAssessment.id),
    "Study": studies.readable_ids,
    "BestPractice": lambda principal: practices.resolvable(principal).with_only_columns(BestPractice.id),
    "OutcomeRating": lambda principal: ratings.readable(principal).with_only_columns(OutcomeRating.id),
    "RatingInquiry": lambda principal: inquiries.readable(principal).with_only_columns(RatingInquiry.id),
    "Organisation": organisations.readable_ids,
    # Drafts: their authors, their reviewers and (once submitted) the secretariat; never a webhook.
    "Revision": revisions.readable_ids,
}


def readable_condition(principal: Principal, *, subject_type_column, subject_id_column) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """True for rows concerning a record `principal` may read."""
    return sa.or_(
        *(
            sa.and_(subject_type_column == subject_type, subject_id_column.in_(readable_ids(principal)))
            for subject_type, readable_ids in READABLE_IDS.items()
        )
    )


# Webhook deliveries are made from activity entries when they are recorded, below the domains named here.
webhooks.read_subjects_with(READABLE_IDS)
