"""What a version keeps of a record: its published fields and parts, keyed as the API names them.

Ids and audit columns are left out (they are not what a reader compares); references to other records
are global ids, so a diff names the record a reference moved to."""

from collections.abc import Sequence
from datetime import date, datetime
from enum import Enum

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import relay

from api.core.batches import codes_by_scheme, grouped
from api.evidence.models import EvidenceAssessment, Finding
from api.initiatives.models import Initiative, InitiativeClassification
from api.inquiries.models import RatingInquiry
from api.practices.models import BestPractice, PracticeClassification, PracticeEvidence

# Columns no version keeps: the row's identity, its audit trail and its deletion mark.
_LEFT_OUT = {"id", "created_at", "updated_at", "created_by", "updated_by", "deleted_at"}
# References, as the record type a global id names.
_REFERENCES = {
    "lead_organisation_id": "Organisation",
    "part_of_id": "Initiative",
    "initiative_id": "Initiative",
    "study_id": "Study",
    "assessing_organisation_id": "Organisation",
    "organisation_id": "Organisation",
    "assessment_id": "EvidenceAssessment",
    "rating_id": "OutcomeRating",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def fields(row: SQLModel, *, leave_out: frozenset[str] = frozenset()) -> dict[str, object]:
    """A row's columns as a version keeps them."""
    kept = {}
    for name, value in row.model_dump().items():
        if name in _LEFT_OUT or name in leave_out:
            continue
        if name in _REFERENCES:
            kept[_camel(name.removesuffix("_id"))] = None if value is None else relay.to_base64(_REFERENCES[name], value)
        else:
            kept[_camel(name)] = _value(value)
    return kept


async def _parts(session: AsyncSession, model: type[SQLModel], key: str, record_ids: Sequence[int], *order) -> list[list]:  # noqa: ANN002
    rows = (await session.exec(select(model).where(col(getattr(model, key)).in_(record_ids)).order_by(*order))).all()
    return grouped(record_ids, rows, lambda row: getattr(row, key))


async def _schemes(session: AsyncSession, model: type[SQLModel], key: str, record_ids: Sequence[int]) -> dict[int, dict]:
    rows = (await session.exec(select(model).where(col(getattr(model, key)).in_(record_ids)))).all()
    return dict(zip(record_ids, codes_by_scheme(record_ids, rows, lambda row: getattr(row, key)), strict=True))


async def _rows(session: AsyncSession, model: type[SQLModel], record_ids: Sequence[int]) -> dict[int, SQLModel]:
    if len(record_ids) == 1:  # a record just written: the session holds it, no statement needed
        row = await session.get(model, record_ids[0])
        return {} if row is None else {row.id: row}
    return {row.id: row for row in (await session.exec(select(model).where(col(model.id).in_(record_ids)))).all()}


async def initiatives(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, dict]:
    rows = await _rows(session, Initiative, record_ids)
    schemes = await _schemes(session, InitiativeClassification, "initiative_id", record_ids)
    return {i: {**fields(rows[i]), "classifications": schemes[i]} for i in rows}


async def evidence_assessments(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, dict]:
    rows = await _rows(session, EvidenceAssessment, record_ids)
    findings = dict(zip(record_ids, await _parts(session, Finding, "assessment_id", record_ids, "outcome", "id"), strict=True))
    return {
        i: {**fields(rows[i]), "findings": [fields(f, leave_out=frozenset({"assessment_id"})) for f in findings[i]]}
        for i in rows
    }


async def best_practices(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, dict]:
    rows = await _rows(session, BestPractice, record_ids)
    schemes = await _schemes(session, PracticeClassification, "practice_id", record_ids)
    cited = dict(zip(record_ids, await _parts(session, PracticeEvidence, "practice_id", record_ids, "assessment_id"), strict=True))
    return {
        i: {
            **fields(rows[i]),
            "classifications": schemes[i],
            "evidence": [relay.to_base64("EvidenceAssessment", c.assessment_id) for c in cited[i]],
        }
        for i in rows
    }


async def rating_inquiries(session: AsyncSession, record_ids: Sequence[int]) -> dict[int, dict]:
    rows = await _rows(session, RatingInquiry, record_ids)
    return {i: fields(rows[i]) for i in rows}


# Each kind of versioned record: its table and how to snapshot a batch of its rows.
SNAPSHOTS = {
    "Initiative": (Initiative, initiatives),
    "EvidenceAssessment": (EvidenceAssessment, evidence_assessments),
    "BestPractice": (BestPractice, best_practices),
    "RatingInquiry": (RatingInquiry, rating_inquiries),
}
