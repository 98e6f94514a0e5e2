"""`coplab user create --password` and `coplab user set-password`, run as an operator would, with the
password piped on stdin: an acceptable password is stored as an argon2 hash; anything else is
refused with exit status 1 and nothing stored."""

import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import select

from api.audit.models import AuditEvent, AuditKind
from api.auth.passwords import hash_password, verify_password
from api.auth.principal import Role
from api.core.db import utcnow
from api.oauth.models import PasswordSetup
from api.organisations.models import Membership, Organisation, User
from tests.factories import set_columns

COPLAB = [sys.executable, "-m", "api.cli"]
PASSWORD = "a long and unguessable passphrase"


@pytest.fixture
def coplab(database_url: str):  # noqa: ANN201
    """Run `coplab` on the test database with `stdin` piped in."""

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        env = {**os.environ, "COPLAB_DATABASE_URL": database_url}
        return subprocess.run(
            [*COPLAB, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    return run


@pytest.fixture
def inhope(make) -> Organisation:  # noqa: ANN001
    return make.organisation("inhope", stakeholder_type="INGO", country="NL")


def _user(db, email: str) -> User | None:  # noqa: ANN001
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).first()


def _password_events(db) -> list[tuple[int | None, str | None]]:  # noqa: ANN001
    db.expire_all()
    events = db.exec(select(AuditEvent).where(AuditEvent.kind == AuditKind.PASSWORD_SET)).all()
    return sorted((e.organisation_id, e.subject) for e in events)


def test_user_create_with_a_piped_password_stores_its_argon2_hash(coplab, db, inhope) -> None:  # noqa: ANN001
    result = coplab("user", "create", "Ana@INHOPE.example", "--org", "inhope", "--role", "editor", "--password", stdin=f"{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert "password set for Ana@INHOPE.example" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    ana = _user(db, "ana@inhope.example")
    assert ana.password_hash.startswith("$argon2id$")
    assert verify_password(PASSWORD, ana.password_hash)
    assert not verify_password(PASSWORD + "\n", ana.password_hash)  # the line break is not part of it
    assert [m.role for m in db.exec(select(Membership).where(Membership.user_id == ana.id))] == [Role.EDITOR]
    assert _password_events(db) == [(inhope.id, f"user:{ana.id}")]


def test_user_create_makes_an_accepted_membership_and_accepts_a_pending_invitation(coplab, db, make, inhope) -> None:  # noqa: ANN001
    result = coplab("user", "create", "ed@inhope.example", "--org", "inhope", "--role", "viewer", "--name", "Ed")
    assert result.returncode == 0, result.stderr
    ed = _user(db, "ed@inhope.example")
    [membership] = db.exec(select(Membership).where(Membership.user_id == ed.id)).all()
    assert membership.accepted_at is not None and membership.name == "Ed"

    invited = make.member(inhope, "fay@inhope.example", Role.VIEWER)
    pending = db.exec(select(Membership).where(Membership.user_id == invited.id)).one()
    set_columns(db, pending, accepted_at=None)
    result = coplab("user", "create", "fay@inhope.example", "--org", "inhope", "--role", "editor")
    assert result.returncode == 0, result.stderr
    db.expire_all()
    accepted = db.exec(select(Membership).where(Membership.user_id == invited.id)).one()
    assert accepted.id == pending.id and accepted.accepted_at is not None and accepted.role is Role.EDITOR

    before = [(m.id, m.role, m.accepted_at) for m in db.exec(select(Membership).order_by(Membership.id))]
    again = coplab("user", "create", "fay@inhope.example", "--org", "inhope", "--role", "admin")
    assert again.returncode == 1 and "already a member of inhope" in again.stderr
    db.expire_all()
    assert [(m.id, m.role, m.accepted_at) for m in db.exec(select(Membership).order_by(Membership.id))] == before


def test_user_create_without_the_flag_sets_no_password(coplab, db, inhope) -> None:  # noqa: ANN001
    result = coplab("user", "create", "bo@inhope.example", "--org", "inhope", stdin=f"{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert _user(db, "bo@inhope.example").password_hash is None
    assert _password_events(db) == []


@pytest.mark.parametrize(
    ("stdin", "says"),
    [
        pytest.param("too short\n", "password: TOO_SHORT", id="short"),
        pytest.param("", "password: TOO_SHORT", id="nothing piped"),
        pytest.param("x" * 257 + "\n", "password: TOO_LONG", id="over-long"),
    ],
)
def test_user_create_with_an_unacceptable_password_stores_nothing(coplab, db, inhope, stdin, says) -> None:  # noqa: ANN001
    result = coplab("user", "create", "cy@inhope.example", "--org", "inhope", "--password", stdin=stdin)
    assert result.returncode == 1
    assert says in result.stderr
    assert _user(db, "cy@inhope.example") is None
    assert db.exec(select(Membership)).all() == []


def test_user_create_with_an_unknown_organisation_stores_nothing(coplab, db, inhope) -> None:  # noqa: ANN001
    result = coplab("user", "create", "dee@inhope.example", "--org", "nowhere", "--password", stdin=f"{PASSWORD}\n")
    assert result.returncode == 1 and "no organisation nowhere" in result.stderr
    assert _user(db, "dee@inhope.example") is None


def test_user_create_with_an_unknown_role_stores_nothing(coplab, db, inhope) -> None:  # noqa: ANN001
    result = coplab("user", "create", "eve@inhope.example", "--org", "inhope", "--role", "owner", "--password", stdin=f"{PASSWORD}\n")
    assert result.returncode == 1 and "role: not one of viewer, contributor, editor, admin" in result.stderr
    assert _user(db, "eve@inhope.example") is None


def test_set_password_replaces_the_password_and_ends_setup_links(coplab, db, make, inhope) -> None:  # noqa: ANN001
    ana = make.member(inhope, "ana@inhope.example", Role.VIEWER)
    other = make.organisation("iwf")
    make.member(other, "ana@inhope.example", Role.VIEWER)
    set_columns(db, ana, password_hash=hash_password("the old passphrase here"))
    db.add(
        PasswordSetup(
            code_hash=hashlib.sha256(b"pending").hexdigest(), user_id=ana.id, expires_at=utcnow() + timedelta(days=7)
        )
    )
    db.commit()

    result = coplab("user", "set-password", "ANA@inhope.example", stdin=f"{PASSWORD}\r\n")
    assert result.returncode == 0, result.stderr
    stored_hash = _user(db, "ana@inhope.example").password_hash
    assert verify_password(PASSWORD, stored_hash)
    assert not verify_password("the old passphrase here", stored_hash)
    assert [s.used_at is not None for s in db.exec(select(PasswordSetup))] == [True]
    assert _password_events(db) == sorted([(inhope.id, f"user:{ana.id}"), (other.id, f"user:{ana.id}")])


@pytest.mark.parametrize(
    ("email", "stdin", "says"),
    [
        pytest.param("ana@inhope.example", "short\n", "password: TOO_SHORT", id="short password"),
        pytest.param("nobody@inhope.example", f"{PASSWORD}\n", "no user nobody@inhope.example", id="unknown person"),
    ],
)
def test_set_password_refused_changes_nothing(coplab, db, make, inhope, email, stdin, says) -> None:  # noqa: ANN001
    ana = make.member(inhope, "ana@inhope.example", Role.VIEWER)
    old_hash = hash_password("the old passphrase here")
    set_columns(db, ana, password_hash=old_hash)
    result = coplab("user", "set-password", email, stdin=stdin)
    assert result.returncode == 1
    assert says in result.stderr
    assert _user(db, "ana@inhope.example").password_hash == old_hash
    assert _password_events(db) == []
