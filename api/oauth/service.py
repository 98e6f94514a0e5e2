"""Registering and revoking clients, and whether a client or one of its tokens still stands."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

import sqlalchemy as sa
import strawberry
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.audit import service as audit
from api.audit.models import AuditKind
from api.auth import keys
from api.auth.key_encryption import KeyEncryption
from api.auth.checks import require_role
from api.auth.principal import Principal, Role
from api.auth.scopes import Scope
from api.core.db import utcnow
from api.core.errors import DomainError, ErrorCode, Problem
from api.oauth import secrets
from api.oauth.models import OAuthClient, OAuthGrant, RevokedAccessToken
from api.organisations.models import Organisation, OrganisationStatus

MACHINE_GRANTS = ("client_credentials",)
WEB_GRANTS = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_CLIENT_ID_LENGTH = 64  # the column's length
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


@strawberry.enum(description="What kind of client an OAuth client is, which decides how it gets tokens.")
class ClientKind(StrEnum):
    MACHINE = "MACHINE"  # an organisation's own system: client credentials, with a secret
    WEB_CONFIDENTIAL = "WEB_CONFIDENTIAL"  # a server-side web app: authorization code + PKCE, with a secret
    WEB_PUBLIC = "WEB_PUBLIC"  # a browser or native app: authorization code + PKCE, no secret


@dataclass(frozen=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # shown once, never stored; None for public clients


def redirect_uri_problems(uris: Sequence[str], *, kind: ClientKind) -> list[Problem]:
    """Redirect URIs are matched exactly, so each must be complete: absolute, without a fragment,
    https unless it points at this machine (a developer's app or a native app's loopback listener)."""
    if kind is ClientKind.MACHINE:
        return [Problem(("redirectUris",), ErrorCode.INVALID_VALUE, "Machine clients have no redirect URIs.")] if uris else []
    if not uris:
        return [Problem(("redirectUris",), ErrorCode.REQUIRED, "A web client needs at least one redirect URI.")]
    if len(uris) > MAX_REDIRECT_URIS:
        return [Problem(("redirectUris",), ErrorCode.TOO_MANY, f"At most {MAX_REDIRECT_URIS} redirect URIs.")]
    problems = []
    for index, uri in enumerate(uris):
        parts = urlsplit(uri)
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
        if len(uri) > 2000 or not parts.netloc or parts.fragment or "#" in uri or not secure:
            problems.append(
                Problem(
                    ("redirectUris", str(index)),
                    ErrorCode.INVALID_URL,
                    "A redirect URI is an absolute https URL (http only on 127.0.0.1, [::1] or localhost) without a fragment.",
                )
            )
    return problems


async def create_client(
    *,
    session: AsyncSession,
    principal: Principal,
    organisation_id: int,
    name: str,
    scopes: Sequence[str],
    kind: ClientKind = ClientKind.MACHINE,
    redirect_uris: Sequence[str] = (),
    all_organisations: bool = False,
) -> NewClient:
    """Register a client. An organisation's administrator grants it no scope beyond their own; the
    operator grants any, and alone registers a Lab-wide web app (`all_organisations`, such as the
    Lab's frontend). Flushes, never commits."""
    grantable = None if principal.is_operator else principal.scopes
    if grantable is not None:
        require_role(principal, Role.ADMIN)
    known = {s.value for s in Scope}
    problems = [
        Problem(("scopes", str(i)), ErrorCode.INVALID_CODE, f"`{s}` is not a scope.")
        for i, s in enumerate(scopes)
        if s not in known
    ]
    if grantable is not None:
        problems += [
            Problem(("scopes", str(i)), ErrorCode.FORBIDDEN, f"Your token does not hold `{s}`, so you cannot grant it.")
            for i, s in enumerate(scopes)
            if s in known and Scope(s) not in grantable and s != Scope.LAB_ADMIN.value
        ]
    if Scope.LAB_ADMIN.value in scopes and kind is ClientKind.MACHINE:
        problems.append(Problem(("scopes",), ErrorCode.FORBIDDEN, "Machine clients cannot hold `lab:admin`."))
    elif Scope.LAB_ADMIN.value in scopes and grantable is not None:
        problems.append(Problem(("scopes",), ErrorCode.FORBIDDEN, "Only the Lab's operators register clients that may ask for `lab:admin`."))
    if not name.strip():
        problems.append(Problem(("name",), ErrorCode.BLANK, "A client needs a name."))
    problems += redirect_uri_problems(redirect_uris, kind=kind)
    if all_organisations and kind is ClientKind.MACHINE:
        problems.append(Problem(("allOrganisations",), ErrorCode.INVALID_VALUE, "A machine client acts for its own organisation only."))
    if problems:
        raise DomainError(problems)
    secret = None if kind is ClientKind.WEB_PUBLIC else secrets.new_secret()
    client = OAuthClient(
        client_id=secrets.new_client_id(),
        secret_hash=secrets.digest(secret) if secret is not None else None,
        organisation_id=organisation_id,
        name=name.strip(),
        scopes=sorted(set(scopes)),
        grant_types=list(MACHINE_GRANTS if kind is ClientKind.MACHINE else WEB_GRANTS),
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        all_organisations=all_organisations,
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(client)
    await session.flush()
    return NewClient(client=client, secret=secret)


def token_stands(*, client_id: str, jti: str, grant_id: int | None) -> sa.ColumnElement[bool]:
    """Whether an access token still works: its client is registered for the organisation being
    selected (or for all organisations) and not revoked, the token itself was not revoked, and a
    person's token's grant was not revoked. A condition to select alongside the organisation, so
    every request checks it without a statement of its own, and revoking any of them stops the
    token at once."""
    conditions = [
        OAuthClient.client_id == client_id,
        sa.or_(OAuthClient.organisation_id == Organisation.id, col(OAuthClient.all_organisations)),
        col(OAuthClient.revoked_at).is_(None),
        ~sa.exists().where(RevokedAccessToken.jti == jti),
    ]
    if grant_id is not None:
        conditions.append(
            sa.exists().where(
                OAuthGrant.id == grant_id,
                OAuthGrant.organisation_id == Organisation.id,
                OAuthGrant.client_id == client_id,
                col(OAuthGrant.revoked_at).is_(None),
            )
            # Nested two levels down, this would otherwise select its own `organisation` rows and
            # accept a grant of any organisation.
            .correlate(Organisation)
        )
    return sa.exists().where(*conditions)


async def revoke_grants(
    *, session: AsyncSession, organisation_id: int | None = None, user_id: int | None = None
) -> None:
    """End people's sign-ins, in one statement: everyone's in an organisation, one person's there, or
    (without `organisation_id`) one person's everywhere. Their refresh tokens stop at once, and their
    access tokens too (each names its grant). Flushes, never commits."""
    if organisation_id is None and user_id is None:
        raise ValueError("revoke_grants needs an organisation, a person, or both")
    conditions = []
    if organisation_id is not None:
        conditions.append(OAuthGrant.organisation_id == organisation_id)
    if user_id is not None:
        conditions.append(OAuthGrant.user_id == user_id)
    condition = sa.and_(*conditions)
    await session.exec(
        sa.update(OAuthGrant).where(condition, col(OAuthGrant.revoked_at).is_(None)).values(revoked_at=utcnow())
    )


def revoke_access_token(session: Session, *, jti: str, organisation_id: int, expires_at: datetime) -> None:
    """Record a revoked access token (synchronous: Authlib calls it). Revoking twice changes nothing."""
    if session.get(RevokedAccessToken, jti) is None:
        session.add(RevokedAccessToken(jti=jti, organisation_id=organisation_id, expires_at=expires_at))
        session.flush()


async def development_client(*, session: AsyncSession, principal: Principal, organisation_id: int) -> OAuthClient:
    """The client that `coplab token mint` issues tokens for: registered like any other, so revoking it
    stops those tokens, but with no secret and no grant, so no one can use it at the token endpoint."""
    client_id = f"coplab-cli-{organisation_id}"
    found = (await session.exec(select(OAuthClient).where(OAuthClient.client_id == client_id))).first()
    if found is not None:
        return found
    client = OAuthClient(
        client_id=client_id,
        organisation_id=organisation_id,
        name="coplab CLI (development tokens)",
        scopes=[s.value for s in Scope],
        grant_types=[],
        created_by=principal.subject,
        updated_by=principal.subject,
    )
    session.add(client)
    await session.flush()
    return client


def managed_by(principal: Principal) -> sa.Select:
    """The clients the principal may manage: its own organisation's, for administrators with
    `org:admin`; every client, for the operator."""
    if principal.is_operator:
        return select(OAuthClient)
    if principal.organisation_id is None or not principal.has_scope(Scope.ORG_ADMIN) or not principal.has_role(Role.ADMIN):
        return select(OAuthClient).where(sa.false())
    return select(OAuthClient).where(OAuthClient.organisation_id == principal.organisation_id)


async def _managed(session: AsyncSession, principal: Principal, client_id: str) -> OAuthClient:
    client = (await session.exec(managed_by(principal).where(OAuthClient.client_id == client_id))).first()
    if client is None:  # another organisation's client is answered exactly like a missing one
        raise DomainError.one(["clientId"], ErrorCode.NOT_FOUND, f"No client {client_id}.")
    return client


async def rotate_secret(*, session: AsyncSession, principal: Principal, client_id: str) -> NewClient:
    """A new secret for a machine client; the old one stops working at once. Flushes, never commits."""
    client = await _managed(session, principal, client_id)
    if client.secret_hash is None or client.revoked_at is not None:
        raise DomainError.one(["clientId"], ErrorCode.INVALID_VALUE, "Only an active client with a secret can get a new one.")
    secret = secrets.new_secret()
    client.secret_hash = secrets.digest(secret)
    client.updated_at = utcnow()
    client.updated_by = principal.subject
    session.add(client)
    await session.flush()
    return NewClient(client=client, secret=secret)


async def revoke(*, session: AsyncSession, principal: Principal, client_id: str) -> OAuthClient:
    """Revoke a client the principal manages: it gets no more tokens, and the ones it holds stop
    working. Flushes, never commits."""
    client = await _managed(session, principal, client_id)
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        client.updated_at = client.revoked_at
        client.updated_by = principal.subject
        session.add(client)
        await session.flush()
    return client


def usable_client(session: Session, client_id: str) -> OAuthClient | None:
    """The client, if it is not revoked and its organisation is not suspended (synchronous: Authlib calls it)."""
    statement = (
        select(OAuthClient)
        .join(Organisation, col(Organisation.id) == OAuthClient.organisation_id)
        .where(
            OAuthClient.client_id == client_id,
            col(OAuthClient.revoked_at).is_(None),
            Organisation.status != OrganisationStatus.SUSPENDED,
        )
    )
    return session.exec(statement).first()


def could_be_client_id(client_id: str) -> bool:
    """Whether a presented client id could name a client at all; anything longer than the column or
    holding a control character is answered as unknown without asking the database (PostgreSQL
    refuses a NUL in a string)."""
    return 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH and client_id.isprintable()


def owners(session: Session, client_ids: Sequence[str]) -> dict[str, int]:
    """The organisation of each of these client ids that names a client, revoked or not: for the
    audit log of failures. Ids are compared exactly as `usable_client` compares them."""
    candidates = [client_id for client_id in dict.fromkeys(client_ids) if could_be_client_id(client_id)]
    if not candidates:
        return {}
    statement = select(OAuthClient.client_id, OAuthClient.organisation_id).where(col(OAuthClient.client_id).in_(candidates))
    return dict(session.exec(statement).all())


def organisation_of(session: Session, client_id: str) -> int | None:
    """The organisation a client id belongs to, revoked or not: for the audit log of failures."""
    return session.exec(select(OAuthClient.organisation_id).where(OAuthClient.client_id == client_id)).first()


async def rotate_signing_keys(
    *,
    session: AsyncSession,
    principal: Principal,
    encryption: KeyEncryption,
    activate_in_seconds: int,
    retire_after_seconds: int,
) -> keys.Rotation:
    """`keys.rotate`, recorded in the audit log in the same transaction (the keys live in auth, the
    bottom of the domains, which imports no audit). Flushes, never commits."""
    rotation = await keys.rotate(
        session=session, encryption=encryption, activate_in_seconds=activate_in_seconds, retire_after_seconds=retire_after_seconds
    )
    await session.run_sync(
        lambda sync: audit.record(sync, kind=AuditKind.SIGNING_KEY_ROTATED, organisation_id=None, subject=principal.subject)
    )
    return rotation
