"""Every table, imported in one place so metadata (and Alembic) sees them all."""

from api.activity.models import Activity
from api.audit.models import AuditEvent
from api.auth.models import SigningKey
from api.evidence.models import EvidenceAssessment, Finding
from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.ratings.models import OutcomeRating, OutcomeRatingChange  # before what refers to them
from api.inquiries.models import RatingInquiry
from api.oauth.models import (
    AuthorizationCode,
    ConsentTicket,
    FailedAttempt,
    OAuthClient,
    OAuthGrant,
    PasswordSetup,
    RefreshToken,
    RevokedAccessToken,
)
from api.organisations.models import Membership, NetworkMembership, Organisation, User
from api.portal_sessions.models import PortalClient, PortalSession
from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from api.search import outbox as _outbox  # noqa: F401  (the listener that fills the search outbox)
from api.search import record_outbox as _record_outbox  # noqa: F401  (the evidence and practices' one)
from api.search.models import SearchLogState, SearchOutbox
from api.reviews.models import Disagreement, ReviewAssignment, ReviewConflict, Reviewer, Revision
from api.seeding.models import SeedRecord
from api.versions.models import RecordVersion
from api.vocabularies.models import Vocabulary, VocabularyTerm
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookSecret

__all__ = [
    "Activity",
    "AuditEvent",
    "AuthorizationCode",
    "BestPractice",
    "ConsentTicket",
    "Disagreement",
    "Endorsement",
    "EvidenceAssessment",
    "FailedAttempt",
    "Figure",
    "FigureClassification",
    "FigureInitiative",
    "Finding",
    "Initiative",
    "InitiativeClassification",
    "Membership",
    "NetworkMembership",
    "OAuthClient",
    "PortalClient",
    "PortalSession",
    "OAuthGrant",
    "Organisation",
    "OutcomeRating",
    "OutcomeRatingChange",
    "Participation",
    "PasswordSetup",
    "PracticeClassification",
    "PracticeEvidence",
    "RatingInquiry",
    "RecordVersion",
    "RefreshToken",
    "ReviewAssignment",
    "ReviewConflict",
    "Reviewer",
    "Revision",
    "RevokedAccessToken",
    "SearchLogState",
    "SearchOutbox",
    "SeedRecord",
    "SigningKey",
    "User",
    "Vocabulary",
    "VocabularyTerm",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookSecret",
]
