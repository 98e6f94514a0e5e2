"""Every member an administrator adds gets a one-time invitation link from `addMember` (or
`issuePasswordSetupLink`); a new account sets its password with it on /account/password, a real page
served by uvicorn, and so accepts the membership. A refused form (cross-site, bad or spent link,
unacceptable password) changes nothing. Existing accounts: tests/organisations/test_invitations.py."""

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from api.audit.models import AuditEvent, AuditKind
from api.auth.passwords import hash_password, verify_password
from api.auth.principal import Role
from api.core.db import utcnow
from api.oauth.models import PasswordSetup
from api.organisations.models import Membership, Organisation, User
from api.core.settings import Settings
from tests.factories import gid, lab_admin_token, membership_of, mutate, set_columns, stored, user_errors
from tests.server import running_server
from tests.server import HTTP_TIMEOUT

ADD = "membership { role acceptedAt user { email } } invitationUrl passwordSetupUrl"
ISSUE = "membership { id } passwordSetupUrl"
PASSWORD = "a long and unguessable passphrase"


@pytest.fixture
def iwf(make) -> Organisation:  # noqa: ANN001
    return make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")


@pytest.fixture
def token(make, iwf) -> str:  # noqa: ANN001
    """An administrator of the IWF, holding `org:admin`."""
    return make.token(iwf, ["org:admin"], user=make.member(iwf, "admin@iwf.example", Role.ADMIN))


def _on(base_url: str, url: str) -> str:
    """The link, on the test server (the issuer in the link names the configured public address)."""
    return urlsplit(base_url)._replace(path=urlsplit(url).path, query=urlsplit(url).query).geturl()


def _code(url: str) -> str:
    return parse_qs(urlsplit(url).query)["code"][0]


def _setups(db) -> list[PasswordSetup]:  # noqa: ANN001
    db.expire_all()
    return list(db.exec(select(PasswordSetup).order_by(PasswordSetup.id)).all())


def _user(db, email: str) -> User:  # noqa: ANN001
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).one()


def _add(client, token: str, organisation: Organisation, email: str) -> dict:  # noqa: ANN001
    values = {"organisation": gid("Organisation", organisation.id), "email": email, "role": "CONTRIBUTOR"}
    return mutate(client, "addMember", values, token, ADD)


def _issue_setup(db, membership: Membership, *, expires_in: timedelta = timedelta(days=7)) -> str:  # noqa: ANN001
    """A code stored as addMember stores one."""
    code = f"code-for-{membership.id}-{expires_in.total_seconds()}"
    db.add(
        PasswordSetup(
            code_hash=hashlib.sha256(code.encode()).hexdigest(),
            user_id=membership.user_id,
            membership_id=membership.id,
            expires_at=utcnow() + expires_in,
        )
    )
    db.commit()
    return code


# --- the link in addMember's answer --------------------------------------------------------------


def test_a_new_member_gets_a_link_whose_code_is_stored_only_as_a_digest(client, db, settings, token, iwf) -> None:  # noqa: ANN001
    payload = _add(client, token, iwf, "Analyst@IWF.example")
    assert user_errors(payload) == []
    assert payload["membership"] == {"role": "CONTRIBUTOR", "acceptedAt": None, "user": {"email": "analyst@iwf.example"}}
    url = payload["invitationUrl"]
    assert payload["passwordSetupUrl"] == url  # the deprecated name of the same link
    assert url.startswith(f"{settings.issuer}/account/password?code=")
    code = _code(url)
    assert len(code) >= 43  # 256 random bits
    [setup] = _setups(db)
    assert setup.code_hash == hashlib.sha256(code.encode()).hexdigest() != code
    assert setup.user_id == _user(db, "analyst@iwf.example").id and setup.used_at is None
    assert setup.membership_id == membership_of(db, iwf, _user(db, "analyst@iwf.example")).id
    assert timedelta(days=7) - timedelta(minutes=1) < setup.expires_at - utcnow() <= timedelta(days=7)


@pytest.mark.http
def test_a_person_who_has_a_password_gets_a_link_too_and_it_asks_for_their_own(client, db, make, token, iwf, base_url) -> None:  # noqa: ANN001
    # The answer must not tell the administrator that the address has an account elsewhere.
    other = make.organisation("ncmec")
    person = make.member(other, "ana@ncmec.example")
    set_columns(db, person, password_hash=hash_password(PASSWORD))
    payload = _add(client, token, iwf, "ana@ncmec.example")
    assert user_errors(payload) == [] and payload["membership"]["role"] == "CONTRIBUTOR"
    assert payload["membership"]["acceptedAt"] is None
    [setup] = _setups(db)
    assert setup.membership_id == membership_of(db, iwf, person).id
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        page = browser.get(_on(base_url, payload["invitationUrl"]))
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text and 'autocomplete="new-password"' not in page.text


@pytest.mark.http
def test_a_person_of_another_organisation_without_a_password_gets_a_link_that_cannot_set_one(  # noqa: PLR0913
    client, db, make, token, iwf, base_url  # noqa: ANN001
) -> None:
    # Otherwise the IWF's administrator could choose the password of an NCMEC member and act for them there.
    make.member(make.organisation("ncmec"), "bo@ncmec.example")
    payload = _add(client, token, iwf, "bo@ncmec.example")
    assert user_errors(payload) == [] and payload["invitationUrl"] is not None
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        url = _on(base_url, payload["invitationUrl"])
        page = browser.get(url)
        assert 'autocomplete="new-password"' not in page.text
        fields = {"csrf_token": _form_token(page), "code": _code(url), "password": PASSWORD, "password_confirmation": PASSWORD}
        refused = _post(browser, base_url, fields)
    assert refused.status_code == 401
    assert _user(db, "bo@ncmec.example").password_hash is None
    assert membership_of(db, iwf, _user(db, "bo@ncmec.example")).accepted_at is None


def test_a_refused_add_member_issues_no_link(client, db, token, iwf) -> None:  # noqa: ANN001
    before = stored(db)
    payload = _add(client, token, iwf, "not-an-address")
    assert user_errors(payload) == [(["input", "email"], "INVALID_VALUE")]
    assert payload["passwordSetupUrl"] is None and payload["invitationUrl"] is None
    assert stored(db) == before and _setups(db) == []


# --- issuePasswordSetupLink ------------------------------------------------------------------------


def test_a_fresh_link_replaces_the_earlier_one(client, db, token, iwf) -> None:  # noqa: ANN001
    first = _code(_add(client, token, iwf, "new@iwf.example")["passwordSetupUrl"])
    membership = membership_of(db, iwf, _user(db, "new@iwf.example"))
    payload = mutate(client, "issuePasswordSetupLink", {"membership": gid("Membership", membership.id)}, token, ISSUE)
    assert user_errors(payload) == []
    second = _code(payload["passwordSetupUrl"])
    assert second != first
    old, new = _setups(db)
    assert old.code_hash == hashlib.sha256(first.encode()).hexdigest() and old.used_at is not None
    assert new.code_hash == hashlib.sha256(second.encode()).hexdigest() and new.used_at is None


def test_no_fresh_link_for_a_member_who_has_a_password(client, db, make, token, iwf) -> None:  # noqa: ANN001
    person = make.member(iwf, "set@iwf.example", Role.VIEWER)
    set_columns(db, person, password_hash=hash_password(PASSWORD))
    membership = membership_of(db, iwf, person)
    before = stored(db)
    payload = mutate(client, "issuePasswordSetupLink", {"membership": gid("Membership", membership.id)}, token, ISSUE)
    assert user_errors(payload) == [(["input", "membership"], "FORBIDDEN")]
    assert payload["passwordSetupUrl"] is None and payload["membership"] is None
    assert stored(db) == before and _setups(db) == []


def test_no_fresh_link_for_another_organisations_member(client, db, make, token) -> None:  # noqa: ANN001
    other = make.organisation("ncmec")
    membership = membership_of(db, other, make.member(other, "staff@ncmec.example", Role.VIEWER))
    payload = mutate(client, "issuePasswordSetupLink", {"membership": gid("Membership", membership.id)}, token, ISSUE)
    assert user_errors(payload) == [(["input", "membership"], "NOT_FOUND")]
    assert _setups(db) == []


# --- the page, over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    with running_server(settings) as url:
        yield url


@pytest.fixture
def invited(db, make, iwf) -> tuple[User, str]:  # noqa: ANN001
    """A new account invited by two organisations, which has no password yet, and the code of the
    IWF's link."""
    person = make.member(iwf, "invited@iwf.example", Role.EDITOR)
    make.member(make.organisation("inhope"), "invited@iwf.example", Role.VIEWER)
    for organisation_id in (iwf.id, _organisation(db, "inhope").id):
        membership = db.exec(
            select(Membership).where(Membership.user_id == person.id, Membership.organisation_id == organisation_id)
        ).one()
        set_columns(db, membership, accepted_at=None)
    return person, _issue_setup(db, membership_of(db, iwf, person))


def _organisation(db, slug: str) -> Organisation:  # noqa: ANN001
    return db.exec(select(Organisation).where(Organisation.slug == slug)).one()


def _form_token(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _post(browser: httpx.Client, base_url: str, fields: dict[str, str], **headers: str) -> httpx.Response:
    return browser.post(f"{base_url}/account/password", data=fields, headers={"Origin": base_url, **headers})


def _opened(browser: httpx.Client, base_url: str, code: str) -> str:
    """Open the link as a browser does: the page sets the CSRF cookie; returns the form's token."""
    page = browser.get(f"{base_url}/account/password", params={"code": code})
    assert page.status_code == 200, page.text
    return _form_token(page)


def _unchanged(db, person: User, code: str) -> None:  # noqa: ANN001
    """Nothing was written: no password, the code still unused, the invitations pending, no audit event."""
    assert _user(db, person.email).password_hash is None
    assert [m.accepted_at for m in db.exec(select(Membership).where(Membership.user_id == person.id))] == [None, None]
    [setup] = [s for s in _setups(db) if s.code_hash == hashlib.sha256(code.encode()).hexdigest()]
    assert setup.used_at is None
    assert db.exec(select(AuditEvent)).all() == []


def _events(db) -> list[tuple[AuditKind, int | None, str | None, str | None]]:  # noqa: ANN001
    db.expire_all()
    rows = db.exec(select(AuditEvent).order_by(AuditEvent.organisation_id)).all()
    return [(e.kind, e.organisation_id, e.subject, e.remote_address) for e in rows]


@pytest.mark.http
def test_a_member_sets_a_password_with_the_link(base_url, db, iwf, invited) -> None:  # noqa: ANN001
    person, code = invited
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        page = browser.get(f"{base_url}/account/password", params={"code": code})
        assert page.status_code == 200
        assert '<html lang="en">' in page.text
        assert page.text.count('autocomplete="new-password"') == 2
        assert '<label for="password">' in page.text and '<label for="password_confirmation">' in page.text
        assert f'name="code" value="{code}"' in page.text
        assert 'value="invited@iwf.example" autocomplete="username"' in page.text
        # The page carries the one-time code: never cached, never sent to another site as a referrer.
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] in ("no-referrer", "same-origin")
        assert "coplab_csrf" in browser.cookies

        done = _post(
            browser,
            base_url,
            {"csrf_token": _form_token(page), "code": code, "password": PASSWORD, "password_confirmation": PASSWORD},
        )
    assert done.status_code == 200, done.text
    assert "Your password is set" in done.text and "sign in" in done.text
    stored_hash = _user(db, person.email).password_hash
    assert stored_hash.startswith("$argon2id$")
    assert verify_password(PASSWORD, stored_hash) and not verify_password(PASSWORD + "!", stored_hash)
    assert "You are a member of Iwf" in done.text
    [setup] = _setups(db)
    assert setup.used_at is not None
    inhope = _organisation(db, "inhope")
    assert membership_of(db, iwf, person).accepted_at is not None
    assert membership_of(db, inhope, person).accepted_at is None  # the other invitation still waits for its own link
    subject = f"user:{person.id}"
    # Both in the log of the organisation whose link it was; nothing in the other's.
    assert sorted(_events(db)) == sorted(
        [
            (AuditKind.PASSWORD_SET, iwf.id, subject, "127.0.0.1"),
            (AuditKind.MEMBERSHIP_ACCEPTED, iwf.id, subject, "127.0.0.1"),
        ]
    )


@pytest.mark.http
@pytest.mark.parametrize(
    ("send_cookie", "headers"),
    [
        pytest.param(False, {}, id="no CSRF cookie"),
        pytest.param(True, {"Origin": "https://attacker.example"}, id="foreign Origin"),
        pytest.param(True, {"Sec-Fetch-Site": "cross-site"}, id="cross-site fetch"),
    ],
)
def test_a_cross_site_form_is_refused_and_changes_nothing(base_url, db, invited, send_cookie, headers) -> None:  # noqa: ANN001
    person, code = invited
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        form_token = _opened(browser, base_url, code)
        if not send_cookie:
            browser.cookies.clear()
        fields = {"csrf_token": form_token, "code": code, "password": PASSWORD, "password_confirmation": PASSWORD}
        refused = _post(browser, base_url, fields, **headers)
    assert refused.status_code == 403
    assert "Your password was not set" in refused.text
    _unchanged(db, person, code)


@pytest.mark.http
def test_a_form_token_other_than_the_cookie_is_refused(base_url, db, invited) -> None:  # noqa: ANN001
    person, code = invited
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        _opened(browser, base_url, code)
        fields = {"csrf_token": "guessed", "code": code, "password": PASSWORD, "password_confirmation": PASSWORD}
        refused = _post(browser, base_url, fields)
    assert refused.status_code == 403
    _unchanged(db, person, code)


@pytest.mark.http
def test_a_used_link_cannot_set_the_password_again(base_url, db, invited) -> None:  # noqa: ANN001
    person, code = invited
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        form_token = _opened(browser, base_url, code)
        fields = {"csrf_token": form_token, "code": code, "password": PASSWORD, "password_confirmation": PASSWORD}
        assert _post(browser, base_url, fields).status_code == 200
        first_hash = _user(db, person.email).password_hash
        events = _events(db)

        again = {**fields, "password": "another long passphrase", "password_confirmation": "another long passphrase"}
        refused = _post(browser, base_url, again)
        reopened = browser.get(f"{base_url}/account/password", params={"code": code})
    assert refused.status_code == 410 and "already been used" in refused.text
    assert reopened.status_code == 410 and 'name="password"' not in reopened.text
    assert _user(db, person.email).password_hash == first_hash
    assert verify_password(PASSWORD, first_hash)
    assert _events(db) == events


@pytest.mark.http
@pytest.mark.parametrize(
    ("link", "status", "says"),
    [
        pytest.param("unknown", 404, "This link is not valid", id="unknown"),
        pytest.param("empty", 404, "This link is not valid", id="no code"),
        pytest.param("expired", 410, "This link has expired", id="expired"),
        pytest.param("superseded", 410, "already been used", id="superseded by a newer link"),
    ],
)
def test_a_bad_link_shows_why_and_changes_nothing(base_url, db, invited, link, status, says) -> None:  # noqa: ANN001
    person, good_code = invited
    code = {"unknown": "x" * 43, "empty": ""}.get(link)
    membership = membership_of(db, _organisation(db, "iwf"), person)
    if link == "expired":
        code = _issue_setup(db, membership, expires_in=timedelta(seconds=-1))
    if link == "superseded":
        code = good_code
        set_columns(db, _setups(db)[0], used_at=utcnow())
    before = (_setups(db), _user(db, person.email).password_hash)
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        shown = browser.get(f"{base_url}/account/password", params={"code": code})
        # The form token of a good page, so only the code is wrong.
        form_token = _opened(browser, base_url, _issue_setup(db, membership, expires_in=timedelta(days=1)))
        fields = {"csrf_token": form_token, "code": code, "password": PASSWORD, "password_confirmation": PASSWORD}
        refused = _post(browser, base_url, fields)
    for response in (shown, refused):
        assert response.status_code == status
        assert says in response.text and 'role="alert"' in response.text
        assert 'name="password"' not in response.text
    assert _user(db, person.email).password_hash is None
    assert [(s.code_hash, s.used_at) for s in _setups(db)][: len(before[0])] == [
        (s.code_hash, s.used_at) for s in before[0]
    ]
    assert db.exec(select(AuditEvent)).all() == []


@pytest.mark.http
@pytest.mark.parametrize(
    ("password", "confirmation", "field", "message"),
    [
        pytest.param("too short", "too short", "password", "at least 12 characters", id="short"),
        pytest.param("", "", "password", "at least 12 characters", id="empty"),
        pytest.param("x" * 257, "x" * 257, "password", "at most 256 characters", id="over-long"),
        pytest.param(PASSWORD, PASSWORD + " ", "password_confirmation", "The two passwords differ", id="mismatch"),
    ],
)
def test_an_unacceptable_password_is_shown_and_changes_nothing(  # noqa: PLR0913
    base_url, db, invited, password, confirmation, field, message  # noqa: ANN001
) -> None:
    person, code = invited
    with httpx.Client(timeout=HTTP_TIMEOUT) as browser:
        form_token = _opened(browser, base_url, code)
        fields = {"csrf_token": form_token, "code": code, "password": password, "password_confirmation": confirmation}
        shown = _post(browser, base_url, fields)
    assert shown.status_code == 400
    error = re.search(rf'<p id="{field}-error" class="error">([^<]+)</p>', shown.text)
    assert error is not None and message in error.group(1)
    field_input = re.search(rf'<input id="{field}" [^>]+>', shown.text, re.DOTALL).group(0)
    assert f"{field}-error" in field_input and 'aria-invalid="true"' in field_input
    assert f'name="code" value="{code}"' in shown.text  # the form can be sent again
    assert 'role="alert"' in shown.text
    _unchanged(db, person, code)
