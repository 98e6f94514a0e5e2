"""`coplab org` and `coplab user` (registered in api/cli.py): organisations, people and their memberships."""

from typing import Annotated

import typer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.commands import new_password
from api.auth.principal import OPERATOR, Role
from api.core.console import console, in_transaction
from api.core.db import utcnow
from api.organisations import password_setup
from api.organisations import service as organisations
from api.organisations.models import Membership, Organisation, OrganisationStatus, User

org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="People and their memberships.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    slug: str,
    name: Annotated[str, typer.Option(help="The organisation's own name.")],
    stakeholder_type: Annotated[str, typer.Option("--type", help="stakeholder-type code, e.g. NGO.")],
    country: Annotated[str | None, typer.Option(help="ISO 3166-1 alpha-2 code.")] = None,
    website: str | None = None,
    status: OrganisationStatus = OrganisationStatus.MEMBER,
    secretariat: Annotated[bool, typer.Option(help="The Lab's secretariat (may hold lab:admin).")] = False,
) -> None:
    """Register an organisation."""

    async def work(session: AsyncSession) -> Organisation:
        return await organisations.create(
            session=session,
            principal=OPERATOR,
            data=organisations.OrganisationData(
                slug=slug, name=name, stakeholder_type=stakeholder_type, country=country, website=website
            ),
            status=status,
            is_secretariat=secretariat,
        )

    organisation = in_transaction(work)
    console.print(f"organisation {organisation.slug} (id {organisation.id}) created")


async def organisation_by_slug(session: AsyncSession, slug: str) -> Organisation:
    """The organisation a command names; exits 1 when there is none."""
    organisation = (await session.exec(select(Organisation).where(Organisation.slug == slug))).first()
    if organisation is None:
        console.print(f"[red]no organisation {slug}")
        raise typer.Exit(1)
    return organisation


async def _store_password(session: AsyncSession, user: User, password_hash: str) -> None:
    await password_setup.set_password(
        session=session, principal=OPERATOR, user=user, password_hash=password_hash, remote_address=None
    )


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Organisation slug.")],
    role: Annotated[str, typer.Option(help="viewer, contributor, editor or admin.")] = "admin",
    name: str | None = None,
    password: Annotated[
        bool, typer.Option("--password", help="Set the person's password (prompted for; read from stdin when piped).")
    ] = False,
) -> None:
    """Register a person (if new) as a member of an organisation, accepted at once (an operator's act;
    a pending invitation of theirs to it is accepted with this role)."""
    if role.upper() not in Role.__members__:
        console.print(f"[red]role: not one of {', '.join(r.name.lower() for r in Role)}")
        raise typer.Exit(1)
    password_hash = new_password() if password else None

    async def work(session: AsyncSession) -> Membership:
        organisation = await organisation_by_slug(session, org)
        user = await organisations.get_or_create_user(session=session, principal=OPERATOR, email=email.lower(), name=name)
        membership = (
            await session.exec(
                select(Membership).where(Membership.user_id == user.id, Membership.organisation_id == organisation.id)
            )
        ).first()
        if membership is not None and membership.accepted_at is not None:
            console.print(f"[red]{email} is already a member of {org}")
            raise typer.Exit(1)
        if membership is None:
            membership = Membership(
                user_id=user.id,
                organisation_id=organisation.id,
                name=name or email.lower().split("@")[0],
                created_by=OPERATOR.subject,
            )
        # An operator's act, so accepted at once; it also accepts a pending invitation, with this role.
        membership.role = Role[role.upper()]
        membership.accepted_at = utcnow()
        membership.updated_by = OPERATOR.subject
        membership.updated_at = utcnow()
        session.add(membership)
        await session.flush()
        if password_hash is not None:
            await _store_password(session, user, password_hash)
        return membership

    membership = in_transaction(work)
    console.print(f"user {email} is {membership.role.name.lower()} of {org}")
    if password_hash is not None:
        console.print(f"password set for {email}")


@user_app.command("set-password")
def user_set_password(email: str) -> None:
    """Set a person's password (prompted for; read from stdin when piped). Every sign-in of theirs ends
    (refresh and access tokens stop at once), and their unused links stop working."""
    password_hash = new_password()

    async def work(session: AsyncSession) -> None:
        user = (await session.exec(select(User).where(User.email == email.lower()))).first()
        if user is None:
            console.print(f"[red]no user {email}")
            raise typer.Exit(1)
        await _store_password(session, user, password_hash)

    in_transaction(work)
    console.print(f"password set for {email}; every sign-in of theirs has ended")
