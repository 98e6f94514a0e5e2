"""Best practices as a reviewed kind of record (api/reviews/kinds.py; docs/reviews-practices.md).

The content is the practices service's `PracticeData`, checked by a dry run of its create or update and
written by them on publication. A reviewer codes the practice's `evidence-basis`, whether each cited
assessment supports the statement (YES, PARTLY or NO, one per citation in the content's order: ascending
assessment id, as the practice lists them) and a decision; the agreed evidence basis replaces the
authors' on publication. The organisations with a stake: the authors, those endorsing the published
practice, and the assessing organisations of the assessments the draft cites."""

from dataclasses import dataclass, fields, replace

from pydantic import TypeAdapter
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import UNSET

from api.auth.principal import Principal
from api.auth.scopes import Scope
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.core.visibility import Visibility
from api.evidence.models import EvidenceAssessment
from api.practices import service as practices
from api.practices.models import BestPractice, Endorsement, PracticeEvidence
from api.reviews.coding import DECISIONS
from api.reviews.models import ReviewedType, Revision
from api.vocabularies import service as vocabularies

SUPPORT = ("YES", "PARTLY", "NO")
_FIELDS = [f.name for f in fields(practices.PracticeData)]


@dataclass
class PracticeCoding:
    evidence_basis: str
    # Per cited assessment, in the content's order: does it support the statement?
    support: list[str]
    decision: str


CODING = TypeAdapter(PracticeCoding)


def dump(data: practices.PracticeData) -> dict:
    """The fields given (an omitted one stays omitted); citations de-duplicated in ascending id order."""
    stored = {name: getattr(data, name) for name in _FIELDS if getattr(data, name) is not UNSET}
    if stored.get("evidence") is not None:
        stored["evidence"] = sorted(set(stored["evidence"]))
    if stored.get("visibility") is not None:
        stored["visibility"] = Visibility(stored["visibility"]).value
    return stored


def load(stored: dict) -> practices.PracticeData:
    values = {name: stored[name] for name in _FIELDS if name in stored}
    if values.get("visibility") is not None:
        values["visibility"] = Visibility(values["visibility"])
    return practices.PracticeData(**values)


async def of_published(session: AsyncSession, practice: BestPractice) -> practices.PracticeData:
    """A published practice as the input that would write it: where a draft of its next version starts."""
    (schemes,) = await practices.classifications_of(session=session, practice_ids=[practice.id])
    cited = await session.exec(
        select(PracticeEvidence.assessment_id).where(PracticeEvidence.practice_id == practice.id).order_by(PracticeEvidence.assessment_id)
    )
    return practices.PracticeData(
        title=practice.title,
        statement=practice.statement,
        evidence_basis=practice.evidence_basis,
        rationale=practice.rationale,
        harms=schemes.get("harm", []),
        intervention_types=schemes.get("intervention-type", []),
        evidence=list(cited.all()),
        visibility=Visibility(practice.visibility),
    )


class PracticeKind:
    record_type = ReviewedType.BEST_PRACTICE
    write_scope = Scope.PRACTICES_WRITE
    parent_key = None
    coding = PracticeCoding
    coding_field = "practice"

    def dump(self, data: practices.PracticeData) -> dict:
        return dump(data)

    def load(self, stored: dict) -> practices.PracticeData:
        return load(stored)

    def merged(self, base: practices.PracticeData, changes: practices.PracticeData) -> practices.PracticeData:
        """As an update: an omitted field keeps the base's value, null clears it, lists replace."""
        return replace(base, **{name: getattr(changes, name) for name in _FIELDS if getattr(changes, name) is not UNSET})

    async def start(self, *, session: AsyncSession, principal: Principal, record_id: int) -> practices.PracticeData:
        published = await practices.get(session=session, principal=principal, practice_id=record_id)
        if published is None:
            raise not_found(["id"], "best practice")
        if published.organisation_id != principal.organisation_id:
            raise DomainError.one(["id"], ErrorCode.FORBIDDEN, "Only the proposing organisation can revise this practice.")
        return await of_published(session, published)

    async def write(
        self,
        *,
        session: AsyncSession,
        principal: Principal,
        parent_id: int | None,  # noqa: ARG002 (a practice has no parent record)
        record_id: int | None,
        data: practices.PracticeData,
        dry_run: bool,
    ) -> BestPractice | None:
        if record_id is None:
            return await practices.create(session=session, principal=principal, data=data, dry_run=dry_run)
        return await practices.update(session=session, principal=principal, practice_id=record_id, data=data, dry_run=dry_run)

    async def stakes(self, session: AsyncSession, revision: Revision) -> set[int]:
        """The authors, the organisations endorsing the published practice, and the assessing
        organisations of the assessments the draft cites."""
        endorsing: list[int] = []
        if revision.record_id is not None:
            endorsing = list(
                (await session.exec(select(Endorsement.organisation_id).where(Endorsement.practice_id == revision.record_id))).all()
            )
        cited = load(revision.content["data"]).evidence or []
        assessing = (
            await session.exec(
                select(EvidenceAssessment.assessing_organisation_id).where(col(EvidenceAssessment.id).in_(cited))
            )
        ).all()
        return {revision.organisation_id, *endorsing, *assessing}

    async def check_coding(
        self, *, session: AsyncSession, problems: Problems, coding: PracticeCoding, data: practices.PracticeData
    ) -> None:
        """The basis a known `evidence-basis` code, one support code per cited assessment, a decision."""
        await vocabularies.check_code(
            session=session,
            problems=problems,
            field=["practice", "evidenceBasis"],
            vocabulary="evidence-basis",
            code=coding.evidence_basis,
        )
        cited = len(data.evidence or [])
        if len(coding.support) != cited:
            problems.add(
                ["practice", "support"], ErrorCode.INVALID_VALUE, f"Code each of the {cited} cited assessments, in the draft's order."
            )
        for index, value in enumerate(coding.support):
            if value not in SUPPORT:
                problems.add(["practice", "support", str(index)], ErrorCode.INVALID_VALUE, f"One of {', '.join(SUPPORT)}.")
        if coding.decision not in DECISIONS:
            problems.add(["decision"], ErrorCode.INVALID_VALUE, f"One of {', '.join(DECISIONS)}.")

    def dump_coding(self, coding: PracticeCoding) -> dict:
        return CODING.dump_python(coding, mode="json")

    def fields_of(self, stored: dict) -> dict[str, str | None]:
        flat: dict[str, str | None] = {"/evidenceBasis": stored["evidence_basis"], "/decision": stored["decision"]}
        for index, value in enumerate(stored["support"]):
            flat[f"/support/{index}"] = value
        return flat

    async def applied(
        self,
        *,
        session: AsyncSession,  # noqa: ARG002
        revision: Revision,  # noqa: ARG002
        data: practices.PracticeData,
        agreed: dict[str, str | None],
        publisher: Principal,  # noqa: ARG002
    ) -> practices.PracticeData:
        """The agreed evidence basis in place of the authors'; the support codes stay with the reviews."""
        return replace(data, evidence_basis=agreed["/evidenceBasis"])
