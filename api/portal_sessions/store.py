"""The portal's sessions and its client registration, in the database.

A session id is 256 random bits held by the browser only; the table keeps its SHA-256 digest, so
reading the table gives no one the cookie. The refresh token is sealed at rest with the signing keys'
encryption keys (api/auth/key_encryption.py), bound to its row; the access token is kept as issued
(it lapses within minutes, and the database's own access rules guard it, as they guard the rest). The portal's pages reach these
functions only to find the access token they run their GraphQL operation with (docs/portal.md)."""

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth.key_encryption import KeyEncryption
from api.auth.principal import OPERATOR
from api.auth.scopes import Scope
from api.core.db import utcnow
from api.oauth import service as oauth
from api.oauth.models import OAuthClient
from api.organisations.models import Organisation, User
from api.portal_sessions.models import PortalClient, PortalSession

CLIENT_ROW = "portal"
CLIENT_NAME = "Children Online Protection Lab portal"
CALLBACK_PATH = "/signed-in"
# What the portal asks for: every scope but `lab:admin` (it has no administration pages yet). The
# consent step grants the part of it the person's role allows.
SCOPES = sorted(s.value for s in Scope if s is not Scope.LAB_ADMIN)
PENDING_SECONDS = 600  # how long a browser may take through the sign-in and consent pages
CLAIM_SECONDS = 30  # a refresh claimed this long ago and never stored: its request died midway


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    redirect_uri: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret_value() -> str:
    return secrets.token_urlsafe(32)


def _seal(encryption: KeyEncryption, kid: str, field: str, value: str) -> str:
    return encryption.seal(json.dumps({"kid": kid, field: value}))


def _open(encryption: KeyEncryption, kid: str, field: str, stored: str) -> str:
    return json.loads(encryption.open(stored, kid=kid))[field]


async def credentials(session: AsyncSession, *, encryption: KeyEncryption, issuer: str) -> Credentials | None:
    """The portal's client, registered now if it is not yet: a confidential, Lab-wide web client of
    the secretariat's organisation, its secret sealed in `portal_client` for every other process.
    None while the registry has no secretariat (nothing to register it under). Flushes, never commits;
    two processes starting at once: the second's insert fails on the row's key and it reads the first's."""
    redirect_uri = issuer.rstrip("/") + CALLBACK_PATH
    row = await session.get(PortalClient, CLIENT_ROW)
    if row is not None:
        client = (await session.exec(select(OAuthClient).where(OAuthClient.client_id == row.client_id))).first()
        if client is not None and client.redirect_uris != [redirect_uri]:  # the public address changed
            client.redirect_uris = [redirect_uri]
            session.add(client)
            await session.flush()
        secret = _open(encryption, row.client_id, "secret", row.sealed_secret)
        if not encryption.is_current(row.sealed_secret):  # the encryption key was rotated: seal it again
            row.sealed_secret = _seal(encryption, row.client_id, "secret", secret)
            session.add(row)
            await session.flush()
        return Credentials(row.client_id, secret, redirect_uri)
    secretariat = (await session.exec(select(Organisation.id).where(col(Organisation.is_secretariat)).order_by(Organisation.id))).first()
    if secretariat is None:
        return None
    created = await oauth.create_client(
        session=session, principal=OPERATOR, organisation_id=secretariat, name=CLIENT_NAME, scopes=SCOPES,
        kind=oauth.ClientKind.WEB_CONFIDENTIAL, redirect_uris=[redirect_uri], all_organisations=True,
    )
    assert created.secret is not None
    session.add(PortalClient(
        name=CLIENT_ROW, client_id=created.client.client_id,
        sealed_secret=_seal(encryption, created.client.client_id, "secret", created.secret),
    ))
    await session.flush()
    return Credentials(created.client.client_id, created.secret, redirect_uri)


async def find(session: AsyncSession, session_id: str | None) -> PortalSession | None:
    """The session this id opens, if it has not expired; None for any other value (a tampered or
    forged cookie is no different from none)."""
    if not session_id or len(session_id) > 100:
        return None
    row = (await session.exec(select(PortalSession).where(PortalSession.id_hash == digest(session_id)))).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row


@dataclass(frozen=True)
class Authorization:
    session_id: str  # the cookie's value
    state: str
    code_verifier: str


async def begin(session: AsyncSession, row: PortalSession | None, *, return_to: str) -> Authorization:
    """Start an authorization for this browser: in its signed-in session (switching organisation), or
    in a new one that holds nothing but the authorization under way. Expired sessions go."""
    await session.exec(sa.delete(PortalSession).where(col(PortalSession.expires_at) <= utcnow()))
    session_id, state, verifier = new_secret_value(), new_secret_value(), secrets.token_urlsafe(48)
    if row is None:
        row = PortalSession(id_hash=digest(session_id), expires_at=utcnow() + timedelta(seconds=PENDING_SECONDS))
    else:
        session_id = ""  # the browser keeps its cookie until the authorization completes
    row.state_hash, row.code_verifier, row.return_to = digest(state), verifier, return_to
    session.add(row)
    await session.flush()
    return Authorization(session_id=session_id, state=state, code_verifier=verifier)


def state_matches(row: PortalSession, state: str | None) -> bool:
    return bool(state) and row.state_hash is not None and secrets.compare_digest(row.state_hash, digest(state or ""))


async def complete(
    session: AsyncSession, row: PortalSession, *, encryption: KeyEncryption, token: dict, user_id: int,
    organisation_id: int, lifetime_seconds: int,
) -> str:
    """The person is signed in (again, for another organisation perhaps) with `token`: the row holds
    it under a new session id (the one the browser had before is no longer worth anything), which is
    returned for the cookie."""
    session_id = new_secret_value()
    user = await session.get(User, user_id)
    organisation = await session.get(Organisation, organisation_id)
    row.id_hash = digest(session_id)
    row.user_id, row.organisation_id = user_id, organisation_id
    row.person_name = user.name if user else None
    row.organisation_name = organisation.name if organisation else None
    row.organisation_slug = organisation.slug if organisation else None
    row.state_hash = row.code_verifier = row.return_to = None
    row.last_seen_at = utcnow()
    row.expires_at = utcnow() + timedelta(seconds=lifetime_seconds)
    await session.flush()  # the row has its id, which its sealed refresh token names
    keep_tokens(row, encryption=encryption, token=token)
    row.generation = (row.generation // 2 + 1) * 2  # even: no refresh under way for these tokens
    session.add(row)
    await session.flush()
    return session_id


def keep_tokens(row: PortalSession, *, encryption: KeyEncryption, token: dict) -> None:
    row.access_token = token["access_token"]
    row.access_expires_at = utcnow() + timedelta(seconds=int(token.get("expires_in") or 0))
    row.sealed_refresh_token = _seal(encryption, f"portal-session-{row.id}", "refresh_token", token["refresh_token"])


def refresh_token(row: PortalSession, *, encryption: KeyEncryption) -> str | None:
    if row.sealed_refresh_token is None:
        return None
    return _open(encryption, f"portal-session-{row.id}", "refresh_token", row.sealed_refresh_token)


async def claim(session: AsyncSession, row: PortalSession) -> bool:
    """Whether this request is the one to refresh the row's tokens. `generation` is even while the
    tokens are idle and odd while a request refreshes them: a request claims by moving it from the
    even value it read to the next, in one statement, and the refreshed tokens are stored with the
    even value after (`refreshed`). Any other request finds it moved, or odd, and waits. A claim older
    than CLAIM_SECONDS is taken over (its request died midway). Commits."""
    condition = [PortalSession.id == row.id, PortalSession.generation == row.generation]
    if row.generation % 2:
        condition.append(col(PortalSession.last_seen_at) < utcnow() - timedelta(seconds=CLAIM_SECONDS))
    claimed = row.generation + 1 if row.generation % 2 == 0 else row.generation + 2
    result = await session.exec(
        sa.update(PortalSession).where(*condition).values(generation=claimed, last_seen_at=utcnow())
    )
    await session.commit()
    if result.rowcount != 1:
        return False
    row.generation = claimed
    return True


def refreshed(row: PortalSession, *, encryption: KeyEncryption, token: dict) -> None:
    """The claimed row's new tokens; stored with the next (even) generation, which ends the claim."""
    keep_tokens(row, encryption=encryption, token=token)
    row.generation += 1


def release(row: PortalSession) -> None:
    """The claim ended with the tokens as they were (the refresh could not be made this time): the
    next even generation, so the next request claims it again."""
    row.generation += 1


async def reread(session: AsyncSession, row: PortalSession) -> PortalSession | None:
    """The row as another request may have left it (refreshed, or deleted)."""
    statement = select(PortalSession).where(PortalSession.id == row.id).execution_options(populate_existing=True)
    return (await session.exec(statement)).first()


async def seen(session: AsyncSession, row: PortalSession) -> None:
    row.last_seen_at = utcnow()
    session.add(row)
    await session.flush()


def expiring(row: PortalSession, *, margin_seconds: int, now: datetime | None = None) -> bool:
    return row.access_expires_at is None or row.access_expires_at - timedelta(seconds=margin_seconds) <= (now or utcnow())


async def forget(session: AsyncSession, row: PortalSession) -> None:
    await session.delete(row)
    await session.flush()
