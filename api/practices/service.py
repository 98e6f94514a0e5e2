"""Best practices: the readable statement every read path uses, and the rules for every write."""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import NewType

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import withdrawal
from api.core import validation
from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core.db import contains_pattern, rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.evidence import service as evidence
from api.evidence.models import EvidenceAssessment
from api.core.batches import codes_by_scheme, grouped
from api.organisations import service as organisations
from api.core.ordering import SortKey
from api.practices.models import BestPractice, Endorsement, PracticeClassification, PracticeEvidence
from api.ratings import service as ratings
from api.core.validation import Patch
from api.core.writable import writable
from api.core.visibility import Visibility, visible_to
from api.vocabularies import service as vocabularies

STATEMENT_LENGTH = 4000
MAX_EVIDENCE = 50
# An evidence assessment cited by a practice (clients send its global id).
AssessmentId = NewType("AssessmentId", int)
# The evidence basis that stands only on the assessments a practice cites.
ASSESSMENTS_BASIS = "ASSESSMENTS"
# Classifications by vocabulary: data field -> (input field, vocabulary).
VOCABULARY_SCHEMES = {"harms": ("harms", "harm"), "intervention_types": ("interventionTypes", "intervention-type")}


def visible_condition(principal: Principal, *, withdrawn: bool = False) -> sa.ColumnElement[bool]:
    """Not withdrawn (unless `withdrawn`: resolving ids, where a withdrawn practice is a tombstone for
    those who could read it), proposed by a readable organisation, and visible itself."""
    return sa.and_(
        sa.true() if withdrawn else col(BestPractice.deleted_at).is_(None),
        col(BestPractice.organisation_id).in_(organisations.readable_ids(principal)),
        visible_to(
            principal,
            scope=Scope.PRACTICES_READ,
            visibility_column=BestPractice.visibility,
            owned_by=lambda org: BestPractice.organisation_id == org,
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Best practices the principal may read; every read path starts here."""
    return select(BestPractice).where(visible_condition(principal))


def resolvable(principal: Principal) -> sa.Select:
    """Readable practices and the tombstones of withdrawn ones: what an id resolves to, and whose trail
    (a withdrawal's entry and the webhooks made from it) the principal may read."""
    return select(BestPractice).where(visible_condition(principal, withdrawn=True))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[BestPractice | None]:
    """Practices for `ids`, in order, withdrawn ones included (as tombstones); None where missing or hidden."""
    return await rows_in_order(session, resolvable(principal), col(BestPractice.id), ids)


async def get(*, session: AsyncSession, principal: Principal, practice_id: int) -> BestPractice | None:
    """One readable practice, or None."""
    return (await session.exec(readable(principal).where(BestPractice.id == practice_id))).first()


# --- listing ---------------------------------------------------------------------------------------


class PracticeOrder(Enum):
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    TITLE_ASC = "TITLE_ASC"


SORT_KEYS = {
    PracticeOrder.UPDATED_AT_DESC: SortKey(BestPractice.updated_at, True, "datetime"),
    PracticeOrder.TITLE_ASC: SortKey(BestPractice.title, False, "str"),
}


@dataclass
class PracticeFilter:
    harms: Sequence[str] = ()
    intervention_types: Sequence[str] = ()
    evidence_bases: Sequence[str] = ()
    organisation_ids: Sequence[int] = ()
    endorsed_by: Sequence[int] = ()
    query: str | None = None


def _classified(scheme: str, codes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        PracticeClassification.practice_id == BestPractice.id,
        PracticeClassification.scheme == scheme,
        col(PracticeClassification.code).in_(codes),
    )


def _endorsed_by(principal: Principal, organisation_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    # Only endorsements the caller could see count, or the filter would reveal hidden organisations.
    return sa.exists().where(
        Endorsement.practice_id == BestPractice.id,
        col(Endorsement.organisation_id).in_(organisation_ids),
        col(Endorsement.organisation_id).in_(organisations.readable_ids(principal)),
    )


def filtered(principal: Principal, where: PracticeFilter) -> sa.Select:
    """Readable practices matching every given filter (values within one filter are OR-ed)."""
    statement = readable(principal)
    if where.harms:
        statement = statement.where(_classified("harm", where.harms))
    if where.intervention_types:
        statement = statement.where(_classified("intervention-type", where.intervention_types))
    if where.evidence_bases:
        statement = statement.where(col(BestPractice.evidence_basis).in_(where.evidence_bases))
    if where.organisation_ids:
        statement = statement.where(col(BestPractice.organisation_id).in_(where.organisation_ids))
    if where.endorsed_by:
        statement = statement.where(_endorsed_by(principal, where.endorsed_by))
    if where.query:
        statement = statement.where(
            sa.func.lower(BestPractice.title).like(contains_pattern(where.query), escape="\\")
        )
    return statement


# --- writes ----------------------------------------------------------------------------------------


@dataclass
class PracticeData:
    """A practice's own fields; on update UNSET leaves a field unchanged and None clears it (lists replace).

    Clients write all of them: the create and update inputs are made from this list
    (practices/mutations.py), in this order and with these descriptions."""

    title: Patch[str] = writable(
        "Short name of the practice (at most 300 characters).", required=True, on_update="Short name of the practice"
    )
    statement: Patch[str] = writable("What to do (at most 4000 characters).", required=True, on_update="What to do")
    evidence_basis: Patch[str] = writable("`evidence-basis` code.", required=True)
    rationale: Patch[str] = writable("Why.")
    harms: Patch[list[str]] = writable("`harm` codes.")
    intervention_types: Patch[list[str]] = writable("`intervention-type` codes.")
    evidence: Patch[list[AssessmentId]] = writable(
        f"Evidence assessments cited (at most {MAX_EVIDENCE}; at least one when the basis is ASSESSMENTS).",
        on_update="Evidence assessments cited",
    )
    visibility: Patch[Visibility] = writable("Who may read it.", default=Visibility.PUBLIC)


@dataclass
class CleanPractice:
    """Validated column values, classification codes per scheme, and cited assessment ids (None: unchanged)."""

    values: dict[str, object]
    codes: dict[str, list[str]]
    evidence: list[int] | None


async def _check_evidence(
    session: AsyncSession, principal: Principal, problems: Problems, assessment_ids: Sequence[int]
) -> list[int]:
    """The ids, de-duplicated; each one the caller cannot read is NOT_FOUND, like a missing one."""
    wanted = list(dict.fromkeys(assessment_ids))
    if not validation.within_limit(problems, ["evidence"], assessment_ids, MAX_EVIDENCE) or not wanted:
        return wanted
    found = set(
        (await session.exec(evidence.readable_ids(principal).where(col(EvidenceAssessment.id).in_(wanted)))).all()
    )
    for index, assessment_id in enumerate(assessment_ids):
        if assessment_id not in found:
            problems.add(["evidence", str(index)], ErrorCode.NOT_FOUND, "No evidence assessment with this id.")
    return wanted


async def _readable_citations(session: AsyncSession, principal: Principal, practice_id: int) -> int:
    statement = select(sa.func.count()).where(
        PracticeEvidence.practice_id == practice_id,
        col(PracticeEvidence.assessment_id).in_(evidence.readable_ids(principal)),
    )
    return (await session.exec(statement)).one()


async def _check_basis_rule(
    session: AsyncSession,
    principal: Principal,
    problems: Problems,
    named: dict[str, object],
    existing: BestPractice | None,
    cited: list[int] | None,
) -> None:
    """A practice resting on assessments cites at least one (checked when either side changes)."""
    if "evidence_basis" not in named and "evidence" not in named:
        return
    basis = named["evidence_basis"] if "evidence_basis" in named else existing.evidence_basis
    if basis != ASSESSMENTS_BASIS:
        return
    if cited is None:
        has_evidence = existing is not None and await _readable_citations(session, principal, existing.id) > 0
    else:
        has_evidence = bool(cited)
    if not has_evidence:
        problems.add(
            ["evidence"], ErrorCode.INVALID_VALUE, "A practice resting on assessments cites at least one of them."
        )


async def _clean(
    *, session: AsyncSession, principal: Principal, data: PracticeData, existing: BestPractice | None
) -> CleanPractice:
    """Validated values; raises with every problem found."""
    problems = Problems()
    creating = existing is None
    named = validation.named_fields(data, creating=creating)
    values: dict[str, object] = {}
    if "title" in named:
        values["title"] = validation.text(problems, ["title"], named["title"], required=True)
    if "statement" in named:
        values["statement"] = validation.text(
            problems, ["statement"], named["statement"], max_length=STATEMENT_LENGTH, required=True, multiline=True
        )
    if "rationale" in named:
        values["rationale"] = validation.text(
            problems, ["rationale"], named["rationale"], max_length=validation.LONG_TEXT, multiline=True
        )
    if "evidence_basis" in named:
        if named["evidence_basis"] is None:
            problems.add(["evidenceBasis"], ErrorCode.REQUIRED, "This field is required.")
        values["evidence_basis"] = await vocabularies.check_code(
            session=session,
            problems=problems,
            field=["evidenceBasis"],
            vocabulary="evidence-basis",
            code=named["evidence_basis"],
        )
    if named.get("visibility") is not None:
        values["visibility"] = named["visibility"]
    elif "visibility" in named and not creating:
        problems.add(["visibility"], ErrorCode.REQUIRED, "This field is required.")
    codes: dict[str, list[str]] = {}
    for name, (field_name, scheme) in VOCABULARY_SCHEMES.items():
        if name in named:
            codes[scheme] = await vocabularies.check_codes(
                session=session, problems=problems, field=[field_name], vocabulary=scheme, codes=named[name] or []
            )
    cited = None
    if "evidence" in named:
        cited = await _check_evidence(session, principal, problems, named["evidence"] or [])
    await _check_basis_rule(session, principal, problems, named, existing, cited)
    problems.raise_if_any()
    return CleanPractice(values=values, codes=codes, evidence=cited)


async def _replace_links(session: AsyncSession, practice_id: int, clean: CleanPractice) -> None:
    """Replace the classifications and citations the input gave; others stay."""
    for scheme, scheme_codes in clean.codes.items():
        await session.exec(
            delete(PracticeClassification).where(
                PracticeClassification.practice_id == practice_id, PracticeClassification.scheme == scheme
            )
        )
        session.add_all(
            PracticeClassification(practice_id=practice_id, scheme=scheme, code=code) for code in scheme_codes
        )
    if clean.evidence is not None:
        await session.exec(delete(PracticeEvidence).where(PracticeEvidence.practice_id == practice_id))
        session.add_all(PracticeEvidence(practice_id=practice_id, assessment_id=a) for a in clean.evidence)


async def create(
    *, session: AsyncSession, principal: Principal, data: PracticeData, dry_run: bool = False
) -> BestPractice | None:
    """A new practice proposed by the principal's organisation. Flushes, never commits.
    A `dry_run` checks everything and writes nothing (a draft is checked so, before its review)."""
    require_role(principal, Role.CONTRIBUTOR)
    clean = await _clean(session=session, principal=principal, data=data, existing=None)
    if dry_run:
        return None
    practice = BestPractice(
        **clean.values,
        organisation_id=principal.organisation_id,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(practice)
    await session.flush()
    await _replace_links(session, practice.id, clean)
    await session.flush()
    await ratings.recompute(
        session=session, practice_ids=[practice.id], reason=ratings.Reason.NEW_EVIDENCE, actor=principal.subject
    )
    return practice


async def _editable(session: AsyncSession, principal: Principal, practice_id: int) -> BestPractice:
    """The practice if editable; a hidden one is NOT_FOUND, exactly like a missing one, and a
    readable one the caller may not change is FORBIDDEN with the reason."""
    practice = await get(session=session, principal=principal, practice_id=practice_id)
    if practice is None:
        raise not_found(["id"], "best practice")
    require_editor(
        principal,
        field="id",
        owner_id=practice.organisation_id,
        created_by=practice.created_by,
        owner="proposing organisation",
        record="practice",
    )
    return practice


def _touch(practice: BestPractice, principal: Principal) -> None:
    practice.updated_at = utcnow()
    practice.updated_by = principal.subject


async def update(
    *, session: AsyncSession, principal: Principal, practice_id: int, data: PracticeData, dry_run: bool = False
) -> BestPractice | None:
    """Change a practice the principal's organisation proposed; a `dry_run` checks and writes nothing."""
    practice = await _editable(session, principal, practice_id)
    clean = await _clean(session=session, principal=principal, data=data, existing=practice)
    if dry_run:
        return None
    for key, value in clean.values.items():
        setattr(practice, key, value)
    _touch(practice, principal)
    await _replace_links(session, practice.id, clean)
    await session.flush()
    # The cited evidence or the evidence basis may have changed; nothing is stored when neither did.
    await ratings.recompute(
        session=session, practice_ids=[practice.id], reason=ratings.Reason.CORRECTION, actor=principal.subject
    )
    return practice


async def withdraw(*, session: AsyncSession, principal: Principal, practice_id: int, reason: str) -> BestPractice:
    """Withdraw a published practice, with a reason (editors of its organisation): it leaves every list,
    search, export and rating at once (no review: a retraction must never wait), and stays resolvable by
    id as a tombstone with its reason and its versions. Its endorsements are kept, as history."""
    practice = await _editable(session, principal, practice_id)
    require_role(principal, Role.EDITOR, "id")
    reason = withdrawal.checked_reason(reason)
    _touch(practice, principal)
    await withdrawal.withdraw(
        session=session, principal=principal, record=practice, subject_type="BestPractice", reason=reason
    )
    return practice


# --- endorsements ----------------------------------------------------------------------------------


async def _endorsable(session: AsyncSession, principal: Principal, practice_id: int) -> BestPractice:
    require_role(principal, Role.EDITOR, "id")
    practice = await get(session=session, principal=principal, practice_id=practice_id)
    if practice is None:
        raise not_found(["id"], "best practice")
    return practice


async def _own_endorsement(session: AsyncSession, principal: Principal, practice_id: int) -> Endorsement | None:
    statement = select(Endorsement).where(
        Endorsement.practice_id == practice_id, Endorsement.organisation_id == principal.organisation_id
    )
    return (await session.exec(statement)).first()


async def endorse(*, session: AsyncSession, principal: Principal, practice_id: int) -> BestPractice:
    """The principal's organisation endorses a practice it may read."""
    practice = await _endorsable(session, principal, practice_id)
    if await _own_endorsement(session, principal, practice.id) is not None:
        raise DomainError.one(["id"], ErrorCode.DUPLICATE, "Your organisation already endorses this practice.")
    session.add(
        Endorsement(practice_id=practice.id, organisation_id=principal.organisation_id, endorsed_by=principal.subject)
    )
    await session.flush()
    return practice


async def withdraw_endorsement(*, session: AsyncSession, principal: Principal, practice_id: int) -> BestPractice:
    """The principal's organisation withdraws its endorsement."""
    practice = await _endorsable(session, principal, practice_id)
    endorsement = await _own_endorsement(session, principal, practice.id)
    if endorsement is None:
        raise DomainError.one(["id"], ErrorCode.NOT_FOUND, "Your organisation does not endorse this practice.")
    await session.delete(endorsement)
    await session.flush()
    return practice


# --- nested reads (callers pass only ids of practices they could read) ---------------------------


async def classifications_of(*, session: AsyncSession, practice_ids: Sequence[int]) -> list[dict[str, list[str]]]:
    """Codes per scheme for each practice."""
    rows = (
        await session.exec(
            select(PracticeClassification).where(col(PracticeClassification.practice_id).in_(practice_ids))
        )
    ).all()
    return codes_by_scheme(practice_ids, rows, lambda row: row.practice_id)


async def evidence_of(
    *, session: AsyncSession, principal: Principal, practice_ids: Sequence[int]
) -> list[list[EvidenceAssessment]]:
    """The assessments each practice cites, only those the principal may read."""
    statement = (
        select(PracticeEvidence.practice_id, EvidenceAssessment)
        .join(EvidenceAssessment, col(EvidenceAssessment.id) == PracticeEvidence.assessment_id)
        .where(
            col(PracticeEvidence.practice_id).in_(practice_ids),
            col(EvidenceAssessment.id).in_(evidence.readable_ids(principal)),
        )
        .order_by(EvidenceAssessment.id)
    )
    pairs = (await session.exec(statement)).all()
    return [[assessment for _, assessment in group] for group in grouped(practice_ids, pairs, lambda pair: pair[0])]


async def endorsements_of(
    *, session: AsyncSession, principal: Principal, practice_ids: Sequence[int]
) -> list[list[Endorsement]]:
    """Endorsements of each practice by organisations the principal may read, oldest first."""
    statement = (
        select(Endorsement)
        .where(
            col(Endorsement.practice_id).in_(practice_ids),
            col(Endorsement.organisation_id).in_(organisations.readable_ids(principal)),
        )
        .order_by(Endorsement.endorsed_at, Endorsement.organisation_id)
    )
    return grouped(practice_ids, (await session.exec(statement)).all(), lambda row: row.practice_id)
