"""Studies: the reports of research that evidence assessments code. Readable statement and write rules."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.core import validation
from api.core.dates import DatePrecision, first_day
from api.core.db import rows_in_order, utcnow
from api.core.errors import ErrorCode, Problems, not_found
from api.core.ordering import SortKey
from api.core.visibility import Visibility
from api.evidence.models import Study
from api.evidence.visibility import study_visible
from api.vocabularies import service as vocabularies

# 10.<registrant digits, optionally dotted>/<any suffix>, per the DOI Handbook.
_DOI = re.compile(r"^10\.\d+(?:\.\d+)*/\S+$")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.IGNORECASE)
MAX_COUNTRIES = 50


def readable(principal: Principal) -> sa.Select:
    """Studies the principal may read; every read path starts here."""
    return select(Study).where(study_visible(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(Study.id).where(study_visible(principal))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Study | None]:
    return await rows_in_order(session, readable(principal), col(Study.id), ids)


async def get(*, session: AsyncSession, principal: Principal, study_id: int) -> Study | None:
    return (await session.exec(readable(principal).where(Study.id == study_id))).first()


def filtered(
    statement: sa.Select,
    *,
    study_designs: Sequence[str] = (),
    peer_reviewed: bool | None = None,
    countries: Sequence[str] = (),
    sample_key: str | None = None,
) -> sa.Select:
    if study_designs:
        statement = statement.where(col(Study.study_design).in_(study_designs))
    if peer_reviewed is not None:
        statement = statement.where(Study.peer_reviewed == peer_reviewed)
    if countries:
        # Countries are a short JSON list: matched as text, the quotes keeping "AT" from matching "CAT".
        statement = statement.where(sa.or_(*(sa.cast(Study.countries, sa.String).contains(f'"{c}"') for c in countries)))
    if sample_key is not None:
        statement = statement.where(Study.sample_key == sample_key)
    return statement


class StudyOrder(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    PUBLISHED_ON_DESC = "PUBLISHED_ON_DESC"


SORT_KEYS = {
    StudyOrder.CREATED_AT_DESC: SortKey(Study.created_at, True, "datetime"),
    # Undated studies come last (pagination orders NULLs last in either direction).
    StudyOrder.PUBLISHED_ON_DESC: SortKey(Study.published_on, True, "date"),
}


# --- writes --------------------------------------------------------------------------------------


@dataclass
class StudyData:
    """A study's fields; on update, None means "leave unchanged"."""

    title: str | None = None
    study_design: str | None = None
    reference_doi: str | None = None
    reference_url: str | None = None
    countries: list[str] | None = None
    population: str | None = None
    sample_size: int | None = None
    setting: str | None = None
    published_on: date | None = None
    published_precision: DatePrecision | None = None
    period: str | None = None
    peer_reviewed: bool | None = None
    funder: str | None = None
    sample_key: str | None = None
    visibility: Visibility | None = None


def doi(problems: Problems, field: Sequence[str], value: str | None) -> str | None:
    """A bare DOI (resolver prefixes removed), or a problem."""
    value = validation.text(problems, field, value, max_length=200)
    if value is None:
        return None
    value = _DOI_PREFIX.sub("", value)
    if not _DOI.match(value):
        problems.add(field, ErrorCode.INVALID_VALUE, "Must be a DOI such as 10.1000/xyz123.")
        return None
    return value


def latest_date_anywhere() -> date:
    """Today in the earliest time zone (UTC+14), so a date that is today somewhere is not future."""
    return (utcnow() + timedelta(hours=14)).date()


def _published(
    problems: Problems, field: Sequence[str], day: date, precision: DatePrecision | None
) -> dict[str, object]:
    """The first day of the period the precision names, and the precision (None for a whole date)."""
    if day > latest_date_anywhere():
        problems.add(field, ErrorCode.INVALID_VALUE, "The publication date is in the future.")
    precision = precision or DatePrecision.DAY
    return {
        "published_on": first_day(day, precision),
        "published_precision": None if precision is DatePrecision.DAY else precision.value,
    }


async def clean(
    *, session: AsyncSession, problems: Problems, data: StudyData, creating: bool, field: Sequence[str] = ()
) -> dict[str, object]:
    """Validated column values; problems are collected under `field` (the input holding the study)."""
    at = list(field)
    values: dict[str, object] = {}
    if data.title is not None or creating:
        values["title"] = validation.text(problems, [*at, "title"], data.title, required=True)
    if data.study_design is not None or creating:
        if data.study_design is None:
            problems.add([*at, "studyDesign"], ErrorCode.REQUIRED, "This field is required.")
        values["study_design"] = await vocabularies.check_code(
            session=session, problems=problems, field=[*at, "studyDesign"], vocabulary="study-design",
            code=data.study_design,
        )
    if data.reference_doi is not None:
        values["reference_doi"] = doi(problems, [*at, "referenceDoi"], data.reference_doi)
    if data.reference_url is not None:
        values["reference_url"] = validation.url(problems, [*at, "referenceUrl"], data.reference_url)
    if data.countries is not None:
        values["countries"] = validation.codes_list(
            problems, [*at, "countries"], data.countries, validation.country, limit=MAX_COUNTRIES
        )
    for name, input_name, length in (
        ("population", "population", 2000), ("setting", "setting", 2000), ("funder", "funder", 300),
        ("period", "period", 100), ("sample_key", "sampleKey", 200),
    ):
        if getattr(data, name) is not None:
            values[name] = validation.text(
                problems, [*at, input_name], getattr(data, name), max_length=length, multiline=length > 300
            )
    if data.sample_size is not None:
        if data.sample_size < 0:
            problems.add([*at, "sampleSize"], ErrorCode.INVALID_VALUE, "The sample size must not be negative.")
        values["sample_size"] = data.sample_size
    if data.published_on is not None:
        values.update(_published(problems, [*at, "publishedOn"], data.published_on, data.published_precision))
    elif data.published_precision is not None:
        problems.add([*at, "publishedOn"], ErrorCode.REQUIRED, "A precision needs the date it qualifies.")
    if data.peer_reviewed is not None:
        values["peer_reviewed"] = data.peer_reviewed
    if data.visibility is not None:
        values["visibility"] = data.visibility
    return values


def new_row(values: dict[str, object], principal: Principal) -> Study:
    return Study(
        **values, organisation_id=principal.organisation_id, created_by=principal.subject, updated_by=principal.subject
    )


async def create(*, session: AsyncSession, principal: Principal, data: StudyData) -> Study:
    """A study registered by the principal's organisation. Flushes, never commits."""
    require_role(principal, Role.CONTRIBUTOR)
    problems = Problems()
    values = await clean(session=session, problems=problems, data=data, creating=True)
    problems.raise_if_any()
    study = new_row(values, principal)
    session.add(study)
    await session.flush()
    await activity.record(
        session=session, principal=principal, kind=ActivityKind.CREATED, subject_type="Study", subject_id=study.id
    )
    return study


async def update(*, session: AsyncSession, principal: Principal, study_id: int, data: StudyData) -> Study:
    """Correct a study the principal's organisation registered; ratings resting on it are recomputed by the caller."""
    study = await get(session=session, principal=principal, study_id=study_id)
    if study is None:
        raise not_found(["id"], "study")
    require_editor(
        principal, field="id", owner_id=study.organisation_id, created_by=study.created_by,
        owner="organisation that registered it", record="study",
    )
    problems = Problems()
    values = await clean(session=session, problems=problems, data=data, creating=False)
    problems.raise_if_any()
    for key, value in values.items():
        setattr(study, key, value)
    study.updated_at, study.updated_by = utcnow(), principal.subject
    await session.flush()
    await activity.record(
        session=session,
        principal=principal,
        kind=ActivityKind.EDITED,
        subject_type="Study",
        subject_id=study.id,
        detail={"fields": sorted(validation.camel(name) for name in values)},
    )
    return study
