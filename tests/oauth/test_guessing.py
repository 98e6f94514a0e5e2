"""Guessing client secrets and passwords, from several sources at once (SECURITY.md 38, docs/auth.md):
a guess counts against the client or person it is a guess for, however the id is written, and is
audited in the owning organisation's log; failures from one source never lock the holder out from
another; one source cannot spread its guesses over many ids. Distinct sources are distinct loopback
addresses (127.0.0.x) that the test clients connect from."""

import base64
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import httpx
import pytest
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc6749 import ClientAuthentication, InvalidClientError
from starlette.datastructures import Headers

from api.auth.principal import Role
from api.oauth.limits import FailureLimiter, GuessingLimits, source_of
from api.oauth.models import FailedAttempt, OAuthClient
from api.oauth.routes import presented_client
from api.oauth.secrets import digest
from api.oauth.server import StarletteOAuth2Request
from api.core.settings import Settings
from tests.factories import graphql
from tests.oauth.sign_in import Browser, query
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

ATTACKER, HOLDER, PROBER, ELSEWHERE = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"
EVENTS = "{ auditEvents(first: 100) { edges { node { kind clientId subject remoteAddress } } } }"
APP = "https://app.coplab.example/callback"
PASSWORD = "correct horse battery staple"
SCOPES = "initiatives:read"
FAILED = {"error": "invalid_client", "error_description": "Client authentication failed."}


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


def _from(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=HTTP_TIMEOUT)


def _basic(user: str, password: str | None = None) -> dict[str, str]:
    credentials = user if password is None else f"{user}:{password}"
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def _token(http: httpx.Client, base_url: str, *, data: dict | list, headers: dict | None = None) -> httpx.Response:
    """POST to the token endpoint; a list of pairs keeps repeated parameters in their order."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    return http.post(f"{base_url}/oauth/token", content=urlencode(data), headers=headers)


def _events(client, token: str) -> list[dict]:  # noqa: ANN001
    body = graphql(client, EVENTS, token=token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["auditEvents"]["edges"]]


def _fetch_token(base_url: str, client_id: str, secret: str, source: str) -> dict:
    """Client credentials through Authlib's client, connecting from `source`."""
    with OAuth2Client(
        client_id=client_id, client_secret=secret, transport=httpx.HTTPTransport(local_address=source), timeout=HTTP_TIMEOUT
    ) as oauth:
        return oauth.fetch_token(f"{base_url}/oauth/token", grant_type="client_credentials")


def test_guessing_a_secret_from_one_source_does_not_lock_the_holder_out_from_another(
    base_url, client, make, settings  # noqa: ANN001
) -> None:
    organisation = make.organisation("hotline")
    victim, secret = make.oauth_client(organisation, ["initiatives:read"])
    with _from(ATTACKER) as attacker:
        for _ in range(settings.token_failure_limit):
            guess = _token(attacker, base_url, data={"grant_type": "client_credentials"}, headers=_basic(victim.client_id, "guess"))
            assert guess.status_code == 401 and guess.json() == FAILED
        refused = _token(attacker, base_url, data={"grant_type": "client_credentials"}, headers=_basic(victim.client_id, secret))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1  # even the right secret, from there

    issued = _fetch_token(base_url, victim.client_id, secret, HOLDER)  # the holder, from its own address
    assert issued["access_token"] and issued["scope"] == "initiatives:read"

    admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@hotline.example"))
    events = [(e["kind"], e["clientId"], e["remoteAddress"]) for e in _events(client, admin)]
    assert events == [("TOKEN_ISSUED", victim.client_id, HOLDER), ("RATE_LIMITED", victim.client_id, ATTACKER)] + [
        ("CLIENT_AUTHENTICATION_FAILED", victim.client_id, ATTACKER)
    ] * settings.token_failure_limit


def _decoy_guesses(victim_id: str, decoy_id: str) -> list[tuple[list[tuple[str, str]], dict[str, str]]]:
    """Requests whose secret guess is for the victim while another client id is named somewhere."""
    grant = [("grant_type", "client_credentials")]
    return [
        # A Basic header naming the decoy without a secret: Authlib checks the form's secret for the victim.
        (grant + [("client_id", victim_id), ("client_secret", "guess-1")], _basic(decoy_id)),
        (grant + [("client_id", victim_id), ("client_secret", "guess-2")], _basic(decoy_id, "")),
        # The victim first, the decoy repeated after it.
        (grant + [("client_id", victim_id), ("client_id", decoy_id), ("client_secret", "guess-3")], {}),
        # Both ways of authenticating at once: two guesses for the price of one.
        (grant + [("client_id", victim_id), ("client_secret", "guess-4")], _basic(victim_id, "guess-5")),
        # The victim's id percent-encoded in the Basic header, as RFC 6749 §2.3.1 allows.
        (grant, _basic(quote(victim_id, safe=""), "guess-6")),
    ]


@pytest.mark.parametrize("decoy", ["unknown", "other organisation's client"])
def test_a_guess_behind_a_decoy_client_id_counts_against_the_real_client_and_lands_in_its_log(
    base_url, client, make, settings, decoy  # noqa: ANN001
) -> None:
    organisation = make.organisation("hotline")
    victim, secret = make.oauth_client(organisation, ["initiatives:read"])
    other = make.organisation("decoys")
    decoy_id = "cpl_decoy" if decoy == "unknown" else make.oauth_client(other, ["initiatives:read"])[0].client_id
    guesses = _decoy_guesses(victim.client_id, decoy_id)
    assert len(guesses) == settings.token_failure_limit
    with _from(ATTACKER) as attacker:
        for data, headers in guesses:
            answer = _token(attacker, base_url, data=data, headers=headers)
            assert answer.status_code in (400, 401) and "access_token" not in answer.json(), answer.text
        right = _token(attacker, base_url, data={"grant_type": "client_credentials"}, headers=_basic(victim.client_id, secret))
        assert right.status_code == 429  # the victim's limit from this source is used up

    admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@hotline.example"))
    events = _events(client, admin)
    assert [e["kind"] for e in events] == ["RATE_LIMITED"] + ["CLIENT_AUTHENTICATION_FAILED"] * len(guesses)
    assert {(e["clientId"], e["remoteAddress"]) for e in events} == {(victim.client_id, ATTACKER)}
    assert _fetch_token(base_url, victim.client_id, secret, HOLDER)["access_token"]


def test_a_decoy_id_can_no_longer_carry_the_right_secret_past_the_check(base_url, make) -> None:  # noqa: ANN001
    """The same trick with the right secret was an authentication; now it is refused as ambiguous."""
    victim, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    with _from(ATTACKER) as attacker:
        answer = _token(
            attacker,
            base_url,
            data={"grant_type": "client_credentials", "client_id": victim.client_id, "client_secret": secret},
            headers=_basic("cpl_decoy"),
        )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "access_token" not in answer.json()


def test_case_whitespace_and_unreadable_variants_of_a_client_id_name_no_client(base_url, make) -> None:  # noqa: ANN001
    """Client ids are compared exactly, on SQLite and PostgreSQL: a variant is an unknown id, answered
    exactly like a wrong secret, and never reaches the database when it cannot be an id at all."""
    victim, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    variants = [victim.client_id.upper(), f" {victim.client_id}", f"{victim.client_id} ", "x" * 300, "cpl_\x00nul"]
    with _from(PROBER) as prober:
        wrong_secret = _token(prober, base_url, data={"grant_type": "client_credentials"}, headers=_basic(victim.client_id, "guess"))
        for variant in variants:
            answer = _token(
                prober, base_url, data={"grant_type": "client_credentials", "client_id": variant, "client_secret": secret}
            )
            assert (answer.status_code, answer.json()) == (401, FAILED), variant
    assert (wrong_secret.status_code, wrong_secret.json()) == (401, FAILED)  # nothing tells an unknown id from a known one


def test_one_source_guessing_across_unknown_client_ids_is_limited(base_url, client, make, settings) -> None:  # noqa: ANN001
    organisation = make.organisation("hotline")
    real, secret = make.oauth_client(organisation, ["initiatives:read"])
    with _from(PROBER) as prober:
        for number in range(settings.token_source_failure_limit):
            answer = _token(prober, base_url, data={"grant_type": "client_credentials"}, headers=_basic(f"cpl_probe{number}", "guess"))
            assert (answer.status_code, answer.json()) == (401, FAILED)
        assert _token(prober, base_url, data={"grant_type": "client_credentials"}, headers=_basic("cpl_next", "x")).status_code == 429
        blocked = _token(prober, base_url, data={"grant_type": "client_credentials"}, headers=_basic(real.client_id, secret))
        assert blocked.status_code == 429  # this source may not try anything for a while

    assert _fetch_token(base_url, real.client_id, secret, ELSEWHERE)["access_token"]
    admin = make.token(organisation, ["audit:read"], user=make.member(organisation, "admin@hotline.example"))
    assert [e["kind"] for e in _events(client, admin)] == ["TOKEN_ISSUED", "RATE_LIMITED"]


# Sign-in


@pytest.fixture
def person(make):  # noqa: ANN001, ANN201
    """Ana, an editor of the hotline with a password; a public web app of the hotline."""

    class Person:
        hotline = make.organisation("hotline")
        ana = make.member(hotline, "ana@example.org", Role.EDITOR, password=PASSWORD)
        app, _ = make.web_client(hotline, SCOPES.split(), [APP])

    return Person


def _authorization_url(client_id: str, verifier: str) -> str:
    with OAuth2Client(client_id=client_id, redirect_uri=APP, scope=SCOPES, code_challenge_method="S256", timeout=HTTP_TIMEOUT) as oauth:
        url, _ = oauth.create_authorization_url("/oauth/authorize", code_verifier=verifier)
    return url


def _signs_in(base_url: str, person, source: str) -> dict:  # noqa: ANN001
    """The whole flow from `source`: sign-in and consent pages, then the code for tokens."""
    verifier = generate_token(48)
    browser = Browser(base_url, source=source)
    try:
        callback = browser.authorize(_authorization_url(person.app.client_id, verifier), "ana@example.org", PASSWORD)
    finally:
        browser.close()
    assert query(callback).get("code"), callback
    with OAuth2Client(
        client_id=person.app.client_id, redirect_uri=APP, transport=httpx.HTTPTransport(local_address=source), timeout=HTTP_TIMEOUT
    ) as oauth:
        return oauth.fetch_token(f"{base_url}/oauth/token", authorization_response=callback, code_verifier=verifier)


def test_wrong_passwords_from_one_source_do_not_lock_the_person_out_from_another(
    base_url, client, make, settings, person  # noqa: ANN001
) -> None:
    url = _authorization_url(person.app.client_id, generate_token(48))
    attacker = Browser(base_url, source=ATTACKER)
    try:
        # However the address is written, it is the same person's count.
        for email in ["ana@example.org", " ANA@example.org", "Ana@Example.Org "] + ["ana@example.org"] * (
            settings.sign_in_failure_limit - 3
        ):
            wrong = attacker.sign_in(url, email, "not the password at all")
            assert wrong.status_code == 401 and "not right" in wrong.text
        limited = attacker.sign_in(url, "ana@example.org", PASSWORD)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    finally:
        attacker.close()

    token = _signs_in(base_url, person, HOLDER)
    assert token["access_token"] and token["scope"] == SCOPES

    admin = make.token(person.hotline, ["audit:read"], user=make.member(person.hotline, "admin@hotline.example"))
    events = [(e["kind"], e["subject"], e["remoteAddress"]) for e in _events(client, admin)]
    failures = [("SIGN_IN_FAILED", "email:ana@example.org", ATTACKER)] * settings.sign_in_failure_limit
    assert events[-1 - len(failures):] == [("RATE_LIMITED", "email:ana@example.org", ATTACKER)] + failures
    assert [kind for kind, _, source in events if source == HOLDER] == ["TOKEN_ISSUED", "AUTHORIZATION_GRANTED"]


def test_one_source_cannot_spread_password_guesses_over_many_addresses(base_url, settings, person) -> None:  # noqa: ANN001
    url = _authorization_url(person.app.client_id, generate_token(48))
    prober = Browser(base_url, source=PROBER)
    try:
        for number in range(settings.sign_in_source_failure_limit):
            assert prober.sign_in(url, f"someone{number}@example.org", "a guessed password").status_code == 401
        assert prober.sign_in(url, "ana@example.org", PASSWORD).status_code == 429
    finally:
        prober.close()
    assert _signs_in(base_url, person, ELSEWHERE)["access_token"]


def test_an_address_that_cannot_be_anyones_is_a_wrong_sign_in_not_an_error(base_url, client, make, person) -> None:  # noqa: ANN001
    url = _authorization_url(person.app.client_id, generate_token(48))
    browser = Browser(base_url, source=PROBER)
    try:
        for email in ["ana\x00@example.org", "ana@example.org\x1b", "a" * 400 + "@example.org"]:
            wrong = browser.sign_in(url, email, PASSWORD)
            assert wrong.status_code == 401 and "not right" in wrong.text, email
    finally:
        browser.close()


# The counts themselves


def test_failures_count_per_identity_and_source_together_and_per_source(engine) -> None:  # noqa: ANN001
    now = [1000.0]
    limits = GuessingLimits(
        per_identity_and_source=FailureLimiter(kind="token", limit=2, window_seconds=60, clock=lambda: now[0]),
        per_source=FailureLimiter(kind="token:source", limit=3, window_seconds=60, clock=lambda: now[0]),
    )
    limits.failed(engine, identities=["client:a"], source="10.0.0.1")
    limits.failed(engine, identities=["client:a"], source="10.0.0.1")
    assert limits.retry_after(engine, identities=["client:a"], source="10.0.0.1") == 61
    assert limits.retry_after(engine, identities=["client:a"], source="10.0.0.2") is None  # the holder, elsewhere
    assert limits.retry_after(engine, identities=["client:b"], source="10.0.0.1") is None
    limits.failed(engine, identities=["client:b"], source="10.0.0.1")
    assert limits.retry_after(engine, identities=["client:c"], source="10.0.0.1") == 61  # the source's own limit
    now[0] += 61
    assert limits.retry_after(engine, identities=["client:a"], source="10.0.0.1") is None


def test_an_ipv6_host_is_one_source_for_its_whole_64() -> None:
    assert source_of("2001:db8:1:2:aaaa::1") == source_of("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert source_of("2001:db8:1:3::1") != source_of("2001:db8:1:2::1")
    assert source_of("::ffff:192.0.2.7") == source_of("192.0.2.7") == "192.0.2.7"


def test_expired_failures_are_swept_so_many_distinct_keys_do_not_pile_up(engine) -> None:  # noqa: ANN001
    """The counts live in the database (`failed_attempt`), keys hashed; a failure deletes those of
    its kind that have left the window."""
    now = [0.0]
    limits = GuessingLimits(
        per_identity_and_source=FailureLimiter(kind="token", limit=5, window_seconds=60, clock=lambda: now[0]),
        per_source=FailureLimiter(kind="token:source", limit=20, window_seconds=60, clock=lambda: now[0]),
    )
    for number in range(50):
        limits.failed(engine, identities=[f"client:{number}"], source=f"10.0.{number}.1")
    limits.failed(engine, identities=[f"client:{number}" for number in range(9_999)], source="10.0.0.1")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(FailedAttempt)).scalar_one() == 100 + 10_000
    now[0] += 61
    limits.failed(engine, identities=["client:last"], source="10.0.0.1")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(FailedAttempt.kind, FailedAttempt.key_hash)).all()
    assert sorted(rows) == [
        ("token", FailureLimiter.hashed("client:last from 10.0.0.1")),
        ("token:source", FailureLimiter.hashed("10.0.0.1")),
    ]
    assert "client" not in str(rows) and "10.0.0.1" not in str(rows)  # neither ids nor addresses in clear


def _authorization(value: str) -> dict[str, str]:
    return {"Authorization": value}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Ways of writing client credentials, each with the victim's id somewhere and a decoy elsewhere.
CREDENTIAL_SHAPES = [
    ({}, [("client_id", "victim"), ("client_secret", "guess")]),
    (_basic("victim", "guess"), []),
    (_basic("victim", "guess"), [("client_id", "victim")]),
    (_basic("decoy"), [("client_id", "victim"), ("client_secret", "guess")]),
    (_basic("decoy", ""), [("client_id", "victim"), ("client_secret", "guess")]),
    (_basic("", "guess"), [("client_id", "victim"), ("client_secret", "guess")]),
    (_basic("victim", "guess"), [("client_id", "decoy"), ("client_secret", "guess")]),
    (_basic("victim", "guess"), [("client_id", "victim"), ("client_secret", "guess")]),
    (_basic("vic%74im", "guess"), [("client_id", "decoy")]),
    (_authorization("basic " + _b64("victim:guess")), [("client_id", "decoy"), ("client_secret", "guess")]),
    (_authorization("BASIC   " + _b64("victim:guess")), [("client_id", "decoy"), ("client_secret", "guess")]),
    (_authorization("Basic\t" + _b64("victim:guess") + " "), [("client_id", "decoy"), ("client_secret", "guess")]),
    (_authorization("Basic\t" + _b64("victim:guess")), [("client_id", "decoy"), ("client_secret", "guess")]),
    (_authorization("Basic not-base64!"), [("client_id", "victim"), ("client_secret", "guess")]),
    (_authorization("Bearer " + _b64("decoy:guess")), [("client_id", "victim"), ("client_secret", "guess")]),
    ({}, [("client_id", "victim"), ("client_id", "decoy"), ("client_secret", "guess")]),
    ({}, [("client_id", "decoy"), ("client_id", "victim"), ("client_secret", "guess")]),
    ({}, [("client_id", "victim")]),
    ({}, [("client_secret", "guess"), ("client_id", "victim")]),
]


@pytest.mark.parametrize(("headers", "form"), CREDENTIAL_SHAPES)
def test_every_client_id_authlib_checks_a_secret_for_is_one_the_limits_count(headers, form) -> None:  # noqa: ANN001
    """Whatever the shape of the credentials, either the request is refused before any secret is
    checked, or every client id Authlib looks up is among those counted and audited. Authlib's own
    client authentication runs here, against clients that all exist and all have another secret."""
    request_headers = Headers(headers={"content-type": "application/x-www-form-urlencoded", **headers})
    presented = presented_client(request_headers, form)
    if presented.problem is not None:
        return
    looked_up: list[str] = []

    def query_client(client_id: str) -> OAuthClient:
        looked_up.append(client_id)
        return OAuthClient(client_id=client_id, secret_hash=digest("the real secret"), organisation_id=1, name="c")

    request = StarletteOAuth2Request(
        method="POST", uri="http://127.0.0.1/oauth/token", headers=request_headers, query=[], form=form
    )
    with pytest.raises(InvalidClientError):
        ClientAuthentication(query_client)(request, ["client_secret_basic", "client_secret_post"])
    assert set(looked_up) <= set(presented.named), (looked_up, presented)
    assert presented.client_id in (looked_up or [presented.client_id])
