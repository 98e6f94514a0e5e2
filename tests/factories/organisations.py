"""Organisations, the people who are their members, and their memberships in networks."""

from sqlmodel import Session, select

from api.auth.passwords import hash_password
from api.auth.principal import Role
from api.core.db import utcnow
from api.organisations.models import Membership, NetworkMembership, Organisation, OrganisationStatus, User
from tests.factories.rows import ACTOR


class Organisations:
    """`make.organisation(…)`, `make.member(…)`, `make.network_member(…)`."""

    db: Session

    def organisation(
        self,
        slug: str,
        *,
        status: OrganisationStatus = OrganisationStatus.MEMBER,
        stakeholder_type: str = "NGO",
        country: str | None = "FR",
        secretariat: bool = False,
    ) -> Organisation:
        organisation = Organisation(
            slug=slug,
            name=slug.replace("-", " ").title(),
            stakeholder_type=stakeholder_type,
            country=country,
            status=status,
            is_secretariat=secretariat,
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(organisation)
        self.db.commit()
        return organisation

    def member(
        self, organisation: Organisation, email: str, role: Role = Role.ADMIN, *, password: str | None = None
    ) -> User:
        user = self.db.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(email=email, name=email.split("@")[0], created_by=ACTOR, updated_by=ACTOR)
        if password is not None:
            user.password_hash = hash_password(password)
        if user.id is None or password is not None:
            self.db.add(user)
            self.db.commit()
        self.db.add(
            Membership(
                user_id=user.id,
                organisation_id=organisation.id,
                role=role,
                accepted_at=utcnow(),
                created_by=ACTOR,
                updated_by=ACTOR,
            )
        )
        self.db.commit()
        return user


    def network_member(
        self,
        member: Organisation,
        network: Organisation,
        role: str = "MEMBER",
        provenance: list[dict[str, str]] | None = None,
    ) -> NetworkMembership:
        """`member` belongs to the network or alliance `network` in `role` (vocabulary `network-role`)."""
        row = NetworkMembership(
            member_organisation_id=member.id,
            network_organisation_id=network.id,
            role=role,
            provenance=provenance or [],
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        self.db.add(row)
        self.db.commit()
        return row


def membership_of(db: Session, organisation: Organisation, user: User) -> Membership:
    """The membership of `user` in `organisation`."""
    return db.exec(
        select(Membership).where(Membership.organisation_id == organisation.id, Membership.user_id == user.id)
    ).one()
