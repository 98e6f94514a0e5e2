"""Figures, with the initiatives and classifications they concern."""

from collections.abc import Iterable
from datetime import date

from sqlmodel import Session

from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives.models import Initiative
from api.organisations.models import Organisation
from tests.factories.rows import ACTOR


class Figures:
    """`make.figure(…)`."""

    db: Session

    def figure(
        self,
        recorder: Organisation | None,
        statement: str = "88.3 million images and videos were reported.",
        *,
        value: float | None = 88_300_000,
        unit: str = "images and videos",
        denominator: str | None = None,
        period: tuple[date, date] = (date(2022, 1, 1), date(2022, 1, 1)),
        precision: str = "YEAR",
        source: Organisation | None = None,
        visibility: str = "PUBLIC",
        initiatives: Iterable[Initiative] = (),
        harms: Iterable[str] = (),
        regions: Iterable[str] = (),
        countries: Iterable[str] = (),
        provenance: list[dict[str, str]] | None = None,
    ) -> Figure:
        """A figure recorded by `recorder` (None: the Lab's own registry), with its links and classifications."""
        figure = Figure(
            recording_organisation_id=recorder.id if recorder else None,
            source_organisation_id=source.id if source else None,
            statement=statement,
            value=value,
            unit=unit,
            denominator=denominator,
            period_start=period[0],
            period_end=period[1],
            period_precision=precision,
            visibility=visibility,
            provenance=provenance or [],
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(figure)
        self.db.commit()
        for scheme, codes in (("harm", harms), ("region", regions), ("country", countries)):
            self.db.add_all(FigureClassification(figure_id=figure.id, scheme=scheme, code=c) for c in codes)
        self.db.add_all(FigureInitiative(figure_id=figure.id, initiative_id=i.id) for i in initiatives)
        self.db.commit()
        return figure
