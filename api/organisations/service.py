"""Organisations, the memberships of people in them and their own memberships in networks: who may see
them, and who may change them."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry import UNSET

from api.activity import service as activity
from api.activity.models import RELATED_ORGANISATION, ActivityKind
from api.core import validation
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core.batches import grouped
from api.core.db import contains_pattern, rows_in_order, utcnow
from api.core.errors import DomainError, ErrorCode, Problems, not_found
from api.oauth import service as oauth
from api.organisations import password_setup
from api.organisations.models import (
    Membership,
    NetworkMembership,
    Organisation,
    OrganisationStatus,
    User,
    accepted,
)
from api.core.validation import Patch
from api.vocabularies import service as vocabularies

# Listed publicly: members, observers, and organisations the sources name without an affiliation with the Lab.
VISIBLE_STATUSES = (OrganisationStatus.MEMBER, OrganisationStatus.OBSERVER, OrganisationStatus.NAMED)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def readable(principal: Principal) -> sa.Select:
    """Organisations the principal may see: admitted ones, its own, and all for the secretariat."""
    statement = select(Organisation)
    if principal.is_lab_admin:
        return statement
    condition = col(Organisation.status).in_(VISIBLE_STATUSES)
    if principal.organisation_id is not None:
        condition = sa.or_(condition, Organisation.id == principal.organisation_id)
    return statement.where(condition)


def readable_ids(principal: Principal) -> sa.Select:
    """Ids of readable organisations, for use inside other domains' statements."""
    return readable(principal).with_only_columns(Organisation.id)


async def get(*, session: AsyncSession, principal: Principal, organisation_id: int) -> Organisation | None:
    statement = readable(principal).where(Organisation.id == organisation_id)
    return (await session.exec(statement)).first()


async def get_by_slug(*, session: AsyncSession, principal: Principal, slug: str) -> Organisation | None:
    statement = readable(principal).where(Organisation.slug == validation.comparable(slug))
    return (await session.exec(statement)).first()


async def by_ids(*, session: AsyncSession, principal: Principal, ids: Sequence[int]) -> list[Organisation | None]:
    """Readable organisations for `ids`, in order; None where missing or hidden."""
    return await rows_in_order(session, readable(principal), col(Organisation.id), ids)


def filtered(
    principal: Principal,
    *,
    stakeholder_types: Sequence[str] = (),
    countries: Sequence[str] = (),
    statuses: Sequence[OrganisationStatus] = (),
    query: str | None = None,
    member_of: int | None = None,
) -> sa.Select:
    """Readable organisations matching every given filter (values within one filter are OR-ed);
    `member_of`: the readable members of that network, in any role (none when it is hidden)."""
    statement = readable(principal)
    if member_of is not None:
        members = (
            readable_network_memberships(principal)
            .where(NetworkMembership.network_organisation_id == member_of)
            .with_only_columns(NetworkMembership.member_organisation_id)
        )
        statement = statement.where(col(Organisation.id).in_(members))
    if stakeholder_types:
        types = validation.comparable_all(stakeholder_types)
        statement = statement.where(col(Organisation.stakeholder_type).in_(types))
    if countries:
        codes = validation.comparable_all([c.upper() for c in countries])
        statement = statement.where(col(Organisation.country).in_(codes))
    if statuses:
        statement = statement.where(col(Organisation.status).in_(statuses))
    if query:
        pattern = contains_pattern(validation.comparable(query))
        statement = statement.where(
            sa.or_(
                sa.func.lower(Organisation.name).like(pattern, escape="\\"),
                sa.func.lower(Organisation.acronym).like(pattern, escape="\\"),
            )
        )
    return statement


@dataclass
class OrganisationData:
    """Profile fields; on update UNSET leaves a field unchanged and None clears it."""

    name: Patch[str] = UNSET
    slug: Patch[str] = UNSET
    acronym: Patch[str] = UNSET
    aliases: Patch[list[str]] = UNSET
    stakeholder_type: Patch[str] = UNSET
    country: Patch[str] = UNSET
    website: Patch[str] = UNSET
    description: Patch[str] = UNSET


SLUG_LENGTH = 80
ACRONYM_LENGTH = 40
MAX_ALIASES = 50


def _slug(problems: Problems, value: str | None) -> str | None:
    slug = validation.text(problems, ["slug"], value, max_length=SLUG_LENGTH, required=True)
    if slug is not None and not SLUG.match(slug):
        problems.add(["slug"], ErrorCode.INVALID_VALUE, "Lower-case letters, digits and single hyphens only.")
        return None
    return slug


async def _clean(
    *, session: AsyncSession, data: OrganisationData, creating: bool
) -> tuple[dict[str, object], Problems]:
    """Validated column values, and the problems found (the caller adds its own, then raises)."""
    problems = Problems()
    named = validation.named_fields(data, creating=creating)
    values: dict[str, object] = {}
    if "name" in named:
        name = validation.text(problems, ["name"], named["name"], required=True)
        # Runs of spaces inside a name are never meant, and would let two names look alike.
        values["name"] = name and " ".join(name.split())
    if "slug" in named:
        values["slug"] = _slug(problems, named["slug"])
    if "acronym" in named:
        values["acronym"] = validation.text(problems, ["acronym"], named["acronym"], max_length=ACRONYM_LENGTH)
    if "aliases" in named:
        values["aliases"] = validation.texts_list(problems, ["aliases"], named["aliases"] or [], limit=MAX_ALIASES)
    if "stakeholder_type" in named:
        if named["stakeholder_type"] is None:
            problems.add(["stakeholderType"], ErrorCode.REQUIRED, "This field is required.")
        values["stakeholder_type"] = await vocabularies.check_code(
            session=session,
            problems=problems,
            field=["stakeholderType"],
            vocabulary="stakeholder-type",
            code=named["stakeholder_type"] and validation.comparable(named["stakeholder_type"]),
        )
    if "country" in named:
        values["country"] = validation.country(problems, ["country"], named["country"])
    if "website" in named:
        values["website"] = validation.url(problems, ["website"], named["website"])
    if "description" in named:
        values["description"] = validation.text(
            problems, ["description"], named["description"], max_length=validation.LONG_TEXT, multiline=True
        )
    return values, problems


def name_key(name: str) -> str:
    """What two organisation names must not share: the name with case and spacing ignored."""
    return " ".join(name.split()).casefold()


async def _name_taken(session: AsyncSession, name: str, except_id: int | None = None) -> bool:
    """True if another organisation, whatever its status, has the same name up to case and spacing."""
    # Compared in Python: SQLite's lower() folds ASCII only, and the registry holds hundreds of
    # organisations, not millions. The caller's transaction holds the row it writes.
    statement = select(Organisation.id, Organisation.name)
    if except_id is not None:
        statement = statement.where(Organisation.id != except_id)
    key = name_key(name)
    return any(name_key(other) == key for _, other in (await session.exec(statement)).all())


async def _check_unique(
    session: AsyncSession, problems: Problems, values: dict[str, object], except_id: int | None = None
) -> None:
    """A DUPLICATE problem for a slug or a name another organisation already uses."""
    if values.get("slug") and await _slug_taken(session, str(values["slug"]), except_id):
        problems.add(["slug"], ErrorCode.DUPLICATE, "An organisation already uses this slug.")
    if values.get("name") and await _name_taken(session, str(values["name"]), except_id):
        problems.add(
            ["name"], ErrorCode.DUPLICATE, f"An organisation already uses the name {validation.repeated(str(values['name']))}."
        )


async def _slug_taken(session: AsyncSession, slug: str, except_id: int | None = None) -> bool:
    statement = select(Organisation.id).where(Organisation.slug == slug)
    if except_id is not None:
        statement = statement.where(Organisation.id != except_id)
    return (await session.exec(statement)).first() is not None


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    data: OrganisationData,
    status: OrganisationStatus = OrganisationStatus.PENDING,
    is_secretariat: bool = False,
) -> Organisation:
    """A new organisation: the secretariat's act, or the operator's (who alone sets `status` and
    `is_secretariat`; the API registers organisations PENDING)."""
    if not (principal.is_lab_admin or principal.is_operator):
        raise DomainError.one(["slug"], ErrorCode.FORBIDDEN, "Only the Lab's secretariat registers organisations.")
    values, problems = await _clean(session=session, data=data, creating=True)
    await _check_unique(session, problems, values)
    problems.raise_if_any()
    organisation = Organisation(
        **values,
        status=status,
        is_secretariat=is_secretariat,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(organisation)
    await session.flush()
    return organisation


def can_administer(principal: Principal, organisation_id: int) -> bool:
    """Own-organisation admins with `org:admin`, or the secretariat with `lab:admin`."""
    if principal.is_lab_admin:
        return True
    return (
        principal.organisation_id == organisation_id
        and principal.has_scope(Scope.ORG_ADMIN)
        and principal.has_role(Role.ADMIN)
    )


async def _administered(
    session: AsyncSession, principal: Principal, organisation_id: int, field: str = "organisation"
) -> Organisation:
    """The organisation, if the principal may administer it; otherwise NOT_FOUND or FORBIDDEN at `field`."""
    organisation = await get(session=session, principal=principal, organisation_id=organisation_id)
    if organisation is None:
        raise not_found([field], "organisation")
    if not can_administer(principal, organisation_id):
        raise DomainError.one([field], ErrorCode.FORBIDDEN, _why_not_administrator(principal, organisation_id))
    return organisation


def _why_not_administrator(principal: Principal, organisation_id: int) -> str:
    """What the principal lacks to administer a readable organisation: ownership, scope or role."""
    if principal.organisation_id != organisation_id:
        return "Only the organisation's own administrators and the Lab's secretariat can change this organisation."
    if not principal.has_scope(Scope.ORG_ADMIN):
        return f"The access token lacks the scope {Scope.ORG_ADMIN}."
    return "This needs the admin role in your organisation."


async def update(
    *, session: AsyncSession, principal: Principal, organisation_id: int, data: OrganisationData
) -> Organisation:
    """Change an organisation's profile."""
    organisation = await _administered(session, principal, organisation_id, "id")
    values, problems = await _clean(session=session, data=data, creating=False)
    await _check_unique(session, problems, values, organisation.id)
    problems.raise_if_any()
    for key, value in values.items():
        setattr(organisation, key, value)
    organisation.updated_at = utcnow()
    organisation.updated_by = principal.subject
    await session.flush()
    return organisation


async def set_status(
    *, session: AsyncSession, principal: Principal, organisation_id: int, status: OrganisationStatus
) -> Organisation:
    """Admit, suspend or reinstate an organisation: the secretariat's act alone."""
    if not principal.is_lab_admin:
        raise DomainError.one(["status"], ErrorCode.FORBIDDEN, "Only the Lab's secretariat sets membership status.")
    organisation = await get(session=session, principal=principal, organisation_id=organisation_id)
    if organisation is None:
        raise not_found(["id"], "organisation")
    if organisation.is_secretariat and status is OrganisationStatus.SUSPENDED:
        raise DomainError.one(["status"], ErrorCode.INVALID_VALUE, "The secretariat cannot suspend itself.")
    previous = organisation.status
    organisation.status = status
    organisation.updated_at = utcnow()
    organisation.updated_by = principal.subject
    if status is OrganisationStatus.SUSPENDED:
        # Access tokens stop through the standing check on every request; refresh tokens stop here.
        await oauth.revoke_grants(session=session, organisation_id=organisation.id)
    await session.flush()
    await membership_changed(
        session, principal, organisation.id, {"change": "STATUS", "status": str(status), "previous": str(previous)}
    )
    return organisation


async def membership_changed(session: AsyncSession, principal: Principal, organisation_id: int, detail: dict) -> None:
    """An entry on the organisation's trail: its status, its networks, the people joining or leaving it.
    The detail never names a person; another organisation only under RELATED_ORGANISATION (its row id),
    which the API shows through the organisations' loader, so one the reader may not see stays hidden."""
    await activity.record(
        session=session,
        principal=principal,
        kind=ActivityKind.MEMBERSHIP_CHANGED,
        subject_type="Organisation",
        subject_id=organisation_id,
        detail=detail,
    )


# --- memberships -------------------------------------------------------------------------------


def readable_memberships(principal: Principal) -> sa.Select:
    """Members are personal data: visible to the organisation's own principals holding `org:read`
    or `org:admin`, and to the secretariat."""
    statement = select(Membership)
    if principal.is_lab_admin:
        return statement
    if principal.organisation_id is None or not (
        principal.has_scope(Scope.ORG_READ) or principal.has_scope(Scope.ORG_ADMIN)
    ):
        return statement.where(sa.false())
    return statement.where(Membership.organisation_id == principal.organisation_id)


async def users_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[User | None]:
    return await rows_in_order(session, select(User), col(User.id), ids)


async def get_or_create_user(*, session: AsyncSession, principal: Principal, email: str, name: str | None) -> User:
    """The user with this e-mail address, created if new."""
    user = (await session.exec(select(User).where(User.email == email))).first()
    if user is None:
        user = User(
            email=email, name=name or email.split("@")[0], created_by=principal.subject, updated_by=principal.subject
        )
        session.add(user)
        await session.flush()
    return user


def _check_role_ceiling(principal: Principal, role: Role) -> None:
    """Nobody grants a role above their own (the secretariat excepted)."""
    if not principal.is_lab_admin and (principal.role is None or role > principal.role):
        raise DomainError.one(["role"], ErrorCode.ROLE_TOO_HIGH, "You cannot grant a role above your own.")


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class MemberLink:
    """A membership, and the one-time code of its invitation link (None when no link was issued).
    The code is shown once and never stored."""

    membership: Membership
    password_setup_code: str | None


async def _invitation_code(session: AsyncSession, membership: Membership) -> str | None:
    user = await session.get(User, membership.user_id)
    if user is None or not await password_setup.may_issue(session=session, user=user, membership=membership):
        return None
    return await password_setup.issue(session=session, membership=membership)


async def add_member(
    *,
    session: AsyncSession,
    principal: Principal,
    organisation_id: int,
    email: str,
    name: str | None,
    role: Role,
) -> MemberLink:
    """Invite a person to a role in an organisation. The membership grants nothing until the person
    accepts it with the invitation link, which comes back whatever the address: the answer is the
    same for a new address and for one that has an account (here or in another organisation), and
    the name is this organisation's own for the person."""
    await _administered(session, principal, organisation_id)
    problems = Problems()
    clean_email = validation.text(problems, ["email"], email, max_length=320, required=True)
    if clean_email is not None and not EMAIL.match(clean_email):
        problems.add(["email"], ErrorCode.INVALID_VALUE, "Not an e-mail address.")
    clean_name = validation.text(problems, ["name"], name, max_length=200)
    problems.raise_if_any()
    _check_role_ceiling(principal, role)
    email_address = clean_email.lower()
    user = await get_or_create_user(session=session, principal=principal, email=email_address, name=clean_name)
    existing = (
        await session.exec(
            select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation_id)
        )
    ).first()
    if existing is not None:
        raise DomainError.one(["email"], ErrorCode.DUPLICATE, "This person is already a member.")
    membership = Membership(
        user_id=user.id,
        organisation_id=organisation_id,
        role=role,
        name=clean_name or email_address.split("@")[0],
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(membership)
    await session.flush()
    return MemberLink(membership, await _invitation_code(session, membership))


async def _administered_membership(session: AsyncSession, principal: Principal, membership_id: int) -> Membership:
    membership = (
        await session.exec(readable_memberships(principal).where(Membership.id == membership_id))
    ).first()
    if membership is None:
        raise not_found(["membership"], "membership")
    await _administered(session, principal, membership.organisation_id)
    return membership


async def _remaining_admins(session: AsyncSession, organisation_id: int, excluding: int) -> int:
    """Admins other than `excluding` who can act: an invited admin who has not accepted does not count."""
    statement = select(sa.func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation_id,
        Membership.role == Role.ADMIN,
        Membership.id != excluding,
        accepted(),
    )
    return (await session.execute(statement)).scalar_one()


async def change_role(*, session: AsyncSession, principal: Principal, membership_id: int, role: Role) -> Membership:
    """Change a member's role, never above the caller's own, never leaving no admin."""
    membership = await _administered_membership(session, principal, membership_id)
    _check_role_ceiling(principal, role)
    if not principal.is_lab_admin and principal.role is not None and membership.role > principal.role:
        raise DomainError.one(["membership"], ErrorCode.ROLE_TOO_HIGH, "This member's role is above your own.")
    if membership.role is Role.ADMIN and role is not Role.ADMIN and membership.accepted_at is not None:
        if await _remaining_admins(session, membership.organisation_id, membership.id) == 0:
            raise DomainError.one(["role"], ErrorCode.LAST_ADMIN, "An organisation keeps at least one admin.")
    membership.role = role
    membership.updated_at = utcnow()
    membership.updated_by = principal.subject
    await session.flush()
    return membership


async def remove_member(*, session: AsyncSession, principal: Principal, membership_id: int) -> Membership:
    """End a membership (or withdraw an invitation, whose links stop working); the person's tokens
    for this organisation stop working at once."""
    membership = await _administered_membership(session, principal, membership_id)
    if not principal.is_lab_admin and principal.role is not None and membership.role > principal.role:
        raise DomainError.one(["membership"], ErrorCode.ROLE_TOO_HIGH, "This member's role is above your own.")
    if (
        membership.role is Role.ADMIN
        and membership.accepted_at is not None
        and await _remaining_admins(session, membership.organisation_id, membership.id) == 0
    ):
        raise DomainError.one(["membership"], ErrorCode.LAST_ADMIN, "An organisation keeps at least one admin.")
    await oauth.revoke_grants(
        session=session, organisation_id=membership.organisation_id, user_id=membership.user_id
    )
    await password_setup.forget(session=session, membership_id=membership.id)
    await session.delete(membership)
    await session.flush()
    if membership.accepted_at is not None:  # a withdrawn invitation: nobody had joined
        await membership_changed(
            session, principal, membership.organisation_id, {"change": "PERSON_LEFT", "role": membership.role.name}
        )
    return membership


async def issue_password_setup(*, session: AsyncSession, principal: Principal, membership_id: int) -> MemberLink:
    """A fresh invitation link for a membership not yet accepted, or a password-setup link for a
    member who has no password and acts for no other organisation; earlier links of the membership
    stop working."""
    membership = await _administered_membership(session, principal, membership_id)
    if not principal.is_lab_admin and principal.role is not None and membership.role > principal.role:
        raise DomainError.one(["membership"], ErrorCode.ROLE_TOO_HIGH, "This member's role is above your own.")
    code = await _invitation_code(session, membership)
    if code is None:
        raise DomainError.one(
            ["membership"],
            ErrorCode.FORBIDDEN,
            "No link for this member: they have accepted, and they have set a password or also act for another "
            "organisation (the Lab's operators can set one with `coplab user set-password`).",
        )
    return MemberLink(membership, code)


# --- network memberships: organisations in networks and alliances --------------------------------


def readable_network_memberships(principal: Principal) -> sa.Select:
    """Memberships the principal may see: those whose member and network it may both read. One
    naming an organisation hidden from the caller does not exist for it, in lists and in counts."""
    return select(NetworkMembership).where(
        col(NetworkMembership.member_organisation_id).in_(readable_ids(principal)),
        col(NetworkMembership.network_organisation_id).in_(readable_ids(principal)),
    )


async def network_memberships_by_ids(
    *, session: AsyncSession, principal: Principal, ids: Sequence[int]
) -> list[NetworkMembership | None]:
    """Readable network memberships for `ids`, in order; None where missing or hidden."""
    return await rows_in_order(session, readable_network_memberships(principal), col(NetworkMembership.id), ids)


async def network_memberships_of(
    *, session: AsyncSession, principal: Principal, organisation_ids: Sequence[int], side: Literal["member", "network"]
) -> list[list[NetworkMembership]]:
    """For each organisation, its readable memberships: as the member (`side` "member": the networks it
    belongs to) or as the network (`side` "network": its members), by the other organisation's name."""
    own, other_column = (
        (NetworkMembership.member_organisation_id, NetworkMembership.network_organisation_id)
        if side == "member"
        else (NetworkMembership.network_organisation_id, NetworkMembership.member_organisation_id)
    )
    # Aliased, so that the readable-organisation subqueries are not correlated with the join.
    other = aliased(Organisation)
    statement = (
        readable_network_memberships(principal)
        .join(other, other.id == other_column)
        .where(col(own).in_(organisation_ids))
        .order_by(other.name, other.id, NetworkMembership.role, NetworkMembership.id)
    )
    rows = (await session.exec(statement)).all()
    return grouped(organisation_ids, rows, lambda row: getattr(row, own.key))


async def add_network_member(
    *,
    session: AsyncSession,
    principal: Principal,
    network_id: int,
    member_id: int,
    role: str,
    provenance: Sequence[validation.Source] = (),
) -> NetworkMembership:
    """Record that an organisation belongs to a network or alliance in a role: the network's own
    administrators (`org:admin`) or the secretariat (`lab:admin`) do. Flushes, never commits."""
    network = await _administered(session, principal, network_id, "network")
    problems = Problems()
    member = await get(session=session, principal=principal, organisation_id=member_id)
    if member is None:
        problems.add(["member"], ErrorCode.NOT_FOUND, "No organisation with this id.")
    elif member.id == network.id:
        problems.add(["member"], ErrorCode.SAME_ORGANISATION, "An organisation cannot be a member of itself.")
    checked_role = await vocabularies.check_code(
        session=session,
        problems=problems,
        field=["role"],
        vocabulary="network-role",
        code=validation.comparable(role),
    )
    sources = validation.provenance(problems, ["provenance"], provenance)
    problems.raise_if_any()
    duplicate = (
        await session.exec(
            select(NetworkMembership.id).where(
                NetworkMembership.member_organisation_id == member_id,
                NetworkMembership.network_organisation_id == network.id,
                NetworkMembership.role == checked_role,
            )
        )
    ).first()
    if duplicate is not None:
        raise DomainError.one(["role"], ErrorCode.DUPLICATE, "This organisation already belongs to the network in this role.")
    membership = NetworkMembership(
        member_organisation_id=member_id,
        network_organisation_id=network.id,
        role=checked_role,
        provenance=sources,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(membership)
    await session.flush()
    await _network_changed(session, principal, membership, joined=True)
    return membership


async def _network_changed(session: AsyncSession, principal: Principal, membership: NetworkMembership, *, joined: bool) -> None:
    """One entry on each side: the member joined (left) the network, the network gained (lost) the member."""
    member, network = membership.member_organisation_id, membership.network_organisation_id
    for subject, change, other in (
        (member, "JOINED_NETWORK" if joined else "LEFT_NETWORK", network),
        (network, "MEMBER_ADDED" if joined else "MEMBER_REMOVED", member),
    ):
        await membership_changed(session, principal, subject, {"change": change, "role": membership.role, RELATED_ORGANISATION: other})


async def remove_network_member(
    *, session: AsyncSession, principal: Principal, network_membership_id: int
) -> NetworkMembership:
    """End an organisation's membership in a network (the network's administrators or the secretariat).
    One the caller may not see is NOT_FOUND, exactly like a missing one."""
    membership = (
        await session.exec(readable_network_memberships(principal).where(NetworkMembership.id == network_membership_id))
    ).first()
    if membership is None:
        raise not_found(["id"], "network membership")
    await _administered(session, principal, membership.network_organisation_id, "id")
    await session.delete(membership)
    await session.flush()
    await _network_changed(session, principal, membership, joined=False)
    return membership
