"""The guessing limits hold for the whole service, not per process (docs/operations.md, "State shared
between processes"): two `coplab serve` processes on one database, failures alternated between
them, reach the limit at the configured count in total, and then both answer 429 with Retry-After.
The counts themselves are pinned in test_guessing.py."""

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from api.auth.principal import Role
from api.core.settings import Settings
from tests.factories import gid
from tests.oauth.sign_in import Browser, forms
from tests.server import coplab_environment, coplab_serve
from tests.server import HTTP_TIMEOUT

LIMIT, SOURCE_LIMIT = 3, 7  # small, and different from the defaults, so the servers must read them
APP = "https://app.coplab.example/callback"
PASSWORD = "correct horse battery staple"
ATTACKER, PROBER = "127.0.0.2", "127.0.0.4"


@pytest.fixture
def servers(database_url: str, settings: Settings) -> Iterator[list[str]]:
    """Two API processes, as a deployment runs them, on the test database, behind one public
    address (the issuer the tests' tokens name)."""
    env = coplab_environment(
        database_url,
        COPLAB_ISSUER=settings.issuer,
        COPLAB_TOKEN_FAILURE_LIMIT=str(LIMIT),
        COPLAB_TOKEN_SOURCE_FAILURE_LIMIT=str(SOURCE_LIMIT),
        COPLAB_SIGN_IN_FAILURE_LIMIT=str(LIMIT),
        COPLAB_SIGN_IN_SOURCE_FAILURE_LIMIT=str(SOURCE_LIMIT),
    )
    with ExitStack() as stack:
        yield [stack.enter_context(coplab_serve(env)) for _ in range(2)]


def _token(base_url: str, client_id: str, secret: str, *, source: str) -> httpx.Response:
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=HTTP_TIMEOUT) as http:
        return http.post(
            f"{base_url}/oauth/token",
            content=urlencode({"grant_type": "client_credentials"}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"},
        )


def _limited(answer: httpx.Response) -> bool:
    return answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1


def test_failed_client_authentications_count_across_processes(servers, make) -> None:  # noqa: ANN001
    victim, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    for attempt in range(LIMIT):
        guess = _token(servers[attempt % 2], victim.client_id, "guess", source=ATTACKER)
        assert guess.status_code == 401, (attempt, guess.text)
    for base_url in servers:  # each process has seen fewer than LIMIT failures itself
        refused = _token(base_url, victim.client_id, secret, source=ATTACKER)
        assert _limited(refused), refused.text
        assert refused.json()["error"] == "too_many_requests" and "access_token" not in refused.json()
    assert _token(servers[1], victim.client_id, secret, source="127.0.0.1").status_code == 200  # the holder


def test_one_source_across_many_client_ids_is_limited_across_processes(servers, make) -> None:  # noqa: ANN001
    real, secret = make.oauth_client(make.organisation("hotline"), ["initiatives:read"])
    for number in range(SOURCE_LIMIT):
        answer = _token(servers[number % 2], f"cpl_probe{number}", "guess", source=PROBER)
        assert answer.status_code == 401, (number, answer.text)
    for base_url in servers:
        assert _limited(_token(base_url, real.client_id, secret, source=PROBER))


def test_wrong_passwords_count_across_processes(servers, make) -> None:  # noqa: ANN001
    hotline = make.organisation("hotline")
    make.member(hotline, "ana@example.org", Role.EDITOR, password=PASSWORD)
    app, _ = make.web_client(hotline, ["initiatives:read"], [APP])
    with OAuth2Client(client_id=app.client_id, redirect_uri=APP, scope="initiatives:read", code_challenge_method="S256", timeout=HTTP_TIMEOUT) as oauth:
        url, _ = oauth.create_authorization_url("/oauth/authorize", code_verifier=generate_token(48))
    browsers = [Browser(base_url, source=ATTACKER) for base_url in servers]
    try:
        for attempt in range(LIMIT):
            wrong = browsers[attempt % 2].sign_in(url, "ana@example.org", "not the password")
            assert wrong.status_code == 401 and "not right" in wrong.text, attempt
        for browser in browsers:
            limited = browser.sign_in(url, "ana@example.org", PASSWORD)
            assert _limited(limited) and "Too many failed sign-ins" in limited.text
    finally:
        for browser in browsers:
            browser.close()


ADD = """mutation($i: AddMemberInput!) { addMember(input: $i) { invitationUrl userErrors { field code } } }"""


def _accept(base_url: str, invitation_url: str, password: str) -> httpx.Response:
    """Open the invitation link on `base_url` from the attacker's address and accept with `password`."""
    link = urlsplit(invitation_url)
    with httpx.Client(transport=httpx.HTTPTransport(local_address=ATTACKER), timeout=HTTP_TIMEOUT) as browser:
        page = browser.get(f"{base_url}{link.path}?{link.query}")
        assert page.status_code == 200, page.text
        fields = forms(page.text).fields
        return browser.post(
            f"{base_url}/account/password", data={**fields, "password": password}, headers={"Origin": base_url}
        )


def test_wrong_passwords_on_an_invitation_link_count_across_processes(servers, make) -> None:  # noqa: ANN001
    """An existing account accepts an invitation with its own password: those guesses count against
    the sign-in limit, in every process."""
    alpha, bravo = make.organisation("alpha"), make.organisation("bravo")
    make.member(alpha, "ana@example.org", Role.EDITOR, password=PASSWORD)
    admin = make.token(bravo, ["org:admin", "org:read"], user=make.member(bravo, "admin@bravo.example"))
    invite = {"organisation": gid("Organisation", bravo.id), "email": "ana@example.org", "role": "VIEWER"}
    added = httpx.post(
        f"{servers[0]}/graphql", json={"query": ADD, "variables": {"i": invite}}, headers={"Authorization": f"Bearer {admin}"}, timeout=HTTP_TIMEOUT
    ).json()["data"]["addMember"]
    assert added["userErrors"] == [] and added["invitationUrl"], added
    for attempt in range(LIMIT):
        wrong = _accept(servers[attempt % 2], added["invitationUrl"], "not the password")
        assert wrong.status_code == 401, (attempt, wrong.text)
    for base_url in servers:
        limited = _accept(base_url, added["invitationUrl"], PASSWORD)
        assert _limited(limited) and "Too many failed sign-ins" in limited.text
