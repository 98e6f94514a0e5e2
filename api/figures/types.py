"""GraphQL types for figures: numbers that size or describe the problem, never evidence of an effect."""

from datetime import date, datetime
from functools import partial

import strawberry
from strawberry import relay

from api.core.dates import DatePrecision
from api.core.errors import ErrorCode
from api.core.visibility import Visibility
from api.figures import loaders, service
from api.figures.models import Figure as FigureRow
from api.graphql.context import Info
from api.graphql.filter_codes import FilterCodes, camel
from api.graphql.ids import decode_arguments
from api.graphql.loaders import load_nodes
from api.graphql.pagination import Connection, paginate
from api.graphql.provenance import Provenance, provenance_list
from api.graphql.records import from_row
from api.initiatives.types import Initiative
from api.organisations.types import Organisation
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Country, Term, terms

FigureOrder = strawberry.enum(
    service.FigureOrder,
    name="FigureOrder",
    description="Orderings for figures: by the end of the period they cover, latest first, or by when they were "
    "recorded or last changed.",
)
# The years a year filter may name.
FIRST_YEAR, LAST_YEAR = 1, 9999


@strawberry.type(
    description="A number that sizes or describes the problem, as a source states it (88.3 million reports in a "
    "year; 99% of them from platforms). Context, never evidence that an initiative works: a figure has no "
    "rating, certainty or effect direction, and no rating is computed from it."
)
class Figure(relay.Node):
    id: relay.NodeID[int]
    statement: str = strawberry.field(description="The figure in words, as the source gives it.")
    value: float | None = strawberry.field(
        description="The number, where the source gives one; null when it gives the figure in words only."
    )
    unit: str = strawberry.field(description="What the value counts or measures: `reports`, `items`, `%`.")
    denominator: str | None = strawberry.field(description="What a share or rate is of, where the source says.")
    period_start: date = strawberry.field(
        description="The first year, month or day the figure covers; the first day of the year or month when "
        "`periodPrecision` says so."
    )
    period_end: date = strawberry.field(
        description="The last year, month or day the figure covers, written as `periodStart` is (equal to it for "
        "a single year, month or day)."
    )
    period_precision: DatePrecision = strawberry.field(description="How much of the period the source gives.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    provenance: list[Provenance] = strawberry.field(
        description="Where the figure was found: the citing document and the passage quoted."
    )
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    _row: strawberry.Private[FigureRow]

    @classmethod
    def from_model(cls, row: FigureRow, term_cache: TermCache) -> "Figure":  # noqa: ARG003  (the loaders' signature)
        return from_row(
            cls,
            row,
            period_precision=DatePrecision(row.period_precision),
            visibility=Visibility(row.visibility),
            provenance=provenance_list(row.provenance),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.figure_by_id, cls.from_model)

    @strawberry.field(
        description="The organisation that recorded the figure and may change it; null for the Lab's own registry."
    )
    def recording_organisation(self, info: Info) -> Organisation | None:
        if self._row.recording_organisation_id is None:
            return None
        return Organisation.loaded(info, self._row.recording_organisation_id)

    @strawberry.field(description="The organisation whose figure it is (its data, survey or estimate), where known.")
    def source_organisation(self, info: Info) -> Organisation | None:
        if self._row.source_organisation_id is None:
            return None
        return Organisation.loaded(info, self._row.source_organisation_id)

    @strawberry.field(description="The initiatives the figure concerns (those you may read).")
    def initiatives(self, info: Info) -> list[Initiative]:
        return info.context.loaders.resolve(
            loaders.initiatives_of, self.id, lambda rows: [Initiative.from_model(r, info.context.terms) for r in rows]
        )

    @strawberry.field(description="The harms the figure concerns (vocabulary `harm`).")
    def harms(self, info: Info) -> list[Term]:
        return info.context.loaders.resolve(
            loaders.classifications_of, self.id, lambda s: terms(info.context.terms, "harm", s.get("harm", []))
        )

    @strawberry.field(description="World regions the figure is about (vocabulary `region`).")
    def regions(self, info: Info) -> list[Term]:
        return info.context.loaders.resolve(
            loaders.classifications_of, self.id, lambda s: terms(info.context.terms, "region", s.get("region", []))
        )

    @strawberry.field(description="Countries the figure is about (ISO 3166-1 alpha-2).")
    def countries(self, info: Info) -> list[Country]:
        return info.context.loaders.resolve(
            loaders.classifications_of, self.id, lambda s: [Country(code=c) for c in s.get("country", [])]
        )


@strawberry.input(description="A year range a figure's period overlaps; either end may be left out.")
class YearRange:
    start: int | None = strawberry.field(default=None, description="The first year (1 to 9999).")
    end: int | None = strawberry.field(default=None, description="The last year (1 to 9999), not before `start`.")


@strawberry.input(description="Filters for figures; values within one filter are alternatives, filters combine.")
class FigureFilter:
    initiatives: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Figures concerning at least one of these initiatives."
    )
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    source_organisations: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Figures from these source organisations."
    )
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    regions: list[str] | None = strawberry.field(default=None, description="`region` codes.")
    period: YearRange | None = strawberry.field(
        default=None, description="Figures whose period overlaps these years (both included)."
    )
    units: list[str] | None = strawberry.field(default=None, description="Units, exactly as recorded (`%`, `reports`).")


def _years(check: FilterCodes, period: YearRange | None) -> tuple[int | None, int | None]:
    """The range's years, each checked; problems go with the filter's others."""
    if period is None:
        return None, None
    for name, year in (("start", period.start), ("end", period.end)):
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            check.problems.add(
                ["filter", "period", name], ErrorCode.INVALID_VALUE, f"A year from {FIRST_YEAR} to {LAST_YEAR}, not {year}."
            )
    if period.start is not None and period.end is not None and period.end < period.start:
        check.problems.add(["filter", "period", "end"], ErrorCode.INVALID_DATE_RANGE, "The last year is before the first.")
    return period.start, period.end


async def list_figures(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    filter: FigureFilter | None,  # noqa: A002
    order_by: service.FigureOrder | None,
) -> Connection[Figure]:
    """One page of readable figures."""
    f = filter or FigureFilter()
    check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
    harms = await check.vocabulary("harms", "harm", f.harms)
    regions = await check.vocabulary("regions", "region", f.regions)
    countries = check.countries("countries", f.countries)
    from_year, to_year = _years(check, f.period)
    check.raise_if_any()
    where = service.FigureFilter(
        initiative_ids=decode_arguments(f.initiatives or [], "Initiative", ["filter", "initiatives"]),
        harms=harms or (),
        source_organisation_ids=decode_arguments(
            f.source_organisations or [], "Organisation", ["filter", camel("source_organisations")]
        ),
        countries=countries or (),
        regions=regions or (),
        units=f.units or (),
        from_year=from_year,
        to_year=to_year,
    )
    return await paginate(
        info,
        statement=service.filtered(info.context.principal, where),
        id_column=FigureRow.id,
        key=service.SORT_KEYS[order_by or service.FigureOrder.PERIOD_END_DESC],
        first=first,
        after=after,
        to_node=partial(Figure.from_model, term_cache=info.context.terms),
    )
