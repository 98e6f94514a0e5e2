"""Evidence assessments of initiatives, with their findings."""

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative
from api.organisations.models import Organisation
from tests.factories.rows import ACTOR


class Evidence:
    """`make.assessment(…)`."""

    db: Session

    def assessment(
        self,
        initiative: Initiative,
        assessor: Organisation,
        title: str = "An assessment",
        *,
        visibility: str = "PUBLIC",
        independence: str = "INDEPENDENT",
        study_design: str = "CASE",
        published_on: date | None = None,
        ratings: Iterable[str] = ("EMERGING",),
    ) -> EvidenceAssessment:
        """An evidence assessment of `initiative` by `assessor`, with one finding per rating."""
        assessment = EvidenceAssessment(
            initiative_id=initiative.id,
            assessing_organisation_id=assessor.id,
            title=title,
            independence=independence,
            study_design=study_design,
            published_on=published_on,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(assessment)
        self.db.commit()
        self.db.add_all(
            Finding(
                assessment_id=assessment.id,
                outcome="REMOVAL-TIME",
                effect_direction="POSITIVE",
                rating=rating,
                certainty="LOW",
                created_by=ACTOR,
                updated_by=ACTOR,
            )
            for rating in ratings
        )
        self.db.commit()
        return assessment
