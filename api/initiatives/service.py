"""Initiatives: the readable statement every read path uses, and the rules for every write."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import UNSET

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.core import validation
from api.auth.checks import require_editor, require_role
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core.db import rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.initiatives.models import Initiative, InitiativeClassification, Participation
from api.core.batches import codes_by_scheme, grouped
from api.organisations import service as organisations
from api.core.ordering import SortKey
from api.ratings import service as ratings
from api.versions import service as versions
from api.versions.models import Publication
from api.search import outbox as search_outbox
from api.core.validation import Patch
from api.core.writable import writable
from api.core.visibility import Visibility, visible_to
from api.vocabularies import service as vocabularies

# Vocabulary-backed classifications; countries and languages are ISO codes checked by pycountry.
VOCABULARY_SCHEMES = {
    "intervention_types": "intervention-type",
    "harms": "harm",
    "mnr_capabilities": "mnr-capability",
    "target_groups": "target-group",
    "regions": "region",
}
ISO_SCHEMES = {"countries": ("country", validation.country), "languages": ("language", validation.language)}
# The input field of each classification scheme, for the activity trail's list of fields an edit set.
SCHEME_FIELDS = {vocabulary: name for name, vocabulary in VOCABULARY_SCHEMES.items()} | {
    scheme: name for name, (scheme, _check) in ISO_SCHEMES.items()
}


def _is_partner(organisation_id: int) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        Participation.initiative_id == Initiative.id, Participation.organisation_id == organisation_id
    )


def shown_participation(principal: Principal) -> sa.ColumnElement[bool]:
    """A confirmed participation is shown to whoever reads the initiative; a proposed one only to the
    organisation named and to the initiative's lead, until the named organisation confirms it."""
    confirmed = col(Participation.confirmed_at).is_not(None)
    organisation_id = principal.organisation_id
    if organisation_id is None:
        return confirmed
    # Aliased, so that inside a query over initiatives this names the participation's own initiative.
    led = aliased(Initiative)
    return sa.or_(
        confirmed,
        Participation.organisation_id == organisation_id,
        col(Participation.initiative_id).in_(select(led.id).where(led.lead_organisation_id == organisation_id)),
    )


def visible_condition(principal: Principal) -> sa.ColumnElement[bool]:
    """Not deleted, led by a readable organisation (or by none named), and visible under its visibility."""
    return sa.and_(
        col(Initiative.deleted_at).is_(None),
        sa.or_(
            col(Initiative.lead_organisation_id).is_(None),
            col(Initiative.lead_organisation_id).in_(organisations.readable_ids(principal)),
        ),
        visible_to(
            principal,
            scope=Scope.INITIATIVES_READ,
            visibility_column=Initiative.visibility,
            owned_by=lambda org: sa.or_(Initiative.lead_organisation_id == org, _is_partner(org)),
        ),
    )


def readable(principal: Principal) -> sa.Select:
    """Initiatives the principal may read; every read path starts here."""
    return select(Initiative).where(visible_condition(principal))


def readable_ids(principal: Principal) -> sa.Select:
    return select(Initiative.id).where(visible_condition(principal))


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Initiative | None]:
    return await rows_in_order(session, readable(principal), col(Initiative.id), ids)


async def get(*, session: AsyncSession, principal: Principal, initiative_id: int) -> Initiative | None:
    return (await session.exec(readable(principal).where(Initiative.id == initiative_id))).first()


class InitiativeOrder(Enum):
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    TITLE_ASC = "TITLE_ASC"


SORT_KEYS = {
    InitiativeOrder.UPDATED_AT_DESC: SortKey(Initiative.updated_at, True, "datetime"),
    InitiativeOrder.CREATED_AT_DESC: SortKey(Initiative.created_at, True, "datetime"),
    InitiativeOrder.TITLE_ASC: SortKey(Initiative.title, False, "str"),
}


MAX_LINKS = 20


@dataclass
class Link:
    label: str | None
    url: str


@dataclass
class InitiativeData:
    """An initiative's own fields; on update UNSET leaves a field unchanged and None clears it.

    The fields declared `writable` are the API's: the create and update inputs are made from them
    (initiatives/mutations.py), in this order and with these descriptions."""

    title: Patch[str] = writable("Title (at most 300 characters).", required=True, on_update="Title")
    status: Patch[str] = writable("`initiative-status` code.", required=True)
    summary: Patch[str] = writable("One-paragraph summary.", on_update="Summary")
    description: Patch[str] = writable("Full description.", on_update="Description")
    visibility: Patch[Visibility] = writable("Who may read it.", default=Visibility.PUBLIC)
    planned_start: Patch[date] = writable("Planned start date.")
    planned_end: Patch[date] = writable("Planned end date.")
    actual_start: Patch[date] = writable("Actual start date.")
    actual_end: Patch[date] = writable("Actual end date.")
    links: Patch[list[Link]] = writable(f"Links (at most {MAX_LINKS}).", on_update="Links")
    intervention_types: Patch[list[str]] = writable("`intervention-type` codes.")
    harms: Patch[list[str]] = writable("`harm` codes.")
    mnr_capabilities: Patch[list[str]] = writable("`mnr-capability` codes.")
    target_groups: Patch[list[str]] = writable("`target-group` codes.")
    regions: Patch[list[str]] = writable("`region` codes.")
    countries: Patch[list[str]] = writable("ISO 3166-1 alpha-2 codes.")
    languages: Patch[list[str]] = writable("ISO 639 codes.")
    # Not written through the API: a record's sources come from the registry's seed files.
    provenance: Patch[list[dict[str, str]]] = UNSET


DATE_FIELDS = ("planned_start", "planned_end", "actual_start", "actual_end")
SUMMARY_LENGTH = 2000


def _links(problems: Problems, links: list[Link]) -> list[dict[str, str]]:
    """Links as stored: label and URL checked, at most MAX_LINKS of them."""
    if not validation.within_limit(problems, ["links"], links, MAX_LINKS):
        return []
    return [
        {
            "label": validation.text(problems, ["links", str(i), "label"], link.label) or "",
            "url": validation.url(problems, ["links", str(i), "url"], link.url) or "",
        }
        for i, link in enumerate(links)
    ]


async def _clean(
    *, session: AsyncSession, data: InitiativeData, existing: Initiative | None
) -> tuple[dict[str, object], dict[str, list[str]]]:
    """Validated column values and classification codes; raises with every problem found."""
    problems = Problems()
    named = validation.named_fields(data, creating=existing is None)
    known = await _known_codes(session, named)
    values = await _columns(session=session, problems=problems, named=named, existing=existing, known=known)
    codes = await _codes(session=session, problems=problems, named=named, known=known)
    problems.raise_if_any()
    return values, codes


async def _known_codes(session: AsyncSession, named: dict[str, Any]) -> dict[str, set[str]]:
    """The named status and vocabulary codes that are terms, read in one statement for every check."""
    codes = {vocabulary: named[name] or [] for name, vocabulary in VOCABULARY_SCHEMES.items() if name in named}
    if named.get("status") is not None:
        codes["initiative-status"] = [named["status"]]
    return await vocabularies.known_codes(
        session=session, codes={vocabulary: validation.comparable_all(listed) for vocabulary, listed in codes.items()}
    )


async def _columns(
    *,
    session: AsyncSession,
    problems: Problems,
    named: dict[str, Any],
    existing: Initiative | None,
    known: dict[str, set[str]],
) -> dict[str, object]:
    """The initiative's own columns among the `named` fields, checked."""
    values: dict[str, object] = {}
    if "title" in named:
        values["title"] = validation.text(problems, ["title"], named["title"], required=True)
    if "summary" in named:
        values["summary"] = validation.text(
            problems, ["summary"], named["summary"], max_length=SUMMARY_LENGTH, multiline=True
        )
    if "description" in named:
        values["description"] = validation.text(
            problems, ["description"], named["description"], max_length=validation.LONG_TEXT, multiline=True
        )
    if "status" in named:
        if named["status"] is None:
            problems.add(["status"], ErrorCode.REQUIRED, "This field is required.")
        values["status"] = await vocabularies.check_code(
            session=session,
            problems=problems,
            field=["status"],
            vocabulary="initiative-status",
            code=named["status"] and validation.comparable(named["status"]),
            known=known.get("initiative-status"),
        )
    if named.get("visibility") is not None:
        values["visibility"] = named["visibility"]
    elif "visibility" in named and existing is not None:
        problems.add(["visibility"], ErrorCode.REQUIRED, "This field is required.")
    values.update({name: named[name] for name in DATE_FIELDS if name in named})
    for prefix in ("planned", "actual"):
        start = values.get(f"{prefix}_start", getattr(existing, f"{prefix}_start", None))
        end = values.get(f"{prefix}_end", getattr(existing, f"{prefix}_end", None))
        validation.date_range(problems, [f"{prefix}End"], start, end)
    if "links" in named:
        values["links"] = _links(problems, named["links"] or [])
    if "provenance" in named:
        values["provenance"] = named["provenance"] or []
    return values


async def _codes(
    *, session: AsyncSession, problems: Problems, named: dict[str, Any], known: dict[str, set[str]]
) -> dict[str, list[str]]:
    """Classification codes per scheme among the `named` fields, checked; null or [] clears a scheme."""
    codes: dict[str, list[str]] = {}
    for name, vocabulary in VOCABULARY_SCHEMES.items():
        if name in named:
            codes[vocabulary] = await vocabularies.check_codes(
                session=session,
                problems=problems,
                field=[validation.camel(name)],
                vocabulary=vocabulary,
                codes=validation.comparable_all(named[name] or []),
                known=known[vocabulary],
            )
    for name, (scheme, check) in ISO_SCHEMES.items():
        if name in named:
            codes[scheme] = validation.codes_list(problems, [name], named[name] or [], check)
    return codes


async def _replace_classifications(
    session: AsyncSession, initiative_id: int, codes: dict[str, list[str]], *, new: bool
) -> None:
    """The named schemes' codes replace the stored ones: one DELETE for all of them, and none for a
    `new` initiative, which has none yet; the new rows go in with the next flush (one executemany)."""
    if codes and not new:
        # The bulk delete bypasses the ORM events that fill the search outbox.
        search_outbox.enqueue(session, [initiative_id])
        await session.exec(
            delete(InitiativeClassification).where(
                InitiativeClassification.initiative_id == initiative_id,
                col(InitiativeClassification.scheme).in_(list(codes)),
            )
        )
    session.add_all(
        InitiativeClassification(initiative_id=initiative_id, scheme=scheme, code=code)
        for scheme, scheme_codes in codes.items()
        for code in scheme_codes
    )


async def create(*, session: AsyncSession, principal: Principal, data: InitiativeData) -> Initiative:
    """A new initiative led by the principal's organisation. Flushes, never commits."""
    require_role(principal, Role.CONTRIBUTOR)
    values, codes = await _clean(session=session, data=data, existing=None)
    initiative = Initiative(
        **values,
        lead_organisation_id=principal.organisation_id,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(initiative)
    await session.flush()
    await _replace_classifications(session, initiative.id, codes, new=True)
    await versions.publish(
        session=session, principal=principal, record_type="Initiative", record_id=initiative.id, publication=Publication.DIRECT, new=True
    )
    await activity.record(
        session=session, principal=principal, kind=ActivityKind.CREATED, subject_type="Initiative", subject_id=initiative.id, version=1
    )
    return initiative


async def _editable(session: AsyncSession, principal: Principal, initiative_id: int, field: str) -> Initiative:
    """The initiative if editable; a hidden one is NOT_FOUND, exactly like a missing one, and a
    readable one the caller may not change is FORBIDDEN with the reason."""
    initiative = await get(session=session, principal=principal, initiative_id=initiative_id)
    if initiative is None:
        raise not_found([field], "initiative")
    if initiative.lead_organisation_id is None:
        raise DomainError.one(
            [field], ErrorCode.FORBIDDEN, "No organisation leads this initiative, so none can change it."
        )
    require_editor(
        principal,
        field=field,
        owner_id=initiative.lead_organisation_id,
        created_by=initiative.created_by,
        owner="lead organisation",
        record="initiative",
    )
    return initiative


def touch(initiative: Initiative, principal: Principal) -> None:
    """Record that the initiative (or something it holds) changed."""
    initiative.updated_at = utcnow()
    initiative.updated_by = principal.subject


async def update(
    *, session: AsyncSession, principal: Principal, initiative_id: int, data: InitiativeData
) -> Initiative:
    initiative = await _editable(session, principal, initiative_id, "id")
    values, codes = await _clean(session=session, data=data, existing=initiative)
    status_changed = "status" in values and values["status"] != initiative.status
    for key, value in values.items():
        setattr(initiative, key, value)
    touch(initiative, principal)
    await _replace_classifications(session, initiative.id, codes, new=False)
    if status_changed:
        # PIONEERING depends on the status: an initiative rated on no evidence may change. The session does
        # not autoflush, so the new status is flushed first for the recompute to read it.
        await session.flush()
        await ratings.recompute(
            session=session, initiative_ids=[initiative.id], reason=ratings.Reason.SUBJECT, actor=principal.subject
        )
    # Initiatives publish directly: every change readers can see is a new version.
    version = await versions.publish(
        session=session, principal=principal, record_type="Initiative", record_id=initiative.id, publication=Publication.DIRECT
    )
    fields = sorted(validation.camel(name) for name in [*values, *(SCHEME_FIELDS[scheme] for scheme in codes)])
    await activity.record(
        session=session,
        principal=principal,
        kind=ActivityKind.EDITED,
        subject_type="Initiative",
        subject_id=initiative.id,
        version=version.number if version is not None else None,
        detail={"fields": fields},
    )
    return initiative


async def delete_(*, session: AsyncSession, principal: Principal, initiative_id: int) -> Initiative:
    """Soft delete: the record disappears from every read path but stays in the database."""
    initiative = await _editable(session, principal, initiative_id, "id")
    require_role(principal, Role.EDITOR, "id")
    initiative.deleted_at = utcnow()
    touch(initiative, principal)
    # Deleted, the initiative is readable by nobody, and so is this entry: its trail goes with it.
    await activity.record(
        session=session, principal=principal, kind=ActivityKind.WITHDRAWN, subject_type="Initiative", subject_id=initiative.id
    )
    return initiative


# --- participations ------------------------------------------------------------------------------


async def add_participation(
    *, session: AsyncSession, principal: Principal, initiative_id: int, organisation_id: int, role: str
) -> Participation:
    """An organisation takes part in an initiative in a role (the lead organisation decides)."""
    initiative = await _editable(session, principal, initiative_id, "initiative")
    problems = Problems()
    partner = await organisations.get(session=session, principal=principal, organisation_id=organisation_id)
    if partner is None:
        problems.add(["organisation"], ErrorCode.NOT_FOUND, "No organisation with this id.")
    checked_role = await vocabularies.check_code(
        session=session,
        problems=problems,
        field=["role"],
        vocabulary="participation-role",
        code=validation.comparable(role),
    )
    problems.raise_if_any()
    duplicate = (
        await session.exec(
            select(Participation.id).where(
                Participation.initiative_id == initiative.id,
                Participation.organisation_id == organisation_id,
                Participation.role == checked_role,
            )
        )
    ).first()
    if duplicate is not None:
        raise DomainError.one(["role"], ErrorCode.DUPLICATE, "This organisation already takes part in this role.")
    # Another organisation's name is shown with the initiative only once it confirms; the lead's own
    # organisation consents by naming itself.
    own = organisation_id == principal.organisation_id
    participation = Participation(
        initiative_id=initiative.id,
        organisation_id=organisation_id,
        role=checked_role,
        confirmed_at=utcnow() if own else None,
        confirmed_by=principal.subject if own else None,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(participation)
    touch(initiative, principal)
    await session.flush()
    return participation


def readable_participations(principal: Principal) -> sa.Select:
    """Participations of readable initiatives, by readable organisations, shown to the principal."""
    return select(Participation).where(
        col(Participation.initiative_id).in_(readable_ids(principal)),
        col(Participation.organisation_id).in_(organisations.readable_ids(principal)),
        shown_participation(principal),
    )


async def _own_participation(
    session: AsyncSession, principal: Principal, participation_id: int, doing: str
) -> Participation:
    """The principal's organisation's own participation. One the principal may not see is NOT_FOUND,
    exactly like a missing one; one it sees but that names another organisation is FORBIDDEN."""
    participation = (
        await session.exec(readable_participations(principal).where(Participation.id == participation_id))
    ).first()
    if participation is None:
        raise not_found(["id"], "participation")
    if participation.organisation_id != principal.organisation_id:
        raise DomainError.one(
            ["id"], ErrorCode.FORBIDDEN, f"Only the organisation taking part {doing} its participation."
        )
    require_role(principal, Role.CONTRIBUTOR, "id")
    return participation


async def _participations_changed(session: AsyncSession, initiative_id: int) -> None:
    """The initiative's participations changed (its `updatedAt` says so); who last changed the
    initiative's own fields stays as it was."""
    initiative = await session.get(Initiative, initiative_id)
    if initiative is not None:
        initiative.updated_at = utcnow()


async def confirm_participation(*, session: AsyncSession, principal: Principal, participation_id: int) -> Participation:
    """The organisation named as a partner agrees to be shown as one. Confirming again changes nothing."""
    participation = await _own_participation(session, principal, participation_id, "confirms")
    if participation.confirmed_at is None:
        participation.confirmed_at = utcnow()
        participation.confirmed_by = principal.subject
        participation.updated_at = participation.confirmed_at
        participation.updated_by = principal.subject
        await _participations_changed(session, participation.initiative_id)
        await session.flush()
    return participation


async def withdraw_participation(*, session: AsyncSession, principal: Principal, participation_id: int) -> Participation:
    """The organisation named as a partner declines a proposed participation or withdraws a confirmed one."""
    participation = await _own_participation(session, principal, participation_id, "withdraws")
    await session.delete(participation)
    await _participations_changed(session, participation.initiative_id)
    await session.flush()
    return participation


async def remove_participation(*, session: AsyncSession, principal: Principal, participation_id: int) -> Participation:
    participation = (
        await session.exec(readable_participations(principal).where(Participation.id == participation_id))
    ).first()
    if participation is None:
        raise not_found(["id"], "participation")
    initiative = await _editable(session, principal, participation.initiative_id, "id")
    await session.delete(participation)
    touch(initiative, principal)
    await session.flush()
    return participation


async def participations_of(
    *, session: AsyncSession, principal: Principal, initiative_ids: Sequence[int]
) -> list[list[Participation]]:
    """Participations of each initiative (callers pass only ids of initiatives they could read)."""
    # The keys come from initiatives the caller has just read: only the partner's own visibility
    # is left to check (repeating the initiative check costs SQLite a pass over every readable one).
    statement = select(Participation).where(
        col(Participation.initiative_id).in_(initiative_ids),
        col(Participation.organisation_id).in_(organisations.readable_ids(principal)),
        shown_participation(principal),
    )
    rows = (await session.exec(statement.order_by(Participation.id))).all()
    return grouped(initiative_ids, rows, lambda row: row.initiative_id)


async def parts_of(
    *, session: AsyncSession, principal: Principal, initiative_ids: Sequence[int]
) -> list[list[Initiative]]:
    """The readable components of each initiative, by title."""
    statement = readable(principal).where(col(Initiative.part_of_id).in_(initiative_ids))
    rows = (await session.exec(statement.order_by(Initiative.title, Initiative.id))).all()
    return grouped(initiative_ids, rows, lambda row: row.part_of_id)


async def classifications_of(
    *, session: AsyncSession, initiative_ids: Sequence[int]
) -> list[dict[str, list[str]]]:
    """Codes per scheme for each initiative (callers pass only ids they could read)."""
    rows = (
        await session.exec(
            select(InitiativeClassification).where(col(InitiativeClassification.initiative_id).in_(initiative_ids))
        )
    ).all()
    return codes_by_scheme(initiative_ids, rows, lambda row: row.initiative_id)
