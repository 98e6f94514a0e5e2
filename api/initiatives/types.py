"""GraphQL types for initiatives and participations."""

from collections.abc import Callable
from functools import partial
from datetime import date, datetime
from typing import Annotated, Optional, TypeVar

import strawberry
from strawberry import relay

from api.versions.types import Versioned
from api.activity.types import trail
from api.graphql.context import Info
from api.evidence import loaders as evidence_loaders
from api.figures import loaders as figure_loaders
from api.graphql.filter_codes import FilterCodes
from api.graphql.ids import decode_arguments, node_ints
from api.graphql.records import from_row
from api.graphql.loaders import load_nodes, load_one
from api.graphql.lazy_types import schema_type
from api.initiatives import filters, loaders, service
from api.ratings import loaders as ratings_loaders
from api.initiatives.models import Initiative as InitiativeRow
from api.initiatives.models import Participation as ParticipationRow
from api.organisations.types import Organisation
from api.graphql.provenance import Provenance, provenance_list
from api.graphql.pagination import Connection, paginate
from api.graphql.selection import selected_paths
from api.core.dates import DatePrecision
from api.core.visibility import Visibility
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Country, Language, Term, term, terms

T = TypeVar("T")
InitiativeOrder = strawberry.enum(service.InitiativeOrder, description="Orderings for initiatives.")


@strawberry.type(description="A link to more about an initiative.")
class Link:
    label: str = strawberry.field(description="What the link leads to.")
    url: str = strawberry.field(description="Absolute http(s) URL.")


@strawberry.type(description="An initiative against online child sexual exploitation and abuse.")
class Initiative(relay.Node, Versioned):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title.")
    summary: str | None = strawberry.field(description="One-paragraph summary.")
    description: str | None = strawberry.field(description="Full description.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    status: Term = strawberry.field(description="Status (vocabulary `initiative-status`).")
    planned_start: date | None = strawberry.field(description="Planned start date.")
    planned_end: date | None = strawberry.field(description="Planned end date.")
    actual_start: date | None = strawberry.field(
        description="Actual start date; the first day of the month or year when `actualStartPrecision` says so."
    )
    actual_start_precision: DatePrecision | None = strawberry.field(
        description="How much of `actualStart` the sources give (null when there is no date)."
    )
    actual_end: date | None = strawberry.field(description="Actual end date.")
    links: list[Link] = strawberry.field(description="Links to more information.")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record (or its participations) last changed.")
    _row: strawberry.Private[InitiativeRow]

    @classmethod
    def from_model(cls, row: InitiativeRow, term_cache: TermCache) -> "Initiative":
        return from_row(
            cls,
            row,
            visibility=Visibility(row.visibility),
            status=term(term_cache, "initiative-status", row.status),
            actual_start_precision=(
                DatePrecision(row.actual_start_precision or "DAY") if row.actual_start is not None else None
            ),
            links=[Link(label=link.get("label", ""), url=link["url"]) for link in row.links or []],
            provenance=provenance_list(row.provenance),
        )

    activity = trail("Initiative")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.initiative_by_id, cls.from_model)

    @classmethod
    def loaded(cls, info: Info, row_id: int | None):  # noqa: ANN206
        """The initiative with this id as a related record shows it, through the request's loader
        (None when there is none)."""
        return load_one(info, loaders.initiative_by_id, row_id, cls.from_model)

    @classmethod
    async def page(
        cls,
        info: Info,
        *,
        first: int | None,
        after: str | None,
        filter: "InitiativeFilter | None",  # noqa: A002
        order_by: service.InitiativeOrder | None,
        organisation_id: int | None = None,
    ) -> "Connection[Initiative]":
        """One page of readable initiatives: `initiatives`, and `Organisation.initiatives` through the schema."""
        f = filter or InitiativeFilter()
        check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
        codes = {
            name: await check.vocabulary(name, vocabulary, getattr(f, name)) for name, vocabulary in FILTER_VOCABULARIES.items()
        }
        countries = check.countries("countries", f.countries)
        check.raise_if_any()
        organisation_ids = decode_arguments(f.organisations or [], "Organisation", ["filter", "organisations"])
        if organisation_id is not None:
            organisation_ids = [organisation_id] if not f.organisations or organisation_id in organisation_ids else [-1]
        where = filters.InitiativeFilter(
            organisation_ids=organisation_ids,
            stakeholder_types=codes["stakeholder_types"] or (),
            countries=countries or (),
            intervention_types=codes["intervention_types"] or (),
            harms=codes["harms"] or (),
            statuses=codes["statuses"] or (),
            ratings=codes["ratings"] or (),
            visibilities=f.visibilities or (),
            query=f.query,
        )
        connection = await paginate(
            info,
            statement=filters.filtered(info.context.principal, where),
            id_column=InitiativeRow.id,
            key=service.SORT_KEYS[order_by or service.InitiativeOrder.UPDATED_AT_DESC],
            first=first,
            after=after,
            to_node=partial(cls.from_model, term_cache=info.context.terms),
        )
        page = [edge.node._row for edge in connection.edges]
        await loaders.prefetch_page(info.context.loaders, page, selected=selected_paths(info), prefix="edges.node.")
        return connection

    @strawberry.field(
        description="The organisation that leads the initiative; null where the registry's sources name none."
    )
    def lead_organisation(self, info: Info) -> Organisation | None:
        if self._row.lead_organisation_id is None:
            return None
        return Organisation.loaded(info, self._row.lead_organisation_id)

    @strawberry.field(description="The initiative this one is a component of, if any (and readable).")
    def part_of(self, info: Info) -> Optional["Initiative"]:
        if self._row.part_of_id is None:
            return None
        return Initiative.loaded(info, self._row.part_of_id)

    @strawberry.field(description="The readable initiatives that are components of this one.")
    def parts(self, info: Info) -> list["Initiative"]:
        return info.context.loaders.resolve(
            loaders.parts_of,
            self.id,
            lambda rows: [Initiative.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(description="Organisations taking part, with their roles.")
    def participations(self, info: Info) -> list["Participation"]:
        return info.context.loaders.resolve(
            loaders.participations_of,
            self.id,
            lambda rows: [Participation.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(description="Evidence assessments of this initiative.")
    def assessments(self, info: Info) -> list[Annotated["EvidenceAssessment", strawberry.lazy("api.evidence.types")]]:
        # Evidence builds on initiatives: its type comes from the schema, not from an import.
        assessment = schema_type(info, "EvidenceAssessment")
        return info.context.loaders.resolve(
            evidence_loaders.assessments_of,
            self.id,
            lambda rows: [assessment.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(
        description="Computed ratings of the public evidence, one per outcome, by the published rule set (`ratingRuleset`)."
    )
    def outcome_ratings(
        self, info: Info
    ) -> list[Annotated["OutcomeRating", strawberry.lazy("api.ratings.types")]]:
        rating = schema_type(info, "OutcomeRating")
        return info.context.loaders.resolve(
            ratings_loaders.ratings_of_initiatives,
            self.id,
            lambda rows: [rating.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(
        description="Figures about this initiative you may read: numbers that size or describe the problem it "
        "addresses, never evidence of its effect. The latest period first."
    )
    def figures(self, info: Info) -> list[Annotated["Figure", strawberry.lazy("api.figures.types")]]:
        # Figures build on initiatives: their type comes from the schema, not from an import.
        figure = schema_type(info, "Figure")
        return info.context.loaders.resolve(
            figure_loaders.figures_of, self.id, lambda rows: [figure.from_model(r, info.context.terms) for r in rows]
        )

    def _classified(self, info: Info, scheme: str, convert: Callable[[list[str]], list[T]]) -> list[T]:
        return info.context.loaders.resolve(
            loaders.classifications_of, self.id, lambda schemes: convert(schemes.get(scheme, []))
        )

    def _terms(self, info: Info, scheme: str) -> list[Term]:
        return self._classified(info, scheme, lambda codes: terms(info.context.terms, scheme, codes))

    @strawberry.field(description="Intervention types (vocabulary `intervention-type`).")
    def intervention_types(self, info: Info) -> list[Term]:
        return self._terms(info, "intervention-type")

    @strawberry.field(description="Harms addressed (vocabulary `harm`).")
    def harms(self, info: Info) -> list[Term]:
        return self._terms(info, "harm")

    @strawberry.field(description="WeProtect Model National Response capabilities (vocabulary `mnr-capability`).")
    def mnr_capabilities(self, info: Info) -> list[Term]:
        return self._terms(info, "mnr-capability")

    @strawberry.field(description="Who the initiative is for (vocabulary `target-group`).")
    def target_groups(self, info: Info) -> list[Term]:
        return self._terms(info, "target-group")

    @strawberry.field(description="World regions covered (vocabulary `region`).")
    def regions(self, info: Info) -> list[Term]:
        return self._terms(info, "region")

    @strawberry.field(description="Countries covered (ISO 3166-1 alpha-2).")
    def countries(self, info: Info) -> list[Country]:
        return self._classified(info, "country", lambda codes: [Country(code=c) for c in codes])

    @strawberry.field(description="Languages the initiative works in (ISO 639).")
    def languages(self, info: Info) -> list[Language]:
        return self._classified(info, "language", lambda codes: [Language(code=c) for c in codes])


@strawberry.type(description="An organisation's part in an initiative.")
class Participation(relay.Node):
    id: relay.NodeID[int]
    role: Term = strawberry.field(description="Its role (vocabulary `participation-role`).")
    _row: strawberry.Private[ParticipationRow]

    @classmethod
    def from_model(cls, row: ParticipationRow, term_cache: TermCache) -> "Participation":
        return from_row(cls, row, role=term(term_cache, "participation-role", row.role))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        from sqlmodel import col

        ids = node_ints(node_ids)
        statement = service.readable_participations(info.context.principal).where(
            col(ParticipationRow.id).in_([i for i in ids if i is not None])
        )
        async with info.context.loaders.lock:
            found = {r.id: r for r in (await info.context.session.exec(statement)).all()}
        return [cls.from_model(found[i], info.context.terms) if i in found else None for i in ids]

    @strawberry.field(
        description="When the organisation taking part confirmed it; null while only proposed by the lead "
        "(then shown only to the two organisations)."
    )
    def confirmed_at(self) -> datetime | None:
        return self._row.confirmed_at

    @strawberry.field(description="The organisation taking part.")
    def organisation(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.organisation_id)

    @strawberry.field(description="The initiative.")
    def initiative(self, info: Info) -> Initiative:
        return Initiative.loaded(info, self._row.initiative_id)


@strawberry.input(description="Filters for initiatives; values within one filter are alternatives, filters combine.")
class InitiativeFilter:
    organisations: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Led by or with the participation of these organisations."
    )
    stakeholder_types: list[str] | None = strawberry.field(
        default=None, description="The lead organisation's stakeholder type codes."
    )
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes covered.")
    intervention_types: list[str] | None = strawberry.field(default=None, description="Intervention type codes.")
    harms: list[str] | None = strawberry.field(default=None, description="Harm codes.")
    statuses: list[str] | None = strawberry.field(default=None, description="Initiative status codes.")
    ratings: list[str] | None = strawberry.field(
        default=None, description="Evidence rating codes of at least one finding you may read."
    )
    visibilities: list[Visibility] | None = strawberry.field(default=None, description="Record visibility.")
    query: str | None = strawberry.field(default=None, description="Words in the title (literal text).")


# Filter fields holding codes of a vocabulary (countries are ISO codes, checked apart), in the
# order search checks them, so both report the same problems in the same order.
FILTER_VOCABULARIES = {
    "statuses": "initiative-status",
    "harms": "harm",
    "intervention_types": "intervention-type",
    "stakeholder_types": "stakeholder-type",
    "ratings": "evidence-rating",
}
