"""Tokens (SECURITY.md 18-21): anonymous callers see public data and write nothing; forged,
expired or misdirected tokens get 401 with `WWW-Authenticate: Bearer error="invalid_token"`;
a read-only token writes nothing."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from sqlmodel import select

from api.auth.keys import ALGORITHM
from api.auth.tokens import LEEWAY_SECONDS, TokenProblem
from api.core.db import utcnow
from api.oauth.models import OAuthClient, OAuthGrant
from api.auth.models import SigningKey
from api.auth.principal import Role
from api.initiatives.models import Initiative, Participation
from api.organisations.models import Membership, Organisation, OrganisationStatus, User
from tests.factories import ALL_SCOPES, gid, graphql
from tests.security.conftest import codes, invalid_token_reason, stored

VIEWER = "{ viewer { kind subject } }"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: dict) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


class Forge:
    """Builds access tokens the way an attacker would, around the server's real key and claims."""

    def __init__(self, make, db, organisation: Organisation) -> None:  # noqa: ANN001
        make.token(organisation)  # makes sure the server has a signing key
        db.rollback()
        row = db.exec(select(SigningKey).where(SigningKey.retired_at.is_(None))).first()
        self.key = ECKey.import_key(json.loads(row.private_jwk))
        self.public = ECKey.import_key(json.loads(row.public_jwk))
        self.settings = make.settings
        self.organisation = organisation
        self.client_id = make.token_client(organisation)

    def claims(self, **changes: object) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": "client:test-client",
            "client_id": self.client_id,
            "org": self.organisation.id,
            "scope": ALL_SCOPES,
            "jti": f"jti-{now}",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def header(self, **changes: object) -> dict:
        header = {"alg": ALGORITHM, "kid": self.key.kid, "typ": "at+jwt"}
        header.update(changes)
        return {k: v for k, v in header.items() if v is not None}

    def signed(self, *, key: ECKey | None = None, header: dict | None = None, **claims: object) -> str:
        """ES256, with the server's key unless another is given."""
        return jwt.encode(header or self.header(), self.claims(**claims), key or self.key, algorithms=[ALGORITHM])


def _hs256(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}".encode()
    return f"{signing_input.decode()}.{_b64(hmac.new(secret, signing_input, hashlib.sha256).digest())}"


# Each bad token, the reason the server gives for refusing it, and how to build it.
BAD_TOKENS: dict[str, tuple[str, Callable[[Forge], str]]] = {
    "alg none": ("BAD_SIGNATURE", lambda f: f"{_segment(f.header(alg='none'))}.{_segment(f.claims())}."),
    "alg none, upper case": ("BAD_SIGNATURE", lambda f: f"{_segment(f.header(alg='NONE'))}.{_segment(f.claims())}."),
    "alg none with the real signature": ("BAD_SIGNATURE", lambda f: ".".join(
        [_segment(f.header(alg="none")), *f.signed().split(".")[1:]]
    )),
    "HS256 keyed with the public key PEM": ("BAD_SIGNATURE", lambda f: _hs256(
        f.header(alg="HS256"), f.claims(), f.public.as_pem(private=False)
    )),
    "HS256 keyed with the public JWK": ("BAD_SIGNATURE", lambda f: jwt.encode(
        f.header(alg="HS256"),
        f.claims(),
        OctKey.import_key(json.dumps(f.public.as_dict(private=False)).encode()),
        algorithms=["HS256"],
    )),
    "unknown kid": ("UNKNOWN_KEY", lambda f: f.signed(
        key=ECKey.generate_key("P-256", parameters={"kid": "attacker-key"}),
        header=f.header(kid="attacker-key"),
    )),
    "the server's kid, another key": ("BAD_SIGNATURE", lambda f: f.signed(key=ECKey.generate_key("P-256"))),
    "no kid": ("MALFORMED_TOKEN", lambda f: f.signed(header=f.header(kid=None))),
    "signature of another token": ("BAD_SIGNATURE", lambda f: ".".join(
        [*f.signed(scope="initiatives:read").split(".")[:2], f.signed().split(".")[2]]
    )),
    "claims changed after signing": ("BAD_SIGNATURE", lambda f: ".".join(
        [f.signed().split(".")[0], _segment(f.claims(scope=f"{ALL_SCOPES} lab:admin")), f.signed().split(".")[2]]
    )),
    "wrong iss": ("WRONG_ISSUER", lambda f: f.signed(iss="https://evil.example")),
    "no iss": ("MISSING_CLAIM", lambda f: f.signed(iss=None)),
    "wrong aud": ("WRONG_AUDIENCE", lambda f: f.signed(aud="another-api")),
    "aud list without ours": ("WRONG_AUDIENCE", lambda f: f.signed(aud=["another-api", "a-third-api"])),
    "no aud": ("MISSING_CLAIM", lambda f: f.signed(aud=None)),
    "typ JWT": ("NOT_AN_ACCESS_TOKEN", lambda f: f.signed(header=f.header(typ="JWT"))),
    "no typ": ("NOT_AN_ACCESS_TOKEN", lambda f: f.signed(header=f.header(typ=None))),
    "expired": ("EXPIRED", lambda f: f.signed(
        iat=int(time.time()) - 3600, nbf=int(time.time()) - 3600, exp=int(time.time()) - 600
    )),
    "not yet valid": ("NOT_YET_VALID", lambda f: f.signed(nbf=int(time.time()) + 3600, exp=int(time.time()) + 7200)),
    "no exp": ("MISSING_CLAIM", lambda f: f.signed(exp=None)),
    "no sub": ("MISSING_CLAIM", lambda f: f.signed(sub=None)),
    "no org": ("MISSING_CLAIM", lambda f: f.signed(org=None)),
    "org as a string": ("INVALID_CLAIMS", lambda f: f.signed(org=str(f.organisation.id))),
    "org that does not exist": ("ORGANISATION_INACTIVE", lambda f: f.signed(org=999_999)),
    "unknown subject kind": ("INVALID_CLAIMS", lambda f: f.signed(sub="robot:1")),
    "user who is not a member": ("NOT_A_MEMBER", lambda f: f.signed(sub="user:999999")),
    "user subject not a number": ("INVALID_CLAIMS", lambda f: f.signed(sub="user:admin")),
    "garbage": ("MALFORMED_TOKEN", lambda f: "garbage"),
    "three dots": ("MALFORMED_TOKEN", lambda f: "a.b.c"),
    "header not JSON": ("MALFORMED_TOKEN", lambda f: f"{_b64(b'not json')}.{_segment(f.claims())}.sig"),
    "header a JSON list": ("MALFORMED_TOKEN", lambda f: f"{_b64(b'[1]')}.{_segment(f.claims())}.sig"),
    "header not base64": ("MALFORMED_TOKEN", lambda f: "%%%.%%%.%%%"),
}


def _assert_invalid_token(response, reason: str) -> None:  # noqa: ANN001
    assert invalid_token_reason(response) == reason
    if reason not in {"WRONG_ISSUER", "WRONG_AUDIENCE", "MISSING_CLAIM"}:  # these name the claim and its value
        assert response.json()["errors"][0]["message"] == TokenProblem[reason].description


@pytest.mark.parametrize("case", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_bad_token_is_401_invalid_token(client, make, db, case: tuple[str, Callable[[Forge], str]]) -> None:  # noqa: ANN001
    reason, build = case
    lead = make.organisation("lead")
    make.initiative(lead, "Private work", visibility="ORGANISATION")
    forge = Forge(make, db, lead)
    token = build(forge)
    for query in (VIEWER, "{ initiatives { edges { node { title } } } }"):
        response = client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
        _assert_invalid_token(response, reason)
    response = client.post(
        "/graphql",
        json={"query": 'mutation { createInitiative(input: {title: "Forged", status: "IMPLEMENTATION"}) '
                       "{ userErrors { code } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    _assert_invalid_token(response, reason)
    assert [r["title"] for r in stored(db, Initiative.__table__)] == ["Private work"]


def test_the_forge_makes_a_good_token_when_nothing_is_wrong(client, make, db) -> None:  # noqa: ANN001
    """The forger's unaltered token works, so each bad token above fails for its one defect."""
    lead = make.organisation("lead")
    make.initiative(lead, "Private work", visibility="ORGANISATION")
    token = Forge(make, db, lead).signed()
    body = graphql(client, "{ viewer { kind } initiatives { edges { node { title } } } }", token=token)
    assert body["data"]["viewer"]["kind"] == "client"
    assert [e["node"]["title"] for e in body["data"]["initiatives"]["edges"]] == ["Private work"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "eyJhbGciOiJFUzI1NiJ9.e30.sig", "Bearer:abc"],
)
def test_a_malformed_authorization_header_is_401(client, header: str) -> None:
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": header})
    _assert_invalid_token(response, "MALFORMED_HEADER")


def test_the_scheme_is_case_insensitive(client) -> None:  # noqa: ANN001
    """RFC 6750 after RFC 7235: `bearer` is the same scheme, so the token itself is judged."""
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": "bearer garbage"})
    _assert_invalid_token(response, "MALFORMED_TOKEN")


@pytest.mark.parametrize(
    ("reason", "seconds_off"),
    # Five seconds either side of the leeway, not one: the clock moves on between minting and
    # checking, and a token one second beyond it was once accepted on a loaded machine.
    [("EXPIRED", -35), (None, -25), ("NOT_YET_VALID", 35), (None, 25)],
    ids=["expired beyond the leeway", "expired within the leeway", "valid beyond the leeway", "valid within it"],
)
def test_the_clock_leeway_is_30_seconds(client, make, db, reason: str | None, seconds_off: int) -> None:  # noqa: ANN001
    """docs/auth.md: `exp`, `nbf` and `iat` are given 30 seconds of leeway, no more."""
    assert LEEWAY_SECONDS == 30
    forge = Forge(make, db, make.organisation("lead"))
    now = int(time.time())
    if seconds_off < 0:
        token = forge.signed(iat=now - 900, nbf=now - 900, exp=now + seconds_off)
    else:
        token = forge.signed(iat=now + seconds_off, nbf=now + seconds_off, exp=now + 900)
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})
    if reason is None:
        assert response.json()["data"]["viewer"]["kind"] == "client"
    else:
        _assert_invalid_token(response, reason)


def test_an_expired_token_is_401_invalid_token(client, make, db) -> None:  # noqa: ANN001
    """SECURITY.md 19, with the server's own minting: a token past its lifetime (and the leeway)."""
    lead = make.organisation("lead")
    user = make.member(lead, "someone@lead.example")
    expired = make.token(lead, user=user, lifetime=60, now=int(time.time()) - 600)
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {expired}"})
    _assert_invalid_token(response, "EXPIRED")
    fresh = make.token(lead, user=user)
    assert graphql(client, VIEWER, token=fresh)["data"]["viewer"]["kind"] == "user"


@pytest.mark.parametrize("status", [OrganisationStatus.SUSPENDED])
def test_a_token_for_a_suspended_organisation_is_401(client, make, db, status: OrganisationStatus) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    user = make.member(lead, "someone@lead.example")
    token = make.token(lead, user=user)
    client_token = make.token(lead)
    assert graphql(client, VIEWER, token=token)["data"]["viewer"]["kind"] == "user"
    lead.status = status
    db.add(lead)
    db.commit()
    for bearer in (token, client_token):
        response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {bearer}"})
        _assert_invalid_token(response, "ORGANISATION_INACTIVE")


def test_a_revoked_token_is_401_revoked(client, make, db) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    token = make.token(lead)
    assert graphql(client, VIEWER, token=token)["data"]["viewer"]["kind"] == "client"
    db.rollback()
    client_row = db.exec(select(OAuthClient).where(OAuthClient.organisation_id == lead.id)).one()
    client_row.revoked_at = utcnow()
    db.add(client_row)
    db.commit()
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})
    _assert_invalid_token(response, "REVOKED")


def test_a_token_of_another_issuer_names_both_issuers(client, make, db, settings) -> None:  # noqa: ANN001
    """A token minted for a server on another address, signed by this server's own key."""
    forged = Forge(make, db, make.organisation("lead")).signed(iss='http://127.0.0.1:9999"\r\nX-Injected: 1')
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {forged}"})
    _assert_invalid_token(response, "WRONG_ISSUER")
    assert response.json()["errors"][0]["message"] == (
        "The access token was issued by http://127.0.0.1:9999X-Injected: 1, not by this server "
        f"({settings.issuer}): get a token from this server (coplab token mint --issuer, or COPLAB_ISSUER)."
    )
    assert "x-injected" not in response.headers


def test_the_details_are_logged_and_the_token_is_not(client, make, db, caplog) -> None:  # noqa: ANN001
    lead = make.organisation("lead")
    forged = Forge(make, db, lead).signed(iss="https://evil.example")
    caplog.set_level("INFO")
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {forged}"})
    _assert_invalid_token(response, "WRONG_ISSUER")
    assert any("rejected bearer token: WRONG_ISSUER" in r.getMessage() for r in caplog.records)
    assert not any(forged in r.getMessage() for r in caplog.records)


# --- 18. no token ---------------------------------------------------------------------------------

MUTATIONS = {
    "createInitiative": ('mutation { createInitiative(input: {title: "x", status: "IMPLEMENTATION"}) '
                         "{ userErrors { code } } }"),
    "updateInitiative": 'mutation($id: ID!) { updateInitiative(input: {id: $id, title: "x"}) { userErrors { code } } }',
    "deleteInitiative": "mutation($id: ID!) { deleteInitiative(input: {id: $id}) { userErrors { code } } }",
    "addParticipation": ('mutation($id: ID!, $org: ID!) { addParticipation(input: {initiative: $id, '
                         'organisation: $org, role: "FUNDING"}) { userErrors { code } } }'),
    "removeParticipation": "mutation($part: ID!) { removeParticipation(input: {id: $part}) { userErrors { code } } }",
    "createOrganisation": ('mutation { createOrganisation(input: {slug: "new", name: "New", stakeholderType: "NGO"}) '
                           "{ userErrors { code } } }"),
    "updateOrganisation": 'mutation($org: ID!) { updateOrganisation(input: {id: $org, name: "x"}) { userErrors { code } } }',
    "setOrganisationStatus": ("mutation($org: ID!) { setOrganisationStatus(input: {id: $org, status: SUSPENDED}) "
                              "{ userErrors { code } } }"),
    "addMember": ('mutation($org: ID!) { addMember(input: {organisation: $org, email: "a@b.example", role: ADMIN}) '
                  "{ userErrors { code } } }"),
    "changeMemberRole": ("mutation($membership: ID!) { changeMemberRole(input: {membership: $membership, role: VIEWER}) "
                         "{ userErrors { code } } }"),
    "removeMember": "mutation($membership: ID!) { removeMember(input: {membership: $membership}) { userErrors { code } } }",
}


def _snapshot(db) -> dict:  # noqa: ANN001
    return {t.name: stored(db, t) for t in (Organisation.__table__, Initiative.__table__, Participation.__table__,
                                             Membership.__table__, User.__table__)}


@pytest.fixture
def records(make, db):  # noqa: ANN001, ANN201
    lead = make.organisation("lead")
    partner = make.organisation("partner")
    admin = make.member(lead, "admin@lead.example", Role.ADMIN)
    initiative = make.initiative(lead, "Public", partners=[(partner, "IMPLEMENTING")])
    make.initiative(lead, "Members", visibility="MEMBERS")
    make.initiative(lead, "Own", visibility="ORGANISATION")
    make.organisation("waiting", status=OrganisationStatus.PENDING)
    db.rollback()
    participation = db.exec(select(Participation.id)).one()
    membership = db.exec(select(Membership.id).where(Membership.user_id == admin.id)).one()
    return {
        "id": gid("Initiative", initiative.id),
        "org": gid("Organisation", lead.id),
        "part": gid("Participation", participation),
        "membership": gid("Membership", membership),
        "lead": lead,
        "admin": admin,
    }


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_mutation_without_a_token_is_unauthenticated(client, db, records, name: str) -> None:  # noqa: ANN001
    before = _snapshot(db)
    mutation = MUTATIONS[name]
    variables = {k: v for k, v in records.items() if f"${k}" in mutation}
    body = graphql(client, mutation, variables)
    assert codes(body) == ["UNAUTHENTICATED"], body
    assert body["data"] is None
    assert _snapshot(db) == before


def test_no_token_sees_public_data_only(client, records) -> None:  # noqa: ANN001
    body = graphql(
        client,
        """{ viewer { kind scopes } initiatives(first: 100) { totalCount edges { node { title visibility } } }
             organisations(first: 100) { edges { node { slug members { role } } } } }""",
    )
    assert body["data"]["viewer"] == {"kind": "anonymous", "scopes": []}
    assert body["data"]["initiatives"]["edges"] == [{"node": {"title": "Public", "visibility": "PUBLIC"}}]
    assert body["data"]["initiatives"]["totalCount"] == 1
    organisations = body["data"]["organisations"]["edges"]
    assert sorted(e["node"]["slug"] for e in organisations) == ["lead", "partner"]
    assert all(e["node"]["members"] == [] for e in organisations)


def test_a_token_in_the_query_string_is_ignored(client, make, db, records) -> None:  # noqa: ANN001
    """RFC 9700: `?access_token=` is never read, so the request is anonymous."""
    token = make.token(records["lead"], user=records["admin"])
    before = _snapshot(db)
    response = client.post(f"/graphql?access_token={token}", json={"query": VIEWER})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["kind"] == "anonymous"
    response = client.post(f"/graphql?access_token={token}", json={"query": MUTATIONS["createInitiative"]})
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    # Nor in the body next to the query.
    response = client.post("/graphql", json={"query": VIEWER, "access_token": token})
    assert response.json()["data"]["viewer"]["kind"] == "anonymous"
    assert _snapshot(db) == before
    # In the header, the same token is honoured.
    assert graphql(client, VIEWER, token=token)["data"]["viewer"]["kind"] == "user"


# --- 21. a read-only token cannot write ---------------------------------------------------------------

READ_ONLY = "initiatives:read assessments:read practices:read org:read"


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_read_only_token_is_forbidden_to_write(client, make, db, records, name: str) -> None:  # noqa: ANN001
    token = make.token(records["lead"], READ_ONLY, user=records["admin"])
    before = _snapshot(db)
    mutation = MUTATIONS[name]
    variables = {k: v for k, v in records.items() if f"${k}" in mutation}
    body = graphql(client, mutation, variables, token)
    if name == "updateOrganisation":
        # Checked with the organisation's admin rights, so refused as a user error (same code).
        assert body["data"][name]["userErrors"] == [{"code": "FORBIDDEN"}], body
    else:
        assert codes(body) == ["FORBIDDEN"], body
        assert body["data"] is None
    assert _snapshot(db) == before


def test_a_read_only_token_still_reads(client, make, records) -> None:  # noqa: ANN001
    token = make.token(records["lead"], READ_ONLY, user=records["admin"])
    body = graphql(client, "{ initiatives { totalCount } }", token=token)
    assert body["data"]["initiatives"]["totalCount"] == 3


def test_a_write_scope_without_the_role_writes_nothing(client, make, db, records) -> None:  # noqa: ANN001
    viewer = make.member(records["lead"], "viewer@lead.example", Role.VIEWER)
    token = make.token(records["lead"], ALL_SCOPES, user=viewer)
    before = _snapshot(db)
    body = graphql(client, MUTATIONS["createInitiative"], token=token)
    assert body["data"]["createInitiative"]["userErrors"] == [{"code": "FORBIDDEN"}]
    body = graphql(client, MUTATIONS["updateInitiative"], {"id": records["id"]}, token)
    assert body["data"]["updateInitiative"]["userErrors"] == [{"code": "FORBIDDEN"}]
    assert _snapshot(db) == before


def test_a_persons_token_stands_only_in_the_organisation_of_its_sign_in(client, make, db) -> None:  # noqa: ANN001
    """A person's token names its sign-in (`sid`); the sign-in must be in the organisation the token
    acts for. A person of two organisations, signed in for the first through the Lab's web app: a
    token signed with the server's key that names that sign-in but acts for the second is refused."""
    first, second = make.organisation("first"), make.organisation("second")
    person = make.member(first, "both@first.example", Role.ADMIN)
    make.member(second, "both@first.example", Role.ADMIN)
    web_app, _ = make.web_client(first, ["initiatives:read"], ["http://localhost:5173/callback"], all_organisations=True)
    grant = OAuthGrant(
        client_id=web_app.client_id, user_id=person.id, organisation_id=first.id, scope="initiatives:read",
        expires_at=utcnow() + timedelta(days=1),
    )
    db.add(grant)
    db.commit()
    forge = Forge(make, db, first)
    person_claims = {"sub": f"user:{person.id}", "client_id": web_app.client_id, "scope": "initiatives:read",
                     "sid": str(grant.id)}
    own = forge.signed(org=first.id, **person_claims)
    assert graphql(client, "{ viewer { organisation { slug } } }", token=own)["data"]["viewer"] == {
        "organisation": {"slug": "first"}
    }
    elsewhere = forge.signed(org=second.id, **person_claims)
    response = client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {elsewhere}"})
    _assert_invalid_token(response, "REVOKED")
