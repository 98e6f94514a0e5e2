"""GraphQL documents and small helpers shared by the evidence tests."""

from datetime import datetime

import sqlalchemy as sa
from strawberry.relay import from_base64
from sqlmodel import Session, select

from api.evidence.models import EvidenceAssessment, Finding, Study
from api.initiatives.models import Initiative
from api.reviews.models import Revision
from tests.factories import gid

STUDY_FIELDS = """
  id title sampleSize setting referenceDoi referenceUrl publishedOn publishedPrecision period peerReviewed funder
  population sampleKey visibility studyDesign { code } countries { code } organisation { slug }
"""

ASSESSMENT_FIELDS = f"""
  id followUp limitations conflictsOfInterest visibility
  independence {{ code }} assessingOrganisation {{ slug }} initiative {{ title }}
  study {{ {STUDY_FIELDS} }}
  findings {{ outcome {{ code }} effectDirection {{ code }} comparison {{ code }} significance {{ code }}
             riskOfBias {{ code }} effectSize effectSizeMetric ciLow ciHigh pValue followUpMonths
             proposedRating {{ code }} proposedCertainty {{ code }} sourceScheme {{ code }} sourceRating notes }}
"""

# What createEvidenceAssessment and updateEvidenceAssessment return now: the draft they saved.
DRAFT = "revision { id state baseVersion content }"

CREATE = f"""
mutation($input: CreateEvidenceAssessmentInput!) {{
  createEvidenceAssessment(input: $input) {{
    evidenceAssessment {{ {ASSESSMENT_FIELDS} }}
    {DRAFT}
    userErrors {{ field code message }}
  }}
}}
"""

UPDATE = f"""
mutation($input: UpdateEvidenceAssessmentInput!) {{
  updateEvidenceAssessment(input: $input) {{
    evidenceAssessment {{ {ASSESSMENT_FIELDS} }}
    {DRAFT}
    userErrors {{ field code message }}
  }}
}}
"""

DELETE = """
mutation($input: DeleteEvidenceAssessmentInput!) {
  deleteEvidenceAssessment(input: $input) { deletedId userErrors { field code message } }
}
"""


def finding(**overrides: object) -> dict:
    """A valid FindingInput."""
    return {
        "outcome": "REMOVAL-TIME",
        "effectDirection": "POSITIVE",
        "significance": "YES",
        "proposedRating": "PROMISING",
        "proposedCertainty": "MODERATE",
        **overrides,
    }


def new_study(**overrides: object) -> dict:
    """A valid StudyInput."""
    return {"title": "Removal times in the hotline network", "studyDesign": "ITS", **overrides}


def create_input(initiative: Initiative, **overrides: object) -> dict:
    """A valid CreateEvidenceAssessmentInput for `initiative`, registering a new study."""
    return {
        "initiative": gid("Initiative", initiative.id),
        "newStudy": new_study(),
        "independence": "INDEPENDENT",
        **overrides,
    }


def row_id(global_id: str) -> int:
    """The row id behind a global id the API gave."""
    return int(from_base64(global_id)[1])


def problems(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def fresh(db: Session) -> Session:
    """The session with no open read snapshot, so its next query sees what the API committed."""
    db.commit()
    return db


def stored_counts(db: Session) -> tuple[int, int]:
    """How many assessments and findings the database holds."""
    session = fresh(db)
    assessments = session.exec(select(sa.func.count()).select_from(EvidenceAssessment)).one()
    findings = session.exec(select(sa.func.count()).select_from(Finding)).one()
    return assessments, findings


def stored_studies(db: Session) -> int:
    return fresh(db).exec(select(sa.func.count()).select_from(Study)).one()


def initiative_updated_at(db: Session, initiative_id: int) -> datetime:
    return fresh(db).exec(select(Initiative.updated_at).where(Initiative.id == initiative_id)).one()


def stored_assessment(db: Session, assessment_id: int) -> tuple:
    """The stored independence, visibility, deletion time and findings' proposed ratings of one assessment."""
    session = fresh(db)
    independence, visibility, deleted_at = session.exec(
        select(EvidenceAssessment.independence, EvidenceAssessment.visibility, EvidenceAssessment.deleted_at).where(
            EvidenceAssessment.id == assessment_id
        )
    ).one()
    ratings = session.exec(
        select(Finding.proposed_rating).where(Finding.assessment_id == assessment_id).order_by(Finding.id)
    ).all()
    return independence, visibility, deleted_at, list(ratings)


def stored_revisions(db: Session) -> list[tuple[int | None, str]]:
    """Every stored revision: the record it revises (None for a new one) and its state."""
    return [tuple(row) for row in fresh(db).exec(select(Revision.record_id, Revision.state).order_by(Revision.id)).all()]
