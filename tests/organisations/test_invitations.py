"""Adding a member is an invitation: it grants nothing until the person accepts it with the link,
and the link sets a password only for a new account. Against a real uvicorn server, with the
administrators' GraphQL calls, the invitation page and the sign-in pages driven over HTTP."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from sqlmodel import select

from api.audit.models import AuditEvent, AuditKind
from api.auth.passwords import verify_password
from api.auth.principal import Role
from api.oauth.models import AuthorizationCode, OAuthGrant
from api.organisations.models import Membership, Organisation, User
from api.core.settings import Settings
from tests.factories import gid, lab_admin_token, membership_of, mutate, user_errors
from tests.oauth.sign_in import Browser, forms, query
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

APP = "https://app.coplab.example/callback"
SCOPES = "initiatives:read org:read org:admin"
ATTACKER_PASSWORD = "chosen by the other organisation"
OWN_PASSWORD = "the person's own passphrase"
VICTIM = "target@victim.example"
ADD = """mutation($i: AddMemberInput!) { addMember(input: $i) {
  membership { id role acceptedAt user { name email } } invitationUrl passwordSetupUrl userErrors { field code } } }"""
REMOVE = "mutation($i: RemoveMemberInput!) { removeMember(input: $i) { userErrors { field code } } }"
MEMBERS = "query($slug: String!) { organisation(slug: $slug) { members { acceptedAt user { name email } } } }"
READ = "query($id: ID!) { node(id: $id) { ... on Initiative { title } } }"


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def world(make):  # noqa: ANN001, ANN201
    """Two member organisations with an administrator each, B's organisation-only record, and the
    Lab's web app through which people of every organisation sign in."""

    class World:
        alpha = make.organisation("alpha")
        bravo = make.organisation("bravo")
        lab = make.organisation("lab")
        alpha_admin = make.token(alpha, ["org:admin", "org:read"], user=make.member(alpha, "admin@alpha.example"))
        bravo_admin = make.token(bravo, ["org:admin", "org:read"], user=make.member(bravo, "admin@bravo.example"))
        secret = make.initiative(bravo, "Bravo's case triage", visibility="ORGANISATION")
        app, _ = make.web_client(lab, SCOPES.split() + ["initiatives:read"], [APP], all_organisations=True)

    return World


def _graphql(base_url: str, token: str, text: str, variables: dict) -> dict:
    answer = httpx.post(
        f"{base_url}/graphql", json={"query": text, "variables": variables}, headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _add(base_url: str, token: str, organisation: Organisation, email: str, role: str, name: str | None = None) -> dict:
    values = {"organisation": gid("Organisation", organisation.id), "email": email, "role": role}
    if name is not None:
        values["name"] = name
    return _graphql(base_url, token, ADD, {"i": values})["data"]["addMember"]


def _on(base_url: str, url: str) -> str:
    """The link on the test server (the link names the configured public address)."""
    return urlsplit(base_url)._replace(path=urlsplit(url).path, query=urlsplit(url).query).geturl()


def _form_token(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _use_link(base_url: str, url: str, **fields: str) -> httpx.Response:
    """Open the invitation link as a browser does and send its form with `fields`."""
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:  # a loaded machine answers a sign-in slowly
        page = browser.get(_on(base_url, url))
        assert page.status_code == 200, page.text
        code = re.search(r'name="code" value="([^"]+)"', page.text).group(1)
        return browser.post(
            f"{base_url}/account/password",
            data={"csrf_token": _form_token(page), "code": code, **fields},
            headers={"Origin": base_url},
        )


def _shape(payload: dict, email: str) -> dict:
    """The answer with what necessarily differs between two addresses (the address itself, ids, the
    random code) taken out: what is left must be identical."""
    local = email.split("@")[0]
    text = repr(payload).replace(email, "EMAIL").replace(f"'{local}'", "'LOCAL'")
    text = re.sub(r"code=[A-Za-z0-9_\-]+", "code=CODE", text)
    return {"text": re.sub(r"'id': '[^']+'", "'id': 'ID'", text)}


def _sign_in_for(base_url: str, client_id: str, email: str, password: str) -> httpx.Response:
    """Sign in through the web app; the page that answers the password."""
    browser = Browser(base_url)
    try:
        with OAuth2Client(client_id=client_id, redirect_uri=APP, scope=SCOPES, code_challenge_method="S256", timeout=HTTP_TIMEOUT) as oauth:
            url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=generate_token(48))
            return browser.sign_in(url, email, password)
    finally:
        browser.close()


def _events(db, organisation: Organisation) -> list[tuple[AuditKind, str | None]]:  # noqa: ANN001
    db.expire_all()
    rows = db.exec(select(AuditEvent).where(AuditEvent.organisation_id == organisation.id).order_by(AuditEvent.id))
    return [(e.kind, e.subject) for e in rows]


def _coplab(database_url: str, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.http
def test_an_account_whose_password_another_organisation_set_cannot_act_for_the_next_one(  # noqa: PLR0915
    base_url, db, make, world, database_url  # noqa: ANN001
) -> None:
    # A's administrator invites an address, sets its password through the link, then removes it.
    invited = _add(base_url, world.alpha_admin, world.alpha, VICTIM, "CONTRIBUTOR", name="Alias typed by A")
    done = _use_link(base_url, invited["invitationUrl"], password=ATTACKER_PASSWORD, password_confirmation=ATTACKER_PASSWORD)
    assert done.status_code == 200 and "Your password is set" in done.text
    removed = _graphql(base_url, world.alpha_admin, REMOVE, {"i": {"membership": invited["membership"]["id"]}})
    assert removed["data"]["removeMember"]["userErrors"] == []
    victim = db.exec(select(User).where(User.email == VICTIM)).one()
    subject = f"user:{victim.id}"
    assert _events(db, world.alpha) == [(AuditKind.PASSWORD_SET, subject), (AuditKind.MEMBERSHIP_ACCEPTED, subject)]

    # B adds the same address as an administrator: the answer is the one a fresh address gets.
    taken = _add(base_url, world.bravo_admin, world.bravo, VICTIM, "ADMIN")
    fresh = _add(base_url, world.bravo_admin, world.bravo, "fresh@victim.example", "ADMIN")
    assert taken["userErrors"] == [] and taken["invitationUrl"] is not None
    assert taken["membership"]["acceptedAt"] is None and taken["membership"]["user"]["name"] == "target"
    assert _shape(taken, VICTIM) == _shape(fresh, "fresh@victim.example")

    # A's attacker knows the password, but it signs in for no organisation: B's invitation is not accepted.
    for client_id in (world.app.client_id, make.web_client(world.bravo, SCOPES.split(), [APP])[0].client_id):
        answer = _sign_in_for(base_url, client_id, VICTIM, ATTACKER_PASSWORD)
        assert answer.status_code == 302
        assert query(answer.headers["location"])["error"] == "access_denied"
        assert "code" not in query(answer.headers["location"])
    db.expire_all()
    assert db.exec(select(AuthorizationCode).where(AuthorizationCode.user_id == victim.id)).all() == []
    assert db.exec(select(OAuthGrant).where(OAuthGrant.user_id == victim.id)).all() == []
    # Even a token naming the person for B (as an operator's `coplab token mint` makes) is refused while pending.
    minted = make.token(world.bravo, "initiatives:read org:admin", user=victim)
    refused = httpx.post(f"{base_url}/graphql", json={"query": READ, "variables": {"id": gid("Initiative", world.secret.id)}},
                         headers={"Authorization": f"Bearer {minted}"}, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 401
    # B's log says nothing about the account, and A's log holds nothing of B.
    assert _events(db, world.bravo) == []

    # B's link cannot set or change the password: sent a new one, it is checked as the account's own and refused.
    attempt = _use_link(base_url, taken["invitationUrl"], password=OWN_PASSWORD, password_confirmation=OWN_PASSWORD)
    assert attempt.status_code == 401 and "not the password of this account" in attempt.text
    db.expire_all()
    assert verify_password(ATTACKER_PASSWORD, db.get(User, victim.id).password_hash)
    assert membership_of(db, world.bravo, victim).accepted_at is None
    assert _events(db, world.bravo) == []

    # The real person has the operators set their password (ending whatever A knew), then accepts
    # B's invitation with B's link by signing in, and only then acts for B.
    reset = _coplab(database_url, "user", "set-password", VICTIM, stdin=f"{OWN_PASSWORD}\n")
    assert reset.returncode == 0, reset.stderr
    assert _sign_in_for(base_url, world.app.client_id, VICTIM, ATTACKER_PASSWORD).status_code == 401
    accepted = _use_link(base_url, taken["invitationUrl"], password=OWN_PASSWORD)
    assert accepted.status_code == 200 and "Invitation accepted" in accepted.text
    db.expire_all()
    assert membership_of(db, world.bravo, victim).accepted_at is not None
    assert verify_password(OWN_PASSWORD, db.get(User, victim.id).password_hash)
    assert (AuditKind.MEMBERSHIP_ACCEPTED, subject) in _events(db, world.bravo)
    consent = _sign_in_for(base_url, world.app.client_id, VICTIM, OWN_PASSWORD)
    assert consent.status_code == 200 and "Bravo" in consent.text


@pytest.mark.http
def test_the_accepted_invitation_lets_the_person_sign_in_and_read_the_organisations_records(
    base_url, db, make, world  # noqa: ANN001
) -> None:
    make.member(world.alpha, VICTIM, Role.VIEWER, password=OWN_PASSWORD)
    invited = _add(base_url, world.bravo_admin, world.bravo, VICTIM, "VIEWER")
    browser = Browser(base_url)
    try:
        with OAuth2Client(
            client_id=world.app.client_id, redirect_uri=APP, scope="initiatives:read", code_challenge_method="S256", timeout=HTTP_TIMEOUT
        ) as oauth:
            verifier = generate_token(48)
            url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
            consent = browser.sign_in(url, VICTIM, OWN_PASSWORD)  # B is not offered while the invitation waits
            assert forms(consent.text).radios["organisation"] == [str(world.alpha.id)]
            assert _use_link(base_url, invited["invitationUrl"], password=OWN_PASSWORD).status_code == 200
            url, _ = oauth.create_authorization_url(f"{base_url}/oauth/authorize", code_verifier=verifier)
            callback = browser.authorize(url, VICTIM, OWN_PASSWORD, organisation=world.bravo.id)
            token = oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)
    finally:
        browser.close()
    read = _graphql(base_url, token["access_token"], READ, {"id": gid("Initiative", world.secret.id)})
    assert read["data"]["node"] == {"title": "Bravo's case triage"}


def test_an_administrator_sees_only_the_name_their_own_organisation_gave(client, db, make) -> None:  # noqa: ANN001
    alpha, bravo = make.organisation("alpha"), make.organisation("bravo")
    alpha_admin = make.token(alpha, ["org:admin", "org:read"], user=make.member(alpha, "admin@alpha.example"))
    bravo_admin = make.token(bravo, ["org:admin", "org:read"], user=make.member(bravo, "admin@bravo.example"))
    for email, name in (("named@x.example", "Name typed by Alpha"), ("quiet@x.example", "Alias only Alpha knows")):
        values = {"organisation": gid("Organisation", alpha.id), "email": email, "name": name, "role": "VIEWER"}
        assert user_errors(mutate(client, "addMember", values, alpha_admin, "invitationUrl")) == []
    by_bravo = {"organisation": gid("Organisation", bravo.id), "email": "named@x.example", "name": "Bravo's own", "role": "VIEWER"}
    payload = mutate(client, "addMember", by_bravo, bravo_admin, "membership { user { name } } invitationUrl")
    assert payload["membership"]["user"]["name"] == "Bravo's own"
    unnamed = {"organisation": gid("Organisation", bravo.id), "email": "quiet@x.example", "role": "VIEWER"}
    payload = mutate(client, "addMember", unnamed, bravo_admin, "membership { user { name } } invitationUrl")
    assert payload["membership"]["user"]["name"] == "quiet"

    def names(token: str, slug: str) -> dict[str, str]:
        answer = client.post("/graphql", json={"query": MEMBERS, "variables": {"slug": slug}}, headers={"Authorization": f"Bearer {token}"})
        return {m["user"]["email"]: m["user"]["name"] for m in answer.json()["data"]["organisation"]["members"]}

    assert names(bravo_admin, "bravo") == {"admin@bravo.example": "admin", "named@x.example": "Bravo's own", "quiet@x.example": "quiet"}
    assert names(alpha_admin, "alpha") == {
        "admin@alpha.example": "admin", "named@x.example": "Name typed by Alpha", "quiet@x.example": "Alias only Alpha knows"
    }


def test_an_invited_admin_does_not_keep_the_organisation_administered(client, db, make) -> None:  # noqa: ANN001
    alpha = make.organisation("alpha")
    only_admin = make.member(alpha, "admin@alpha.example", Role.ADMIN)
    token = make.token(alpha, ["org:admin"], user=only_admin)
    values = {"organisation": gid("Organisation", alpha.id), "email": "next@alpha.example", "role": "ADMIN"}
    assert user_errors(mutate(client, "addMember", values, token, "invitationUrl")) == []
    change = {"membership": gid("Membership", membership_of(db, alpha, only_admin).id), "role": "VIEWER"}
    payload = mutate(client, "changeMemberRole", change, lab_admin_token(make), "membership { role }")
    assert user_errors(payload) == [(["input", "role"], "LAST_ADMIN")]
    db.expire_all()
    assert db.exec(select(Membership).where(Membership.user_id == only_admin.id)).one().role is Role.ADMIN


@pytest.mark.http
def test_of_two_invitations_of_a_new_address_only_the_first_used_sets_the_password(base_url, db, world) -> None:  # noqa: ANN001
    by_alpha = _add(base_url, world.alpha_admin, world.alpha, "new@x.example", "VIEWER")
    by_bravo = _add(base_url, world.bravo_admin, world.bravo, "new@x.example", "VIEWER")
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:  # B's page, opened while the account has no password yet
        page = browser.get(_on(base_url, by_bravo["invitationUrl"]))
        assert page.text.count('autocomplete="new-password"') == 2
        done = _use_link(base_url, by_alpha["invitationUrl"], password=OWN_PASSWORD, password_confirmation=OWN_PASSWORD)
        assert done.status_code == 200
        # B's form, sent after A's link set the password, can no longer choose one.
        code = re.search(r'name="code" value="([^"]+)"', page.text).group(1)
        fields = {"csrf_token": _form_token(page), "code": code, "password": "chosen by bravo's admin",
                  "password_confirmation": "chosen by bravo's admin"}
        late = browser.post(f"{base_url}/account/password", data=fields, headers={"Origin": base_url})
    assert late.status_code == 401
    db.expire_all()
    person = db.exec(select(User).where(User.email == "new@x.example")).one()
    assert verify_password(OWN_PASSWORD, person.password_hash)
    assert membership_of(db, world.alpha, person).accepted_at is not None
    assert membership_of(db, world.bravo, person).accepted_at is None
    accepted = _use_link(base_url, by_bravo["invitationUrl"], password=OWN_PASSWORD)
    assert accepted.status_code == 200
    db.expire_all()
    assert membership_of(db, world.bravo, person).accepted_at is not None
