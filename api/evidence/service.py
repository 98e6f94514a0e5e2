"""Evidence assessments and findings: readable statement and write rules."""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core import validation
from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core.db import rows_in_order, utcnow
from api.core.errors import ErrorCode, Problems, not_found
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative, Participation
from api.core.batches import grouped
from api.organisations import service as organisations
from api.core.ordering import SortKey
from api.search import outbox as search_outbox
from api.core.visibility import Visibility, visible_to
from api.vocabularies import service as vocabularies


def _involved(organisation_id: int) -> sa.ColumnElement[bool]:
    """The assessing organisation, and the assessed initiative's lead and partners."""
    return sa.or_(
        EvidenceAssessment.assessing_organisation_id == organisation_id,
        sa.exists().where(
            Initiative.id == EvidenceAssessment.initiative_id, Initiative.lead_organisation_id == organisation_id
        ),
        sa.exists().where(
            Participation.initiative_id == EvidenceAssessment.initiative_id,
            Participation.organisation_id == organisation_id,
        ),
    )


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, about a readable initiative, by a readable organisation, and visible itself."""
    return sa.and_(
        col(EvidenceAssessment.initiative_id).in_(initiatives.readable_ids(principal)),
        visible_on_readable_initiative(principal),
    )


def visible_on_readable_initiative(principal: Principal) -> sa.ColumnElement[bool]:
    """The rule for assessments of an initiative already known to be readable."""
    return sa.and_(
        col(EvidenceAssessment.deleted_at).is_(None),
        col(EvidenceAssessment.assessing_organisation_id).in_(organisations.readable_ids(principal)),
        visible_to(
            principal,
            scope=Scope.ASSESSMENTS_READ,
            visibility_column=EvidenceAssessment.visibility,
            owned_by=_involved,
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Assessments the principal may read; every read path starts here."""
    return select(EvidenceAssessment).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(EvidenceAssessment.id).where(visible_condition(principal))


def rated_initiative_ids(principal: Principal, ratings: Sequence[str]) -> sa.Select:
    """Initiatives with a finding rated one of `ratings` in an assessment the principal may read."""
    return (
        select(EvidenceAssessment.initiative_id)
        .join(Finding, Finding.assessment_id == EvidenceAssessment.id)
        .where(visible_condition(principal), col(Finding.rating).in_(ratings))
    )


async def by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[EvidenceAssessment | None]:
    return await rows_in_order(session, readable(principal), col(EvidenceAssessment.id), ids)


async def assessments_of(
    *, session: AsyncSession, principal: Principal, initiative_ids: Sequence[int]
) -> list[list[EvidenceAssessment]]:
    """Readable assessments of each initiative (callers pass only ids of initiatives they could read)."""
    # The keys come from initiatives the caller has just read, so the initiative check of
    # `readable` would only repeat itself (SQLite evaluates it over every readable initiative).
    statement = select(EvidenceAssessment).where(
        col(EvidenceAssessment.initiative_id).in_(initiative_ids), visible_on_readable_initiative(principal)
    )
    rows = (await session.exec(statement.order_by(EvidenceAssessment.id))).all()
    return grouped(initiative_ids, rows, lambda row: row.initiative_id)


async def findings_of(*, session: AsyncSession, assessment_ids: Sequence[int]) -> list[list[Finding]]:
    """Findings of assessments (callers pass only ids they could read)."""
    rows = (
        await session.exec(
            select(Finding).where(col(Finding.assessment_id).in_(assessment_ids)).order_by(Finding.id)
        )
    ).all()
    return grouped(assessment_ids, rows, lambda row: row.assessment_id)


def rated_assessment_ids(ratings: Sequence[str]) -> sa.Select:
    """Assessments with a finding rated one of `ratings` (combine with `readable`)."""
    return select(Finding.assessment_id).where(col(Finding.rating).in_(ratings))


async def get(*, session: AsyncSession, principal: Principal, assessment_id: int) -> EvidenceAssessment | None:
    return (await session.exec(readable(principal).where(EvidenceAssessment.id == assessment_id))).first()


# --- ordering ------------------------------------------------------------------------------------


class AssessmentOrder(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    PUBLISHED_ON_DESC = "PUBLISHED_ON_DESC"


SORT_KEYS = {
    AssessmentOrder.CREATED_AT_DESC: SortKey(EvidenceAssessment.created_at, True, "datetime"),
    # Undated assessments come last (pagination orders NULLs last in either direction).
    AssessmentOrder.PUBLISHED_ON_DESC: SortKey(EvidenceAssessment.published_on, True, "date"),
}


# --- writes --------------------------------------------------------------------------------------

MAX_FINDINGS = 50
# 10.<registrant digits, optionally dotted>/<any suffix>, per the DOI Handbook.
_DOI = re.compile(r"^10\.\d+(?:\.\d+)*/\S+$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)


@dataclass
class FindingData:
    outcome: str
    effect_direction: str
    rating: str
    certainty: str
    effect_size: float | None = None
    effect_size_metric: str | None = None
    source_scheme: str | None = None
    source_rating: str | None = None
    notes: str | None = None


@dataclass
class AssessmentData:
    """An assessment's own fields; on update, None means "leave unchanged" and findings are replaced."""

    title: str | None = None
    independence: str | None = None
    study_design: str | None = None
    sample_size: int | None = None
    setting: str | None = None
    follow_up: str | None = None
    reference_doi: str | None = None
    reference_url: str | None = None
    published_on: date | None = None
    limitations: str | None = None
    conflicts_of_interest: str | None = None
    visibility: Visibility | None = None
    findings: list[FindingData] | None = None


def _doi(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """A bare DOI (resolver prefixes removed), or a problem."""
    value = validation.text(problems, field, value, max_length=200)
    if value is None:
        return None
    value = _DOI_PREFIX.sub("", value)
    if not _DOI.match(value):
        problems.add(field, ErrorCode.INVALID_VALUE, "Must be a DOI such as 10.1000/xyz123.")
        return None
    return value


def _latest_date_anywhere() -> date:
    """Today in the earliest time zone (UTC+14), so a date that is today somewhere is not future."""
    return (utcnow() + timedelta(hours=14)).date()


async def _code(
    *, session: AsyncSession, problems: Problems, field: str, vocabulary: str, value: str | None, required: bool
) -> str | None:
    if value is None and required:
        problems.add([field], ErrorCode.REQUIRED, "This field is required.")
    return await vocabularies.check_code(
        session=session, problems=problems, field=[field], vocabulary=vocabulary, code=value
    )


async def _finding_codes(
    *,
    session: AsyncSession,
    problems: Problems,
    findings: Sequence[FindingData],
    attribute: str,
    name: str,
    vocabulary: str,
) -> set[str]:
    """Known codes of one field across all findings, in one query; unknown ones named by finding."""
    positions = [i for i, finding in enumerate(findings) if getattr(finding, attribute) is not None]
    found = Problems()
    known = await vocabularies.check_codes(
        session=session,
        problems=found,
        field=[],
        vocabulary=vocabulary,
        codes=[getattr(findings[i], attribute) for i in positions],
        limit=MAX_FINDINGS,
    )
    for problem in found.items:
        index = positions[int(problem.field[0])]
        problems.add(["findings", str(index), name], problem.code, problem.message)
    return set(known)


# Finding attribute: (input field name, vocabulary).
_FINDING_VOCABULARIES = {
    "outcome": ("outcome", "outcome"),
    "effect_direction": ("effectDirection", "effect-direction"),
    "rating": ("rating", "evidence-rating"),
    "certainty": ("certainty", "certainty"),
    "source_scheme": ("sourceScheme", "rating-scheme"),
}


async def _clean_findings(
    *, session: AsyncSession, problems: Problems, findings: Sequence[FindingData]
) -> list[dict[str, object]]:
    """Validated column values for each finding."""
    if len(findings) > MAX_FINDINGS:
        problems.add(["findings"], ErrorCode.TOO_MANY, f"At most {MAX_FINDINGS} findings.")
        return []
    known = {
        attribute: await _finding_codes(
            session=session, problems=problems, findings=findings, attribute=attribute, name=name, vocabulary=vocabulary
        )
        for attribute, (name, vocabulary) in _FINDING_VOCABULARIES.items()
    }
    cleaned = []
    for index, finding in enumerate(findings):
        field = ["findings", str(index)]
        values: dict[str, object] = {
            attribute: getattr(finding, attribute) if getattr(finding, attribute) in codes else None
            for attribute, codes in known.items()
        }
        if finding.effect_size is not None and not math.isfinite(finding.effect_size):
            problems.add([*field, "effectSize"], ErrorCode.INVALID_VALUE, "The effect size must be a finite number.")
        values["effect_size"] = finding.effect_size
        values["effect_size_metric"] = validation.text(
            problems, [*field, "effectSizeMetric"], finding.effect_size_metric, max_length=100
        )
        values["source_rating"] = validation.text(
            problems, [*field, "sourceRating"], finding.source_rating, max_length=100
        )
        values["notes"] = validation.text(problems, [*field, "notes"], finding.notes, max_length=2000, multiline=True)
        cleaned.append(values)
    return cleaned


async def _clean(
    *, session: AsyncSession, problems: Problems, data: AssessmentData, creating: bool
) -> tuple[dict[str, object], list[dict[str, object]] | None]:
    """Validated column values and findings (None: keep the stored ones); problems are collected."""
    values: dict[str, object] = {}
    if data.title is not None or creating:
        values["title"] = validation.text(problems, ["title"], data.title, required=True)
    for name, field, vocabulary in (
        ("independence", "independence", "independence"),
        ("study_design", "studyDesign", "study-design"),
    ):
        if getattr(data, name) is not None or creating:
            values[name] = await _code(
                session=session,
                problems=problems,
                field=field,
                vocabulary=vocabulary,
                value=getattr(data, name),
                required=creating,
            )
    if data.sample_size is not None:
        if data.sample_size < 0:
            problems.add(["sampleSize"], ErrorCode.INVALID_VALUE, "The sample size must not be negative.")
        values["sample_size"] = data.sample_size
    if data.setting is not None:
        values["setting"] = validation.text(problems, ["setting"], data.setting, max_length=2000, multiline=True)
    if data.follow_up is not None:
        values["follow_up"] = validation.text(problems, ["followUp"], data.follow_up, max_length=500)
    if data.reference_doi is not None:
        values["reference_doi"] = _doi(problems, ["referenceDoi"], data.reference_doi)
    if data.reference_url is not None:
        values["reference_url"] = validation.url(problems, ["referenceUrl"], data.reference_url)
    if data.published_on is not None:
        if data.published_on > _latest_date_anywhere():
            problems.add(["publishedOn"], ErrorCode.INVALID_VALUE, "The publication date is in the future.")
        values["published_on"] = data.published_on
    for name, field in (("limitations", "limitations"), ("conflicts_of_interest", "conflictsOfInterest")):
        if getattr(data, name) is not None:
            values[name] = validation.text(
                problems, [field], getattr(data, name), max_length=validation.LONG_TEXT, multiline=True
            )
    if data.visibility is not None:
        values["visibility"] = data.visibility
    findings = None
    if data.findings is not None:
        findings = await _clean_findings(session=session, problems=problems, findings=data.findings)
    return values, findings


async def _check_independence(
    *, session: AsyncSession, principal: Principal, problems: Problems, initiative: Initiative, independence: str | None
) -> None:
    """An organisation leading or taking part in the initiative can only assess it as SELF."""
    if independence is None or independence == "SELF":
        return
    involved = initiative.lead_organisation_id == principal.organisation_id
    if not involved:
        (participations,) = await initiatives.participations_of(
            session=session, principal=principal, initiative_ids=[initiative.id]
        )
        involved = any(p.organisation_id == principal.organisation_id for p in participations)
    if involved:
        problems.add(
            ["independence"],
            ErrorCode.INVALID_VALUE,
            "Your organisation leads or takes part in this initiative, so its independence must be SELF.",
        )


def _stamp(assessment: EvidenceAssessment, principal: Principal) -> None:
    assessment.updated_at = utcnow()
    assessment.updated_by = principal.subject


async def _replace_findings(
    session: AsyncSession, principal: Principal, assessment_id: int, findings: Sequence[dict[str, object]]
) -> None:
    # The bulk delete bypasses the ORM events that fill the search outbox (ratings are in the document).
    assessment = await session.get(EvidenceAssessment, assessment_id)
    search_outbox.enqueue(session, [assessment.initiative_id])
    await session.exec(delete(Finding).where(Finding.assessment_id == assessment_id))
    session.add_all(
        Finding(**values, assessment_id=assessment_id, created_by=principal.subject, updated_by=principal.subject)
        for values in findings
    )


async def create(
    *, session: AsyncSession, principal: Principal, initiative_id: int, data: AssessmentData
) -> EvidenceAssessment:
    """A new assessment of a readable initiative, made by the principal's organisation. Flushes, never commits."""
    require_role(principal, Role.CONTRIBUTOR)
    problems = Problems()
    initiative = await initiatives.get(session=session, principal=principal, initiative_id=initiative_id)
    if initiative is None:
        problems.extend(not_found(["initiative"], "initiative"))
    values, findings = await _clean(session=session, problems=problems, data=data, creating=True)
    if initiative is not None:
        await _check_independence(
            session=session,
            principal=principal,
            problems=problems,
            initiative=initiative,
            independence=values["independence"],
        )
    problems.raise_if_any()
    assessment = EvidenceAssessment(
        **values,
        initiative_id=initiative_id,
        assessing_organisation_id=principal.organisation_id,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(assessment)
    await session.flush()
    await _replace_findings(session, principal, assessment.id, findings or [])
    initiatives.touch(initiative, principal)
    await session.flush()
    return assessment


async def _editable(session: AsyncSession, principal: Principal, assessment_id: int) -> EvidenceAssessment:
    """The assessment if editable; a hidden one is NOT_FOUND, exactly like a missing one, and a
    readable one the caller may not change is FORBIDDEN with the reason."""
    assessment = await get(session=session, principal=principal, assessment_id=assessment_id)
    if assessment is None:
        raise not_found(["id"], "evidence assessment")
    require_editor(
        principal,
        field="id",
        owner_id=assessment.assessing_organisation_id,
        created_by=assessment.created_by,
        owner="assessing organisation",
        record="assessment",
    )
    return assessment


async def update(
    *, session: AsyncSession, principal: Principal, assessment_id: int, data: AssessmentData
) -> EvidenceAssessment:
    """Change an assessment made by the principal's organisation; given findings replace the stored ones."""
    assessment = await _editable(session, principal, assessment_id)
    problems = Problems()
    values, findings = await _clean(session=session, problems=problems, data=data, creating=False)
    # A readable assessment is about a readable initiative.
    initiative = await initiatives.get(session=session, principal=principal, initiative_id=assessment.initiative_id)
    await _check_independence(
        session=session,
        principal=principal,
        problems=problems,
        initiative=initiative,
        independence=values.get("independence", assessment.independence),
    )
    problems.raise_if_any()
    for key, value in values.items():
        setattr(assessment, key, value)
    _stamp(assessment, principal)
    initiatives.touch(initiative, principal)
    if findings is not None:
        await _replace_findings(session, principal, assessment.id, findings)
    await session.flush()
    return assessment


async def delete_(*, session: AsyncSession, principal: Principal, assessment_id: int) -> EvidenceAssessment:
    """Soft delete: the assessment and its findings disappear from every read path."""
    assessment = await _editable(session, principal, assessment_id)
    require_role(principal, Role.EDITOR, "id")
    assessment.deleted_at = utcnow()
    _stamp(assessment, principal)
    initiative = await initiatives.get(session=session, principal=principal, initiative_id=assessment.initiative_id)
    initiatives.touch(initiative, principal)
    await session.flush()
    return assessment
