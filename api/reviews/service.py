"""Review before publication: the rules of every step a revision takes (docs/reviews.md,
docs/reviews-practices.md).

DRAFT → SUBMITTED → IN_REVIEW → RECONCILIATION → PUBLISHED, with CHANGES_REQUESTED back to the authors
and WITHDRAWN. One state machine for every reviewed kind of record: what differs between them is the
revision's kind (api/reviews/kinds.py). Services flush, never commit; each step records its activity in
the same transaction."""

from collections.abc import Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.activity import service as activity
from api.activity.models import ActivityKind
from api.auth.checks import require_role
from api.auth.principal import ROLE_SCOPES, Principal, PrincipalKind, Role
from api.core import validation
from api.core.db import utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.organisations.models import Organisation, OrganisationStatus
from api.reviews import comparison, kinds, reviewers
from api.reviews.kinds import RecordKind
from api.reviews.models import (
    CLOSED,
    EDITABLE,
    Disagreement,
    ReviewAssignment,
    Revision,
    RevisionState,
)
from api.reviews.readable import readable
from api.versions import service as versions
from api.versions.models import Publication

NOTE_LENGTH = 2000
REVISION = "Revision"


async def get(*, session: AsyncSession, principal: Principal, revision_id: int) -> Revision | None:
    return (await session.exec(readable(principal).where(Revision.id == revision_id))).first()


async def _readable(session: AsyncSession, principal: Principal, revision_id: int, field: str = "revision") -> Revision:
    revision = await get(session=session, principal=principal, revision_id=revision_id)
    if revision is None:
        raise not_found([field], "revision")
    return revision


def _in_state(revision: Revision, states: Sequence[RevisionState], field: str, doing: str) -> None:
    if revision.state not in states:
        code = ErrorCode.LOCKED if revision.state not in EDITABLE and RevisionState.DRAFT in states else ErrorCode.WRONG_STATUS
        raise DomainError.one([field], code, f"A revision that is {revision.state} cannot be {doing}.")


def _require_scope(principal: Principal, kind: RecordKind) -> None:
    """Drafting and reviewing a kind of record needs the scope that writes it (`assessments:write`,
    `practices:write`): the mutations are shared by every kind, so the service checks it."""
    if kind.write_scope not in principal.scopes:
        raise DomainError.one([], ErrorCode.FORBIDDEN, f"This needs the `{kind.write_scope.value}` scope.")


def _require_author(principal: Principal, revision: Revision, field: str) -> None:
    if revision.organisation_id != principal.organisation_id:
        raise DomainError.one([field], ErrorCode.FORBIDDEN, "Only the authoring organisation can do this.")
    _require_scope(principal, kinds.of(revision.record_type))
    require_role(principal, Role.CONTRIBUTOR, field)


def _parent(kind: RecordKind, revision: Revision) -> int | None:
    return revision.content.get(kind.parent_key) if kind.parent_key else None


def _data(kind: RecordKind, revision: Revision) -> Any:  # noqa: ANN401
    return kind.load(revision.content["data"])


async def _record(session: AsyncSession, principal: Principal, kind: ActivityKind, revision: Revision, **detail: object) -> None:
    await activity.record(
        session=session, principal=principal, kind=kind, subject_type=REVISION, subject_id=revision.id, detail=detail
    )


# --- authors ----------------------------------------------------------------------------------------


async def draft(
    *,
    session: AsyncSession,
    principal: Principal,
    record_type: str,
    revision_id: int | None,
    parent_id: int | None,
    record_id: int | None,
    data: Any,  # noqa: ANN401
    change_note: str | None,
) -> Revision:
    """Save a draft: a new record (of `parent_id` for an assessment's initiative), the next version of a
    published one (`record_id`, starting from what is published), or a change to the caller's open draft
    of that kind (`revision_id`). The content is checked as the record's service checks a write, and
    nothing is published."""
    kind = kinds.of(record_type)
    _require_scope(principal, kind)
    require_role(principal, Role.CONTRIBUTOR)
    problems = Problems()
    note = validation.text(problems, ["changeNote"], change_note, max_length=NOTE_LENGTH, multiline=True)
    problems.raise_if_any()
    if revision_id is not None:
        revision = await _readable(session, principal, revision_id)
        _require_author(principal, revision, "revision")
        _in_state(revision, list(EDITABLE), "revision", "changed")
        if revision.record_type != kind.record_type:
            raise DomainError.one(["revision"], ErrorCode.INVALID_VALUE, f"This revision proposes a {revision.record_type}, not a {kind.record_type}.")
        parent_id, record_id = _parent(kind, revision), revision.record_id
        if record_id is not None:
            data = kind.merged(_data(kind, revision), data)
    elif record_id is not None:
        data = kind.merged(await kind.start(session=session, principal=principal, record_id=record_id), data)
    await kind.write(session=session, principal=principal, parent_id=parent_id, record_id=record_id, data=data, dry_run=True)
    stored = {"data": kind.dump(data)}
    if kind.parent_key:
        stored[kind.parent_key] = parent_id
    if revision_id is None:
        base = await versions.latest_number(session=session, record_type=kind.record_type, record_id=record_id)
        revision = Revision(
            record_type=kind.record_type,
            record_id=record_id,
            base_version=base,
            organisation_id=principal.organisation_id,
            content=stored,
            change_note=note,
            created_by=principal.subject,
            updated_by=principal.subject,
        )
        session.add(revision)
        await session.flush()
        await _record(session, principal, ActivityKind.DRAFTED, revision)
    else:
        revision.content, revision.change_note = stored, note if note is not None else revision.change_note
        _stamp(revision, principal)
        await session.flush()
    return revision


def _stamp(revision: Revision, principal: Principal) -> None:
    revision.updated_at, revision.updated_by = utcnow(), principal.subject


async def submit(*, session: AsyncSession, principal: Principal, revision_id: int) -> Revision:
    """Send a draft for review: checked again, then locked for its authors."""
    revision = await _readable(session, principal, revision_id, "id")
    _require_author(principal, revision, "id")
    _in_state(revision, list(EDITABLE), "id", "submitted")
    kind = kinds.of(revision.record_type)
    await kind.write(
        session=session,
        principal=principal,
        parent_id=_parent(kind, revision),
        record_id=revision.record_id,
        data=_data(kind, revision),
        dry_run=True,
    )
    revision.state, revision.round, revision.submitted_at = RevisionState.SUBMITTED, revision.round + 1, utcnow()
    _stamp(revision, principal)
    await session.flush()
    await _record(session, principal, ActivityKind.SUBMITTED, revision, round=revision.round)
    return revision


async def withdraw(*, session: AsyncSession, principal: Principal, revision_id: int, reason: str) -> Revision:
    """Withdraw a revision before publication, with a reason: by its authors, or by the secretariat (a
    rejected record). It stays readable to those who could read it, as a tombstone."""
    revision = await _readable(session, principal, revision_id, "id")
    if not principal.is_lab_admin:
        _require_author(principal, revision, "id")
    if revision.state in CLOSED:
        raise DomainError.one(["id"], ErrorCode.WRONG_STATUS, f"A revision that is {revision.state} cannot be withdrawn.")
    problems = Problems()
    reason = validation.text(problems, ["reason"], reason, max_length=NOTE_LENGTH, multiline=True, required=True)
    problems.raise_if_any()
    revision.state, revision.withdrawn_reason = RevisionState.WITHDRAWN, reason
    _stamp(revision, principal)
    await session.flush()
    await _record(session, principal, ActivityKind.WITHDRAWN, revision, reason=reason)
    return revision


# --- the secretariat and the reviewers --------------------------------------------------------------


async def assign(
    *, session: AsyncSession, principal: Principal, revision_id: int, user_ids: Sequence[int] = ()
) -> list[ReviewAssignment]:
    """A submitted revision gets its two reviewers (named, or drawn); in reconciliation, a third who may
    resolve the disagreements. Anyone with a stake is refused."""
    reviewers.require_lab_admin(principal)
    revision = await _readable(session, principal, revision_id)
    _in_state(revision, [RevisionState.SUBMITTED, RevisionState.RECONCILIATION], "revision", "assigned reviewers")
    stakes = await kinds.of(revision.record_type).stakes(session, revision)
    current = await _assignments(session, revision)
    count = reviewers.CODERS if revision.state == RevisionState.SUBMITTED else 1
    if user_ids:
        if len(user_ids) != count:
            raise DomainError.one(["reviewers"], ErrorCode.INVALID_VALUE, f"Name {count} reviewer{'s' if count > 1 else ''}, or none to draw.")
        await reviewers.check_named(session, stakes, user_ids, "reviewers")
        chosen = list(user_ids)
    else:
        chosen = await reviewers.draw(session, stakes, count, exclude={a.user_id for a in current})
    if len(set(chosen) | {a.user_id for a in current}) != len(chosen) + len(current):
        raise DomainError.one(["reviewers"], ErrorCode.DUPLICATE, "A reviewer is named twice.")
    first = len(current) + 1
    assignments = [
        ReviewAssignment(
            revision_id=revision.id, round=revision.round, user_id=user_id, position=first + i, assigned_by=principal.subject
        )
        for i, user_id in enumerate(chosen)
    ]
    session.add_all(assignments)
    if revision.state == RevisionState.SUBMITTED:
        revision.state = RevisionState.IN_REVIEW
    _stamp(revision, principal)
    await session.flush()
    await _record(session, principal, ActivityKind.REVIEWERS_ASSIGNED, revision, reviewers=len(chosen))
    return assignments


async def _assignments(session: AsyncSession, revision: Revision) -> list[ReviewAssignment]:
    statement = select(ReviewAssignment).where(
        ReviewAssignment.revision_id == revision.id, ReviewAssignment.round == revision.round
    )
    return list((await session.exec(statement.order_by(ReviewAssignment.position))).all())


async def submit_review(
    *,
    session: AsyncSession,
    principal: Principal,
    revision_id: int,
    review: object,
    notes: str | None,
) -> ReviewAssignment:
    """A reviewer's coding (of the revision's kind), blind to the other's; the second one in opens
    reconciliation, listing every field the two codings disagree on."""
    revision = await _readable(session, principal, revision_id)
    kind = kinds.of(revision.record_type)
    mine = next((a for a in await _assignments(session, revision) if a.user_id == principal.user_id and a.position <= reviewers.CODERS), None)
    if mine is None:
        raise DomainError.one(["revision"], ErrorCode.FORBIDDEN, "You are not one of this revision's two reviewers.")
    _in_state(revision, [RevisionState.IN_REVIEW], "revision", "reviewed")
    if mine.submitted_at is not None:
        raise DomainError.one(["revision"], ErrorCode.WRONG_STATUS, "Your review of this round is already in.")
    _require_scope(principal, kind)
    if not isinstance(review, kind.coding):
        raise DomainError.one([kind.coding_field], ErrorCode.REQUIRED, f"Code this {kind.record_type} with `{kind.coding_field}`.")
    problems = Problems()
    await kind.check_coding(session=session, problems=problems, coding=review, data=_data(kind, revision))
    mine.notes = validation.text(problems, ["notes"], notes, max_length=4000, multiline=True)
    problems.raise_if_any()
    mine.coding, mine.decision, mine.submitted_at = kind.dump_coding(review), review.decision, utcnow()
    await session.flush()
    await _record(session, principal, ActivityKind.REVIEW_SUBMITTED, revision, position=mine.position)
    coders = [a for a in await _assignments(session, revision) if a.position <= reviewers.CODERS]
    if len(coders) == reviewers.CODERS and all(a.submitted_at is not None for a in coders):
        session.add_all(
            Disagreement(revision_id=revision.id, round=revision.round, field=path, first=a, second=b)
            for path, a, b in comparison.disagreements(kind.fields_of, coders[0].coding, coders[1].coding)
        )
        revision.state = RevisionState.RECONCILIATION
        await session.flush()
    return mine


async def disagreements_of(session: AsyncSession, revision: Revision) -> list[Disagreement]:
    statement = select(Disagreement).where(Disagreement.revision_id == revision.id, Disagreement.round == revision.round)
    return list((await session.exec(statement.order_by(Disagreement.id))).all())


async def resolve(
    *, session: AsyncSession, principal: Principal, revision_id: int, field: str, value: str | None
) -> Disagreement:
    """Settle one disagreement: the secretariat, or the third reviewer drawn for it."""
    revision = await _readable(session, principal, revision_id)
    third = any(a.user_id == principal.user_id and a.position > reviewers.CODERS for a in await _assignments(session, revision))
    if not (principal.is_lab_admin or third):
        raise DomainError.one(["revision"], ErrorCode.FORBIDDEN, "Only the secretariat or the third reviewer resolves disagreements.")
    if not principal.is_lab_admin:
        _require_scope(principal, kinds.of(revision.record_type))
    _in_state(revision, [RevisionState.RECONCILIATION], "revision", "reconciled")
    disagreement = next((d for d in await disagreements_of(session, revision) if d.field == field), None)
    if disagreement is None:
        raise DomainError.one(["field"], ErrorCode.NOT_FOUND, "The two reviews do not disagree on this field.")
    if value not in (disagreement.first, disagreement.second):
        raise DomainError.one(["value"], ErrorCode.INVALID_VALUE, "Choose one of the two reviewers' values.")
    disagreement.resolution, disagreement.resolved_by, disagreement.resolved_at = value, principal.subject, utcnow()
    await session.flush()
    await _record(session, principal, ActivityKind.DISAGREEMENT_RESOLVED, revision, field=field)
    return disagreement


async def _agreed(session: AsyncSession, revision: Revision) -> dict[str, str | None]:
    """The reconciled coding; DomainError unless two reviews are in and no disagreement is open."""
    coders = [a for a in await _assignments(session, revision) if a.position <= reviewers.CODERS and a.submitted_at]
    if len(coders) < reviewers.CODERS:
        raise DomainError.one(["revision"], ErrorCode.NEEDS_TWO_REVIEWS, "Two submitted reviews are needed first.")
    found = await disagreements_of(session, revision)
    open_fields = [d.field for d in found if d.resolved_at is None]
    if open_fields:
        raise DomainError.one(
            ["revision"], ErrorCode.OPEN_DISAGREEMENTS, f"Resolve the reviewers' disagreements first: {', '.join(open_fields)}."
        )
    fields_of = kinds.of(revision.record_type).fields_of
    return comparison.reconciled(fields_of, coders[0].coding, {d.field: d.resolution for d in found})


async def request_changes(*, session: AsyncSession, principal: Principal, revision_id: int, message: str) -> Revision:
    """Send a reconciled revision back to its authors, with what to change."""
    reviewers.require_lab_admin(principal)
    revision = await _readable(session, principal, revision_id)
    _in_state(revision, [RevisionState.RECONCILIATION], "revision", "sent back")
    await _agreed(session, revision)
    problems = Problems()
    message = validation.text(problems, ["message"], message, max_length=4000, multiline=True, required=True)
    problems.raise_if_any()
    revision.state, revision.changes_requested = RevisionState.CHANGES_REQUESTED, message
    _stamp(revision, principal)
    await session.flush()
    await _record(session, principal, ActivityKind.CHANGES_REQUESTED, revision)
    return revision


async def _authors(session: AsyncSession, revision: Revision) -> Principal:
    """The authoring organisation, as the principal the evidence service writes the record for."""
    organisation = await session.get(Organisation, revision.organisation_id)
    return Principal(
        kind=PrincipalKind.USER,
        subject=revision.created_by,
        organisation_id=organisation.id,
        organisation_is_member=organisation.status == OrganisationStatus.MEMBER,
        role=Role.EDITOR,
        scopes=ROLE_SCOPES[Role.EDITOR],
    )


async def publish(
    *, session: AsyncSession, principal: Principal, revision_id: int, change_note: str | None
) -> tuple[Revision, Any]:
    """Publish a reconciled revision both reviewers' agreed decision accepts: the record is written (its
    ratings recomputed) with the agreed coding, and kept as its next numbered version."""
    reviewers.require_lab_admin(principal)
    revision = await _readable(session, principal, revision_id)
    if revision.state in (RevisionState.SUBMITTED, RevisionState.IN_REVIEW):
        raise DomainError.one(["revision"], ErrorCode.NEEDS_TWO_REVIEWS, "Two submitted reviews are needed first.")
    _in_state(revision, [RevisionState.RECONCILIATION], "revision", "published")
    agreed = await _agreed(session, revision)
    if agreed["/decision"] != "ACCEPT":
        raise DomainError.one(["revision"], ErrorCode.NOT_ACCEPTED, f"The reviewers' agreed decision is {agreed['/decision']}, not ACCEPT.")
    kind = kinds.of(revision.record_type)
    data = await kind.applied(
        session=session, revision=revision, data=_data(kind, revision), agreed=agreed, publisher=principal
    )
    problems = Problems()
    note = validation.text(problems, ["changeNote"], change_note, max_length=NOTE_LENGTH, multiline=True)
    problems.raise_if_any()
    record = await kind.write(
        session=session,
        principal=await _authors(session, revision),
        parent_id=_parent(kind, revision),
        record_id=revision.record_id,
        data=data,
        dry_run=False,
    )
    version = await versions.publish(
        session=session,
        principal=principal,
        record_type=kind.record_type,
        record_id=record.id,
        publication=Publication.REVIEWED,
        change_note=note or revision.change_note,
        revision_id=revision.id,
        force=True,
    )
    revision.state, revision.record_id, revision.published_version = RevisionState.PUBLISHED, record.id, version.number
    _stamp(revision, principal)
    await session.flush()
    await activity.record(
        session=session,
        principal=principal,
        kind=ActivityKind.PUBLISHED,
        subject_type=kind.record_type,
        subject_id=record.id,
        version=version.number,
        detail={"changeNote": version.change_note} if version.change_note else {},
    )
    return revision, record
