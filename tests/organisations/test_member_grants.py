"""Removing a member revokes their OAuth grants in that organisation, and suspending an organisation
revokes all of its grants, so refresh tokens stop at once. Grants elsewhere are untouched."""

from datetime import timedelta

import pytest
from sqlmodel import select

from api.auth.principal import Role
from api.core.db import utcnow
from api.oauth.models import OAuthGrant
from api.organisations.models import Organisation, User
from tests.factories import gid, lab_admin_token, membership_of, mutate, user_errors

EARLIER = utcnow() - timedelta(days=1)


@pytest.fixture
def iwf(make) -> Organisation:  # noqa: ANN001
    return make.organisation("iwf", stakeholder_type="HOTLINE", country="GB")


@pytest.fixture
def ncmec(make) -> Organisation:  # noqa: ANN001
    return make.organisation("ncmec", country="US")


@pytest.fixture
def token(make, iwf) -> str:  # noqa: ANN001
    """The IWF's administrator, holding `org:admin`."""
    return make.token(iwf, ["org:admin"], user=make.member(iwf, "admin@iwf.example", Role.ADMIN))


def _grant(db, user: User, organisation: Organisation, *, revoked_at=None) -> int:  # noqa: ANN001
    grant = OAuthGrant(
        client_id="cpl_frontend",
        user_id=user.id,
        organisation_id=organisation.id,
        scope="initiatives:read",
        expires_at=utcnow() + timedelta(days=30),
        revoked_at=revoked_at,
    )
    db.add(grant)
    db.commit()
    return grant.id


def _revoked(db) -> dict[int, bool]:  # noqa: ANN001
    """Whether each grant is revoked, read afresh."""
    db.expire_all()
    return {g.id: g.revoked_at is not None for g in db.exec(select(OAuthGrant)).all()}


def test_removing_a_member_revokes_their_grants_in_that_organisation_only(client, db, make, token, iwf, ncmec) -> None:  # noqa: ANN001
    analyst = make.member(iwf, "analyst@iwf.example", Role.CONTRIBUTOR)
    make.member(ncmec, "analyst@iwf.example", Role.VIEWER)
    colleague = make.member(iwf, "colleague@iwf.example", Role.VIEWER)
    here = [_grant(db, analyst, iwf), _grant(db, analyst, iwf)]
    elsewhere = _grant(db, analyst, ncmec)
    colleagues = _grant(db, colleague, iwf)
    already = _grant(db, analyst, iwf, revoked_at=EARLIER)

    membership = membership_of(db, iwf, analyst)
    payload = mutate(client, "removeMember", {"membership": gid("Membership", membership.id)}, token, "membership { id }")
    assert user_errors(payload) == []
    assert _revoked(db) == {here[0]: True, here[1]: True, elsewhere: False, colleagues: False, already: True}
    db.expire_all()
    assert db.get(OAuthGrant, already).revoked_at == EARLIER  # the first revocation stands


def test_a_refused_removal_revokes_nothing(client, db, make, iwf) -> None:  # noqa: ANN001
    admin = make.member(iwf, "only-admin@iwf.example", Role.ADMIN)
    grant = _grant(db, admin, iwf)
    token = make.token(iwf, ["org:admin"], user=admin)
    membership = membership_of(db, iwf, admin)
    payload = mutate(client, "removeMember", {"membership": gid("Membership", membership.id)}, token, "membership { id }")
    assert user_errors(payload) == [(["input", "membership"], "LAST_ADMIN")]
    assert _revoked(db) == {grant: False}


def test_suspending_an_organisation_revokes_all_its_grants(client, db, make, iwf, ncmec) -> None:  # noqa: ANN001
    ana = make.member(iwf, "ana@iwf.example")
    bo = make.member(iwf, "bo@iwf.example", Role.VIEWER)
    make.member(ncmec, "ana@iwf.example")
    suspended = [_grant(db, ana, iwf), _grant(db, bo, iwf)]
    elsewhere = _grant(db, ana, ncmec)

    secretariat = lab_admin_token(make)
    values = {"id": gid("Organisation", iwf.id), "status": "SUSPENDED"}
    payload = mutate(client, "setOrganisationStatus", values, secretariat, "organisation { status }")
    assert user_errors(payload) == [] and payload["organisation"] == {"status": "SUSPENDED"}
    assert _revoked(db) == {suspended[0]: True, suspended[1]: True, elsewhere: False}


@pytest.mark.parametrize("status", ["MEMBER", "OBSERVER", "PENDING"])
def test_other_status_changes_revoke_nothing(client, db, make, iwf, status) -> None:  # noqa: ANN001
    grant = _grant(db, make.member(iwf, "ana@iwf.example"), iwf)
    values = {"id": gid("Organisation", iwf.id), "status": status}
    payload = mutate(client, "setOrganisationStatus", values, lab_admin_token(make), "organisation { status }")
    assert user_errors(payload) == [] and payload["organisation"] == {"status": status}
    assert _revoked(db) == {grant: False}


def test_a_refused_suspension_revokes_nothing(client, db, make, iwf) -> None:  # noqa: ANN001
    grant = _grant(db, make.member(iwf, "ana@iwf.example"), iwf)
    not_secretariat = make.token(iwf, ["org:admin", "lab:admin"])
    values = {"id": gid("Organisation", iwf.id), "status": "SUSPENDED"}
    payload = mutate(client, "setOrganisationStatus", values, not_secretariat, "organisation { status }")
    assert user_errors(payload) == [(["input", "status"], "FORBIDDEN")]
    assert _revoked(db) == {grant: False}
