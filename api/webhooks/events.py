"""Event types: the dotted names endpoints subscribe to, made from activity kinds."""

from api.activity.models import ActivityKind

EVENT_TYPES: dict[ActivityKind, str] = {
    ActivityKind.CREATED: "record.created",
    ActivityKind.EDITED: "record.updated",
    ActivityKind.PUBLISHED: "record.published",
    ActivityKind.WITHDRAWN: "record.withdrawn",
    ActivityKind.RATING_CHANGED: "rating.changed",
    ActivityKind.MEMBERSHIP_CHANGED: "membership.changed",
}
# Names endpoints could subscribe to before inquiries and appeals were reviewed: a ruling on either is now
# a `record.published` of a RatingInquiry (version 1 the inquiry's, version 2 the appeal's). Migration 0020
# removed them from every endpoint.
RETIRED = ("inquiry.filed", "inquiry.answered", "appeal.filed", "appeal.decided")
# Every name an endpoint may subscribe to, in a stable order for messages and docs.
KNOWN = tuple(EVENT_TYPES.values())
# Drafts under review are never delivered: their readers are the review's, not an organisation's at large.
NEVER_DELIVERED_SUBJECTS = frozenset({"Revision"})


def event_type(kind: str, subject_type: str) -> str | None:
    """The event type of an activity entry, or None when entries like it are not delivered (the review
    workflow's steps, and anything concerning a draft)."""
    if subject_type in NEVER_DELIVERED_SUBJECTS:
        return None
    try:
        return EVENT_TYPES.get(ActivityKind(kind))
    except ValueError:
        return None
