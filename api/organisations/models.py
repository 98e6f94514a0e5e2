"""Organisations, people and their memberships, and organisations' memberships in networks."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import strawberry
from sqlmodel import Field

from api.auth.principal import Role
from api.core.db import AuditColumns, UTCDateTime


@strawberry.enum(
    description="An organisation's standing in the Lab: PENDING (registered, not yet admitted), MEMBER (a member "
    "of the Lab), OBSERVER (follows the Lab's work without member rights, by its agreement with the Lab), NAMED "
    "(named in the registry's sources, not affiliated with the Lab), SUSPENDED. MEMBER, OBSERVER and NAMED "
    "organisations are listed publicly; PENDING and SUSPENDED ones only to themselves and the secretariat."
)
class OrganisationStatus(StrEnum):
    PENDING = "PENDING"
    MEMBER = "MEMBER"
    OBSERVER = "OBSERVER"
    NAMED = "NAMED"
    SUSPENDED = "SUSPENDED"


class Organisation(AuditColumns, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=300)
    acronym: str | None = Field(default=None, max_length=40)
    aliases: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Spellings found in sources that are damaged (text extraction, typos): search matches them so a
    # reader who copies one finds the organisation, but they are never shown as its names.
    misspellings: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    stakeholder_type: str = Field(max_length=40, index=True)
    country: str | None = Field(default=None, max_length=2, index=True)
    website: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, sa_type=sa.Text)
    status: OrganisationStatus = Field(
        default=OrganisationStatus.PENDING, sa_type=sa.Enum(OrganisationStatus, native_enum=False, length=20)
    )
    is_secretariat: bool = Field(default=False)
    # Where the record's facts came from: [{"source": document, "passage": text, "note": text}, ...].
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)


class User(AuditColumns, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(max_length=200)
    # argon2id; None until the person sets a password (an invited member, a person known only by e-mail).
    password_hash: str | None = Field(default=None, max_length=200)


class Membership(AuditColumns, table=True):
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_organisation"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: Role = Field(sa_type=sa.Enum(Role, native_enum=False, length=20))
    # The name this organisation gave the person. An account's name is not shared between
    # organisations: each one sees only what it typed itself.
    name: str | None = Field(default=None, max_length=200)
    # None while the membership is an invitation the person has not accepted: it grants nothing
    # (no sign-in for the organisation, no token, no role). `addMember` creates invitations; an
    # operator's `coplab user create` sets it at once.
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def accepted() -> sa.ColumnElement[bool]:
    """The condition every path that grants access puts on a membership."""
    return Membership.accepted_at.is_not(None)  # type: ignore[union-attr]


class NetworkMembership(AuditColumns, table=True):
    """One organisation's membership in another, a network or alliance (a hotline in INHOPE, INHOPE on
    the WeProtect Global Alliance's board), in a role of the vocabulary `network-role`."""

    __tablename__ = "network_membership"
    __table_args__ = (
        sa.UniqueConstraint(
            "member_organisation_id", "network_organisation_id", "role", name="uq_network_membership_member_network_role"
        ),
        sa.CheckConstraint("member_organisation_id <> network_organisation_id", name="not_itself"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    network_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=40)
    # Where the membership is stated: [{"source": document, "passage": text, "note": text}, ...].
    provenance: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
