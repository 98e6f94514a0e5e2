"""Evidence queries."""

from functools import partial

import strawberry
from sqlmodel import col

from api.graphql.context import Info
from api.evidence import service, studies
from api.evidence.models import EvidenceAssessment as AssessmentRow
from api.evidence.models import Study as StudyRow
from api.evidence.types import EvidenceAssessment, EvidenceAssessmentOrder, Study, StudyOrder
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
    studies: list[strawberry.relay.GlobalID] | None = strawberry.field(
        default=None, description="Assessments coding these studies."
    )
    study_designs: list[str] | None = strawberry.field(
        default=None, description="`study-design` codes of the study coded."
    )
    independence: list[str] | None = strawberry.field(default=None, description="`independence` codes.")
    outcomes: list[str] | None = strawberry.field(default=None, description="`outcome` codes of a finding.")


@strawberry.input(description="Filters for studies; values within one filter are alternatives.")
class StudyFilter:
    study_designs: list[str] | None = strawberry.field(default=None, description="`study-design` codes.")
    peer_reviewed: bool | None = strawberry.field(default=None, description="Peer reviewed, or not.")
    countries: list[str] | None = strawberry.field(default=None, description="ISO codes of a country studied.")
    sample_key: str | None = strawberry.field(default=None, description="Reports of this sample.")


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
        independence = await check.vocabulary("independence", "independence", f.independence)
        outcomes = await check.vocabulary("outcomes", "outcome", f.outcomes)
        check.raise_if_any()
        statement = service.readable(info.context.principal)
        if f.initiatives:
            ids = decode_arguments(f.initiatives, "Initiative", ["filter", "initiatives"])
            statement = statement.where(col(AssessmentRow.initiative_id).in_(ids))
        if f.assessing_organisations:
            ids = decode_arguments(f.assessing_organisations, "Organisation", ["filter", "assessingOrganisations"])
            statement = statement.where(col(AssessmentRow.assessing_organisation_id).in_(ids))
        if f.studies:
            ids = decode_arguments(f.studies, "Study", ["filter", "studies"])
            statement = statement.where(col(AssessmentRow.study_id).in_(ids))
        if study_designs:
            statement = statement.where(col(AssessmentRow.study_id).in_(service.study_ids_with_design(study_designs)))
        if independence:
            statement = statement.where(col(AssessmentRow.independence).in_(independence))
        if outcomes:
            statement = statement.where(col(AssessmentRow.id).in_(service.assessment_ids_with_outcome(outcomes)))
        return await paginate(
            info,
            statement=statement,
            id_column=AssessmentRow.id,
            key=service.SORT_KEYS[order_by],
            first=first,
            after=after,
            to_node=partial(EvidenceAssessment.from_model, term_cache=info.context.terms),
        )

    @strawberry.field(description="Studies you may read, filtered and ordered (newest first by default).")
    async def studies(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: StudyFilter | None = None,  # noqa: A002
        order_by: StudyOrder = studies.StudyOrder.CREATED_AT_DESC,
    ) -> Connection[Study]:
        f = filter or StudyFilter()
        check = FilterCodes(session=info.context.session, lock=info.context.loaders.lock)
        study_designs = await check.vocabulary("study_designs", "study-design", f.study_designs)
        check.raise_if_any()
        statement = studies.filtered(
            studies.readable(info.context.principal),
            study_designs=study_designs,
            peer_reviewed=f.peer_reviewed,
            countries=[c.upper() for c in f.countries or []],
            sample_key=f.sample_key,
        )
        return await paginate(
            info,
            statement=statement,
            id_column=StudyRow.id,
            key=studies.SORT_KEYS[order_by],
            first=first,
            after=after,
            to_node=partial(Study.from_model, term_cache=info.context.terms),
        )
