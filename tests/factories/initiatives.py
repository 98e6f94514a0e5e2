"""Initiatives, their classifications and their confirmed partners."""

from collections.abc import Iterable

from sqlmodel import Session

from api.core.db import utcnow
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.organisations.models import Organisation
from tests.factories.rows import ACTOR


class Initiatives:
    """`make.initiative(…)`."""

    db: Session

    def initiative(
        self,
        lead: Organisation,
        title: str = "An initiative",
        *,
        visibility: str = "PUBLIC",
        status: str = "IMPLEMENTATION",
        harms: Iterable[str] = (),
        partners: Iterable[tuple[Organisation, str]] = (),
    ) -> Initiative:
        initiative = Initiative(
            title=title,
            lead_organisation_id=lead.id,
            status=status,
            visibility=visibility,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(initiative)
        self.db.commit()
        for code in harms:
            self.db.add(InitiativeClassification(initiative_id=initiative.id, scheme="harm", code=code))
        for organisation, role in partners:
            self.db.add(
                Participation(
                    initiative_id=initiative.id,
                    organisation_id=organisation.id,
                    role=role,
                    confirmed_at=utcnow(),
                    confirmed_by=ACTOR,
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
        self.db.commit()
        return initiative


def classify(db: Session, initiative: Initiative, scheme: str, *codes: str) -> None:
    """Classify `initiative` under `scheme` (e.g. "country", "intervention-type")."""
    db.add_all(InitiativeClassification(initiative_id=initiative.id, scheme=scheme, code=code) for code in codes)
    db.commit()
