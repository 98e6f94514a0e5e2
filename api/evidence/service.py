"""Evidence assessments and findings: readable statement and write rules."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.core import validation
from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.core.db import rows_in_order, utcnow
from api.core.errors import ErrorCode, Problems, not_found
from api.evidence import studies
from api.evidence.models import EvidenceAssessment, Finding, Study
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative
from api.core.batches import grouped
from api.organisations import service as organisations
from api.core.ordering import SortKey
from api.search import outbox as search_outbox
from api.core.visibility import Visibility
from api.evidence.visibility import visible_on_readable_initiative
from api.activity import withdrawal
from api.ratings import service as ratings
from api.vocabularies import service as vocabularies


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, about a readable initiative, by a readable organisation, coding a readable study,
    and visible itself."""
    return sa.and_(
        col(EvidenceAssessment.initiative_id).in_(initiatives.readable_ids(principal)),
        visible_on_readable_initiative(principal),
    )


def readable(principal: Principal) -> sa.Select:
    """Assessments the principal may read; every read path starts here."""
    return select(EvidenceAssessment).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(EvidenceAssessment.id).where(visible_condition(principal))


async def findings_by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Finding | None]:
    """Findings of readable assessments, in the order of `ids` (None where hidden or missing)."""
    statement = select(Finding).where(col(Finding.assessment_id).in_(readable_ids(principal)))
    return await rows_in_order(session, statement, col(Finding.id), ids)


def study_ids_with_design(designs: Sequence[str]) -> sa.Select:
    """Studies of these designs (combine with `readable`)."""
    return select(Study.id).where(col(Study.study_design).in_(designs))


def assessment_ids_with_outcome(outcomes: Sequence[str]) -> sa.Select:
    """Assessments with a finding on one of these outcomes (combine with `readable`)."""
    return select(Finding.assessment_id).where(col(Finding.outcome).in_(outcomes))


def resolvable(principal: Principal) -> sa.Select:
    """Readable assessments and the tombstones of withdrawn ones: what an id resolves to, and whose trail
    (a withdrawal's entry and the webhooks made from it) the principal may read."""
    return select(EvidenceAssessment).where(
        col(EvidenceAssessment.initiative_id).in_(initiatives.readable_ids(principal)),
        visible_on_readable_initiative(principal, withdrawn=True),
    )


async def by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[EvidenceAssessment | None]:
    """Assessments by id, withdrawn ones included (as tombstones), for those who may read them."""
    return await rows_in_order(session, resolvable(principal), col(EvidenceAssessment.id), ids)


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


async def get(*, session: AsyncSession, principal: Principal, assessment_id: int) -> EvidenceAssessment | None:
    return (await session.exec(readable(principal).where(EvidenceAssessment.id == assessment_id))).first()


# --- ordering ------------------------------------------------------------------------------------


class AssessmentOrder(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"


SORT_KEYS = {AssessmentOrder.CREATED_AT_DESC: SortKey(EvidenceAssessment.created_at, True, "datetime")}


# --- writes --------------------------------------------------------------------------------------

MAX_FINDINGS = 50
# Weakest to strongest (vocabulary `comparison`); a design's `comparison` attribute is the strongest it gives.
COMPARISON_ORDER = ("NONE", "PRE-POST", "UNMATCHED", "MATCHED", "RANDOMISED")


@dataclass
class FindingData:
    outcome: str
    effect_direction: str
    significance: str = "NOT-TESTED"
    comparison: str | None = None
    effect_size: float | None = None
    effect_size_metric: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    risk_of_bias: str | None = None
    follow_up_months: int | None = None
    proposed_rating: str | None = None
    proposed_certainty: str | None = None
    source_scheme: str | None = None
    source_rating: str | None = None
    notes: str | None = None


@dataclass
class AssessmentData:
    """An assessment's own fields; on update, None means "leave unchanged" and findings are replaced.

    On create, exactly one of `study_id` (a study already registered) and `new_study` is given."""

    study_id: int | None = None
    new_study: studies.StudyData | None = None
    independence: str | None = None
    follow_up: str | None = None
    limitations: str | None = None
    conflicts_of_interest: str | None = None
    visibility: Visibility | None = None
    findings: list[FindingData] | None = None


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
    "significance": ("significance", "significance"),
    "comparison": ("comparison", "comparison"),
    "risk_of_bias": ("riskOfBias", "risk-of-bias"),
    "proposed_rating": ("proposedRating", "evidence-rating"),
    "proposed_certainty": ("proposedCertainty", "certainty"),
    "source_scheme": ("sourceScheme", "rating-scheme"),
}


async def _attribute(session: AsyncSession, vocabulary: str, name: str) -> dict[str, str]:
    """Each term's value of one attribute (e.g. every outcome's `rise`)."""
    terms = await vocabularies.terms_of(session=session, vocabularies=[vocabulary])
    return {term.code: term.attributes.get(name, "") for term in terms}


def _check_coherence(problems: Problems, field: list[str], values: dict[str, object], design_comparison: str, rise: str) -> None:
    """A finding must not contradict itself or its study's design."""
    comparison, direction, significance = values["comparison"], values["effect_direction"], values["significance"]
    if comparison in COMPARISON_ORDER and COMPARISON_ORDER.index(comparison) > COMPARISON_ORDER.index(design_comparison):
        problems.add(
            [*field, "comparison"],
            ErrorCode.CONTRADICTS_DESIGN,
            f"The study's design gives at most a {design_comparison} comparison.",
        )
    if significance == "YES" and comparison == "NONE":
        problems.add(
            [*field, "significance"], ErrorCode.INCONSISTENT_FINDING,
            "Without a comparison there is no effect whose significance could be tested.",
        )
    if significance == "YES" and direction in ("NO-EFFECT", "UNCLEAR", "NOT-APPLICABLE"):
        problems.add(
            [*field, "significance"], ErrorCode.INCONSISTENT_FINDING,
            f"A significant effect has a direction; this finding's is {direction}.",
        )
    if significance == "NOT-TESTED" and values["p_value"] is not None:
        problems.add([*field, "pValue"], ErrorCode.INCONSISTENT_FINDING, "A p-value means the effect was tested.")
    if rise == "CONTEXT" and direction not in (None, "NOT-APPLICABLE"):
        problems.add(
            [*field, "effectDirection"], ErrorCode.CONTEXT_ONLY_OUTCOME,
            "This outcome describes context only (a rise is neither good nor bad): the direction is NOT-APPLICABLE.",
        )


def _check_numbers(problems: Problems, field: list[str], finding: FindingData) -> None:
    for name, value in (("effectSize", finding.effect_size), ("ciLow", finding.ci_low), ("ciHigh", finding.ci_high),
                        ("pValue", finding.p_value)):
        if value is not None and not math.isfinite(value):
            problems.add([*field, name], ErrorCode.INVALID_VALUE, "Must be a finite number.")
    if finding.p_value is not None and not 0 <= finding.p_value <= 1:
        problems.add([*field, "pValue"], ErrorCode.INVALID_VALUE, "A p-value lies between 0 and 1.")
    if finding.follow_up_months is not None and finding.follow_up_months < 0:
        problems.add([*field, "followUpMonths"], ErrorCode.INVALID_VALUE, "Follow-up must not be negative.")
    low, high, estimate = finding.ci_low, finding.ci_high, finding.effect_size
    if (low is None) != (high is None):
        problems.add([*field, "ciLow" if low is None else "ciHigh"], ErrorCode.REQUIRED, "A confidence interval needs both bounds.")
    elif low is not None and high is not None and all(map(math.isfinite, (low, high))):
        if low > high:
            problems.add([*field, "ciHigh"], ErrorCode.INVALID_VALUE, "The upper bound is below the lower bound.")
        elif estimate is None:
            problems.add([*field, "effectSize"], ErrorCode.REQUIRED, "A confidence interval needs its estimate.")
        elif math.isfinite(estimate) and not low <= estimate <= high:
            problems.add(
                [*field, "ciLow"], ErrorCode.CI_EXCLUDES_ESTIMATE,
                f"The interval [{low}, {high}] does not contain the effect size {estimate}.",
            )


async def _clean_findings(
    *, session: AsyncSession, problems: Problems, findings: Sequence[FindingData], study_design: str | None
) -> list[dict[str, object]]:
    """Validated column values for each finding, checked against each other and the study's design."""
    if len(findings) > MAX_FINDINGS:
        problems.add(["findings"], ErrorCode.TOO_MANY, f"At most {MAX_FINDINGS} findings.")
        return []
    known = {
        attribute: await _finding_codes(
            session=session, problems=problems, findings=findings, attribute=attribute, name=name, vocabulary=vocabulary
        )
        for attribute, (name, vocabulary) in _FINDING_VOCABULARIES.items()
    }
    design_comparison = (await _attribute(session, "study-design", "comparison")).get(study_design or "", "RANDOMISED")
    rises = await _attribute(session, "outcome", "rise")
    cleaned = []
    for index, finding in enumerate(findings):
        field = ["findings", str(index)]
        values: dict[str, object] = {
            attribute: getattr(finding, attribute) if getattr(finding, attribute) in codes else None
            for attribute, codes in known.items()
        }
        # Unless coded otherwise, a finding has the comparison its study's design gives.
        if finding.comparison is None:
            values["comparison"] = design_comparison
        if finding.significance is None:
            problems.add([*field, "significance"], ErrorCode.REQUIRED, "This field is required.")
        _check_numbers(problems, field, finding)
        for name in ("effect_size", "ci_low", "ci_high", "p_value", "follow_up_months"):
            values[name] = getattr(finding, name)
        _check_coherence(problems, field, values, design_comparison, rises.get(finding.outcome, ""))
        values["effect_size_metric"] = validation.text(
            problems, [*field, "effectSizeMetric"], finding.effect_size_metric, max_length=100
        )
        values["source_rating"] = validation.text(
            problems, [*field, "sourceRating"], finding.source_rating, max_length=100
        )
        values["notes"] = validation.text(problems, [*field, "notes"], finding.notes, max_length=2000, multiline=True)
        cleaned.append(values)
    return cleaned


async def _clean(*, session: AsyncSession, problems: Problems, data: AssessmentData, creating: bool) -> dict[str, object]:
    """Validated column values of the assessment itself; problems are collected."""
    values: dict[str, object] = {}
    if data.independence is not None or creating:
        if data.independence is None:
            problems.add(["independence"], ErrorCode.REQUIRED, "This field is required.")
        values["independence"] = await vocabularies.check_code(
            session=session, problems=problems, field=["independence"], vocabulary="independence", code=data.independence
        )
    if data.follow_up is not None:
        values["follow_up"] = validation.text(problems, ["followUp"], data.follow_up, max_length=500)
    for name, field in (("limitations", "limitations"), ("conflicts_of_interest", "conflictsOfInterest")):
        if getattr(data, name) is not None:
            values[name] = validation.text(
                problems, [field], getattr(data, name), max_length=validation.LONG_TEXT, multiline=True
            )
    if data.visibility is not None:
        values["visibility"] = data.visibility
    return values


async def _study(
    *, session: AsyncSession, principal: Principal, problems: Problems, data: AssessmentData
) -> tuple[Study | None, dict[str, object] | None]:
    """The readable study the assessment codes, or the values of the new one it registers."""
    if (data.study_id is None) == (data.new_study is None):
        problems.add(["study"], ErrorCode.REQUIRED, "Name a registered study (study) or describe a new one (newStudy), not both.")
        return None, None
    if data.new_study is not None:
        return None, await studies.clean(
            session=session, problems=problems, data=data.new_study, creating=True, field=["newStudy"]
        )
    study = await studies.get(session=session, principal=principal, study_id=data.study_id)
    if study is None:
        problems.extend(not_found(["study"], "study"))
    return study, None


async def _check_independence(
    *, session: AsyncSession, principal: Principal, problems: Problems, initiative: Initiative, independence: str | None
) -> None:
    """The lead can only assess its initiative as SELF, a participant as SELF or PARTICIPANT; never INDEPENDENT."""
    if independence is None or independence == "SELF":
        return
    if initiative.lead_organisation_id == principal.organisation_id:
        problems.add(["independence"], ErrorCode.INVALID_VALUE, "Your organisation leads this initiative, so its independence must be SELF.")
        return
    if independence != "INDEPENDENT":
        return
    (participations,) = await initiatives.participations_of(
        session=session, principal=principal, initiative_ids=[initiative.id]
    )
    if any(p.organisation_id == principal.organisation_id for p in participations):
        problems.add(
            ["independence"],
            ErrorCode.INVALID_VALUE,
            "Your organisation takes part in this initiative, so its independence must be PARTICIPANT or SELF.",
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
    *, session: AsyncSession, principal: Principal, initiative_id: int, data: AssessmentData, dry_run: bool = False
) -> EvidenceAssessment | None:
    """A new assessment of a readable initiative, made by the principal's organisation. Flushes, never commits.
    A `dry_run` checks everything and writes nothing (a draft is checked so, before its review)."""
    require_role(principal, Role.CONTRIBUTOR)
    problems = Problems()
    initiative = await initiatives.get(session=session, principal=principal, initiative_id=initiative_id)
    if initiative is None:
        problems.extend(not_found(["initiative"], "initiative"))
    study, new_study = await _study(session=session, principal=principal, problems=problems, data=data)
    values = await _clean(session=session, problems=problems, data=data, creating=True)
    design = study.study_design if study is not None else (new_study or {}).get("study_design")
    findings = await _clean_findings(session=session, problems=problems, findings=data.findings or [], study_design=design)
    if initiative is not None:
        await _check_independence(
            session=session,
            principal=principal,
            problems=problems,
            initiative=initiative,
            independence=values["independence"],
        )
    problems.raise_if_any()
    if dry_run:
        return None
    if study is None:
        study = studies.new_row(new_study, principal)
        session.add(study)
        await session.flush()
    assessment = EvidenceAssessment(
        **values,
        initiative_id=initiative_id,
        study_id=study.id,
        assessing_organisation_id=principal.organisation_id,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(assessment)
    await session.flush()
    await _replace_findings(session, principal, assessment.id, findings)
    initiatives.touch(initiative, principal)
    await session.flush()
    await ratings.recompute_for_assessments(
        session=session, assessment_ids=[assessment.id], reason=ratings.Reason.NEW_EVIDENCE, actor=principal.subject
    )
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
    *, session: AsyncSession, principal: Principal, assessment_id: int, data: AssessmentData, dry_run: bool = False
) -> EvidenceAssessment | None:
    """Change an assessment made by the principal's organisation; given findings replace the stored ones.

    The study it codes stays (correct the study itself with `studies.update`)."""
    assessment = await _editable(session, principal, assessment_id)
    problems = Problems()
    values = await _clean(session=session, problems=problems, data=data, creating=False)
    findings = None
    if data.findings is not None:
        study = await session.get(Study, assessment.study_id)
        findings = await _clean_findings(
            session=session, problems=problems, findings=data.findings, study_design=study.study_design
        )
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
    if dry_run:
        return None
    for key, value in values.items():
        setattr(assessment, key, value)
    _stamp(assessment, principal)
    initiatives.touch(initiative, principal)
    if findings is not None:
        await _replace_findings(session, principal, assessment.id, findings)
    await session.flush()
    await ratings.recompute_for_assessments(
        session=session, assessment_ids=[assessment.id], reason=ratings.Reason.CORRECTION, actor=principal.subject
    )
    return assessment


async def withdraw(*, session: AsyncSession, principal: Principal, assessment_id: int, reason: str) -> EvidenceAssessment:
    """Withdraw a published assessment, with a reason (api/activity/withdrawal.py): out of every list,
    search and rating at once, and resolvable by id as a tombstone with its versions."""
    assessment = await _editable(session, principal, assessment_id)
    require_role(principal, Role.EDITOR, "id")
    reason = withdrawal.checked_reason(reason)
    _stamp(assessment, principal)
    initiative = await initiatives.get(session=session, principal=principal, initiative_id=assessment.initiative_id)
    initiatives.touch(initiative, principal)
    await withdrawal.withdraw(
        session=session, principal=principal, record=assessment, subject_type="EvidenceAssessment", reason=reason
    )
    await ratings.recompute_for_assessments(
        session=session, assessment_ids=[assessment.id], reason=ratings.Reason.WITHDRAWAL, actor=principal.subject
    )
    return assessment
