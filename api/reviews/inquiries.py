"""Rating inquiries and appeals as a reviewed kind of record (api/reviews/kinds.py; docs/evidence-design.md,
"Questioning a rating").

A new record is an inquiry: the rating, the grounds and the question. The next version of a published
inquiry is its appeal. A reviewer rules on it (UPHELD or DISMISSED, with reasons) and decides whether it
can be published as filed (ACCEPT), needs the filing organisation to say more (REVISE) or is no inquiry
at all (REJECT); the reconciled ruling and both reviewers' reasons are published with it. The
organisations with a stake: the filing organisation and everyone with a stake in the rating."""

from dataclasses import dataclass, replace

from pydantic import TypeAdapter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core import validation
from api.core.errors import ErrorCode, Problems
from api.inquiries import service as inquiries
from api.inquiries.models import RatingInquiry, Ruling
from api.reviews import reviewers
from api.reviews.coding import DECISIONS
from api.reviews.models import ReviewAssignment, ReviewedType, Revision

RULINGS = tuple(Ruling)
_CONTENT = TypeAdapter(inquiries.InquiryData)


@dataclass
class InquiryCoding:
    ruling: str
    reasons: str
    decision: str


CODING = TypeAdapter(InquiryCoding)


class InquiryKind:
    record_type = ReviewedType.RATING_INQUIRY
    # Filing an inquiry has needed `assessments:write` since inquiries exist: it questions evidence.
    write_scope = Scope.ASSESSMENTS_WRITE
    parent_key = None
    coding = InquiryCoding
    coding_field = "inquiry"

    def dump(self, data: inquiries.InquiryData) -> dict:
        return _CONTENT.dump_python(data, mode="json")

    def load(self, stored: dict) -> inquiries.InquiryData:
        return _CONTENT.validate_python(stored)

    def merged(self, base: inquiries.InquiryData, changes: inquiries.InquiryData) -> inquiries.InquiryData:
        """An appeal changes only the appeal: the inquiry and its ruling stay as published until the appeal's
        ruling replaces it."""
        return replace(base, appeal=changes.appeal)

    async def start(self, *, session: AsyncSession, principal: Principal, record_id: int) -> inquiries.InquiryData:
        published = await inquiries.published_for_appeal(session=session, principal=principal, inquiry_id=record_id)
        return inquiries.of_published(published)

    async def write(
        self,
        *,
        session: AsyncSession,
        principal: Principal,
        parent_id: int | None,  # noqa: ARG002 (an inquiry has no parent record)
        record_id: int | None,
        data: inquiries.InquiryData,
        dry_run: bool,
    ) -> RatingInquiry | None:
        return await inquiries.write(session=session, principal=principal, inquiry_id=record_id, data=data, dry_run=dry_run)

    async def stakes(self, session: AsyncSession, revision: Revision) -> set[int]:
        """The filing organisation and every organisation with a stake in the rating, proposed partners included."""
        rating = await inquiries.rating_of(session, revision.content["data"]["rating_id"])
        return {revision.organisation_id, *await inquiries.stakeholders(session, rating, confirmed_only=False)}

    async def check_coding(
        self,
        *,
        session: AsyncSession,  # noqa: ARG002
        problems: Problems,
        coding: InquiryCoding,
        data: inquiries.InquiryData,  # noqa: ARG002
    ) -> None:
        """A ruling, the reasons published with it, and a decision."""
        if coding.ruling not in RULINGS:
            problems.add(["inquiry", "ruling"], ErrorCode.INVALID_VALUE, f"One of {', '.join(RULINGS)}.")
        validation.text(
            problems, ["inquiry", "reasons"], coding.reasons, max_length=inquiries.REASONS_LENGTH, required=True, multiline=True
        )
        if coding.decision not in DECISIONS:
            problems.add(["decision"], ErrorCode.INVALID_VALUE, f"One of {', '.join(DECISIONS)}.")

    def dump_coding(self, coding: InquiryCoding) -> dict:
        return CODING.dump_python(replace(coding, reasons=coding.reasons.strip()), mode="json")

    def fields_of(self, stored: dict) -> dict[str, str | None]:
        """The reasons are each reviewer's own words, published side by side: only the ruling and the
        decision are compared."""
        return {"/ruling": stored["ruling"], "/decision": stored["decision"]}

    async def applied(
        self,
        *,
        session: AsyncSession,
        revision: Revision,
        data: inquiries.InquiryData,
        agreed: dict[str, str | None],
        publisher: Principal,
    ) -> inquiries.InquiryData:
        """The agreed ruling, and the two reviewers' reasons in their order."""
        coders = await session.exec(
            select(ReviewAssignment.coding)
            .where(
                ReviewAssignment.revision_id == revision.id,
                ReviewAssignment.round == revision.round,
                col(ReviewAssignment.position) <= reviewers.CODERS,
            )
            .order_by(ReviewAssignment.position)
        )
        reasons = [coding["reasons"] for coding in coders.all()]
        return replace(data, ruling=agreed["/ruling"], reasons=reasons, published_by=publisher.subject)
