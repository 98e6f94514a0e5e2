"""The evidence-and-gap map query."""

from typing import Annotated

import strawberry

from api.core.errors import ErrorCode
from api.graphql.context import Info
from api.graphql.filter_codes import FilterCodes
from api.maps import service
from api.maps.cache import cache_of, cached_map
from api.maps.types import EvidenceMap, MapAxis, MapLayer


@strawberry.input(description="Narrows a map; values within one filter are alternatives, filters are combined.")
class EvidenceMapFilter:
    intervention_types: list[str] | None = strawberry.field(default=None, description="`intervention-type` codes.")
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    mnr_capabilities: list[str] | None = strawberry.field(default=None, description="`mnr-capability` codes.")
    target_groups: list[str] | None = strawberry.field(default=None, description="`target-group` codes.")
    regions: list[str] | None = strawberry.field(default=None, description="`region` codes.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes.")
    stakeholder_types: list[str] | None = strawberry.field(
        default=None, description="`stakeholder-type` codes of the lead organisation."
    )
    ratings: list[str] | None = strawberry.field(default=None, description="`evidence-rating` codes of a computed rating.")
    outcomes: list[str] | None = strawberry.field(default=None, description="`outcome` codes of a finding.")
    study_designs: list[str] | None = strawberry.field(default=None, description="`study-design` codes of a study.")


FILTER_VOCABULARIES = {
    "intervention_types": "intervention-type",
    "harms": "harm",
    "mnr_capabilities": "mnr-capability",
    "target_groups": "target-group",
    "regions": "region",
    "stakeholder_types": "stakeholder-type",
    "ratings": "evidence-rating",
    "outcomes": "outcome",
    "study_designs": "study-design",
}


async def checked_arguments(
    info: Info,
    *,
    rows: service.Axis,
    columns: service.Axis,
    filter: EvidenceMapFilter | None,  # noqa: A002
    synthesis_min_studies: int,
    synthesis_years: int,
) -> service.MapFilter:
    """The filter with its codes checked; one BAD_USER_INPUT error naming every wrong argument otherwise."""
    f = filter or EvidenceMapFilter()
    check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
    codes = {name: await check.vocabulary(name, vocabulary, getattr(f, name)) for name, vocabulary in FILTER_VOCABULARIES.items()}
    countries = check.countries("countries", f.countries)
    if rows is columns:
        check.problems.add(["columns"], ErrorCode.INVALID_VALUE, f"The columns repeat the rows' axis {rows.value}; give two axes.")
    for name, value, (low, high) in (
        ("synthesisMinStudies", synthesis_min_studies, service.SYNTHESIS_MIN_STUDIES_RANGE),
        ("synthesisYears", synthesis_years, service.SYNTHESIS_YEARS_RANGE),
    ):
        if not low <= value <= high:
            check.problems.add([name], ErrorCode.INVALID_VALUE, f"Must be from {low} to {high}; {value} is not.")
    check.raise_if_any()
    return service.MapFilter(
        **{name: tuple(values or ()) for name, values in codes.items()}, countries=tuple(countries or ())
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="An evidence-and-gap map of what you may read: every term of `rows` against every term of "
        "`columns`, with counts, design classes, ratings (RATING layer) and a gap class per cell (docs/evidence-map.md)."
    )
    async def evidence_map(
        self,
        info: Info,
        rows: MapAxis,
        columns: MapAxis,
        filter: EvidenceMapFilter | None = None,  # noqa: A002
        layer: MapLayer = service.Layer.EXISTENCE,
        synthesis_min_studies: Annotated[
            int, strawberry.argument(description="SYNTHESIS_GAP: at least this many primary studies (1 to 100).")
        ] = service.SYNTHESIS_MIN_STUDIES,
        synthesis_years: Annotated[
            int,
            strawberry.argument(description="SYNTHESIS_GAP: and no systematic review published in this many years (1 to 50)."),
        ] = service.SYNTHESIS_YEARS,
    ) -> EvidenceMap:
        where = await checked_arguments(
            info,
            rows=rows,
            columns=columns,
            filter=filter,
            synthesis_min_studies=synthesis_min_studies,
            synthesis_years=synthesis_years,
        )
        principal = info.context.principal
        async with info.context.loaders.lock:  # one statement at a time on the request's session
            found = await cached_map(
                session=info.context.session,
                principal=principal,
                cache=cache_of(info.context.request.app.state),
                rows=rows,
                columns=columns,
                where=where,
                layer=layer,
                synthesis_min_studies=synthesis_min_studies,
                synthesis_years=synthesis_years,
            )
        return EvidenceMap.from_map(found, principal, where)
