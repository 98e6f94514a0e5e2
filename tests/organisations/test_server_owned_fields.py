"""Organisation inputs refuse server-owned and undefined fields, inline or as variables, writing nothing."""

import pytest

from api.graphql.input_errors import SERVER_OWNED_FIELD, UNKNOWN_INPUT_FIELD
from tests.factories import EnumValue, error_extensions, gid, lab_admin_token, send_inline, send_variables, stored


SENDERS = [pytest.param(send_inline, id="inline"), pytest.param(send_variables, id="variables")]


@pytest.fixture
def pdc(make):  # noqa: ANN001, ANN201
    return make.organisation("pdc", stakeholder_type="HOTLINE")


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"status": "MEMBER"}, SERVER_OWNED_FIELD),
        ({"isSecretariat": True}, SERVER_OWNED_FIELD),
        ({"createdBy": "user:1"}, SERVER_OWNED_FIELD),
        ({"updatedAt": "2020-01-01T00:00:00Z"}, SERVER_OWNED_FIELD),
        ({"slug": "renamed"}, UNKNOWN_INPUT_FIELD),
        ({"homepage": "https://example.org/"}, UNKNOWN_INPUT_FIELD),
    ],
)
def test_update_organisation_refuses_fields_it_does_not_define(client, db, make, pdc, send, extra, code) -> None:  # noqa: ANN001
    before = stored(db)
    body = send(client, "updateOrganisation", {"id": gid("Organisation", pdc.id), "name": "PdC", **extra}, make.token(pdc))
    assert body["data"] is None
    assert error_extensions(body) == [{"code": code, "field": ["input", *extra]}]
    assert stored(db) == before


@pytest.mark.parametrize("send", SENDERS)
@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"id": "T3JnYW5pc2F0aW9uOjE="}, SERVER_OWNED_FIELD),
        ({"status": "MEMBER"}, SERVER_OWNED_FIELD),
        ({"isSecretariat": True}, SERVER_OWNED_FIELD),
        ({"createdAt": "2020-01-01T00:00:00Z"}, SERVER_OWNED_FIELD),
        ({"members": []}, UNKNOWN_INPUT_FIELD),
    ],
)
def test_create_organisation_refuses_fields_it_does_not_define(client, db, make, send, extra, code) -> None:  # noqa: ANN001
    token = lab_admin_token(make)
    values = {"slug": "new-hotline", "name": "New hotline", "stakeholderType": "HOTLINE", **extra}
    before = stored(db)
    body = send(client, "createOrganisation", values, token)
    assert body["data"] is None
    assert error_extensions(body) == [{"code": code, "field": ["input", *extra]}]
    assert stored(db) == before


@pytest.mark.parametrize("send", SENDERS)
def test_add_member_refuses_server_owned_fields(client, db, make, pdc, send) -> None:  # noqa: ANN001
    values = {"organisation": gid("Organisation", pdc.id), "email": "new@pdc.example", "role": EnumValue("VIEWER")}
    before = stored(db)
    body = send(client, "addMember", {**values, "createdBy": "user:1", "isSecretariat": True}, make.token(pdc))
    assert body["data"] is None
    assert sorted(error_extensions(body), key=lambda e: e["field"]) == [
        {"code": SERVER_OWNED_FIELD, "field": ["input", "createdBy"]},
        {"code": SERVER_OWNED_FIELD, "field": ["input", "isSecretariat"]},
    ]
    assert stored(db) == before
