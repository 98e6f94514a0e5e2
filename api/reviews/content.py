"""A draft's content: the authors' input for an evidence assessment, kept as JSON until it is published.

It is checked by the evidence service itself (a dry run) when saved and when submitted, and written by it
on publication, so a published record obeys every rule a direct write obeys."""

from dataclasses import replace

from pydantic import TypeAdapter
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.principal import Principal
from api.evidence import service as evidence
from api.evidence.models import EvidenceAssessment, Finding, Study

_ASSESSMENT = TypeAdapter(evidence.AssessmentData)
# Finding columns an assessment's input carries (all but its row's identity and audit).
_FINDING_FIELDS = [name for name in evidence.FindingData.__dataclass_fields__]


def dump(data: evidence.AssessmentData) -> dict:
    return _ASSESSMENT.dump_python(data, mode="json")


def load(content: dict) -> evidence.AssessmentData:
    return _ASSESSMENT.validate_python(content)


async def of_published(session: AsyncSession, assessment: EvidenceAssessment) -> evidence.AssessmentData:
    """A published assessment as the input that would write it: where a draft of its next version starts."""
    findings = (
        await session.exec(select(Finding).where(Finding.assessment_id == assessment.id).order_by(Finding.id))
    ).all()
    return evidence.AssessmentData(
        independence=assessment.independence,
        follow_up=assessment.follow_up,
        limitations=assessment.limitations,
        conflicts_of_interest=assessment.conflicts_of_interest,
        visibility=assessment.visibility,
        findings=[evidence.FindingData(**{name: getattr(f, name) for name in _FINDING_FIELDS}) for f in findings],
    )


def merged(base: evidence.AssessmentData, changes: evidence.AssessmentData) -> evidence.AssessmentData:
    """`changes` over `base`: a field left None keeps the base's value (as an update does)."""
    given = {name: value for name, value in changes.__dict__.items() if value is not None}
    return replace(base, **given)


async def design(session: AsyncSession, data: evidence.AssessmentData, record_id: int | None) -> str | None:
    """The study design the content codes: its new study's, or the registered study's."""
    if data.new_study is not None:
        return data.new_study.study_design
    study_id = data.study_id
    if record_id is not None:
        study_id = (await session.get(EvidenceAssessment, record_id)).study_id
    study = await session.get(Study, study_id) if study_id is not None else None
    return None if study is None else study.study_design


async def write(
    *,
    session: AsyncSession,
    principal: Principal,
    initiative_id: int | None,
    record_id: int | None,
    data: evidence.AssessmentData,
    dry_run: bool,
) -> EvidenceAssessment | None:
    """Check (dry run) or write the content as `principal`, the authoring organisation."""
    if record_id is None:
        return await evidence.create(
            session=session, principal=principal, initiative_id=initiative_id, data=data, dry_run=dry_run
        )
    return await evidence.update(session=session, principal=principal, assessment_id=record_id, data=data, dry_run=dry_run)
