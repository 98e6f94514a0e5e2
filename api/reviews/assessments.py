"""Evidence assessments as a reviewed kind of record (api/reviews/kinds.py): the content is the evidence
service's `AssessmentData` (content.py), a reviewer codes the study design, each finding and the certainty
domains (coding.py), and the agreed finding coding replaces the authors' on publication."""

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.evidence import service as evidence
from api.evidence.models import EvidenceAssessment
from api.reviews import coding as codes
from api.reviews import content, reviewers
from api.reviews.models import ReviewedType, Revision

INITIATIVE = "initiative_id"


class AssessmentKind:
    record_type = ReviewedType.EVIDENCE_ASSESSMENT
    write_scope = Scope.ASSESSMENTS_WRITE
    parent_key = INITIATIVE
    coding = codes.Coding
    coding_field = "studyDesign"

    def dump(self, data: evidence.AssessmentData) -> dict:
        return content.dump(data)

    def load(self, stored: dict) -> evidence.AssessmentData:
        return content.load(stored)

    def merged(self, base: evidence.AssessmentData, changes: evidence.AssessmentData) -> evidence.AssessmentData:
        return content.merged(base, changes)

    async def start(self, *, session: AsyncSession, principal: Principal, record_id: int) -> evidence.AssessmentData:
        published = await evidence.get(session=session, principal=principal, assessment_id=record_id)
        if published is None:
            raise not_found(["id"], "evidence assessment")
        if published.assessing_organisation_id != principal.organisation_id:
            raise DomainError.one(["id"], ErrorCode.FORBIDDEN, "Only the assessing organisation can revise this assessment.")
        return await content.of_published(session, published)

    async def write(
        self,
        *,
        session: AsyncSession,
        principal: Principal,
        parent_id: int | None,
        record_id: int | None,
        data: evidence.AssessmentData,
        dry_run: bool,
    ) -> EvidenceAssessment | None:
        return await content.write(
            session=session, principal=principal, initiative_id=parent_id, record_id=record_id, data=data, dry_run=dry_run
        )

    async def stakes(self, session: AsyncSession, revision: Revision) -> set[int]:
        """The authors, and the lead and participants of the initiative assessed."""
        if revision.record_id is not None:
            initiative_id = (await session.get(EvidenceAssessment, revision.record_id)).initiative_id
        else:
            initiative_id = revision.content[INITIATIVE]
        return await reviewers.stake_organisations(session, revision, initiative_id)

    async def check_coding(
        self, *, session: AsyncSession, problems: Problems, coding: codes.Coding, data: evidence.AssessmentData
    ) -> None:
        await codes.check(session=session, problems=problems, coding=coding, findings=len(data.findings or []))

    def dump_coding(self, review: codes.Coding) -> dict:
        return codes.CODING.dump_python(review, mode="json")

    def fields_of(self, stored: dict) -> dict[str, str | None]:
        return codes.fields_of(stored)

    async def applied(
        self,
        *,
        session: AsyncSession,
        revision: Revision,
        data: evidence.AssessmentData,
        agreed: dict[str, str | None],
        publisher: Principal,  # noqa: ARG002
    ) -> evidence.AssessmentData:
        data = codes.apply(data, agreed)
        if await content.design(session, data, revision.record_id) != agreed["/studyDesign"]:
            raise DomainError.one(
                ["revision"],
                ErrorCode.DESIGN_DIFFERS,
                "The reviewers coded another study design than the study's: correct the study first.",
            )
        return data

