"""Signing-key rotation: the next key is published before it signs, a superseded key verifies until
its tokens have expired, a retired key is neither published nor trusted; every rotation is audited."""

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from api.auth import keys
from api.auth.key_encryption import KeyEncryption
from api.auth.models import SigningKey
from api.auth.principal import OPERATOR
from api.core.db import create_engine, session_factory, transaction, utcnow
from api.core.settings import Settings
from api.oauth import service as oauth
from tests.factories import graphql
from tests.security.conftest import invalid_token_reason
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

PLAIN = KeyEncryption()  # the test environment's: no encryption key
VIEWER = "{ viewer { kind organisation { slug } } }"
EVENTS = "{ auditEvents(first: 50) { edges { node { kind clientId subject } } } }"


@pytest.fixture(autouse=True)
def _signing_keys_restored(engine: sa.Engine) -> Iterator[None]:
    """Signing keys are kept between tests: put back exactly the keys there were before this one."""
    table = SigningKey.__table__
    with engine.connect() as connection:
        before = [dict(row) for row in connection.execute(sa.select(table)).mappings()]
    yield
    with engine.begin() as connection:
        connection.execute(table.delete())
        if before:
            connection.execute(table.insert(), before)


def _rotate(settings: Settings, *, activate_in: int, retire_after: int) -> keys.Rotation:
    """`keys.rotate` and its audit event in one committed transaction, as `coplab keys rotate` runs them."""

    async def main() -> keys.Rotation:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                return await oauth.rotate_signing_keys(
                    session=session, principal=OPERATOR, encryption=PLAIN, activate_in_seconds=activate_in, retire_after_seconds=retire_after
                )
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _kid(token: str) -> str:
    header = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def _fetch_token(base_url: str, client_id: str, secret: str) -> str:
    response = httpx.post(f"{base_url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=HTTP_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _viewer(base_url: str, token: str) -> httpx.Response:
    return httpx.post(f"{base_url}/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT)


def _published(base_url: str) -> set[str]:
    response = httpx.get(f"{base_url}/.well-known/jwks.json", timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    return {key["kid"] for key in response.json()["keys"]}


def _unretired(db: Session) -> set[str]:
    db.rollback()  # see what the server and the rotations committed
    return set(db.exec(select(SigningKey.kid).where(SigningKey.retired_at.is_(None))).all())


def _activate_now(db: Session, kid: str, *, seconds_ago: int) -> None:
    """The next key's activation time has come (as if its publication period had passed)."""
    db.rollback()
    row = db.get(SigningKey, kid)
    row.activates_at = utcnow() - timedelta(seconds=seconds_ago)
    db.add(row)
    db.commit()


def test_the_next_key_is_published_before_it_signs_and_the_old_one_verifies_until_retired(
    make, db, settings  # noqa: ANN001
) -> None:
    organisation = make.organisation("hotline")
    client, secret = make.oauth_client(organisation, ["initiatives:read"])
    with running_server(settings) as base_url:
        old_token = _fetch_token(base_url, client.client_id, secret)
        old_kid = _kid(old_token)
        earlier = _unretired(db)  # the signing key, and any older one still kept
        assert old_kid in earlier
        assert _viewer(base_url, old_token).json()["data"]["viewer"]["organisation"] == {"slug": "hotline"}

        # Published now, signing in an hour: verifiers that cache the key set learn it first.
        rotation = _rotate(settings, activate_in=3600, retire_after=960)
        assert rotation.retired == []
        assert rotation.activates_at > utcnow() + timedelta(seconds=3500)
        assert {old_kid, rotation.next_kid} <= _published(base_url) == _unretired(db)
        assert _kid(_fetch_token(base_url, client.client_id, secret)) == old_kid

        # Its time has come: new tokens carry the new kid (the server's key cache, loaded before,
        # learns it at the first such token), and the old key's tokens still work.
        _activate_now(db, rotation.next_kid, seconds_ago=5)
        new_token = _fetch_token(base_url, client.client_id, secret)
        assert _kid(new_token) == rotation.next_kid
        for token in (new_token, old_token):
            response = _viewer(base_url, token)
            assert response.status_code == 200, response.text
            assert response.json()["data"]["viewer"] == {"kind": "client", "organisation": {"slug": "hotline"}}

        # The old key stopped signing 5 seconds ago: kept while its tokens may be unexpired…
        kept = _rotate(settings, activate_in=3600, retire_after=960)
        assert kept.retired == [] and old_kid in _published(base_url)
        assert _viewer(base_url, old_token).status_code == 200
        # …and retired once that time has passed.
        retired = _rotate(settings, activate_in=3600, retire_after=3)
        assert set(retired.retired) == earlier
        published = _published(base_url)
        assert old_kid not in published and rotation.next_kid in published
        assert published == _unretired(db) == {rotation.next_kid, kept.next_kid, retired.next_kid}

    # A server that loads the keys now (as every server does within its refresh interval).
    with running_server(settings) as base_url:
        refused = _viewer(base_url, old_token)
        assert invalid_token_reason(refused) == "UNKNOWN_KEY"
        assert _viewer(base_url, new_token).status_code == 200
        assert _kid(_fetch_token(base_url, client.client_id, secret)) == rotation.next_kid

        admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@hotline.example"))
        with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT) as http:
            body = graphql(http, EVENTS, token=admin)
    assert "errors" not in body, body
    rotations = [e["node"] for e in body["data"]["auditEvents"]["edges"] if e["node"]["kind"] == "SIGNING_KEY_ROTATED"]
    assert rotations == [{"kind": "SIGNING_KEY_ROTATED", "clientId": None, "subject": "cli"}] * 3


def test_the_key_cache_drops_retired_keys_within_its_refresh_interval_and_finds_new_ones_at_once(
    make, settings  # noqa: ANN001
) -> None:
    make.token(make.organisation("ngo"))  # the server has a signing key
    clock = [1000.0]
    cache = keys.KeyCache(refresh_interval_seconds=30, clock=lambda: clock[0])

    async def main() -> None:
        engine = create_engine(settings.database_url)
        factory = session_factory(engine)
        try:
            async with factory() as session:
                old_kid = (await keys.active_key(session=session, encryption=PLAIN)).kid
                assert old_kid in {k.kid for k in await cache.get(session=session, kid=old_kid)}
            async with transaction(factory) as session:
                first = await keys.rotate(session=session, encryption=PLAIN, activate_in_seconds=0, retire_after_seconds=900)
            async with factory() as session:
                # Unknown to the cache, which was loaded a moment ago: looked up, not refused.
                assert first.next_kid in {k.kid for k in await cache.get(session=session, kid=first.next_kid)}
            async with transaction(factory) as session:
                second = await keys.rotate(session=session, encryption=PLAIN, activate_in_seconds=60, retire_after_seconds=0)
            assert old_kid in second.retired and first.next_kid not in second.retired
            async with factory() as session:
                assert cache.knows(old_kid)  # until the next refresh
                clock[0] += 31
                known = {k.kid for k in await cache.get(session=session, kid=first.next_kid)}
                assert known == {first.next_kid, second.next_kid}
                unknown = {k.kid for k in await cache.get(session=session, kid="attacker-key")}
                assert unknown == known
        finally:
            await engine.dispose()

    asyncio.run(main())


def test_key_states(make, settings) -> None:  # noqa: ANN001
    make.token(make.organisation("gov"))

    async def main() -> dict[str, keys.KeyState]:
        engine = create_engine(settings.database_url)
        factory = session_factory(engine)
        try:
            async with transaction(factory) as session:
                active = (await keys.active_key(session=session, encryption=PLAIN)).kid
                now = await keys.rotate(session=session, encryption=PLAIN, activate_in_seconds=0, retire_after_seconds=900)
                later = await keys.rotate(session=session, encryption=PLAIN, activate_in_seconds=600, retire_after_seconds=900)
            async with factory() as session:
                states = {s.kid: s.state for s in await keys.statuses(session=session)}
                signing = (await keys.active_key(session=session, encryption=PLAIN)).kid
            assert signing == now.next_kid
            return {"old": states[active], "now": states[now.next_kid], "later": states[later.next_kid]}
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == {
        "old": keys.KeyState.VERIFYING,
        "now": keys.KeyState.ACTIVE,
        "later": keys.KeyState.NEXT,
    }
