"""Studies and evidence assessments of initiatives, with findings coded so that the rule set rates them as asked."""

import asyncio
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlmodel import Session

from api.core.db import create_engine, session_factory, transaction
from api.core.settings import Settings
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.initiatives.models import Initiative
from api.organisations.models import Organisation
from api.ratings import service as ratings
from tests.factories.rows import ACTOR

# How one finding of a public, independent randomised study is coded for the rule set to rate its outcome
# as the key says on its own: (comparison, effect direction, significance, risk of bias). The comparison
# caps the design's strength (a matched comparison is SMS 4, before-and-after SMS 2).
CODINGS = {
    "EFFECTIVE": ("RANDOMISED", "POSITIVE", "YES", "LOW"),
    "PROMISING": ("MATCHED", "POSITIVE", "YES", "LOW"),
    "HARMFUL": ("MATCHED", "NEGATIVE", "YES", "LOW"),
    "EMERGING": ("PRE-POST", "POSITIVE", "NOT-TESTED", "SOME"),
}
# One outcome per finding, so that each is rated on its own.
OUTCOMES = ("REMOVAL-TIME", "VICTIM-ID", "HELP-SEEKING", "KNOWLEDGE", "WELLBEING")


def recompute_ratings(settings: Settings, *, initiative_ids: Iterable[int] = (), practice_ids: Iterable[int] = ()) -> None:
    """What every write through the API does: recompute the subjects' ratings (rows written here bypass it)."""

    async def work() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                await ratings.recompute(
                    session=session,
                    initiative_ids=initiative_ids,
                    practice_ids=practice_ids,
                    reason=ratings.Reason.NEW_EVIDENCE,
                    actor=ACTOR,
                )
        finally:
            await engine.dispose()

    # In a thread of its own: a test may already run an event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()


class Evidence:
    """`make.study(…)`, `make.assessment(…)`."""

    db: Session
    settings: Settings

    def study(
        self,
        organisation: Organisation,
        title: str = "A study",
        *,
        study_design: str = "RCT",
        visibility: str = "PUBLIC",
        published_on: date | None = None,
        sample_key: str | None = None,
    ) -> Study:
        study = Study(
            organisation_id=organisation.id,
            title=title,
            study_design=study_design,
            published_on=published_on,
            sample_key=sample_key,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(study)
        self.db.commit()
        return study

    def assessment(
        self,
        initiative: Initiative,
        assessor: Organisation,
        title: str = "An assessment",
        *,
        visibility: str = "PUBLIC",
        independence: str = "INDEPENDENT",
        study_design: str = "RCT",
        published_on: date | None = None,
        ratings: Iterable[str] = ("EMERGING",),
    ) -> EvidenceAssessment:
        """An assessment of `initiative` by `assessor` coding a new study (as visible as it), with one finding,
        each on its own outcome, coded so that the rule set rates that outcome as each of `ratings` asks
        (when the assessment is public: ratings rest on public evidence only)."""
        study = self.study(
            assessor, title, study_design=study_design, visibility=visibility, published_on=published_on
        )
        assessment = EvidenceAssessment(
            initiative_id=initiative.id,
            study_id=study.id,
            assessing_organisation_id=assessor.id,
            independence=independence,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(assessment)
        self.db.commit()
        findings = []
        for outcome, rating in zip(OUTCOMES, ratings, strict=False):
            comparison, direction, significance, risk_of_bias = CODINGS[rating]
            findings.append(
                Finding(
                    assessment_id=assessment.id,
                    outcome=outcome,
                    effect_direction=direction,
                    comparison=comparison,
                    significance=significance,
                    risk_of_bias=risk_of_bias,
                    proposed_rating=rating,
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
        self.db.add_all(findings)
        self.db.commit()
        recompute_ratings(self.settings, initiative_ids=[initiative.id])
        return assessment
