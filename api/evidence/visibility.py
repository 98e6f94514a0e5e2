"""Who may read an evidence assessment: the one rule every read path, and the rating computation, use."""

import sqlalchemy as sa
from sqlmodel import col

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core.visibility import visible_to
from api.evidence.models import EvidenceAssessment, Study
from api.initiatives.models import Initiative, Participation
from api.organisations import service as organisations


def _involved(organisation_id: int) -> sa.ColumnElement[bool]:
    """The assessing organisation, and the assessed initiative's lead and partners."""
    return sa.or_(
        EvidenceAssessment.assessing_organisation_id == organisation_id,
        sa.exists().where(
            Initiative.id == EvidenceAssessment.initiative_id, Initiative.lead_organisation_id == organisation_id
        ),
        sa.exists().where(
            Participation.initiative_id == EvidenceAssessment.initiative_id,
            Participation.organisation_id == organisation_id,
        ),
    )


def visible_on_readable_initiative(principal: Principal, *, withdrawn: bool = False) -> sa.ColumnElement[bool]:
    """The rule for assessments of an initiative already known to be readable; `withdrawn` ones too when
    resolving ids (a withdrawn assessment is a tombstone, readable by those who could read it)."""
    return sa.and_(
        sa.true() if withdrawn else col(EvidenceAssessment.deleted_at).is_(None),
        col(EvidenceAssessment.assessing_organisation_id).in_(organisations.readable_ids(principal)),
        col(EvidenceAssessment.study_id).in_(sa.select(Study.id).where(study_visible(principal))),
        visible_to(
            principal,
            scope=Scope.ASSESSMENTS_READ,
            visibility_column=EvidenceAssessment.visibility,
            owned_by=_involved,
        ),
    )


def _study_involves(organisation_id: int) -> sa.ColumnElement[bool]:
    """The registering organisation, and every organisation involved in an assessment coding the study:
    whoever may read an organisation-only assessment may read the study it codes."""
    return sa.or_(
        Study.organisation_id == organisation_id,
        sa.exists().where(
            EvidenceAssessment.study_id == Study.id,
            col(EvidenceAssessment.deleted_at).is_(None),
            _involved(organisation_id),
        ),
    )


def study_visible(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, registered by a readable organisation, and visible itself."""
    return sa.and_(
        col(Study.deleted_at).is_(None),
        col(Study.organisation_id).in_(organisations.readable_ids(principal)),
        visible_to(principal, scope=Scope.ASSESSMENTS_READ, visibility_column=Study.visibility, owned_by=_study_involves),
    )
