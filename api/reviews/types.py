"""GraphQL types for review before publication (docs/reviews.md)."""

from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from api.activity.types import trail
from api.core.ordering import SortKey
from api.evidence import loaders as evidence_loaders
from api.evidence.types import EvidenceAssessment
from api.graphql.context import Info
from api.graphql.loaders import load_nodes, load_one
from api.graphql.pagination import Connection, paginate
from api.graphql.records import from_row
from api.inquiries import loaders as inquiry_loaders
from api.inquiries.types import RatingInquiry
from api.organisations.types import Organisation
from api.practices import loaders as practice_loaders
from api.practices.types import BestPractice
from api.reviews import comparison, kinds, loaders
from api.reviews.models import ReviewAssignment as AssignmentRow
from api.reviews.models import Disagreement as DisagreementRow
from api.reviews.models import ReviewedType, Revision as RevisionRow, RevisionState
from api.reviews.readable import readable
from api.vocabularies.cache import TermCache

RevisionStateEnum = strawberry.enum(
    RevisionState,
    name="RevisionState",
    description="DRAFT (its organisation only) → SUBMITTED (locked for its authors) → IN_REVIEW (two reviewers "
    "code it blind) → RECONCILIATION (their disagreements resolved) → PUBLISHED as a numbered version; "
    "CHANGES_REQUESTED sends it back to its authors; WITHDRAWN ends it, with a reason.",
)
ReviewedTypeEnum = strawberry.enum(ReviewedType, name="ReviewedRecordType", description="Records reviewed before publication.")
ReviewedRecord = Annotated[
    EvidenceAssessment | BestPractice | RatingInquiry,
    strawberry.union(
        "ReviewedRecord",
        description="A record reviewed before publication: an evidence assessment, a best practice or a rating inquiry.",
    ),
]
# How `Revision.record` loads each kind of record: its batch loader and its GraphQL type.
_RECORDS = {
    ReviewedType.EVIDENCE_ASSESSMENT: (evidence_loaders.assessment_by_id, EvidenceAssessment.from_model),
    ReviewedType.BEST_PRACTICE: (practice_loaders.practice_by_id, BestPractice.from_model),
    ReviewedType.RATING_INQUIRY: (inquiry_loaders.inquiry_by_id, RatingInquiry.from_model),
}


@strawberry.type(description="One reviewer's coding of one review round. Blind: a reviewer sees only their own until both are in.")
class Review:
    round: int = strawberry.field(description="The review round (each submission starts one).")
    position: int = strawberry.field(description="1 and 2 code the record; 3 is a third reviewer drawn to resolve disagreements.")
    coding: JSON | None = strawberry.field(description="What the reviewer coded; null until submitted.")
    decision: str | None = strawberry.field(description="ACCEPT, REVISE or REJECT; null until submitted.")
    notes: str | None = strawberry.field(description="The reviewer's notes.")
    assigned_at: datetime = strawberry.field(description="When the reviewer was assigned.")
    submitted_at: datetime | None = strawberry.field(description="When the review was submitted.")
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: AssignmentRow) -> "Review":
        return from_row(cls, row)

    @strawberry.field(description="Whether this is your own review.")
    def mine(self, info: Info) -> bool:
        return self.user_id == info.context.principal.user_id


@strawberry.type(description="A coded field on which the two reviews of a round differ, and its resolution.")
class ReviewDisagreement:
    round: int = strawberry.field(description="The review round.")
    field: str = strawberry.field(description="A JSON Pointer into the coding, e.g. /findings/0/riskOfBias or /evidenceBasis.")
    first: str | None = strawberry.field(description="The first reviewer's value.")
    second: str | None = strawberry.field(description="The second reviewer's value.")
    resolution: str | None = strawberry.field(description="The value settled on; null while open.")
    resolved_at: datetime | None = strawberry.field(description="When it was settled.")

    @classmethod
    def from_model(cls, row: DisagreementRow) -> "ReviewDisagreement":
        return from_row(cls, row)


@strawberry.type(
    description="A proposed version of an evidence assessment, a best practice or a rating inquiry (or its appeal) on its "
    "way to publication. Seen only by its organisation, the reviewers assigned to it and, once submitted, the Lab's secretariat."
)
class Revision(relay.Node):
    id: relay.NodeID[int]
    record_type: ReviewedTypeEnum = strawberry.field(description="The kind of record it proposes.")
    state: RevisionStateEnum = strawberry.field(description="Where it stands.")
    round: int = strawberry.field(description="How many times it was submitted.")
    base_version: int | None = strawberry.field(description="The published version it revises; null for a new record.")
    published_version: int | None = strawberry.field(description="The version its publication made.")
    content: JSON = strawberry.field(description="The proposal, as its authors gave it (row ids for references).")
    change_note: str | None = strawberry.field(description="What the authors say changes.")
    changes_requested: str | None = strawberry.field(description="What the secretariat asked the authors to change.")
    withdrawn_reason: str | None = strawberry.field(description="Why it was withdrawn.")
    submitted_at: datetime | None = strawberry.field(description="When it was last submitted.")
    created_at: datetime = strawberry.field(description="When the draft was started.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    activity = trail("Revision")
    _row: strawberry.Private[RevisionRow]

    @classmethod
    def from_model(cls, row: RevisionRow, term_cache: TermCache | None = None) -> "Revision":  # noqa: ARG003
        return from_row(cls, row, record_type=ReviewedType(row.record_type), state=RevisionState(row.state))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids, required: bool = False):  # noqa: ANN001, ANN206
        return await load_nodes(info, node_ids, loaders.revision_by_id, cls.from_model)

    @strawberry.field(description="The authoring organisation.")
    def organisation(self, info: Info) -> Organisation | None:
        return Organisation.loaded(info, self._row.organisation_id)

    @strawberry.field(description="The published record (null until the first publication, or if you may not read it).")
    def record(self, info: Info) -> ReviewedRecord | None:
        loader, build = _RECORDS[ReviewedType(self._row.record_type)]
        return load_one(info, loader, self._row.record_id, build)

    @strawberry.field(description="The reviews you may see, every round.")
    def reviews(self, info: Info) -> list[Review]:
        return info.context.loaders.resolve(loaders.reviews_of, self.id, lambda rows: [Review.from_model(r) for r in rows])

    @strawberry.field(description="Fields the two reviews disagree on, every round, with their resolutions.")
    def disagreements(self, info: Info) -> list[ReviewDisagreement]:
        return info.context.loaders.resolve(
            loaders.disagreements_of, self.id, lambda rows: [ReviewDisagreement.from_model(r) for r in rows]
        )

    @strawberry.field(
        description="Inter-reviewer agreement of the latest round both reviewers coded: the share of coded fields "
        "on which they agree (0 to 1); null before both reviews are in."
    )
    def agreement(self, info: Info) -> float | None:
        fields_of = kinds.of(self._row.record_type).fields_of

        def share(rows: list[AssignmentRow]) -> float | None:
            pairs = comparison.coded_pairs(rows)
            if not pairs:
                return None
            agreed, compared = comparison.agreement(fields_of, pairs[-1:])
            return agreed / compared

        return info.context.loaders.resolve(loaders.reviews_of, self.id, share)


NEWEST_FIRST = SortKey(RevisionRow.updated_at, True, "datetime")


async def list_revisions(info: Info, *, first: int | None, after: str | None, states: list[RevisionState] | None) -> Connection[Revision]:
    statement = readable(info.context.principal)
    if states:
        statement = statement.where(RevisionRow.state.in_([s.value for s in states]))
    return await paginate(
        info,
        statement=statement,
        id_column=RevisionRow.id,
        key=NEWEST_FIRST,
        first=first,
        after=after,
        to_node=partial(Revision.from_model, term_cache=info.context.terms),
    )


@strawberry.type(description="How often two reviewers coded the same fields alike, over every round both coded.")
class ReviewerPairAgreement:
    reviewers: list[str] = strawberry.field(description="The two reviewers' names.")
    rounds: int = strawberry.field(description="Review rounds both coded.")
    fields_agreed: int = strawberry.field(description="Coded fields on which they agreed.")
    fields_compared: int = strawberry.field(description="Coded fields compared.")

    @strawberry.field(description="fieldsAgreed / fieldsCompared (0 to 1).")
    def agreement(self) -> float:
        return self.fields_agreed / self.fields_compared if self.fields_compared else 1.0
