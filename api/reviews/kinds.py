"""The kinds of record reviewed before publication, behind one interface: what differs between an evidence
assessment and a best practice (how a draft's content is dumped, loaded, checked and written, which
organisations have a stake, what a reviewer codes and what an agreed coding changes). The state machine
(api/reviews/service.py) asks the revision's kind and never branches on the record type."""

from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core.errors import Problems
from api.reviews.assessments import AssessmentKind
from api.reviews.inquiries import InquiryKind
from api.reviews.models import ReviewedType, Revision
from api.reviews.practices import PracticeKind


class RecordKind(Protocol):
    record_type: ReviewedType
    # What a token needs to draft, submit, withdraw or review one (reading a draft: api/reviews/readable.py).
    write_scope: Scope
    # The key of the content holding the record's parent (an assessment's initiative), if it has one.
    parent_key: str | None
    # The dataclass a reviewer codes, and the input field naming it (where a coding of another kind is refused).
    coding: type
    coding_field: str

    def dump(self, data: Any) -> dict:  # noqa: ANN401
        """The service's input as the JSON a revision stores."""

    def load(self, content: dict) -> Any:  # noqa: ANN401
        """The stored JSON as the service's input."""

    def merged(self, base: Any, changes: Any) -> Any:  # noqa: ANN401
        """`changes` over `base`, as an update applies them."""

    async def start(self, *, session: AsyncSession, principal: Principal, record_id: int) -> Any:  # noqa: ANN401
        """The published record as the input that writes it (where a draft of its next version starts);
        NOT_FOUND when unreadable, FORBIDDEN unless the principal's organisation authored it."""

    async def write(
        self,
        *,
        session: AsyncSession,
        principal: Principal,
        parent_id: int | None,
        record_id: int | None,
        data: Any,  # noqa: ANN401
        dry_run: bool,
    ) -> Any:  # noqa: ANN401
        """Check (dry run) or write the content with the record's own service, as `principal`."""

    async def stakes(self, session: AsyncSession, revision: Revision) -> set[int]:
        """The organisations whose members may not review the revision."""

    async def check_coding(self, *, session: AsyncSession, problems: Problems, coding: Any, data: Any) -> None:  # noqa: ANN401
        """Every coded value valid, and coding what the content holds."""

    def dump_coding(self, coding: Any) -> dict:  # noqa: ANN401
        """A coding as the JSON an assignment stores."""

    def fields_of(self, coding: dict) -> dict[str, str | None]:
        """A stored coding as the fields (JSON Pointers) two codings are compared on; "/decision" among them."""

    async def applied(
        self,
        *,
        session: AsyncSession,
        revision: Revision,
        data: Any,  # noqa: ANN401
        agreed: dict[str, str | None],
        publisher: Principal,
    ) -> Any:  # noqa: ANN401
        """The content with the agreed coding in place of the authors'; DomainError if it cannot be published."""


KINDS: dict[ReviewedType, RecordKind] = {
    ReviewedType.EVIDENCE_ASSESSMENT: AssessmentKind(),
    ReviewedType.BEST_PRACTICE: PracticeKind(),
    ReviewedType.RATING_INQUIRY: InquiryKind(),
}


def of(record_type: str) -> RecordKind:
    return KINDS[ReviewedType(record_type)]
