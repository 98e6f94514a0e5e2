"""Figures: the readable statement every read path uses, and the rules for every write.

A figure sizes or describes the problem (88.3 million reports in a year, 99% of them from platforms);
it is never evidence that an initiative works, so it holds no rating, certainty or effect direction,
and no rating is computed from it (docs/data-model.md, "Figures")."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, NewType

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core import validation
from api.core.batches import codes_by_scheme, grouped
from api.core.dates import DatePrecision, first_day, written
from api.core.db import rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.core.ordering import SortKey
from api.core.validation import Patch
from api.core.visibility import Visibility, visible_to
from api.core.writable import writable
from api.figures.models import Figure, FigureClassification, FigureInitiative
from api.initiatives import service as initiatives
from api.initiatives.models import Initiative
from api.organisations import service as organisations
from api.vocabularies import service as vocabularies

STATEMENT_LENGTH = 2000
UNIT_LENGTH = 100
DENOMINATOR_LENGTH = 300
MAX_INITIATIVES = 50
# An organisation and initiatives named by a figure (clients send their global ids).
OrganisationId = NewType("OrganisationId", int)
InitiativeId = NewType("InitiativeId", int)
# Classifications: data field -> (input field, vocabulary); countries are ISO codes checked by pycountry.
VOCABULARY_SCHEMES = {"harms": ("harms", "harm"), "regions": ("regions", "region")}
COUNTRY_SCHEME = "country"


def _readable_organisation(column: Any, principal: Principal) -> sa.ColumnElement[bool]:  # noqa: ANN401
    return sa.or_(col(column).is_(None), col(column).in_(organisations.readable_ids(principal)))


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, recorded by a readable organisation (or by the registry itself), from a readable
    source organisation where one is named, and visible itself."""
    return sa.and_(
        col(Figure.deleted_at).is_(None),
        _readable_organisation(Figure.recording_organisation_id, principal),
        _readable_organisation(Figure.source_organisation_id, principal),
        visible_to(
            principal,
            scope=Scope.ASSESSMENTS_READ,
            visibility_column=Figure.visibility,
            owned_by=lambda org: Figure.recording_organisation_id == org,
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Figures the principal may read; every read path starts here."""
    return select(Figure).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(Figure.id).where(visible_condition(principal))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Figure | None]:
    """Readable figures for `ids`, in order; None where missing or hidden."""
    return await rows_in_order(session, readable(principal), col(Figure.id), ids)


async def get(*, session: AsyncSession, principal: Principal, figure_id: int) -> Figure | None:
    return (await session.exec(readable(principal).where(Figure.id == figure_id))).first()


# --- listing ---------------------------------------------------------------------------------------


class FigureOrder(Enum):
    PERIOD_END_DESC = "PERIOD_END_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


SORT_KEYS = {
    FigureOrder.PERIOD_END_DESC: SortKey(Figure.period_end, True, "date"),
    FigureOrder.CREATED_AT_DESC: SortKey(Figure.created_at, True, "datetime"),
    FigureOrder.UPDATED_AT_DESC: SortKey(Figure.updated_at, True, "datetime"),
}


@dataclass
class FigureFilter:
    """Values within one filter are alternatives; filters combine. Empty means no restriction."""

    initiative_ids: Sequence[int] = ()
    harms: Sequence[str] = ()
    source_organisation_ids: Sequence[int] = ()
    countries: Sequence[str] = ()
    regions: Sequence[str] = ()
    units: Sequence[str] = ()
    # The period overlaps these years (either end may be open).
    from_year: int | None = None
    to_year: int | None = None


def _classified(scheme: str, codes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        FigureClassification.figure_id == Figure.id,
        FigureClassification.scheme == scheme,
        col(FigureClassification.code).in_(codes),
    )


def _concerning(principal: Principal, initiative_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    # Only links to initiatives the caller may read count, or the filter would reveal hidden ones.
    return sa.exists().where(
        FigureInitiative.figure_id == Figure.id,
        col(FigureInitiative.initiative_id).in_(initiative_ids),
        col(FigureInitiative.initiative_id).in_(initiatives.readable_ids(principal)),
    )


def filtered(principal: Principal, where: FigureFilter) -> sa.Select:
    """Readable figures matching every given filter."""
    statement = readable(principal)
    if where.initiative_ids:
        statement = statement.where(_concerning(principal, where.initiative_ids))
    if where.harms:
        statement = statement.where(_classified("harm", where.harms))
    if where.countries:
        statement = statement.where(_classified(COUNTRY_SCHEME, where.countries))
    if where.regions:
        statement = statement.where(_classified("region", where.regions))
    if where.source_organisation_ids:
        statement = statement.where(col(Figure.source_organisation_id).in_(where.source_organisation_ids))
    if where.units:
        statement = statement.where(col(Figure.unit).in_(validation.comparable_all(where.units)))
    # Periods of every precision are stored from the first day of their first year, month or day to the
    # first day of their last, so comparing with the range's first and last days finds every overlap.
    if where.to_year is not None:
        statement = statement.where(col(Figure.period_start) <= date(where.to_year, 12, 31))
    if where.from_year is not None:
        statement = statement.where(col(Figure.period_end) >= date(where.from_year, 1, 1))
    return statement


# --- writes ----------------------------------------------------------------------------------------


@dataclass
class FigureData:
    """A figure's own fields; on update UNSET leaves a field unchanged and None clears it (lists replace).

    Clients write all of them: the create and update inputs are made from this list (figures/mutations.py),
    in this order and with these descriptions. There is deliberately no rating, certainty or effect
    direction: a figure is context, never evidence of an effect."""

    statement: Patch[str] = writable(
        f"The figure in words, as the source gives it (at most {STATEMENT_LENGTH} characters).",
        required=True,
        on_update="The figure in words, as the source gives it",
    )
    value: Patch[float] = writable(
        "The number, where the source gives one (a finite number; leave it out when the source says only "
        "\"almost half\")."
    )
    unit: Patch[str] = writable(
        f"What the value counts or measures: `reports`, `items`, `accounts`, `%` (at most {UNIT_LENGTH} characters).",
        required=True,
        on_update="What the value counts or measures",
    )
    denominator: Patch[str] = writable(
        f"What a share or rate is of, where the source says: `of reports to the CyberTipline` "
        f"(at most {DENOMINATOR_LENGTH} characters).",
        on_update="What a share or rate is of",
    )
    period_start: Patch[date] = writable(
        "The first year, month or day the figure covers; with `periodPrecision` YEAR or MONTH, the first day of "
        "that year or month.",
        required=True,
        on_update="The first year, month or day the figure covers",
    )
    period_end: Patch[date] = writable(
        "The last year, month or day the figure covers (the same as `periodStart` for a single one), written as "
        "`periodStart` is.",
        required=True,
        on_update="The last year, month or day the figure covers",
    )
    period_precision: Patch[DatePrecision] = writable(
        "How much of the period the source gives.", default=DatePrecision.DAY
    )
    source_organisation: Patch[OrganisationId] = writable(
        "The organisation whose figure it is (its data, survey or estimate), one you may read."
    )
    initiatives: Patch[list[InitiativeId]] = writable(
        f"Initiatives the figure concerns (at most {MAX_INITIATIVES}, each one you may read).",
        on_update="Initiatives the figure concerns; links to initiatives you may not read stay",
    )
    harms: Patch[list[str]] = writable("`harm` codes.")
    regions: Patch[list[str]] = writable("`region` codes.")
    countries: Patch[list[str]] = writable("ISO 3166-1 alpha-2 codes.")
    provenance: Patch[list[validation.Source]] = writable(
        f"Where the figure was found: the citing document, the passage quoted, a note (at most {validation.MAX_SOURCES}).",
        on_update="Where the figure was found",
    )
    visibility: Patch[Visibility] = writable("Who may read it.", default=Visibility.PUBLIC)


@dataclass
class CleanFigure:
    """Validated column values, classification codes per scheme, and linked initiative ids (None: unchanged)."""

    values: dict[str, object]
    codes: dict[str, list[str]]
    initiatives: list[int] | None


def _text_columns(problems: Problems, named: dict[str, Any]) -> dict[str, object]:
    values: dict[str, object] = {}
    if "statement" in named:
        values["statement"] = validation.text(
            problems, ["statement"], named["statement"], max_length=STATEMENT_LENGTH, required=True, multiline=True
        )
    if "unit" in named:
        values["unit"] = validation.text(problems, ["unit"], named["unit"], max_length=UNIT_LENGTH, required=True)
    if "denominator" in named:
        values["denominator"] = validation.text(
            problems, ["denominator"], named["denominator"], max_length=DENOMINATOR_LENGTH
        )
    return values


def _value(problems: Problems, value: float | None) -> float | None:
    # GraphQL's Float already refuses NaN and infinities; other callers (and a future API) meet this rule.
    if value is not None and not math.isfinite(value):
        problems.add(["value"], ErrorCode.INVALID_VALUE, "The value must be a finite number.")
        return None
    return value


_PERIOD_FIELDS = ("period_start", "period_end", "period_precision")


def _period(problems: Problems, named: dict[str, Any], existing: Figure | None) -> dict[str, object]:
    """The period's columns among the `named` fields, checked together with the stored ones they meet."""
    values: dict[str, object] = {}
    for name, field in (("period_start", "periodStart"), ("period_end", "periodEnd"),
                        ("period_precision", "periodPrecision")):
        if name not in named:
            continue
        value = named[name]
        if value is None and name == "period_precision" and existing is None:
            value = DatePrecision.DAY  # the default, for callers that leave it out
        if value is None:
            problems.add([field], ErrorCode.REQUIRED, "This field is required.")
        else:
            values[name] = value
    if not any(name in named for name in _PERIOD_FIELDS):
        return values
    start = values.get("period_start", existing.period_start if existing else None)
    end = values.get("period_end", existing.period_end if existing else None)
    precision = DatePrecision(values.get("period_precision", existing.period_precision if existing else "DAY"))
    for day, field in ((start, "periodStart"), (end, "periodEnd")):
        if day is not None and first_day(day, precision) != day:
            problems.add(
                [field],
                ErrorCode.INVALID_VALUE,
                f"With periodPrecision {precision.value}, a date is the first day of its {precision.value.lower()}: "
                f"write {written(day, precision)} as {first_day(day, precision).isoformat()}.",
            )
    validation.date_range(problems, ["periodEnd"], start, end)
    if "period_precision" in values:
        values["period_precision"] = precision.value
    return values


async def _check_source_organisation(
    session: AsyncSession, principal: Principal, problems: Problems, organisation_id: int | None
) -> None:
    """A named source organisation must be one the caller may read: otherwise NOT_FOUND, as a missing one."""
    if organisation_id is None:
        return
    if await organisations.get(session=session, principal=principal, organisation_id=organisation_id) is None:
        problems.add(["sourceOrganisation"], ErrorCode.NOT_FOUND, "No organisation with this id.")


async def _check_initiatives(
    session: AsyncSession, principal: Principal, problems: Problems, initiative_ids: Sequence[int]
) -> list[int]:
    """The ids, de-duplicated; each one the caller cannot read is NOT_FOUND, like a missing one."""
    wanted = list(dict.fromkeys(initiative_ids))
    if not validation.within_limit(problems, ["initiatives"], initiative_ids, MAX_INITIATIVES) or not wanted:
        return wanted
    found = set(
        (await session.exec(initiatives.readable_ids(principal).where(col(Initiative.id).in_(wanted)))).all()
    )
    for index, initiative_id in enumerate(initiative_ids):
        if initiative_id not in found:
            problems.add(["initiatives", str(index)], ErrorCode.NOT_FOUND, "No initiative with this id.")
    return wanted


async def _codes(session: AsyncSession, problems: Problems, named: dict[str, Any]) -> dict[str, list[str]]:
    """Classification codes per scheme among the `named` fields, checked; null or [] clears a scheme."""
    codes: dict[str, list[str]] = {}
    for name, (field, scheme) in VOCABULARY_SCHEMES.items():
        if name in named:
            codes[scheme] = await vocabularies.check_codes(
                session=session,
                problems=problems,
                field=[field],
                vocabulary=scheme,
                codes=validation.comparable_all(named[name] or []),
            )
    if "countries" in named:
        codes[COUNTRY_SCHEME] = validation.codes_list(
            problems, ["countries"], named["countries"] or [], validation.country
        )
    return codes


async def _clean(
    *, session: AsyncSession, principal: Principal, data: FigureData, existing: Figure | None
) -> CleanFigure:
    """Validated values; raises with every problem found."""
    problems = Problems()
    creating = existing is None
    named = validation.named_fields(data, creating=creating)
    values = _text_columns(problems, named)
    if "value" in named:
        values["value"] = _value(problems, named["value"])
    values.update(_period(problems, named, existing))
    if "source_organisation" in named:
        await _check_source_organisation(session, principal, problems, named["source_organisation"])
        values["source_organisation_id"] = named["source_organisation"]
    if "provenance" in named:
        values["provenance"] = validation.provenance(problems, ["provenance"], named["provenance"] or [])
    if named.get("visibility") is not None:
        values["visibility"] = named["visibility"]
    elif "visibility" in named and not creating:
        problems.add(["visibility"], ErrorCode.REQUIRED, "This field is required.")
    codes = await _codes(session, problems, named)
    linked = None
    if "initiatives" in named:
        linked = await _check_initiatives(session, principal, problems, named["initiatives"] or [])
    problems.raise_if_any()
    return CleanFigure(values=values, codes=codes, initiatives=linked)


async def _replace_links(
    session: AsyncSession, principal: Principal, figure_id: int, clean: CleanFigure, *, new: bool
) -> None:
    """Replace the classifications and initiative links the input gave; others stay. A link to an
    initiative the caller may no longer read stays too: the caller cannot see it to mean to remove it."""
    if clean.codes and not new:
        await session.exec(
            delete(FigureClassification).where(
                FigureClassification.figure_id == figure_id, col(FigureClassification.scheme).in_(list(clean.codes))
            )
        )
    session.add_all(
        FigureClassification(figure_id=figure_id, scheme=scheme, code=code)
        for scheme, codes in clean.codes.items()
        for code in codes
    )
    if clean.initiatives is None:
        return
    if not new:
        await session.exec(
            delete(FigureInitiative).where(
                FigureInitiative.figure_id == figure_id,
                col(FigureInitiative.initiative_id).in_(initiatives.readable_ids(principal)),
            )
        )
    session.add_all(FigureInitiative(figure_id=figure_id, initiative_id=i) for i in clean.initiatives)


async def create(*, session: AsyncSession, principal: Principal, data: FigureData) -> Figure:
    """A new figure recorded by the principal's organisation. Flushes, never commits."""
    require_role(principal, Role.CONTRIBUTOR)
    clean = await _clean(session=session, principal=principal, data=data, existing=None)
    figure = Figure(
        **clean.values,
        recording_organisation_id=principal.organisation_id,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(figure)
    await session.flush()
    await _replace_links(session, principal, figure.id, clean, new=True)
    await session.flush()
    return figure


async def _editable(session: AsyncSession, principal: Principal, figure_id: int) -> Figure:
    """The figure if editable; a hidden one is NOT_FOUND, exactly like a missing one, and a readable
    one the caller may not change is FORBIDDEN with the reason."""
    figure = await get(session=session, principal=principal, figure_id=figure_id)
    if figure is None:
        raise not_found(["id"], "figure")
    if figure.recording_organisation_id is None:
        raise DomainError.one(
            ["id"], ErrorCode.FORBIDDEN, "This figure belongs to the Lab's registry; no organisation can change it."
        )
    require_editor(
        principal,
        field="id",
        owner_id=figure.recording_organisation_id,
        created_by=figure.created_by,
        owner="organisation that recorded it",
        record="figure",
    )
    return figure


def _touch(figure: Figure, principal: Principal) -> None:
    figure.updated_at = utcnow()
    figure.updated_by = principal.subject


async def update(*, session: AsyncSession, principal: Principal, figure_id: int, data: FigureData) -> Figure:
    """Change a figure the principal's organisation recorded."""
    figure = await _editable(session, principal, figure_id)
    clean = await _clean(session=session, principal=principal, data=data, existing=figure)
    for key, value in clean.values.items():
        setattr(figure, key, value)
    _touch(figure, principal)
    await _replace_links(session, principal, figure.id, clean, new=False)
    await session.flush()
    return figure


async def delete_(*, session: AsyncSession, principal: Principal, figure_id: int) -> Figure:
    """Soft delete: the figure disappears from every read path but stays in the database."""
    figure = await _editable(session, principal, figure_id)
    require_role(principal, Role.EDITOR, "id")
    figure.deleted_at = utcnow()
    _touch(figure, principal)
    await session.flush()
    return figure


# --- nested reads (callers pass only ids of records they could read) -------------------------------


async def classifications_of(*, session: AsyncSession, figure_ids: Sequence[int]) -> list[dict[str, list[str]]]:
    """Codes per scheme for each figure."""
    rows = (
        await session.exec(select(FigureClassification).where(col(FigureClassification.figure_id).in_(figure_ids)))
    ).all()
    return codes_by_scheme(figure_ids, rows, lambda row: row.figure_id)


async def initiatives_of(
    *, session: AsyncSession, principal: Principal, figure_ids: Sequence[int]
) -> list[list[Initiative]]:
    """The initiatives each figure concerns, only those the principal may read."""
    statement = (
        select(FigureInitiative.figure_id, Initiative)
        .join(Initiative, col(Initiative.id) == FigureInitiative.initiative_id)
        .where(col(FigureInitiative.figure_id).in_(figure_ids), initiatives.visible_condition(principal))
        .order_by(Initiative.id)
    )
    pairs = (await session.exec(statement)).all()
    return [[initiative for _, initiative in group] for group in grouped(figure_ids, pairs, lambda pair: pair[0])]


async def figures_of(
    *, session: AsyncSession, principal: Principal, initiative_ids: Sequence[int]
) -> list[list[Figure]]:
    """Readable figures concerning each initiative, latest period first (callers pass only ids of
    initiatives they could read)."""
    statement = (
        select(FigureInitiative.initiative_id, Figure)
        .join(Figure, col(Figure.id) == FigureInitiative.figure_id)
        .where(col(FigureInitiative.initiative_id).in_(initiative_ids), visible_condition(principal))
        .order_by(col(Figure.period_end).desc(), col(Figure.id).desc())
    )
    pairs = (await session.exec(statement)).all()
    return [[figure for _, figure in group] for group in grouped(initiative_ids, pairs, lambda pair: pair[0])]
