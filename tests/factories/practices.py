"""Best practices, with their classifications, citations and endorsements."""

from collections.abc import Iterable

from sqlmodel import Session

from api.organisations.models import Organisation
from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from tests.factories.rows import ACTOR


class Practices:
    """`make.practice(…)`."""

    db: Session

    def practice(
        self,
        organisation: Organisation,
        title: str = "A best practice",
        *,
        statement: str = "Do what works.",
        evidence_basis: str = "CONSENSUS",
        visibility: str = "PUBLIC",
        harms: Iterable[str] = (),
        intervention_types: Iterable[str] = (),
        evidence: Iterable[int] = (),
        endorsed_by: Iterable[Organisation] = (),
    ) -> BestPractice:
        """A best practice proposed by `organisation`, with its classifications, citations and endorsements."""
        practice = BestPractice(
            organisation_id=organisation.id,
            title=title,
            statement=statement,
            evidence_basis=evidence_basis,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(practice)
        self.db.commit()
        for scheme, codes in (("harm", harms), ("intervention-type", intervention_types)):
            self.db.add_all(PracticeClassification(practice_id=practice.id, scheme=scheme, code=c) for c in codes)
        self.db.add_all(PracticeEvidence(practice_id=practice.id, assessment_id=a) for a in evidence)
        self.db.add_all(
            Endorsement(practice_id=practice.id, organisation_id=o.id, endorsed_by=ACTOR) for o in endorsed_by
        )
        self.db.commit()
        return practice
