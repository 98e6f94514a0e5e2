"""Setting a password ends every sign-in of the person: after `coplab user set-password`, access
tokens they (or a thief) held get 401 at once and their refresh tokens `invalid_grant`, in every
organisation. Real tokens from Authlib's client against a real uvicorn server; the CLI as an
operator runs it."""

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from sqlmodel import select

from api.auth.principal import Role
from api.oauth.models import OAuthGrant
from api.core.settings import Settings
from tests.oauth.sign_in import Browser
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

APP = "https://app.coplab.example/callback"
OLD_PASSWORD = "the password a thief learnt"
NEW_PASSWORD = "a brand new passphrase"
VIEWER = "{ viewer { kind organisation { slug } } }"


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


def _sign_in(base_url: str, oauth: OAuth2Client, organisation_id: int, password: str) -> dict:
    browser = Browser(base_url)
    try:
        verifier = generate_token(48)
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
        callback = browser.authorize(url, "ana@example.org", password, organisation=organisation_id)
    finally:
        browser.close()
    return oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)


def _viewer(base_url: str, access_token: str) -> httpx.Response:
    return httpx.post(f"{base_url}/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT)


def _refresh(base_url: str, oauth: OAuth2Client, refresh_token: str) -> dict:
    return oauth.fetch_token(f"{base_url}/oauth/token", grant_type="refresh_token", refresh_token=refresh_token)


@pytest.mark.http
def test_setting_a_password_ends_every_sign_in_of_the_person(base_url, make, db, database_url) -> None:  # noqa: ANN001
    hotline, ministry, lab = make.organisation("hotline"), make.organisation("ministry"), make.organisation("lab")
    ana = make.member(hotline, "ana@example.org", Role.EDITOR, password=OLD_PASSWORD)
    make.member(ministry, "ana@example.org", Role.VIEWER)
    bo = make.member(hotline, "bo@example.org", Role.VIEWER, password=OLD_PASSWORD + " of bo")
    app, _ = make.web_client(lab, ["initiatives:read"], [APP], all_organisations=True)

    with OAuth2Client(client_id=app.client_id, redirect_uri=APP, scope="initiatives:read", code_challenge_method="S256", timeout=HTTP_TIMEOUT) as oauth:
        stolen = {organisation.slug: _sign_in(base_url, oauth, organisation.id, OLD_PASSWORD) for organisation in (hotline, ministry)}
        # Before the reset both kinds of token work: the access token reads, the refresh token rotates.
        for slug, token in stolen.items():
            assert _viewer(base_url, token["access_token"]).json()["data"]["viewer"]["organisation"] == {"slug": slug}
            stolen[slug] = _refresh(base_url, oauth, token["refresh_token"])
            assert _viewer(base_url, stolen[slug]["access_token"]).status_code == 200
        browser = Browser(base_url)  # someone else's sign-in, which the reset leaves alone
        verifier = generate_token(48)
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
        callback = browser.authorize(url, "bo@example.org", OLD_PASSWORD + " of bo", organisation=hotline.id)
        browser.close()
        others = oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)

        env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
        reset = subprocess.run(
            [sys.executable, "-m", "api.cli", "user", "set-password", "ana@example.org"],
            input=f"{NEW_PASSWORD}\n", env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert reset.returncode == 0, reset.stderr
        assert "every sign-in of theirs has ended" in reset.stderr

        for token in stolen.values():
            assert _viewer(base_url, token["access_token"]).status_code == 401
            with pytest.raises(OAuthError) as refused:
                _refresh(base_url, oauth, token["refresh_token"])
            assert refused.value.error == "invalid_grant"
        assert _viewer(base_url, others["access_token"]).status_code == 200
        assert _refresh(base_url, oauth, others["refresh_token"])["access_token"]

        # The new password signs in anew.
        fresh = _sign_in(base_url, oauth, hotline.id, NEW_PASSWORD)
        assert _viewer(base_url, fresh["access_token"]).status_code == 200

    db.expire_all()
    grants = db.exec(select(OAuthGrant).where(OAuthGrant.user_id == ana.id).order_by(OAuthGrant.id)).all()
    assert [g.revoked_at is not None for g in grants] == [True, True, False]
    assert all(g.revoked_at is None for g in db.exec(select(OAuthGrant).where(OAuthGrant.user_id == bo.id)))
