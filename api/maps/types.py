"""GraphQL types of the evidence-and-gap map."""

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import TypeVar

import strawberry
from sqlmodel import col

from api.auth.principal import Principal
from api.evidence import studies
from api.evidence.models import Study as StudyRow
from api.evidence.types import Study
from api.graphql.context import Info
from api.graphql.pagination import Connection, paginate
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative as InitiativeRow
from api.initiatives.types import Initiative
from api.maps import service

T = TypeVar("T")

MapAxis = strawberry.enum(
    service.Axis,
    name="MapAxis",
    description="What a map's rows or columns are: the terms of one vocabulary (countries: ISO 3166-1).",
)
MapLayer = strawberry.enum(
    service.Layer,
    name="MapLayer",
    description="EXISTENCE: counts and designs. RATING: also computed ratings, never for descriptive-only cells.",
)
GapClass = strawberry.enum(service.Gap, name="GapClass", description="What kind of gap a cell is (docs/evidence-map.md).")
DesignClass = strawberry.enum(
    service.DesignClass, name="DesignClass", description="Classes of study designs (docs/evidence-map.md gives the mapping)."
)
MapScope = strawberry.enum(
    service.MapScope,
    name="MapScope",
    description="Whose records a map counts: PUBLIC ones only, or also those of one ORGANISATION (and members-only "
    "ones when it is an admitted member). MEMBERS is never given today (docs/evidence-map.md).",
)


@strawberry.enum(description="A count each cell of a map holds, for `EvidenceMap.matrix`.")
class MapMeasure(Enum):
    INITIATIVES = "initiatives"
    INITIATIVES_WITHOUT_EVIDENCE = "initiatives_without_evidence"
    STUDIES = "studies"
    FINDINGS = "findings"
    INDEPENDENT_STUDIES = "independent_studies"


@strawberry.type(description="A term of a map's axis.")
class MapTerm:
    code: str = strawberry.field(description="The term's code.")
    label: str = strawberry.field(description="The term's label.")


@strawberry.type(description="Distinct studies of one design class in a cell.")
class DesignClassCount:
    design_class: DesignClass = strawberry.field(description="The design class.")
    studies: int = strawberry.field(description="Distinct studies of that class.")


@strawberry.type(description="Computed outcome ratings of one rating code in a cell.")
class RatingCount:
    rating: str = strawberry.field(description="The rating's code (vocabulary `evidence-rating`).")
    count: int = strawberry.field(description="Computed outcome ratings with that code.")


@strawberry.type(description="What the map holds for one row term and one column term.")
class EvidenceMapCell:
    row: str = strawberry.field(description="The row term's code.")
    column: str = strawberry.field(description="The column term's code.")
    initiatives: int = strawberry.field(description="Initiatives under both terms.")
    initiatives_without_evidence: int = strawberry.field(description="Of those, initiatives with no readable assessment.")
    studies: int = strawberry.field(description="Distinct studies (a study under several terms counts once per cell).")
    findings: int = strawberry.field(description="Findings.")
    design_classes: list[DesignClassCount] = strawberry.field(description="Distinct studies by design class (non-zero ones).")
    independent_studies: int = strawberry.field(description="Distinct studies coded by an INDEPENDENT assessment.")
    latest_publication: date | None = strawberry.field(description="The newest publication date of its studies.")
    rating_counts: list[RatingCount] = strawberry.field(description="Computed ratings by code (RATING layer only).")
    best_rating: str | None = strawberry.field(
        description="The best computed rating (RATING layer; null where only descriptive data are)."
    )
    highest_certainty: str | None = strawberry.field(description="The highest certainty of its computed ratings (RATING layer).")
    gap: GapClass = strawberry.field(description="The cell's gap class.")

    @classmethod
    def from_cell(cls, cell: service.Cell) -> "EvidenceMapCell":
        return cls(
            row=cell.row,
            column=cell.column,
            initiatives=cell.initiatives,
            initiatives_without_evidence=cell.initiatives_without_evidence,
            studies=cell.studies,
            findings=cell.findings,
            design_classes=[DesignClassCount(design_class=d, studies=n) for d, n in cell.designs.items()],
            independent_studies=cell.independent_studies,
            latest_publication=cell.latest_publication,
            rating_counts=[RatingCount(rating=r, count=n) for r, n in sorted(cell.ratings.items())],
            best_rating=cell.best_rating,
            highest_certainty=cell.highest_certainty,
            gap=cell.gap,
        )


@strawberry.type(description="Initiatives, studies and findings a map counts.")
class MapTotals:
    initiatives: int = strawberry.field(description="Initiatives.")
    studies: int = strawberry.field(description="Distinct studies.")
    findings: int = strawberry.field(description="Findings.")


@strawberry.type(description="An evidence-and-gap map: every term of both axes, every cell, over what you may read.")
class EvidenceMap:
    rows: MapAxis = strawberry.field(description="The rows' axis.")
    columns: MapAxis = strawberry.field(description="The columns' axis.")
    layer: MapLayer = strawberry.field(description="The layer computed.")
    row_terms: list[MapTerm] = strawberry.field(description="Every term of the rows' axis, in vocabulary order.")
    column_terms: list[MapTerm] = strawberry.field(description="Every term of the columns' axis, in vocabulary order.")
    cells: list[EvidenceMapCell] = strawberry.field(description="Every cell, empty ones included, row by row.")
    scope: MapScope = strawberry.field(description="Whose records are counted.")
    scope_organisation: strawberry.relay.GlobalID | None = strawberry.field(
        description="The organisation whose own records are counted too (scope ORGANISATION)."
    )
    as_of: datetime | None = strawberry.field(description="The newest change among the readable records counted.")
    unfiltered_totals: MapTotals = strawberry.field(description="What you may read, before the filter.")
    filtered_totals: MapTotals = strawberry.field(description="What the filter kept.")
    synthesis_min_studies: int = strawberry.field(description="The SYNTHESIS_GAP threshold of primary studies used.")
    synthesis_years: int = strawberry.field(description="The SYNTHESIS_GAP window in years used.")
    _principal: strawberry.Private[Principal]
    _where: strawberry.Private[service.MapFilter]

    @classmethod
    def from_map(cls, found: service.EvidenceMap, principal: Principal, where: service.MapFilter) -> "EvidenceMap":
        organisation = found.scope_organisation_id
        return cls(
            rows=found.rows,
            columns=found.columns,
            layer=found.layer,
            row_terms=[MapTerm(code=c, label=label) for c, label in found.row_terms],
            column_terms=[MapTerm(code=c, label=label) for c, label in found.column_terms],
            cells=[EvidenceMapCell.from_cell(cell) for cell in found.cells],
            scope=found.scope,
            scope_organisation=strawberry.relay.GlobalID("Organisation", str(organisation)) if organisation else None,
            as_of=found.as_of,
            unfiltered_totals=MapTotals(**vars(found.totals)),
            filtered_totals=MapTotals(**vars(found.filtered_totals)),
            synthesis_min_studies=found.synthesis_min_studies,
            synthesis_years=found.synthesis_years,
            _principal=principal,
            _where=where,
        )

    # The cells come row by row, each row's columns in `column_terms` order (service.compute builds
    # them so), so a matrix is the cells cut into rows of that length.
    def _by_row(self, value: Callable[[EvidenceMapCell], T]) -> list[list[T]]:
        width = len(self.column_terms)
        values = [value(cell) for cell in self.cells]
        return [values[start : start + width] for start in range(0, len(values), width)]

    @strawberry.field(
        description="One count of every cell as a matrix: a list per row term (in `rowTerms` order) of the count "
        "per column term (in `columnTerms` order). The compact form for drawing the whole map: a few hundred "
        "numbers rather than every cell's fields."
    )
    def matrix(self, measure: MapMeasure) -> list[list[int]]:
        return self._by_row(attrgetter(measure.value))

    @strawberry.field(description="Every cell's gap class as a matrix, rows and columns as in `matrix`.")
    def gap_matrix(self) -> list[list[GapClass]]:
        return self._by_row(attrgetter("gap"))

    @strawberry.field(description="The readable studies counted in one cell, a page at a time.")
    async def cell_studies(
        self, info: Info, row: str, column: str, first: int | None = 20, after: str | None = None
    ) -> Connection[Study]:
        ids = service.cell_study_ids(self._principal, self.rows, self.columns, row, column, self._where)
        return await paginate(
            info,
            statement=studies.readable(self._principal).where(col(StudyRow.id).in_(ids)),
            id_column=StudyRow.id,
            key=studies.SORT_KEYS[studies.StudyOrder.CREATED_AT_DESC],
            first=first,
            after=after,
            to_node=partial(Study.from_model, term_cache=info.context.terms),
        )

    @strawberry.field(description="The readable initiatives in one cell, a page at a time.")
    async def cell_initiatives(
        self, info: Info, row: str, column: str, first: int | None = 20, after: str | None = None
    ) -> Connection[Initiative]:
        ids = service.cell_initiative_ids(self._principal, self.rows, self.columns, row, column, self._where)
        return await paginate(
            info,
            statement=initiatives.readable(self._principal).where(col(InitiativeRow.id).in_(ids)),
            id_column=InitiativeRow.id,
            key=initiatives.SORT_KEYS[initiatives.InitiativeOrder.UPDATED_AT_DESC],
            first=first,
            after=after,
            to_node=partial(Initiative.from_model, term_cache=info.context.terms),
        )
