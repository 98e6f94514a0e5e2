"""Evidence queries."""

from functools import partial

import strawberry
from sqlmodel import col

from api.graphql.context import Info
from api.evidence import service
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.types import EvidenceAssessment, EvidenceAssessmentOrder
from api.graphql.filter_codes import FilterCodes
from api.graphql.ids import decode_arguments
from api.graphql.pagination import Connection, paginate


@strawberry.input(description="Filters for evidence assessments; values within one filter are alternatives.")
class EvidenceAssessmentFilter:
    initiatives: list[strawberry.relay.GlobalID] | None = strawberry.field(
        default=None, description="Assessments of these initiatives."
    )
    assessing_organisations: list[strawberry.relay.GlobalID] | None = strawberry.field(
        default=None, description="Assessments made by these organisations."
    )
    study_designs: list[str] | None = strawberry.field(default=None, description="`study-design` codes.")
    ratings: list[str] | None = strawberry.field(default=None, description="`evidence-rating` codes of a finding.")


@strawberry.type
class Query:
    @strawberry.field(description="Evidence assessments you may read, filtered and ordered (newest first by default).")
    async def evidence_assessments(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: EvidenceAssessmentFilter | None = None,  # noqa: A002
        order_by: EvidenceAssessmentOrder = service.AssessmentOrder.CREATED_AT_DESC,
    ) -> Connection[EvidenceAssessment]:
        f = filter or EvidenceAssessmentFilter()
        check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
        study_designs = await check.vocabulary("study_designs", "study-design", f.study_designs)
        ratings = await check.vocabulary("ratings", "evidence-rating", f.ratings)
        check.raise_if_any()
        statement = service.readable(info.context.principal)
        if f.initiatives:
            ids = decode_arguments(f.initiatives, "Initiative", ["filter", "initiatives"])
            statement = statement.where(col(AssessmentRow.initiative_id).in_(ids))
        if f.assessing_organisations:
            ids = decode_arguments(f.assessing_organisations, "Organisation", ["filter", "assessingOrganisations"])
            statement = statement.where(col(AssessmentRow.assessing_organisation_id).in_(ids))
        if study_designs:
            statement = statement.where(col(AssessmentRow.study_design).in_(study_designs))
        if ratings:
            # Restricted by `readable` above, so findings of hidden assessments never count.
            statement = statement.where(col(AssessmentRow.id).in_(service.rated_assessment_ids(ratings)))
        return await paginate(
            info,
            statement=statement,
            id_column=AssessmentRow.id,
            key=service.SORT_KEYS[order_by],
            first=first,
            after=after,
            to_node=partial(EvidenceAssessment.from_model, term_cache=info.context.terms),
        )
