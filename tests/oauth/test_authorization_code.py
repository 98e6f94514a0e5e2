"""People sign in: authorization code with PKCE through Authlib's httpx client against a real uvicorn
server, the sign-in and consent forms driven over HTTP, then refresh, revocation and /graphql.
SECURITY.md 15, 16, 22-25, 27, 28 and 30; every refused attempt leaves the data as it was."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from sqlmodel import select

from api.audit.models import AuditEvent, AuditKind
from api.auth.principal import Role
from api.core.db import utcnow
from api.initiatives.models import Initiative
from api.oauth.models import AuthorizationCode, OAuthGrant, RefreshToken
from api.organisations.models import Membership, OrganisationStatus
from api.core.settings import Settings
from tests.factories import gid, set_columns
from tests.oauth.sign_in import Browser, forms, query
from tests.security.conftest import invalid_token_reason
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

APP = "https://app.coplab.example/callback"
PASSWORD = "correct horse battery staple"
SCOPES = "initiatives:read initiatives:write"
VIEWER = "{ viewer { kind organisation { slug } scopes role } }"
READ = "query($id: ID!) { node(id: $id) { ... on Initiative { title } } }"
UPDATE = """mutation($i: UpdateInitiativeInput!) { updateInitiative(input: $i) {
  initiative { title } userErrors { field code } } }"""


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def browser(base_url: str) -> Iterator[Browser]:
    person = Browser(base_url)
    yield person
    person.close()


@pytest.fixture
def world(make):  # noqa: ANN001, ANN201
    """Two organisations; Ana is an editor of the hotline and a viewer at the ministry; the Lab's
    web app (public, Lab-wide) lets her sign in for either."""

    class World:
        hotline = make.organisation("hotline")
        ministry = make.organisation("ministry")
        lab = make.organisation("lab")
        ana = make.member(hotline, "ana@example.org", Role.EDITOR, password=PASSWORD)
        app, _ = make.web_client(lab, SCOPES.split(), [APP], all_organisations=True)

    make.member(World.ministry, "ana@example.org", Role.VIEWER)
    return World


def _oauth(base_url: str, client_id: str, secret: str | None = None, scope: str = SCOPES) -> OAuth2Client:
    return OAuth2Client(
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        redirect_uri=APP,
        scope=scope,
        code_challenge_method="S256", timeout=HTTP_TIMEOUT
    )


def _sign_in(base_url: str, browser: Browser, oauth: OAuth2Client, *, organisation: int | None = None) -> dict:
    """The whole flow: authorization URL with PKCE, sign-in and consent pages, code for tokens."""
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
    callback = browser.authorize(url, "ana@example.org", PASSWORD, organisation=organisation)
    assert callback.startswith(APP + "?") and query(callback)["state"] == state
    return oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)


def _graphql(base_url: str, token: str, query_text: str, variables: dict | None = None) -> httpx.Response:
    return httpx.post(
        f"{base_url}/graphql",
        json={"query": query_text, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
    )


def _refresh(base_url: str, oauth: OAuth2Client, refresh_token: str, **extra: str) -> dict:
    return oauth.fetch_token(f"{base_url}/oauth/token", grant_type="refresh_token", refresh_token=refresh_token, **extra)


def test_a_person_in_two_organisations_picks_one_and_gets_what_their_role_there_allows(
    base_url, browser, world, settings, db  # noqa: ANN001
) -> None:
    with _oauth(base_url, world.app.client_id) as oauth:
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
        consent = browser.sign_in(url, "ana@example.org", PASSWORD)
        assert consent.status_code == 200
        offered = forms(consent.text).radios["organisation"]  # her two organisations, not the Lab's
        assert sorted(offered) == sorted([str(world.hotline.id), str(world.ministry.id)])
        callback = browser.submit(consent, {"organisation": str(world.ministry.id), "decision": "allow"})
        location = callback.headers["location"]
        assert query(location)["iss"] == settings.issuer.rstrip("/")  # RFC 9207
        assert query(location)["state"] == state
        token = oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=location, code_verifier=verifier)

    # A viewer at the ministry: the write scope was asked for and the client may hold it, but the role allows reading only.
    assert token["scope"] == "initiatives:read"
    assert token["refresh_token"] and token["expires_in"] == settings.access_token_lifetime_seconds
    viewer = _graphql(base_url, token["access_token"], VIEWER).json()["data"]["viewer"]
    assert viewer == {"kind": "user", "organisation": {"slug": "ministry"}, "scopes": ["initiatives:read"], "role": "VIEWER"}


def test_a_token_for_one_organisation_cannot_touch_the_others_non_public_records(base_url, browser, world, make, db) -> None:  # noqa: ANN001
    secret = make.initiative(world.ministry, "Ministry plan", visibility="ORGANISATION")
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
    assert token["scope"] == SCOPES  # an editor at the hotline
    node_id = gid("Initiative", secret.id)
    read = _graphql(base_url, token["access_token"], READ, {"id": node_id}).json()
    assert read["data"]["node"] is None
    write = _graphql(base_url, token["access_token"], UPDATE, {"i": {"id": node_id, "title": "Taken over"}}).json()
    assert write["data"]["updateInitiative"]["userErrors"] == [{"field": ["input", "id"], "code": "NOT_FOUND"}]
    db.expire_all()
    assert db.get(Initiative, secret.id).title == "Ministry plan"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_sign_in(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        first = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        second = _refresh(base_url, oauth, first["refresh_token"])
        assert second["refresh_token"] != first["refresh_token"]
        assert second["scope"] == first["scope"]
        assert _graphql(base_url, second["access_token"], VIEWER).status_code == 200

        with pytest.raises(OAuthError) as reused:
            _refresh(base_url, oauth, first["refresh_token"])
        assert reused.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as family:  # the newest token of the family is revoked with it
            _refresh(base_url, oauth, second["refresh_token"])
        assert family.value.error == "invalid_grant"

    for token in (first, second):
        refused = _graphql(base_url, token["access_token"], VIEWER)
        assert invalid_token_reason(refused) == "REVOKED"
    db.expire_all()
    assert [g.revoked_at is not None for g in db.exec(select(OAuthGrant)).all()] == [True]
    kinds = [e.kind for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert kinds.count(AuditKind.REFRESH_TOKEN_REUSED) == 1 and AuditKind.TOKEN_REFRESHED in kinds


def test_an_authorization_code_used_twice_is_refused_and_revokes_what_the_first_use_issued(
    base_url, browser, world, db  # noqa: ANN001
) -> None:
    with _oauth(base_url, world.app.client_id) as oauth:
        verifier = generate_token(48)
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
        callback = browser.authorize(url, "ana@example.org", PASSWORD, organisation=world.hotline.id)
        token = oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)
        assert _graphql(base_url, token["access_token"], VIEWER).status_code == 200
        with pytest.raises(OAuthError) as again:
            oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)
        assert again.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as refresh:
            _refresh(base_url, oauth, token["refresh_token"])
        assert refresh.value.error == "invalid_grant"
    assert _graphql(base_url, token["access_token"], VIEWER).status_code == 401
    db.expire_all()
    assert db.exec(select(OAuthGrant)).one().revoked_at is not None
    reused = db.exec(select(AuditEvent).where(AuditEvent.kind == AuditKind.AUTHORIZATION_CODE_REUSED)).one()
    assert (reused.organisation_id, reused.subject) == (world.hotline.id, f"user:{world.ana.id}")


def _authorization_redirect(base_url: str, params: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{base_url}/oauth/authorize", params=params, follow_redirects=False, timeout=HTTP_TIMEOUT)


def test_pkce_is_required_and_only_s256(base_url, world, settings, db) -> None:  # noqa: ANN001
    common = {"response_type": "code", "client_id": world.app.client_id, "redirect_uri": APP, "state": "s1"}
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    for params in (
        common,  # no challenge at all
        {**common, "code_challenge": challenge, "code_challenge_method": "plain"},
        {**common, "code_challenge": challenge},  # no method means plain (RFC 7636 4.3)
    ):
        answer = _authorization_redirect(base_url, params)
        assert answer.status_code == 302, answer.text
        sent_back = query(answer.headers["location"])
        assert answer.headers["location"].startswith(APP + "?")
        assert sent_back["error"] == "invalid_request" and sent_back["state"] == "s1"
        assert sent_back["iss"] == settings.issuer.rstrip("/")
    db.expire_all()
    assert db.exec(select(AuthorizationCode)).all() == []


def test_a_wrong_or_missing_code_verifier_gets_no_token(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        for verifier_sent, error in ((generate_token(48), "invalid_grant"), (None, "invalid_request")):
            verifier = generate_token(48)
            url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
            callback = browser.authorize(url, "ana@example.org", PASSWORD, organisation=world.hotline.id)
            answer = httpx.post(
                f"{base_url}/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": query(callback)["code"],
                    "redirect_uri": APP,
                    "client_id": world.app.client_id,
                    **({"code_verifier": verifier_sent} if verifier_sent else {}),
                }, timeout=HTTP_TIMEOUT
            )
            assert answer.status_code == 400 and answer.json()["error"] == error
            assert "access_token" not in answer.json()
    db.expire_all()
    assert db.exec(select(OAuthGrant)).all() == [] and db.exec(select(RefreshToken)).all() == []


@pytest.mark.parametrize(
    "redirect_uri",
    [APP + "/", APP + "?next=/x", "https://app.coplab.example/callbac", "https://evil.example/callback", APP.upper()],
)
def test_a_redirect_uri_that_is_not_an_exact_registered_match_is_shown_an_error_and_never_redirected(
    base_url, world, redirect_uri  # noqa: ANN001
) -> None:
    answer = _authorization_redirect(
        base_url,
        {
            "response_type": "code",
            "client_id": world.app.client_id,
            "redirect_uri": redirect_uri,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "not valid" in answer.text


def test_an_unknown_client_is_shown_an_error_and_never_redirected(base_url) -> None:  # noqa: ANN001
    answer = _authorization_redirect(base_url, {"response_type": "code", "client_id": "cpl_nobody", "redirect_uri": APP})
    assert answer.status_code == 400 and "location" not in answer.headers


def test_a_refresh_asking_for_more_scope_than_granted_is_refused_and_the_token_still_works(
    base_url, browser, world  # noqa: ANN001
) -> None:
    with _oauth(base_url, world.app.client_id, scope="initiatives:read") as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        assert token["scope"] == "initiatives:read"
        with pytest.raises(OAuthError) as wider:
            _refresh(base_url, oauth, token["refresh_token"], scope="initiatives:read initiatives:write")
        assert wider.value.error == "invalid_scope"
        assert _refresh(base_url, oauth, token["refresh_token"])["scope"] == "initiatives:read"


def test_a_public_client_asking_for_client_credentials_is_unauthorized(base_url, world) -> None:  # noqa: ANN001
    answer = httpx.post(
        f"{base_url}/oauth/token", data={"grant_type": "client_credentials", "client_id": world.app.client_id}, timeout=HTTP_TIMEOUT
    )
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"
    assert "access_token" not in answer.json()


def test_removing_the_member_stops_refresh_and_access_at_once(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        membership = db.exec(
            select(Membership).where(Membership.user_id == world.ana.id, Membership.organisation_id == world.hotline.id)
        ).one()
        db.delete(membership)
        db.commit()
        assert _graphql(base_url, token["access_token"], VIEWER).status_code == 401
        with pytest.raises(OAuthError) as refused:
            _refresh(base_url, oauth, token["refresh_token"])
        assert refused.value.error == "invalid_grant"


def test_suspending_the_organisation_stops_refresh(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        set_columns(db, world.hotline, status=OrganisationStatus.SUSPENDED)
        with pytest.raises(OAuthError) as refused:
            _refresh(base_url, oauth, token["refresh_token"])
        assert refused.value.error == "invalid_grant"


def test_idle_and_absolute_lifetimes_and_rotation_never_extends_the_absolute_one(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        grant = db.exec(select(OAuthGrant)).one()
        ends = utcnow() + timedelta(minutes=5)
        set_columns(db, grant, expires_at=ends)
        rotated = _refresh(base_url, oauth, token["refresh_token"])
        db.expire_all()
        newest = db.exec(select(RefreshToken).where(RefreshToken.rotated_at.is_(None))).one()
        assert newest.expires_at <= ends  # idle lifetime is 7 days, but the sign-in ends in 5 minutes

        set_columns(db, newest, expires_at=utcnow() - timedelta(seconds=1))  # idle too long
        with pytest.raises(OAuthError) as idle:
            _refresh(base_url, oauth, rotated["refresh_token"])
        assert idle.value.error == "invalid_grant"

        fresh = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        second_grant = db.exec(select(OAuthGrant).order_by(OAuthGrant.id.desc())).first()
        set_columns(db, second_grant, expires_at=utcnow() - timedelta(seconds=1))  # past the absolute lifetime
        with pytest.raises(OAuthError) as absolute:
            _refresh(base_url, oauth, fresh["refresh_token"])
        assert absolute.value.error == "invalid_grant"


def test_a_public_client_revokes_its_refresh_token_and_the_sign_in_ends(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
        answer = httpx.post(
            f"{base_url}/oauth/revoke",
            data={"token": token["refresh_token"], "token_type_hint": "refresh_token", "client_id": world.app.client_id}, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 200
        with pytest.raises(OAuthError):
            _refresh(base_url, oauth, token["refresh_token"])
    assert _graphql(base_url, token["access_token"], VIEWER).status_code == 401
    db.expire_all()
    assert db.exec(select(AuditEvent).where(AuditEvent.kind == AuditKind.TOKEN_REVOKED)).one().organisation_id == world.hotline.id


def test_a_confidential_web_app_signs_people_in_with_its_secret_and_pkce(base_url, browser, make, world) -> None:  # noqa: ANN001
    app, secret = make.web_client(world.hotline, SCOPES.split(), [APP], public=False)
    with _oauth(base_url, app.client_id, secret) as oauth:
        token = _sign_in(base_url, browser, oauth)
    assert token["scope"] == SCOPES
    viewer = _graphql(base_url, token["access_token"], VIEWER).json()["data"]["viewer"]
    assert viewer["organisation"] == {"slug": "hotline"}
    with _oauth(base_url, app.client_id) as no_secret:  # the code alone is not enough for it
        verifier = generate_token(48)
        url, _ = no_secret.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
        callback = browser.authorize(url, "ana@example.org", PASSWORD)
        with pytest.raises(OAuthError) as refused:
            no_secret.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)
        assert refused.value.error == "invalid_client"


def test_an_organisations_own_app_acts_only_for_that_organisation(base_url, browser, make, world) -> None:  # noqa: ANN001
    app, _ = make.web_client(world.lab, SCOPES.split(), [APP])  # the Lab's own, not Lab-wide; Ana is not in the Lab
    with _oauth(base_url, app.client_id) as oauth:
        url, state = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
        answer = browser.sign_in(url, "ana@example.org", PASSWORD)
    assert answer.status_code == 302
    assert query(answer.headers["location"])["error"] == "access_denied"
    assert query(answer.headers["location"])["state"] == state


def test_denying_sends_access_denied_back_and_issues_no_code(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
        callback = browser.authorize(url, "ana@example.org", PASSWORD, decision="deny")
    assert query(callback)["error"] == "access_denied" and "code" not in query(callback)
    db.expire_all()
    assert db.exec(select(AuthorizationCode)).all() == []


def test_a_consent_page_works_once(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
        consent = browser.sign_in(url, "ana@example.org", PASSWORD)
        choice = {"organisation": str(world.hotline.id), "decision": "allow"}
        assert browser.submit(consent, choice).status_code == 302
        again = browser.submit(consent, choice)
    assert again.status_code == 400 and "location" not in again.headers
    db.expire_all()
    assert len(db.exec(select(AuthorizationCode)).all()) == 1


def test_cross_site_and_forged_sign_in_posts_are_refused_before_anything_is_checked(base_url, browser, world, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
    page = browser.open(url)
    credentials = {"email": "ana@example.org", "password": PASSWORD}
    foreign_origin = browser.submit(page, credentials, Origin="https://evil.example")
    cross_site = browser.submit(page, credentials, **{"Sec-Fetch-Site": "cross-site"})
    forged_token = browser.submit(page, {**credentials, "csrf_token": "guessed"})
    no_cookie = httpx.post(
        f"{base_url}/oauth/authorize/sign-in", data={**credentials, "csrf_token": "x", "authorization_request": ""}, timeout=HTTP_TIMEOUT
    )
    for answer in (foreign_origin, cross_site, forged_token, no_cookie):
        assert answer.status_code == 403 and "location" not in answer.headers
        assert "ticket" not in answer.text
    db.expire_all()
    assert db.exec(select(AuditEvent)).all() == []  # not even a failed sign-in was looked at


def test_password_guessing_is_rate_limited_and_audited(base_url, browser, world, settings, db) -> None:  # noqa: ANN001
    with _oauth(base_url, world.app.client_id) as oauth:
        url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
    for _ in range(settings.sign_in_failure_limit):
        wrong = browser.sign_in(url, "ana@example.org", "not the password at all")
        assert wrong.status_code == 401 and "not right" in wrong.text
    limited = browser.sign_in(url, "ana@example.org", PASSWORD)  # even the right password waits now
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    db.expire_all()
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.kind for e in events] == [AuditKind.SIGN_IN_FAILED] * settings.sign_in_failure_limit * 2 + [
        AuditKind.RATE_LIMITED
    ] * 2  # Ana belongs to two organisations: each one's admins see it
    assert {e.organisation_id for e in events} == {world.hotline.id, world.ministry.id}
    assert all(PASSWORD not in (e.subject or "") for e in events)


def test_a_confidential_client_of_the_organisation_introspects_a_persons_token(base_url, browser, world, make) -> None:  # noqa: ANN001
    system, secret = make.oauth_client(world.hotline, ["initiatives:read"])
    elsewhere, other_secret = make.oauth_client(world.ministry, ["initiatives:read"])
    with _oauth(base_url, world.app.client_id) as oauth:
        token = _sign_in(base_url, browser, oauth, organisation=world.hotline.id)
    answer = httpx.post(f"{base_url}/oauth/introspect", data={"token": token["access_token"]}, auth=(system.client_id, secret), timeout=HTTP_TIMEOUT)
    assert answer.json()["active"] is True
    assert answer.json()["sub"] == f"user:{world.ana.id}" and answer.json()["org"] == world.hotline.id
    assert answer.json()["client_id"] == world.app.client_id and answer.json()["scope"] == SCOPES
    not_theirs = httpx.post(
        f"{base_url}/oauth/introspect", data={"token": token["access_token"]}, auth=(elsewhere.client_id, other_secret), timeout=HTTP_TIMEOUT
    )
    assert not_theirs.json() == {"active": False}
