"""GraphQL types for best practices and their endorsements."""

from datetime import datetime
from typing import Annotated
from functools import partial

import strawberry
from strawberry import relay

from api.versions.types import Versioned
from api.activity.types import trail
from api.graphql.context import Info
from api.evidence.types import EvidenceAssessment
from api.graphql.filter_codes import FilterCodes
from api.graphql.ids import decode_arguments
from api.graphql.records import from_row
from api.graphql.lazy_types import schema_type
from api.graphql.loaders import load_nodes, load_one
from api.graphql.provenance import Provenance, provenance_list
from api.organisations.types import Organisation
from api.graphql.pagination import Connection, paginate
from api.practices import loaders, service
from api.practices.models import BestPractice as PracticeRow
from api.practices.models import Endorsement as EndorsementRow
from api.ratings import loaders as ratings_loaders
from api.core.visibility import Visibility
from api.vocabularies.cache import TermCache
from api.vocabularies.types import Term, term, terms

BestPracticeOrder = strawberry.enum(
    service.PracticeOrder, name="BestPracticeOrder", description="Orderings for best practices."
)


@strawberry.type(description="An organisation's endorsement of a best practice.")
class Endorsement:
    endorsed_at: datetime = strawberry.field(description="When the organisation endorsed the practice.")
    _row: strawberry.Private[EndorsementRow]

    @classmethod
    def from_model(cls, row: EndorsementRow) -> "Endorsement":
        return from_row(cls, row)

    @strawberry.field(description="The endorsing organisation.")
    def organisation(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.organisation_id)


@strawberry.type(description="A practice the Lab's members recommend, and what it rests on.")
class BestPractice(relay.Node, Versioned):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Short name of the practice.")
    statement: str = strawberry.field(description="What to do.")
    rationale: str | None = strawberry.field(description="Why.")
    visibility: Visibility = strawberry.field(description="Who may read this record.")
    evidence_basis: Term = strawberry.field(description="What the practice rests on (vocabulary `evidence-basis`).")
    provenance: list[Provenance] = strawberry.field(description="Where the record's facts came from.")
    created_at: datetime = strawberry.field(description="When the record was created.")
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    withdrawn_at: datetime | None = strawberry.field(
        description="When its organisation withdrew it: a withdrawn practice is in no list, search, export or "
        "rating, and stays readable here, by its id, with its reason and its versions."
    )
    withdrawn_reason: str | None = strawberry.field(description="Why it was withdrawn.")
    _row: strawberry.Private[PracticeRow]

    @classmethod
    def from_model(cls, row: PracticeRow, term_cache: TermCache) -> "BestPractice":
        return from_row(
            cls,
            row,
            withdrawn_at=row.deleted_at,
            visibility=Visibility(row.visibility),
            evidence_basis=term(term_cache, "evidence-basis", row.evidence_basis),
            provenance=provenance_list(row.provenance),
        )

    activity = trail("BestPractice")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.practice_by_id, cls.from_model)

    @classmethod
    def loaded(cls, info: Info, row_id: int | None):  # noqa: ANN206
        """The practice with this id as a related record shows it (None when hidden or missing)."""
        return load_one(info, loaders.practice_by_id, row_id, cls.from_model)

    @strawberry.field(description="The organisation that proposed the practice.")
    def organisation(self, info: Info) -> Organisation:
        return Organisation.loaded(info, self._row.organisation_id)

    def _terms(self, info: Info, scheme: str) -> list[Term]:
        return info.context.loaders.resolve(
            loaders.classifications_of, self.id, lambda schemes: terms(info.context.terms, scheme, schemes.get(scheme, []))
        )

    @strawberry.field(description="Harms the practice applies to (vocabulary `harm`).")
    def harms(self, info: Info) -> list[Term]:
        return self._terms(info, "harm")

    @strawberry.field(description="Intervention types the practice applies to (vocabulary `intervention-type`).")
    def intervention_types(self, info: Info) -> list[Term]:
        return self._terms(info, "intervention-type")

    @strawberry.field(description="The evidence assessments the practice cites (those you may read).")
    def evidence(self, info: Info) -> list[EvidenceAssessment]:
        return info.context.loaders.resolve(
            loaders.evidence_of, self.id, lambda rows: [EvidenceAssessment.from_model(r, info.context.terms) for r in rows]
        )

    @strawberry.field(
        description="Computed ratings of the public evidence the practice cites, one per outcome (`ratingRuleset`); "
        "none once it is withdrawn."
    )
    def outcome_ratings(self, info: Info) -> list[Annotated["OutcomeRating", strawberry.lazy("api.ratings.types")]]:
        if self.withdrawn_at is not None:
            return []  # a tombstone rates nothing (its ratings are unreadable, as every rating path says)
        # Ratings build on practices: their type comes from the schema, not from an import.
        rating = schema_type(info, "OutcomeRating")
        return info.context.loaders.resolve(
            ratings_loaders.ratings_of_practices,
            self.id,
            lambda rows: [rating.from_model(r, info.context.terms) for r in rows],
        )

    @strawberry.field(description="Endorsements by organisations you may see, oldest first.")
    def endorsements(self, info: Info) -> list[Endorsement]:
        return info.context.loaders.resolve(
            loaders.endorsements_of, self.id, lambda rows: [Endorsement.from_model(r) for r in rows]
        )

    @strawberry.field(description="How many organisations you may see endorse the practice.")
    def endorsement_count(self, info: Info) -> int:
        return info.context.loaders.resolve(loaders.endorsements_of, self.id, len)


@strawberry.input(description="Filters for best practices; values within one filter are alternatives, filters combine.")
class BestPracticeFilter:
    harms: list[str] | None = strawberry.field(default=None, description="`harm` codes.")
    intervention_types: list[str] | None = strawberry.field(default=None, description="`intervention-type` codes.")
    evidence_basis: list[str] | None = strawberry.field(default=None, description="`evidence-basis` codes.")
    organisations: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Proposed by these organisations."
    )
    endorsed_by: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Endorsed by at least one of these organisations."
    )
    query: str | None = strawberry.field(default=None, description="Words in the title (literal text).")


def _organisation_ids(global_ids: list[relay.GlobalID] | None, field: list[str]) -> list[int]:
    return decode_arguments(global_ids or [], "Organisation", field)


async def list_practices(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    filter: BestPracticeFilter | None,  # noqa: A002
    order_by: service.PracticeOrder | None,
) -> Connection[BestPractice]:
    """One page of readable best practices."""
    f = filter or BestPracticeFilter()
    check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
    harms = await check.vocabulary("harms", "harm", f.harms)
    intervention_types = await check.vocabulary("intervention_types", "intervention-type", f.intervention_types)
    evidence_bases = await check.vocabulary("evidence_basis", "evidence-basis", f.evidence_basis)
    check.raise_if_any()
    where = service.PracticeFilter(
        harms=harms or (),
        intervention_types=intervention_types or (),
        evidence_bases=evidence_bases or (),
        organisation_ids=_organisation_ids(f.organisations, ["filter", "organisations"]),
        endorsed_by=_organisation_ids(f.endorsed_by, ["filter", "endorsedBy"]),
        query=f.query,
    )
    return await paginate(
        info,
        statement=service.filtered(info.context.principal, where),
        id_column=PracticeRow.id,
        key=service.SORT_KEYS[order_by or service.PracticeOrder.UPDATED_AT_DESC],
        first=first,
        after=after,
        to_node=partial(BestPractice.from_model, term_cache=info.context.terms),
    )
